//! Newton-CG (truncated Newton) with a strong Wolfe line search.
//!
//! Each iteration solves `H p = −g` (or `(H + λI) p = −g` with
//! [`Damping`](crate::Damping)) by CG to the relative residual
//! `η_k = min(½, √‖g_k‖)` — the forcing sequence of Nocedal–Wright §7.1,
//! which gives superlinear convergence near a minimum with nondegenerate
//! Hessian while keeping early steps cheap. Negative curvature met by CG is
//! counted in [`Stats::negative_curvature`](crate::Stats) and handled: in
//! CG's first step the direction is steepest descent `−g`,
//! scaled to the length of the previous step (1 at the start; the line
//! search extends or shortens it), later the last CG iterate (a descent
//! direction). A step along `p` then satisfies the strong Wolfe conditions
//! (`c₁ = 10⁻⁴`, `c₂ = 0.9` by default). The first trial point `α = 1` is
//! evaluated with [`Objective::prepare`] so that an accepted unit step —
//! the usual case — needs no second evaluation.
//!
//! At a point with a small gradient the saddle probe runs (see
//! [`Termination`](crate::Termination)): Newton-CG reports
//! [`Status::SaddlePoint`] there rather than convergence, and does not try
//! to escape (the trust-region methods do).
//!
//! ```
//! use hvp_optim::{continue_always, newton_cg, Criterion, FnObjective, Forcing, NewtonCgParams, Status};
//! // f = (x − 1)² + 10 (y + 2)²: one exact Newton step.
//! let obj = FnObjective::new(
//!     2,
//!     |x: &[f64]| (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2),
//!     |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * (x[0] - 1.0); g[1] = 20.0 * (x[1] + 2.0); },
//!     |_: &[f64]| vec![2.0, 0.0, 0.0, 20.0],
//! );
//! let params = NewtonCgParams { forcing: Forcing::Fixed(1e-12), ..Default::default() };
//! let res = newton_cg(&obj, &[0.0, 0.0], &params, continue_always).unwrap();
//! assert_eq!(res.stats.status, Status::Converged(Criterion::GradientTolerance));
//! assert_eq!(res.stats.iterations, 1);
//! assert!((res.x[0] - 1.0).abs() < 1e-12 && (res.x[1] + 2.0).abs() < 1e-12);
//! ```

use crate::common::Run;
use crate::line_search::{strong_wolfe, LineSearchParams};
use crate::report::{IterationInfo, Status};
use crate::util::{axpy, dot, norm, Counted};
use crate::{NewtonCgParams, Objective, OptimError, OptimResult, Prepared};
use hvp_linop::{LinOp, Shifted};
use hvp_solvers::{cg, Breakdown, CgParams, Status as CgStatus};
use hvp_tensor::Float;
use std::ops::ControlFlow;

const NAME: &str = "newton_cg";

