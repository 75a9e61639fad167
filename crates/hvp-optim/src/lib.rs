//! Hessian-free optimizers: methods that need `f`, `∇f` and products
//! `v ↦ ∇²f(x) v`, never a Hessian matrix.
//!
//! | function | method |
//! | --- | --- |
//! | [`newton_cg`](newton_cg()) | Newton-CG with a strong Wolfe line search, forcing sequence, optional Levenberg–Marquardt damping |
//! | [`trust_region_cg`](trust_region_cg()) | trust-region Newton-CG (Steihaug–Toint) |
//! | [`trust_region_lanczos`](trust_region_lanczos()) | trust-region Newton with the subproblem solved on a Lanczos tridiagonal (GLTR-style, hard case included) |
//!
//! An [`Objective`] gives the value, the gradient and — in one
//! [`Objective::prepare`] call per iterate — a Hessian operator
//! ([`hvp_linop::LinOp`]). The crate knows nothing about automatic
//! differentiation: it is tested on closures with exact derivatives
//! ([`FnObjective`]); the `hvp` facade provides the AD objective.
//!
//! **Conventions.** Every method takes its `Params` (documented defaults)
//! and an observer called once per iteration, and returns an
//! [`OptimResult`] whose [`Stats`] count `f`, `∇f`, Hessian preparations
//! and Hessian-vector products and end in a [`Status`]. Numerical outcomes
//! are statuses; [`OptimError`] is for invalid input and failing
//! evaluations. A run never reports convergence at a point where a cheap
//! Lanczos probe proves negative curvature ([`Status::SaddlePoint`]), nor
//! because of a short step while the gradient is large (see
//! [`Termination`]).
//!
//! ```
//! use hvp_optim::{continue_always, trust_region_lanczos, FnObjective, TrustRegionParams};
//! // Rosenbrock from (−1.2, 1).
//! let obj = FnObjective::new(
//!     2,
//!     |x: &[f64]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2),
//!     |x: &[f64], g: &mut [f64]| {
//!         g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
//!         g[1] = 200.0 * (x[1] - x[0] * x[0]);
//!     },
//!     |x: &[f64]| vec![1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0, -400.0 * x[0], -400.0 * x[0], 200.0],
//! );
//! let res = trust_region_lanczos(&obj, &[-1.2, 1.0], &TrustRegionParams::default(), continue_always).unwrap();
//! assert!(res.stats.status.is_converged());
//! assert!((res.x[0] - 1.0).abs() < 1e-8 && (res.x[1] - 1.0).abs() < 1e-8);
//! ```

// Negated comparisons (`!(a < b)`) are deliberate throughout: they are
// true for NaN, which must take the safe branch.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod common;
mod error;
mod gltr;
mod line_search;
mod newton_cg;
mod objective;
mod params;
mod report;
mod trust_region;
mod util;

pub use error::OptimError;
pub use gltr::{lanczos_tr_subproblem, tridiagonal_tr_subproblem, LanczosTrParams, TrSubproblem};
pub use newton_cg::newton_cg;
pub use objective::{CallCounts, FnObjective, Objective, Prepared};
pub use params::{Damping, Forcing, NewtonCgParams, Termination, TrustRegionParams};
pub use report::{continue_always, Criterion, IterationInfo, OptimResult, Stats, Status};
pub use trust_region::{trust_region_cg, trust_region_lanczos};
