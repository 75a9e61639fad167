//! Power iteration with deflation: the top eigenpairs by magnitude of
//! matrices with known spectra, exact product counts, the `±λ` tie, errors.

mod common;

use common::*;
use hvp_linop::Diagonal;
use hvp_solvers::{power_iteration, Breakdown, PowerParams, SolverError, Status};
use hvp_testkit::TestRng;

const N: usize = 80;

#[test]
fn top_eigenpairs_by_magnitude() {
    let mut rng = TestRng::new(41);
    let mut lambda = linspace(-2.0, 2.0, N);
    lambda[0] = -9.0;
    lambda[1] = 10.0;
    lambda[2] = 6.0;
    lambda[3] = -4.0;
    let a = sym_from_spectrum(&mut rng, &lambda);
    let params = PowerParams {
        nev: 4,
        tol: 1e-10,
        ..Default::default()
    };
    let (res, stats) = power_iteration(&dense::<f64>(N, &a), &params).unwrap();
    assert_eq!(stats.status, Status::Converged);
    let want = [10.0, -9.0, 6.0, -4.0];
    for (i, w) in want.iter().enumerate() {
        assert!(
            (res.eigenvalues[i] - w).abs() < 1e-8,
            "{} vs {w}",
            res.eigenvalues[i]
        );
        let v = &res.eigenvectors[i * N..(i + 1) * N];
        let av = matvec(&a, v);
        let r: Vec<f64> = av
            .iter()
            .zip(v)
            .map(|(p, q)| p - res.eigenvalues[i] * q)
            .collect();
        assert!(norm(&r) <= 1e-9 * 10.0, "pair {i}: {:e}", norm(&r));
        // Deflation keeps the vectors orthonormal.
        for j in 0..i {
            assert!(dot(v, &res.eigenvectors[j * N..(j + 1) * N]).abs() < 1e-10);
        }
        assert!(res.converged[i]);
    }
    let total: usize = res.iterations.iter().sum();
    assert_eq!(stats.operator_applications, total);
    assert_eq!(stats.iterations, total);
    assert_eq!(stats.residual_norms.len(), total);
}

/// `λ` and `−λ` share the largest magnitude: the iterate oscillates in
/// their span and never converges, which is reported, not hidden.
#[test]
fn plus_minus_tie_does_not_converge() {
    let a = Diagonal::new(vec![5.0, -5.0, 1.0, 0.5]);
    let params = PowerParams {
        max_iters: 50,
        ..Default::default()
    };
    let (res, stats) = power_iteration(&a, &params).unwrap();
    assert_eq!(stats.status, Status::MaxIterations);
    assert_eq!(res.converged, vec![false]);
    assert_eq!(stats.operator_applications, 50);
}

#[test]
fn zero_operator_and_errors() {
    let z = Diagonal::new(vec![0.0; 3]);
    let (res, stats) = power_iteration(
        &z,
        &PowerParams {
            nev: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert_eq!(res.eigenvalues, vec![0.0; 3]);
    assert_eq!(stats.operator_applications, 3);
    assert!(matches!(
        power_iteration(
            &z,
            &PowerParams {
                nev: 4,
                ..Default::default()
            }
        )
        .unwrap_err(),
        SolverError::InvalidParam { param: "nev", .. }
    ));
    assert!(power_iteration(&Failing(3), &PowerParams::<f64>::default()).is_err());
    let (_, stats) = power_iteration(&NanOp(3), &PowerParams::<f64>::default()).unwrap();
    assert_eq!(stats.status, Status::Breakdown(Breakdown::NonFinite));
}

#[test]
fn f32_smoke() {
    let mut rng = TestRng::new(42);
    let mut lambda = linspace(0.0, 1.0, 40);
    lambda[7] = 4.0;
    let a = sym_from_spectrum(&mut rng, &lambda);
    let (res, stats) = power_iteration(&dense::<f32>(40, &a), &PowerParams::default()).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!((res.eigenvalues[0] - 4.0).abs() < 1e-3);
}
