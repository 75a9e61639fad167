//! Partial evaluation of a JVP into a primal part and a linear tangent part.

use crate::{jvp, TransformError};
use hvp_ir::{Atom, Graph, GraphBuilder};

/// A function split at a point: `primal` runs once and returns the outputs
/// and the residuals; `tangent` is linear in its tangent inputs and runs once
/// per tangent.
#[derive(Clone, Debug)]
pub struct Linearized {
    /// `x -> (y..., residuals...)`.
    pub primal: Graph,
    /// `(residuals..., x_dot for each differentiated input...) -> y_dot...`,
    /// linear in the `x_dot` inputs.
    pub tangent: Graph,
    /// Number of outputs of the original function.
    pub num_outputs: usize,
    /// Number of residuals passed from `primal` to `tangent`.
    pub num_residuals: usize,
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

/// Linearizes `graph` with respect to the inputs marked in `wrt`.
///
/// ```
/// use hvp_ir::{GraphBuilder, DType, Shape, Prim};
/// let mut b = GraphBuilder::new(DType::F64);
/// let x = b.input(Shape::from([3]));
/// let y = b.unary(Prim::Sin, x.into()).unwrap();
/// let lin = hvp_transforms::linearize(&b.finish(vec![y]), &[true]).unwrap();
/// // The tangent program multiplies by cos(x), computed once in the primal part.
/// assert_eq!(lin.num_residuals, 1);
/// assert_eq!(lin.tangent.eqns.len(), 1);
/// ```
pub fn linearize(graph: &Graph, wrt: &[bool]) -> Result<Linearized, TransformError> {
    let j = jvp(graph, wrt)?;
    let n_in = graph.inputs.len();
    let n_out = graph.outputs.len();
    let mut stage = vec![Stage::Const; j.vars.len()];
    for (i, v) in j.inputs.iter().enumerate() {
        stage[v.index()] = if i < n_in {
            Stage::Known
        } else {
            Stage::Unknown
        };
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
    }

    // Residuals: values computed once that the tangent side reads.
    let mut is_residual = vec![false; j.vars.len()];
    let mut residuals = Vec::new();
    let mut note = |a: Atom, is_residual: &mut Vec<bool>| {
        if let Atom::Var(v) = a {
            if stage[v.index()] == Stage::Known && !is_residual[v.index()] {
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

    // Primal program.
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
    p_outs.extend(residuals.iter().map(|&v| read(&env, v.into())));
    let primal = crate::dce(&p.finish(p_outs));

    // Tangent program: residuals and tangents in, constants recomputed.
    let mut t = GraphBuilder::new(graph.dtype);
    let mut tenv: Vec<Option<Atom>> = vec![None; j.vars.len()];
    for &v in &residuals {
        tenv[v.index()] = Some(t.input(j.vars[v.index()].clone()).into());
    }
    for v in &j.inputs[n_in..] {
        tenv[v.index()] = Some(t.input(j.vars[v.index()].clone()).into());
    }
    for e in &j.eqns {
        let s = stage[e.out.index()];
        if s == Stage::Known {
            continue;
        }
        let ins: Vec<Atom> = e.inputs.iter().map(|&a| read(&tenv, a)).collect();
        tenv[e.out.index()] = Some(t.add(e.prim.clone(), &ins)?);
    }
    let t_outs: Vec<Atom> = j.outputs[n_out..].iter().map(|&a| read(&tenv, a)).collect();
    let tangent = crate::dce(&t.finish(t_outs));

    Ok(Linearized {
        primal,
        tangent,
        num_outputs: n_out,
        num_residuals: residuals.len(),
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
