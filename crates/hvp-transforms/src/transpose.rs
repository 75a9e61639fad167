//! Reverse mode's core: transposing a graph that is linear in some inputs.

use crate::TransformError;
use hvp_ir::{Atom, Graph, GraphBuilder, Prim, Shape};

/// Transposes `graph`, which must be linear in the inputs marked `linear`.
///
/// The result takes the non-linear inputs (in order) followed by one
/// cotangent per output, and returns one cotangent per linear input.
/// Equations that do not touch a linear input are coefficients: they are
/// copied to run first. Cotangents known to be zero are never computed.
///
/// ```
/// use hvp_ir::{GraphBuilder, DType, Shape};
/// // y = 3 * t (linear in t): the transpose maps ct -> 3 * ct
/// let mut b = GraphBuilder::new(DType::F64);
/// let t = b.input(Shape::from([2]));
/// let y = b.mul(t.into(), hvp_ir::Atom::lit(3.0)).unwrap();
/// let tr = hvp_transforms::transpose(&b.finish(vec![y]), &[true]).unwrap();
/// assert_eq!((tr.inputs.len(), tr.outputs.len()), (1, 1));
/// ```
pub fn transpose(graph: &Graph, linear: &[bool]) -> Result<Graph, TransformError> {
    if linear.len() != graph.inputs.len() {
        return Err(TransformError::MaskLength {
            what: "transpose",
            expected: graph.inputs.len(),
            got: linear.len(),
        });
    }
    let n = graph.vars.len();
    let mut is_lin = vec![false; n];
    for (v, &l) in graph.inputs.iter().zip(linear) {
        is_lin[v.index()] = l;
    }
    for e in &graph.eqns {
        let l = e
            .inputs
            .iter()
            .any(|a| a.as_var().is_some_and(|v| is_lin[v.index()]));
        is_lin[e.out.index()] = l;
    }

    let mut b = GraphBuilder::new(graph.dtype);
    let mut env: Vec<Option<Atom>> = vec![None; n];
    for (v, &l) in graph.inputs.iter().zip(linear) {
        if !l {
            env[v.index()] = Some(b.input(graph.vars[v.index()].clone()).into());
        }
    }
    let mut ct: Vec<Option<Atom>> = vec![None; n];
    let seeds: Vec<Atom> = graph
        .outputs
        .iter()
        .map(|&o| b.input(graph.shape_of(o)).into())
        .collect();
    // Forward pass: coefficients.
    for e in graph.eqns.iter().filter(|e| !is_lin[e.out.index()]) {
        let ins: Vec<Atom> = e.inputs.iter().map(|&a| read(&env, a)).collect();
        env[e.out.index()] = Some(b.add(e.prim.clone(), &ins)?);
    }
    for (&o, &s) in graph.outputs.iter().zip(&seeds) {
        if let Atom::Var(v) = o {
            if is_lin[v.index()] {
                accumulate(&mut b, &mut ct, v.index(), s)?;
            }
        }
    }
    // Backward pass over the linear equations.
    for e in graph.eqns.iter().rev().filter(|e| is_lin[e.out.index()]) {
        let Some(c) = ct[e.out.index()] else { continue };
        let ops: Vec<Option<Atom>> = e
            .inputs
            .iter()
            .map(|&a| match a {
                Atom::Var(v) if is_lin[v.index()] => None,
                a => Some(read(&env, a)),
            })
            .collect();
        let shapes: Vec<Shape> = e.inputs.iter().map(|&a| graph.shape_of(a)).collect();
        let contrib = transpose_rule(&mut b, &e.prim, &ops, &shapes, c)?;
        for (a, c) in e.inputs.iter().zip(contrib) {
            if let (Atom::Var(v), Some(c)) = (a, c) {
                accumulate(&mut b, &mut ct, v.index(), c)?;
            }
        }
    }
    let mut outs = Vec::new();
    for (v, &l) in graph.inputs.iter().zip(linear) {
        if l {
            let c = match ct[v.index()] {
                Some(c) => c,
                None => b.zeros(&graph.vars[v.index()])?,
            };
            outs.push(c);
        }
    }
    crate::dce::checked(b.finish(outs))
}

fn read(env: &[Option<Atom>], a: Atom) -> Atom {
    match a {
        Atom::Var(v) => env[v.index()]
            .unwrap_or_else(|| unreachable!("transpose: %{} read before it was bound", v.0)),
        lit => lit,
    }
}

fn accumulate(
    b: &mut GraphBuilder,
    ct: &mut [Option<Atom>],
    i: usize,
    c: Atom,
) -> Result<(), TransformError> {
    ct[i] = Some(match ct[i] {
        Some(prev) => b.add2(prev, c)?,
        None => c,
    });
    Ok(())
}

