//! Batching (`vmap`): run a graph on `k` inputs at once along a new leading
//! axis, so matrix-vector work becomes matrix-matrix work.

use crate::TransformError;
use hvp_ir::{Atom, Graph, GraphBuilder, IrError, Prim};

/// A value in the batched graph: its atom and whether it carries the
/// leading batch axis.
#[derive(Clone, Copy)]
struct Val {
    atom: Atom,
    batched: bool,
}

/// Batches `graph` over a new leading axis of size `k` for the inputs marked
/// in `batched`.
///
/// The result takes each marked input with shape `[k, ...]` (the others
/// unchanged) and returns every output with shape `[k, ...]`; row `i` of an
/// output is the original graph applied to row `i` of the batched inputs.
///
/// ```
/// use hvp_ir::{GraphBuilder, DType, Shape};
/// // y = A x batched over x: one matrix-matrix product for k vectors.
/// let mut b = GraphBuilder::new(DType::F64);
/// let a = b.input(Shape::from([3, 4]));
/// let x = b.input(Shape::from([4, 1]));
/// let y = b.matmul(a.into(), x.into(), false, false).unwrap();
/// let g = b.finish(vec![y]);
/// let bg = hvp_transforms::batch(&g, &[false, true], 8).unwrap();
/// assert_eq!(bg.input_shapes()[1], Shape::from([8, 4, 1]));
/// assert_eq!(bg.output_shapes()[0], Shape::from([8, 3, 1]));
/// ```
pub fn batch(graph: &Graph, batched: &[bool], k: usize) -> Result<Graph, TransformError> {
    if batched.len() != graph.inputs.len() {
        return Err(TransformError::MaskLength {
            what: "batch",
            expected: graph.inputs.len(),
            got: batched.len(),
        });
    }
    let mut b = GraphBuilder::new(graph.dtype);
    let mut env: Vec<Option<Val>> = vec![None; graph.vars.len()];
    for (v, &bt) in graph.inputs.iter().zip(batched) {
        let mut shape = graph.vars[v.index()].to_vec();
        if bt {
            shape.insert(0, k);
        }
        let atom = b.input(shape.as_slice().into()).into();
        env[v.index()] = Some(Val { atom, batched: bt });
    }
    let read = |env: &[Option<Val>], a: Atom| match a {
        Atom::Var(v) => env[v.index()].ok_or_else(|| {
            TransformError::Ir(IrError::Verify {
                index: 0,
                reason: format!("%{} is used before it is bound", v.0),
                window: String::new(),
            })
        }),
        lit => Ok(Val {
            atom: lit,
            batched: false,
        }),
    };
    for e in &graph.eqns {
        let ins: Vec<Val> = e
            .inputs
            .iter()
            .map(|&a| read(&env, a))
            .collect::<Result<_, _>>()?;
        let out = if ins.iter().any(|v| v.batched) {
            Val {
                atom: batch_rule(&mut b, &e.prim, &ins, k)?,
                batched: true,
            }
        } else {
            let atoms: Vec<Atom> = ins.iter().map(|v| v.atom).collect();
            Val {
                atom: b.add(e.prim.clone(), &atoms)?,
                batched: false,
            }
        };
        env[e.out.index()] = Some(out);
    }
    let mut outs = Vec::new();
    for &o in &graph.outputs {
        let v = read(&env, o)?;
        outs.push(if v.batched {
            v.atom
        } else {
            lift(&mut b, v.atom, k)?
        });
    }
    crate::dce::checked(b.finish(outs))
}

/// Broadcasts an unbatched value along a new leading axis of size `k`.
fn lift(b: &mut GraphBuilder, a: Atom, k: usize) -> Result<Atom, IrError> {
    let s = b.shape(a).clone();
    let mut shape = vec![k];
    shape.extend_from_slice(&s);
    let dims: Vec<usize> = (1..=s.rank()).collect();
    b.broadcast_in_dim(a, &shape, &dims)
}

/// Every operand batched (literals stay scalars for elementwise use).
fn all_batched(
    b: &mut GraphBuilder,
    ins: &[Val],
    k: usize,
    keep_lits: bool,
) -> Result<Vec<Atom>, IrError> {
    ins.iter()
        .map(|v| match (v.batched, v.atom) {
            (true, a) => Ok(a),
            (false, Atom::Lit(_)) if keep_lits => Ok(v.atom),
            (false, a) => lift(b, a, k),
        })
        .collect()
}

