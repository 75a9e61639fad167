//! Sparse matrices in compressed-row (CSR) form, stored in a
//! [`sprs::CsMat`]: graph Laplacians, finite-difference stencils, banded
//! Hessians of chained objectives.
//!
//! `sprs` keeps the storage and its invariants (sorted column indices, no
//! duplicates); the products here are plain loops over the rows, `O(nnz)`
//! each. `A x` reads each row once; `Aᵀ x` scatters each row into `y`.
//!
//! ```
//! use hvp_linop::{LinOp, SparseCsr};
//! // [[2, 0, 1],
//! //  [0, 3, 0]]; the two (0, 0) entries are summed.
//! let a = SparseCsr::from_triplets(2, 3, &[(0, 0, 1.5), (0, 2, 1.0), (1, 1, 3.0), (0, 0, 0.5)])
//!     .unwrap();
//! assert_eq!(a.nnz(), 3);
//! let mut y = [0.0; 2];
//! a.apply(&[1.0, 1.0, 1.0], &mut y).unwrap();
//! assert_eq!(y, [3.0, 3.0]);
//! ```

use crate::util::{exactly_equal, length_err, shape_err};
use crate::{check_block, check_dims, LinOp, LinOpError};
use hvp_tensor::Float;
use sprs::{CsMat, TriMat};

const NAME: &str = "sparse_csr";

/// A sparse matrix in CSR form. Whether it is symmetric is decided at
/// construction by comparing it exactly with its transpose (pattern and
/// values; an explicitly stored zero that is absent from the mirror
/// position makes it general).
#[derive(Clone, Debug)]
pub struct SparseCsr<T> {
    mat: CsMat<T>,
    symmetric: bool,
}

impl<T: Float> SparseCsr<T> {
    /// A `nrows × ncols` matrix from `(row, col, value)` triplets in any
    /// order; duplicate positions are summed. `Err` when an index is out of
    /// range.
    ///
    /// ```
    /// use hvp_linop::SparseCsr;
    /// assert!(SparseCsr::from_triplets(2, 2, &[(0, 1, 1.0)]).is_ok());
    /// assert!(SparseCsr::from_triplets(2, 2, &[(2, 0, 1.0)]).is_err());
    /// ```
    pub fn from_triplets(
        nrows: usize,
        ncols: usize,
        triplets: &[(usize, usize, T)],
    ) -> Result<Self, LinOpError> {
        let mut rows = Vec::with_capacity(triplets.len());
        let mut cols = Vec::with_capacity(triplets.len());
        let mut vals = Vec::with_capacity(triplets.len());
        for (t, &(i, j, v)) in triplets.iter().enumerate() {
            if i >= nrows || j >= ncols {
                return Err(shape_err(
                    NAME,
                    format!("triplet {t} at ({i}, {j}) is outside the {nrows}×{ncols} matrix"),
                ));
            }
            rows.push(i);
            cols.push(j);
            vals.push(v);
        }
        let tri = TriMat::from_triplets((nrows, ncols), rows, cols, vals);
        Ok(Self::from_csmat(tri.to_csr()))
    }

    /// A matrix from raw CSR arrays: row `i` holds columns
    /// `indices[indptr[i]..indptr[i + 1]]` (strictly increasing) with values
    /// `data[..]` at the same positions. `Err` on any structural violation
    /// (lengths, unsorted or duplicate columns, indices out of range).
    ///
    /// ```
    /// use hvp_linop::{LinOp, SparseCsr};
    /// let a = SparseCsr::from_csr(2, 2, vec![0, 1, 2], vec![1, 0], vec![5.0, 6.0]).unwrap();
    /// assert_eq!(a.to_dense().unwrap(), vec![0.0, 5.0, 6.0, 0.0]);
    /// assert!(SparseCsr::from_csr(2, 2, vec![0, 1], vec![1], vec![5.0]).is_err());
    /// ```
    pub fn from_csr(
        nrows: usize,
        ncols: usize,
        indptr: Vec<usize>,
        indices: Vec<usize>,
        data: Vec<T>,
    ) -> Result<Self, LinOpError> {
        if indptr.len() != nrows + 1 {
            return Err(length_err(NAME, "indptr", nrows + 1, indptr.len()));
        }
        if data.len() != indices.len() {
            return Err(length_err(NAME, "data", indices.len(), data.len()));
        }
        let mat = CsMat::try_new((nrows, ncols), indptr, indices, data)
            .map_err(|(_, _, _, e)| shape_err(NAME, format!("invalid CSR structure: {e}")))?;
        Ok(Self::from_csmat(mat))
    }

