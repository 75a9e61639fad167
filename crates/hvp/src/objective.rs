//! The AD objective: a traced function as an [`hvp_optim::Objective`], so
//! the Hessian-free optimizers run on it with one prepared Hessian (or
//! Gauss-Newton) operator per iterate.
//!
//! ```
//! use hvp::{trace, AdObjective, Spec};
//! use hvp::optim::{continue_always, trust_region_cg, Status, TrustRegionParams};
//! // Rosenbrock in 2-D from (−1.2, 1).
//! let f = trace(
//!     |x| {
//!         let (a, b) = (x[0].index_axis(0, 0), x[0].index_axis(0, 1));
//!         (b - a.square()).square() * 100.0 + (1.0 - a).square()
//!     },
//!     &[Spec::vector(2)],
//! )?;
//! let obj = AdObjective::new(&f, &[0.0_f64, 0.0])?;
//! let r = trust_region_cg(&obj, &[-1.2, 1.0], &TrustRegionParams::default(), continue_always).unwrap();
//! assert!(matches!(r.stats.status, Status::Converged(_)));
//! assert!((r.x[0] - 1.0).abs() < 1e-6 && (r.x[1] - 1.0).abs() < 1e-6);
//! # Ok::<(), hvp::Error>(())
//! ```

use crate::{Error, Function, GgnOperator, HessianOperator, HvpMode, ModelLoss, Real, Result};
use hvp_optim::{Objective, OptimError, Prepared};

enum Curvature<'f> {
    Hessian(&'f Function, HvpMode),
    GaussNewton(&'f ModelLoss),
}

/// A traced function seen by the optimizers as a function of its
/// differentiable inputs only (flat, in order); data inputs stay fixed at
/// the values of the point given at construction.
pub struct AdObjective<'f, T: Real> {
    curvature: Curvature<'f>,
    /// A full point; its differentiable parts are overwritten per call.
    template: Vec<T>,
    /// `(offset in the point, length)` of each differentiable input.
    params: Vec<(usize, usize)>,
}

fn objective_error(e: Error) -> OptimError {
    OptimError::objective(e.to_string())
}

impl<'f, T: Real> AdObjective<'f, T> {
    /// The Hessian (forward-over-reverse, prepared per iterate) of `f`;
    /// `point` is a full point whose data inputs are kept (its parameter
    /// values are ignored).
    pub fn new(f: &'f Function, point: &[T]) -> Result<Self> {
        Self::with_mode(f, point, HvpMode::ForwardOverReverse)
    }

    /// Like [`AdObjective::new`] with Hessian products in `mode`.
    pub fn with_mode(f: &'f Function, point: &[T], mode: HvpMode) -> Result<Self> {
        Ok(AdObjective {
            params: Self::layout(f, point)?,
            curvature: Curvature::Hessian(f, mode),
            template: point.to_vec(),
        })
    }

    /// The generalized Gauss-Newton matrix of a model and loss instead of
    /// the Hessian: positive semi-definite, so Newton-CG never meets
    /// negative curvature on a non-convex model.
    pub fn gauss_newton(ml: &'f ModelLoss, point: &[T]) -> Result<Self> {
        Ok(AdObjective {
            params: Self::layout(ml.function(), point)?,
            curvature: Curvature::GaussNewton(ml),
            template: point.to_vec(),
        })
    }

    fn layout(f: &Function, point: &[T]) -> Result<Vec<(usize, usize)>> {
        if point.len() != f.point_len() {
            return Err(Error::Length {
                what: "point",
                expected: f.point_len(),
                got: point.len(),
            });
        }
        let mut out = Vec::new();
        let mut o = 0;
        for s in f.specs() {
            if s.differentiable {
                out.push((o, s.numel()));
            }
            o += s.numel();
        }
        Ok(out)
    }

    fn function(&self) -> &'f Function {
        match self.curvature {
            Curvature::Hessian(f, _) => f,
            Curvature::GaussNewton(ml) => ml.function(),
        }
    }

    /// The full point for parameters `x`.
    pub fn point(&self, x: &[T]) -> std::result::Result<Vec<T>, OptimError> {
        let n = self.function().num_params();
        if x.len() != n {
            return Err(OptimError::objective(format!(
                "expected {n} parameters, got {}",
                x.len()
            )));
        }
        let mut p = self.template.clone();
        let mut k = 0;
        for &(o, len) in &self.params {
            p[o..o + len].copy_from_slice(&x[k..k + len]);
            k += len;
        }
        Ok(p)
    }
}

impl<T: Real> Objective<T> for AdObjective<'_, T> {
    fn dim(&self) -> usize {
        self.function().num_params()
    }

    fn value(&self, x: &[T]) -> std::result::Result<T, OptimError> {
        self.function()
            .value(&self.point(x)?)
            .map_err(objective_error)
    }

    fn value_and_gradient(&self, x: &[T], g: &mut [T]) -> std::result::Result<T, OptimError> {
        let f = self.function();
        let p = self.point(x)?;
        let (v, grad) = f.value_and_grad(&p).map_err(objective_error)?;
        if g.len() != grad.len() {
            return Err(OptimError::objective(format!(
                "gradient buffer of {} for {} parameters",
                g.len(),
                grad.len()
            )));
        }
        g.copy_from_slice(&grad);
        Ok(v)
    }

    fn prepare(&self, x: &[T]) -> std::result::Result<Prepared<'_, T>, OptimError> {
        let p = self.point(x)?;
        match self.curvature {
            Curvature::Hessian(f, mode) => {
                let h = HessianOperator::with_mode(f, &p, mode).map_err(objective_error)?;
                Ok(Prepared {
                    value: h.value(),
                    gradient: h.gradient().to_vec(),
                    hessian: Box::new(h),
                })
            }
            Curvature::GaussNewton(ml) => {
                let g = GgnOperator::new(ml, &p).map_err(objective_error)?;
                Ok(Prepared {
                    value: g.value(),
                    gradient: g.gradient().to_vec(),
                    hessian: Box::new(g),
                })
            }
        }
    }
}
