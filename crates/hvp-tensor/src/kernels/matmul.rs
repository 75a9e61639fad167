//! Batched matrix multiplication on the `gemm` crate.
//!
//! `gemm` dispatches at run time to AVX2/AVX-512/FMA micro-kernels on stable
//! Rust and takes arbitrary row/column strides, so a transposed operand is a
//! stride swap, never a copy. Its parallel split is over output blocks, with
//! the same `k` order for every element, so results do not depend on the
//! thread count.

use crate::Float;
use gemm::Parallelism;
use std::any::TypeId;

/// Dimensions of `C[b] = op(A[b]) · op(B[b])` for `b` in `0..batch`, where
/// `op(A)` is `m×k` and `op(B)` is `k×n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatMulDims {
    /// Number of independent products.
    pub batch: usize,
    /// Rows of `op(A)` and `C`.
    pub m: usize,
    /// Inner dimension.
    pub k: usize,
    /// Columns of `op(B)` and `C`.
    pub n: usize,
    /// `A` is stored `k×m` (row-major) and used transposed.
    pub transpose_lhs: bool,
    /// `B` is stored `n×k` (row-major) and used transposed.
    pub transpose_rhs: bool,
}

/// Flop count above which a product is split over threads.
const PARALLEL_FLOPS: usize = 1 << 21;

/// Computes `out[b] = op(lhs[b]) · op(rhs[b])` (overwriting `out`).
///
/// Panics if a buffer length disagrees with `dims` (callers validate shapes
/// when a graph is built, so this is an internal invariant).
pub fn matmul<T: Float>(dims: MatMulDims, lhs: &[T], rhs: &[T], out: &mut [T]) {
    matmul_with(dims, MatMulOptions::default(), lhs, rhs, out);
}

/// Computes `out[b] += op(lhs[b]) · op(rhs[b])`: a sum of products such as
/// `A·B + C·D` runs as two calls into one buffer, with no buffer for the
/// second product and no separate addition pass.
///
/// ```
/// use hvp_tensor::kernels::{matmul, matmul_acc, MatMulDims};
/// let d = MatMulDims { batch: 1, m: 1, k: 2, n: 1, transpose_lhs: false, transpose_rhs: false };
/// let mut out = [0.0];
/// matmul(d, &[1.0, 2.0], &[3.0, 4.0], &mut out);
/// matmul_acc(d, &[1.0, 1.0], &[0.5, 0.5], &mut out);
/// assert_eq!(out, [12.0]);
/// ```
///
/// Panics if a buffer length disagrees with `dims`, like [`matmul`].
pub fn matmul_acc<T: Float>(dims: MatMulDims, lhs: &[T], rhs: &[T], out: &mut [T]) {
    let opts = MatMulOptions {
        accumulate: true,
        ..MatMulOptions::default()
    };
    matmul_with(dims, opts, lhs, rhs, out);
}

/// Variations of a batched product.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatMulOptions {
    /// Add the product to `out` instead of overwriting it.
    pub accumulate: bool,
    /// `lhs` is one matrix used by every product of the batch (batch
    /// stride zero), as after broadcasting a matrix to a batch: no copy.
    pub lhs_shared: bool,
    /// Likewise for `rhs`.
    pub rhs_shared: bool,
}