fn shift(axes: &[usize]) -> Vec<usize> {
    axes.iter().map(|&a| a + 1).collect()
}

fn prepend<T: Copy>(first: T, rest: &[T]) -> Vec<T> {
    let mut v = vec![first];
    v.extend_from_slice(rest);
    v
}

/// The batching rule of `prim` when at least one operand is batched.
fn batch_rule(
    b: &mut GraphBuilder,
    prim: &Prim,
    ins: &[Val],
    k: usize,
) -> Result<Atom, TransformError> {
    let x0 = ins[0].atom;
    let out = match prim {
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
        | Prim::StopGradient
        | Prim::Add
        | Prim::Sub
        | Prim::Mul
        | Prim::Div
        | Prim::Pow
        | Prim::Max
        | Prim::Min
        | Prim::Compare(_)
        | Prim::Select => {
            let atoms = all_batched(b, ins, k, true)?;
            b.add(prim.clone(), &atoms)?
        }
        Prim::ReduceSum { axes } => b.add(Prim::ReduceSum { axes: shift(axes) }, &[x0])?,
        Prim::ReduceMax { axes } => b.add(Prim::ReduceMax { axes: shift(axes) }, &[x0])?,
        Prim::Reshape { shape } => b.reshape(x0, &prepend(k, shape))?,
        Prim::Transpose { perm } => b.transpose(x0, &prepend(0, &shift(perm)))?,
        Prim::BroadcastInDim { shape, dims } => {
            b.broadcast_in_dim(x0, &prepend(k, shape), &prepend(0, &shift(dims)))?
        }
        Prim::Slice {
            start,
            limit,
            stride,
        } => b.slice(
            x0,
            &prepend(0, start),
            &prepend(k, limit),
            &prepend(1, stride),
        )?,
        Prim::Pad {
            low,
            high,
            interior,
        } => b.pad(
            x0,
            &prepend(0, low),
            &prepend(0, high),
            &prepend(0, interior),
        )?,
        Prim::Concat { axis } => {
            let atoms = all_batched(b, ins, k, false)?;
            b.concat(&atoms, axis + 1)?
        }
        Prim::TakeAlongAxis { axis } => {
            let atoms = all_batched(b, ins, k, false)?;
            b.add(Prim::TakeAlongAxis { axis: axis + 1 }, &atoms)?
        }
        Prim::ScatterAddAlongAxis { axis, size } => {
            let atoms = all_batched(b, ins, k, false)?;
            b.add(
                Prim::ScatterAddAlongAxis {
                    axis: axis + 1,
                    size: *size,
                },
                &atoms,
            )?
        }
        Prim::MatMul {
            transpose_lhs,
            transpose_rhs,
        } => batch_matmul(b, ins, k, *transpose_lhs, *transpose_rhs)?,
    };
    Ok(out)
}

/// Batched matrix products. When only the left operand is batched and the
/// right one has no batch axes, the batch folds into the rows of one large
/// product (`[k·m, p] × [p, n]`); likewise a batched right operand stored
/// transposed folds into the rows of the transposed product. Otherwise the
/// unbatched operand is broadcast and the product runs per batch element.
fn batch_matmul(
    b: &mut GraphBuilder,
    ins: &[Val],
    k: usize,
    ta: bool,
    tb: bool,
) -> Result<Atom, IrError> {
    let (l, r) = (ins[0], ins[1]);
    let rank_l = b.shape(l.atom).rank();
    let rank_r = b.shape(r.atom).rank();
    // Left batched, right a plain matrix: [k, m, p] -> [k m, p].
    if l.batched && !r.batched && !ta && rank_l == 3 && rank_r == 2 {
        let s = b.shape(l.atom).clone();
        let flat = b.reshape(l.atom, &[s[0] * s[1], s[2]])?;
        let y = b.matmul(flat, r.atom, false, tb)?;
        let n = b.shape(y)[1];
        return b.reshape(y, &[s[0], s[1], n]);
    }
    // Otherwise the plain operand is broadcast over the batch, which the
    // executor reads in place (batch stride zero), not copied. (Folding a
    // batched right operand into rows through `(A Bᵀ)ᵀ = B Aᵀ` would leave a
    // transpose to materialize.)
    let atoms = all_batched(b, ins, k, false)?;
    b.matmul(atoms[0], atoms[1], ta, tb)
}
