//! The facade's error type.

use hvp_ir::Shape;

/// Everything that can go wrong in the facade. Numerical outcomes are not
/// errors; invalid input and what cannot be computed are.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// An operation in the traced function got operands it cannot take.
    /// `location` is the user's source line.
    #[error("{location}: {message}")]
    Trace {
        /// `file:line:column` of the offending call in the user's code.
        location: String,
        /// What went wrong, with the shapes involved.
        message: String,
    },
    /// A transform failed (an internal rule bug or an unsupported nesting).
    #[error(transparent)]
    Transform(#[from] hvp_transforms::TransformError),
    /// Executing a compiled program failed (bad index values, non-finite
    /// values when checking is on).
    #[error(transparent)]
    Exec(#[from] hvp_exec::ExecError),
    /// A graph failed to build or verify.
    #[error(transparent)]
    Ir(#[from] hvp_ir::IrError),
    /// A point, direction or cotangent has the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// Which argument.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The given length.
        got: usize,
    },
    /// The operation needs a scalar-valued function.
    #[error("{what} needs a function with one scalar output; this one returns shapes {shapes:?}")]
    NotScalar {
        /// Which operation.
        what: &'static str,
        /// The function's output shapes.
        shapes: Vec<Shape>,
    },
    /// An argument is invalid for reasons other than its length.
    #[error("{0}")]
    Invalid(String),
}

/// Shorthand for results of the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;
