//! Kernels that move elements: permute, broadcast, slice, pad, concat.
//!
//! All of them are one strided copy underneath: the destination's axes with a
//! source stride and a destination stride each. The copy first drops size-1
//! axes and merges axes that are contiguous in both buffers, so most calls
//! end in a `copy_from_slice` or a `fill` over long rows; when the fastest
//! destination axis reads the source with a large stride (a transpose), it
//! copies 2-D tiles so that both buffers are walked through the cache line by
//! line. Large copies are split over threads along the outermost destination
//! axis; a copy gives the same bits whatever the split.
//!
//! ```
//! use hvp_tensor::kernels::permute;
//! let x = [0.0_f64, 1.0, 2.0, 3.0, 4.0, 5.0]; // [2,3]
//! let mut y = [0.0; 6];
//! permute(&x, &[2, 3], &[1, 0], &mut y);
//! assert_eq!(y, [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
//! ```

use crate::Float;
use rayon::prelude::*;
use smallvec::SmallVec;

/// Elements below which a copy stays on the calling thread.
const PAR_MIN: usize = 1 << 18;
/// Side of the square tiles of a transposing copy.
const TILE: usize = 32;

/// One axis of a strided copy: its size and its stride in each buffer.
#[derive(Clone, Copy, Debug)]
struct Axis {
    n: usize,
    s: usize,
    d: usize,
}

type Axes = SmallVec<[Axis; 8]>;

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> SmallVec<[usize; 8]> {
    let mut st: SmallVec<[usize; 8]> = SmallVec::from_elem(1, shape.len());
    for i in (0..shape.len().saturating_sub(1)).rev() {
        st[i] = st[i + 1] * shape[i + 1];
    }
    st
}

/// Drops size-1 axes and merges neighbours that are contiguous in both
/// buffers. `None` when the copy is empty.
fn simplify(axes: impl Iterator<Item = Axis>) -> Option<Axes> {
    let mut out: Axes = SmallVec::new();
    for a in axes {
        if a.n == 0 {
            return None;
        }
        if a.n == 1 {
            continue;
        }
        out.push(a);
    }
    let mut merged: Axes = SmallVec::new();
    for a in out {
        match merged.last_mut() {
            Some(prev) if prev.s == a.s * a.n && prev.d == a.d * a.n => {
                *prev = Axis {
                    n: prev.n * a.n,
                    s: a.s,
                    d: a.d,
                };
            }
            _ => merged.push(a),
        }
    }
    Some(merged)
}

/// Copies `src[s_off + Σ iₖ·sₖ]` to `dst[d_off + Σ iₖ·dₖ]` over all
/// multi-indices of `axes` (listed outermost destination axis first).
fn copy_strided<T: Float>(axes: &[Axis], src: &[T], s_off: usize, dst: &mut [T], d_off: usize) {
    let Some(axes) = simplify(axes.iter().copied()) else {
        return;
    };
    let numel: usize = axes.iter().map(|a| a.n).product();
    if numel >= PAR_MIN && axes.len() >= 2 && rayon::current_num_threads() > 1 {
        let outer = axes[0];
        // Each outer index writes inside its own window of `outer.d`
        // elements when the outer axis has the largest destination stride.
        let extent: usize = axes[1..].iter().map(|a| (a.n - 1) * a.d).sum::<usize>() + 1;
        if extent <= outer.d && d_off + (outer.n - 1) * outer.d + extent <= dst.len() {
            let rest = &axes[1..];
            dst[d_off..]
                .par_chunks_mut(outer.d)
                .take(outer.n)
                .enumerate()
                .for_each(|(i, d)| walk(rest, src, s_off + i * outer.s, d, 0));
            return;
        }
    }
    walk(&axes, src, s_off, dst, d_off);
}

