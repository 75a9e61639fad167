//! What every algorithm reports besides its answer: [`Stats`] with a
//! [`Status`].
//!
//! ```
//! use hvp_linop::Diagonal;
//! use hvp_solvers::{cg, CgParams, Status};
//! let a = Diagonal::new(vec![1.0, -1.0]);
//! let (_, stats) = cg(&a, &[1.0, 1.0], None, None, &CgParams::default()).unwrap();
//! // bᵀAb = 0: CG stops at once and says why, with the direction it found.
//! match &stats.status {
//!     Status::NegativeCurvature { direction, curvature, .. } => {
//!         assert_eq!(direction.len(), 2);
//!         assert!(*curvature <= 0.0);
//!     }
//!     other => panic!("unexpected {other}"),
//! }
//! assert_eq!(stats.operator_applications, 1);
//! ```

use std::fmt;

/// Why an iteration stopped without an answer of the kind it was after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Breakdown {
    /// A computed quantity (an operator output, an inner product) became
    /// NaN or infinite. The inputs were finite, so the operator produced it.
    NonFinite,
    /// The preconditioner is not positive definite: `rᵀ M⁻¹ r ≤ 0` for a
    /// nonzero residual `r`.
    IndefinitePreconditioner,
    /// The symmetric tridiagonal eigenproblem (Lanczos, SLQ) did not
    /// converge.
    TridiagonalEigen,
    /// The residual estimate met the tolerance but the true residual did
    /// not, even after restarts: the attainable accuracy at this
    /// conditioning and precision is above the tolerance.
    Stagnation,
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Breakdown::NonFinite => "a non-finite value appeared",
            Breakdown::IndefinitePreconditioner => "the preconditioner is not positive definite",
            Breakdown::TridiagonalEigen => "the tridiagonal eigenproblem did not converge",
            Breakdown::Stagnation => "the true residual stagnated above the tolerance",
        })
    }
}

/// How an algorithm ended. Which variants an algorithm can return is listed
/// in its documentation.
#[derive(Debug, Clone, PartialEq)]
pub enum Status<T> {
    /// The stopping test was met (a residual below tolerance, converged
    /// Ritz pairs), or a fixed-work estimator took every sample it was
    /// asked for.
    Converged,
    /// The iteration limit was reached first; the result is the last
    /// iterate.
    MaxIterations,
    /// CG met a direction `d` with `dᵀ A d ≤ 0`: `A` is not positive
    /// definite. Without a trust region the returned `x` is the iterate
    /// before `d`; with one, `x` is the boundary point `x_k + τ d`.
    NegativeCurvature {
        /// The direction `d` (the CG search direction where it happened).
        direction: Vec<T>,
        /// The Rayleigh quotient `dᵀ A d / dᵀ d ≤ 0`.
        curvature: T,
        /// In trust-region mode, the step `τ > 0` taken along `d` to the
        /// boundary; `None` otherwise.
        boundary_step: Option<T>,
    },
    /// The trust-region CG (Steihaug–Toint) step reached the boundary with
    /// positive curvature; the returned `x` lies on the boundary.
    TrustRegionBoundary,
    /// MINRES: `x` is a least-squares solution — `‖A r‖` fell below
    /// tolerance while `‖r‖` did not, so the system looks inconsistent
    /// (a singular `A` with `b` outside its range).
    LeastSquares,
    /// Lanczos found an invariant subspace (`β ≈ 0`): the Ritz values
    /// computed are eigenvalues, and no further Krylov vector exists from
    /// this start.
    InvariantSubspace,
    /// The iteration could not continue; see [`Breakdown`].
    Breakdown(Breakdown),
}

impl<T> Status<T> {
    /// Whether the status is [`Status::Converged`].
    ///
    /// ```
    /// use hvp_solvers::Status;
    /// assert!(Status::<f64>::Converged.is_converged());
    /// assert!(!Status::<f64>::MaxIterations.is_converged());
    /// ```
    pub fn is_converged(&self) -> bool {
        matches!(self, Status::Converged)
    }

    /// A short name: `"converged"`, `"max_iterations"`,
    /// `"negative_curvature"`, `"trust_region_boundary"`, `"least_squares"`,
    /// `"invariant_subspace"` or `"breakdown"`.
    ///
    /// ```
    /// use hvp_solvers::Status;
    /// assert_eq!(Status::<f32>::TrustRegionBoundary.name(), "trust_region_boundary");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxIterations => "max_iterations",
            Status::NegativeCurvature { .. } => "negative_curvature",
            Status::TrustRegionBoundary => "trust_region_boundary",
            Status::LeastSquares => "least_squares",
            Status::InvariantSubspace => "invariant_subspace",
            Status::Breakdown(_) => "breakdown",
        }
    }
}

impl<T: fmt::Display> fmt::Display for Status<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::NegativeCurvature { curvature, .. } => {
                write!(f, "negative curvature (dᵀAd/dᵀd = {curvature})")
            }
            Status::Breakdown(b) => write!(f, "breakdown: {b}"),
            other => f.write_str(other.name()),
        }
    }
}

/// The record of one call.
///
/// `operator_applications` counts products `A v` one vector at a time (a
/// block product of `k` vectors counts `k`), so it is the number a
/// Hessian-free user pays for; it is asserted exactly in the tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats<T> {
    /// Iterations (CG/MINRES steps, Lanczos steps, power iterations,
    /// probes), as each algorithm documents.
    pub iterations: usize,
    /// Products with the operator, vector by vector.
    pub operator_applications: usize,
    /// Products with the preconditioner, vector by vector.
    pub preconditioner_applications: usize,
    /// The residual-norm history; what it holds is documented per
    /// algorithm (empty for the sampling estimators).
    pub residual_norms: Vec<T>,
    /// How the call ended.
    pub status: Status<T>,
}

impl<T> Stats<T> {
    /// Empty statistics with room for `capacity` history entries and the
    /// given provisional status.
    pub(crate) fn with_capacity(capacity: usize, status: Status<T>) -> Self {
        Stats {
            iterations: 0,
            operator_applications: 0,
            preconditioner_applications: 0,
            residual_norms: Vec::with_capacity(capacity),
            status,
        }
    }
}
