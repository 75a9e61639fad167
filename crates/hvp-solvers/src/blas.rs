//! Level-1 vector kernels shared by the solvers (not public).
//!
//! Reductions use four accumulators combined in a fixed order, so a result
//! depends only on the data, never on how it is called.

use hvp_tensor::Float;

/// `⟨a, b⟩`.
pub(crate) fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [T::zero(); 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut tail = T::zero();
    for (&x, &y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail
}

/// `‖a‖₂`.
pub(crate) fn nrm2<T: Float>(a: &[T]) -> T {
    dot(a, a).sqrt()
}

/// `y ← y + α x`.
pub(crate) fn axpy<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `y ← x + β y`.
pub(crate) fn xpby<T: Float>(x: &[T], beta: T, y: &mut [T]) {
    debug_assert_eq!(x.len(), y.len());
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = xi + beta * *yi;
    }
}

/// `x ← α x`.
pub(crate) fn scal<T: Float>(alpha: T, x: &mut [T]) {
    for xi in x {
        *xi *= alpha;
    }
}

/// Mean and unbiased sample variance of `xs` (two passes). The variance of
/// fewer than two samples is unknown and reported as `+∞`.
pub(crate) fn mean_var<T: Float>(xs: &[T]) -> (T, T) {
    let m = xs.len();
    if m == 0 {
        return (T::nan(), T::infinity());
    }
    let mf = T::from_f64(m as f64);
    let mean = xs.iter().copied().sum::<T>() / mf;
    if m < 2 {
        return (mean, T::infinity());
    }
    let ss: T = xs.iter().map(|&x| (x - mean) * (x - mean)).sum();
    (mean, ss / T::from_f64((m - 1) as f64))
}

/// Orthogonalizes `w` against the `k` orthonormal vectors stored one after
/// another in `q` (`k · n` entries) by classical Gram–Schmidt, twice
/// ("twice is enough"), each pass two matrix–vector products on the GEMM
/// kernel. `h` (at least `2k` entries) and `tmp` (`n` entries) are work
/// space; on return `h[..k]` holds the coefficients `Qᵀ w` removed.
pub(crate) fn cgs2<T: Float>(q: &[T], k: usize, w: &mut [T], h: &mut [T], tmp: &mut [T]) {
    let n = w.len();
    if k == 0 || n == 0 {
        h[..k].fill(T::zero());
        return;
    }
    let (h1, h2) = h[..2 * k].split_at_mut(k);
    project_out(&q[..k * n], k, w, h1, tmp);
    project_out(&q[..k * n], k, w, h2, tmp);
    for (a, &b) in h1.iter_mut().zip(h2.iter()) {
        *a += b;
    }
}

/// One classical Gram–Schmidt pass: `c = Q w`, `w ← w − Qᵀ c`.
fn project_out<T: Float>(q: &[T], k: usize, w: &mut [T], c: &mut [T], tmp: &mut [T]) {
    use hvp_tensor::kernels::{matmul, MatMulDims};
    let n = w.len();
    let qw = MatMulDims {
        batch: 1,
        m: k,
        k: n,
        n: 1,
        transpose_lhs: false,
        transpose_rhs: false,
    };
    matmul(qw, q, w, c);
    let qtc = MatMulDims {
        batch: 1,
        m: n,
        k,
        n: 1,
        transpose_lhs: true,
        transpose_rhs: false,
    };
    matmul(qtc, q, c, tmp);
    for (wi, &ti) in w.iter_mut().zip(tmp.iter()) {
        *wi -= ti;
    }
}
