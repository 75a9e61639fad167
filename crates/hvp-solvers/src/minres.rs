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
}

impl<T: Float> Default for MinresParams<T> {
    fn default() -> Self {
        MinresParams {
            rtol: check::sqrt_eps(),
            atol: T::zero(),
            max_iters: None,
            shift: T::zero(),
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
/// Statuses: [`Status::Converged`]; [`Status::LeastSquares`] (singular
/// system, `b` not in the range: `x` minimizes `‖r‖`, not necessarily with
/// minimum norm); [`Status::MaxIterations`]; [`Status::Breakdown`] for an
/// indefinite preconditioner or a non-finite value. When the Lanczos
/// process finds an invariant subspace the residual is recomputed (one
/// more product) and decides between `Converged` and `LeastSquares`. A
/// zero `b` returns `x = 0` at once.
///
/// [`Stats`]: `iterations` counts products with `A` in the loop;
/// `operator_applications` adds one for `x0` and one for an
/// invariant-subspace check; `preconditioner_applications` is one per
/// iteration plus one at the start (plus one with both `x0` and a
/// preconditioner, for `‖b‖_{M⁻¹}`); `residual_norms` holds `‖r_0‖` and
/// the residual estimate after each iteration.
///
/// `Err` only for invalid input or a failing operator.
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
    let eps = T::epsilon();
    let shift = params.shift;

    let mut stats = Stats::with_capacity(max_iters.min(4096) + 1, Status::MaxIterations);
    let mut x = vec![T::zero(); n];
    let done = |x: Vec<T>, residual_norm: T, ar_norm: T, ar_norms: Vec<T>, a_norm: T, a_cond: T| {
        let x_norm = nrm2(&x);
        MinresSolution {
            x,
            residual_norm,
            ar_norm,
            ar_norms,
            a_norm,
            a_cond,
            x_norm,
        }
    };
    let zero = T::zero();
    if nrm2(b) <= zero {
        stats.residual_norms.push(zero);
        stats.status = Status::Converged;
        return Ok((done(x, zero, zero, Vec::new(), zero, zero), stats));
    }

    // r1 = b − (A − σI) x0; y = M⁻¹ r1; β₁ = √(r1ᵀ y).
    let mut r1 = b.to_vec();
    let mut y = vec![T::zero(); n];
    if let Some(x0) = x0 {
        x.copy_from_slice(x0);
        a.apply(&x, &mut y).map_err(&op_err)?;
        stats.operator_applications += 1;
        axpy(-T::one(), &y, &mut r1);
        axpy(shift, &x, &mut r1);
    }
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
    precondition(&r1, &mut y, &mut stats)?;
    let beta1_sq = dot(&r1, &y);
    if !beta1_sq.is_finite() {
        stats.status = Status::Breakdown(Breakdown::NonFinite);
        return Ok((done(x, T::nan(), T::nan(), Vec::new(), zero, zero), stats));
    }
    if beta1_sq < zero {
        stats.status = Status::Breakdown(Breakdown::IndefinitePreconditioner);
        return Ok((done(x, T::nan(), T::nan(), Vec::new(), zero, zero), stats));
    }
    let beta1 = beta1_sq.sqrt();
    // ‖b‖ in the norm the residual estimates use.
    let bnorm = match (x0, precond) {
        (None, _) => beta1,
        (Some(_), None) => nrm2(b),
        (Some(_), Some(m)) => {
            let mut mb = vec![T::zero(); n];
            m.apply(b, &mut mb).map_err(&op_err)?;
            stats.preconditioner_applications += 1;
            dot(b, &mb).max(zero).sqrt()
        }
    };
    let threshold = (params.rtol * bnorm).max(params.atol);
    stats.residual_norms.push(beta1);
    if beta1 <= threshold {
        stats.status = Status::Converged;
        return Ok((done(x, beta1, zero, Vec::new(), zero, zero), stats));
    }

    let mut r2 = r1.clone();
    let mut v = vec![T::zero(); n];
    let mut w = vec![T::zero(); n];
    let mut w1 = vec![T::zero(); n];
    let mut w2 = vec![T::zero(); n];
    let mut ar_norms = Vec::with_capacity(max_iters.min(4096));

    let (mut oldb, mut beta, mut dbar, mut epsln) = (zero, beta1, zero, zero);
    let mut phibar = beta1;
    let (mut rhs1, mut rhs2) = (beta1, zero);
    let mut tnorm2 = zero;
    let (mut gmax, mut gmin) = (zero, T::max_value());
    let (mut cs, mut sn) = (-T::one(), zero);
    let (mut rnorm, mut ar_norm, mut a_norm, mut a_cond) = (beta1, zero, zero, zero);

    for itn in 1..=max_iters {
        // Lanczos step: v = y / β; y = (A − σI) v − (β/β_old) r1 − (α/β) r2.
        let s = T::one() / beta;
        for (vi, &yi) in v.iter_mut().zip(&y) {
            *vi = s * yi;
        }
        a.apply(&v, &mut y).map_err(&op_err)?;
        stats.operator_applications += 1;
        stats.iterations = itn;
        axpy(-shift, &v, &mut y);
        if itn >= 2 {
            axpy(-beta / oldb, &r1, &mut y);
        }
        let alfa = dot(&v, &y);
        axpy(-alfa / beta, &r2, &mut y);
        // r1 ← r2, r2 ← y, y ← M⁻¹ r2 (buffers rotate; nothing allocates).
        std::mem::swap(&mut r1, &mut r2);
        std::mem::swap(&mut r2, &mut y);
        precondition(&r2, &mut y, &mut stats)?;
        oldb = beta;
        let beta_sq = dot(&r2, &y);
        if !(beta_sq.is_finite() && alfa.is_finite()) {
            stats.status = Status::Breakdown(Breakdown::NonFinite);
            break;
        }
        if beta_sq < zero {
            stats.status = Status::Breakdown(Breakdown::IndefinitePreconditioner);
            break;
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
        ar_norm = phibar * root;
        let gamma = gbar.hypot(beta).max(eps);
        cs = gbar / gamma;
        sn = beta / gamma;
        let phi = cs * phibar;
        phibar = sn * phibar;

        // x ← x + φ w with w = (v − ε w1 − δ w2) / γ.
        let denom = T::one() / gamma;
        std::mem::swap(&mut w1, &mut w2);
        std::mem::swap(&mut w2, &mut w);
        for ((wi, &vi), (&w1i, &w2i)) in w.iter_mut().zip(&v).zip(w1.iter().zip(&w2)) {
            *wi = (vi - oldeps * w1i - delta * w2i) * denom;
        }
        axpy(phi, &w, &mut x);

        gmax = gmax.max(gamma);
        gmin = gmin.min(gamma);
        let zk = rhs1 / gamma;
        rhs1 = rhs2 - delta * zk;
        rhs2 = -epsln * zk;

        a_norm = tnorm2.sqrt();
        a_cond = gmax / gmin;
        rnorm = phibar;
        stats.residual_norms.push(rnorm);
        ar_norms.push(ar_norm);

        if !rnorm.is_finite() {
            stats.status = Status::Breakdown(Breakdown::NonFinite);
            break;
        }
        if rnorm <= threshold {
            stats.status = Status::Converged;
            break;
        }
        // ‖A r_{k−1}‖ / (‖A‖ ‖r_{k−1}‖), the least-squares test.
        let ls_test = if a_norm > zero {
            root / a_norm
        } else {
            T::infinity()
        };
        if ls_test <= params.rtol {
            stats.status = Status::LeastSquares;
            break;
        }
        // β = 0: the Krylov space is invariant and the next step would
        // divide by zero. Decide by the true residual.
        if beta <= T::from_f64(10.0) * eps * a_norm {
            let mut ax = std::mem::take(&mut v);
            a.apply(&x, &mut ax).map_err(&op_err)?;
            stats.operator_applications += 1;
            let mut r = b.to_vec();
            axpy(-T::one(), &ax, &mut r);
            axpy(shift, &x, &mut r);
            let true_norm = nrm2(&r);
            stats.status = if true_norm <= (params.rtol * nrm2(b)).max(params.atol) {
                Status::Converged
            } else {
                Status::LeastSquares
            };
            rnorm = true_norm;
            break;
        }
    }
    Ok((done(x, rnorm, ar_norm, ar_norms, a_norm, a_cond), stats))
}
