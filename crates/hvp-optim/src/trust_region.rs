//! Trust-region Newton methods: the subproblem by truncated CG (Steihaug–
//! Toint) or by Lanczos with an exact tridiagonal solve (GLTR-style).
//!
//! Each iteration approximately minimizes the model `m(p) = f + gᵀp +
//! ½ pᵀHp` over `‖p‖ ≤ Δ`, evaluates the trial point with
//! [`Objective::prepare`] (an accepted trial point — the usual case — is
//! then ready for the next iteration), and updates `Δ` from the ratio `ρ`
//! of actual to predicted reduction as documented on
//! [`TrustRegionParams`]. The inner solvers stop at the relative residual
//! `η_k = min(½, √‖g_k‖)`, as in Newton-CG.
//!
//! At a point where a convergence test fires the saddle probe runs (see
//! [`Termination`](crate::Termination)); when it proves negative curvature
//! and [`TrustRegionParams::escape_saddles`] is set, the next step is
//! `±Δ v` along the probe's Ritz vector `v` (sign chosen so `gᵀp ≤ 0`),
//! judged by `ρ` like any other step — so the methods leave saddle points
//! instead of stopping at them.
//!
//! ```
//! use hvp_optim::{continue_always, trust_region_cg, FnObjective, TrustRegionParams};
//! // f = x² − y² + y⁴/4 from the saddle's neighbourhood (1, 0): the
//! // minima are (0, ±√2).
//! let obj = FnObjective::new(
//!     2,
//!     |x: &[f64]| x[0] * x[0] - x[1] * x[1] + x[1].powi(4) / 4.0,
//!     |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * x[0]; g[1] = -2.0 * x[1] + x[1].powi(3); },
//!     |x: &[f64]| vec![2.0, 0.0, 0.0, -2.0 + 3.0 * x[1] * x[1]],
//! );
//! let res = trust_region_cg(&obj, &[1.0, 0.0], &TrustRegionParams::default(), continue_always).unwrap();
//! assert!(res.stats.status.is_converged());
//! assert!((res.x[1].abs() - 2f64.sqrt()).abs() < 1e-8);
//! ```

use crate::common::{NegativeCurvature, Run};
use crate::gltr::{lanczos_tr_subproblem, LanczosTrParams};
use crate::report::{Criterion, IterationInfo, Status};
use crate::util::{axpy, dot, norm, Counted};
use crate::{Objective, OptimError, OptimResult, TrustRegionParams};
use hvp_linop::LinOp;
use hvp_solvers::{cg, Breakdown, CgParams, Status as CgStatus};
use hvp_tensor::Float;
use std::ops::ControlFlow;

/// Which subproblem solver.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Solver {
    Steihaug,
    Lanczos,
}

/// One subproblem's answer.
struct Step<T> {
    p: Vec<T>,
    /// `gᵀp + ½ pᵀHp`.
    model: T,
    on_boundary: bool,
    inner: usize,
    negative: bool,
}

/// Minimizes `obj` from `x0` by trust-region Newton-CG (Steihaug–Toint).
///
/// Statuses: [`Status::Converged`], [`Status::SaddlePoint`] (only where a
/// saddle could not be left, or with `escape_saddles = false`),
/// [`Status::MaxIterations`], [`Status::TimeLimit`], [`Status::Stalled`],
/// [`Status::Stopped`]. `Err` as for [`newton_cg`](crate::newton_cg()).
pub fn trust_region_cg<T, O, F>(
    obj: &O,
    x0: &[T],
    params: &TrustRegionParams<T>,
    observer: F,
) -> Result<OptimResult<T>, OptimError>
where
    T: Float,
    O: Objective<T> + ?Sized,
    F: FnMut(&IterationInfo<T>) -> ControlFlow<()>,
{
    run(
        Solver::Steihaug,
        "trust_region_cg",
        obj,
        x0,
        params,
        observer,
    )
}

