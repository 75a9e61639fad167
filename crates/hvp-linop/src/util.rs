//! Small helpers shared by the operators (not public).

use crate::LinOpError;
use hvp_tensor::Float;
use std::cmp::Ordering;

/// A [`LinOpError::Shape`] for operator `op`.
pub(crate) fn shape_err(op: &str, reason: impl Into<String>) -> LinOpError {
    LinOpError::Shape {
        op: op.to_string(),
        reason: reason.into(),
    }
}

/// A [`LinOpError::Length`] for operator `op`.
pub(crate) fn length_err(op: &str, what: &'static str, expected: usize, got: usize) -> LinOpError {
    LinOpError::Length {
        op: op.to_string(),
        what,
        expected,
        got,
    }
}

/// `a · b` or a shape error naming `what` when it overflows `usize`.
pub(crate) fn checked_size(op: &str, what: &str, a: usize, b: usize) -> Result<usize, LinOpError> {
    a.checked_mul(b)
        .ok_or_else(|| shape_err(op, format!("{what}: {a} × {b} overflows usize")))
}

/// Exact equality, used only to detect symmetry by construction (a matrix
/// that is symmetric up to rounding is not treated as symmetric). NaN is
/// never equal, so a matrix holding NaN is not symmetric.
pub(crate) fn exactly_equal<T: Float>(a: T, b: T) -> bool {
    a.partial_cmp(&b) == Some(Ordering::Equal)
}

/// Transposes each of `k` row-major `rows × cols` blocks of `src` into
/// `cols × rows` blocks of `dst`.
pub(crate) fn transpose_blocks<T: Float>(
    k: usize,
    rows: usize,
    cols: usize,
    src: &[T],
    dst: &mut [T],
) {
    let size = rows * cols;
    if size == 0 {
        return;
    }
    for (s, d) in src
        .chunks_exact(size)
        .zip(dst.chunks_exact_mut(size))
        .take(k)
    {
        for i in 0..rows {
            for j in 0..cols {
                d[j * rows + i] = s[i * cols + j];
            }
        }
    }
}

/// `y ← y + alpha · x`.
pub(crate) fn axpy<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}