/// The sequential copy over simplified axes.
fn walk<T: Float>(axes: &[Axis], src: &[T], s_off: usize, dst: &mut [T], d_off: usize) {
    match axes {
        [] => dst[d_off] = src[s_off],
        [inner] => copy_row(*inner, src, s_off, dst, d_off),
        _ => {
            let inner = axes[axes.len() - 1];
            // A transpose: the destination's fastest axis strides through
            // the source while another axis is the source's fastest.
            if inner.d == 1 && inner.s != 1 && inner.n >= TILE {
                if let Some(t) = axes[..axes.len() - 1]
                    .iter()
                    .position(|a| a.s == 1 && a.n >= TILE)
                {
                    let mut others: Axes = SmallVec::new();
                    others.extend(
                        axes[..axes.len() - 1]
                            .iter()
                            .enumerate()
                            .filter(|&(k, _)| k != t)
                            .map(|(_, a)| *a),
                    );
                    let tile_axis = axes[t];
                    for_each_offset(&others, s_off, d_off, &mut |s, d| {
                        tile_2d(tile_axis, inner, src, s, dst, d)
                    });
                    return;
                }
            }
            let (outer, rest) = (axes[0], &axes[1..]);
            for i in 0..outer.n {
                walk(rest, src, s_off + i * outer.s, dst, d_off + i * outer.d);
            }
        }
    }
}

/// Calls `f(src_offset, dst_offset)` for every multi-index of `axes`.
fn for_each_offset(axes: &[Axis], s: usize, d: usize, f: &mut impl FnMut(usize, usize)) {
    match axes.split_first() {
        None => f(s, d),
        Some((a, rest)) => {
            for i in 0..a.n {
                for_each_offset(rest, s + i * a.s, d + i * a.d, f);
            }
        }
    }
}

/// One row of a copy: contiguous, broadcast or strided.
fn copy_row<T: Float>(a: Axis, src: &[T], s: usize, dst: &mut [T], d: usize) {
    match (a.s, a.d) {
        (1, 1) => dst[d..d + a.n].copy_from_slice(&src[s..s + a.n]),
        (0, 1) => dst[d..d + a.n].fill(src[s]),
        (ss, 1) => {
            for (k, o) in dst[d..d + a.n].iter_mut().enumerate() {
                *o = src[s + k * ss];
            }
        }
        (ss, ds) => {
            for k in 0..a.n {
                dst[d + k * ds] = src[s + k * ss];
            }
        }
    }
}

/// A tiled transposing copy over two axes: `t` is contiguous in the source,
/// `i` in the destination.
fn tile_2d<T: Float>(t: Axis, i: Axis, src: &[T], s: usize, dst: &mut [T], d: usize) {
    for t0 in (0..t.n).step_by(TILE) {
        let t1 = (t0 + TILE).min(t.n);
        for i0 in (0..i.n).step_by(TILE) {
            let i1 = (i0 + TILE).min(i.n);
            for tt in t0..t1 {
                let row = &mut dst[d + tt * t.d + i0..d + tt * t.d + i1];
                let base = s + tt;
                for (k, o) in row.iter_mut().enumerate() {
                    *o = src[base + (i0 + k) * i.s];
                }
            }
        }
    }
}

/// `dst = transpose(src, perm)`: output axis `i` is input axis `perm[i]`.
///
/// Panics when the buffer lengths or `perm` do not fit `shape` (callers
/// validate shapes when the graph is built).
pub fn permute<T: Float>(src: &[T], shape: &[usize], perm: &[usize], dst: &mut [T]) {
    let n: usize = shape.iter().product();
    assert!(src.len() == n && dst.len() == n && perm.len() == shape.len());
    let ist = strides(shape);
    let out_shape: SmallVec<[usize; 8]> = perm.iter().map(|&p| shape[p]).collect();
    let ost = strides(&out_shape);
    let axes: Axes = perm
        .iter()
        .enumerate()
        .map(|(i, &p)| Axis {
            n: shape[p],
            s: ist[p],
            d: ost[i],
        })
        .collect();
    copy_strided(&axes, src, 0, dst, 0);
}