/// The cotangent contributions of `ct` (the output's cotangent) to the
/// linear operands of `prim`. `x[i]` is `Some` for non-linear operands (their
/// value) and `None` for linear ones.
fn transpose_rule(
    b: &mut GraphBuilder,
    prim: &Prim,
    x: &[Option<Atom>],
    shapes: &[Shape],
    ct: Atom,
) -> Result<Vec<Option<Atom>>, TransformError> {
    let not_linear = |operand: usize| TransformError::NotLinear {
        prim: prim.name().to_string(),
        operand,
    };
    let first_linear = x.iter().position(Option::is_none).unwrap_or(0);
    let lin = |i: usize| x[i].is_none();
    let mut out: Vec<Option<Atom>> = vec![None; x.len()];
    match prim {
        Prim::Neg => out[0] = Some(b.neg(ct)?),
        Prim::Add => {
            for (o, xi) in out.iter_mut().zip(x) {
                if xi.is_none() {
                    *o = Some(ct);
                }
            }
        }
        Prim::Sub => {
            if lin(0) {
                out[0] = Some(ct);
            }
            if lin(1) {
                out[1] = Some(b.neg(ct)?);
            }
        }
        Prim::Mul => match (x[0], x[1]) {
            (None, Some(c)) => out[0] = Some(b.mul(ct, c)?),
            (Some(c), None) => out[1] = Some(b.mul(c, ct)?),
            _ => return Err(not_linear(1)),
        },
        Prim::Div => match x[1] {
            Some(d) if lin(0) => out[0] = Some(b.div(ct, d)?),
            _ => return Err(not_linear(1)),
        },
        Prim::Select => {
            if lin(0) {
                return Err(not_linear(0));
            }
            let c = x[0].unwrap_or(Atom::lit(0.0));
            if lin(1) {
                out[1] = Some(b.select(c, ct, Atom::lit(0.0))?);
            }
            if lin(2) {
                out[2] = Some(b.select(c, Atom::lit(0.0), ct)?);
            }
        }
        Prim::ReduceSum { axes } => {
            let s = &shapes[0];
            let kept: Vec<usize> = (0..s.rank()).filter(|i| !axes.contains(i)).collect();
            out[0] = Some(b.broadcast_in_dim(ct, s, &kept)?);
        }
        Prim::BroadcastInDim { shape, dims } => {
            let s = &shapes[0];
            let mut axes: Vec<usize> = (0..shape.len()).filter(|i| !dims.contains(i)).collect();
            axes.extend(
                dims.iter()
                    .enumerate()
                    .filter(|&(j, &d)| s[j] == 1 && shape[d] != 1)
                    .map(|(_, &d)| d),
            );
            let summed = b.reduce_sum(ct, &axes)?;
            out[0] = Some(b.reshape(summed, s)?);
        }
        Prim::Reshape { .. } => out[0] = Some(b.reshape(ct, &shapes[0])?),
        Prim::Transpose { perm } => {
            let mut inv = vec![0; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inv[p] = i;
            }
            out[0] = Some(b.transpose(ct, &inv)?);
        }
        Prim::Slice {
            start,
            limit,
            stride,
        } => {
            let s = &shapes[0];
            let r = s.rank();
            let mut low = vec![0; r];
            let mut high = vec![0; r];
            let mut interior = vec![0; r];
            let mut empty = false;
            for i in 0..r {
                let n = (limit[i] - start[i]).div_ceil(stride[i]);
                if n == 0 {
                    empty = true;
                    break;
                }
                low[i] = start[i];
                interior[i] = stride[i] - 1;
                high[i] = s[i] - (start[i] + (n - 1) * stride[i] + 1);
            }
            out[0] = Some(if empty {
                b.zeros(s)?
            } else {
                b.pad(ct, &low, &high, &interior)?
            });
        }
        Prim::Pad { low, interior, .. } => {
            let s = &shapes[0];
            if s.numel() == 0 {
                out[0] = Some(b.zeros(s)?);
            } else {
                let r = s.rank();
                let start = low.clone();
                let stride: Vec<usize> = interior.iter().map(|&p| p + 1).collect();
                let limit: Vec<usize> = (0..r)
                    .map(|i| low[i] + (s[i] - 1) * stride[i] + 1)
                    .collect();
                out[0] = Some(b.slice(ct, &start, &limit, &stride)?);
            }
        }
        Prim::Concat { axis } => {
            let r = shapes[0].rank();
            let full = b.shape(ct).clone();
            let mut offset = 0;
            for (i, s) in shapes.iter().enumerate() {
                if lin(i) {
                    let mut start = vec![0; r];
                    let mut limit: Vec<usize> = full.to_vec();
                    start[*axis] = offset;
                    limit[*axis] = offset + s[*axis];
                    out[i] = Some(b.slice(ct, &start, &limit, &vec![1; r])?);
                }
                offset += s[*axis];
            }
        }
        Prim::TakeAlongAxis { axis } => {
            let idx = x[1].ok_or_else(|| not_linear(1))?;
            out[0] = Some(b.add(
                Prim::ScatterAddAlongAxis {
                    axis: *axis,
                    size: shapes[0][*axis],
                },
                &[ct, idx],
            )?);
        }
        Prim::ScatterAddAlongAxis { axis, .. } => {
            let idx = x[1].ok_or_else(|| not_linear(1))?;
            out[0] = Some(b.add(Prim::TakeAlongAxis { axis: *axis }, &[ct, idx])?);
        }
        Prim::MatMul {
            transpose_lhs: ta,
            transpose_rhs: tb,
        } => {
            let (ta, tb) = (*ta, *tb);
            match (x[0], x[1]) {
                // C = op(A) op(B); dA from ct and B.
                (None, Some(bm)) => {
                    out[0] = Some(match (ta, tb) {
                        (false, false) => b.matmul(ct, bm, false, true)?,
                        (false, true) => b.matmul(ct, bm, false, false)?,
                        (true, false) => b.matmul(bm, ct, false, true)?,
                        (true, true) => b.matmul(bm, ct, true, true)?,
                    })
                }
                (Some(a), None) => {
                    out[1] = Some(match (ta, tb) {
                        (false, false) => b.matmul(a, ct, true, false)?,
                        (true, false) => b.matmul(a, ct, false, false)?,
                        (false, true) => b.matmul(ct, a, true, false)?,
                        (true, true) => b.matmul(ct, a, true, true)?,
                    })
                }
                _ => return Err(not_linear(1)),
            }
        }
        Prim::Exp
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
        | Prim::StopGradient
        | Prim::Pow
        | Prim::Max
        | Prim::Min
        | Prim::Compare(_)
        | Prim::ReduceMax { .. } => return Err(not_linear(first_linear)),
    }
    Ok(out)
}
