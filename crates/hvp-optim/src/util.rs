//! Small vector helpers and the product-counting operator wrapper.

use hvp_linop::{LinOp, LinOpError};
use hvp_tensor::Float;
use std::cell::Cell;

/// `xᵀy`.
pub(crate) fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    x.iter().zip(y).fold(T::zero(), |s, (&a, &b)| s + a * b)
}

/// `‖x‖₂`, scaled so that large or tiny entries do not overflow.
pub(crate) fn norm<T: Float>(x: &[T]) -> T {
    let scale = x.iter().fold(T::zero(), |m, v| m.max(v.abs()));
    if !(scale > T::zero()) || !scale.is_finite() {
        return scale;
    }
    let s: T = x.iter().map(|&v| (v / scale) * (v / scale)).sum();
    scale * s.sqrt()
}

/// `y += a x`.
pub(crate) fn axpy<T: Float>(a: T, x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// The index and value of the first non-finite entry.
pub(crate) fn first_non_finite<T: Float>(x: &[T]) -> Option<(usize, f64)> {
    x.iter()
        .position(|v| !v.is_finite())
        .map(|i| (i, x[i].to_f64()))
}

/// `√ε` of the element type.
pub(crate) fn sqrt_eps<T: Float>() -> T {
    T::epsilon().sqrt()
}

/// Wraps a (Hessian) operator and counts its products vector by vector.
pub(crate) struct Counted<'a, T: Float> {
    inner: &'a dyn LinOp<T>,
    count: Cell<usize>,
}

impl<'a, T: Float> Counted<'a, T> {
    pub(crate) fn new(inner: &'a dyn LinOp<T>) -> Self {
        Counted {
            inner,
            count: Cell::new(0),
        }
    }

    /// Products so far.
    pub(crate) fn count(&self) -> usize {
        self.count.get()
    }
}

impl<T: Float> LinOp<T> for Counted<'_, T> {
    fn nrows(&self) -> usize {
        self.inner.nrows()
    }
    fn ncols(&self) -> usize {
        self.inner.ncols()
    }
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        self.count.set(self.count.get() + 1);
        self.inner.apply(x, y)
    }
    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        self.count.set(self.count.get() + k);
        self.inner.apply_many(k, xs, ys)
    }
    fn is_symmetric(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        self.inner.name()
    }
}
