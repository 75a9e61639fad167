//! MINRES: the whole catalog (indefinite and singular included) accepted by
//! true residuals, least-squares solutions of inconsistent singular
//! systems, preconditioning, shifts, estimates against the truth, counts,
//! statuses and errors.

mod common;

use common::*;
use hvp_linop::{Diagonal, LinOp};
use hvp_solvers::{minres, Breakdown, MinresParams, SolverError, Status};
use hvp_testkit::TestRng;

const N: usize = 100;

#[test]
fn catalog_solves_by_residual() {
    let mut rng = TestRng::new(21);
    for case in catalog(N) {
        let a = sym_from_spectrum(&mut rng, &case.lambda);
        let b = rhs(&mut rng, &a, &case);
        let tol = if case.name.contains("ill") {
            1e-6
        } else {
            1e-10
        };
        let params = MinresParams {
            rtol: 0.5 * tol,
            max_iters: Some(50 * N),
            ..Default::default()
        };
        let (sol, stats) = minres(&dense::<f64>(N, &a), &b, None, None, &params).unwrap();
        assert_eq!(stats.status, Status::Converged, "{}", case.name);
        let r = residual(&a, &b, &sol.x);
        assert!(
            r <= tol * norm(&b),
            "{}: relative residual {:e}",
            case.name,
            r / norm(&b)
        );
        // The estimate tracks the true residual.
        assert!(
            (sol.residual_norm - r).abs() <= 1e-2 * tol * norm(&b) + 0.1 * r,
            "{}",
            case.name
        );
        // One entry per step plus one per cycle (each cycle after the
        // first is a restart after a failed true-residual check); one
        // product per step plus one per check.
        let cycles = stats.residual_norms.len() - stats.iterations;
        assert!(
            cycles >= 2,
            "{}: the converged estimate is checked",
            case.name
        );
        assert_eq!(stats.operator_applications, stats.iterations + cycles - 1);
        assert_eq!(sol.ar_norms.len(), stats.iterations);
        if !case.name.contains("ill") {
            assert_eq!(cycles, 2, "{}", case.name);
            // Residual estimates never increase (MINRES minimizes them).
            let est = &stats.residual_norms[..stats.iterations + 1];
            for w in est.windows(2) {
                assert!(w[1] <= w[0] * (1.0 + 1e-12), "{}", case.name);
            }
        }
        let lmax = case.lambda.iter().fold(0.0f64, |m, l| m.max(l.abs()));
        // ‖T‖_F ≥ ‖T‖₂ → ‖A‖₂; ghost copies of eigenvalues (no
        // reorthogonalization) may push it past ‖A‖_F, but not far.
        assert!(
            sol.a_norm >= 0.5 * lmax && sol.a_norm <= 2.0 * frob(&a),
            "{}",
            case.name
        );
        assert!((sol.x_norm - norm(&sol.x)).abs() <= 1e-12 * sol.x_norm);
    }
}

/// `b` with a component along the null vector: no solution exists; MINRES
/// returns a least-squares one, flagged by the `‖A r‖` test.
#[test]
fn inconsistent_singular_system_gives_least_squares() {
    let mut rng = TestRng::new(22);
    let mut lambda = linspace(-5.0, 5.0, N);
    lambda[N / 2] = 0.0;
    lambda[N / 2 + 1] = 0.0;
    let a = sym_from_spectrum(&mut rng, &lambda);
    let b = gaussian_vec(&mut rng, N);
    // The attainable ‖A r‖ / (‖A‖ ‖r‖) is limited by rounding (about 1e-9
    // here); the default √ε is within reach.
    let params = MinresParams::default();
    let (sol, stats) = minres(&dense::<f64>(N, &a), &b, None, None, &params).unwrap();
    assert_eq!(stats.status, Status::LeastSquares);
    assert!(
        sol.x_norm < 1e3 * norm(&b),
        "x did not blow up along the null space"
    );
    let ax = matvec(&a, &sol.x);
    let r: Vec<f64> = b.iter().zip(&ax).map(|(p, q)| p - q).collect();
    let ar = norm(&matvec(&a, &r));
    // Normal equations hold: ‖A r‖ small against ‖A‖ ‖r‖, while ‖r‖ stays
    // at the distance of b from the range.
    assert!(
        ar <= 1e-7 * 5.0 * norm(&r),
        "‖Ar‖ = {ar:e}, ‖r‖ = {}",
        norm(&r)
    );
    assert!(norm(&r) > 0.01 * norm(&b));
    assert!(sol.ar_norm <= 1.5e-8 * sol.a_norm * sol.residual_norm * 1.01);
}

