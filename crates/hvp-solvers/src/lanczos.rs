//! The symmetric Lanczos process: a Krylov basis `Q_m`, the tridiagonal
//! `T_m = Q_mᵀ A Q_m`, and from it the extreme eigenpairs of `A`.
//!
//! `A Q_m = Q_m T_m + β_m q_{m+1} e_mᵀ`. The eigenvalues of `T_m` (Ritz
//! values) approximate the extreme eigenvalues of `A` first; a Ritz pair
//! `(θ, Q_m s)` has residual `‖A y − θ y‖ = β_m |s_m|`, known without
//! another product. Everything is returned — `(α, β)`, the basis on
//! request, all Ritz values, the wanted pairs with their residual bounds —
//! so trust-region subproblems, spectral densities ([`slq`](crate::slq()))
//! and curvature diagnostics can reuse one run.
//!
//! In floating point the basis loses orthogonality as Ritz pairs converge,
//! which shows up as spurious copies of eigenvalues. [`Reorthogonalization`]
//! chooses the remedy: full (classical Gram–Schmidt twice against every
//! basis vector, `O(n m)` per step), partial (Simon's ω-recurrence
//! estimates the loss and reorthogonalizes only when it exceeds `√ε`,
//! keeping semi-orthogonality, which is enough for Ritz values accurate to
//! working precision), or none (three vectors of memory; for the
//! tridiagonal alone, e.g. quadrature).
//!
//! ```
//! use hvp_linop::Diagonal;
//! use hvp_solvers::{lanczos, LanczosParams, Status, Which};
//! let a = Diagonal::new((1..=100).map(|i| i as f64).collect());
//! let params = LanczosParams { nev: 2, which: Which::BothEnds, max_steps: 60, ..Default::default() };
//! let (res, stats) = lanczos(&a, None, &params).unwrap();
//! assert_eq!(stats.status, Status::Converged);
//! assert!((res.eigenvalues[0] - 1.0).abs() < 1e-6 && (res.eigenvalues[1] - 100.0).abs() < 1e-6);
//! assert_eq!(stats.operator_applications, res.alpha.len());
//! ```

use crate::blas::{cgs2, dot, nrm2, scal};
use crate::probe::Rng;
use crate::status::{Breakdown, Stats, Status};
use crate::tridiag::{Rows, TridiagWork};
use crate::{check, SolverError};
use hvp_linop::LinOp;
use hvp_tensor::kernels::{matmul, MatMulDims};
use hvp_tensor::Float;

const NAME: &str = "lanczos";

/// How the Lanczos basis is kept orthogonal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reorthogonalization {
    /// Against every previous vector at every step (classical Gram–Schmidt
    /// twice): orthogonal to working precision; `O(n j)` per step.
    #[default]
    Full,
    /// Simon's partial reorthogonalization: the ω-recurrence estimates
    /// `|q_iᵀ q_j|` and a full pass runs (at that step and the next) only
    /// when the estimate exceeds `√ε`.
    Partial,
    /// None: the plain three-term recurrence. Spurious copies of converged
    /// eigenvalues appear; the memory is three vectors unless the basis or
    /// Ritz vectors are requested.
    None,
}

/// Which Ritz pairs are wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Which {
    /// The `nev` largest (algebraically).
    #[default]
    Largest,
    /// The `nev` smallest (algebraically).
    Smallest,
    /// `⌊nev/2⌋` smallest and `⌈nev/2⌉` largest.
    BothEnds,
    /// The `nev` largest in magnitude.
    LargestMagnitude,
}

/// Parameters of [`lanczos`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanczosParams<T> {
    /// The most Lanczos steps (the Krylov dimension `m`), capped at `n`.
    /// Default `100`.
    pub max_steps: usize,
    /// How many eigenpairs are wanted. Default `1`.
    pub nev: usize,
    /// Which ones. Default [`Which::Largest`].
    pub which: Which,
    /// Stop when every wanted Ritz pair has residual bound
    /// `β_m |s_m| ≤ tol · max|θ|`. `0` runs all `max_steps`. Default `√ε`.
    pub tol: T,
    /// Reorthogonalization. Default [`Reorthogonalization::Full`].
    pub reorth: Reorthogonalization,
    /// Compute the wanted Ritz vectors. Default `true`.
    pub ritz_vectors: bool,
    /// Return the basis `Q_m` and `q_{m+1}`. Default `false`.
    pub store_basis: bool,
    /// Seed of the random (Gaussian) start vector used when none is given.
    /// Default `0`.
    pub seed: u64,
}

