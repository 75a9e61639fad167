//! Hessian-free numerical linear algebra: Krylov solvers and spectral
//! estimators that need only `v ↦ A v`.
//!
//! Everything here consumes a [`hvp_linop::LinOp`] and nothing else, so it
//! is tested on matrices with known spectra and used unchanged on Hessian
//! operators (the crate knows nothing about automatic differentiation).
//!
//! | module | algorithm |
//! | --- | --- |
//! | [`cg`](mod@cg) | conjugate gradients: preconditioner, trust region (Steihaug–Toint), negative curvature; [`CgSolver`] as a [`hvp_linop::Solve`] |
//! | [`minres`](mod@minres) | MINRES for symmetric indefinite or singular systems |
//! | [`lanczos`](mod@lanczos) | Lanczos with full/partial/no reorthogonalization: tridiagonal, basis, extreme eigenpairs |
//! | [`slq`](mod@slq) | stochastic Lanczos quadrature: spectral density, `tr f(A)`, log-determinant |
//! | [`power`](mod@power) | power iteration with deflation: top eigenpairs by magnitude |
//! | [`trace`](mod@trace) | Hutchinson and Hutch++ trace estimators, Hutchinson's diagonal estimator |
//! | [`tridiag`] | the symmetric tridiagonal eigenproblem (implicit QL) |
//!
//! **Conventions.** Every algorithm takes a `Params` struct (documented
//! defaults, `Default`) and returns `Result<(answer, Stats), SolverError>`.
//! [`Stats`] counts iterations and operator applications (vector by
//! vector: what a Hessian-free user pays for), keeps the residual history,
//! and ends in a [`Status`]. Numerical outcomes — convergence, the
//! iteration cap, negative curvature with its direction, the trust-region
//! boundary, a least-squares solution, an invariant subspace, a breakdown —
//! are statuses; `Err` is only for invalid input (lengths, shapes,
//! non-finite inputs, parameters) or a failing operator, and nothing
//! panics. Work vectors are allocated once per call, not per iteration
//! (`tests/alloc.rs` counts allocations against iteration counts).
//! Symmetric algorithms assume `A = Aᵀ` without checking
//! ([`LinOp::is_symmetric`](hvp_linop::LinOp::is_symmetric) is a
//! construction flag that matrices symmetric only up to rounding do not
//! set). Random probes are seeded and reproducible on every platform.
//!
//! ```
//! use hvp_linop::Dense;
//! use hvp_solvers::{cg, hutchinson, lanczos, CgParams, LanczosParams, SamplingParams, Status};
//! let a = Dense::from_rows(&[[4.0f64, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]]).unwrap();
//! let (sol, stats) = cg(&a, &[1.0, 0.0, 0.0], None, None, &CgParams::default()).unwrap();
//! assert!(stats.status.is_converged() && stats.operator_applications <= 3);
//! let (eig, _) = lanczos(&a, None, &LanczosParams::default()).unwrap();
//! assert!(eig.eigenvalues[0] > 4.0 && eig.eigenvalues[0] < 5.5);
//! let (tr, _) = hutchinson(&a, &SamplingParams { samples: 200, ..Default::default() }).unwrap();
//! assert!((tr.estimate - 9.0).abs() < 4.0 * tr.std_error + 1e-9);
//! # let _ = sol;
//! ```

mod blas;
pub mod cg;
mod check;
mod error;
pub mod lanczos;
pub mod minres;
pub mod power;
mod probe;
pub mod slq;
mod status;
pub mod trace;
pub mod tridiag;

pub use cg::{cg, CgParams, CgSolution, CgSolver};
pub use error::SolverError;
pub use lanczos::{lanczos, LanczosParams, LanczosResult, Reorthogonalization, Which};
pub use minres::{minres, MinresParams, MinresSolution};
pub use power::{power_iteration, PowerParams, PowerResult};
pub use probe::Probe;
pub use slq::{slq, QuadratureRule, SlqParams, SpectralQuadrature};
pub use status::{Breakdown, Stats, Status};
pub use trace::{
    diagonal_estimate, hutch_plus_plus, hutchinson, DiagonalEstimate, HutchPlusPlus,
    HutchPlusPlusParams, SamplingParams, TraceEstimate,
};
pub use tridiag::{sym_tridiag_eigen, sym_tridiag_eigenvalues, TridiagEigen};
