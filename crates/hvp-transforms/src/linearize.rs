//! Partial evaluation of a JVP into a primal part and a linear tangent part,
//! deciding per residual whether to keep it or recompute it.

use crate::{jvp, TransformError};
use hvp_ir::{Atom, Graph, GraphBuilder, Prim, Var};

/// A function split at a point: `primal` runs once and returns the outputs
/// and the kept residuals; `tangent` is linear in its tangent inputs and
/// runs once per tangent.
#[derive(Clone, Debug)]
pub struct Linearized {
    /// `x -> (y..., residuals...)`.
    pub primal: Graph,
    /// `(x..., residuals..., x_dot for each differentiated input...) ->
    /// y_dot...`, linear in the `x_dot` inputs. It takes the primal inputs
    /// too, so values that are cheap to recompute from them are not stored.
    pub tangent: Graph,
    /// Number of outputs of the original function.
    pub num_outputs: usize,
    /// Number of residuals passed from `primal` to `tangent`.
    pub num_residuals: usize,
}

/// Which values the tangent program recomputes instead of reading them from
/// memory kept since the primal pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ResidualPolicy {
    /// Recompute a residual when everything it depends on back to the inputs
    /// is cheap elementwise or layout work (no transcendental, reduction or
    /// matrix product); keep the rest. Memory stays close to the inputs' and
    /// the tangent program reads fewer arrays.
    #[default]
    RecomputeCheap,
    /// Keep every residual (what JAX's `linearize` does).
    KeepAll,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Depends on no input.
    Const,
    /// Depends on primal inputs only: runs once.
    Known,
    /// Depends on a tangent: runs per tangent.
    Unknown,
}

/// Whether recomputing `prim` costs about as much as reading its result
/// from memory. Transcendentals, reductions, gathers and matrix products
/// are worth keeping.
fn cheap(prim: &Prim) -> bool {
    match prim {
        Prim::Neg
        | Prim::Abs
        | Prim::Sign
        | Prim::IntPow(_)
        | Prim::StopGradient
        | Prim::Add
        | Prim::Sub
        | Prim::Mul
        | Prim::Div
        | Prim::Max
        | Prim::Min
        | Prim::Compare(_)
        | Prim::Select
        | Prim::Reshape { .. }
        | Prim::BroadcastInDim { .. }
        | Prim::Slice { .. }
        | Prim::Pad { .. }
        | Prim::Concat { .. } => true,
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
        | Prim::Pow
        | Prim::ReduceSum { .. }
        | Prim::ReduceMax { .. }
        | Prim::Transpose { .. }
        | Prim::TakeAlongAxis { .. }
        | Prim::ScatterAddAlongAxis { .. }
        | Prim::MatMul { .. } => false,
    }
}

/// Linearizes `graph` with respect to the inputs marked in `wrt`, with the
/// default [`ResidualPolicy`].
///
/// ```
/// use hvp_ir::{GraphBuilder, DType, Shape, Prim};
/// let mut b = GraphBuilder::new(DType::F64);
/// let x = b.input(Shape::from([3]));
/// let y = b.unary(Prim::Sin, x.into()).unwrap();
/// let lin = hvp_transforms::linearize(&b.finish(vec![y]), &[true]).unwrap();
/// // The tangent program multiplies by cos(x), computed once in the primal
/// // part and kept: a transcendental is worth keeping.
/// assert_eq!(lin.num_residuals, 1);
/// assert_eq!(lin.tangent.eqns.len(), 1);
/// ```
pub fn linearize(graph: &Graph, wrt: &[bool]) -> Result<Linearized, TransformError> {
    linearize_with(graph, wrt, ResidualPolicy::default())
}

