//! Errors of the transforms.

use hvp_ir::{IrError, Shape};

/// Why a transform could not produce a graph.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransformError {
    /// Building the derived graph failed (a rule produced an ill-typed
    /// equation: a bug in a rule, reported rather than panicking).
    #[error("while differentiating: {0}")]
    Ir(#[from] IrError),
    /// `transpose` met a primitive that is not linear in its linear operands.
    #[error("cannot transpose `{prim}`: it is not linear in operand {operand}")]
    NotLinear {
        /// The primitive's name.
        prim: String,
        /// The operand that carries a linear input.
        operand: usize,
    },
    /// `grad` needs a scalar output.
    #[error("grad needs a function with one scalar output, got outputs of shapes {shapes:?}")]
    NotScalar {
        /// The function's output shapes.
        shapes: Vec<Shape>,
    },
    /// A mask argument (which inputs to differentiate) has the wrong length.
    #[error("{what}: expected {expected} flags, got {got}")]
    MaskLength {
        /// Which argument.
        what: &'static str,
        /// Number of inputs.
        expected: usize,
        /// Number of flags given.
        got: usize,
    },
}
