//! Conjugate gradients for symmetric positive definite systems `A x = b`,
//! with an optional preconditioner, a trust-region mode (Steihaug–Toint)
//! and negative curvature reported, never stepped over.
//!
//! This is the inner solver of Newton-CG and trust-region Newton methods on
//! Hessian operators. An indefinite `A` is an expected outcome there, so a
//! direction `p` with `pᵀ A p ≤ 0` ends the iteration with
//! [`Status::NegativeCurvature`] carrying `p` — a descent direction of
//! negative curvature the optimizer can use.
//!
//! ```
//! use hvp_linop::Dense;
//! use hvp_solvers::{cg, CgParams, Status};
//! let a = Dense::from_rows(&[[4.0f64, 1.0], [1.0, 3.0]]).unwrap();
//! let b = [1.0, 2.0];
//! let (sol, stats) = cg(&a, &b, None, None, &CgParams::default()).unwrap();
//! assert_eq!(stats.status, Status::Converged);
//! assert!(stats.iterations <= 2); // n distinct eigenvalues → n steps
//! assert!((sol.x[0] - 1.0 / 11.0).abs() < 1e-7 && (sol.x[1] - 7.0 / 11.0).abs() < 1e-7);
//!
//! // The same system in a trust region of radius 0.1: the step stops on the
//! // boundary.
//! let tr = CgParams { trust_radius: Some(0.1), ..CgParams::default() };
//! let (sol, stats) = cg(&a, &b, None, None, &tr).unwrap();
//! assert_eq!(stats.status, Status::TrustRegionBoundary);
//! let norm = (sol.x[0] * sol.x[0] + sol.x[1] * sol.x[1]).sqrt();
//! assert!((norm - 0.1).abs() < 1e-12);
//! ```

use crate::blas::{axpy, dot, nrm2, xpby};
use crate::status::{Breakdown, Stats, Status};
use crate::{check, SolverError};
use hvp_linop::{Identity, Inverse, LinOp, LinOpError, Solve};
use hvp_tensor::Float;
use std::sync::Mutex;

const NAME: &str = "cg";

/// Parameters of [`cg`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CgParams<T> {
    /// Relative tolerance: stop when `‖r‖ ≤ max(rtol · ‖b‖, atol)`, with
    /// `r = b − A x` the recurrence residual. Default `√ε` (about `1.5e-8`
    /// in f64, `3.5e-4` in f32).
    pub rtol: T,
    /// Absolute tolerance on `‖r‖`. Default `0`.
    pub atol: T,
    /// The most CG steps (products with `A`); `None` (the default) means
    /// `10 n`.
    pub max_iters: Option<usize>,
    /// Trust-region radius `Δ` (Steihaug–Toint). `None` (the default) solves
    /// the system; `Some(Δ)` minimizes `½ xᵀAx − bᵀx` over `‖x‖ ≤ Δ`
    /// approximately, starting from `x = 0`, and stops on the boundary. With
    /// a preconditioner `M⁻¹` the region is measured in the `M`-norm
    /// `‖x‖_M = √(xᵀ M x)` (computed by recurrences, without `M`).
    pub trust_radius: Option<T>,
}

impl<T: Float> Default for CgParams<T> {
    fn default() -> Self {
        CgParams {
            rtol: check::sqrt_eps(),
            atol: T::zero(),
            max_iters: None,
            trust_radius: None,
        }
    }
}

/// The result of [`cg`].
#[derive(Debug, Clone, PartialEq)]
pub struct CgSolution<T> {
    /// The final iterate (on the boundary when the status says so).
    pub x: Vec<T>,
    /// The quadratic model `½ xᵀ A x − bᵀ x` at `x`, from the recurrence
    /// residual (no extra product): `−½ (b + r)ᵀ x`.
    pub model_value: T,
    /// In trust-region mode, `‖x‖` in the trust-region norm (Euclidean, or
    /// the `M`-norm with a preconditioner); `None` otherwise.
    pub trust_norm: Option<T>,
}