/// [`linearize`] with an explicit residual policy.
pub fn linearize_with(
    graph: &Graph,
    wrt: &[bool],
    policy: ResidualPolicy,
) -> Result<Linearized, TransformError> {
    let j = jvp(graph, wrt)?;
    let n_in = graph.inputs.len();
    let n_out = graph.outputs.len();
    let mut stage = vec![Stage::Const; j.vars.len()];
    // Values the tangent program can rebuild from the inputs cheaply.
    let mut recomputable = vec![false; j.vars.len()];
    for (i, v) in j.inputs.iter().enumerate() {
        stage[v.index()] = if i < n_in {
            Stage::Known
        } else {
            Stage::Unknown
        };
        recomputable[v.index()] = i < n_in;
    }
    let atom_stage = |stage: &[Stage], a: Atom| match a {
        Atom::Var(v) => stage[v.index()],
        Atom::Lit(_) => Stage::Const,
    };
    let join = |a: Stage, b: Stage| match (a, b) {
        (Stage::Unknown, _) | (_, Stage::Unknown) => Stage::Unknown,
        (Stage::Known, _) | (_, Stage::Known) => Stage::Known,
        _ => Stage::Const,
    };
    for e in &j.eqns {
        let s = e
            .inputs
            .iter()
            .fold(Stage::Const, |acc, &a| join(acc, atom_stage(&stage, a)));
        stage[e.out.index()] = s;
        recomputable[e.out.index()] = policy == ResidualPolicy::RecomputeCheap
            && s != Stage::Unknown
            && cheap(&e.prim)
            && e.inputs
                .iter()
                .all(|a| a.as_var().is_none_or(|v| recomputable[v.index()]));
    }

    // Residuals: values computed once that the tangent side reads and does
    // not recompute.
    let mut is_residual = vec![false; j.vars.len()];
    let mut residuals: Vec<Var> = Vec::new();
    let mut note = |a: Atom, is_residual: &mut Vec<bool>| {
        if let Atom::Var(v) = a {
            if stage[v.index()] == Stage::Known
                && !recomputable[v.index()]
                && !is_residual[v.index()]
            {
                is_residual[v.index()] = true;
                residuals.push(v);
            }
        }
    };
    for e in j
        .eqns
        .iter()
        .filter(|e| stage[e.out.index()] == Stage::Unknown)
    {
        for &a in &e.inputs {
            note(a, &mut is_residual);
        }
    }
    for &a in &j.outputs[n_out..] {
        note(a, &mut is_residual);
    }

    // Tangent program: inputs, residuals and tangents in; constants and
    // cheap values recomputed.
    let mut t = GraphBuilder::new(graph.dtype);
    let mut tenv: Vec<Option<Atom>> = vec![None; j.vars.len()];
    for v in &j.inputs[..n_in] {
        tenv[v.index()] = Some(t.input(j.vars[v.index()].clone()).into());
    }
    let residual_inputs: Vec<Var> = residuals
        .iter()
        .map(|&v| {
            let r = t.input(j.vars[v.index()].clone());
            tenv[v.index()] = Some(r.into());
            r
        })
        .collect();
    for v in &j.inputs[n_in..] {
        tenv[v.index()] = Some(t.input(j.vars[v.index()].clone()).into());
    }
    for e in &j.eqns {
        let s = stage[e.out.index()];
        let emit = match s {
            Stage::Unknown | Stage::Const => true,
            Stage::Known => recomputable[e.out.index()],
        };
        if !emit || tenv[e.out.index()].is_some() {
            continue;
        }
        let ins: Vec<Atom> = e.inputs.iter().map(|&a| read(&tenv, a)).collect();
        tenv[e.out.index()] = Some(t.add(e.prim.clone(), &ins)?);
    }
    let t_outs: Vec<Atom> = j.outputs[n_out..].iter().map(|&a| read(&tenv, a)).collect();
    let tangent_full = crate::dce(&t.finish(t_outs));

    // Drop residuals the simplified tangent program no longer reads.
    let mut used = vec![false; tangent_full.vars.len()];
    for e in &tangent_full.eqns {
        for a in &e.inputs {
            if let Atom::Var(v) = a {
                used[v.index()] = true;
            }
        }
    }
    for a in &tangent_full.outputs {
        if let Atom::Var(v) = a {
            used[v.index()] = true;
        }
    }
    let keep: Vec<bool> = residual_inputs.iter().map(|r| used[r.index()]).collect();
    let kept: Vec<Var> = residuals
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(&v, _)| v)
        .collect();
    let mut tangent = tangent_full;
    let drop: Vec<Var> = residual_inputs
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| !k)
        .map(|(&r, _)| r)
        .collect();
    tangent.inputs.retain(|v| !drop.contains(v));

    // Primal program: outputs and the kept residuals.
    let mut p = GraphBuilder::new(graph.dtype);
    let mut env: Vec<Option<Atom>> = vec![None; j.vars.len()];
    for v in &j.inputs[..n_in] {
        env[v.index()] = Some(p.input(j.vars[v.index()].clone()).into());
    }
    for e in j
        .eqns
        .iter()
        .filter(|e| stage[e.out.index()] != Stage::Unknown)
    {
        let ins: Vec<Atom> = e.inputs.iter().map(|&a| read(&env, a)).collect();
        env[e.out.index()] = Some(p.add(e.prim.clone(), &ins)?);
    }
    let mut p_outs: Vec<Atom> = j.outputs[..n_out].iter().map(|&a| read(&env, a)).collect();
    p_outs.extend(kept.iter().map(|&v| read(&env, v.into())));
    let primal = crate::dce::checked(p.finish(p_outs))?;
    if cfg!(debug_assertions) {
        hvp_ir::verify(&tangent)?;
    }

    Ok(Linearized {
        primal,
        tangent,
        num_outputs: n_out,
        num_residuals: kept.len(),
    })
}

/// Reads an atom through an environment that is complete by construction
/// (every variable of a stage is bound before the stage reads it).
fn read(env: &[Option<Atom>], a: Atom) -> Atom {
    match a {
        Atom::Var(v) => env[v.index()]
            .unwrap_or_else(|| unreachable!("linearize: %{} read before it was bound", v.0)),
        lit => lit,
    }
}
