//! Lanczos: eigenvalues against known spectra and a dense Jacobi
//! eigensolver, the three-term relation, orthogonality under each
//! reorthogonalization, Ritz residual bounds against true residuals,
//! invariant subspaces, counts, errors; the tridiagonal QL routine against
//! Jacobi.

mod common;

use common::*;
use hvp_linop::{Diagonal, LowRank};
use hvp_solvers::{
    lanczos, sym_tridiag_eigen, sym_tridiag_eigenvalues, LanczosParams, Reorthogonalization,
    SolverError, Status, Which,
};
use hvp_testkit::TestRng;

const N: usize = 120;

/// A spectrum with well separated ends: the extreme eigenvalues converge
/// in a few dozen steps.
fn spectrum() -> Vec<f64> {
    let mut l = linspace(-1.0, 1.0, N);
    let ends = [-6.0, -4.0, -3.0, 3.5, 4.5, 7.0];
    l[..3].copy_from_slice(&ends[..3]);
    l[N - 3..].copy_from_slice(&ends[3..]);
    l
}

#[test]
fn extreme_eigenvalues_match_known_spectrum_and_jacobi() {
    let mut rng = TestRng::new(31);
    let lambda = spectrum();
    let a = sym_from_spectrum(&mut rng, &lambda);
    let jac = jacobi_eigenvalues(&a, N);
    for (j, l) in jac.iter().zip(&lambda) {
        assert!(
            (j - l).abs() < 1e-12,
            "the oracle agrees with the construction"
        );
    }
    let op = dense::<f64>(N, &a);
    let cases: [(Which, usize, Vec<f64>); 4] = [
        (Which::Largest, 3, vec![3.5, 4.5, 7.0]),
        (Which::Smallest, 2, vec![-6.0, -4.0]),
        (Which::BothEnds, 3, vec![-6.0, 4.5, 7.0]),
        (Which::LargestMagnitude, 3, vec![-6.0, 4.5, 7.0]),
    ];
    for (which, nev, want) in cases {
        let params = LanczosParams {
            nev,
            which,
            tol: 1e-10,
            ..Default::default()
        };
        let (res, stats) = lanczos(&op, None, &params).unwrap();
        assert_eq!(stats.status, Status::Converged, "{which:?}");
        assert_eq!(res.eigenvalues.len(), nev);
        for (got, w) in res.eigenvalues.iter().zip(&want) {
            assert!((got - w).abs() < 1e-9, "{which:?}: {got} vs {w}");
        }
        assert_eq!(stats.operator_applications, res.alpha.len());
        assert_eq!(stats.iterations, res.alpha.len());
        assert_eq!(stats.residual_norms.len(), res.alpha.len() - nev + 1);
        assert!(
            res.alpha.len() < N / 2,
            "{which:?}: {} steps",
            res.alpha.len()
        );
        // True residuals of the Ritz pairs match the bounds β_m |s_m|.
        let y = res.eigenvectors.as_ref().unwrap();
        for (i, (&theta, &bound)) in res.eigenvalues.iter().zip(&res.residual_bounds).enumerate() {
            let v = &y[i * N..(i + 1) * N];
            assert!((norm(v) - 1.0).abs() < 1e-12);
            let av = matvec(&a, v);
            let r: Vec<f64> = av.iter().zip(v).map(|(p, q)| p - theta * q).collect();
            assert!(
                (norm(&r) - bound).abs() < 1e-10,
                "{which:?}: {} vs {bound}",
                norm(&r)
            );
            assert!(bound <= 1e-10 * 7.0);
        }
    }
}

