//! Trace and diagonal estimators: Hutchinson's error falls like `1/√m`
//! (log-log slope over m = 10..1000, several seeds), Hutch++ beats it on a
//! low-rank-plus-noise matrix, the diagonal estimator converges, reported
//! variances match theory, seeds and block sizes, counts, errors.

mod common;

use common::*;
use hvp_linop::{Dense, Diagonal};
use hvp_solvers::{
    diagonal_estimate, hutch_plus_plus, hutchinson, HutchPlusPlusParams, Probe, SamplingParams,
    SolverError, Status, TraceEstimate,
};
use hvp_testkit::TestRng;

const N: usize = 60;

fn random_sym(rng: &mut TestRng) -> Vec<f64> {
    let lambda: Vec<f64> = (0..N).map(|_| gaussian(rng)).collect();
    sym_from_spectrum(rng, &lambda)
}

fn trace(a: &[f64], n: usize) -> f64 {
    (0..n).map(|i| a[i * n + i]).sum()
}

/// Root-mean-square error over `seeds` runs of an estimator.
fn rms(seeds: u64, mut run: impl FnMut(u64) -> f64, exact: f64) -> f64 {
    let s: f64 = (0..seeds).map(|s| (run(s) - exact).powi(2)).sum();
    (s / seeds as f64).sqrt()
}

#[test]
fn hutchinson_error_falls_like_one_over_root_m() {
    let mut rng = TestRng::new(61);
    let a = random_sym(&mut rng);
    let op = dense::<f64>(N, &a);
    let exact = trace(&a, N);
    for probe in [Probe::Rademacher, Probe::Gaussian] {
        let ms = [10usize, 32, 100, 316, 1000];
        let errs: Vec<f64> = ms
            .iter()
            .map(|&m| {
                rms(
                    24,
                    |seed| {
                        let p = SamplingParams {
                            samples: m,
                            probe,
                            seed: 1000 + seed,
                            ..Default::default()
                        };
                        hutchinson(&op, &p).unwrap().0.estimate
                    },
                    exact,
                )
            })
            .collect();
        let m64: Vec<f64> = ms.iter().map(|&m| m as f64).collect();
        let slope = loglog_slope(&m64, &errs);
        assert!(
            (slope + 0.5).abs() < 0.12,
            "{probe:?}: slope {slope}, errors {errs:?}"
        );
    }
}

/// Theory: for symmetric `A`, `Var[zᵀAz] = 2 Σ_{i≠j} a_ij²` (Rademacher)
/// and `2 ‖A‖_F²` (Gaussian); the reported sample variance estimates it.
#[test]
fn reported_variance_matches_theory() {
    let mut rng = TestRng::new(62);
    let a = random_sym(&mut rng);
    let op = dense::<f64>(N, &a);
    let fro2: f64 = a.iter().map(|x| x * x).sum();
    let diag2: f64 = (0..N).map(|i| a[i * N + i].powi(2)).sum();
    for (probe, var) in [
        (Probe::Rademacher, 2.0 * (fro2 - diag2)),
        (Probe::Gaussian, 2.0 * fro2),
    ] {
        let p = SamplingParams {
            samples: 4000,
            probe,
            ..Default::default()
        };
        let (est, stats) = hutchinson(&op, &p).unwrap();
        assert!(
            (est.variance / var - 1.0).abs() < 0.15,
            "{probe:?}: {} vs {var}",
            est.variance
        );
        assert!((est.std_error - (est.variance / 4000.0).sqrt()).abs() < 1e-12);
        let again = TraceEstimate::from_samples(est.samples.clone());
        assert!((again.estimate - est.estimate).abs() < 1e-12);
        assert_eq!(stats.operator_applications, 4000);
        assert_eq!(stats.iterations, 4000);
        assert_eq!(stats.status, Status::Converged);
        assert!(stats.residual_norms.is_empty());
        assert!((est.estimate - trace(&a, N)).abs() <= 5.0 * est.std_error);
    }
}

