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

/// Checks that a block of `k` vectors has `k·ncols` entries in `xs` and
/// `k·nrows` in `ys` (vectors stored one after another).
///
/// ```
/// use hvp_linop::check_block;
/// assert!(check_block("op", 3, 2, 4, &[0.0; 12], &mut [0.0; 6]).is_ok());
/// assert!(check_block("op", 3, 2, 4, &[0.0; 11], &mut [0.0; 6]).is_err());
/// ```
pub fn check_block<T>(
    name: &str,
    k: usize,
    nrows: usize,
    ncols: usize,
    xs: &[T],
    ys: &[T],
) -> Result<(), LinOpError> {
    let total = |what: &'static str, per: usize| {
        k.checked_mul(per).ok_or_else(|| LinOpError::Shape {
            op: name.to_string(),
            reason: format!("{k} vectors of length {per} overflow usize ({what})"),
        })
    };
    let (nx, ny) = (total("input block", ncols)?, total("output block", nrows)?);
    if xs.len() != nx {
        return Err(LinOpError::Length {
            op: name.to_string(),
            what: "input block",
            expected: nx,
            got: xs.len(),
        });
    }
    if ys.len() != ny {
        return Err(LinOpError::Length {
            op: name.to_string(),
            what: "output block",
            expected: ny,
            got: ys.len(),
        });
    }
    Ok(())
}

/// Applies `f(x, y)` to each of the `k` vector pairs of a block, the
/// column-by-column fallback of [`LinOp::apply_many`] and
/// [`LinOp::apply_transpose_many`]. An empty input (`n = 0`) maps to zeros.
pub(crate) fn for_each_vector<T: Float>(
    k: usize,
    n: usize,
    m: usize,
    xs: &[T],
    ys: &mut [T],
    mut f: impl FnMut(&[T], &mut [T]) -> Result<(), LinOpError>,
) -> Result<(), LinOpError> {
    if m == 0 {
        return Ok(());
    }
    if n == 0 {
        // A map from a zero-length space: every output is zero, and
        // `chunks_exact` cannot split an empty input into k pieces.
        ys.fill(T::zero());
        return Ok(());
    }
    for (x, y) in xs.chunks_exact(n).zip(ys.chunks_exact_mut(m)).take(k) {
        f(x, y)?;
    }
    Ok(())
}

/// The diagonal by probing: `A e_i` for each `i < min(nrows, ncols)`
/// (`min(m, n)` applications). The fallback of [`LinOp::diagonal`].
pub(crate) fn probe_diagonal<T: Float, A: LinOp<T> + ?Sized>(a: &A) -> Result<Vec<T>, LinOpError> {
    let (m, n) = (a.nrows(), a.ncols());
    let mut d = Vec::with_capacity(m.min(n));
    let mut e = vec![T::zero(); n];
    let mut col = vec![T::zero(); m];
    for i in 0..m.min(n) {
        e[i] = T::one();
        a.apply(&e, &mut col)?;
        e[i] = T::zero();
        d.push(col[i]);
    }
    Ok(d)
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

    /// `Y = A X` for `k` vectors stored one after another (`xs` holds
    /// `k·ncols` entries, `ys` receives `k·nrows`), overwriting `ys`.
    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        let (n, m) = (self.ncols(), self.nrows());
        check_block(self.name(), k, m, n, xs, ys)?;
        for_each_vector(k, n, m, xs, ys, |x, y| self.apply(x, y))
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

    /// `Y = Aᵀ X` for `k` vectors of length `nrows` stored one after another
    /// (`ys` receives `k` results of length `ncols`), overwriting `ys`. The default makes `k` calls of
    /// [`LinOp::apply_transpose`]; structured operators override it with one
    /// matrix-matrix product.
    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        let (n, m) = (self.ncols(), self.nrows());
        check_block(self.name(), k, n, m, xs, ys)?;
        for_each_vector(k, m, n, xs, ys, |x, y| self.apply_transpose(x, y))
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
        probe_diagonal(self)
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

/// Forwards every method of [`LinOp`] through a pointer type, so
/// references and boxes of operators are operators.
macro_rules! forward_linop {
    ($($ptr:ty),*) => {$(
        impl<T: Float, A: LinOp<T> + ?Sized> LinOp<T> for $ptr {
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
    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        (**self).apply_transpose_many(k, xs, ys)
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
    )*};
}

forward_linop!(&A, Box<A>);
