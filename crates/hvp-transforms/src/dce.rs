//! Dead-code elimination and rebuilding (renumbering, CSE, folding).

use hvp_ir::{Atom, Graph, GraphBuilder, IrError};

/// Removes equations whose results no output needs.
pub fn dce(graph: &Graph) -> Graph {
    let mut live = vec![false; graph.vars.len()];
    for a in &graph.outputs {
        if let Atom::Var(v) = a {
            live[v.index()] = true;
        }
    }
    let mut keep = vec![false; graph.eqns.len()];
    for (i, e) in graph.eqns.iter().enumerate().rev() {
        if live[e.out.index()] {
            keep[i] = true;
            for a in &e.inputs {
                if let Atom::Var(v) = a {
                    live[v.index()] = true;
                }
            }
        }
    }
    let mut g = graph.clone();
    let mut i = 0;
    g.eqns.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    g
}

/// Re-emits `graph` through a [`GraphBuilder`] (dense variable numbering,
/// common subexpressions shared, trivial algebra folded), then removes dead
/// code.
pub fn rebuild(graph: &Graph) -> Result<Graph, IrError> {
    let mut b = GraphBuilder::new(graph.dtype);
    let args: Vec<Atom> = graph
        .inputs
        .iter()
        .map(|v| b.input(graph.vars[v.index()].clone()).into())
        .collect();
    let outs = b.inline(graph, &args)?;
    Ok(dce(&b.finish(outs)))
}

/// Removes dead code and, in debug builds (and so in every test), verifies
/// the result: a transform that emits an ill-formed graph is reported at
/// the transform, not later in an executor.
pub(crate) fn checked(graph: Graph) -> Result<Graph, crate::TransformError> {
    let g = dce(&graph);
    if cfg!(debug_assertions) {
        hvp_ir::verify(&g)?;
    }
    Ok(g)
}
