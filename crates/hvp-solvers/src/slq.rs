//! Stochastic Lanczos quadrature (Ubaru, Chen & Saad, 2017): the spectral
//! density of a symmetric operator and `tr f(A)` from a few short Lanczos
//! runs.
//!
//! For a unit probe `v`, `vᵀ f(A) v = ∫ f dμ_v` where `μ_v` puts weight
//! `(vᵀu_i)²` on each eigenvalue `λ_i`; `m` Lanczos steps from `v` give the
//! `m`-point Gauss rule for `μ_v`: nodes are the Ritz values `θ_j`, weights
//! the squared first components of the eigenvectors of `T_m`. Averaged over
//! random probes, the rules estimate the spectral density
//! `ρ(t) = (1/n) Σ δ(t − λ_i)`; broadened by a Gaussian of width `σ` it is a
//! smooth curve (the Hessian spectra of Ghorbani et al., 2019), and
//! `‖z‖² Σ_j w_j f(θ_j)` estimates `tr f(A)` (log-determinants, traces of
//! inverses, heat kernels).
//!
//! ```
//! use hvp_linop::Diagonal;
//! use hvp_solvers::{slq, SlqParams};
//! let a = Diagonal::new((1..=50).map(|i| i as f64).collect());
//! let (q, stats) = slq(&a, &SlqParams { probes: 4, steps: 20, ..Default::default() }).unwrap();
//! assert_eq!(stats.operator_applications, 80);
//! // Each rule is a probability measure on [λ_min, λ_max] …
//! for rule in &q.rules {
//!     assert!((rule.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! }
//! // … and the trace is exact for Rademacher probes on a diagonal matrix.
//! assert!((q.trace().estimate - 1275.0).abs() < 1e-8);
//! let ld = q.log_det().estimate;
//! let exact: f64 = (1..=50).map(|i| (i as f64).ln()).sum();
//! assert!((ld - exact).abs() < 1e-6 * exact);
//! ```

use crate::blas::{nrm2, scal};
use crate::lanczos::{End, Engine, Reorthogonalization};
use crate::probe::{Probe, Rng};
use crate::status::{Breakdown, Stats, Status};
use crate::trace::TraceEstimate;
use crate::tridiag::{Rows, TridiagWork};
use crate::{check, SolverError};
use hvp_linop::LinOp;
use hvp_tensor::Float;

const NAME: &str = "slq";

/// Parameters of [`slq`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlqParams {
    /// Number of random probes. Default `16`.
    pub probes: usize,
    /// Lanczos steps per probe (quadrature nodes), capped at `n`. Default
    /// `32`.
    pub steps: usize,
    /// Probe distribution. Default [`Probe::Rademacher`].
    pub probe: Probe,
    /// Seed of the probe stream. Default `0`.
    pub seed: u64,
    /// Reorthogonalization of each Lanczos run. Default
    /// [`Reorthogonalization::Full`] (the basis is `steps` vectors per run;
    /// [`Reorthogonalization::None`] needs three and gives nearly the same
    /// rules, with some nodes duplicated).
    pub reorth: Reorthogonalization,
}

impl Default for SlqParams {
    fn default() -> Self {
        SlqParams {
            probes: 16,
            steps: 32,
            probe: Probe::Rademacher,
            seed: 0,
            reorth: Reorthogonalization::Full,
        }
    }
}

/// The Gauss quadrature rule of one probe.
#[derive(Debug, Clone, PartialEq)]
pub struct QuadratureRule<T> {
    /// Nodes (Ritz values), ascending.
    pub nodes: Vec<T>,
    /// Weights, non-negative and summing to 1.
    pub weights: Vec<T>,
    /// `‖z‖²` of the unnormalized probe (`n` for Rademacher), the factor
    /// that makes `scale · Σ w f(θ)` an unbiased sample of `tr f(A)`.
    pub scale: T,
}

/// The quadrature rules of all probes, from which densities and traces
/// follow.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectralQuadrature<T> {
    /// The operator's size `n`.
    pub n: usize,
    /// One rule per probe.
    pub rules: Vec<QuadratureRule<T>>,
}

impl<T: Float> SpectralQuadrature<T> {
    /// The spectral density broadened by a Gaussian of standard deviation
    /// `sigma`, at each point of `grid`:
    /// `ρ(t) = (1/P) Σ_p Σ_j w_pj exp(−(t − θ_pj)²/2σ²) / (σ√(2π))`.
    /// It integrates to 1 over the real line (a non-positive or non-finite
    /// `sigma` gives NaN).
    pub fn density(&self, grid: &[T], sigma: T) -> Vec<T> {
        if !(sigma > T::zero() && sigma.is_finite()) || self.rules.is_empty() {
            return vec![T::nan(); grid.len()];
        }
        let norm = T::one()
            / (sigma
                * T::from_f64((2.0 * std::f64::consts::PI).sqrt())
                * T::from_f64(self.rules.len() as f64));
        let half_inv_var = T::from_f64(0.5) / (sigma * sigma);
        grid.iter()
            .map(|&t| {
                let s: T = self
                    .rules
                    .iter()
                    .flat_map(|r| r.nodes.iter().zip(&r.weights))
                    .map(|(&th, &w)| w * (-(t - th) * (t - th) * half_inv_var).exp())
                    .sum();
                s * norm
            })
            .collect()
    }

