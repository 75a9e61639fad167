//! Graph invariants.

use crate::{infer_shape, Atom, Graph, IrError};

/// Checks that `graph` is well formed: every variable bound exactly once,
/// bound before use, and every recorded shape equal to what inference gives.
/// Errors carry the equations around the offending one.
///
/// ```
/// use hvp_ir::{parse, verify};
/// let g = parse("graph f64 (%0: [2]) {\n  %1: [2] = sin %0\n  return %1\n}").unwrap();
/// verify(&g).unwrap();
/// ```
pub fn verify(graph: &Graph) -> Result<(), IrError> {
    let n = graph.vars.len();
    let mut bound = vec![false; n];
    let fail = |index: usize, reason: String| IrError::Verify {
        index,
        reason,
        window: window(graph, index),
    };
    for &v in &graph.inputs {
        if v.index() >= n || bound[v.index()] {
            return Err(fail(
                0,
                format!("input %{} is out of range or bound twice", v.0),
            ));
        }
        bound[v.index()] = true;
    }
    let check = |bound: &[bool], a: Atom| match a {
        Atom::Var(v) => v.index() < n && bound[v.index()],
        Atom::Lit(_) => true,
    };
    for (i, e) in graph.eqns.iter().enumerate() {
        for &a in &e.inputs {
            if !check(&bound, a) {
                return Err(fail(i, format!("operand {a:?} is used before it is bound")));
            }
        }
        let shapes: Vec<_> = e.inputs.iter().map(|&a| graph.shape_of(a)).collect();
        let is_lit: Vec<bool> = e.inputs.iter().map(|a| matches!(a, Atom::Lit(_))).collect();
        let inferred =
            infer_shape(&e.prim, &shapes, &is_lit).map_err(|err| fail(i, err.to_string()))?;
        if e.out.index() >= n || bound[e.out.index()] {
            return Err(fail(
                i,
                format!("%{} is out of range or bound twice", e.out.0),
            ));
        }
        if graph.vars[e.out.index()] != inferred {
            return Err(fail(
                i,
                format!(
                    "%{} is recorded as {} but {} gives {}",
                    e.out.0,
                    graph.vars[e.out.index()],
                    e.prim.name(),
                    inferred
                ),
            ));
        }
        bound[e.out.index()] = true;
    }
    for &a in &graph.outputs {
        if !check(&bound, a) {
            return Err(fail(
                graph.eqns.len(),
                format!("output {a:?} is never bound"),
            ));
        }
    }
    Ok(())
}

/// The text of the equations within 3 of `index`, marking `index`.
fn window(graph: &Graph, index: usize) -> String {
    let lo = index.saturating_sub(3);
    let hi = (index + 4).min(graph.eqns.len());
    let mut s = String::new();
    for i in lo..hi {
        let mark = if i == index { ">>" } else { "  " };
        s.push_str(&format!(
            "{mark} {i:>5}: {}\n",
            crate::text::eqn_to_string(graph, &graph.eqns[i])
        ));
    }
    s
}