    /// Wraps an `sprs` matrix; a CSC matrix is converted to CSR.
    pub fn from_csmat(mat: CsMat<T>) -> Self {
        let mat = if mat.is_csr() { mat } else { mat.to_csr() };
        let symmetric = is_exactly_symmetric(&mat);
        SparseCsr { mat, symmetric }
    }

    /// The underlying `sprs` matrix (CSR).
    pub fn as_csmat(&self) -> &CsMat<T> {
        &self.mat
    }

    /// The underlying `sprs` matrix, consuming the operator.
    pub fn into_csmat(self) -> CsMat<T> {
        self.mat
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.mat.nnz()
    }

    /// `y = A x` on one vector (lengths already checked).
    fn mul(&self, x: &[T], y: &mut [T]) {
        for (yi, row) in y.iter_mut().zip(self.mat.outer_iterator()) {
            let mut s = T::zero();
            for (&j, &a) in row.indices().iter().zip(row.data()) {
                s += a * x[j];
            }
            *yi = s;
        }
    }

    /// `y = Aᵀ x` on one vector (lengths already checked).
    fn mul_transpose(&self, x: &[T], y: &mut [T]) {
        y.fill(T::zero());
        for (&xi, row) in x.iter().zip(self.mat.outer_iterator()) {
            for (&j, &a) in row.indices().iter().zip(row.data()) {
                y[j] += a * xi;
            }
        }
    }
}

fn is_exactly_symmetric<T: Float>(mat: &CsMat<T>) -> bool {
    if mat.rows() != mat.cols() {
        return false;
    }
    let t = mat.transpose_view().to_csr();
    t.proper_indptr() == mat.proper_indptr()
        && t.indices() == mat.indices()
        && t.data()
            .iter()
            .zip(mat.data())
            .all(|(&a, &b)| exactly_equal(a, b))
}

impl<T: Float> LinOp<T> for SparseCsr<T> {
    fn nrows(&self) -> usize {
        self.mat.rows()
    }

    fn ncols(&self) -> usize {
        self.mat.cols()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.nrows(), self.ncols(), x, y)?;
        self.mul(x, y);
        Ok(())
    }

    /// One pass over the matrix per vector (`k · nnz` work).
    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        let (m, n) = (self.nrows(), self.ncols());
        check_block(NAME, k, m, n, xs, ys)?;
        for v in 0..k {
            self.mul(&xs[v * n..(v + 1) * n], &mut ys[v * m..(v + 1) * m]);
        }
        Ok(())
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.ncols(), self.nrows(), x, y)?;
        self.mul_transpose(x, y);
        Ok(())
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        let (m, n) = (self.nrows(), self.ncols());
        check_block(NAME, k, n, m, xs, ys)?;
        for v in 0..k {
            self.mul_transpose(&xs[v * m..(v + 1) * m], &mut ys[v * n..(v + 1) * n]);
        }
        Ok(())
    }

    fn is_symmetric(&self) -> bool {
        self.symmetric
    }

    fn name(&self) -> &str {
        NAME
    }

    /// A binary search per row (column indices are sorted).
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let len = self.nrows().min(self.ncols());
        Ok(self
            .mat
            .outer_iterator()
            .take(len)
            .enumerate()
            .map(|(i, row)| match row.indices().binary_search(&i) {
                Ok(p) => row.data()[p],
                Err(_) => T::zero(),
            })
            .collect())
    }

    fn to_dense(&self) -> Result<Vec<T>, LinOpError> {
        let n = self.ncols();
        let mut a = vec![T::zero(); self.nrows() * n];
        for (i, row) in self.mat.outer_iterator().enumerate() {
            for (&j, &v) in row.indices().iter().zip(row.data()) {
                a[i * n + j] = v;
            }
        }
        Ok(a)
    }
}