    /// The smallest and largest node over all probes (`None` without
    /// nodes): an estimate of the spectral interval from inside.
    pub fn bounds(&self) -> Option<(T, T)> {
        let mut nodes = self.rules.iter().flat_map(|r| r.nodes.iter().copied());
        let first = nodes.next()?;
        Some(nodes.fold((first, first), |(lo, hi), x| (lo.min(x), hi.max(x))))
    }

    /// `points` equally spaced values from `min − margin` to `max + margin`
    /// of the nodes (empty without nodes): a grid for
    /// [`density`](Self::density) that holds its mass when `margin` is a
    /// few `σ`.
    pub fn grid(&self, points: usize, margin: T) -> Vec<T> {
        let Some((lo, hi)) = self.bounds() else {
            return Vec::new();
        };
        let (lo, hi) = (lo - margin, hi + margin);
        if points < 2 {
            return vec![(lo + hi) * T::from_f64(0.5); points];
        }
        let step = (hi - lo) / T::from_f64((points - 1) as f64);
        (0..points)
            .map(|i| lo + step * T::from_f64(i as f64))
            .collect()
    }

    /// Estimates `tr f(A)`: per probe `‖z‖² Σ_j w_j f(θ_j)`, with mean,
    /// variance and standard error over probes.
    pub fn trace_of(&self, f: impl Fn(T) -> T) -> TraceEstimate<T> {
        let samples = self
            .rules
            .iter()
            .map(|r| {
                r.scale
                    * r.nodes
                        .iter()
                        .zip(&r.weights)
                        .map(|(&th, &w)| w * f(th))
                        .sum::<T>()
            })
            .collect();
        TraceEstimate::from_samples(samples)
    }

    /// Estimates `tr A` (the same probes' Hutchinson estimate, up to
    /// rounding).
    pub fn trace(&self) -> TraceEstimate<T> {
        self.trace_of(|t| t)
    }

    /// Estimates `log det A = tr log A` for symmetric positive definite `A`
    /// (a non-positive node makes the samples NaN).
    pub fn log_det(&self) -> TraceEstimate<T> {
        self.trace_of(|t| t.ln())
    }

    /// The mean of the density, `(1/P) Σ_p Σ_j w_pj θ_pj`, which estimates
    /// `tr A / n`.
    pub fn mean(&self) -> T {
        let p = T::from_f64(self.rules.len().max(1) as f64);
        self.rules
            .iter()
            .map(|r| {
                r.nodes
                    .iter()
                    .zip(&r.weights)
                    .map(|(&t, &w)| t * w)
                    .sum::<T>()
            })
            .sum::<T>()
            / p
    }
}

/// Stochastic Lanczos quadrature for the symmetric operator `a`: for each
/// of `probes` seeded probes `z`, `steps` Lanczos steps from `z/‖z‖` and the
/// Gauss rule of the resulting tridiagonal.
///
/// Statuses: [`Status::Converged`] when every probe ran (a run ends early,
/// with an exact rule, on an invariant subspace); [`Status::Breakdown`] for
/// a non-finite value or a failed tridiagonal eigensolve (the rules so far
/// are returned). [`Stats`]: `iterations` = `operator_applications` = total
/// Lanczos steps; `residual_norms` is empty.
///
/// `Err` for a non-square or empty operator, zero `probes` or `steps`, or a
/// failing operator. All buffers are allocated once and reused per probe.
pub fn slq<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    params: &SlqParams,
) -> Result<(SpectralQuadrature<T>, Stats<T>), SolverError> {
    let n = check::square(NAME, "operator", a)?;
    check::at_least(NAME, "probes", params.probes, 1)?;
    check::at_least(NAME, "steps", params.steps, 1)?;
    if n == 0 {
        return Err(SolverError::InvalidParam {
            solver: NAME,
            param: "operator",
            reason: "has size 0: there is no spectrum".into(),
        });
    }
    let steps = params.steps.min(n);
    let mut engine = Engine::new(n, steps, params.reorth, false);
    let mut work = TridiagWork::new(steps, 1);
    let mut rng = Rng::new(params.seed);
    let mut z = vec![T::zero(); n];
    let mut stats = Stats::with_capacity(0, Status::Converged);
    let mut rules = Vec::with_capacity(params.probes);
    for _ in 0..params.probes {
        rng.fill(params.probe, &mut z);
        let norm = nrm2(&z);
        if !check::positive(norm) {
            // A Gaussian probe of all zeros has probability zero; skip it
            // rather than divide by zero.
            continue;
        }
        let scale = norm * norm;
        scal(T::one() / norm, &mut z);
        let end = engine.run(a, &z, |_, _, _| false)?;
        stats.iterations += engine.steps();
        stats.operator_applications += engine.steps();
        if end == End::NonFinite {
            stats.status = Status::Breakdown(Breakdown::NonFinite);
            break;
        }
        let m = engine.steps();
        if !work.decompose(&engine.alpha[..m], &engine.beta[..m - 1], Rows::First) {
            stats.status = Status::Breakdown(Breakdown::TridiagonalEigen);
            break;
        }
        rules.push(QuadratureRule {
            nodes: work.values().to_vec(),
            weights: work.rows().iter().map(|&s| s * s).collect(),
            scale,
        });
    }
    Ok((SpectralQuadrature { n, rules }, stats))
}
