//! The error type of the optimizers: invalid input and failures of the
//! objective or its Hessian operator.
//!
//! Numerical outcomes — convergence, a saddle point, the iteration or time
//! limit, a failed line search — are [`Status`](crate::Status) values
//! inside `Ok`, never errors. A non-finite value of `f` at a trial point is
//! not an error either: the line search or the trust region shrinks the
//! step.

use hvp_linop::LinOpError;
use hvp_solvers::SolverError;

/// Why an optimizer could not run.
///
/// ```
/// use hvp_optim::{newton_cg, FnObjective, NewtonCgParams, OptimError};
/// let obj = FnObjective::new(
///     2,
///     |x: &[f64]| x[0] * x[0] + x[1] * x[1],
///     |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * x[0]; g[1] = 2.0 * x[1]; },
///     |_: &[f64]| vec![2.0, 0.0, 0.0, 2.0],
/// );
/// let err = newton_cg(&obj, &[1.0], &NewtonCgParams::default(), |_| std::ops::ControlFlow::Continue(()))
///     .unwrap_err();
/// assert!(matches!(err, OptimError::Length { .. }));
/// assert_eq!(err.to_string(), "newton_cg: starting point has length 1, expected 2");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    /// A vector has the wrong length for the objective.
    #[error("{method}: {what} has length {got}, expected {expected}")]
    Length {
        /// The method's name.
        method: &'static str,
        /// Which vector.
        what: &'static str,
        /// The required length (the objective's dimension).
        expected: usize,
        /// The given length.
        got: usize,
    },
    /// A value that must be finite is not: the starting point, or the
    /// objective's value or gradient at the starting point (where there is
    /// no step to shrink).
    #[error("{method}: {what} has the non-finite entry {value} at index {index}")]
    NonFinite {
        /// The method's name.
        method: &'static str,
        /// Which quantity.
        what: &'static str,
        /// The first offending index (`0` for a scalar).
        index: usize,
        /// Its value, as `f64`.
        value: f64,
    },
    /// A parameter is out of its range.
    #[error("{method}: parameter {param} {reason}")]
    InvalidParam {
        /// The method's name.
        method: &'static str,
        /// The parameter.
        param: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The objective failed (an evaluation that cannot be computed).
    #[error("objective: {message}")]
    Objective {
        /// The objective's message.
        message: String,
    },
    /// The Hessian operator failed or returned a non-finite product.
    #[error("{method}: Hessian operator: {message}")]
    Operator {
        /// The method's name.
        method: &'static str,
        /// What went wrong.
        message: String,
    },
    /// An inner solver rejected its input (a bug in the caller's operator
    /// dimensions, typically).
    #[error("{method}: {source}")]
    Solver {
        /// The method's name.
        method: &'static str,
        /// The solver's error.
        #[source]
        source: SolverError,
    },
}

impl OptimError {
    /// An [`OptimError::Objective`] with the given message: what an
    /// [`Objective`](crate::Objective) implementation returns when it cannot
    /// evaluate.
    ///
    /// ```
    /// use hvp_optim::OptimError;
    /// let e = OptimError::objective("log of a negative number");
    /// assert_eq!(e.to_string(), "objective: log of a negative number");
    /// ```
    pub fn objective(message: impl Into<String>) -> Self {
        OptimError::Objective {
            message: message.into(),
        }
    }

    pub(crate) fn from_linop(method: &'static str, e: LinOpError) -> Self {
        OptimError::Operator {
            method,
            message: e.to_string(),
        }
    }

    pub(crate) fn from_solver(method: &'static str, e: SolverError) -> Self {
        match e {
            SolverError::Operator { .. } => OptimError::Operator {
                method,
                message: e.to_string(),
            },
            other => OptimError::Solver {
                method,
                source: other,
            },
        }
    }
}
