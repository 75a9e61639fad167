//! Running hvp graphs: a compiled [`Plan`] and the reference evaluator.
//!
//! [`Plan::compile`] turns a verified [`hvp_ir::Graph`] into a schedule of
//! steps: maximal groups of elementwise equations (with the slices, pads and
//! concatenations between them) fused into one chunked loop, and calls to
//! the kernels of `hvp-tensor` for everything else, with
//! intermediate values packed into a few reusable buffers by liveness. A
//! [`Workspace`] holds those buffers so that [`Plan::run`] does not allocate.
//! [`eval_reference`] is the slow, plain-loop oracle the plan is tested
//! against.
//!

mod error;
pub mod plan;
mod reference;

pub use error::ExecError;
pub use plan::{Plan, PlanStats, StepKind, StepTiming, Workspace};
pub use reference::eval_reference;

use hvp_ir::Graph;
use hvp_tensor::{DType, Float};

/// Checks the dtype, the number of inputs and their lengths against `graph`.
fn validate_call<T: Float>(graph: &Graph, dtype: DType, inputs: &[&[T]]) -> Result<(), ExecError> {
    if graph.dtype != dtype {
        return Err(ExecError::DTypeMismatch {
            graph: graph.dtype,
            requested: dtype,
        });
    }
    if inputs.len() != graph.inputs.len() {
        return Err(ExecError::InputCount {
            expected: graph.inputs.len(),
            got: inputs.len(),
        });
    }
    for (index, (&v, x)) in graph.inputs.iter().zip(inputs).enumerate() {
        let shape = &graph.vars[v.index()];
        if x.len() != shape.numel() {
            return Err(ExecError::InputLength {
                index,
                shape: shape.clone(),
                got: x.len(),
            });
        }
    }
    Ok(())
}
