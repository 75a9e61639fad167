//! Diagonal operators and the identity: the cheapest preconditioners, the
//! exact answer for separable problems, and the test bed for spectra.
//!
//! ```
//! use hvp_linop::{Diagonal, LinOp};
//! let d = Diagonal::new(vec![1.0, 2.0, 3.0]);
//! let mut y = [0.0; 3];
//! d.apply(&[1.0, 1.0, 1.0], &mut y).unwrap();
//! assert_eq!(y, [1.0, 2.0, 3.0]);
//! ```

use crate::{check_block, check_dims, LinOp, LinOpError};
use hvp_tensor::Float;
use std::marker::PhantomData;

/// `diag(d)`: `y_i = d_i x_i`. Symmetric; its transpose is itself.
#[derive(Clone, Debug)]
pub struct Diagonal<T> {
    d: Vec<T>,
}

impl<T: Float> Diagonal<T> {
    /// The diagonal matrix with entries `d`.
    pub fn new(d: Vec<T>) -> Self {
        Diagonal { d }
    }

    /// `value · I` of size `n`.
    ///
    /// ```
    /// use hvp_linop::{Diagonal, LinOp};
    /// assert_eq!(Diagonal::from_elem(2, 3.0).diagonal().unwrap(), vec![3.0, 3.0]);
    /// ```
    pub fn from_elem(n: usize, value: T) -> Self {
        Diagonal { d: vec![value; n] }
    }

    /// The diagonal entries.
    pub fn values(&self) -> &[T] {
        &self.d
    }
}

impl<T: Float> LinOp<T> for Diagonal<T> {
    fn nrows(&self) -> usize {
        self.d.len()
    }

    fn ncols(&self) -> usize {
        self.d.len()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("diagonal", self.d.len(), self.d.len(), x, y)?;
        for ((yi, &xi), &di) in y.iter_mut().zip(x).zip(&self.d) {
            *yi = di * xi;
        }
        Ok(())
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        let n = self.d.len();
        check_block("diagonal", k, n, n, xs, ys)?;
        if n == 0 {
            return Ok(());
        }
        for (x, y) in xs.chunks_exact(n).zip(ys.chunks_exact_mut(n)) {
            for ((yi, &xi), &di) in y.iter_mut().zip(x).zip(&self.d) {
                *yi = di * xi;
            }
        }
        Ok(())
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        self.apply(x, y)
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        self.apply_many(k, xs, ys)
    }

    fn is_symmetric(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "diagonal"
    }

    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        Ok(self.d.clone())
    }

    fn to_dense(&self) -> Result<Vec<T>, LinOpError> {
        let n = self.d.len();
        let mut a = vec![T::zero(); n * n];
        for (i, &di) in self.d.iter().enumerate() {
            a[i * n + i] = di;
        }
        Ok(a)
    }
}

/// The `n × n` identity, stored as its size only (`y = x`).
///
/// ```
/// use hvp_linop::{Identity, LinOp};
/// let i = Identity::<f64>::new(2);
/// let mut y = [0.0; 2];
/// i.apply(&[4.0, 5.0], &mut y).unwrap();
/// assert_eq!(y, [4.0, 5.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Identity<T> {
    n: usize,
    _elem: PhantomData<fn() -> T>,
}

impl<T: Float> Identity<T> {
    /// The identity of size `n`.
    pub fn new(n: usize) -> Self {
        Identity {
            n,
            _elem: PhantomData,
        }
    }
}

impl<T: Float> LinOp<T> for Identity<T> {
    fn nrows(&self) -> usize {
        self.n
    }

    fn ncols(&self) -> usize {
        self.n
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("identity", self.n, self.n, x, y)?;
        y.copy_from_slice(x);
        Ok(())
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("identity", k, self.n, self.n, xs, ys)?;
        ys.copy_from_slice(xs);
        Ok(())
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        self.apply(x, y)
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        self.apply_many(k, xs, ys)
    }

    fn is_symmetric(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "identity"
    }

    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        Ok(vec![T::one(); self.n])
    }
}