/// `A Q_k = Q_k T_k + β_k q_{k+1} e_kᵀ` and `Q_kᵀ Q_k = I`, with the basis
/// returned on request: to 1e-10 ‖A‖ with full reorthogonalization; with
/// partial, to the semi-orthogonality level `√ε` it maintains (the
/// components it removes are that large and are not part of `T_k`).
#[test]
fn three_term_relation_and_orthogonality() {
    let mut rng = TestRng::new(32);
    let a = sym_from_spectrum(&mut rng, &spectrum());
    let op = dense::<f64>(N, &a);
    let anorm = 7.0;
    for (reorth, rel_tol, orth_tol) in [
        (Reorthogonalization::Full, 1e-10, 1e-13),
        (Reorthogonalization::Partial, 1e-7, 1e-7),
    ] {
        let k = 60;
        let params = LanczosParams {
            max_steps: k,
            tol: 0.0,
            reorth,
            store_basis: true,
            ..Default::default()
        };
        let (res, stats) = lanczos(&op, None, &params).unwrap();
        assert_eq!(stats.status, Status::MaxIterations);
        assert_eq!((res.alpha.len(), res.beta.len()), (k, k - 1));
        let q = res.basis.as_ref().unwrap();
        let next = res.next_vector.as_ref().unwrap();
        let mut worst: f64 = 0.0;
        for j in 0..k {
            let qj = &q[j * N..(j + 1) * N];
            let aq = matvec(&a, qj);
            let mut r = aq.clone();
            for i in 0..N {
                r[i] -= res.alpha[j] * qj[i];
                if j > 0 {
                    r[i] -= res.beta[j - 1] * q[(j - 1) * N + i];
                }
                if j + 1 < k {
                    r[i] -= res.beta[j] * q[(j + 1) * N + i];
                } else {
                    r[i] -= res.beta_next * next[i];
                }
            }
            worst = worst.max(norm(&r));
        }
        assert!(
            worst <= rel_tol * anorm,
            "{reorth:?}: three-term residual {worst:e}"
        );
        // Orthogonality of [Q_k, q_{k+1}].
        let mut orth: f64 = 0.0;
        for i in 0..=k {
            let qi = if i < k {
                &q[i * N..(i + 1) * N]
            } else {
                &next[..]
            };
            for j in 0..=i {
                let qj = if j < k {
                    &q[j * N..(j + 1) * N]
                } else {
                    &next[..]
                };
                let want = if i == j { 1.0 } else { 0.0 };
                orth = orth.max((dot(qi, qj) - want).abs());
            }
        }
        assert!(orth <= orth_tol, "{reorth:?}: ‖QᵀQ − I‖_max = {orth:e}");
        if reorth == Reorthogonalization::Partial {
            assert!(
                res.reorthogonalizations < k,
                "partial: {}",
                res.reorthogonalizations
            );
        } else {
            assert_eq!(res.reorthogonalizations, k);
        }
    }
}

/// Partial and no reorthogonalization find the same extreme eigenvalues;
/// without it, orthogonality is lost as they converge (the reason the
/// option exists).
#[test]
fn partial_and_no_reorthogonalization() {
    let mut rng = TestRng::new(33);
    let a = sym_from_spectrum(&mut rng, &spectrum());
    let op = dense::<f64>(N, &a);
    let base = LanczosParams {
        nev: 2,
        which: Which::BothEnds,
        max_steps: 80,
        tol: 1e-10,
        ..Default::default()
    };
    for reorth in [Reorthogonalization::Partial, Reorthogonalization::None] {
        let p = LanczosParams { reorth, ..base };
        let (res, stats) = lanczos(&op, None, &p).unwrap();
        assert_eq!(stats.status, Status::Converged, "{reorth:?}");
        assert!((res.eigenvalues[0] + 6.0).abs() < 1e-9 && (res.eigenvalues[1] - 7.0).abs() < 1e-9);
    }
    let p = LanczosParams {
        max_steps: 100,
        tol: 0.0,
        reorth: Reorthogonalization::None,
        store_basis: true,
        ..base
    };
    let (res, _) = lanczos(&op, None, &p).unwrap();
    let q = res.basis.unwrap();
    let loss = dot(&q[..N], &q[99 * N..100 * N]).abs();
    assert!(loss > 1e-6, "no reorthogonalization keeps {loss:e}");
    assert_eq!(res.reorthogonalizations, 0);
}

/// An operator with four distinct eigenvalues: the Krylov space is
/// invariant after four steps and the Ritz values are exact.
#[test]
fn invariant_subspace_is_detected() {
    let mut rng = TestRng::new(34);
    let lambda: Vec<f64> = (0..N).map(|i| [1.0, 2.0, 4.0, 8.0][i % 4]).collect();
    let a = sym_from_spectrum(&mut rng, &lambda);
    let params = LanczosParams {
        nev: 4,
        tol: 0.0,
        ..Default::default()
    };
    let (res, stats) = lanczos(&dense::<f64>(N, &a), None, &params).unwrap();
    assert_eq!(stats.status, Status::InvariantSubspace);
    assert_eq!(stats.operator_applications, 4);
    for (got, want) in res.ritz_values.iter().zip([1.0, 2.0, 4.0, 8.0]) {
        assert!((got - want).abs() < 1e-12, "{got}");
    }
    assert!(res.beta_next.abs() < 1e-12);
    // A rank-2 operator from a given start vector: two steps.
    let u: Vec<f64> = (0..2 * N).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
    let lr = LowRank::symmetric(N, u, vec![3.0, -2.0]).unwrap();
    let start = vec![1.0; N];
    let p = LanczosParams {
        nev: 2,
        which: Which::LargestMagnitude,
        ..Default::default()
    };
    let (res, stats) = lanczos(&lr, Some(&start), &p).unwrap();
    assert!(matches!(
        stats.status,
        Status::InvariantSubspace | Status::Converged
    ));
    assert!(res.alpha.len() <= 3);
}

