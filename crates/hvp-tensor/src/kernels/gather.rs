//! Indexing along an axis: `take_along_axis` and its transpose
//! `scatter_add_along_axis`.
//!
//! Index operands are floats holding exact integers (class labels travel in
//! the graph's dtype). A value that is not an integer in range is reported as
//! an [`IndexError`], never a panic, since it usually comes from user data.
//!
//! ```
//! use hvp_tensor::kernels::take_along_axis;
//! let x = [10.0_f64, 11.0, 12.0, 20.0, 21.0, 22.0]; // [2,3]
//! let idx = [2.0, 0.0]; // [2,1]
//! let mut y = [0.0; 2];
//! take_along_axis(&x, &[2, 3], &idx, 1, 1, &mut y).unwrap();
//! assert_eq!(y, [12.0, 20.0]);
//! assert!(take_along_axis(&x, &[2, 3], &[0.5, 0.0], 1, 1, &mut y).is_err());
//! ```

use crate::Float;

/// An index operand held a value that is not an integer in `0..size`.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error("index {value} at position {position} is not an integer in 0..{size}")]
pub struct IndexError {
    /// Flat row-major position of the bad element in the index operand.
    pub position: usize,
    /// The bad value.
    pub value: f64,
    /// The size of the indexed axis.
    pub size: usize,
}

/// The integer a float index holds, if it is one in `0..size`.
#[inline]
fn to_index<T: Float>(v: T, size: usize, position: usize) -> Result<usize, IndexError> {
    let f = v.to_f64();
    if f >= 0.0 && f < size as f64 && f.fract() == 0.0 {
        Ok(f as usize)
    } else {
        Err(IndexError {
            position,
            value: f,
            size,
        })
    }
}

/// `(outer, inner)` extents around `axis` of `shape`.
fn around(shape: &[usize], axis: usize) -> (usize, usize) {
    (
        shape[..axis].iter().product(),
        shape[axis + 1..].iter().product(),
    )
}

/// `dst[.., j, ..] = x[.., idx[.., j, ..], ..]` along `axis`, where `idx`
/// (and `dst`) has `x_shape` with `axis` resized to `k`.
///
/// On an error `dst` is partly written.
pub fn take_along_axis<T: Float>(
    x: &[T],
    x_shape: &[usize],
    idx: &[T],
    axis: usize,
    k: usize,
    dst: &mut [T],
) -> Result<(), IndexError> {
    let (outer, inner) = around(x_shape, axis);
    let nx = x_shape[axis];
    assert_eq!(x.len(), outer * nx * inner);
    assert_eq!(idx.len(), outer * k * inner);
    assert_eq!(dst.len(), idx.len());
    for o in 0..outer {
        for j in 0..k {
            let row = (o * k + j) * inner;
            for i in 0..inner {
                let p = row + i;
                let v = to_index(idx[p], nx, p)?;
                dst[p] = x[(o * nx + v) * inner + i];
            }
        }
    }
    Ok(())
}

/// `dst = 0; dst[.., idx[.., j, ..], ..] += u[.., j, ..]` along `axis`,
/// where `u` and `idx` share `shape` and `dst` has `shape` with `axis`
/// resized to `size`. Updates are added in row-major order of `u`, so the
/// result does not depend on threads.
///
/// Indices are all checked before anything is written.
pub fn scatter_add_along_axis<T: Float>(
    u: &[T],
    idx: &[T],
    shape: &[usize],
    axis: usize,
    size: usize,
    dst: &mut [T],
) -> Result<(), IndexError> {
    let (outer, inner) = around(shape, axis);
    let k = shape[axis];
    assert_eq!(u.len(), outer * k * inner);
    assert_eq!(idx.len(), u.len());
    assert_eq!(dst.len(), outer * size * inner);
    for (p, &v) in idx.iter().enumerate() {
        to_index(v, size, p)?;
    }
    dst.fill(T::zero());
    for o in 0..outer {
        for j in 0..k {
            let row = (o * k + j) * inner;
            for i in 0..inner {
                let p = row + i;
                let v = idx[p].to_f64() as usize;
                dst[(o * size + v) * inner + i] += u[p];
            }
        }
    }
    Ok(())
}

#[cfg(test)]
// Copies and sums of small integers are exact, so exact comparison is the test.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    #[test]
    fn take_along_the_leading_axis() {
        let x = [10.0_f32, 11.0, 12.0, 20.0, 21.0, 22.0]; // [2,3]
        let mut y = [0.0; 3];
        take_along_axis(&x, &[2, 3], &[1.0, 0.0, 1.0], 0, 1, &mut y).unwrap();
        assert_eq!(y, [20.0, 11.0, 22.0]);
    }

    #[test]
    fn scatter_accumulates_duplicates_and_rejects_bad_indices() {
        let mut y = [9.0; 6];
        scatter_add_along_axis(
            &[1.0, 2.0, 3.0, 4.0],
            &[2.0, 2.0, 0.0, 1.0],
            &[2, 2],
            1,
            3,
            &mut y,
        )
        .unwrap();
        assert_eq!(y, [0.0, 0.0, 3.0, 3.0, 4.0, 0.0]);
        for bad in [-1.0, 3.0, 0.5, f64::NAN, f64::INFINITY] {
            let e = scatter_add_along_axis(&[1.0, 2.0], &[0.0, bad], &[2], 0, 3, &mut y[..3]);
            let e = e.unwrap_err();
            assert_eq!((e.position, e.size), (1, 3));
        }
    }
}
