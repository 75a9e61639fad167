//! Power iteration with deflation: the eigenpairs of largest magnitude,
//! one after another.
//!
//! Simple and robust, with one product per iteration and two vectors of
//! work per pair; it converges at the rate `|λ_{j+1}/λ_j|`, so it suits
//! the top few eigenvalues of a spectrum with gaps (the sharpness of a
//! loss). Found eigenvectors are deflated by projection: each iterate is
//! kept orthogonal to them, which for a symmetric operator leaves the rest
//! of the spectrum unchanged. For clustered spectra prefer
//! [`lanczos`](crate::lanczos()).
//!
//! ```
//! use hvp_linop::Diagonal;
//! use hvp_solvers::{power_iteration, PowerParams, Status};
//! let a = Diagonal::new(vec![1.0f64, -8.0, 3.0, 0.5]);
//! let (res, stats) = power_iteration(&a, &PowerParams { nev: 2, ..Default::default() }).unwrap();
//! assert_eq!(stats.status, Status::Converged);
//! assert!((res.eigenvalues[0] + 8.0).abs() < 1e-6 && (res.eigenvalues[1] - 3.0).abs() < 1e-6);
//! assert_eq!(stats.operator_applications, res.iterations.iter().sum::<usize>());
//! ```

use crate::blas::{cgs2, dot, nrm2, scal};
use crate::probe::{Probe, Rng};
use crate::status::{Breakdown, Stats, Status};
use crate::{check, SolverError};
use hvp_linop::LinOp;
use hvp_tensor::Float;

const NAME: &str = "power iteration";

/// Parameters of [`power_iteration`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerParams<T> {
    /// Number of eigenpairs (largest magnitude first). Default `1`.
    pub nev: usize,
    /// Iterations allowed per eigenpair. Default `1000`.
    pub max_iters: usize,
    /// A pair is converged when `‖A v − λ v‖ ≤ tol · max(|λ|, |λ_1|)`
    /// (`λ_1` the first, largest, eigenvalue found). Default `√ε`.
    pub tol: T,
    /// Seed of the random start vectors. Default `0`.
    pub seed: u64,
}

impl<T: Float> Default for PowerParams<T> {
    fn default() -> Self {
        PowerParams {
            nev: 1,
            max_iters: 1000,
            tol: check::sqrt_eps(),
            seed: 0,
        }
    }
}

/// The result of [`power_iteration`].
#[derive(Debug, Clone, PartialEq)]
pub struct PowerResult<T> {
    /// The eigenvalues in the order found (decreasing magnitude when every
    /// pair converged).
    pub eigenvalues: Vec<T>,
    /// The unit eigenvectors, one after another.
    pub eigenvectors: Vec<T>,
    /// `‖A v − λ v‖` of each pair (of the deflated operator).
    pub residual_norms: Vec<T>,
    /// Whether each pair met the tolerance.
    pub converged: Vec<bool>,
    /// Iterations (products) spent on each pair.
    pub iterations: Vec<usize>,
}