/// Solves `A x = b` for symmetric `A` by (preconditioned) conjugate
/// gradients.
///
/// * `x0`: initial guess (`None` is zero; one extra product otherwise).
///   Not allowed in trust-region mode, which starts at zero.
/// * `precond`: `M⁻¹` as an operator (symmetric positive definite), e.g. a
///   [`Diagonal`](hvp_linop::Diagonal) of inverse diagonal entries.
///
/// Statuses: [`Status::Converged`]; [`Status::MaxIterations`];
/// [`Status::NegativeCurvature`] when `pᵀAp ≤ 0` (without a trust region
/// `x` is the iterate before `p`; with one, `x` is the boundary point along
/// `p`); [`Status::TrustRegionBoundary`]; [`Status::Breakdown`] for a
/// non-positive `rᵀM⁻¹r` (indefinite preconditioner) or a non-finite value.
/// A zero `b` returns `x = 0` at once (0 iterations), whatever `x0`.
///
/// [`Stats`]: `iterations` counts loop passes, one product with `A` each;
/// `operator_applications` is `iterations`, plus one with `x0`;
/// `preconditioner_applications` is one per residual preconditioned
/// (before the first step and after each step that does not end the
/// iteration); `residual_norms` holds `‖r_0‖` and then `‖r‖` after each
/// update of `x`.
///
/// `Err` only for invalid input (lengths, shapes, non-finite `b` or `x0`,
/// tolerances, radius) or a failing operator. Work vectors are allocated
/// once per call and the loop allocates nothing (the residual history is
/// reserved for 4096 entries and grows, amortized, only beyond).
pub fn cg<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    b: &[T],
    x0: Option<&[T]>,
    precond: Option<&dyn LinOp<T>>,
    params: &CgParams<T>,
) -> Result<(CgSolution<T>, Stats<T>), SolverError> {
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
    if let Some(delta) = params.trust_radius {
        if !(delta.is_finite() && delta > T::zero()) {
            return Err(SolverError::InvalidParam {
                solver: NAME,
                param: "trust_radius",
                reason: format!("must be finite and positive, got {delta}"),
            });
        }
        if x0.is_some() {
            return Err(SolverError::InvalidParam {
                solver: NAME,
                param: "trust_radius",
                reason: "trust-region mode starts at x = 0 and takes no initial guess".into(),
            });
        }
    }
    let max_iters = params.max_iters.unwrap_or(10 * n);
    let op_err = check::op_err(NAME);
    let half = T::from_f64(0.5);

    let mut stats = Stats::with_capacity(max_iters.min(4096) + 1, Status::MaxIterations);
    let bnorm = nrm2(b);
    if bnorm <= T::zero() {
        stats.residual_norms.push(T::zero());
        stats.status = Status::Converged;
        let trust_norm = params.trust_radius.map(|_| T::zero());
        let sol = CgSolution {
            x: vec![T::zero(); n],
            model_value: T::zero(),
            trust_norm,
        };
        return Ok((sol, stats));
    }
    let threshold = (params.rtol * bnorm).max(params.atol);

    let mut x = vec![T::zero(); n];
    let mut r = b.to_vec();
    let mut ap = vec![T::zero(); n];
    if let Some(x0) = x0 {
        x.copy_from_slice(x0);
        a.apply(&x, &mut ap).map_err(&op_err)?;
        stats.operator_applications += 1;
        axpy(-T::one(), &ap, &mut r);
    }
    let finish = |x: Vec<T>, r: &[T], trust_norm: Option<T>| {
        let model_value = -half * (dot(b, &x) + dot(r, &x));
        CgSolution {
            x,
            model_value,
            trust_norm,
        }
    };

    let mut rnorm = nrm2(&r);
    stats.residual_norms.push(rnorm);
    if rnorm <= threshold {
        stats.status = Status::Converged;
        return Ok((finish(x, &r, None), stats));
    }

    let mut z = vec![T::zero(); n];
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
    precondition(&r, &mut z, &mut stats)?;
    let mut rz = dot(&r, &z);
    if let Some(b) = rz_breakdown(rz) {
        stats.status = Status::Breakdown(b);
        return Ok((finish(x, &r, None), stats));
    }
    let mut p = z.clone();

    // Trust-region bookkeeping: x·Mp, p·Mp, x·Mx by the Steihaug
    // recurrences (exact for M = I, where they are computed directly).
    let delta = params.trust_radius;
    let (mut xmp, mut pmp, mut xmx) = (T::zero(), rz, T::zero());

    for k in 0..max_iters {
        a.apply(&p, &mut ap).map_err(&op_err)?;
        stats.operator_applications += 1;
        stats.iterations = k + 1;
        let kappa = dot(&p, &ap);
        if !kappa.is_finite() {
            stats.status = Status::Breakdown(Breakdown::NonFinite);
            let tn = delta.map(|_| norm_in(precond, &x, xmx));
            return Ok((finish(x, &r, tn), stats));
        }
        if kappa <= T::zero() {
            let curvature = kappa / dot(&p, &p);
            let (boundary_step, tn) = match delta {
                Some(delta) => {
                    if precond.is_none() {
                        (xmp, pmp, xmx) = (dot(&x, &p), dot(&p, &p), dot(&x, &x));
                    }
                    let tau = boundary_step(xmx, xmp, pmp, delta);
                    axpy(tau, &p, &mut x);
                    axpy(-tau, &ap, &mut r);
                    stats.residual_norms.push(nrm2(&r));
                    (Some(tau), Some(delta))
                }
                None => (None, None),
            };
            stats.status = Status::NegativeCurvature {
                direction: p,
                curvature,
                boundary_step,
            };
            return Ok((finish(x, &r, tn), stats));
        }
        let alpha = rz / kappa;
        if let Some(delta) = delta {
            if precond.is_none() {
                (xmp, pmp, xmx) = (dot(&x, &p), dot(&p, &p), dot(&x, &x));
            }
            let next = xmx + T::from_f64(2.0) * alpha * xmp + alpha * alpha * pmp;
            if next >= delta * delta {
                let tau = boundary_step(xmx, xmp, pmp, delta);
                axpy(tau, &p, &mut x);
                axpy(-tau, &ap, &mut r);
                stats.residual_norms.push(nrm2(&r));
                stats.status = Status::TrustRegionBoundary;
                return Ok((finish(x, &r, Some(delta)), stats));
            }
            xmx = next;
        }
        axpy(alpha, &p, &mut x);
        axpy(-alpha, &ap, &mut r);
        rnorm = nrm2(&r);
        stats.residual_norms.push(rnorm);
        if rnorm <= threshold {
            stats.status = Status::Converged;
            let tn = delta.map(|_| norm_in(precond, &x, xmx));
            return Ok((finish(x, &r, tn), stats));
        }
        if !rnorm.is_finite() {
            stats.status = Status::Breakdown(Breakdown::NonFinite);
            let tn = delta.map(|_| norm_in(precond, &x, xmx));
            return Ok((finish(x, &r, tn), stats));
        }
        if k + 1 == max_iters {
            break;
        }
        precondition(&r, &mut z, &mut stats)?;
        let rz_next = dot(&r, &z);
        if let Some(b) = rz_breakdown(rz_next) {
            stats.status = Status::Breakdown(b);
            let tn = delta.map(|_| norm_in(precond, &x, xmx));
            return Ok((finish(x, &r, tn), stats));
        }
        let beta = rz_next / rz;
        rz = rz_next;
        xpby(&z, beta, &mut p);
        if precond.is_some() {
            xmp = beta * (xmp + alpha * pmp);
            pmp = rz + beta * beta * pmp;
        }
    }
    stats.status = Status::MaxIterations;
    let tn = delta.map(|_| norm_in(precond, &x, xmx));
    Ok((finish(x, &r, tn), stats))
}