impl<T: Float> Default for LanczosParams<T> {
    fn default() -> Self {
        LanczosParams {
            max_steps: 100,
            nev: 1,
            which: Which::Largest,
            tol: check::sqrt_eps(),
            reorth: Reorthogonalization::Full,
            ritz_vectors: true,
            store_basis: false,
            seed: 0,
        }
    }
}

/// The result of [`lanczos`] after `m` steps.
#[derive(Debug, Clone, PartialEq)]
pub struct LanczosResult<T> {
    /// The diagonal `α_1 … α_m` of `T_m`.
    pub alpha: Vec<T>,
    /// The off-diagonal `β_1 … β_{m−1}` of `T_m`.
    pub beta: Vec<T>,
    /// `β_m`, the coupling to the next Krylov vector (`≈ 0` on an invariant
    /// subspace): `A Q_m = Q_m T_m + β_m q_{m+1} e_mᵀ`.
    pub beta_next: T,
    /// `Q_m`: `m` orthonormal vectors of length `n`, one after another
    /// (with [`LanczosParams::store_basis`]).
    pub basis: Option<Vec<T>>,
    /// `q_{m+1}` (with `store_basis`, unless an invariant subspace ended the
    /// run).
    pub next_vector: Option<Vec<T>>,
    /// Every eigenvalue of `T_m`, ascending.
    pub ritz_values: Vec<T>,
    /// The wanted Ritz values, ascending.
    pub eigenvalues: Vec<T>,
    /// The wanted Ritz vectors `Q_m s_i`, one after another, in the order
    /// of `eigenvalues` (with [`LanczosParams::ritz_vectors`]).
    pub eigenvectors: Option<Vec<T>>,
    /// `β_m |s_{m,i}|` for each wanted pair: the residual `‖A y − θ y‖`
    /// (exactly so while the basis is orthonormal).
    pub residual_bounds: Vec<T>,
    /// How many steps ran a full reorthogonalization pass.
    pub reorthogonalizations: usize,
}

