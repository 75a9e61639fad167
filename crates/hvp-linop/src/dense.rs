//! Dense matrices as operators: the reference every structured operator is
//! tested against, and the operator small problems use directly.
//!
//! Products run on [`hvp_tensor::kernels::matmul`] (the `gemm` crate): one
//! matrix-vector product per `apply`, **one** matrix-matrix product per
//! `apply_many` (the block of vectors is the left factor, `Xs · Aᵀ`), and the
//! transposes by the kernel's transpose flags, never by copying the matrix.
//!
//! ```
//! use hvp_linop::{Dense, LinOp};
//! let a = Dense::from_vec(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
//! let mut y = [0.0; 2];
//! a.apply(&[1.0, 0.0, -1.0], &mut y).unwrap();
//! assert_eq!(y, [-2.0, -2.0]);
//! let mut z = [0.0; 3];
//! a.apply_transpose(&[1.0, 1.0], &mut z).unwrap();
//! assert_eq!(z, [5.0, 7.0, 9.0]);
//! ```

use crate::util::{checked_size, exactly_equal, length_err, shape_err};
use crate::{check_block, check_dims, LinOp, LinOpError};
use hvp_tensor::kernels::{matmul, MatMulDims};
use hvp_tensor::Float;

const NAME: &str = "dense";

/// A dense `nrows × ncols` matrix stored row-major in an owned `Vec`.
///
/// Whether it is symmetric is decided once, at construction, by exact
/// comparison of `a_ij` with `a_ji` (a matrix symmetric only up to rounding
/// is treated as general; NaN entries make it general). Entries may be
/// non-finite: the operator is a linear map and checking values is the
/// caller's business.
#[derive(Clone, Debug)]
pub struct Dense<T> {
    nrows: usize,
    ncols: usize,
    data: Vec<T>,
    symmetric: bool,
}

impl<T: Float> Dense<T> {
    /// A matrix from its row-major entries; `Err` when `data.len()` is not
    /// `nrows · ncols`.
    ///
    /// ```
    /// use hvp_linop::Dense;
    /// assert!(Dense::from_vec(2, 2, vec![1.0, 0.0, 0.0, 1.0]).is_ok());
    /// assert!(Dense::from_vec(2, 2, vec![1.0, 0.0, 0.0]).is_err());
    /// ```
    pub fn from_vec(nrows: usize, ncols: usize, data: Vec<T>) -> Result<Self, LinOpError> {
        let len = checked_size(NAME, "entries", nrows, ncols)?;
        if data.len() != len {
            return Err(length_err(NAME, "row-major entries", len, data.len()));
        }
        let symmetric = nrows == ncols && is_exactly_symmetric(nrows, &data);
        Ok(Dense {
            nrows,
            ncols,
            data,
            symmetric,
        })
    }

