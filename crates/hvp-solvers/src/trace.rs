//! Stochastic trace and diagonal estimators: Hutchinson, Hutch++ and
//! Hutchinson's diagonal estimator, with seeded probes and their variance
//! reported.
//!
//! `E[zᵀ A z] = tr A` and `E[z ⊙ A z] = diag A` for probes `z` with
//! independent zero-mean unit-variance entries. The error of `m` samples
//! falls like `1/√m`; Hutch++ (Meyer, Musco, Musco & Woodruff, 2021) spends
//! a third of its products on a sketch of the dominant range, takes that
//! part's trace exactly and samples only the rest, which for matrices with
//! decaying spectra gives error `O(1/m)`.
//!
//! ```
//! use hvp_linop::LowRank;
//! use hvp_solvers::{hutch_plus_plus, hutchinson, HutchPlusPlusParams, SamplingParams};
//! // A = ½ u uᵀ with u = (1, …, 1): tr A = n / 2, but zᵀAz = ½ (Σ z_i)²
//! // varies wildly from probe to probe.
//! let n = 100;
//! let a = LowRank::symmetric(n, vec![1.0f64; n], vec![0.5]).unwrap();
//! let (h, stats) = hutchinson(&a, &SamplingParams { samples: 30, ..Default::default() }).unwrap();
//! assert_eq!(stats.operator_applications, 30);
//! assert!(h.std_error > 1.0);
//! // Hutch++ captures the range with its sketch and is exact here.
//! let p = HutchPlusPlusParams { matvecs: 6, ..Default::default() };
//! let (hpp, stats) = hutch_plus_plus(&a, &p).unwrap();
//! assert_eq!((hpp.rank, stats.operator_applications), (1, 5)); // k = 2 sketched, rank 1
//! assert!((hpp.estimate.estimate - 50.0).abs() < 1e-10);
//! ```

use crate::blas::{cgs2, dot, mean_var, nrm2, scal};
use crate::probe::{Probe, Rng};
use crate::status::{Breakdown, Stats, Status};
use crate::{check, SolverError};
use hvp_linop::LinOp;
use hvp_tensor::Float;

/// Parameters of [`hutchinson`] and [`diagonal_estimate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SamplingParams {
    /// Number of probe vectors (= products with the operator). Default `64`.
    pub samples: usize,
    /// Probe distribution. Default [`Probe::Rademacher`].
    pub probe: Probe,
    /// Seed of the probe stream. Default `0`.
    pub seed: u64,
    /// Probes applied per [`LinOp::apply_many`] call. Default `16`.
    pub block_size: usize,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            samples: 64,
            probe: Probe::Rademacher,
            seed: 0,
            block_size: 16,
        }
    }
}

/// A Monte-Carlo estimate with its per-sample values.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEstimate<T> {
    /// The mean of `samples`.
    pub estimate: T,
    /// One value per probe (their mean is the estimate).
    pub samples: Vec<T>,
    /// The unbiased sample variance of `samples` (`+∞` for one sample).
    pub variance: T,
    /// The standard error of the estimate, `√(variance / m)`.
    pub std_error: T,
}

impl<T: Float> TraceEstimate<T> {
    /// Mean, variance and standard error of the given samples.
    ///
    /// ```
    /// use hvp_solvers::TraceEstimate;
    /// let e = TraceEstimate::from_samples(vec![1.0f64, 2.0, 3.0]);
    /// assert!((e.estimate - 2.0).abs() < 1e-15 && (e.variance - 1.0).abs() < 1e-15);
    /// assert!((e.std_error - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
    /// ```
    pub fn from_samples(samples: Vec<T>) -> Self {
        let (estimate, variance) = mean_var(&samples);
        let std_error = (variance / T::from_f64(samples.len().max(1) as f64)).sqrt();
        TraceEstimate {
            estimate,
            samples,
            variance,
            std_error,
        }
    }
}