#[test]
fn seeds_and_block_sizes() {
    let mut rng = TestRng::new(63);
    let op = dense::<f64>(N, &random_sym(&mut rng));
    let p = SamplingParams {
        samples: 37,
        ..Default::default()
    };
    let (a, _) = hutchinson(&op, &p).unwrap();
    let (b, _) = hutchinson(&op, &SamplingParams { block_size: 1, ..p }).unwrap();
    let (c, _) = hutchinson(
        &op,
        &SamplingParams {
            block_size: 100,
            ..p
        },
    )
    .unwrap();
    for (x, (y, z)) in a.samples.iter().zip(b.samples.iter().zip(&c.samples)) {
        assert!((x - y).abs() < 1e-10 && (x - z).abs() < 1e-10);
    }
    let (d, _) = hutchinson(&op, &SamplingParams { seed: 5, ..p }).unwrap();
    assert_ne!(a.samples, d.samples);
    let (one, _) = hutchinson(&op, &SamplingParams { samples: 1, ..p }).unwrap();
    assert!(one.variance.is_infinite() && one.std_error.is_infinite());
}

/// A rank-10 matrix with large eigenvalues plus small symmetric noise:
/// Hutch++ deflates the large part exactly and samples only the noise.
#[test]
fn hutch_plus_plus_beats_hutchinson_on_low_rank_plus_noise() {
    let mut rng = TestRng::new(64);
    let n = 100;
    let mut lambda = vec![0.0; n];
    for (i, l) in lambda.iter_mut().enumerate() {
        *l = if i < 10 {
            50.0 + 5.0 * i as f64
        } else {
            0.05 * gaussian(&mut rng)
        };
    }
    let a = sym_from_spectrum(&mut rng, &lambda);
    let op = dense::<f64>(n, &a);
    let exact = trace(&a, n);
    let m = 60;
    let e_h = rms(
        30,
        |seed| {
            let p = SamplingParams {
                samples: m,
                seed,
                ..Default::default()
            };
            hutchinson(&op, &p).unwrap().0.estimate
        },
        exact,
    );
    let mut counts = Vec::new();
    let e_hpp = rms(
        30,
        |seed| {
            let p = HutchPlusPlusParams {
                matvecs: m,
                seed,
                ..Default::default()
            };
            let (r, stats) = hutch_plus_plus(&op, &p).unwrap();
            counts.push((stats.operator_applications, r.rank));
            r.estimate.estimate
        },
        exact,
    );
    assert!(
        e_hpp < e_h / 10.0,
        "Hutch++ {e_hpp:e} vs Hutchinson {e_h:e}"
    );
    // Full-rank sketch (k = 20 ≤ n): exactly m products.
    assert!(counts.iter().all(|&c| c == (m, m / 3)));
    // The reported error bar is honest.
    let (r, _) = hutch_plus_plus(
        &op,
        &HutchPlusPlusParams {
            matvecs: m,
            ..Default::default()
        },
    )
    .unwrap();
    assert!((r.estimate.estimate - exact).abs() <= 5.0 * r.estimate.std_error);
    assert!((r.estimate.estimate - r.low_rank_trace).abs() < 0.2 * r.low_rank_trace.abs());
}

