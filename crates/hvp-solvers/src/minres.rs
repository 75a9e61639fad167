//! MINRES (Paige & Saunders, 1975) for symmetric, possibly indefinite or
//! singular systems `(A − σI) x = b`, with an optional symmetric positive
//! definite preconditioner.
//!
//! MINRES minimizes `‖b − A x‖` over the Krylov space, so it needs no
//! definiteness: it solves saddle-point and shifted systems that stop CG,
//! and on a singular system with `b` outside the range it converges to a
//! least-squares solution, recognised by the estimate of `‖A r‖`. The
//! recurrences follow the SOL implementation (as in SciPy's `minres`):
//! `‖r‖`, `‖A r‖`, `‖A‖` and `cond(A)` are estimated at no extra cost.
//!
//! ```
//! use hvp_linop::Diagonal;
//! use hvp_solvers::{minres, MinresParams, Status};
//! // Indefinite: CG would stop with negative curvature.
//! let a = Diagonal::new(vec![3.0f64, -1.0, 0.5]);
//! let (sol, stats) = minres(&a, &[3.0, 1.0, 1.0], None, None, &MinresParams::default()).unwrap();
//! assert_eq!(stats.status, Status::Converged);
//! assert!((sol.x[0] - 1.0).abs() < 1e-7 && (sol.x[1] + 1.0).abs() < 1e-7 && (sol.x[2] - 2.0).abs() < 1e-7);
//! ```

use crate::blas::{axpy, dot, nrm2};
use crate::status::{Breakdown, Stats, Status};
use crate::{check, SolverError};
use hvp_linop::LinOp;
use hvp_tensor::Float;

const NAME: &str = "minres";

/// Parameters of [`minres`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinresParams<T> {
    /// Relative tolerance. Converged when the residual estimate satisfies
    /// `‖r‖ ≤ max(rtol · ‖b‖, atol)`; a least-squares solution when
    /// `‖A r‖ ≤ rtol · ‖A‖ · ‖r‖`. With a preconditioner `M⁻¹` both norms
    /// of `r` and `b` are `M⁻¹`-norms. Default `√ε`.
    pub rtol: T,
    /// Absolute tolerance on the residual estimate. Default `0`.
    pub atol: T,
    /// The most iterations (products with `A`); `None` (the default) means
    /// `5 n`.
    pub max_iters: Option<usize>,
    /// Solve `(A − shift · I) x = b`. Default `0`.
    pub shift: T,
    /// When the residual estimate meets the tolerance, recompute the true
    /// residual (one product) and accept only if it does too. In finite
    /// precision the recurrence can drift from the truth by about
    /// `ε κ ‖A‖ ‖x‖`, so on ill-conditioned systems with large solutions
    /// the estimate alone would claim a residual never attained. Default
    /// `true`.
    pub check_residual: bool,
    /// Restarts from the current `x` on the true residual (iterative
    /// refinement) when the check fails; all cycles share `max_iters`.
    /// Default `3`.
    pub max_restarts: usize,
}

impl<T: Float> Default for MinresParams<T> {
    fn default() -> Self {
        MinresParams {
            rtol: check::sqrt_eps(),
            atol: T::zero(),
            max_iters: None,
            shift: T::zero(),
            check_residual: true,
            max_restarts: 3,
        }
    }
}

/// The result of [`minres`]: the iterate and the estimates the recurrences
/// provide.
#[derive(Debug, Clone, PartialEq)]
pub struct MinresSolution<T> {
    /// The final iterate.
    pub x: Vec<T>,
    /// Estimate of `‖b − (A − σI) x‖` (the `M⁻¹`-norm with a
    /// preconditioner).
    pub residual_norm: T,
    /// Estimate of `‖(A − σI) r‖` for the residual of the previous iterate.
    pub ar_norm: T,
    /// The `‖A r‖` estimate after each iteration.
    pub ar_norms: Vec<T>,
    /// Estimate of `‖A − σI‖` (Frobenius norm of the Lanczos tridiagonal, a
    /// lower bound on the Frobenius norm and of the order of the 2-norm).
    pub a_norm: T,
    /// Estimate of the condition number of `A − σI` (on the Krylov space).
    pub a_cond: T,
    /// `‖x‖`.
    pub x_norm: T,
}

