//! Errors of linear operators.

/// Why an operator could not be applied or built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinOpError {
    /// A vector or block has the wrong length.
    #[error("{op}: {what} has length {got}, expected {expected}")]
    Length {
        /// The operator's name.
        op: String,
        /// Which argument.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The given length.
        got: usize,
    },
    /// Operators that must fit together do not.
    #[error("{op}: {reason}")]
    Shape {
        /// The operator's name.
        op: String,
        /// What does not fit.
        reason: String,
    },
    /// The operator is not defined for this request (e.g. the transpose of
    /// an operator that does not provide one).
    #[error("{op}: {reason}")]
    Unsupported {
        /// The operator's name.
        op: String,
        /// What is missing.
        reason: String,
    },
    /// Applying the operator failed downstream (an AD program, a solver).
    #[error("{op}: {message}")]
    Failed {
        /// The operator's name.
        op: String,
        /// The underlying error, as text.
        message: String,
    },
}