#[test]
fn starts_are_reproducible_and_validated() {
    let a = Diagonal::new(linspace(1.0, 10.0, 50));
    let p = LanczosParams::default();
    let (r1, _) = lanczos(&a, None, &p).unwrap();
    let (r2, _) = lanczos(&a, None, &p).unwrap();
    assert_eq!(r1.alpha, r2.alpha);
    let (r3, _) = lanczos(&a, None, &LanczosParams { seed: 1, ..p }).unwrap();
    assert_ne!(r1.alpha, r3.alpha);
    let zero = vec![0.0; 50];
    assert!(matches!(
        lanczos(&a, Some(&zero), &p).unwrap_err(),
        SolverError::InvalidParam { param: "start", .. }
    ));
    assert!(matches!(
        lanczos(&a, Some(&zero[..3]), &p).unwrap_err(),
        SolverError::Length { .. }
    ));
    let too_many = LanczosParams {
        nev: 11,
        max_steps: 10,
        ..p
    };
    assert!(lanczos(&a, None, &too_many).is_err());
    assert!(lanczos(&a, None, &LanczosParams { nev: 0, ..p }).is_err());
    assert!(matches!(
        lanczos(&Failing(5), None, &p).unwrap_err(),
        SolverError::Operator { .. }
    ));
    let (_, stats) = lanczos(&NanOp(5), None, &LanczosParams::<f64>::default()).unwrap();
    assert!(matches!(stats.status, Status::Breakdown(_)));
    // Without Ritz vectors or basis and without reorthogonalization,
    // nothing but the tridiagonal and the values.
    let lean = LanczosParams {
        reorth: Reorthogonalization::None,
        ritz_vectors: false,
        ..p
    };
    let (res, _) = lanczos(&a, None, &lean).unwrap();
    assert!(res.eigenvectors.is_none() && res.basis.is_none());
    assert!((res.eigenvalues[0] - 10.0).abs() < 1e-6);
}

#[test]
fn tridiagonal_ql_matches_jacobi() {
    let mut rng = TestRng::new(35);
    for m in [1usize, 2, 5, 20, 60] {
        let d: Vec<f64> = (0..m).map(|_| rng.uniform(-3.0, 3.0)).collect();
        let mut e: Vec<f64> = (0..m.saturating_sub(1))
            .map(|_| rng.uniform(-1.0, 1.0))
            .collect();
        if m > 4 {
            e[2] = 0.0; // a split
            e[3] = 1e-300; // and a tiny coupling
        }
        let mut t = vec![0.0; m * m];
        for i in 0..m {
            t[i * m + i] = d[i];
            if i + 1 < m {
                t[i * m + i + 1] = e[i];
                t[(i + 1) * m + i] = e[i];
            }
        }
        let jac = jacobi_eigenvalues(&t, m);
        let eig = sym_tridiag_eigen(&d, &e).unwrap();
        let vals = sym_tridiag_eigenvalues(&d, &e).unwrap();
        for i in 0..m {
            assert!((eig.values[i] - jac[i]).abs() < 1e-12, "m = {m}");
            assert!((vals[i] - jac[i]).abs() < 1e-12, "m = {m}");
        }
        // Orthonormal eigenvectors with T v = λ v.
        for i in 0..m {
            let v: Vec<f64> = (0..m).map(|k| eig.vectors[k * m + i]).collect();
            let tv = matvec(&t, &v);
            for k in 0..m {
                assert!((tv[k] - eig.values[i] * v[k]).abs() < 1e-12);
            }
            for j in 0..=i {
                let w: Vec<f64> = (0..m).map(|k| eig.vectors[k * m + j]).collect();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot(&v, &w) - want).abs() < 1e-12);
            }
        }
    }
    let e32 = sym_tridiag_eigenvalues(&[2.0f32, 2.0, 2.0], &[-1.0, -1.0]).unwrap();
    assert!((e32[0] - (2.0 - 2f32.sqrt())).abs() < 1e-6);
}

#[test]
fn f32_smoke() {
    let mut rng = TestRng::new(36);
    let a = sym_from_spectrum(&mut rng, &spectrum());
    let params = LanczosParams {
        nev: 2,
        which: Which::BothEnds,
        ..Default::default()
    };
    let (res, stats) = lanczos(&dense::<f32>(N, &a), None, &params).unwrap();
    assert_eq!(stats.status, Status::Converged);
    assert!((res.eigenvalues[0] + 6.0).abs() < 1e-3 && (res.eigenvalues[1] - 7.0).abs() < 1e-3);
}