#[test]
fn preconditioned_and_shifted() {
    let mut rng = TestRng::new(23);
    // A badly scaled indefinite matrix D B D; M⁻¹ = diag(1/|a_ii|) is SPD.
    let bm = sym_from_spectrum(&mut rng, &catalog(N)[2].lambda);
    let s = logspace(1.0, 100.0, N);
    let a: Vec<f64> = (0..N * N).map(|k| s[k / N] * bm[k] * s[k % N]).collect();
    let b = gaussian_vec(&mut rng, N);
    let params = MinresParams {
        rtol: 1e-10,
        max_iters: Some(50 * N),
        ..Default::default()
    };
    let op = dense::<f64>(N, &a);
    let minv = Diagonal::new((0..N).map(|i| 1.0 / a[i * N + i].abs().max(1e-3)).collect());
    let (sol, stats) = minres(&op, &b, None, Some(&minv), &params).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!(residual(&a, &b, &sol.x) <= 1e-7 * norm(&b));
    let cycles = stats.residual_norms.len() - stats.iterations;
    assert_eq!(stats.preconditioner_applications, stats.iterations + cycles);
    assert_eq!(stats.operator_applications, stats.iterations + cycles - 1);

    // (A − σI) x = b against the explicitly shifted matrix.
    let shift = 0.37;
    let mut ash = bm.clone();
    for i in 0..N {
        ash[i * N + i] -= shift;
    }
    let p = MinresParams { shift, ..params };
    let (sol, stats) = minres(&dense::<f64>(N, &bm), &b, None, None, &p).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!(residual(&ash, &b, &sol.x) <= 1e-10 * norm(&b));

    // An initial guess costs one product (and one preconditioner product
    // for ‖b‖ in the M⁻¹-norm).
    let x0 = gaussian_vec(&mut rng, N);
    let (sol, stats) = minres(&op, &b, Some(&x0), Some(&minv), &params).unwrap();
    assert_eq!(stats.status, Status::Converged);
    let cycles = stats.residual_norms.len() - stats.iterations;
    assert_eq!(stats.operator_applications, stats.iterations + cycles);
    assert_eq!(
        stats.preconditioner_applications,
        stats.iterations + cycles + 1
    );
    assert!(residual(&a, &b, &sol.x) <= 1e-7 * norm(&b));
}

#[test]
fn invariant_subspace_and_trivial_cases() {
    // b an eigenvector: one step solves it exactly.
    let a = Diagonal::new(vec![2.0f64, -3.0, 5.0]);
    let (sol, stats) = minres(&a, &[0.0, 6.0, 0.0], None, None, &MinresParams::default()).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!((sol.x[1] + 2.0).abs() < 1e-14);
    // One step, then β = 0 and the true residual (one product) confirms.
    assert_eq!((stats.iterations, stats.operator_applications), (1, 2));
    // Zero right-hand side.
    let (sol, stats) = minres(
        &a,
        &[0.0; 3],
        Some(&[1.0; 3]),
        None,
        &MinresParams::default(),
    )
    .unwrap();
    assert_eq!(sol.x, vec![0.0; 3]);
    assert_eq!(
        (stats.status, stats.operator_applications),
        (Status::Converged, 0)
    );
    // Iteration cap.
    let mut rng = TestRng::new(24);
    let m = sym_from_spectrum(&mut rng, &linspace(-3.0, 7.0, N));
    let b = gaussian_vec(&mut rng, N);
    let p = MinresParams {
        max_iters: Some(4),
        ..Default::default()
    };
    let (_, stats) = minres(&dense::<f64>(N, &m), &b, None, None, &p).unwrap();
    assert_eq!(stats.status, Status::MaxIterations);
    assert_eq!((stats.iterations, stats.operator_applications), (4, 4));
    // Breakdowns are statuses.
    let bad = Diagonal::new(vec![-1.0; N]);
    let (_, stats) = minres(
        &dense::<f64>(N, &m),
        &b,
        None,
        Some(&bad),
        &MinresParams::default(),
    )
    .unwrap();
    assert_eq!(
        stats.status,
        Status::Breakdown(Breakdown::IndefinitePreconditioner)
    );
    let (_, stats) = minres(
        &NanOp(3),
        &[1.0; 3],
        None,
        None,
        &MinresParams::<f64>::default(),
    )
    .unwrap();
    assert_eq!(stats.status, Status::Breakdown(Breakdown::NonFinite));
}

