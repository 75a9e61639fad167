//! CG: the solver catalog accepted by true residuals, negative curvature,
//! Steihaug–Toint trust regions (Euclidean and preconditioned), iteration
//! counts on spectra with few distinct eigenvalues, exact operation counts,
//! statuses, errors, and CG as a `Solve` behind `Inverse`.

mod common;

use common::*;
use hvp_linop::{Dense, Diagonal, LinOp, LinOpError};
use hvp_solvers::{cg, Breakdown, CgParams, CgSolver, SolverError, Status};
use hvp_testkit::TestRng;

const N: usize = 100;

/// Runs CG on every positive semidefinite catalog case and accepts by
/// `‖b − A x‖ ≤ tol ‖b‖` computed in f64 from the returned `x`.
#[test]
fn catalog_solves_by_residual() {
    let mut rng = TestRng::new(1);
    for case in catalog(N) {
        if case.lambda.iter().any(|&l| l < 0.0) {
            continue; // indefinite: see negative_curvature_*
        }
        let a = sym_from_spectrum(&mut rng, &case.lambda);
        let b = rhs(&mut rng, &a, &case);
        let tol = if case.name.contains("ill") {
            1e-6
        } else {
            1e-10
        };
        let params = CgParams {
            rtol: 0.5 * tol,
            max_iters: Some(50 * N),
            ..Default::default()
        };
        let op = dense::<f64>(N, &a);
        let (sol, stats) = cg(&op, &b, None, None, &params).unwrap();
        assert_eq!(stats.status, Status::Converged, "{}", case.name);
        let rel = residual(&a, &b, &sol.x) / norm(&b);
        assert!(rel <= tol, "{}: relative residual {rel:e}", case.name);
        assert_eq!(
            stats.operator_applications, stats.iterations,
            "{}",
            case.name
        );
        assert_eq!(stats.residual_norms.len(), stats.iterations + 1);
        assert_eq!(stats.preconditioner_applications, 0);
        // The model value is ½ xᵀAx − bᵀx.
        let q = 0.5 * dot(&sol.x, &matvec(&a, &sol.x)) - dot(&b, &sol.x);
        assert!(
            (sol.model_value - q).abs() <= 1e-6 * q.abs().max(1.0),
            "{}",
            case.name
        );
        assert!(sol.trust_norm.is_none());
    }
}

/// In exact arithmetic CG ends after at most as many steps as `A` has
/// distinct eigenvalues; in floating point it may take one more.
#[test]
fn iterations_bounded_by_distinct_eigenvalues() {
    let mut rng = TestRng::new(2);
    for m in [1usize, 2, 3, 5, 8] {
        let levels = linspace(1.0, 20.0, m.max(2));
        let lambda: Vec<f64> = (0..N).map(|i| levels[i % m]).collect();
        let a = sym_from_spectrum(&mut rng, &lambda);
        let b = gaussian_vec(&mut rng, N);
        let params = CgParams {
            rtol: 1e-10,
            ..Default::default()
        };
        let (sol, stats) = cg(&dense::<f64>(N, &a), &b, None, None, &params).unwrap();
        assert_eq!(stats.status, Status::Converged);
        assert!(
            stats.iterations <= m + 1,
            "m = {m}: {} iterations",
            stats.iterations
        );
        assert!(residual(&a, &b, &sol.x) <= 1e-10 * norm(&b) * 1.01);
    }
}

#[test]
fn negative_curvature_is_reported_with_its_direction() {
    let mut rng = TestRng::new(3);
    let case = &catalog(N)[2];
    assert_eq!(case.name, "indefinite");
    let a = sym_from_spectrum(&mut rng, &case.lambda);
    let op = dense::<f64>(N, &a);
    for seed in 0..5 {
        let mut r = TestRng::new(100 + seed);
        let b = gaussian_vec(&mut r, N);
        let (sol, stats) = cg(&op, &b, None, None, &CgParams::default()).unwrap();
        let Status::NegativeCurvature {
            direction,
            curvature,
            boundary_step,
        } = &stats.status
        else {
            panic!("expected negative curvature, got {}", stats.status);
        };
        let dad = dot(direction, &matvec(&a, direction));
        let dd = dot(direction, direction);
        assert!(dad <= 0.0, "dᵀAd = {dad}");
        assert!((curvature - dad / dd).abs() <= 1e-10 * (dad / dd).abs().max(1.0));
        assert!(boundary_step.is_none());
        // x is the iterate before d: one residual per completed update.
        assert_eq!(stats.residual_norms.len(), stats.iterations);
        assert_eq!(stats.operator_applications, stats.iterations);
        let r = residual(&a, &b, &sol.x);
        let last = *stats.residual_norms.last().unwrap();
        assert!((r - last).abs() <= 1e-8 * norm(&b), "{r} vs {last}");
    }
}