/// The `nev` eigenpairs of largest magnitude of the symmetric operator `a`
/// (symmetry assumed) by power iteration with projection deflation: pair
/// `j` iterates `v ← P A v / ‖P A v‖` with `P` the projector off the pairs
/// already found, `λ = vᵀ P A v`.
///
/// Statuses: [`Status::Converged`] (every pair met `tol`);
/// [`Status::MaxIterations`] (some pair did not — e.g. for `λ` and `−λ`
/// both largest in magnitude, where the iterate oscillates; the search goes
/// on to the next pair from the best vector); [`Status::Breakdown`] for a
/// non-finite value (the pairs so far are returned).
///
/// [`Stats`]: `iterations` = `operator_applications` = total products;
/// `residual_norms` holds `‖A v − λ v‖` of every iteration, pair after
/// pair.
///
/// `Err` for a non-square operator, `nev` outside `1..=n`, a bad `tol`, or
/// a failing operator.
pub fn power_iteration<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    params: &PowerParams<T>,
) -> Result<(PowerResult<T>, Stats<T>), SolverError> {
    let n = check::square(NAME, "operator", a)?;
    check::at_least(NAME, "nev", params.nev, 1)?;
    if params.nev > n {
        return Err(SolverError::InvalidParam {
            solver: NAME,
            param: "nev",
            reason: format!("asks for {} eigenpairs of a {n}×{n} operator", params.nev),
        });
    }
    check::tolerance(NAME, "tol", params.tol)?;
    let nev = params.nev;
    let op_err = check::op_err(NAME);
    let mut rng = Rng::new(params.seed);
    let mut u = vec![T::zero(); nev * n];
    let mut v = vec![T::zero(); n];
    let mut w = vec![T::zero(); n];
    let mut h = vec![T::zero(); 2 * nev];
    let mut tmp = vec![T::zero(); n];
    let mut stats = Stats::with_capacity(params.max_iters.min(4096), Status::Converged);
    let mut res = PowerResult {
        eigenvalues: Vec::with_capacity(nev),
        eigenvectors: Vec::new(),
        residual_norms: Vec::with_capacity(nev),
        converged: Vec::with_capacity(nev),
        iterations: Vec::with_capacity(nev),
    };
    let mut lambda_1 = T::zero();
    'pairs: for e in 0..nev {
        // A random start off the pairs found so far.
        let mut norm = T::zero();
        while !check::positive(norm) {
            rng.fill(Probe::Gaussian, &mut v);
            cgs2(&u, e, &mut v, &mut h, &mut tmp);
            norm = nrm2(&v);
        }
        scal(T::one() / norm, &mut v);
        let (mut lambda, mut resid, mut converged, mut iters) =
            (T::zero(), T::infinity(), false, 0);
        for _ in 0..params.max_iters {
            a.apply(&v, &mut w).map_err(&op_err)?;
            iters += 1;
            stats.operator_applications += 1;
            stats.iterations += 1;
            cgs2(&u, e, &mut w, &mut h, &mut tmp);
            lambda = dot(&v, &w);
            let wnorm = nrm2(&w);
            // ‖w − λ v‖² = ‖w‖² − λ² for unit v and λ = vᵀw, but the
            // difference cancels near convergence: form it explicitly.
            resid = w
                .iter()
                .zip(&v)
                .map(|(&wi, &vi)| (wi - lambda * vi) * (wi - lambda * vi))
                .sum::<T>()
                .sqrt();
            stats.residual_norms.push(resid);
            if !(resid.is_finite() && lambda.is_finite()) {
                stats.status = Status::Breakdown(Breakdown::NonFinite);
                record(&mut res, &mut u, e, n, &v, lambda, resid, false, iters);
                break 'pairs;
            }
            let scale = lambda.abs().max(lambda_1.abs());
            if resid <= params.tol * scale || !check::positive(wnorm) {
                converged = true;
                break;
            }
            v.copy_from_slice(&w);
            scal(T::one() / wnorm, &mut v);
        }
        if e == 0 {
            lambda_1 = lambda;
        }
        if !converged {
            stats.status = Status::MaxIterations;
        }
        record(&mut res, &mut u, e, n, &v, lambda, resid, converged, iters);
    }
    res.eigenvectors = u[..res.eigenvalues.len() * n].to_vec();
    Ok((res, stats))
}

/// Appends pair `e` to the result and the deflation basis.
#[allow(clippy::too_many_arguments)]
fn record<T: Float>(
    res: &mut PowerResult<T>,
    u: &mut [T],
    e: usize,
    n: usize,
    v: &[T],
    lambda: T,
    resid: T,
    converged: bool,
    iters: usize,
) {
    u[e * n..(e + 1) * n].copy_from_slice(v);
    res.eigenvalues.push(lambda);
    res.residual_norms.push(resid);
    res.converged.push(converged);
    res.iterations.push(iters);
}
