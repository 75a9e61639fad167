//! The [`LinOp`] trait.

use crate::LinOpError;
use hvp_tensor::Float;

/// Checks that `x` has `ncols` entries and `y` has `nrows`.
pub fn check_dims<T>(
    name: &str,
    nrows: usize,
    ncols: usize,
    x: &[T],
    y: &[T],
) -> Result<(), LinOpError> {
    if x.len() != ncols {
        return Err(LinOpError::Length {
            op: name.to_string(),
            what: "input vector",
            expected: ncols,
            got: x.len(),
        });
    }
    if y.len() != nrows {
        return Err(LinOpError::Length {
            op: name.to_string(),
            what: "output vector",
            expected: nrows,
            got: y.len(),
        });
    }
    Ok(())
}

/// A linear map `x ↦ A x` from `ncols` to `nrows` entries.
///
/// Only [`LinOp::nrows`], [`LinOp::ncols`] and [`LinOp::apply`] are
/// required. Blocks of vectors are stored one vector after another (`k`
/// vectors of length `n` in `k·n` entries); [`LinOp::apply_many`] defaults
/// to `k` calls of `apply` and structured operators override it with one
/// matrix-matrix product.
///
/// ```
/// use hvp_linop::{LinOp, LinOpError, check_dims};
/// /// y = 2 x
/// struct Twice(usize);
/// impl LinOp<f64> for Twice {
///     fn nrows(&self) -> usize { self.0 }
///     fn ncols(&self) -> usize { self.0 }
///     fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), LinOpError> {
///         check_dims("twice", self.0, self.0, x, y)?;
///         for (yi, xi) in y.iter_mut().zip(x) { *yi = 2.0 * xi; }
///         Ok(())
///     }
///     fn is_symmetric(&self) -> bool { true }
/// }
/// let d = Twice(2).to_dense().unwrap();
/// assert_eq!(d, vec![2.0, 0.0, 0.0, 2.0]);
/// ```
pub trait LinOp<T: Float> {
    /// Number of rows (length of `A x`).
    fn nrows(&self) -> usize;

    /// Number of columns (length of `x`).
    fn ncols(&self) -> usize;

    /// `y = A x`, overwriting `y`.
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError>;

    /// `Y = A X` for `k` vectors stored one after another.
    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        let (n, m) = (self.ncols(), self.nrows());
        check_dims(self.name(), k * m, k * n, xs, ys)?;
        for (x, y) in xs
            .chunks_exact(n.max(1))
            .zip(ys.chunks_exact_mut(m.max(1)))
            .take(k)
        {
            self.apply(x, y)?;
        }
        Ok(())
    }

    /// `y = Aᵀ x`. The default uses `apply` when the operator is symmetric
    /// and is unsupported otherwise.
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        if self.is_symmetric() {
            self.apply(x, y)
        } else {
            Err(LinOpError::Unsupported {
                op: self.name().to_string(),
                reason: "this operator has no transpose".into(),
            })
        }
    }

    /// Whether `A = Aᵀ` holds by construction.
    fn is_symmetric(&self) -> bool {
        false
    }

    /// A short name for messages.
    fn name(&self) -> &str {
        "operator"
    }

    /// The diagonal `A_ii` for `i < min(nrows, ncols)`. The default applies
    /// the operator to each unit vector (`n` products); structured operators
    /// override it.
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let (m, n) = (self.nrows(), self.ncols());
        let mut d = Vec::with_capacity(m.min(n));
        let mut e = vec![T::zero(); n];
        let mut col = vec![T::zero(); m];
        for i in 0..m.min(n) {
            e[i] = T::one();
            self.apply(&e, &mut col)?;
            e[i] = T::zero();
            d.push(col[i]);
        }
        Ok(d)
    }

    /// The dense matrix, row-major `nrows × ncols`, for debugging and tests
    /// (one `apply_many` over the unit vectors).
    fn to_dense(&self) -> Result<Vec<T>, LinOpError> {
        let (m, n) = (self.nrows(), self.ncols());
        let mut eye = vec![T::zero(); n * n];
        for i in 0..n {
            eye[i * n + i] = T::one();
        }
        let mut cols = vec![T::zero(); n * m];
        self.apply_many(n, &eye, &mut cols)?;
        // cols holds A e_j as vector j; transpose into row-major A.
        let mut a = vec![T::zero(); m * n];
        for j in 0..n {
            for i in 0..m {
                a[i * n + j] = cols[j * m + i];
            }
        }
        Ok(a)
    }
}

impl<T: Float, A: LinOp<T> + ?Sized> LinOp<T> for &A {
    fn nrows(&self) -> usize {
        (**self).nrows()
    }
    fn ncols(&self) -> usize {
        (**self).ncols()
    }
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        (**self).apply(x, y)
    }
    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        (**self).apply_many(k, xs, ys)
    }
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        (**self).apply_transpose(x, y)
    }
    fn is_symmetric(&self) -> bool {
        (**self).is_symmetric()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        (**self).diagonal()
    }
    fn to_dense(&self) -> Result<Vec<T>, LinOpError> {
        (**self).to_dense()
    }
}

impl<T: Float, A: LinOp<T> + ?Sized> LinOp<T> for Box<A> {
    fn nrows(&self) -> usize {
        (**self).nrows()
    }
    fn ncols(&self) -> usize {
        (**self).ncols()
    }
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        (**self).apply(x, y)
    }
    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        (**self).apply_many(k, xs, ys)
    }
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        (**self).apply_transpose(x, y)
    }
    fn is_symmetric(&self) -> bool {
        (**self).is_symmetric()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        (**self).diagonal()
    }
    fn to_dense(&self) -> Result<Vec<T>, LinOpError> {
        (**self).to_dense()
    }
}