fn check_sampling(solver: &'static str, p: &SamplingParams) -> Result<(), SolverError> {
    check::at_least(solver, "samples", p.samples, 1)?;
    check::at_least(solver, "block_size", p.block_size, 1)
}

/// Runs `samples` probes through the operator in blocks, calling
/// `each(z, az)` per probe; stops early (returning `false`) when `each`
/// does.
fn sample_blocks<T: Float, A: LinOp<T> + ?Sized>(
    solver: &'static str,
    a: &A,
    n: usize,
    p: &SamplingParams,
    stats: &mut Stats<T>,
    mut each: impl FnMut(&[T], &[T]) -> bool,
) -> Result<(), SolverError> {
    let bs = p.block_size.min(p.samples);
    let mut z = vec![T::zero(); bs * n];
    let mut az = vec![T::zero(); bs * n];
    let mut rng = Rng::new(p.seed);
    let mut done = 0;
    while done < p.samples {
        let k = bs.min(p.samples - done);
        // One fill per probe, so the stream of probes does not depend on
        // the block size (and matches SLQ's for the same seed).
        for zi in z
            .chunks_exact_mut(n.max(1))
            .take(if n == 0 { 0 } else { k })
        {
            rng.fill(p.probe, zi);
        }
        a.apply_many(k, &z[..k * n], &mut az[..k * n])
            .map_err(check::op_err(solver))?;
        stats.operator_applications += k;
        for i in 0..k {
            stats.iterations += 1;
            if !each(&z[i * n..(i + 1) * n], &az[i * n..(i + 1) * n]) {
                return Ok(());
            }
        }
        done += k;
    }
    Ok(())
}

/// Hutchinson's estimator of `tr A`: the mean of `zᵀ A z` over `samples`
/// seeded probes, with every sample value, the sample variance and the
/// standard error.
///
/// Statuses: [`Status::Converged`] when every sample was taken;
/// [`Status::Breakdown`] if a sample is not finite (sampling stops there).
/// [`Stats`]: `iterations` = `operator_applications` = samples taken;
/// `residual_norms` is empty.
///
/// `Err` for a non-square operator, `samples` or `block_size` of zero, or a
/// failing operator.
pub fn hutchinson<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    params: &SamplingParams,
) -> Result<(TraceEstimate<T>, Stats<T>), SolverError> {
    const NAME: &str = "hutchinson";
    let n = check::square(NAME, "operator", a)?;
    check_sampling(NAME, params)?;
    let mut stats = Stats::with_capacity(0, Status::Converged);
    let mut samples = Vec::with_capacity(params.samples);
    sample_blocks(NAME, a, n, params, &mut stats, |z, az| {
        let s = dot(z, az);
        samples.push(s);
        s.is_finite()
    })?;
    if samples.iter().any(|s| !s.is_finite()) {
        stats.status = Status::Breakdown(Breakdown::NonFinite);
    }
    Ok((TraceEstimate::from_samples(samples), stats))
}

/// Parameters of [`hutch_plus_plus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HutchPlusPlusParams {
    /// The budget of products with the operator, at least 3: `k = ⌊m/3⌋`
    /// for the sketch `A S`, up to `k` for `A Q`, and `m − 2k` probes of the
    /// deflated remainder. Default `96`.
    pub matvecs: usize,
    /// Probe distribution (sketch and samples). Default
    /// [`Probe::Rademacher`].
    pub probe: Probe,
    /// Seed of the probe stream. Default `0`.
    pub seed: u64,
}

impl Default for HutchPlusPlusParams {
    fn default() -> Self {
        HutchPlusPlusParams {
            matvecs: 96,
            probe: Probe::Rademacher,
            seed: 0,
        }
    }
}

