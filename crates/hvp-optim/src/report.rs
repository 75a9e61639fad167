//! What a run reports: [`OptimResult`] with [`Stats`] ending in a
//! [`Status`], and the per-iteration [`IterationInfo`] an observer sees.

use std::fmt;
use std::ops::ControlFlow;
use std::time::Duration;

/// Which convergence test fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Criterion {
    /// `‖g‖ ≤ max(gtol_abs, gtol_rel ‖g₀‖)`.
    GradientTolerance,
    /// A small relative step with a nearly small gradient (see
    /// [`Termination`](crate::Termination)).
    StepTolerance,
    /// A small relative change of `f` with a nearly small gradient.
    FunctionTolerance,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status<T> {
    /// A local minimum to the tolerances: a convergence test fired and the
    /// saddle probe (if enabled) found no negative curvature.
    Converged(Criterion),
    /// A convergence test fired but the Hessian has a negative eigenvalue
    /// (at most `min_eigenvalue`, a Ritz value): a saddle point, not a
    /// minimum.
    SaddlePoint {
        /// The smallest Ritz value of the probe (an upper bound on the
        /// smallest eigenvalue).
        min_eigenvalue: T,
    },
    /// The iteration limit was reached.
    MaxIterations,
    /// The time limit was reached.
    TimeLimit,
    /// Newton-CG: no step satisfying the strong Wolfe conditions was found
    /// (within the evaluation budget, or the bracket shrank to rounding).
    LineSearchFailed,
    /// A trust-region method: the radius fell to rounding level
    /// (`Δ ≤ ε (1 + ‖x‖)`) while the gradient was not small.
    Stalled,
    /// The observer asked to stop.
    Stopped,
}

impl<T> Status<T> {
    /// Whether the run converged to a (local) minimum.
    ///
    /// ```
    /// use hvp_optim::{Criterion, Status};
    /// assert!(Status::<f64>::Converged(Criterion::GradientTolerance).is_converged());
    /// assert!(!Status::SaddlePoint { min_eigenvalue: -1.0 }.is_converged());
    /// ```
    pub fn is_converged(&self) -> bool {
        matches!(self, Status::Converged(_))
    }

    /// A short name: `"gradient_tolerance"`, `"step_tolerance"`,
    /// `"function_tolerance"`, `"saddle_point"`, `"max_iterations"`,
    /// `"time_limit"`, `"line_search_failed"`, `"stalled"` or `"stopped"`.
    ///
    /// ```
    /// use hvp_optim::Status;
    /// assert_eq!(Status::<f32>::LineSearchFailed.name(), "line_search_failed");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Status::Converged(Criterion::GradientTolerance) => "gradient_tolerance",
            Status::Converged(Criterion::StepTolerance) => "step_tolerance",
            Status::Converged(Criterion::FunctionTolerance) => "function_tolerance",
            Status::SaddlePoint { .. } => "saddle_point",
            Status::MaxIterations => "max_iterations",
            Status::TimeLimit => "time_limit",
            Status::LineSearchFailed => "line_search_failed",
            Status::Stalled => "stalled",
            Status::Stopped => "stopped",
        }
    }
}

impl<T: fmt::Display> fmt::Display for Status<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::SaddlePoint { min_eigenvalue } => {
                write!(
                    f,
                    "saddle point (smallest Hessian eigenvalue ≤ {min_eigenvalue})"
                )
            }
            other => f.write_str(other.name()),
        }
    }
}

/// Counts and the outcome of a run.
///
/// Evaluations are counted per call of the [`Objective`](crate::Objective):
/// a [`prepare`](crate::Objective::prepare) counts one `f`, one `∇f` and one
/// preparation; `value_and_gradient` one `f` and one `∇f`; `value` one `f`.
/// `hv_products` counts products with the Hessian operators vector by
/// vector (CG, Lanczos and the saddle probe together).
#[derive(Debug, Clone, PartialEq)]
pub struct Stats<T> {
    /// Outer iterations (Newton steps, or trust-region subproblems solved,
    /// accepted or not).
    pub iterations: usize,
    /// Objective values computed.
    pub f_evals: usize,
    /// Gradients computed.
    pub grad_evals: usize,
    /// Hessian operators prepared.
    pub hessian_preparations: usize,
    /// Hessian-vector products.
    pub hv_products: usize,
    /// Inner iterations (CG steps or Lanczos steps), in total.
    pub inner_iterations: usize,
    /// Subproblems in which negative curvature was met.
    pub negative_curvature: usize,
    /// Trust-region steps rejected (`ρ ≤ η`).
    pub rejected_steps: usize,
    /// Saddle probes run (each a few Lanczos steps, counted in
    /// `hv_products`).
    pub saddle_probes: usize,
    /// Steps taken along a saddle probe's negative-curvature direction.
    pub saddle_escapes: usize,
    /// `‖∇f‖` at the start.
    pub initial_grad_norm: T,
    /// `‖∇f‖` at the returned point.
    pub final_grad_norm: T,
    /// The trust radius at the end (trust-region methods).
    pub final_radius: Option<T>,
    /// The damping `λ` at the end (damped Newton-CG).
    pub final_damping: Option<T>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// How the run ended.
    pub status: Status<T>,
}

/// The answer of a run: the last accepted point, its value and gradient,
/// and the statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimResult<T> {
    /// The final point.
    pub x: Vec<T>,
    /// `f(x)`.
    pub f: T,
    /// `∇f(x)`.
    pub gradient: Vec<T>,
    /// Counts and status.
    pub stats: Stats<T>,
}

/// What the observer sees after each iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterationInfo<T> {
    /// The iteration just finished (from 1).
    pub iteration: usize,
    /// `f` at the current (accepted) point.
    pub f: T,
    /// `‖∇f‖` at the current point.
    pub grad_norm: T,
    /// `‖x_{k+1} − x_k‖` of the step taken (`0` for a rejected step).
    pub step_norm: T,
    /// Newton-CG: the line-search step length `α`.
    pub step_length: Option<T>,
    /// Trust-region methods: the radius after the update.
    pub radius: Option<T>,
    /// Trust-region methods: the ratio `ρ` of actual to predicted reduction.
    pub rho: Option<T>,
    /// Whether the step was accepted (always for Newton-CG).
    pub accepted: bool,
    /// Inner (CG or Lanczos) iterations of this step.
    pub inner_iterations: usize,
    /// Whether this step met negative curvature.
    pub negative_curvature: bool,
    /// Hessian-vector products so far.
    pub hv_products: usize,
    /// Objective values so far.
    pub f_evals: usize,
    /// Time since the start.
    pub elapsed: Duration,
}

/// An observer that never stops the run, for callers that want none.
///
/// ```
/// use hvp_optim::{continue_always, IterationInfo};
/// use std::ops::ControlFlow;
/// let info = IterationInfo::<f64> {
///     iteration: 1, f: 0.0, grad_norm: 0.0, step_norm: 0.0, step_length: None,
///     radius: None, rho: None, accepted: true, inner_iterations: 0,
///     negative_curvature: false, hv_products: 0, f_evals: 0,
///     elapsed: std::time::Duration::ZERO,
/// };
/// assert_eq!(continue_always(&info), ControlFlow::Continue(()));
/// ```
pub fn continue_always<T>(_: &IterationInfo<T>) -> ControlFlow<()> {
    ControlFlow::Continue(())
}
