//! Stochastic Lanczos quadrature: rules are probability measures on the
//! spectrum, the broadened density integrates to 1 and its mean is the
//! probes' Hutchinson estimate of `tr A / n`; `tr f(A)` and log-det
//! against exact values; seeds, probes and counts.

mod common;

use common::*;
use hvp_linop::Diagonal;
use hvp_solvers::{
    hutchinson, slq, Probe, Reorthogonalization, SamplingParams, SlqParams, SolverError, Status,
};
use hvp_testkit::TestRng;

const N: usize = 100;

fn spd(rng: &mut TestRng) -> (Vec<f64>, Vec<f64>) {
    let lambda = logspace(0.1, 10.0, N);
    (sym_from_spectrum(rng, &lambda), lambda)
}

#[test]
fn density_is_normalized_and_its_mean_is_the_trace() {
    let mut rng = TestRng::new(51);
    let (a, lambda) = spd(&mut rng);
    let op = dense::<f64>(N, &a);
    let params = SlqParams {
        probes: 20,
        steps: 25,
        ..Default::default()
    };
    let (q, stats) = slq(&op, &params).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert_eq!(stats.operator_applications, 20 * 25);
    assert_eq!(q.rules.len(), 20);
    let (lmin, lmax) = (lambda[0], lambda[N - 1]);
    for r in &q.rules {
        assert_eq!(r.nodes.len(), 25);
        assert!((r.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(r.weights.iter().all(|&w| w >= 0.0));
        assert!(r
            .nodes
            .iter()
            .all(|&t| t >= lmin - 1e-10 && t <= lmax + 1e-10));
        assert!((r.scale - N as f64).abs() < 1e-12, "Rademacher: ‖z‖² = n");
    }
    // ∫ ρ = 1 on a grid that holds the mass (trapezoid rule).
    let sigma = 0.1;
    let grid = q.grid(4001, 8.0 * sigma);
    let rho = q.density(&grid, sigma);
    let h = grid[1] - grid[0];
    let integral: f64 = rho.windows(2).map(|w| 0.5 * h * (w[0] + w[1])).sum();
    assert!((integral - 1.0).abs() < 1e-6, "∫ρ = {integral}");
    // Its mean: ∫ t ρ(t) dt = mean of Σ w θ, which for each probe v = z/‖z‖
    // is vᵀAv — exactly Hutchinson's sample over n with the same probes.
    let mean_grid: f64 = grid
        .windows(2)
        .zip(rho.windows(2))
        .map(|(t, r)| 0.5 * h * (t[0] * r[0] + t[1] * r[1]))
        .sum();
    let (hutch, _) = hutchinson(
        &op,
        &SamplingParams {
            samples: 20,
            ..Default::default()
        },
    )
    .unwrap();
    assert!((q.mean() * N as f64 - hutch.estimate).abs() < 1e-9 * hutch.estimate);
    assert!((mean_grid - q.mean()).abs() < 1e-6);
    for (s, h) in q.trace().samples.iter().zip(&hutch.samples) {
        assert!((s - h).abs() < 1e-9 * h.abs(), "per-probe identity");
    }
    // And statistically, the trace.
    let trace: f64 = lambda.iter().sum();
    assert!((q.mean() - trace / N as f64).abs() <= 4.0 * hutch.std_error / N as f64);
}

#[test]
fn log_det_and_trace_functions() {
    let mut rng = TestRng::new(52);
    let (a, lambda) = spd(&mut rng);
    let op = dense::<f64>(N, &a);
    for probe in [Probe::Rademacher, Probe::Gaussian] {
        let params = SlqParams {
            probes: 40,
            steps: 30,
            probe,
            seed: 3,
            ..Default::default()
        };
        let (q, _) = slq(&op, &params).unwrap();
        let exact: f64 = lambda.iter().map(|l| l.ln()).sum();
        let ld = q.log_det();
        assert!(
            (ld.estimate - exact).abs() <= 4.0 * ld.std_error + 1e-6,
            "{probe:?}: {} vs {exact} ± {}",
            ld.estimate,
            ld.std_error
        );
        // tr A⁻¹ likewise; tr I = E‖z‖² = n.
        let inv = q.trace_of(|t| 1.0 / t);
        let exact_inv: f64 = lambda.iter().map(|l| 1.0 / l).sum();
        assert!((inv.estimate - exact_inv).abs() <= 4.0 * inv.std_error + 1e-6);
        let id = q.trace_of(|_| 1.0);
        assert_eq!(id.samples.len(), 40);
        if probe == Probe::Rademacher {
            assert!((id.estimate - N as f64).abs() < 1e-9);
        } else {
            assert!((id.estimate - N as f64).abs() <= 4.0 * id.std_error);
        }
    }
}

/// With `steps ≥ n` distinct eigenvalues (full reorthogonalization) the
/// rule is exact: nodes are the eigenvalues, weights the squared probe
/// components in the eigenbasis (for a diagonal matrix, 1/n each).
#[test]
fn full_krylov_space_gives_the_exact_rule() {
    let d = linspace(1.0, 8.0, 8);
    let a = Diagonal::new(d.clone());
    let params = SlqParams {
        probes: 3,
        steps: 50,
        ..Default::default()
    };
    let (q, stats) = slq(&a, &params).unwrap();
    assert!(stats.operator_applications <= 3 * 8);
    for r in &q.rules {
        assert_eq!(r.nodes.len(), 8);
        for (t, want) in r.nodes.iter().zip(&d) {
            assert!((t - want).abs() < 1e-10);
        }
        for w in &r.weights {
            assert!((w - 0.125).abs() < 1e-10);
        }
    }
}

#[test]
fn seeds_options_and_errors() {
    let mut rng = TestRng::new(53);
    let (a, _) = spd(&mut rng);
    let op = dense::<f64>(N, &a);
    let p = SlqParams {
        probes: 2,
        steps: 10,
        ..Default::default()
    };
    let (q1, _) = slq(&op, &p).unwrap();
    let (q2, _) = slq(&op, &p).unwrap();
    assert_eq!(q1, q2);
    let (q3, _) = slq(&op, &SlqParams { seed: 9, ..p }).unwrap();
    assert_ne!(q1, q3);
    // No reorthogonalization: nearly the same quadrature for short runs.
    let (q4, _) = slq(
        &op,
        &SlqParams {
            reorth: Reorthogonalization::None,
            ..p
        },
    )
    .unwrap();
    assert!((q4.mean() - q1.mean()).abs() < 1e-10);
    assert!(q1.density(&[1.0], -1.0)[0].is_nan());
    assert!(matches!(
        slq(&op, &SlqParams { probes: 0, ..p }).unwrap_err(),
        SolverError::InvalidParam {
            param: "probes",
            ..
        }
    ));
    assert!(slq::<f64, _>(&Failing(4), &p).is_err());
    let (_, stats) = slq::<f64, _>(&NanOp(4), &p).unwrap();
    assert!(matches!(stats.status, Status::Breakdown(_)));
}

#[test]
fn f32_smoke() {
    let mut rng = TestRng::new(54);
    let (a, lambda) = spd(&mut rng);
    let (q, stats) = slq(&dense::<f32>(N, &a), &SlqParams::default()).unwrap();
    assert_eq!(stats.status, Status::Converged);
    let grid = q.grid(2001, 1.0f32);
    let rho = q.density(&grid, 0.2);
    let h = grid[1] - grid[0];
    let integral: f32 = rho.iter().sum::<f32>() * h;
    assert!((integral - 1.0).abs() < 1e-3, "{integral}");
    let trace: f64 = lambda.iter().sum();
    let est = q.trace();
    assert!((f64::from(est.estimate) - trace).abs() <= 4.0 * f64::from(est.std_error) + 1e-2);
}