/// [`matmul`] with [`MatMulOptions`]: accumulation and operands shared
/// across the batch.
///
/// ```
/// use hvp_tensor::kernels::{matmul_with, MatMulDims, MatMulOptions};
/// // One 1×2 row times two 2×1 columns.
/// let d = MatMulDims { batch: 2, m: 1, k: 2, n: 1, transpose_lhs: false, transpose_rhs: false };
/// let opts = MatMulOptions { lhs_shared: true, ..Default::default() };
/// let mut out = [0.0; 2];
/// matmul_with(d, opts, &[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0], &mut out);
/// assert_eq!(out, [11.0, 17.0]);
/// ```
///
/// Panics if a buffer length disagrees with `dims` and `opts`.
pub fn matmul_with<T: Float>(
    dims: MatMulDims,
    opts: MatMulOptions,
    lhs: &[T],
    rhs: &[T],
    out: &mut [T],
) {
    let MatMulDims {
        batch,
        m,
        k,
        n,
        transpose_lhs,
        transpose_rhs,
    } = dims;
    let MatMulOptions {
        accumulate,
        lhs_shared,
        rhs_shared,
    } = opts;
    let (lhs_batch, rhs_batch) = (
        if lhs_shared { 1 } else { batch },
        if rhs_shared { 1 } else { batch },
    );
    assert_eq!(lhs.len(), lhs_batch * m * k, "matmul lhs length");
    assert_eq!(rhs.len(), rhs_batch * k * n, "matmul rhs length");
    assert_eq!(out.len(), batch * m * n, "matmul out length");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out.fill(T::zero());
        }
        return;
    }
    // (row stride, column stride) of op(A) as m×k and op(B) as k×n.
    let (a_rs, a_cs) = if transpose_lhs { (1, m) } else { (k, 1) };
    let (b_rs, b_cs) = if transpose_rhs { (1, k) } else { (n, 1) };
    let flops = 2 * m * n * k;
    let threads = rayon::current_num_threads();
    let parallelism = if flops >= PARALLEL_FLOPS && threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    for b in 0..batch {
        let (la, lb) = (b % lhs_batch, b % rhs_batch);
        let a = &lhs[la * m * k..(la + 1) * m * k];
        let bm = &rhs[lb * k * n..(lb + 1) * k * n];
        let c = &mut out[b * m * n..(b + 1) * m * n];
        if TypeId::of::<T>() == TypeId::of::<f64>() {
            gemm_typed::<f64>(
                m,
                n,
                k,
                c,
                a,
                bm,
                (a_rs, a_cs),
                (b_rs, b_cs),
                accumulate,
                parallelism,
            );
        } else if TypeId::of::<T>() == TypeId::of::<f32>() {
            gemm_typed::<f32>(
                m,
                n,
                k,
                c,
                a,
                bm,
                (a_rs, a_cs),
                (b_rs, b_cs),
                accumulate,
                parallelism,
            );
        } else {
            naive(m, n, k, c, a, bm, (a_rs, a_cs), (b_rs, b_cs), accumulate);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm_typed<U: 'static + Copy + num_traits::Zero + num_traits::One>(
    m: usize,
    n: usize,
    k: usize,
    c: &mut [impl Float],
    a: &[impl Float],
    b: &[impl Float],
    (a_rs, a_cs): (usize, usize),
    (b_rs, b_cs): (usize, usize),
    accumulate: bool,
    parallelism: Parallelism,
) {
    // SAFETY: the caller checked `TypeId` equality of the element type with
    // `U`, so the casts reinterpret buffers of the same type; the lengths were
    // asserted against m, n, k above and the strides address only elements
    // inside those buffers (row-major m×k / k×m, k×n / n×k, m×n).
    unsafe {
        gemm::gemm::<U>(
            m,
            n,
            k,
            c.as_mut_ptr() as *mut U,
            1,
            n as isize,
            // With `read_dst`, dst = alpha·dst + beta·lhs·rhs.
            accumulate,
            a.as_ptr() as *const U,
            a_cs as isize,
            a_rs as isize,
            b.as_ptr() as *const U,
            b_cs as isize,
            b_rs as isize,
            if accumulate { U::one() } else { U::zero() },
            U::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn naive<T: Float>(
    m: usize,
    n: usize,
    k: usize,
    c: &mut [T],
    a: &[T],
    b: &[T],
    (a_rs, a_cs): (usize, usize),
    (b_rs, b_cs): (usize, usize),
    accumulate: bool,
) {
    for i in 0..m {
        for j in 0..n {
            let mut s = T::zero();
            for p in 0..k {
                s += a[i * a_rs + p * a_cs] * b[p * b_rs + j * b_cs];
            }
            c[i * n + j] = if accumulate { c[i * n + j] + s } else { s };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(d: MatMulDims, a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; d.batch * d.m * d.n];
        let (a_rs, a_cs) = if d.transpose_lhs { (1, d.m) } else { (d.k, 1) };
        let (b_rs, b_cs) = if d.transpose_rhs { (1, d.k) } else { (d.n, 1) };
        for bt in 0..d.batch {
            naive(
                d.m,
                d.n,
                d.k,
                &mut out[bt * d.m * d.n..(bt + 1) * d.m * d.n],
                &a[bt * d.m * d.k..],
                &b[bt * d.k * d.n..],
                (a_rs, a_cs),
                (b_rs, b_cs),
                false,
            );
        }
        out
    }

    #[test]
    fn gemm_matches_naive_for_all_transpose_flags() {
        for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
            let d = MatMulDims {
                batch: 2,
                m: 5,
                k: 7,
                n: 3,
                transpose_lhs: ta,
                transpose_rhs: tb,
            };
            let a: Vec<f64> = (0..2 * 35).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
            let b: Vec<f64> = (0..2 * 21).map(|i| ((i * 5) % 13) as f64 * 0.5).collect();
            let mut c = vec![0.0; 2 * 15];
            matmul(d, &a, &b, &mut c);
            let r = reference(d, &a, &b);
            for (x, y) in c.iter().zip(&r) {
                assert!((x - y).abs() < 1e-12, "{x} vs {y} (ta={ta}, tb={tb})");
            }
            let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            let bf: Vec<f32> = b.iter().map(|&v| v as f32).collect();
            let mut cf = vec![0.0f32; 2 * 15];
            matmul(d, &af, &bf, &mut cf);
            for (x, y) in cf.iter().zip(&r) {
                assert!((*x as f64 - y).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn accumulating_product_adds_to_the_buffer() {
        for &(ta, tb) in &[(false, false), (true, false), (false, true), (true, true)] {
            let d = MatMulDims {
                batch: 2,
                m: 5,
                k: 7,
                n: 3,
                transpose_lhs: ta,
                transpose_rhs: tb,
            };
            let a: Vec<f64> = (0..2 * 35).map(|i| ((i * 3) % 11) as f64 - 4.0).collect();
            let b: Vec<f64> = (0..2 * 21).map(|i| ((i * 7) % 13) as f64 * 0.25).collect();
            let before: Vec<f64> = (0..2 * 15).map(|i| i as f64 * 1.5 - 7.0).collect();
            let mut c = before.clone();
            matmul_acc(d, &a, &b, &mut c);
            let r = reference(d, &a, &b);
            for ((x, y), z) in c.iter().zip(&r).zip(&before) {
                assert!((x - (y + z)).abs() < 1e-12, "{x} vs {y} + {z}");
            }
            // Empty inner dimension: nothing to add.
            let d0 = MatMulDims { k: 0, ..d };
            let mut c0 = before.clone();
            matmul_acc(d0, &[], &[], &mut c0);
            assert_eq!(c0, before);
        }
    }

    #[test]
    fn shared_operands_equal_broadcast_ones() {
        let d = MatMulDims {
            batch: 3,
            m: 4,
            k: 5,
            n: 2,
            transpose_lhs: true,
            transpose_rhs: false,
        };
        let a: Vec<f64> = (0..20).map(|i| ((i * 3) % 7) as f64 - 3.0).collect();
        let b: Vec<f64> = (0..30).map(|i| ((i * 5) % 9) as f64 * 0.5).collect();
        let a3: Vec<f64> = a.iter().cycle().take(60).copied().collect();
        let r = reference(d, &a3, &b);
        let mut c = vec![0.0; 24];
        let opts = MatMulOptions {
            lhs_shared: true,
            ..Default::default()
        };
        matmul_with(d, opts, &a, &b, &mut c);
        assert_eq!(c, r);
        // Shared right operand, accumulated.
        let b1 = &b[..10];
        let b3: Vec<f64> = b1.iter().cycle().take(30).copied().collect();
        let r = reference(d, &a3, &b3);
        let mut c = vec![1.0; 24];
        let opts = MatMulOptions {
            accumulate: true,
            rhs_shared: true,
            ..Default::default()
        };
        matmul_with(d, opts, &a3, b1, &mut c);
        for (x, y) in c.iter().zip(&r) {
            assert!((x - (y + 1.0)).abs() < 1e-12);
        }
    }
}