/// `k` eigenpairs at an end of the spectrum of the symmetric operator `a`
/// (symmetry is assumed, not checked) by Lanczos from `start` (a random
/// Gaussian vector from `params.seed` when `None`).
///
/// Statuses: [`Status::Converged`] (every wanted pair within `tol`);
/// [`Status::MaxIterations`] (`max_steps` taken first, always so with
/// `tol = 0`); [`Status::InvariantSubspace`] (the Krylov space stopped
/// growing: the Ritz values are eigenvalues, but only those of the part of
/// the spectrum `start` reaches); [`Status::Breakdown`] (a non-finite
/// value, or a failed tridiagonal eigensolve — then the eigen outputs are
/// empty).
///
/// [`Stats`]: `iterations` = `operator_applications` = steps taken;
/// `residual_norms` holds, per step, the largest residual bound of the
/// wanted pairs (only when `tol > 0`).
///
/// `Err` for a non-square operator, a start vector of the wrong length,
/// non-finite or zero, `nev` outside `1..=min(n, max_steps)`, a bad `tol`,
/// or a failing operator. All work space is allocated before the loop.
pub fn lanczos<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    start: Option<&[T]>,
    params: &LanczosParams<T>,
) -> Result<(LanczosResult<T>, Stats<T>), SolverError> {
    let n = check::square(NAME, "operator", a)?;
    check::tolerance(NAME, "tol", params.tol)?;
    check::at_least(NAME, "max_steps", params.max_steps, 1)?;
    let steps = params.max_steps.min(n);
    check::at_least(NAME, "nev", params.nev, 1)?;
    if params.nev > steps {
        return Err(SolverError::InvalidParam {
            solver: NAME,
            param: "nev",
            reason: format!(
                "asks for {} eigenpairs but at most min(n, max_steps) = {steps} can be found",
                params.nev
            ),
        });
    }
    let q0 = start_vector(NAME, start, n, params.seed)?;
    let store =
        params.reorth != Reorthogonalization::None || params.ritz_vectors || params.store_basis;
    let mut engine = Engine::new(n, steps, params.reorth, store);
    let mut stats = Stats::with_capacity(steps, Status::MaxIterations);

    let check_conv = params.tol > T::zero();
    let mut work = TridiagWork::new(steps, 1);
    let mut wanted = Vec::with_capacity(steps);
    let mut eig_failed = false;
    let history = &mut stats.residual_norms;
    let end = engine.run(a, &q0, |alpha, beta, beta_next| {
        if !check_conv || alpha.len() < params.nev {
            return false;
        }
        if !work.decompose(alpha, beta, Rows::Last) {
            eig_failed = true;
            return true;
        }
        let theta = work.values();
        select(theta, params.which, params.nev, &mut wanted);
        let scale = theta[0].abs().max(theta[theta.len() - 1].abs());
        let last = work.rows();
        let worst = wanted
            .iter()
            .map(|&i| beta_next * last[i].abs())
            .fold(T::zero(), T::max);
        history.push(worst);
        worst <= params.tol * scale
    })?;
    stats.iterations = engine.steps();
    stats.operator_applications = engine.steps();
    stats.status = match end {
        End::Steps => Status::MaxIterations,
        End::Stopped if eig_failed => Status::Breakdown(Breakdown::TridiagonalEigen),
        End::Stopped => Status::Converged,
        End::Invariant => Status::InvariantSubspace,
        End::NonFinite => Status::Breakdown(Breakdown::NonFinite),
    };

    let m = engine.steps();
    let alpha = engine.alpha[..m].to_vec();
    let beta = engine.beta[..m.saturating_sub(1)].to_vec();
    let beta_next = if m > 0 { engine.beta[m - 1] } else { T::zero() };
    let mut result = LanczosResult {
        alpha,
        beta,
        beta_next,
        basis: None,
        next_vector: None,
        ritz_values: Vec::new(),
        eigenvalues: Vec::new(),
        eigenvectors: None,
        residual_bounds: Vec::new(),
        reorthogonalizations: engine.reorthogonalizations,
    };
    if params.store_basis {
        result.basis = Some(engine.q[..m * n].to_vec());
        if end != End::Invariant && end != End::NonFinite {
            result.next_vector = Some(engine.q[m * n..(m + 1) * n].to_vec());
        }
    }
    if matches!(stats.status, Status::Breakdown(_)) || m == 0 {
        return Ok((result, stats));
    }
    let mut full = TridiagWork::new(m, m);
    if !full.decompose(&result.alpha, &result.beta, Rows::All) {
        stats.status = Status::Breakdown(Breakdown::TridiagonalEigen);
        return Ok((result, stats));
    }
    let theta = full.values();
    let s = full.rows();
    select(theta, params.which, params.nev, &mut wanted);
    result.ritz_values = theta.to_vec();
    result.eigenvalues = wanted.iter().map(|&i| theta[i]).collect();
    result.residual_bounds = wanted
        .iter()
        .map(|&i| beta_next * s[(m - 1) * m + i].abs())
        .collect();
    if params.ritz_vectors {
        // Y (nev × n) = Sᵀ_wanted (nev × m) · Q (m × n).
        let k = wanted.len();
        let mut sw = vec![T::zero(); k * m];
        for (r, &i) in wanted.iter().enumerate() {
            for j in 0..m {
                sw[r * m + j] = s[j * m + i];
            }
        }
        let mut y = vec![T::zero(); k * n];
        let dims = MatMulDims {
            batch: 1,
            m: k,
            k: m,
            n,
            transpose_lhs: false,
            transpose_rhs: false,
        };
        matmul(dims, &sw, &engine.q[..m * n], &mut y);
        result.eigenvectors = Some(y);
    }
    Ok((result, stats))
}

/// The unit start vector: the given one normalized, or a Gaussian one from
/// `seed`.
pub(crate) fn start_vector<T: Float>(
    solver: &'static str,
    start: Option<&[T]>,
    n: usize,
    seed: u64,
) -> Result<Vec<T>, SolverError> {
    let mut q = match start {
        Some(v) => {
            check::vector(solver, "start vector", v, n)?;
            v.to_vec()
        }
        None => {
            let mut v = vec![T::zero(); n];
            Rng::new(seed).fill(crate::Probe::Gaussian, &mut v);
            v
        }
    };
    let norm = nrm2(&q);
    if !(norm > T::zero() && norm.is_finite()) {
        return Err(SolverError::InvalidParam {
            solver,
            param: "start",
            reason: "the start vector is zero".into(),
        });
    }
    scal(T::one() / norm, &mut q);
    Ok(q)
}