#[test]
fn hutch_plus_plus_is_exact_when_the_sketch_spans_the_range() {
    let d: Vec<f64> = (0..12).map(|i| (i + 1) as f64).collect();
    let op = Diagonal::new(d);
    // k = 20 sketch vectors ≥ n = 12: Q spans everything, rank 12.
    let (r, stats) = hutch_plus_plus(
        &op,
        &HutchPlusPlusParams {
            matvecs: 60,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.rank, 12);
    assert_eq!(stats.operator_applications, 20 + 12 + 20);
    assert!((r.estimate.estimate - 78.0).abs() < 1e-10);
    assert!(r.estimate.variance < 1e-20);
}

#[test]
fn diagonal_estimator_converges() {
    let mut rng = TestRng::new(65);
    let a = random_sym(&mut rng);
    let op = dense::<f64>(N, &a);
    let diag: Vec<f64> = (0..N).map(|i| a[i * N + i]).collect();
    let err = |m: usize, seed: u64| {
        let p = SamplingParams {
            samples: m,
            seed,
            ..Default::default()
        };
        let (d, _) = diagonal_estimate(&op, &p).unwrap();
        let e: Vec<f64> = d.diagonal.iter().zip(&diag).map(|(x, y)| x - y).collect();
        norm(&e)
    };
    let ms = [10usize, 100, 1000];
    let errs: Vec<f64> = ms
        .iter()
        .map(|&m| ((0..8).map(|s| err(m, s).powi(2)).sum::<f64>() / 8.0).sqrt())
        .collect();
    let slope = loglog_slope(&ms.map(|m| m as f64), &errs);
    assert!((slope + 0.5).abs() < 0.12, "slope {slope}: {errs:?}");
    // Per-entry variance: Σ_{j≠i} a_ij² for Rademacher probes; the
    // standard errors cover the true errors.
    let p = SamplingParams {
        samples: 3000,
        ..Default::default()
    };
    let (d, stats) = diagonal_estimate(&op, &p).unwrap();
    assert_eq!(stats.operator_applications, 3000);
    for i in 0..N {
        let var: f64 = (0..N)
            .filter(|&j| j != i)
            .map(|j| a[i * N + j].powi(2))
            .sum();
        assert!(
            (d.variance[i] / var - 1.0).abs() < 0.2,
            "entry {i}: {} vs {var}",
            d.variance[i]
        );
        assert!((d.diagonal[i] - diag[i]).abs() <= 5.0 * d.std_error[i]);
    }
    // A diagonal matrix is recovered exactly by Rademacher probes.
    let dm = Diagonal::new(vec![1.0, -2.0, 3.0]);
    let (d, _) = diagonal_estimate(
        &dm,
        &SamplingParams {
            samples: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(d.diagonal, vec![1.0, -2.0, 3.0]);
    assert_eq!(d.variance, vec![0.0; 3]);
}

#[test]
fn invalid_input_and_breakdowns() {
    let rect = Dense::<f64>::from_vec(2, 3, vec![0.0; 6]).unwrap();
    assert!(matches!(
        hutchinson(&rect, &SamplingParams::default()).unwrap_err(),
        SolverError::Shape { .. }
    ));
    let op = Diagonal::new(vec![1.0; 3]);
    for bad in [
        SamplingParams {
            samples: 0,
            ..Default::default()
        },
        SamplingParams {
            block_size: 0,
            ..Default::default()
        },
    ] {
        assert!(hutchinson(&op, &bad).is_err());
        assert!(diagonal_estimate(&op, &bad).is_err());
    }
    assert!(matches!(
        hutch_plus_plus(
            &op,
            &HutchPlusPlusParams {
                matvecs: 2,
                ..Default::default()
            }
        )
        .unwrap_err(),
        SolverError::InvalidParam {
            param: "matvecs",
            ..
        }
    ));
    assert!(hutchinson::<f64, _>(&Failing(3), &SamplingParams::default()).is_err());
    assert!(hutch_plus_plus::<f64, _>(&Failing(3), &HutchPlusPlusParams::default()).is_err());
    let (_, stats) = hutchinson::<f64, _>(&NanOp(3), &SamplingParams::default()).unwrap();
    assert!(matches!(stats.status, Status::Breakdown(_)));
    assert_eq!(
        stats.operator_applications, 16,
        "stops after the first block"
    );
    let (_, stats) = diagonal_estimate::<f64, _>(&NanOp(3), &SamplingParams::default()).unwrap();
    assert!(matches!(stats.status, Status::Breakdown(_)));
}

#[test]
fn f32_smoke() {
    let mut rng = TestRng::new(66);
    let a = random_sym(&mut rng);
    let op = dense::<f32>(N, &a);
    let exact = trace(&a, N);
    let (h, _) = hutchinson(
        &op,
        &SamplingParams {
            samples: 500,
            ..Default::default()
        },
    )
    .unwrap();
    assert!((f64::from(h.estimate) - exact).abs() <= 5.0 * f64::from(h.std_error));
    let (hpp, _) = hutch_plus_plus(&op, &HutchPlusPlusParams::default()).unwrap();
    assert!(
        (f64::from(hpp.estimate.estimate) - exact).abs()
            <= 5.0 * f64::from(hpp.estimate.std_error) + 1e-3
    );
    let (d, _) = diagonal_estimate(
        &op,
        &SamplingParams {
            samples: 500,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(d.diagonal.iter().all(|x| x.is_finite()));
}
