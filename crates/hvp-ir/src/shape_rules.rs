//! Shape inference: one exhaustive rule per primitive.

use crate::{IrError, Prim};
use hvp_tensor::Shape;

/// Infers the result shape of `prim` applied to operands with `shapes`;
/// `is_lit[i]` marks scalar literals, which elementwise primitives broadcast.
///
/// ```
/// use hvp_ir::{infer_shape, Prim, Shape};
/// let s = infer_shape(&Prim::ReduceSum { axes: vec![1] }, &[Shape::from([2, 3])], &[false]).unwrap();
/// assert_eq!(s, Shape::from([2]));
/// assert!(infer_shape(&Prim::Add, &[Shape::from([2]), Shape::from([3])], &[false, false]).is_err());
/// ```
pub fn infer_shape(prim: &Prim, shapes: &[Shape], is_lit: &[bool]) -> Result<Shape, IrError> {
    let fail = |reason: String| IrError::Shape {
        prim: prim.name().to_string(),
        shapes: shapes.to_vec(),
        reason,
    };
    let arity = |n: usize| -> Result<(), IrError> {
        if shapes.len() == n {
            Ok(())
        } else {
            Err(fail(format!("expects {n} operands, got {}", shapes.len())))
        }
    };
    if shapes.len() != is_lit.len() {
        return Err(fail("operand and literal flags differ in length".into()));
    }
    match prim {
        Prim::Neg
        | Prim::Exp
        | Prim::Log
        | Prim::Log1p
        | Prim::Expm1
        | Prim::Sqrt
        | Prim::Sin
        | Prim::Cos
        | Prim::Tan
        | Prim::Atan
        | Prim::Tanh
        | Prim::Abs
        | Prim::Sign
        | Prim::IntPow(_)
        | Prim::StopGradient => {
            arity(1)?;
            Ok(shapes[0].clone())
        }
        Prim::Add
        | Prim::Sub
        | Prim::Mul
        | Prim::Div
        | Prim::Pow
        | Prim::Max
        | Prim::Min
        | Prim::Compare(_) => {
            arity(2)?;
            elementwise(shapes, is_lit).map_err(fail)
        }
        Prim::Select => {
            arity(3)?;
            elementwise(shapes, is_lit).map_err(fail)
        }
        Prim::ReduceSum { axes } | Prim::ReduceMax { axes } => {
            arity(1)?;
            let s = &shapes[0];
            check_axes(axes, s.rank()).map_err(fail)?;
            if matches!(prim, Prim::ReduceMax { .. }) && axes.iter().any(|&a| s[a] == 0) {
                return Err(fail("maximum over an empty axis".into()));
            }
            Ok(Shape(
                s.iter()
                    .enumerate()
                    .filter(|(i, _)| !axes.contains(i))
                    .map(|(_, &d)| d)
                    .collect(),
            ))
        }
        Prim::Reshape { shape } => {
            arity(1)?;
            let n: usize = shape.iter().product();
            if n != shapes[0].numel() {
                return Err(fail(format!(
                    "cannot reshape {} elements to {:?}",
                    shapes[0].numel(),
                    shape
                )));
            }
            Ok(Shape::from(shape.as_slice()))
        }
        Prim::Transpose { perm } => {
            arity(1)?;
            let s = &shapes[0];
            let mut seen = vec![false; s.rank()];
            if perm.len() != s.rank() {
                return Err(fail(format!("permutation {perm:?} has the wrong length")));
            }
            for &p in perm {
                if p >= s.rank() || seen[p] {
                    return Err(fail(format!("{perm:?} is not a permutation")));
                }
                seen[p] = true;
            }
            Ok(Shape(perm.iter().map(|&p| s[p]).collect()))
        }
        Prim::BroadcastInDim { shape, dims } => {
            arity(1)?;
            let s = &shapes[0];
            if dims.len() != s.rank() {
                return Err(fail(format!(
                    "dims {dims:?} must name one output axis per operand axis"
                )));
            }
            for (j, &d) in dims.iter().enumerate() {
                if d >= shape.len() || (j > 0 && d <= dims[j - 1]) {
                    return Err(fail(format!(
                        "dims {dims:?} must be increasing and below rank {}",
                        shape.len()
                    )));
                }
                if s[j] != 1 && s[j] != shape[d] {
                    return Err(fail(format!(
                        "operand axis {j} of size {} cannot stretch to {}",
                        s[j], shape[d]
                    )));
                }
            }
            Ok(Shape::from(shape.as_slice()))
        }
        Prim::Slice {
            start,
            limit,
            stride,
        } => {
            arity(1)?;
            let s = &shapes[0];
            let r = s.rank();
            if start.len() != r || limit.len() != r || stride.len() != r {
                return Err(fail(
                    "start, limit and stride need one entry per axis".into(),
                ));
            }
            let mut out = Shape::scalar();
            for i in 0..r {
                if start[i] > limit[i] || limit[i] > s[i] || stride[i] == 0 {
                    return Err(fail(format!(
                        "axis {i}: {}:{}:{} does not fit size {}",
                        start[i], limit[i], stride[i], s[i]
                    )));
                }
                out.0.push((limit[i] - start[i]).div_ceil(stride[i]));
            }
            Ok(out)
        }
        Prim::Pad {
            low,
            high,
            interior,
        } => {
            arity(1)?;
            let s = &shapes[0];
            let r = s.rank();
            if low.len() != r || high.len() != r || interior.len() != r {
                return Err(fail(
                    "low, high and interior need one entry per axis".into(),
                ));
            }
            Ok(Shape(
                (0..r)
                    .map(|i| low[i] + high[i] + s[i] + s[i].saturating_sub(1) * interior[i])
                    .collect(),
            ))
        }
        Prim::Concat { axis } => {
            if shapes.is_empty() {
                return Err(fail("needs at least one operand".into()));
            }
            let first = &shapes[0];
            if *axis >= first.rank() {
                return Err(fail(format!("axis {axis} out of range")));
            }
            let mut out = first.clone();
            out.0[*axis] = 0;
            for s in shapes {
                let same_off_axis = s.rank() == first.rank()
                    && (0..s.rank()).all(|i| i == *axis || s[i] == first[i]);
                if !same_off_axis {
                    return Err(fail(format!("operands differ off axis {axis}")));
                }
                out.0[*axis] += s[*axis];
            }
            Ok(out)
        }
        Prim::TakeAlongAxis { axis } => {
            arity(2)?;
            let (x, idx) = (&shapes[0], &shapes[1]);
            if *axis >= x.rank() || x.rank() != idx.rank() {
                return Err(fail(format!("axis {axis} or ranks do not fit")));
            }
            if (0..x.rank()).any(|i| i != *axis && x[i] != idx[i]) {
                return Err(fail(format!(
                    "indices must match the operand off axis {axis}"
                )));
            }
            if x[*axis] == 0 && idx[*axis] > 0 {
                return Err(fail("cannot index an empty axis".into()));
            }
            Ok(idx.clone())
        }
        Prim::ScatterAddAlongAxis { axis, size } => {
            arity(2)?;
            let (u, idx) = (&shapes[0], &shapes[1]);
            if *axis >= u.rank() || u != idx {
                return Err(fail(format!(
                    "updates and indices must have equal shapes and axis {axis} in range"
                )));
            }
            let mut out = u.clone();
            out.0[*axis] = *size;
            Ok(out)
        }
        Prim::MatMul {
            transpose_lhs,
            transpose_rhs,
        } => {
            arity(2)?;
            let (a, b) = (&shapes[0], &shapes[1]);
            if a.rank() < 2 || a.rank() != b.rank() {
                return Err(fail("operands must have equal rank of at least 2".into()));
            }
            let r = a.rank();
            if a[..r - 2] != b[..r - 2] {
                return Err(fail("batch axes differ".into()));
            }
            let (m, ka) = if *transpose_lhs {
                (a[r - 1], a[r - 2])
            } else {
                (a[r - 2], a[r - 1])
            };
            let (kb, n) = if *transpose_rhs {
                (b[r - 1], b[r - 2])
            } else {
                (b[r - 2], b[r - 1])
            };
            if ka != kb {
                return Err(fail(format!("inner dimensions {ka} and {kb} differ")));
            }
            let mut out = a.clone();
            out.0[r - 2] = m;
            out.0[r - 1] = n;
            Ok(out)
        }
    }
}

/// Equal shapes among the variable operands; literals broadcast.
fn elementwise(shapes: &[Shape], is_lit: &[bool]) -> Result<Shape, String> {
    let mut out: Option<&Shape> = None;
    for (s, &lit) in shapes.iter().zip(is_lit) {
        if lit {
            continue;
        }
        match out {
            None => out = Some(s),
            Some(o) if o == s => {}
            Some(o) => return Err(format!("operand shapes {o} and {s} differ")),
        }
    }
    Ok(out.cloned().unwrap_or_default())
}

fn check_axes(axes: &[usize], rank: usize) -> Result<(), String> {
    for (i, &a) in axes.iter().enumerate() {
        if a >= rank || (i > 0 && a <= axes[i - 1]) {
            return Err(format!(
                "axes {axes:?} must be ascending and below rank {rank}"
            ));
        }
    }
    Ok(())
}
