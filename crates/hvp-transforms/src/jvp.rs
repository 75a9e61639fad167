//! Forward mode: one JVP rule per primitive, with symbolic zero tangents.

use crate::TransformError;
use hvp_ir::{Atom, CmpOp, Graph, GraphBuilder, Prim};

type R = Result<Option<Atom>, TransformError>;

/// The Jacobian-vector product of `graph` with respect to the inputs marked
/// in `wrt`.
///
/// The result takes the original inputs followed by one tangent per marked
/// input (same shape), and returns the original outputs followed by one
/// tangent per output. Tangents known to be zero are never computed; a zero
/// output tangent is materialized only at the end.
///
/// ```
/// use hvp_ir::{GraphBuilder, DType, Shape, Prim};
/// let mut b = GraphBuilder::new(DType::F64);
/// let x = b.input(Shape::scalar());
/// let y = b.unary(Prim::Exp, x.into()).unwrap();
/// let g = b.finish(vec![y]);
/// let j = hvp_transforms::jvp(&g, &[true]).unwrap();
/// assert_eq!((j.inputs.len(), j.outputs.len()), (2, 2));
/// ```
pub fn jvp(graph: &Graph, wrt: &[bool]) -> Result<Graph, TransformError> {
    if wrt.len() != graph.inputs.len() {
        return Err(TransformError::MaskLength {
            what: "jvp",
            expected: graph.inputs.len(),
            got: wrt.len(),
        });
    }
    let mut b = GraphBuilder::new(graph.dtype);
    let primals: Vec<Atom> = graph
        .inputs
        .iter()
        .map(|v| b.input(graph.vars[v.index()].clone()).into())
        .collect();
    let tangents: Vec<Option<Atom>> = graph
        .inputs
        .iter()
        .zip(wrt)
        .map(|(v, &w)| w.then(|| b.input(graph.vars[v.index()].clone()).into()))
        .collect();
    let (outs, touts) = jvp_into(&mut b, graph, &primals, &tangents)?;
    let mut all = outs;
    for (t, &o) in touts.into_iter().zip(&graph.outputs) {
        let t = match t {
            Some(t) => t,
            None => b.zeros(&graph.shape_of(o))?,
        };
        all.push(t);
    }
    crate::dce::checked(b.finish(all))
}

/// Emits the primal and tangent equations of `graph` into `b`, with inputs
/// bound to `primals` and tangents (`None` = symbolic zero); returns the
/// primal outputs and their tangents.
pub fn jvp_into(
    b: &mut GraphBuilder,
    graph: &Graph,
    primals: &[Atom],
    tangents: &[Option<Atom>],
) -> Result<(Vec<Atom>, Vec<Option<Atom>>), TransformError> {
    let mut val: Vec<Option<Atom>> = vec![None; graph.vars.len()];
    let mut tan: Vec<Option<Atom>> = vec![None; graph.vars.len()];
    for ((v, &p), &t) in graph.inputs.iter().zip(primals).zip(tangents) {
        val[v.index()] = Some(p);
        tan[v.index()] = t;
    }
    let read = |val: &[Option<Atom>], a: Atom| match a {
        Atom::Var(v) => val[v.index()].ok_or_else(|| unbound(v.0)),
        lit => Ok(lit),
    };
    let read_t = |tan: &[Option<Atom>], a: Atom| match a {
        Atom::Var(v) => tan[v.index()],
        Atom::Lit(_) => None,
    };
    for e in &graph.eqns {
        let x: Vec<Atom> = e
            .inputs
            .iter()
            .map(|&a| read(&val, a))
            .collect::<Result<_, _>>()?;
        let y = b.add(e.prim.clone(), &x)?;
        val[e.out.index()] = Some(y);
        let t: Vec<Option<Atom>> = e.inputs.iter().map(|&a| read_t(&tan, a)).collect();
        if t.iter().any(Option::is_some) {
            tan[e.out.index()] = jvp_rule(b, &e.prim, &x, y, &t)?;
        }
    }
    let outs = graph
        .outputs
        .iter()
        .map(|&a| read(&val, a))
        .collect::<Result<_, _>>()?;
    let touts = graph.outputs.iter().map(|&a| read_t(&tan, a)).collect();
    Ok((outs, touts))
}