/// The indices (into ascending `theta`) of the wanted values, ascending.
pub(crate) fn select<T: Float>(theta: &[T], which: Which, nev: usize, out: &mut Vec<usize>) {
    let m = theta.len();
    let nev = nev.min(m);
    out.clear();
    match which {
        Which::Largest => out.extend(m - nev..m),
        Which::Smallest => out.extend(0..nev),
        Which::BothEnds => {
            let low = nev / 2;
            out.extend(0..low);
            out.extend(m - (nev - low)..m);
        }
        Which::LargestMagnitude => {
            // Merge from both ends of the sorted values by magnitude.
            let (mut lo, mut hi) = (0, m);
            let (mut from_lo, mut from_hi) = (0, 0);
            for _ in 0..nev {
                if theta[lo].abs() > theta[hi - 1].abs() {
                    lo += 1;
                    from_lo += 1;
                } else {
                    hi -= 1;
                    from_hi += 1;
                }
            }
            out.extend(0..from_lo);
            out.extend(m - from_hi..m);
        }
    }
}

/// How a run of the [`Engine`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Every step was taken.
    Steps,
    /// The callback asked to stop.
    Stopped,
    /// `β ≈ 0`: invariant subspace.
    Invariant,
    /// `α` or `β` not finite.
    NonFinite,
}

/// The Lanczos recurrence with its buffers, reusable across runs of the
/// same size (SLQ runs one per probe).
pub(crate) struct Engine<T> {
    n: usize,
    max_steps: usize,
    reorth: Reorthogonalization,
    store: bool,
    /// The basis: all `max_steps + 1` vectors when storing, else a ring of 2.
    pub(crate) q: Vec<T>,
    w: Vec<T>,
    tmp: Vec<T>,
    h: Vec<T>,
    /// `α_0 … α_{m−1}`.
    pub(crate) alpha: Vec<T>,
    /// `beta[j]` couples `q_j` and `q_{j+1}`.
    pub(crate) beta: Vec<T>,
    omega_prev: Vec<T>,
    omega_cur: Vec<T>,
    omega_next: Vec<T>,
    force_next: bool,
    pub(crate) reorthogonalizations: usize,
    steps: usize,
}

impl<T: Float> Engine<T> {
    pub(crate) fn new(
        n: usize,
        max_steps: usize,
        reorth: Reorthogonalization,
        store: bool,
    ) -> Self {
        let store = store || reorth != Reorthogonalization::None;
        let slots = if store { max_steps + 1 } else { 2 };
        let partial = reorth == Reorthogonalization::Partial;
        let om = if partial { max_steps + 1 } else { 0 };
        Engine {
            n,
            max_steps,
            reorth,
            store,
            q: vec![T::zero(); slots * n],
            w: vec![T::zero(); n],
            tmp: vec![T::zero(); n],
            h: vec![T::zero(); 2 * (max_steps + 1)],
            alpha: Vec::with_capacity(max_steps),
            beta: Vec::with_capacity(max_steps),
            omega_prev: vec![T::zero(); om],
            omega_cur: vec![T::zero(); om],
            omega_next: vec![T::zero(); om],
            force_next: false,
            reorthogonalizations: 0,
            steps: 0,
        }
    }

    /// Steps taken in the last run.
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    fn slot(&self, j: usize) -> usize {
        if self.store {
            j
        } else {
            j % 2
        }
    }

