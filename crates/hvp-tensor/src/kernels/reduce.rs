//! Sums and maxima over arbitrary axes, at memory bandwidth and with results
//! that do not depend on the number of threads.
//!
//! A contiguous run is reduced with 16 independent accumulators (so the adds
//! pipeline and vectorize) combined by a fixed pairwise tree. Runs longer than
//! [`BLOCK`] are split into at most 64 equal pieces, each reduced the same way
//! recursively, and the pieces' results are combined in order. The split
//! depends only on the length, never on the thread count: threads only decide
//! *who* computes a piece, so every thread count gives the same bits.
//!
//! ```
//! use hvp_tensor::kernels::{reduce_sum, sum};
//! let x = [1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0]; // [2,3]
//! let mut rows = [0.0; 2];
//! reduce_sum(&x, &[2, 3], &[1], &mut rows);
//! assert_eq!(rows, [6.0, 15.0]);
//! assert_eq!(sum(&x), 21.0);
//! ```

use crate::Float;
use rayon::prelude::*;
use smallvec::SmallVec;

/// Longest run reduced by one accumulator sweep.
pub const BLOCK: usize = 1 << 13;
/// Pieces a long run is split into.
const FANOUT: usize = 64;
/// Elements below which a reduction stays on the calling thread.
const PAR_MIN: usize = 1 << 16;
/// Independent accumulators of one sweep.
const LANES: usize = 16;
/// Columns per task of a parallel column reduction.
const COLS: usize = 512;

/// An associative reduction with an identity.
trait Reducer<T: Float>: Sync {
    fn identity() -> T;
    fn combine(a: T, b: T) -> T;
}

struct SumOp;
struct MaxOp;

impl<T: Float> Reducer<T> for SumOp {
    #[inline(always)]
    fn identity() -> T {
        T::zero()
    }
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        a + b
    }
}

impl<T: Float> Reducer<T> for MaxOp {
    #[inline(always)]
    fn identity() -> T {
        T::neg_infinity()
    }
    /// NaN when either is NaN (as numpy's `max`), the first of equals.
    #[inline(always)]
    fn combine(a: T, b: T) -> T {
        if a >= b || a.is_nan() {
            a
        } else {
            b
        }
    }
}

/// One sweep with `LANES` accumulators and a fixed combination tree.
#[inline]
fn sweep<T: Float, R: Reducer<T>>(x: &[T]) -> T {
    let mut acc = [R::identity(); LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for k in 0..LANES {
            acc[k] = R::combine(acc[k], c[k]);
        }
    }
    let mut w = LANES / 2;
    while w > 0 {
        for k in 0..w {
            acc[k] = R::combine(acc[k], acc[k + w]);
        }
        w /= 2;
    }
    it.remainder().iter().fold(acc[0], |s, &v| R::combine(s, v))
}

/// Reduces a contiguous run with the length-only split described above.
fn contiguous<T: Float, R: Reducer<T>>(x: &[T]) -> T {
    if x.len() <= BLOCK {
        return sweep::<T, R>(x);
    }
    let mut piece = BLOCK;
    while piece * FANOUT < x.len() {
        piece *= FANOUT;
    }
    let mut parts = [R::identity(); FANOUT];
    let np = x.len().div_ceil(piece);
    if x.len() >= PAR_MIN && rayon::current_num_threads() > 1 {
        parts[..np]
            .par_iter_mut()
            .zip(x.par_chunks(piece))
            .for_each(|(p, c)| *p = contiguous::<T, R>(c));
    } else {
        for (p, c) in parts.iter_mut().zip(x.chunks(piece)) {
            *p = contiguous::<T, R>(c);
        }
    }
    parts[..np]
        .iter()
        .fold(R::identity(), |s, &p| R::combine(s, p))
}

/// The sum of a contiguous slice (`0` when empty), in the fixed order above.
pub fn sum<T: Float>(x: &[T]) -> T {
    contiguous::<T, SumOp>(x)
}

/// The maximum of a contiguous slice (`-inf` when empty; NaN when any
/// element is NaN, as numpy's `max`).
pub fn max<T: Float>(x: &[T]) -> T {
    contiguous::<T, MaxOp>(x)
}