/// The result of [`hutch_plus_plus`].
#[derive(Debug, Clone, PartialEq)]
pub struct HutchPlusPlus<T> {
    /// The estimate; each sample is `tr(QᵀAQ) + gᵀ(I−QQᵀ)A(I−QQᵀ)g`, so the
    /// variance and standard error are those of the sampled remainder.
    pub estimate: TraceEstimate<T>,
    /// `tr(Qᵀ A Q)`, the exactly computed part.
    pub low_rank_trace: T,
    /// The rank of the sketch basis `Q` (`k` unless `A S` is rank
    /// deficient, e.g. for `n < k` or a low-rank `A`).
    pub rank: usize,
}

/// Hutch++ (Meyer et al., 2021): `tr A ≈ tr(QᵀAQ) + tr_H((I−QQᵀ)A(I−QQᵀ))`
/// with `Q` an orthonormal basis of `A S` for `k = ⌊m/3⌋` random probes
/// `S`, and the remainder estimated by Hutchinson with `m − 2k` probes.
/// Works for any square `A` (the projection is two-sided).
///
/// Statuses: [`Status::Converged`], or [`Status::Breakdown`] for a
/// non-finite value. [`Stats`]: `iterations` = remainder samples;
/// `operator_applications` = `k + rank + (m − 2k)` (= `m` when the sketch
/// has full rank); `residual_norms` is empty.
///
/// `Err` for a non-square operator, `matvecs < 3`, or a failing operator.
pub fn hutch_plus_plus<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    params: &HutchPlusPlusParams,
) -> Result<(HutchPlusPlus<T>, Stats<T>), SolverError> {
    const NAME: &str = "hutch++";
    let n = check::square(NAME, "operator", a)?;
    check::at_least(NAME, "matvecs", params.matvecs, 3)?;
    let op_err = check::op_err(NAME);
    let k = params.matvecs / 3;
    let g = params.matvecs - 2 * k;
    let mut stats = Stats::with_capacity(0, Status::Converged);
    let mut rng = Rng::new(params.seed);

    // Sketch Y = A S, orthonormalized in place into Q (rank r ≤ k).
    let mut s = vec![T::zero(); k * n];
    for si in s
        .chunks_exact_mut(n.max(1))
        .take(if n == 0 { 0 } else { k })
    {
        rng.fill(params.probe, si);
    }
    let mut q = vec![T::zero(); k * n];
    a.apply_many(k, &s, &mut q).map_err(&op_err)?;
    stats.operator_applications += k;
    let mut h = vec![T::zero(); 2 * k.max(1)];
    let mut tmp = vec![T::zero(); n];
    let mut w = vec![T::zero(); n];
    let drop_below = check::sqrt_eps::<T>();
    let mut rank = 0;
    for i in 0..k {
        w.copy_from_slice(&q[i * n..(i + 1) * n]);
        let before = nrm2(&w);
        cgs2(&q, rank, &mut w, &mut h, &mut tmp);
        let after = nrm2(&w);
        if after.is_finite() && after > drop_below * before && after > T::zero() {
            scal(T::one() / after, &mut w);
            q[rank * n..(rank + 1) * n].copy_from_slice(&w);
            rank += 1;
        }
    }
    // tr(Qᵀ A Q), reusing S for A Q.
    a.apply_many(rank, &q[..rank * n], &mut s[..rank * n])
        .map_err(&op_err)?;
    stats.operator_applications += rank;
    let low_rank_trace: T = (0..rank)
        .map(|i| dot(&q[i * n..(i + 1) * n], &s[i * n..(i + 1) * n]))
        .sum();

    // Remainder: probes projected off Q, then Hutchinson.
    let mut gs = vec![T::zero(); g * n];
    for gi in gs
        .chunks_exact_mut(n.max(1))
        .take(if n == 0 { 0 } else { g })
    {
        rng.fill(params.probe, gi);
    }
    for gi in gs
        .chunks_exact_mut(n.max(1))
        .take(if n == 0 { 0 } else { g })
    {
        cgs2(&q, rank, gi, &mut h, &mut tmp);
    }
    let mut ag = vec![T::zero(); g * n];
    a.apply_many(g, &gs, &mut ag).map_err(&op_err)?;
    stats.operator_applications += g;
    stats.iterations = g;
    let samples: Vec<T> = (0..g)
        .map(|i| low_rank_trace + dot(&gs[i * n..(i + 1) * n], &ag[i * n..(i + 1) * n]))
        .collect();
    if samples.iter().any(|s| !s.is_finite()) {
        stats.status = Status::Breakdown(Breakdown::NonFinite);
    }
    Ok((
        HutchPlusPlus {
            estimate: TraceEstimate::from_samples(samples),
            low_rank_trace,
            rank,
        },
        stats,
    ))
}