/// Minimizes `obj` from `x0` by a trust-region Newton method whose
/// subproblem is solved on a Lanczos tridiagonal
/// ([`lanczos_tr_subproblem`](crate::lanczos_tr_subproblem())): nearly
/// exact, negative curvature and the hard case included.
///
/// Statuses and errors as for [`trust_region_cg`].
pub fn trust_region_lanczos<T, O, F>(
    obj: &O,
    x0: &[T],
    params: &TrustRegionParams<T>,
    observer: F,
) -> Result<OptimResult<T>, OptimError>
where
    T: Float,
    O: Objective<T> + ?Sized,
    F: FnMut(&IterationInfo<T>) -> ControlFlow<()>,
{
    run(
        Solver::Lanczos,
        "trust_region_lanczos",
        obj,
        x0,
        params,
        observer,
    )
}

fn run<T, O, F>(
    solver: Solver,
    method: &'static str,
    obj: &O,
    x0: &[T],
    params: &TrustRegionParams<T>,
    observer: F,
) -> Result<OptimResult<T>, OptimError>
where
    T: Float,
    O: Objective<T> + ?Sized,
    F: FnMut(&IterationInfo<T>) -> ControlFlow<()>,
{
    params.validate(method)?;
    let (mut run, mut prep) = Run::start(method, obj, x0, &params.termination, observer)?;
    let mut x = x0.to_vec();
    let mut radius = params.initial_radius;
    let (half, quarter) = (T::from_f64(0.5), T::from_f64(0.25));
    let mut small: Option<Criterion> = None;
    // The probe's finding at the current x, kept while x does not change.
    let mut probed: Option<Option<NegativeCurvature<T>>> = None;
    let mut k = 0;
    let status = loop {
        let gnorm = norm(&prep.gradient);
        let criterion = if gnorm <= run.gtol {
            Some(Criterion::GradientTolerance)
        } else {
            small
        };
        let mut escape = None;
        if let Some(c) = criterion {
            if probed.is_none() {
                probed = Some(run.probe(&*prep.hessian)?);
            }
            match probed.as_ref().and_then(|p| p.as_ref()) {
                None => break Status::Converged(c),
                Some(nc) if !params.escape_saddles => {
                    break Status::SaddlePoint {
                        min_eigenvalue: nc.value,
                    }
                }
                Some(nc) => escape = Some(nc),
            }
        }
        if let Some(s) = run.limit(k) {
            break match (s, escape) {
                (Status::MaxIterations, Some(nc)) => Status::SaddlePoint {
                    min_eigenvalue: nc.value,
                },
                (s, _) => s,
            };
        }
        k += 1;
        run.stats.iterations = k;

        let g = &prep.gradient;
        let step = match escape {
            Some(nc) => {
                run.stats.saddle_escapes += 1;
                let sign = if dot(g, &nc.vector) > T::zero() {
                    -T::one()
                } else {
                    T::one()
                };
                let vn = norm(&nc.vector);
                let p: Vec<T> = nc.vector.iter().map(|&v| sign * radius * v / vn).collect();
                let model = dot(g, &p) + half * nc.value * radius * radius;
                Step {
                    p,
                    model,
                    on_boundary: true,
                    inner: 0,
                    negative: true,
                }
            }
            None => {
                let counted = Counted::new(&*prep.hessian);
                let rtol = params.forcing.eta(gnorm);
                let s = match solver {
                    Solver::Steihaug => steihaug(method, &counted, g, radius, rtol, params),
                    Solver::Lanczos => {
                        let lp = LanczosTrParams {
                            max_steps: params.lanczos_max_steps,
                            rtol,
                            explore_invariant: params.explore_invariant,
                            seed: params.termination.seed.wrapping_add(k as u64),
                        };
                        lanczos_tr_subproblem(&counted, g, radius, &lp).map(|s| Step {
                            model: s.model_value,
                            on_boundary: s.on_boundary,
                            inner: s.lanczos_steps,
                            negative: s.min_ritz_value < T::zero(),
                            p: s.step,
                        })
                    }
                };
                run.stats.hv_products += counted.count();
                s?
            }
        };
        run.stats.inner_iterations += step.inner;
        if step.negative {
            run.stats.negative_curvature += 1;
        }

        // The trial point and the ratio ρ.
        let mut trial = x.clone();
        axpy(T::one(), &step.p, &mut trial);
        let tp = run.prepare(&trial)?;
        let f = prep.value;
        let pred = -step.model;
        let actual = f - tp.value;
        let noise = T::from_f64(10.0) * T::epsilon() * (T::one() + f.abs());
        let rho = if !(tp.value.is_finite() && tp.gradient.iter().all(|v| v.is_finite())) {
            T::neg_infinity()
        } else if actual.abs() <= noise && pred.abs() <= noise {
            T::one()
        } else if pred > T::zero() {
            actual / pred
        } else {
            T::neg_infinity()
        };
        let pnorm = norm(&step.p);
        if rho < quarter {
            radius = quarter * pnorm.min(radius);
        } else if rho > T::from_f64(0.75) && step.on_boundary {
            radius = (T::from_f64(2.0) * radius).min(params.max_radius);
        }
        let accepted = rho > params.eta;
        let f_new;
        if accepted {
            let x_norm = norm(&x);
            x = trial;
            f_new = tp.value;
            prep = tp;
            probed = None;
            small = run.small_step(pnorm, x_norm, f, f_new, norm(&prep.gradient));
        } else {
            run.stats.rejected_steps += 1;
            f_new = f;
        }
        let g_new = norm(&prep.gradient);
        let info = IterationInfo {
            iteration: k,
            f: f_new,
            grad_norm: g_new,
            step_norm: if accepted { pnorm } else { T::zero() },
            step_length: None,
            radius: Some(radius),
            rho: Some(rho),
            accepted,
            inner_iterations: step.inner,
            negative_curvature: step.negative,
            hv_products: run.stats.hv_products,
            f_evals: run.stats.f_evals,
            elapsed: run.elapsed(),
        };
        if run.notify(info) {
            break Status::Stopped;
        }
        if !(radius > T::epsilon() * (T::one() + norm(&x))) {
            // The region collapsed to rounding level.
            break if g_new <= run.term.stall_factor * run.gtol {
                match run.probe(&*prep.hessian)? {
                    Some(nc) => Status::SaddlePoint {
                        min_eigenvalue: nc.value,
                    },
                    None => Status::Converged(Criterion::StepTolerance),
                }
            } else {
                Status::Stalled
            };
        }
    };
    run.stats.final_radius = Some(radius);
    Ok(run.finish(status, x, prep))
}