#[test]
fn invalid_input_is_an_error() {
    let op = Diagonal::new(vec![1.0, -2.0, 3.0]);
    let p = MinresParams::default();
    assert!(matches!(
        minres(&op, &[1.0; 4], None, None, &p).unwrap_err(),
        SolverError::Length {
            solver: "minres",
            ..
        }
    ));
    assert!(matches!(
        minres(&op, &[1.0, 1.0, f64::INFINITY], None, None, &p).unwrap_err(),
        SolverError::NonFinite { index: 2, .. }
    ));
    let sh = MinresParams {
        shift: f64::NAN,
        ..p
    };
    assert!(matches!(
        minres(&op, &[1.0; 3], None, None, &sh).unwrap_err(),
        SolverError::InvalidParam { param: "shift", .. }
    ));
    assert!(matches!(
        minres(&Failing(3), &[1.0; 3], None, None, &p).unwrap_err(),
        SolverError::Operator { .. }
    ));
}

#[test]
fn f32_smoke() {
    let mut rng = TestRng::new(25);
    let n = 40;
    let a = sym_from_spectrum(&mut rng, &linspace(-4.0, 6.0, n));
    let b = gaussian_vec(&mut rng, n);
    let op = dense::<f32>(n, &a);
    let (sol, stats) = minres(&op, &cast::<f32>(&b), None, None, &MinresParams::default()).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!(residual(&a, &b, &to64(&sol.x)) <= 2e-3 * norm(&b));
    assert!(op.is_symmetric());
}

/// On κ = 1e8 with a random right-hand side (‖x‖ ≈ 1e8 ‖b‖) the residual
/// recurrence drifts from the truth; without the check MINRES would claim
/// a residual it never attained. The check restarts it from `x` and the
/// true residual meets the tolerance.
#[test]
fn residual_check_prevents_false_convergence() {
    let mut rng = TestRng::new(26);
    let a = sym_from_spectrum(&mut rng, &logspace(1e-8, 1.0, N));
    let b = gaussian_vec(&mut rng, N);
    let op = dense::<f64>(N, &a);
    let params = MinresParams {
        rtol: 1e-6,
        max_iters: Some(50 * N),
        ..Default::default()
    };
    let unchecked = MinresParams {
        check_residual: false,
        ..params
    };
    let (sol, stats) = minres(&op, &b, None, None, &unchecked).unwrap();
    assert_eq!(stats.status, Status::Converged);
    let claimed = sol.residual_norm;
    let truth = residual(&a, &b, &sol.x);
    assert!(
        claimed <= 1e-6 * norm(&b) && truth > 10.0 * claimed,
        "{claimed:e} vs {truth:e}"
    );

    let (sol, stats) = minres(&op, &b, None, None, &params).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!(residual(&a, &b, &sol.x) <= 1e-6 * norm(&b));
    let cycles = stats.residual_norms.len() - stats.iterations;
    assert!(cycles >= 3, "at least one restart: {cycles} cycles");

    // No restarts allowed: the failed check is reported, not hidden.
    let strict = MinresParams {
        max_restarts: 0,
        ..params
    };
    let (_, stats) = minres(&op, &b, None, None, &strict).unwrap();
    assert_eq!(stats.status, Status::Breakdown(Breakdown::Stagnation));
}