/// Solves the symmetric system `(A − σI) x = b` by MINRES.
///
/// * `x0`: initial guess (`None` is zero; one extra product otherwise).
/// * `precond`: `M⁻¹`, symmetric positive definite.
///
/// Statuses: [`Status::Converged`] (with
/// [`check_residual`](MinresParams::check_residual), confirmed on the true
/// residual); [`Status::LeastSquares`] (singular system, `b` not in the
/// range: `x` satisfies the normal equations to tolerance, but is not
/// necessarily the minimum-norm solution); [`Status::MaxIterations`];
/// [`Status::Breakdown`] for an indefinite preconditioner, a non-finite
/// value, or [`Breakdown::Stagnation`] when the true residual misses the
/// tolerance after every restart. When the Lanczos process finds an
/// invariant subspace the true residual decides between `Converged` and
/// `LeastSquares`. A zero `b` returns `x = 0` at once.
///
/// [`Stats`]: `iterations` counts MINRES steps (products with `A` in the
/// loop) over all cycles; `operator_applications` adds one for `x0` and
/// one per true-residual check; `preconditioner_applications` is one per
/// step plus one per cycle (plus one with both `x0` and a preconditioner,
/// for `‖b‖_{M⁻¹}`); `residual_norms` holds the residual at the start of
/// each cycle and the estimate after each step.
///
/// `Err` only for invalid input or a failing operator. Work vectors are
/// allocated once per call, shared by the cycles; the loop allocates
/// nothing (histories are reserved for 4096 entries).
pub fn minres<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    b: &[T],
    x0: Option<&[T]>,
    precond: Option<&dyn LinOp<T>>,
    params: &MinresParams<T>,
) -> Result<(MinresSolution<T>, Stats<T>), SolverError> {
    let n = check::square(NAME, "operator", a)?;
    check::vector(NAME, "right-hand side", b, n)?;
    if let Some(x0) = x0 {
        check::vector(NAME, "initial guess", x0, n)?;
    }
    if let Some(m) = precond {
        check::square_of_size(NAME, "preconditioner", m, n)?;
    }
    check::tolerance(NAME, "rtol", params.rtol)?;
    check::tolerance(NAME, "atol", params.atol)?;
    if !params.shift.is_finite() {
        return Err(SolverError::InvalidParam {
            solver: NAME,
            param: "shift",
            reason: format!("must be finite, got {}", params.shift),
        });
    }
    let max_iters = params.max_iters.unwrap_or(5 * n);
    let op_err = check::op_err(NAME);
    let zero = T::zero();

    let mut stats = Stats::with_capacity(max_iters.min(4096) + 1, Status::MaxIterations);
    let mut est = Estimates {
        rnorm: zero,
        ar_norm: zero,
        ar_norms: Vec::with_capacity(max_iters.min(4096)),
        a_norm: zero,
        a_cond: zero,
    };
    let mut x = vec![T::zero(); n];
    if nrm2(b) <= zero {
        stats.residual_norms.push(zero);
        stats.status = Status::Converged;
        return Ok((est.solution(x), stats));
    }
    let mut w = Work::new(n);
    // residual = b − (A − σI) x, into w.r1.
    let true_residual = |x: &[T], w: &mut Work<T>, stats: &mut Stats<T>| {
        a.apply(x, &mut w.y).map_err(&op_err)?;
        stats.operator_applications += 1;
        w.r1.copy_from_slice(b);
        axpy(-T::one(), &w.y, &mut w.r1);
        axpy(params.shift, x, &mut w.r1);
        Ok::<(), SolverError>(())
    };
    match x0 {
        Some(x0) => {
            x.copy_from_slice(x0);
            true_residual(&x, &mut w, &mut stats)?;
        }
        None => w.r1.copy_from_slice(b),
    }
    // ‖b‖ in the norm of the residual estimates (the M⁻¹-norm with a
    // preconditioner, known from the first cycle when x0 = 0).
    let bnorm = match (x0, precond) {
        (_, None) => Some(nrm2(b)),
        (None, Some(_)) => None,
        (Some(_), Some(m)) => {
            m.apply(b, &mut w.y).map_err(&op_err)?;
            stats.preconditioner_applications += 1;
            Some(dot(b, &w.y).max(zero).sqrt())
        }
    };
    let mut threshold = bnorm.map(|bn| (params.rtol * bn).max(params.atol));
    // After a cycle whose estimate converged (or whose Krylov space was
    // exhausted), the true residual is computed and the next cycle starts
    // by measuring it: with no budget it only checks, with budget it is a
    // restart (iterative refinement).
    let mut pending: Option<CycleEnd<T>> = None;
    let mut restarts = 0;
    loop {
        let budget = match &pending {
            None => max_iters - stats.iterations,
            Some(CycleEnd::Estimate) if restarts < params.max_restarts => {
                restarts += 1;
                max_iters - stats.iterations
            }
            Some(_) => 0,
        };
        let end = cycle(
            a,
            precond,
            params,
            &mut x,
            &mut w,
            &mut threshold,
            budget,
            &mut stats,
            &mut est,
        )?;
        match end {
            CycleEnd::AtStart => {
                stats.status = Status::Converged;
                break;
            }
            CycleEnd::Done(Status::MaxIterations) if budget == 0 && pending.is_some() => {
                stats.status = match pending {
                    Some(CycleEnd::Invariant) => Status::LeastSquares,
                    _ if stats.iterations >= max_iters => Status::MaxIterations,
                    _ => Status::Breakdown(Breakdown::Stagnation),
                };
                break;
            }
            CycleEnd::Done(status) => {
                stats.status = status;
                break;
            }
            CycleEnd::Estimate if !params.check_residual => {
                stats.status = Status::Converged;
                break;
            }
            CycleEnd::Estimate | CycleEnd::Invariant => {
                true_residual(&x, &mut w, &mut stats)?;
                pending = Some(end);
            }
        }
    }
    Ok((est.solution(x), stats))
}