/// `bᵀAb = 0`: the very first direction has zero curvature.
#[test]
fn zero_curvature_counts_as_negative() {
    let a = Diagonal::new(vec![1.0, -1.0]);
    let (sol, stats) = cg(&a, &[1.0, 1.0], None, None, &CgParams::default()).unwrap();
    assert!(matches!(stats.status, Status::NegativeCurvature { .. }));
    assert_eq!(sol.x, vec![0.0, 0.0]);
    assert_eq!((stats.iterations, stats.operator_applications), (1, 1));
}

#[test]
fn steihaug_stops_on_the_boundary() {
    let mut rng = TestRng::new(4);
    let a = sym_from_spectrum(&mut rng, &linspace(1.0, 10.0, N));
    let op = dense::<f64>(N, &a);
    let b = gaussian_vec(&mut rng, N);
    // The unconstrained minimizer's norm, to pick radii inside and outside.
    let (full, _) = cg(
        &op,
        &b,
        None,
        None,
        &CgParams {
            rtol: 1e-12,
            ..Default::default()
        },
    )
    .unwrap();
    let xnorm = norm(&full.x);
    for frac in [0.01, 0.3, 0.9] {
        let delta = frac * xnorm;
        let params = CgParams {
            trust_radius: Some(delta),
            ..Default::default()
        };
        let (sol, stats) = cg(&op, &b, None, None, &params).unwrap();
        assert_eq!(stats.status, Status::TrustRegionBoundary, "Δ = {delta}");
        assert!((norm(&sol.x) - delta).abs() <= 1e-12 * delta);
        assert!((sol.trust_norm.unwrap() - delta).abs() <= 1e-12 * delta);
        // The boundary point decreases the model below the Cauchy point's
        // value at least... and below zero.
        let q = 0.5 * dot(&sol.x, &matvec(&a, &sol.x)) - dot(&b, &sol.x);
        assert!(q < 0.0 && (sol.model_value - q).abs() <= 1e-9 * q.abs());
        assert_eq!(stats.operator_applications, stats.iterations);
        assert_eq!(stats.residual_norms.len(), stats.iterations + 1);
    }
    // A radius beyond the solution: plain convergence inside.
    let params = CgParams {
        trust_radius: Some(2.0 * xnorm),
        ..Default::default()
    };
    let (sol, stats) = cg(&op, &b, None, None, &params).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!(sol.trust_norm.unwrap() < 2.0 * xnorm);
}

#[test]
fn steihaug_follows_negative_curvature_to_the_boundary() {
    let mut rng = TestRng::new(5);
    let a = sym_from_spectrum(&mut rng, &catalog(N)[2].lambda);
    let op = dense::<f64>(N, &a);
    let b = gaussian_vec(&mut rng, N);
    let delta = 3.0;
    let params = CgParams {
        trust_radius: Some(delta),
        ..Default::default()
    };
    let (sol, stats) = cg(&op, &b, None, None, &params).unwrap();
    match &stats.status {
        Status::NegativeCurvature {
            direction,
            boundary_step,
            ..
        } => {
            assert!(boundary_step.unwrap() > 0.0);
            assert!(dot(direction, &matvec(&a, direction)) <= 0.0);
        }
        Status::TrustRegionBoundary => {}
        other => panic!("expected the boundary, got {other}"),
    }
    assert!((norm(&sol.x) - delta).abs() <= 1e-12 * delta);
    let q = 0.5 * dot(&sol.x, &matvec(&a, &sol.x)) - dot(&b, &sol.x);
    assert!(q < 0.0 && (sol.model_value - q).abs() <= 1e-9 * q.abs());
}

/// With `M⁻¹ = diag(1/d)` the region is `√(xᵀ diag(d) x) ≤ Δ`, tracked by
/// recurrences without `M`.
#[test]
fn preconditioned_steihaug_uses_the_m_norm() {
    let mut rng = TestRng::new(6);
    let a = sym_from_spectrum(&mut rng, &linspace(1.0, 50.0, N));
    let op = dense::<f64>(N, &a);
    let b = gaussian_vec(&mut rng, N);
    let d: Vec<f64> = (0..N).map(|i| 1.0 + (i % 7) as f64).collect();
    let minv = Diagonal::new(d.iter().map(|x| 1.0 / x).collect());
    for delta in [0.01, 0.1, 0.5] {
        let params = CgParams {
            trust_radius: Some(delta),
            ..Default::default()
        };
        let (sol, stats) = cg(&op, &b, None, Some(&minv), &params).unwrap();
        assert_eq!(stats.status, Status::TrustRegionBoundary);
        let mnorm = sol
            .x
            .iter()
            .zip(&d)
            .map(|(x, di)| di * x * x)
            .sum::<f64>()
            .sqrt();
        assert!((mnorm - delta).abs() <= 1e-10 * delta, "{mnorm} vs {delta}");
    }
}