fn unbound(v: u32) -> TransformError {
    TransformError::Ir(hvp_ir::IrError::Verify {
        index: 0,
        reason: format!("%{v} is used before it is bound"),
        window: String::new(),
    })
}

/// `t * coef`, passing a symbolic zero through.
fn scale(b: &mut GraphBuilder, t: Option<Atom>, coef: Atom) -> R {
    t.map(|t| b.mul(t, coef)).transpose().map_err(Into::into)
}

/// `a + b` over optional (symbolically zero) tangents.
fn add_opt(b: &mut GraphBuilder, x: Option<Atom>, y: Option<Atom>) -> R {
    Ok(match (x, y) {
        (Some(x), Some(y)) => Some(b.add2(x, y)?),
        (x, None) => x,
        (None, y) => y,
    })
}

/// A tangent, or explicit zeros shaped like `like` where it is symbolic.
fn materialize(b: &mut GraphBuilder, t: Option<Atom>, like: Atom) -> Result<Atom, TransformError> {
    match t {
        Some(t) => Ok(t),
        None => {
            let s = b.shape(like).clone();
            Ok(b.zeros(&s)?)
        }
    }
}

/// The JVP rule of `prim` at primal operands `x` with result `y`.
fn jvp_rule(b: &mut GraphBuilder, prim: &Prim, x: &[Atom], y: Atom, t: &[Option<Atom>]) -> R {
    let t0 = t[0];
    match prim {
        Prim::Neg => t0.map(|t| b.neg(t)).transpose().map_err(Into::into),
        Prim::Exp => scale(b, t0, y),
        Prim::Log => match t0 {
            Some(t) => Ok(Some(b.div(t, x[0])?)),
            None => Ok(None),
        },
        Prim::Log1p => match t0 {
            Some(t) => {
                let d = b.add2(x[0], Atom::lit(1.0))?;
                Ok(Some(b.div(t, d)?))
            }
            None => Ok(None),
        },
        Prim::Expm1 => {
            let c = b.add2(y, Atom::lit(1.0))?;
            scale(b, t0, c)
        }
        Prim::Sqrt => match t0 {
            Some(t) => {
                let d = b.mul(y, Atom::lit(2.0))?;
                Ok(Some(b.div(t, d)?))
            }
            None => Ok(None),
        },
        Prim::Sin => {
            let c = b.unary(Prim::Cos, x[0])?;
            scale(b, t0, c)
        }
        Prim::Cos => {
            let s = b.unary(Prim::Sin, x[0])?;
            let c = b.neg(s)?;
            scale(b, t0, c)
        }
        Prim::Tan => {
            let y2 = b.mul(y, y)?;
            let c = b.add2(y2, Atom::lit(1.0))?;
            scale(b, t0, c)
        }
        Prim::Atan => match t0 {
            Some(t) => {
                let x2 = b.mul(x[0], x[0])?;
                let d = b.add2(x2, Atom::lit(1.0))?;
                Ok(Some(b.div(t, d)?))
            }
            None => Ok(None),
        },
        Prim::Tanh => {
            let y2 = b.mul(y, y)?;
            let c = b.sub(Atom::lit(1.0), y2)?;
            scale(b, t0, c)
        }
        Prim::Abs => {
            let c = b.unary(Prim::Sign, x[0])?;
            scale(b, t0, c)
        }
        Prim::Sign | Prim::StopGradient | Prim::Compare(_) => Ok(None),
        Prim::IntPow(n) => {
            let n = *n;
            if n == 0 {
                return Ok(None);
            }
            let p = b.unary(Prim::IntPow(n - 1), x[0])?;
            let c = b.mul(p, Atom::lit(f64::from(n)))?;
            scale(b, t0, c)
        }
        Prim::Add => add_opt(b, t[0], t[1]),
        Prim::Sub => {
            let tb = t[1].map(|t| b.neg(t)).transpose()?;
            add_opt(b, t[0], tb)
        }
        Prim::Mul => {
            let ta = scale(b, t[0], x[1])?;
            let tb = scale(b, t[1], x[0])?;
            add_opt(b, ta, tb)
        }
        Prim::Div => {
            // d(a/b) = (da - y db) / b
            let tb = match t[1] {
                Some(tb) => {
                    let p = b.mul(tb, y)?;
                    Some(b.neg(p)?)
                }
                None => None,
            };
            match add_opt(b, t[0], tb)? {
                Some(n) => Ok(Some(b.div(n, x[1])?)),
                None => Ok(None),
            }
        }
        Prim::Pow => {
            // d(a^b) = b a^(b-1) da + ln(a) a^b db, with ln(0) read as 0 so
            // that 0^b (b > 0) has a finite derivative in b, as in JAX.
            let ta = match t[0] {
                Some(ta) => {
                    let bm1 = b.sub(x[1], Atom::lit(1.0))?;
                    let p = b.binary(Prim::Pow, x[0], bm1)?;
                    let c = b.mul(p, x[1])?;
                    Some(b.mul(ta, c)?)
                }
                None => None,
            };
            let tb = match t[1] {
                Some(tb) => {
                    let is0 = b.compare(CmpOp::Eq, x[0], Atom::lit(0.0))?;
                    let safe = b.select(is0, Atom::lit(1.0), x[0])?;
                    let l = b.unary(Prim::Log, safe)?;
                    let c = b.mul(l, y)?;
                    Some(b.mul(tb, c)?)
                }
                None => None,
            };
            add_opt(b, ta, tb)
        }
        Prim::Max | Prim::Min => {
            // Ties split the derivative evenly, as JAX does.
            let op = if matches!(prim, Prim::Max) {
                CmpOp::Gt
            } else {
                CmpOp::Lt
            };
            let wins = b.compare(op, x[0], x[1])?;
            let ties = b.compare(CmpOp::Eq, x[0], x[1])?;
            let half = b.mul(ties, Atom::lit(0.5))?;
            let wa = b.add2(wins, half)?;
            let wb = b.sub(Atom::lit(1.0), wa)?;
            let ta = scale(b, t[0], wa)?;
            let tb = scale(b, t[1], wb)?;
            add_opt(b, ta, tb)
        }
        Prim::Select => {
            if t[1].is_none() && t[2].is_none() {
                return Ok(None);
            }
            let ta = t[1].unwrap_or(Atom::lit(0.0));
            let tb = t[2].unwrap_or(Atom::lit(0.0));
            Ok(Some(b.select(x[0], ta, tb)?))
        }
        Prim::ReduceSum { .. } => same_linear(b, prim, t0),
        Prim::ReduceMax { axes } => match t0 {
            Some(t) => {
                // The tangent is the mean of the tangents at the maximizers.
                let xs = b.shape(x[0]).clone();
                let kept: Vec<usize> = (0..xs.rank()).filter(|i| !axes.contains(i)).collect();
                let yb = b.broadcast_in_dim(y, &xs, &kept)?;
                let mask = b.compare(CmpOp::Eq, x[0], yb)?;
                let tm = b.mul(t, mask)?;
                let num = b.reduce_sum(tm, axes)?;
                let den = b.reduce_sum(mask, axes)?;
                Ok(Some(b.div(num, den)?))
            }
            None => Ok(None),
        },
        Prim::Reshape { .. }
        | Prim::Transpose { .. }
        | Prim::BroadcastInDim { .. }
        | Prim::Slice { .. }
        | Prim::Pad { .. } => same_linear(b, prim, t0),
        Prim::Concat { .. } => {
            let parts: Vec<Atom> = t
                .iter()
                .zip(x)
                .map(|(&ti, &xi)| materialize(b, ti, xi))
                .collect::<Result<_, _>>()?;
            Ok(Some(b.add(prim.clone(), &parts)?))
        }
        Prim::TakeAlongAxis { .. } | Prim::ScatterAddAlongAxis { .. } => match t0 {
            // The indices are integers: their tangent never contributes.
            Some(t) => Ok(Some(b.add(prim.clone(), &[t, x[1]])?)),
            None => Ok(None),
        },
        Prim::MatMul { .. } => {
            let ta = match t[0] {
                Some(ta) => Some(b.add(prim.clone(), &[ta, x[1]])?),
                None => None,
            };
            let tb = match t[1] {
                Some(tb) => Some(b.add(prim.clone(), &[x[0], tb])?),
                None => None,
            };
            add_opt(b, ta, tb)
        }
    }
}

/// For a primitive linear in its single operand: apply it to the tangent.
fn same_linear(b: &mut GraphBuilder, prim: &Prim, t: Option<Atom>) -> R {
    match t {
        Some(t) => Ok(Some(b.add(prim.clone(), &[t])?)),
        None => Ok(None),
    }
}