/// The running estimates reported in [`MinresSolution`].
struct Estimates<T> {
    rnorm: T,
    ar_norm: T,
    ar_norms: Vec<T>,
    a_norm: T,
    a_cond: T,
}

impl<T: Float> Estimates<T> {
    fn solution(self, x: Vec<T>) -> MinresSolution<T> {
        let x_norm = nrm2(&x);
        MinresSolution {
            x,
            residual_norm: self.rnorm,
            ar_norm: self.ar_norm,
            ar_norms: self.ar_norms,
            a_norm: self.a_norm,
            a_cond: self.a_cond,
            x_norm,
        }
    }
}

/// Work vectors of one call, shared by its cycles.
struct Work<T> {
    r1: Vec<T>,
    r2: Vec<T>,
    y: Vec<T>,
    v: Vec<T>,
    w: Vec<T>,
    w1: Vec<T>,
    w2: Vec<T>,
}

impl<T: Float> Work<T> {
    fn new(n: usize) -> Self {
        let z = || vec![T::zero(); n];
        Work {
            r1: z(),
            r2: z(),
            y: z(),
            v: z(),
            w: z(),
            w1: z(),
            w2: z(),
        }
    }
}

/// How one MINRES cycle ended.
#[derive(Debug, Clone, PartialEq)]
enum CycleEnd<T> {
    /// The starting residual already met the tolerance (no step taken).
    AtStart,
    /// The residual estimate met the tolerance.
    Estimate,
    /// `β ≈ 0`: the Krylov space is invariant.
    Invariant,
    /// Any other end, with its final status.
    Done(Status<T>),
}