/// The result of [`diagonal_estimate`].
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalEstimate<T> {
    /// The estimate of `diag A`: the mean of `z ⊙ A z`.
    pub diagonal: Vec<T>,
    /// Per entry, the unbiased sample variance of `z_i (A z)_i` (`+∞` for
    /// one sample). For Rademacher probes it estimates `Σ_{j≠i} a_ij²`.
    pub variance: Vec<T>,
    /// Per entry, the standard error `√(variance / m)`.
    pub std_error: Vec<T>,
}

/// Hutchinson's (Bekas–Kokiopoulou–Saad) estimator of the diagonal: the
/// mean of `z ⊙ A z` over `samples` seeded probes, with a per-entry variance
/// (Welford's running update; no per-sample storage).
///
/// ```
/// use hvp_linop::Dense;
/// use hvp_solvers::{diagonal_estimate, SamplingParams};
/// let a = Dense::from_rows(&[[2.0f64, 0.1], [0.1, 5.0]]).unwrap();
/// let (d, stats) = diagonal_estimate(&a, &SamplingParams::default()).unwrap();
/// assert!((d.diagonal[0] - 2.0).abs() < 0.1 && (d.diagonal[1] - 5.0).abs() < 0.1);
/// // Rademacher: z_i (Az)_i = a_ii ± a_ij, so the variance is a_ij².
/// assert!((d.variance[0] - 0.01).abs() < 0.002);
/// assert_eq!(stats.operator_applications, 64);
/// ```
///
/// Statuses and [`Stats`] as for [`hutchinson`].
pub fn diagonal_estimate<T: Float, A: LinOp<T> + ?Sized>(
    a: &A,
    params: &SamplingParams,
) -> Result<(DiagonalEstimate<T>, Stats<T>), SolverError> {
    const NAME: &str = "diagonal estimate";
    let n = check::square(NAME, "operator", a)?;
    check_sampling(NAME, params)?;
    let mut stats = Stats::with_capacity(0, Status::Converged);
    let mut mean = vec![T::zero(); n];
    let mut m2 = vec![T::zero(); n];
    let mut count = 0usize;
    let mut finite = true;
    sample_blocks(NAME, a, n, params, &mut stats, |z, az| {
        count += 1;
        let c = T::from_f64(count as f64);
        for ((mi, si), (&zi, &ai)) in mean.iter_mut().zip(m2.iter_mut()).zip(z.iter().zip(az)) {
            let x = zi * ai;
            let delta = x - *mi;
            *mi += delta / c;
            *si += delta * (x - *mi);
        }
        finite = az.iter().all(|v| v.is_finite());
        finite
    })?;
    if !finite {
        stats.status = Status::Breakdown(Breakdown::NonFinite);
    }
    let (variance, std_error) = if count < 2 {
        (vec![T::infinity(); n], vec![T::infinity(); n])
    } else {
        let var: Vec<T> = m2
            .iter()
            .map(|&s| s / T::from_f64((count - 1) as f64))
            .collect();
        let cf = T::from_f64(count as f64);
        let se = var.iter().map(|&v| (v / cf).sqrt()).collect();
        (var, se)
    };
    Ok((
        DiagonalEstimate {
            diagonal: mean,
            variance,
            std_error,
        },
        stats,
    ))
}