#[test]
fn preconditioning_cuts_iterations_and_is_counted() {
    let mut rng = TestRng::new(7);
    // D B D with B well conditioned and D spanning three decades.
    let bmat = sym_from_spectrum(&mut rng, &linspace(1.0, 3.0, N));
    let scales = logspace(1.0, 1e3, N);
    let a: Vec<f64> = (0..N * N)
        .map(|k| scales[k / N] * bmat[k] * scales[k % N])
        .collect();
    let op = dense::<f64>(N, &a);
    let b = gaussian_vec(&mut rng, N);
    let params = CgParams {
        rtol: 1e-10,
        max_iters: Some(100 * N),
        ..Default::default()
    };
    let (_, plain) = cg(&op, &b, None, None, &params).unwrap();
    let jacobi = Diagonal::new((0..N).map(|i| 1.0 / a[i * N + i]).collect());
    let (sol, pre) = cg(&op, &b, None, Some(&jacobi), &params).unwrap();
    assert_eq!(pre.status, Status::Converged);
    assert!(residual(&a, &b, &sol.x) <= 1e-10 * norm(&b) * 1.01);
    assert!(
        3 * pre.iterations < plain.iterations,
        "{} vs {}",
        pre.iterations,
        plain.iterations
    );
    // One preconditioner product before the loop and one after every step
    // but the last.
    assert_eq!(pre.preconditioner_applications, pre.iterations);
    assert_eq!(pre.operator_applications, pre.iterations);
}

#[test]
fn initial_guess_costs_one_product() {
    let mut rng = TestRng::new(8);
    let a = sym_from_spectrum(&mut rng, &linspace(1.0, 10.0, N));
    let op = dense::<f64>(N, &a);
    let b = gaussian_vec(&mut rng, N);
    let x0 = gaussian_vec(&mut rng, N);
    let (sol, stats) = cg(&op, &b, Some(&x0), None, &CgParams::default()).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert_eq!(stats.operator_applications, stats.iterations + 1);
    assert!(residual(&a, &b, &sol.x) <= 1.5e-8 * norm(&b));
    // Starting at the solution: no step at all.
    let (_, again) = cg(&op, &b, Some(&sol.x), None, &CgParams::default()).unwrap();
    assert_eq!((again.iterations, again.operator_applications), (0, 1));
    assert_eq!(again.status, Status::Converged);
}

#[test]
fn statuses_for_caps_zero_rhs_and_breakdowns() {
    let mut rng = TestRng::new(9);
    let a = sym_from_spectrum(&mut rng, &logspace(1e-8, 1.0, N));
    let op = dense::<f64>(N, &a);
    let b = gaussian_vec(&mut rng, N);
    let params = CgParams {
        max_iters: Some(3),
        ..Default::default()
    };
    let (_, stats) = cg(&op, &b, None, None, &params).unwrap();
    assert_eq!(stats.status, Status::MaxIterations);
    assert_eq!((stats.iterations, stats.operator_applications), (3, 3));
    assert_eq!(stats.residual_norms.len(), 4);

    let (sol, stats) = cg(&op, &[0.0; N], Some(&b), None, &CgParams::default()).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert_eq!(stats.operator_applications, 0);
    assert!(sol.x.iter().all(|&v| v == 0.0));

    let bad_pre = Diagonal::new(vec![-1.0; N]);
    let (_, stats) = cg(&op, &b, None, Some(&bad_pre), &CgParams::default()).unwrap();
    assert_eq!(
        stats.status,
        Status::Breakdown(Breakdown::IndefinitePreconditioner)
    );
    assert_eq!(stats.operator_applications, 0);

    let (_, stats) = cg(
        &NanOp(4),
        &[1.0; 4],
        None,
        None,
        &CgParams::<f64>::default(),
    )
    .unwrap();
    assert_eq!(stats.status, Status::Breakdown(Breakdown::NonFinite));
}

