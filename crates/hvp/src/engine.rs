//! Compiled programs with their reusable workspaces.

use crate::Result;
use hvp_ir::Graph;
use hvp_tensor::Float;

/// One derived program compiled for one dtype.
pub(crate) struct Compiled<T> {
    graph: Graph,
    _marker: std::marker::PhantomData<fn() -> T>,
}

impl<T: Float> Compiled<T> {
    pub(crate) fn new(graph: &Graph, _check_finite: bool) -> Result<Self> {
        Ok(Compiled {
            graph: graph.clone().with_dtype(T::DTYPE),
            _marker: std::marker::PhantomData,
        })
    }

    /// Runs the program, writing each output into its buffer.
    pub(crate) fn run(&self, inputs: &[&[T]], outputs: &mut [&mut [T]]) -> Result<()> {
        let outs = hvp_exec::eval_reference(&self.graph, inputs)?;
        for (o, v) in outputs.iter_mut().zip(outs) {
            o.copy_from_slice(&v);
        }
        Ok(())
    }

    pub(crate) fn graph(&self) -> &Graph {
        &self.graph
    }
}
