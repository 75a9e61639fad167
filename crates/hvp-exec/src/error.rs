//! The error type of the executor.

use hvp_ir::{IrError, Var};
use hvp_tensor::{DType, Shape};

/// Why a graph could not be compiled or run.
///
/// Every variant is a plain description of bad input or of a value that
/// cannot be computed; the executor never panics on them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecError {
    /// The number of input buffers differs from the graph's inputs.
    #[error("the program takes {expected} input(s) but {got} were given")]
    InputCount {
        /// Inputs the graph declares.
        expected: usize,
        /// Buffers passed.
        got: usize,
    },
    /// An input buffer has the wrong number of elements.
    #[error(
        "input {index} should have shape {shape} ({} element(s)) but has {got} element(s)",
        shape.numel()
    )]
    InputLength {
        /// Position of the input.
        index: usize,
        /// The shape the graph declares.
        shape: Shape,
        /// Elements in the buffer passed.
        got: usize,
    },
    /// The number of output buffers differs from the graph's outputs.
    #[error("the program returns {expected} output(s) but {got} output buffer(s) were given")]
    OutputCount {
        /// Outputs the graph returns.
        expected: usize,
        /// Buffers passed.
        got: usize,
    },
    /// An output buffer has the wrong number of elements.
    #[error(
        "output {index} has shape {shape} ({} element(s)) but its buffer holds {got} element(s)",
        shape.numel()
    )]
    OutputLength {
        /// Position of the output.
        index: usize,
        /// The output's shape.
        shape: Shape,
        /// Elements in the buffer passed.
        got: usize,
    },
    /// The element type of the buffers differs from the graph's dtype.
    #[error("the program computes in {graph} but was called with {requested} buffers")]
    DTypeMismatch {
        /// The graph's dtype.
        graph: DType,
        /// The dtype of the buffers passed.
        requested: DType,
    },
    /// With finiteness checks on, an equation produced a NaN or an infinity.
    #[error("equation {eqn} ({prim}) produced the non-finite value {value} in %{}", var.0)]
    NonFinite {
        /// Index of the first equation (in execution order) that produced one.
        eqn: usize,
        /// Its primitive's name.
        prim: &'static str,
        /// The variable it binds.
        var: Var,
        /// One offending value.
        value: f64,
    },
    /// An index operand holds a value that is not an integer in range.
    #[error(
        "equation {eqn} ({prim}): index {value} at position {position} is not an integer in 0..{size}"
    )]
    BadIndex {
        /// Index of the equation.
        eqn: usize,
        /// Its primitive's name.
        prim: &'static str,
        /// Flat (row-major) position of the bad element in the index operand.
        position: usize,
        /// The bad value.
        value: f64,
        /// The size of the indexed axis.
        size: usize,
    },
    /// A workspace made by one plan was passed to another.
    #[error("this workspace was made by a different plan; create one with `plan.workspace()`")]
    WorkspaceMismatch,
    /// The graph itself is malformed.
    #[error("invalid graph: {0}")]
    InvalidGraph(#[from] IrError),
}
