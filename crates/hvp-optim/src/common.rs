//! The state every method shares: counters, the clock, the observer, the
//! termination tests and the saddle probe.

use crate::params::Termination;
use crate::report::{Criterion, IterationInfo, Stats, Status};
use crate::util::{first_non_finite, norm, sqrt_eps, Counted};
use crate::{Objective, OptimError, Prepared};
use hvp_linop::LinOp;
use hvp_solvers::{lanczos, LanczosParams, Reorthogonalization, Status as SolverStatus, Which};
use hvp_tensor::Float;
use std::ops::ControlFlow;
use std::time::Instant;

/// A clearly negative smallest Ritz value and its Ritz vector.
pub(crate) struct NegativeCurvature<T> {
    pub(crate) value: T,
    pub(crate) vector: Vec<T>,
}

pub(crate) struct Run<'o, T: Float, O: ?Sized, F> {
    pub(crate) method: &'static str,
    pub(crate) obj: &'o O,
    pub(crate) term: Termination<T>,
    pub(crate) stats: Stats<T>,
    pub(crate) gtol: T,
    start: Instant,
    observer: F,
}

impl<'o, T, O, F> Run<'o, T, O, F>
where
    T: Float,
    O: Objective<T> + ?Sized,
    F: FnMut(&IterationInfo<T>) -> ControlFlow<()>,
{
    /// Checks `x0` and prepares the objective there (value and gradient
    /// must be finite).
    pub(crate) fn start(
        method: &'static str,
        obj: &'o O,
        x0: &[T],
        term: &Termination<T>,
        observer: F,
    ) -> Result<(Self, Prepared<'o, T>), OptimError> {
        let n = obj.dim();
        if x0.len() != n {
            return Err(OptimError::Length {
                method,
                what: "starting point",
                expected: n,
                got: x0.len(),
            });
        }
        if let Some((index, value)) = first_non_finite(x0) {
            return Err(OptimError::NonFinite {
                method,
                what: "starting point",
                index,
                value,
            });
        }
        let stats = Stats {
            iterations: 0,
            f_evals: 0,
            grad_evals: 0,
            hessian_preparations: 0,
            hv_products: 0,
            inner_iterations: 0,
            negative_curvature: 0,
            rejected_steps: 0,
            saddle_probes: 0,
            saddle_escapes: 0,
            initial_grad_norm: T::zero(),
            final_grad_norm: T::zero(),
            final_radius: None,
            final_damping: None,
            elapsed: std::time::Duration::ZERO,
            status: Status::MaxIterations,
        };
        let mut run = Run {
            method,
            obj,
            term: *term,
            stats,
            gtol: T::zero(),
            start: Instant::now(),
            observer,
        };
        let prep = run.prepare(x0)?;
        if !prep.value.is_finite() {
            return Err(OptimError::NonFinite {
                method,
                what: "objective value at the starting point",
                index: 0,
                value: prep.value.to_f64(),
            });
        }
        if let Some((index, value)) = first_non_finite(&prep.gradient) {
            return Err(OptimError::NonFinite {
                method,
                what: "gradient at the starting point",
                index,
                value,
            });
        }
        let g0 = norm(&prep.gradient);
        run.stats.initial_grad_norm = g0;
        run.gtol = term.gtol_abs.max(term.gtol_rel * g0);
        Ok((run, prep))
    }

    /// `prepare(x)`, counted, with the gradient length checked.
    pub(crate) fn prepare(&mut self, x: &[T]) -> Result<Prepared<'o, T>, OptimError> {
        let p = self.obj.prepare(x)?;
        self.stats.f_evals += 1;
        self.stats.grad_evals += 1;
        self.stats.hessian_preparations += 1;
        let n = self.obj.dim();
        if p.gradient.len() != n {
            return Err(OptimError::Length {
                method: self.method,
                what: "gradient returned by the objective",
                expected: n,
                got: p.gradient.len(),
            });
        }
        if p.hessian.nrows() != n || p.hessian.ncols() != n {
            return Err(OptimError::Operator {
                method: self.method,
                message: format!(
                    "the Hessian is {}×{}, expected {n}×{n}",
                    p.hessian.nrows(),
                    p.hessian.ncols()
                ),
            });
        }
        Ok(p)
    }

    /// The iteration or time limit, if reached before iteration `k + 1`.
    pub(crate) fn limit(&self, k: usize) -> Option<Status<T>> {
        if k >= self.term.max_iters {
            return Some(Status::MaxIterations);
        }
        match self.term.time_limit {
            Some(t) if self.start.elapsed() >= t => Some(Status::TimeLimit),
            _ => None,
        }
    }

    /// The step or function test after an accepted step (only while the
    /// new gradient is within `stall_factor · gtol`).
    pub(crate) fn small_step(
        &self,
        step_norm: T,
        x_norm: T,
        f_old: T,
        f_new: T,
        g_new: T,
    ) -> Option<Criterion> {
        if !(g_new <= self.term.stall_factor * self.gtol) {
            return None;
        }
        if step_norm <= self.term.xtol * (T::one() + x_norm) {
            Some(Criterion::StepTolerance)
        } else if (f_old - f_new).abs() <= self.term.ftol * (T::one() + f_new.abs()) {
            Some(Criterion::FunctionTolerance)
        } else {
            None
        }
    }

    /// The saddle probe: a few Lanczos steps for the smallest eigenvalue
    /// of `h`. `Some` when the smallest Ritz value is clearly negative.
    pub(crate) fn probe(
        &mut self,
        h: &dyn LinOp<T>,
    ) -> Result<Option<NegativeCurvature<T>>, OptimError> {
        let n = self.obj.dim();
        let steps = self.term.saddle_probe_steps.min(n);
        if steps == 0 {
            return Ok(None);
        }
        self.stats.saddle_probes += 1;
        let counted = Counted::new(h);
        let params = LanczosParams {
            max_steps: steps,
            nev: 1,
            which: Which::Smallest,
            tol: sqrt_eps(),
            reorth: Reorthogonalization::Full,
            ritz_vectors: true,
            store_basis: false,
            seed: self.term.seed,
        };
        let res = lanczos(&counted, None, &params);
        self.stats.hv_products += counted.count();
        let (res, stats) = res.map_err(|e| OptimError::from_solver(self.method, e))?;
        if matches!(stats.status, SolverStatus::Breakdown(_)) || res.eigenvalues.is_empty() {
            return Ok(None);
        }
        let theta = res.eigenvalues[0];
        let scale = res.ritz_values.iter().fold(T::one(), |m, v| m.max(v.abs()));
        if theta < -sqrt_eps::<T>() * scale {
            let vector = res.eigenvectors.unwrap_or_default();
            if vector.len() == n {
                return Ok(Some(NegativeCurvature {
                    value: theta,
                    vector,
                }));
            }
        }
        Ok(None)
    }

    /// The status for a fired convergence test: a saddle if the probe finds
    /// negative curvature.
    pub(crate) fn converged(
        &mut self,
        criterion: Criterion,
        h: &dyn LinOp<T>,
    ) -> Result<Status<T>, OptimError> {
        Ok(match self.probe(h)? {
            Some(nc) => Status::SaddlePoint {
                min_eigenvalue: nc.value,
            },
            None => Status::Converged(criterion),
        })
    }

    /// Calls the observer; `true` when it asks to stop.
    pub(crate) fn notify(&mut self, info: IterationInfo<T>) -> bool {
        (self.observer)(&info).is_break()
    }

    /// Time since the start.
    pub(crate) fn elapsed(&self) -> std::time::Duration {
        self.start.elapsed()
    }

    /// Fills in the final fields.
    pub(crate) fn finish(
        mut self,
        status: Status<T>,
        x: Vec<T>,
        prep: Prepared<'o, T>,
    ) -> crate::OptimResult<T> {
        self.stats.status = status;
        self.stats.final_grad_norm = norm(&prep.gradient);
        self.stats.elapsed = self.start.elapsed();
        crate::OptimResult {
            x,
            f: prep.value,
            gradient: prep.gradient,
            stats: self.stats,
        }
    }
}
