//! The error type of every solver: invalid input and operator failures only.
//!
//! Numerical outcomes — negative curvature, the trust-region boundary, the
//! iteration cap, a breakdown — are [`Status`](crate::Status) values inside
//! `Ok`, never errors.

use hvp_linop::LinOpError;

/// Why a solver could not run.
///
/// Every variant names the solver (`"cg"`, `"minres"`, `"lanczos"`, …) and
/// the offending argument, so a message reads on its own:
///
/// ```
/// use hvp_linop::Diagonal;
/// use hvp_solvers::{cg, CgParams, SolverError};
/// let a = Diagonal::new(vec![1.0, 2.0]);
/// let err = cg(&a, &[1.0], None, None, &CgParams::default()).unwrap_err();
/// assert!(matches!(err, SolverError::Length { solver: "cg", .. }));
/// assert_eq!(err.to_string(), "cg: right-hand side has length 1, expected 2");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolverError {
    /// A vector has the wrong length for the operator.
    #[error("{solver}: {what} has length {got}, expected {expected}")]
    Length {
        /// The solver's name.
        solver: &'static str,
        /// Which argument.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The given length.
        got: usize,
    },
    /// The operator (or preconditioner) is not square, or not of the size
    /// the problem needs.
    #[error("{solver}: {what} must be {expected}×{expected}, got {nrows}×{ncols}")]
    Shape {
        /// The solver's name.
        solver: &'static str,
        /// Which operator.
        what: &'static str,
        /// The required size (`n × n`).
        expected: usize,
        /// Its rows.
        nrows: usize,
        /// Its columns.
        ncols: usize,
    },
    /// An input vector holds NaN or an infinity.
    #[error("{solver}: {what} has the non-finite entry {value} at index {index}")]
    NonFinite {
        /// The solver's name.
        solver: &'static str,
        /// Which argument.
        what: &'static str,
        /// The first offending index.
        index: usize,
        /// Its value (as `f64`).
        value: f64,
    },
    /// A parameter is out of its range, or parameters contradict each other.
    #[error("{solver}: parameter `{param}` {reason}")]
    InvalidParam {
        /// The solver's name.
        solver: &'static str,
        /// The parameter.
        param: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Applying the operator or preconditioner failed.
    #[error("{solver}: {source}")]
    Operator {
        /// The solver's name.
        solver: &'static str,
        /// The operator's error.
        #[source]
        source: LinOpError,
    },
    /// A direct computation did not finish: the symmetric tridiagonal QL
    /// iteration exceeded its iteration limit (a case the shifts make
    /// practically unreachable for finite input).
    #[error("{solver}: {reason}")]
    NoConvergence {
        /// The routine's name.
        solver: &'static str,
        /// What did not converge.
        reason: String,
    },
}