#[test]
fn invalid_input_is_an_error() {
    let op = Diagonal::new(vec![1.0, 2.0, 3.0]);
    let p = CgParams::default();
    let len = |e: SolverError| matches!(e, SolverError::Length { solver: "cg", .. });
    assert!(len(cg(&op, &[1.0; 2], None, None, &p).unwrap_err()));
    assert!(len(
        cg(&op, &[1.0; 3], Some(&[0.0; 4]), None, &p).unwrap_err()
    ));
    let rect = Dense::from_vec(2, 3, vec![0.0; 6]).unwrap();
    assert!(matches!(
        cg(&rect, &[1.0; 2], None, None, &p).unwrap_err(),
        SolverError::Shape { .. }
    ));
    let small = Diagonal::new(vec![1.0; 2]);
    assert!(matches!(
        cg(&op, &[1.0; 3], None, Some(&small), &p).unwrap_err(),
        SolverError::Shape {
            what: "preconditioner",
            ..
        }
    ));
    let e = cg(&op, &[1.0, f64::NAN, 0.0], None, None, &p).unwrap_err();
    assert!(matches!(e, SolverError::NonFinite { index: 1, .. }), "{e}");
    for bad in [
        CgParams { rtol: -1.0, ..p },
        CgParams {
            atol: f64::NAN,
            ..p
        },
        CgParams {
            trust_radius: Some(0.0),
            ..p
        },
    ] {
        assert!(matches!(
            cg(&op, &[1.0; 3], None, None, &bad).unwrap_err(),
            SolverError::InvalidParam { .. }
        ));
    }
    let tr = CgParams {
        trust_radius: Some(1.0),
        ..p
    };
    assert!(cg(&op, &[1.0; 3], Some(&[0.0; 3]), None, &tr).is_err());
    let e = cg(&Failing(3), &[1.0; 3], None, None, &p).unwrap_err();
    assert!(matches!(e, SolverError::Operator { solver: "cg", .. }));
    assert!(e.to_string().contains("on purpose"));
}

#[test]
fn cg_solver_is_a_lazy_inverse() {
    let mut rng = TestRng::new(10);
    let n = 30;
    let a = sym_from_spectrum(&mut rng, &linspace(1.0, 10.0, n));
    let params = CgParams {
        rtol: 1e-13,
        ..Default::default()
    };
    let inv = CgSolver::new(dense::<f64>(n, &a), params).into_inverse();
    let ainv = inv.to_dense().unwrap();
    // A · A⁻¹ = I.
    for i in 0..n {
        for j in 0..n {
            let s: f64 = (0..n).map(|k| a[i * n + k] * ainv[k * n + j]).sum();
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((s - want).abs() < 1e-10, "({i}, {j}): {s}");
        }
    }
    // With a preconditioner; the stats of the last solve are kept.
    let jacobi = Diagonal::new((0..n).map(|i| 1.0 / a[i * n + i]).collect());
    let inv = CgSolver::new(dense::<f64>(n, &a), params)
        .with_preconditioner(jacobi)
        .into_inverse();
    let b = gaussian_vec(&mut rng, n);
    let mut x = vec![0.0; n];
    inv.apply(&b, &mut x).unwrap();
    assert!(residual(&a, &b, &x) <= 1e-12 * norm(&b));
    let st = inv.solver().last_stats().unwrap();
    assert!(st.preconditioner_applications > 0);
    assert_eq!(st.operator_applications, st.iterations);

    // Not converging is an error unless allowed.
    let capped = CgParams {
        max_iters: Some(2),
        ..params
    };
    let strict = CgSolver::new(dense::<f64>(n, &a), capped).into_inverse();
    let e = strict.apply(&b, &mut x).unwrap_err();
    assert!(matches!(e, LinOpError::Failed { .. }), "{e}");
    let lax = CgSolver::new(dense::<f64>(n, &a), capped)
        .allow_unconverged()
        .into_inverse();
    lax.apply(&b, &mut x).unwrap();
    assert_eq!(
        lax.solver().last_stats().unwrap().status,
        Status::MaxIterations
    );
}

#[test]
fn f32_smoke() {
    let mut rng = TestRng::new(11);
    let n = 40;
    let a = sym_from_spectrum(&mut rng, &linspace(1.0, 10.0, n));
    let b = gaussian_vec(&mut rng, n);
    let op = dense::<f32>(n, &a);
    let (sol, stats) = cg(&op, &cast::<f32>(&b), None, None, &CgParams::default()).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!(residual(&a, &b, &to64(&sol.x)) <= 1e-3 * norm(&b));
    let tr = CgParams {
        trust_radius: Some(0.1f32),
        ..Default::default()
    };
    let (sol, stats) = cg(&op, &cast::<f32>(&b), None, None, &tr).unwrap();
    assert_eq!(stats.status, Status::TrustRegionBoundary);
    assert!((norm(&to64(&sol.x)) - 0.1).abs() < 1e-6);
}