/// The breakdown, if any, signalled by `rᵀ M⁻¹ r` for a nonzero `r`.
fn rz_breakdown<T: Float>(rz: T) -> Option<Breakdown> {
    if !rz.is_finite() {
        Some(Breakdown::NonFinite)
    } else if rz <= T::zero() {
        Some(Breakdown::IndefinitePreconditioner)
    } else {
        None
    }
}

/// `‖x‖` in the trust-region norm: Euclidean without a preconditioner, the
/// recurrence value `√(xᵀMx)` with one.
fn norm_in<T: Float>(precond: Option<&dyn LinOp<T>>, x: &[T], xmx: T) -> T {
    match precond {
        Some(_) => xmx.max(T::zero()).sqrt(),
        None => nrm2(x),
    }
}

/// The `τ ≥ 0` with `‖x + τ p‖ = Δ`, i.e. the positive root of
/// `pMp τ² + 2 xMp τ + (xMx − Δ²) = 0`, in the form that avoids
/// cancellation.
fn boundary_step<T: Float>(xmx: T, xmp: T, pmp: T, delta: T) -> T {
    let c = (xmx - delta * delta).min(T::zero());
    let disc = (xmp * xmp - pmp * c).max(T::zero()).sqrt();
    if xmp > T::zero() {
        -c / (xmp + disc)
    } else {
        (disc - xmp) / pmp
    }
}