/// `dst = Σ src` over `axes` (ascending) of `shape`; the reduced axes are
/// removed from `dst`'s shape.
pub fn reduce_sum<T: Float>(src: &[T], shape: &[usize], axes: &[usize], dst: &mut [T]) {
    reduce::<T, SumOp>(src, shape, axes, dst)
}

/// `dst = max src` over `axes` (ascending) of `shape` (`-inf` for an empty
/// reduction; NaN where a reduced element is NaN, like the elementwise
/// `max` primitive).
pub fn reduce_max<T: Float>(src: &[T], shape: &[usize], axes: &[usize], dst: &mut [T]) {
    reduce::<T, MaxOp>(src, shape, axes, dst)
}

/// A run of neighbouring axes that are all reduced or all kept.
#[derive(Clone, Copy, Debug)]
struct Run {
    n: usize,
    reduced: bool,
}

fn reduce<T: Float, R: Reducer<T>>(src: &[T], shape: &[usize], axes: &[usize], dst: &mut [T]) {
    let numel: usize = shape.iter().product();
    assert_eq!(src.len(), numel, "reduce: source length");
    let kept: usize = shape
        .iter()
        .enumerate()
        .filter(|(i, _)| !axes.contains(i))
        .map(|(_, &d)| d)
        .product();
    assert_eq!(dst.len(), kept, "reduce: destination length");
    dst.fill(R::identity());
    if numel == 0 {
        return;
    }
    let mut runs: SmallVec<[Run; 8]> = SmallVec::new();
    for (i, &n) in shape.iter().enumerate() {
        if n == 1 {
            continue;
        }
        let reduced = axes.contains(&i);
        match runs.last_mut() {
            Some(r) if r.reduced == reduced => r.n *= n,
            _ => runs.push(Run { n, reduced }),
        }
    }
    match runs.as_slice() {
        [] => dst[0] = R::combine(dst[0], src[0]),
        // Column reductions: split the kept columns into fixed blocks.
        [r, k] if r.reduced && numel >= PAR_MIN && k.n >= 2 * COLS => {
            let cols = k.n;
            dst.par_chunks_mut(COLS).enumerate().for_each(|(b, d)| {
                let c0 = b * COLS;
                for i in 0..r.n {
                    accumulate::<T, R>(d, &src[i * cols + c0..i * cols + c0 + d.len()]);
                }
            });
        }
        [k, rest @ ..] if !k.reduced && numel >= PAR_MIN && k.n >= 2 => {
            let (ds, ss) = (dst.len() / k.n, numel / k.n);
            dst.par_chunks_mut(ds)
                .zip(src.par_chunks(ss))
                .for_each(|(d, s)| walk::<T, R>(rest, s, d));
        }
        _ => walk::<T, R>(&runs, src, dst),
    }
}

/// Folds `src` (the runs' full extent) into `dst` (the kept runs' extent)
/// in row-major order of the runs.
fn walk<T: Float, R: Reducer<T>>(runs: &[Run], src: &[T], dst: &mut [T]) {
    match runs {
        [] => dst[0] = R::combine(dst[0], src[0]),
        [r] if r.reduced => dst[0] = R::combine(dst[0], contiguous::<T, R>(src)),
        [_] => accumulate::<T, R>(dst, src),
        [r, rest @ ..] => {
            let ss = src.len() / r.n;
            if r.reduced {
                for s in src.chunks_exact(ss) {
                    walk::<T, R>(rest, s, dst);
                }
            } else {
                let ds = dst.len() / r.n;
                for (d, s) in dst.chunks_exact_mut(ds).zip(src.chunks_exact(ss)) {
                    walk::<T, R>(rest, s, d);
                }
            }
        }
    }
}

#[inline]
fn accumulate<T: Float, R: Reducer<T>>(dst: &mut [T], src: &[T]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = R::combine(*d, s);
    }
}