/// `dst = broadcast_in_dim(src)`: operand axis `j` becomes output axis
/// `dims[j]`; size-1 operand axes and the output axes not in `dims` repeat.
pub fn broadcast_in_dim<T: Float>(
    src: &[T],
    src_shape: &[usize],
    out_shape: &[usize],
    dims: &[usize],
    dst: &mut [T],
) {
    assert_eq!(src.len(), src_shape.iter().product::<usize>());
    assert_eq!(dst.len(), out_shape.iter().product::<usize>());
    assert_eq!(dims.len(), src_shape.len());
    let ist = strides(src_shape);
    let ost = strides(out_shape);
    let mut axes: Axes = out_shape
        .iter()
        .zip(&ost)
        .map(|(&n, &d)| Axis { n, s: 0, d })
        .collect();
    for (j, &o) in dims.iter().enumerate() {
        if src_shape[j] != 1 {
            axes[o].s = ist[j];
        }
    }
    copy_strided(&axes, src, 0, dst, 0);
}

/// `dst = src[start:limit:stride]` on every axis.
pub fn slice<T: Float>(
    src: &[T],
    shape: &[usize],
    start: &[usize],
    limit: &[usize],
    stride: &[usize],
    dst: &mut [T],
) {
    assert_eq!(src.len(), shape.iter().product::<usize>());
    let out_shape: SmallVec<[usize; 8]> = (0..shape.len())
        .map(|i| (limit[i] - start[i]).div_ceil(stride[i]))
        .collect();
    assert_eq!(dst.len(), out_shape.iter().product::<usize>());
    let ist = strides(shape);
    let ost = strides(&out_shape);
    let s_off: usize = (0..shape.len()).map(|i| start[i] * ist[i]).sum();
    let axes: Axes = (0..shape.len())
        .map(|i| Axis {
            n: out_shape[i],
            s: ist[i] * stride[i],
            d: ost[i],
        })
        .collect();
    copy_strided(&axes, src, s_off, dst, 0);
}

/// The output shape of [`pad`].
pub fn pad_shape(shape: &[usize], low: &[usize], high: &[usize], interior: &[usize]) -> Vec<usize> {
    (0..shape.len())
        .map(|i| low[i] + high[i] + shape[i] + shape[i].saturating_sub(1) * interior[i])
        .collect()
}

/// `dst = pad(src)` with zeros: `low[i]` before, `high[i]` after and
/// `interior[i]` between consecutive elements of axis `i`.
pub fn pad<T: Float>(
    src: &[T],
    shape: &[usize],
    low: &[usize],
    high: &[usize],
    interior: &[usize],
    dst: &mut [T],
) {
    assert_eq!(src.len(), shape.iter().product::<usize>());
    let out_shape: SmallVec<[usize; 8]> = (0..shape.len())
        .map(|i| low[i] + high[i] + shape[i] + shape[i].saturating_sub(1) * interior[i])
        .collect();
    assert_eq!(dst.len(), out_shape.iter().product::<usize>());
    dst.fill(T::zero());
    let ist = strides(shape);
    let ost = strides(&out_shape);
    let d_off: usize = (0..shape.len()).map(|i| low[i] * ost[i]).sum();
    let axes: Axes = (0..shape.len())
        .map(|i| Axis {
            n: shape[i],
            s: ist[i],
            d: ost[i] * (interior[i] + 1),
        })
        .collect();
    copy_strided(&axes, src, 0, dst, d_off);
}

/// Writes one operand of a concatenation into its place: `src` (of
/// `src_shape`) lands at `offset` along `axis` of `dst`, whose shape is
/// `src_shape` with `axis` resized to `out_axis_size`. Calling it for each
/// operand with running offsets builds the concatenation.
pub fn concat_into<T: Float>(
    src: &[T],
    src_shape: &[usize],
    axis: usize,
    offset: usize,
    out_axis_size: usize,
    dst: &mut [T],
) {
    assert_eq!(src.len(), src_shape.iter().product::<usize>());
    assert!(offset + src_shape[axis] <= out_axis_size);
    let mut out_shape: SmallVec<[usize; 8]> = SmallVec::from_slice(src_shape);
    out_shape[axis] = out_axis_size;
    assert_eq!(dst.len(), out_shape.iter().product::<usize>());
    let ist = strides(src_shape);
    let ost = strides(&out_shape);
    let axes: Axes = (0..src_shape.len())
        .map(|i| Axis {
            n: src_shape[i],
            s: ist[i],
            d: ost[i],
        })
        .collect();
    copy_strided(&axes, src, 0, dst, offset * ost[axis]);
}

