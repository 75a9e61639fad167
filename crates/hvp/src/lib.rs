//! # hvp — Hessian-vector products as a first-class operation
//!
//! Write a function over traced [`Tensor`]s once; get its value, gradient,
//! Hessian-vector products in every mode, `vᵀHv`, JVPs and VJPs, each derived
//! as a graph by composable transforms and compiled once.
//!
//! ```
//! use hvp::{trace, HvpMode, Spec};
//! // f(x, y) = x²y + sin y, the specification's example
//! let f = trace(|x| &x[0].square() * &x[1] + x[1].sin(), &[Spec::scalar(), Spec::scalar()])?;
//! let x = [1.5_f64, -0.7];
//! let v = [0.3, 1.1];
//! let g = f.grad(&x)?;                                      // [2xy, x² + cos y]
//! let hv = f.hvp(&x, &v)?;                                  // forward-over-reverse
//! let hv2 = f.hvp_with(&x, &v, HvpMode::ReverseOverReverse)?;
//! let h = f.hessian(&x)?;                                   // [[2y, 2x], [2x, -sin y]]
//! assert!((hv[0] - hv2[0]).abs() < 1e-12);
//! assert!((h.data()[3] - (0.7f64).sin()).abs() < 1e-12);
//! # let _ = g;
//! # Ok::<(), hvp::Error>(())
//! ```

mod arrays;
mod checks;
mod compose;
mod engine;
mod error;
mod function;
mod ggn;
mod objective;
mod operator;
mod tracer;

pub use arrays::to_ndarray;
pub use checks::{
    check_against, check_finite_differences, check_symmetry, tolerances, DifferenceTolerance,
    SelfCheck, DIFFERENCE_SAFETY,
};
pub use error::{Error, Result};
pub use function::{trace, trace_many, Arrays, Function, HvpMode, Program, Real};
pub use ggn::{trace_model_loss, Curvature, GgnOperator, ModelLoss, Reduction};
pub use hvp_ir::{CmpOp, DType, Graph, Shape};
pub use hvp_tensor::{Array, Float};
pub use objective::AdObjective;
pub use operator::{HessianOperator, OperatorMemory};
pub use tracer::{Spec, Tensor};

/// The linear-operator interface, re-exported for convenience.
pub use hvp_linop as linop;
/// The Hessian-free optimizers (run them on an [`AdObjective`]).
pub use hvp_optim as optim;
/// The Krylov solvers and spectral estimators.
pub use hvp_solvers as solvers;

/// The IR, for users who work on graphs directly.
pub use hvp_ir as ir;
/// The transforms, for users who work on graphs directly.
pub use hvp_transforms as transforms;
