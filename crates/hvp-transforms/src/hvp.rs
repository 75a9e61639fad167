//! Hessian-vector products as graphs, in every AD mode.

use crate::{grad, jvp, value_and_grad, TransformError};
use hvp_ir::{Atom, Graph, GraphBuilder};

/// How an HVP graph nests the two derivatives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HvpMode {
    /// `jvp(grad f)`: Pearlmutter's method, the default; memory close to a
    /// gradient's.
    ForwardOverReverse,
    /// `grad(x ↦ ⟨∇f(x), v⟩)` through `jvp`: `grad(jvp f)`.
    ReverseOverForward,
    /// `grad(x ↦ ⟨∇f(x), v⟩)` through `grad`: reverse mode twice.
    ReverseOverReverse,
}

impl HvpMode {
    /// All AD modes.
    pub const ALL: [HvpMode; 3] = [
        HvpMode::ForwardOverReverse,
        HvpMode::ReverseOverForward,
        HvpMode::ReverseOverReverse,
    ];
}

fn wrt_mask(graph: &Graph, wrt: &[bool]) -> Result<(), TransformError> {
    if wrt.len() == graph.inputs.len() {
        Ok(())
    } else {
        Err(TransformError::MaskLength {
            what: "hvp",
            expected: graph.inputs.len(),
            got: wrt.len(),
        })
    }
}

/// Keeps only the outputs in `range` and removes the code nothing needs.
fn keep_outputs(mut g: Graph, range: std::ops::Range<usize>) -> Graph {
    g.outputs = g.outputs[range].to_vec();
    crate::dce(&g)
}

/// `(x..., v...) -> ⟨g(x), v⟩` where `g` returns one value per `v`.
fn pair_with_directions(g: &Graph, wrt: &[bool]) -> Result<(Graph, usize), TransformError> {
    let mut b = GraphBuilder::new(g.dtype);
    let xs: Vec<Atom> = g
        .inputs
        .iter()
        .map(|v| b.input(g.vars[v.index()].clone()).into())
        .collect();
    let vs: Vec<Atom> = g
        .outputs
        .iter()
        .map(|&o| b.input(g.shape_of(o)).into())
        .collect();
    let gs = b.inline(g, &xs)?;
    let mut total = Atom::lit(0.0);
    for (gi, vi) in gs.into_iter().zip(vs) {
        let p = b.mul(gi, vi)?;
        let s = b.sum_all(p)?;
        total = b.add2(total, s)?;
    }
    debug_assert_eq!(wrt.iter().filter(|&&w| w).count(), g.outputs.len());
    Ok((b.finish(vec![total]), g.inputs.len()))
}

/// The Hessian-vector product of the scalar function `f` with respect to the
/// inputs marked in `wrt`.
///
/// The graph takes all inputs of `f` followed by one direction per marked
/// input and returns `H v` split the same way. Every mode gives the same
/// values up to rounding.
pub fn hvp_graph(f: &Graph, wrt: &[bool], mode: HvpMode) -> Result<Graph, TransformError> {
    wrt_mask(f, wrt)?;
    let n_wrt = wrt.iter().filter(|&&w| w).count();
    match mode {
        HvpMode::ForwardOverReverse => {
            let g = grad(f, wrt)?;
            let j = jvp(&g, wrt)?;
            Ok(keep_outputs(j, n_wrt..2 * n_wrt))
        }
        HvpMode::ReverseOverForward => {
            let j = jvp(f, wrt)?;
            let phi = keep_outputs(j, 1..2);
            let mut mask = wrt.to_vec();
            mask.extend(std::iter::repeat_n(false, n_wrt));
            grad(&phi, &mask)
        }
        HvpMode::ReverseOverReverse => {
            let g = grad(f, wrt)?;
            let (phi, n_x) = pair_with_directions(&g, wrt)?;
            let mut mask = wrt.to_vec();
            mask.extend(std::iter::repeat_n(false, phi.inputs.len() - n_x));
            grad(&phi, &mask)
        }
    }
}

/// `(x..., v...) -> (f(x), ∇f(x)..., H v...)` in one forward-over-reverse
/// pass: the gradient comes for free with the product.
pub fn gradient_and_hvp_graph(f: &Graph, wrt: &[bool]) -> Result<Graph, TransformError> {
    wrt_mask(f, wrt)?;
    let n_wrt = wrt.iter().filter(|&&w| w).count();
    let vg = value_and_grad(f, wrt)?;
    let mut j = jvp(&vg, wrt)?;
    // jvp outputs: value, grads, d value, H v; drop d value.
    j.outputs.remove(1 + n_wrt);
    crate::dce::checked(j)
}

/// `(x..., v...) -> vᵀ H v`, the curvature of `f` along `v`.
pub fn vhv_graph(f: &Graph, wrt: &[bool]) -> Result<Graph, TransformError> {
    let h = hvp_graph(f, wrt, HvpMode::ForwardOverReverse)?;
    let mut b = GraphBuilder::new(h.dtype);
    let ins: Vec<Atom> = h
        .inputs
        .iter()
        .map(|v| b.input(h.vars[v.index()].clone()).into())
        .collect();
    let hv = b.inline(&h, &ins)?;
    let vs = &ins[f.inputs.len()..];
    let mut total = Atom::lit(0.0);
    for (&hvi, &vi) in hv.iter().zip(vs) {
        let p = b.mul(hvi, vi)?;
        let s = b.sum_all(p)?;
        total = b.add2(total, s)?;
    }
    crate::dce::checked(b.finish(vec![total]))
}