#[cfg(test)]
// Copies and sums of small integers are exact, so exact comparison is the test.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn iota(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }

    /// out[i,j,k] = x[perm...] computed index by index.
    fn naive_permute(x: &[f64], shape: &[usize], perm: &[usize]) -> Vec<f64> {
        let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        let ist = strides(shape);
        let n: usize = shape.iter().product();
        (0..n)
            .map(|mut k| {
                let mut off = 0;
                for i in (0..out_shape.len()).rev() {
                    off += (k % out_shape[i]) * ist[perm[i]];
                    k /= out_shape[i];
                }
                x[off]
            })
            .collect()
    }

    #[test]
    fn permute_matches_index_arithmetic_including_tiles() {
        for (shape, perm) in [
            (vec![2, 3], vec![1, 0]),
            (vec![70, 45], vec![1, 0]),
            (vec![3, 40, 50], vec![0, 2, 1]),
            (vec![33, 2, 40], vec![2, 1, 0]),
            (vec![4, 5, 6, 7], vec![3, 1, 0, 2]),
            (vec![1, 5, 1], vec![2, 0, 1]),
            (vec![600, 700], vec![1, 0]),
        ] {
            let n = shape.iter().product();
            let x = iota(n);
            let mut y = vec![0.0; n];
            permute(&x, &shape, &perm, &mut y);
            assert_eq!(y, naive_permute(&x, &shape, &perm), "{shape:?} {perm:?}");
        }
    }

    #[test]
    fn broadcast_slice_pad_concat() {
        let mut y = vec![0.0; 6];
        broadcast_in_dim(&[1.0, 2.0], &[2], &[2, 3], &[0], &mut y);
        assert_eq!(y, [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
        broadcast_in_dim(&[1.0, 2.0, 3.0], &[1, 3], &[2, 3], &[0, 1], &mut y);
        assert_eq!(y, [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
        broadcast_in_dim(&[7.0], &[], &[2, 3], &[], &mut y);
        assert_eq!(y, [7.0; 6]);

        let x = iota(12); // [3,4]
        let mut y = vec![0.0; 4];
        slice(&x, &[3, 4], &[1, 0], &[3, 4], &[1, 3], &mut y);
        assert_eq!(y, [4.0, 7.0, 8.0, 11.0]);

        let mut y = vec![9.0; 6];
        pad(&[5.0, 6.0], &[2], &[1], &[2], &[1], &mut y);
        assert_eq!(y, [0.0, 5.0, 0.0, 6.0, 0.0, 0.0]);
        assert_eq!(pad_shape(&[2], &[1], &[2], &[1]), vec![6]);
        let mut y = vec![9.0; 3];
        pad(&[], &[0], &[1], &[2], &[3], &mut y);
        assert_eq!(y, [0.0; 3]);

        let mut y = vec![0.0; 6];
        concat_into(&[1.0, 2.0], &[2, 1], 1, 0, 3, &mut y);
        concat_into(&[3.0, 4.0, 5.0, 6.0], &[2, 2], 1, 1, 3, &mut y);
        assert_eq!(y, [1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
    }

    #[test]
    fn large_copies_split_over_threads_give_the_same_result() {
        let shape = [64, 80, 96];
        let n = 64 * 80 * 96;
        let x = iota(n);
        let mut y1 = vec![0.0; n];
        let mut y4 = vec![0.0; n];
        let pool = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        };
        pool(1).install(|| permute(&x, &shape, &[1, 2, 0], &mut y1));
        pool(4).install(|| permute(&x, &shape, &[1, 2, 0], &mut y4));
        assert_eq!(y1, y4);
        assert_eq!(y1, naive_permute(&x, &shape, &[1, 2, 0]));
    }
}
