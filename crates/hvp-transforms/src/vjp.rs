//! Reverse mode as a composition: `vjp = transpose ∘ linearize ∘ jvp`.

use crate::{linearize, transpose, TransformError};
use hvp_ir::{Atom, Graph, GraphBuilder};

/// Emits `vjp` of `graph` into `b`: returns the outputs and, for each input
/// marked in `wrt`, the cotangent given the output cotangents `cts`.
pub(crate) fn vjp_into(
    b: &mut GraphBuilder,
    graph: &Graph,
    wrt: &[bool],
    primals: &[Atom],
    cts: &[Atom],
) -> Result<(Vec<Atom>, Vec<Atom>), TransformError> {
    let lin = linearize(graph, wrt)?;
    let n_wrt = wrt.iter().filter(|&&w| w).count();
    let mut linear = vec![false; primals.len() + lin.num_residuals];
    linear.extend(std::iter::repeat_n(true, n_wrt));
    let back = transpose(&lin.tangent, &linear)?;
    let p = b.inline(&lin.primal, primals)?;
    let (outs, res) = p.split_at(lin.num_outputs);
    let mut args = primals.to_vec();
    args.extend_from_slice(res);
    args.extend_from_slice(cts);
    let grads = b.inline(&back, &args)?;
    Ok((outs.to_vec(), grads))
}

fn check_mask(graph: &Graph, wrt: &[bool], what: &'static str) -> Result<(), TransformError> {
    if wrt.len() == graph.inputs.len() {
        Ok(())
    } else {
        Err(TransformError::MaskLength {
            what,
            expected: graph.inputs.len(),
            got: wrt.len(),
        })
    }
}

fn new_builder(graph: &Graph) -> (GraphBuilder, Vec<Atom>) {
    let mut b = GraphBuilder::new(graph.dtype);
    let xs = graph
        .inputs
        .iter()
        .map(|v| b.input(graph.vars[v.index()].clone()).into())
        .collect();
    (b, xs)
}

/// The vector-Jacobian product: a graph taking the inputs followed by one
/// cotangent per output, returning the outputs followed by the cotangent of
/// each input marked in `wrt`.
///
/// ```
/// use hvp_ir::{GraphBuilder, DType, Shape, Prim};
/// let mut b = GraphBuilder::new(DType::F64);
/// let x = b.input(Shape::from([3]));
/// let y = b.unary(Prim::Exp, x.into()).unwrap();
/// let v = hvp_transforms::vjp(&b.finish(vec![y]), &[true]).unwrap();
/// assert_eq!((v.inputs.len(), v.outputs.len()), (2, 2));
/// ```
pub fn vjp(graph: &Graph, wrt: &[bool]) -> Result<Graph, TransformError> {
    check_mask(graph, wrt, "vjp")?;
    let (mut b, xs) = new_builder(graph);
    let cts: Vec<Atom> = graph
        .outputs
        .iter()
        .map(|&o| b.input(graph.shape_of(o)).into())
        .collect();
    let (mut outs, grads) = vjp_into(&mut b, graph, wrt, &xs, &cts)?;
    outs.extend(grads);
    crate::dce::checked(b.finish(outs))
}

fn scalar_check(graph: &Graph) -> Result<(), TransformError> {
    let shapes = graph.output_shapes();
    if shapes.len() == 1 && shapes[0].rank() == 0 {
        Ok(())
    } else {
        Err(TransformError::NotScalar { shapes })
    }
}

/// The gradient of a scalar function with respect to the inputs marked in
/// `wrt`: a graph with the same inputs returning one gradient per marked
/// input.
pub fn grad(graph: &Graph, wrt: &[bool]) -> Result<Graph, TransformError> {
    let g = value_and_grad(graph, wrt)?;
    let mut g = g;
    g.outputs.remove(0);
    Ok(crate::dce(&g))
}

/// Like [`grad`], returning the value first and then the gradients.
pub fn value_and_grad(graph: &Graph, wrt: &[bool]) -> Result<Graph, TransformError> {
    check_mask(graph, wrt, "grad")?;
    scalar_check(graph)?;
    let (mut b, xs) = new_builder(graph);
    let (mut outs, grads) = vjp_into(&mut b, graph, wrt, &xs, &[Atom::lit(1.0)])?;
    outs.extend(grads);
    crate::dce::checked(b.finish(outs))
}