/// CG bound to an operator (and optionally a preconditioner), usable as a
/// [`Solve`] so that [`Inverse`] applies `A⁻¹` lazily — the influence
/// function `H⁻¹ g` of a Hessian operator, or an inner solve of another
/// method.
///
/// Each `solve(b, x)` runs [`cg`] with `x` as the initial guess (zero, and
/// so no extra product, when `x` is all zeros). A status other than
/// [`Status::Converged`] is an `Err` ([`LinOpError::Failed`]) unless
/// [`CgSolver::allow_unconverged`] was called; the statistics of the last
/// solve are kept for inspection.
///
/// ```
/// use hvp_linop::{Dense, LinOp};
/// use hvp_solvers::{CgParams, CgSolver};
/// let a = Dense::from_rows(&[[2.0f64, 0.5], [0.5, 1.0]]).unwrap();
/// let params = CgParams { rtol: 1e-12, ..CgParams::default() };
/// let inv = CgSolver::new(a.clone(), params).into_inverse();
/// let mut x = [0.0; 2];
/// inv.apply(&[1.0, 1.0], &mut x).unwrap(); // x = A⁻¹ [1, 1]
/// let mut ax = [0.0; 2];
/// a.apply(&x, &mut ax).unwrap();
/// assert!((ax[0] - 1.0).abs() < 1e-10 && (ax[1] - 1.0).abs() < 1e-10);
/// assert_eq!(inv.solver().last_stats().unwrap().operator_applications, 2);
/// ```
#[derive(Debug)]
pub struct CgSolver<T: Float, A, P = Identity<T>> {
    op: A,
    precond: Option<P>,
    params: CgParams<T>,
    require_convergence: bool,
    last: Mutex<Option<Stats<T>>>,
}

impl<T: Float, A: LinOp<T>> CgSolver<T, A, Identity<T>> {
    /// CG on `op` with `params`, without a preconditioner.
    pub fn new(op: A, params: CgParams<T>) -> Self {
        CgSolver {
            op,
            precond: None,
            params,
            require_convergence: true,
            last: Mutex::new(None),
        }
    }
}

impl<T: Float, A: LinOp<T>, P: LinOp<T>> CgSolver<T, A, P> {
    /// The same solver with `precond` as `M⁻¹`.
    pub fn with_preconditioner<Q: LinOp<T>>(self, precond: Q) -> CgSolver<T, A, Q> {
        CgSolver {
            op: self.op,
            precond: Some(precond),
            params: self.params,
            require_convergence: self.require_convergence,
            last: Mutex::new(None),
        }
    }

    /// Accept any status (the last iterate is returned) instead of failing
    /// when CG does not converge.
    pub fn allow_unconverged(mut self) -> Self {
        self.require_convergence = false;
        self
    }

    /// The operator.
    pub fn operator(&self) -> &A {
        &self.op
    }

    /// The parameters.
    pub fn params(&self) -> &CgParams<T> {
        &self.params
    }

    /// The statistics of the last solve, if any.
    pub fn last_stats(&self) -> Option<Stats<T>> {
        self.last.lock().ok().and_then(|s| s.clone())
    }

    /// `A⁻¹` as a lazy operator (declared symmetric, as CG requires).
    pub fn into_inverse(self) -> Inverse<Self> {
        let n = self.op.nrows();
        Inverse::new(n, self, true)
    }
}

impl<T: Float, A: LinOp<T>, P: LinOp<T>> Solve<T> for CgSolver<T, A, P> {
    fn solve(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError> {
        let failed = |message: String| LinOpError::Failed {
            op: NAME.into(),
            message,
        };
        let zero_guess = x.iter().all(|v| v.is_zero());
        let guess = if zero_guess { None } else { Some(&x[..]) };
        let precond = self.precond.as_ref().map(|p| p as &dyn LinOp<T>);
        let (sol, stats) =
            cg(&self.op, b, guess, precond, &self.params).map_err(|e| failed(e.to_string()))?;
        x.copy_from_slice(&sol.x);
        let status = stats.status.clone();
        let iterations = stats.iterations;
        if let Ok(mut last) = self.last.lock() {
            *last = Some(stats);
        }
        if self.require_convergence && !status.is_converged() {
            return Err(failed(format!(
                "did not converge: {status} after {iterations} iterations"
            )));
        }
        Ok(())
    }
}