    /// Runs up to `max_steps` steps from the unit vector `q0`. After each
    /// step `j` the callback sees `α_0..=α_j`, `β_0..β_{j−1}` and `β_j` (the
    /// coupling to the next vector) and returns whether to stop.
    pub(crate) fn run<A: LinOp<T> + ?Sized>(
        &mut self,
        a: &A,
        q0: &[T],
        mut stop: impl FnMut(&[T], &[T], T) -> bool,
    ) -> Result<End, SolverError> {
        let n = self.n;
        let eps = T::epsilon();
        let sqrt_n = T::from_f64((n as f64).sqrt());
        self.alpha.clear();
        self.beta.clear();
        self.steps = 0;
        self.reorthogonalizations = 0;
        self.force_next = false;
        self.q[..n].copy_from_slice(q0);
        if self.reorth == Reorthogonalization::Partial {
            self.omega_cur[0] = T::one();
        }
        let mut anorm = T::zero();
        for j in 0..self.max_steps {
            let cur = self.slot(j) * n;
            a.apply(&self.q[cur..cur + n], &mut self.w)
                .map_err(check::op_err(NAME))?;
            self.steps = j + 1;
            if j > 0 {
                let prev = self.slot(j - 1) * n;
                let b = self.beta[j - 1];
                for (wi, &qi) in self.w.iter_mut().zip(&self.q[prev..prev + n]) {
                    *wi -= b * qi;
                }
            }
            let mut alpha = dot(&self.q[cur..cur + n], &self.w);
            for (wi, &qi) in self.w.iter_mut().zip(&self.q[cur..cur + n]) {
                *wi -= alpha * qi;
            }
            let mut beta = nrm2(&self.w);
            anorm =
                anorm.max(alpha.abs() + beta + if j > 0 { self.beta[j - 1] } else { T::zero() });
            match self.reorth {
                Reorthogonalization::None => {}
                Reorthogonalization::Full => {
                    cgs2(&self.q, j + 1, &mut self.w, &mut self.h, &mut self.tmp);
                    alpha += self.h[j];
                    self.reorthogonalizations += 1;
                    beta = nrm2(&self.w);
                }
                Reorthogonalization::Partial => {
                    let eps1 = eps * sqrt_n * anorm;
                    let lost = self.update_omega(j, alpha, beta, eps1);
                    if self.force_next || lost {
                        cgs2(&self.q, j + 1, &mut self.w, &mut self.h, &mut self.tmp);
                        alpha += self.h[j];
                        self.reorthogonalizations += 1;
                        beta = nrm2(&self.w);
                        for o in &mut self.omega_next[..=j] {
                            *o = eps * sqrt_n;
                        }
                        // Simon: reorthogonalize at two consecutive steps.
                        self.force_next = !self.force_next;
                    }
                    std::mem::swap(&mut self.omega_prev, &mut self.omega_cur);
                    std::mem::swap(&mut self.omega_cur, &mut self.omega_next);
                }
            }
            self.alpha.push(alpha);
            self.beta.push(beta);
            if !(alpha.is_finite() && beta.is_finite()) {
                return Ok(End::NonFinite);
            }
            if beta <= T::from_f64(10.0) * sqrt_n * eps * anorm {
                return Ok(End::Invariant);
            }
            let next = self.slot(j + 1) * n;
            let inv = T::one() / beta;
            for (qi, &wi) in self.q[next..next + n].iter_mut().zip(&self.w) {
                *qi = inv * wi;
            }
            if stop(&self.alpha, &self.beta[..j], beta) {
                return Ok(End::Stopped);
            }
        }
        Ok(End::Steps)
    }

    /// Simon's ω-recurrence: estimates `ω_{j+1,k} ≈ q_{j+1}ᵀ q_k` for
    /// `k ≤ j` into `omega_next` (with `β_{j+1} = beta`, before any
    /// reorthogonalization) and says whether any exceeds `√ε`.
    fn update_omega(&mut self, j: usize, alpha_j: T, beta: T, eps1: T) -> bool {
        let tiny = T::min_positive_value();
        let b = beta.max(tiny);
        let limit = T::epsilon().sqrt();
        let mut lost = false;
        for k in 0..j {
            let mut t = self.beta[k] * self.omega_cur[k + 1]
                + (self.alpha[k] - alpha_j) * self.omega_cur[k]
                - self.beta[j - 1] * self.omega_prev[k];
            if k > 0 {
                t += self.beta[k - 1] * self.omega_cur[k - 1];
            }
            let t = (t + if t >= T::zero() { eps1 } else { -eps1 }) / b;
            lost |= t.abs() > limit;
            self.omega_next[k] = t;
        }
        self.omega_next[j] = eps1 / b;
        lost |= eps1 / b > limit;
        self.omega_next[j + 1] = T::one();
        lost
    }
}