    /// A matrix from its rows; `Err` when they differ in length. An empty
    /// slice gives a `0 × 0` matrix.
    ///
    /// ```
    /// use hvp_linop::{Dense, LinOp};
    /// let a = Dense::from_rows(&[[1.0, 2.0], [2.0, 5.0]]).unwrap();
    /// assert!(a.is_symmetric());
    /// assert!(Dense::from_rows(&[vec![1.0, 2.0], vec![3.0]]).is_err());
    /// ```
    pub fn from_rows<R: AsRef<[T]>>(rows: &[R]) -> Result<Self, LinOpError> {
        let ncols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * ncols);
        for (i, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            if r.len() != ncols {
                return Err(shape_err(
                    NAME,
                    format!("row {i} has {} entries, row 0 has {ncols}", r.len()),
                ));
            }
            data.extend_from_slice(r);
        }
        Self::from_vec(rows.len(), ncols, data)
    }

    /// A matrix with entries `f(i, j)`.
    ///
    /// Panics if `nrows · ncols` overflows `usize` (the allocation could not
    /// exist); use [`Dense::from_vec`] for sizes from untrusted input.
    ///
    /// ```
    /// use hvp_linop::Dense;
    /// let hilbert = Dense::<f64>::from_fn(3, 3, |i, j| 1.0 / (i + j + 1) as f64);
    /// assert_eq!(hilbert.get(1, 2), Some(0.25));
    /// ```
    pub fn from_fn(nrows: usize, ncols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let len = nrows
            .checked_mul(ncols)
            .unwrap_or_else(|| panic!("dense: {nrows}×{ncols} overflows usize"));
        let mut data = Vec::with_capacity(len);
        for i in 0..nrows {
            for j in 0..ncols {
                data.push(f(i, j));
            }
        }
        let symmetric = nrows == ncols && is_exactly_symmetric(nrows, &data);
        Dense {
            nrows,
            ncols,
            data,
            symmetric,
        }
    }

    /// The `n × n` identity (panics, like [`Dense::from_fn`], only if
    /// `n²` overflows `usize`).
    ///
    /// ```
    /// use hvp_linop::{Dense, LinOp};
    /// let i = Dense::<f32>::identity(2);
    /// assert_eq!(i.as_slice(), &[1.0, 0.0, 0.0, 1.0]);
    /// assert!(i.is_symmetric());
    /// ```
    pub fn identity(n: usize) -> Self {
        Self::from_fn(n, n, |i, j| if i == j { T::one() } else { T::zero() })
    }

    /// The `nrows × ncols` zero matrix (panics, like [`Dense::from_fn`],
    /// only if the size overflows `usize`).
    ///
    /// ```
    /// use hvp_linop::Dense;
    /// assert_eq!(Dense::<f64>::zeros(2, 3).as_slice(), &[0.0; 6]);
    /// ```
    pub fn zeros(nrows: usize, ncols: usize) -> Self {
        Self::from_fn(nrows, ncols, |_, _| T::zero())
    }

    /// The row-major entries.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The row-major entries, consuming the matrix.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// Entry `(i, j)`, or `None` outside the matrix.
    ///
    /// ```
    /// use hvp_linop::Dense;
    /// let a = Dense::from_vec(1, 2, vec![3.0, 4.0]).unwrap();
    /// assert_eq!(a.get(0, 1), Some(4.0));
    /// assert_eq!(a.get(1, 0), None);
    /// ```
    pub fn get(&self, i: usize, j: usize) -> Option<T> {
        (i < self.nrows && j < self.ncols).then(|| self.data[i * self.ncols + j])
    }

    /// `(nrows, ncols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.nrows, self.ncols)
    }
}

/// Exact symmetry of a row-major `n × n` matrix.
fn is_exactly_symmetric<T: Float>(n: usize, a: &[T]) -> bool {
    (0..n).all(|i| (0..i).all(|j| exactly_equal(a[i * n + j], a[j * n + i])))
}

impl<T: Float> LinOp<T> for Dense<T> {
    fn nrows(&self) -> usize {
        self.nrows
    }

    fn ncols(&self) -> usize {
        self.ncols
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.nrows, self.ncols, x, y)?;
        let dims = MatMulDims {
            batch: 1,
            m: self.nrows,
            k: self.ncols,
            n: 1,
            transpose_lhs: false,
            transpose_rhs: false,
        };
        matmul(dims, &self.data, x, y);
        Ok(())
    }

    /// One GEMM: the block `Xs` (`k × ncols`, one vector per row) times `Aᵀ`
    /// gives `Ys` (`k × nrows`).
    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.nrows, self.ncols, xs, ys)?;
        let dims = MatMulDims {
            batch: 1,
            m: k,
            k: self.ncols,
            n: self.nrows,
            transpose_lhs: false,
            transpose_rhs: true,
        };
        matmul(dims, xs, &self.data, ys);
        Ok(())
    }

    /// `Aᵀ x` through the kernel's transpose flag (no copy of `A`).
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.ncols, self.nrows, x, y)?;
        let dims = MatMulDims {
            batch: 1,
            m: self.ncols,
            k: self.nrows,
            n: 1,
            transpose_lhs: true,
            transpose_rhs: false,
        };
        matmul(dims, &self.data, x, y);
        Ok(())
    }

    /// One GEMM: `Xs · A` (`k × nrows` times `nrows × ncols`).
    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.ncols, self.nrows, xs, ys)?;
        let dims = MatMulDims {
            batch: 1,
            m: k,
            k: self.nrows,
            n: self.ncols,
            transpose_lhs: false,
            transpose_rhs: false,
        };
        matmul(dims, xs, &self.data, ys);
        Ok(())
    }

    fn is_symmetric(&self) -> bool {
        self.symmetric
    }

    fn name(&self) -> &str {
        NAME
    }

    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let n = self.nrows.min(self.ncols);
        Ok((0..n).map(|i| self.data[i * self.ncols + i]).collect())
    }

    fn to_dense(&self) -> Result<Vec<T>, LinOpError> {
        Ok(self.data.clone())
    }
}