/// Minimizes `obj` from `x0` by Newton-CG with a strong Wolfe line search.
///
/// `observer` is called once after every iteration; returning
/// `ControlFlow::Break(())` ends the run with [`Status::Stopped`].
///
/// Statuses: [`Status::Converged`] (gradient, or step/function test with a
/// nearly small gradient), [`Status::SaddlePoint`], [`Status::MaxIterations`],
/// [`Status::TimeLimit`], [`Status::LineSearchFailed`], [`Status::Stopped`].
///
/// `Err` for invalid input (length or non-finite `x0`, a non-finite value
/// or gradient at `x0`, bad parameters), a failing objective, or a failing
/// or non-finite Hessian product.
pub fn newton_cg<T, O, F>(
    obj: &O,
    x0: &[T],
    params: &NewtonCgParams<T>,
    observer: F,
) -> Result<OptimResult<T>, OptimError>
where
    T: Float,
    O: Objective<T> + ?Sized,
    F: FnMut(&IterationInfo<T>) -> ControlFlow<()>,
{
    params.validate(NAME)?;
    let (mut run, mut prep) = Run::start(NAME, obj, x0, &params.termination, observer)?;
    let n = obj.dim();
    let mut x = x0.to_vec();
    let mut lambda = params.damping.map(|d| d.initial);
    let ls = LineSearchParams {
        c1: params.c1,
        c2: params.c2,
        max_evals: params.max_line_search_evals,
    };
    let half = T::from_f64(0.5);
    let mut small = None;
    // The length of the last step: the scale of a steepest-descent step.
    let mut last_step = T::one();
    let mut k = 0;
    let status = loop {
        let gnorm = norm(&prep.gradient);
        if gnorm <= run.gtol {
            break run.converged(crate::Criterion::GradientTolerance, &*prep.hessian)?;
        }
        if let Some(c) = small {
            break run.converged(c, &*prep.hessian)?;
        }
        if let Some(s) = run.limit(k) {
            break s;
        }
        k += 1;
        run.stats.iterations = k;

        // The Newton direction.
        let g = &prep.gradient;
        let b: Vec<T> = g.iter().map(|&v| -v).collect();
        let counted = Counted::new(&*prep.hessian);
        let cgp = CgParams {
            rtol: params.forcing.eta(gnorm),
            atol: T::zero(),
            max_iters: params.cg_max_iters,
            trust_radius: None,
        };
        let solved = match lambda {
            Some(l) => {
                let shifted =
                    Shifted::new(&counted, l).map_err(|e| OptimError::from_linop(NAME, e))?;
                cg(&shifted, &b, None, None, &cgp)
            }
            None => cg(&counted, &b, None, None, &cgp),
        };
        run.stats.hv_products += counted.count();
        let (sol, cgs) = solved.map_err(|e| OptimError::from_solver(NAME, e))?;
        run.stats.inner_iterations += cgs.iterations;
        let negative = matches!(cgs.status, CgStatus::NegativeCurvature { .. });
        if negative {
            run.stats.negative_curvature += 1;
        }
        if cgs.status == CgStatus::Breakdown(Breakdown::NonFinite) {
            return Err(OptimError::Operator {
                method: NAME,
                message: "a Hessian-vector product is not finite".into(),
            });
        }
        let mut p = sol.x;
        // pᵀHp from CG's model value ½ pᵀ(H + λI)p + gᵀp, without a product.
        let mut php = T::from_f64(2.0) * (sol.model_value - dot(g, &p))
            - lambda.unwrap_or(T::zero()) * dot(&p, &p);
        if let CgStatus::NegativeCurvature { direction, .. } = &cgs.status {
            // Add the negative-curvature direction (a descent direction:
            // CG directions satisfy gᵀd < 0), as long as the CG iterate or,
            // in CG's first step, the previous step: the model decreases
            // along it without bound, so the line search should look
            // further than the truncated CG iterate.
            let pn = norm(&p);
            let len = if pn > T::zero() { pn } else { last_step };
            let dn = norm(direction);
            if dn > T::zero() && dn.is_finite() {
                axpy(len / dn, direction, &mut p);
            }
            php = T::nan();
        }
        let mut d0 = dot(g, &p);
        if !(d0 < T::zero()) {
            // Negative curvature in CG's first step (x = 0), or a direction
            // spoiled by rounding: steepest descent.
            let s = last_step / gnorm;
            p = g.iter().map(|&v| -s * v).collect();
            d0 = dot(g, &p);
            php = T::nan();
        }
        if lambda.is_some() && !php.is_finite() {
            let mut hp = vec![T::zero(); n];
            counted
                .apply(&p, &mut hp)
                .map_err(|e| OptimError::from_linop(NAME, e))?;
            run.stats.hv_products += 1;
            php = dot(&p, &hp);
        }

        // The line search; α = 1 is evaluated with `prepare`.
        let f_old = prep.value;
        let mut trial = x.clone();
        let mut stash: Option<Prepared<'_, T>> = None;
        let mut grad = vec![T::zero(); n];
        let mut first = true;
        let (stats, obj_ref) = (&mut run.stats, run.obj);
        let outcome = strong_wolfe(f_old, d0, T::one(), &ls, |alpha| {
            trial.copy_from_slice(&x);
            axpy(alpha, &p, &mut trial);
            stats.f_evals += 1;
            stats.grad_evals += 1;
            if first {
                first = false;
                stats.hessian_preparations += 1;
                let pr = obj_ref.prepare(&trial)?;
                if pr.gradient.len() != n {
                    return Err(OptimError::Length {
                        method: NAME,
                        what: "gradient returned by the objective",
                        expected: n,
                        got: pr.gradient.len(),
                    });
                }
                let out = (pr.value, dot(&pr.gradient, &p));
                stash = Some(pr);
                Ok(out)
            } else {
                stash = None;
                let f = obj_ref.value_and_gradient(&trial, &mut grad)?;
                Ok((f, dot(&grad, &p)))
            }
        })?;
        if !outcome.success {
            break Status::LineSearchFailed;
        }
        let alpha = outcome.alpha;
        let step_norm = alpha * norm(&p);
        if step_norm > T::zero() {
            last_step = step_norm;
        }
        let x_norm = norm(&x);
        x.copy_from_slice(&trial);
        prep = match stash {
            Some(pr) => pr,
            None => run.prepare(&x)?,
        };
        let f_new = prep.value;
        let g_new = norm(&prep.gradient);

        if let (Some(l), Some(d)) = (lambda.as_mut(), params.damping.as_ref()) {
            let pred = -(alpha * d0 + half * alpha * alpha * php);
            let rho = (f_old - outcome.f) / pred;
            if negative || !(rho >= T::from_f64(0.25)) {
                *l *= d.increase;
            } else if rho > T::from_f64(0.75) {
                *l *= d.decrease;
            }
            *l = l.max(d.min).min(d.max);
        }
        small = run.small_step(step_norm, x_norm, f_old, f_new, g_new);

        let info = IterationInfo {
            iteration: k,
            f: f_new,
            grad_norm: g_new,
            step_norm,
            step_length: Some(alpha),
            radius: None,
            rho: None,
            accepted: true,
            inner_iterations: cgs.iterations,
            negative_curvature: negative,
            hv_products: run.stats.hv_products,
            f_evals: run.stats.f_evals,
            elapsed: run.elapsed(),
        };
        if run.notify(info) {
            break Status::Stopped;
        }
    };
    run.stats.final_damping = lambda;
    Ok(run.finish(status, x, prep))
}