/// Steihaug–Toint truncated CG on `H p = −g` inside `‖p‖ ≤ Δ`.
fn steihaug<T: Float>(
    method: &'static str,
    h: &dyn LinOp<T>,
    g: &[T],
    radius: T,
    rtol: T,
    params: &TrustRegionParams<T>,
) -> Result<Step<T>, OptimError> {
    let b: Vec<T> = g.iter().map(|&v| -v).collect();
    let cgp = CgParams {
        rtol,
        atol: T::zero(),
        max_iters: params.cg_max_iters,
        trust_radius: Some(radius),
    };
    let (sol, stats) =
        cg(h, &b, None, None, &cgp).map_err(|e| OptimError::from_solver(method, e))?;
    if stats.status == CgStatus::Breakdown(Breakdown::NonFinite) {
        return Err(OptimError::Operator {
            method,
            message: "a Hessian-vector product is not finite".into(),
        });
    }
    let on_boundary = matches!(
        stats.status,
        CgStatus::TrustRegionBoundary | CgStatus::NegativeCurvature { .. }
    );
    Ok(Step {
        p: sol.x,
        model: sol.model_value,
        on_boundary,
        inner: stats.iterations,
        negative: matches!(stats.status, CgStatus::NegativeCurvature { .. }),
    })
}