#[cfg(test)]
// Copies and sums of small integers are exact, so exact comparison is the test.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn naive(x: &[f64], shape: &[usize], axes: &[usize], max: bool) -> Vec<f64> {
        let out_shape: Vec<usize> = shape
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect();
        let init = if max { f64::NEG_INFINITY } else { 0.0 };
        let mut out = vec![init; out_shape.iter().product()];
        for (k, &v) in x.iter().enumerate() {
            let mut rem = k;
            let mut idx = vec![0; shape.len()];
            for i in (0..shape.len()).rev() {
                idx[i] = rem % shape[i];
                rem /= shape[i];
            }
            let o = idx
                .iter()
                .enumerate()
                .filter(|(i, _)| !axes.contains(i))
                .fold(0, |acc, (i, &d)| acc * shape[i] + d);
            out[o] = if max { out[o].max(v) } else { out[o] + v };
        }
        out
    }

    #[test]
    fn reductions_match_naive_loops() {
        for (shape, axes) in [
            (vec![2, 3, 4], vec![1]),
            (vec![2, 3, 4], vec![0, 2]),
            (vec![2, 3, 4], vec![0, 1, 2]),
            (vec![5, 1, 7], vec![1]),
            (vec![37, 19], vec![0]),
            (vec![3, 4000], vec![1]),
            (vec![300, 3, 300], vec![0, 2]),
            (vec![2, 0, 3], vec![1]),
        ] {
            let n = shape.iter().product();
            // small integers: every order of summation is exact
            let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 - 50.0).collect();
            for max in [false, true] {
                let expected = naive(&x, &shape, &axes, max);
                let mut y = vec![f64::NAN; expected.len()];
                if max {
                    reduce_max(&x, &shape, &axes, &mut y);
                } else {
                    reduce_sum(&x, &shape, &axes, &mut y);
                }
                assert_eq!(y, expected, "{shape:?} {axes:?} max={max}");
            }
        }
    }

    #[test]
    fn thread_count_does_not_change_the_bits() {
        let x: Vec<f64> = (0..3_000_017).map(|i| ((i as f64) * 0.618).sin()).collect();
        let pool = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        };
        let s1 = pool(1).install(|| sum(&x));
        let s3 = pool(3).install(|| sum(&x));
        assert_eq!(s1.to_bits(), s3.to_bits());
        let naive: f64 = x.iter().sum();
        assert!((s1 - naive).abs() < 1e-9 * x.len() as f64);
        let shape = [1000, 3000];
        let x = &x[..3_000_000];
        for axes in [[0usize].as_slice(), &[1]] {
            let n = if axes[0] == 0 { 3000 } else { 1000 };
            let mut a = vec![0.0; n];
            let mut b = vec![0.0; n];
            pool(1).install(|| reduce_sum(x, &shape, axes, &mut a));
            pool(4).install(|| reduce_sum(x, &shape, axes, &mut b));
            assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
        }
        assert_eq!(max::<f32>(&[]), f32::NEG_INFINITY);
    }

    #[test]
    fn maxima_propagate_nan() {
        assert!(max(&[1.0, f64::NAN, 3.0]).is_nan());
        assert!(max(&[f64::NAN, 1.0]).is_nan());
        assert_eq!(max(&[1.0, f64::INFINITY, 3.0]), f64::INFINITY);
        // one NaN anywhere in a long, parallel, blocked run
        let mut x: Vec<f64> = (0..200_003).map(|i| (i as f64 * 0.37).sin()).collect();
        for at in [0, 17, 8191, 8192, 199_999, 200_002] {
            let keep = x[at];
            x[at] = f64::NAN;
            assert!(max(&x).is_nan(), "NaN at {at}");
            x[at] = keep;
        }
        assert!(!max(&x).is_nan());
        // and per row / per column of a reduction over axes
        let mut y = vec![0.5f64; 6 * 70_000];
        y[3 * 70_000 + 5] = f64::NAN;
        let mut rows = vec![0.0; 6];
        reduce_max(&y, &[6, 70_000], &[1], &mut rows);
        let nans: Vec<bool> = rows.iter().map(|v| v.is_nan()).collect();
        assert_eq!(nans, [false, false, false, true, false, false]);
        let mut cols = vec![0.0; 70_000];
        reduce_max(&y, &[6, 70_000], &[0], &mut cols);
        assert!(cols[5].is_nan());
        assert_eq!(cols.iter().filter(|v| v.is_nan()).count(), 1);
    }
}