/// One MINRES cycle on `(A − σI) e = r` (`r` in `w.r1`), adding `e` into
/// `x`. Sets the threshold from `β₁` when it is not yet known (the first
/// cycle with a preconditioner and no `x0`).
#[allow(clippy::too_many_arguments)]
fn cycle<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    precond: Option<&dyn LinOp<T>>,
    params: &MinresParams<T>,
    x: &mut [T],
    w: &mut Work<T>,
    threshold: &mut Option<T>,
    budget: usize,
    stats: &mut Stats<T>,
    est: &mut Estimates<T>,
) -> Result<CycleEnd<T>, SolverError> {
    let op_err = check::op_err(NAME);
    let zero = T::zero();
    let eps = T::epsilon();
    let shift = params.shift;
    let precondition = |r: &[T], z: &mut [T], stats: &mut Stats<T>| -> Result<(), SolverError> {
        match precond {
            Some(m) => {
                m.apply(r, z).map_err(&op_err)?;
                stats.preconditioner_applications += 1;
            }
            None => z.copy_from_slice(r),
        }
        Ok(())
    };
    // y = M⁻¹ r1; β₁ = √(r1ᵀ y).
    precondition(&w.r1, &mut w.y, stats)?;
    let beta1_sq = dot(&w.r1, &w.y);
    if !beta1_sq.is_finite() {
        return Ok(CycleEnd::Done(Status::Breakdown(Breakdown::NonFinite)));
    }
    if beta1_sq < zero {
        return Ok(CycleEnd::Done(Status::Breakdown(
            Breakdown::IndefinitePreconditioner,
        )));
    }
    let beta1 = beta1_sq.sqrt();
    let threshold = *threshold.get_or_insert((params.rtol * beta1).max(params.atol));
    stats.residual_norms.push(beta1);
    est.rnorm = beta1;
    if beta1 <= threshold {
        return Ok(CycleEnd::AtStart);
    }
    if budget == 0 {
        return Ok(CycleEnd::Done(Status::MaxIterations));
    }

    w.r2.copy_from_slice(&w.r1);
    w.w.fill(zero);
    w.w1.fill(zero);
    w.w2.fill(zero);
    let (mut oldb, mut beta, mut dbar, mut epsln) = (zero, beta1, zero, zero);
    let mut phibar = beta1;
    let mut tnorm2 = zero;
    let (mut gmax, mut gmin) = (zero, T::max_value());
    let (mut cs, mut sn) = (-T::one(), zero);

    for itn in 1..=budget {
        // Lanczos step: v = y / β; y = (A − σI) v − (β/β_old) r1 − (α/β) r2.
        let s = T::one() / beta;
        for (vi, &yi) in w.v.iter_mut().zip(&w.y) {
            *vi = s * yi;
        }
        a.apply(&w.v, &mut w.y).map_err(&op_err)?;
        stats.operator_applications += 1;
        stats.iterations += 1;
        axpy(-shift, &w.v, &mut w.y);
        if itn >= 2 {
            axpy(-beta / oldb, &w.r1, &mut w.y);
        }
        let alfa = dot(&w.v, &w.y);
        axpy(-alfa / beta, &w.r2, &mut w.y);
        // r1 ← r2, r2 ← y, y ← M⁻¹ r2 (buffers rotate; nothing allocates).
        std::mem::swap(&mut w.r1, &mut w.r2);
        std::mem::swap(&mut w.r2, &mut w.y);
        precondition(&w.r2, &mut w.y, stats)?;
        oldb = beta;
        let beta_sq = dot(&w.r2, &w.y);
        if !(beta_sq.is_finite() && alfa.is_finite()) {
            return Ok(CycleEnd::Done(Status::Breakdown(Breakdown::NonFinite)));
        }
        if beta_sq < zero {
            return Ok(CycleEnd::Done(Status::Breakdown(
                Breakdown::IndefinitePreconditioner,
            )));
        }
        beta = beta_sq.sqrt();
        tnorm2 += alfa * alfa + oldb * oldb + beta * beta;

        // Apply the previous rotation, then compute and apply the next.
        let oldeps = epsln;
        let delta = cs * dbar + sn * alfa;
        let gbar = sn * dbar - cs * alfa;
        epsln = sn * beta;
        dbar = -cs * beta;
        let root = gbar.hypot(dbar);
        est.ar_norm = phibar * root;
        let gamma = gbar.hypot(beta).max(eps);
        cs = gbar / gamma;
        sn = beta / gamma;
        let phi = cs * phibar;
        phibar = sn * phibar;

        // x ← x + φ w with w = (v − ε w1 − δ w2) / γ.
        let denom = T::one() / gamma;
        std::mem::swap(&mut w.w1, &mut w.w2);
        std::mem::swap(&mut w.w2, &mut w.w);
        for ((wi, &vi), (&w1i, &w2i)) in w.w.iter_mut().zip(&w.v).zip(w.w1.iter().zip(&w.w2)) {
            *wi = (vi - oldeps * w1i - delta * w2i) * denom;
        }
        axpy(phi, &w.w, x);

        gmax = gmax.max(gamma);
        gmin = gmin.min(gamma);
        est.a_norm = tnorm2.sqrt();
        est.a_cond = gmax / gmin;
        est.rnorm = phibar;
        stats.residual_norms.push(phibar);
        est.ar_norms.push(est.ar_norm);

        if !phibar.is_finite() {
            return Ok(CycleEnd::Done(Status::Breakdown(Breakdown::NonFinite)));
        }
        if phibar <= threshold {
            return Ok(CycleEnd::Estimate);
        }
        // ‖A r_{k−1}‖ / (‖A‖ ‖r_{k−1}‖), the least-squares test.
        let ls_test = if est.a_norm > zero {
            root / est.a_norm
        } else {
            T::infinity()
        };
        if ls_test <= params.rtol {
            return Ok(CycleEnd::Done(Status::LeastSquares));
        }
        // β = 0: the next step would divide by zero.
        if beta <= T::from_f64(10.0) * eps * est.a_norm {
            return Ok(CycleEnd::Invariant);
        }
    }
    Ok(CycleEnd::Done(Status::MaxIterations))
}
