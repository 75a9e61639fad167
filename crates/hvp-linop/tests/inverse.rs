//! The lazy inverse: exact dense solvers, closures, `A⁻¹ A ≈ I`, errors.

mod common;

use common::*;
use hvp_linop::{
    compose, dense_of, Dense, DenseCholesky, DenseLu, Diagonal, Inverse, LinOp, LinOpError,
    LinOpExt, Solve,
};
use hvp_tensor::Float;
use hvp_testkit::TestRng;

/// `B Bᵀ + n I`: symmetric positive definite with condition number below
/// about `1 + n` for entries of `B` in `[-1, 1)`.
fn spd<T: Float>(rng: &mut TestRng, n: usize) -> Dense<T> {
    let b: Vec<T> = rand_mat(rng, n, n);
    let mut a = matmul_ref(n, n, n, &b, &transpose_ref(n, n, &b));
    for i in 0..n {
        a[i * n + i] += T::from_f64(n as f64);
    }
    Dense::from_vec(n, n, a).unwrap()
}

/// A general nonsymmetric matrix whose largest entries sit off the
/// diagonal, so partial pivoting has to swap rows: `R + 4 P` with `P` a
/// cyclic shift.
fn general<T: Float>(rng: &mut TestRng, n: usize) -> Dense<T> {
    let mut a: Vec<T> = rand_mat(rng, n, n);
    for i in 0..n {
        a[i * n + (i + 1) % n] += T::from_f64(4.0);
    }
    Dense::from_vec(n, n, a).unwrap()
}

/// The inverse by Gauss–Jordan elimination in f64 with full pivoting on the
/// augmented matrix: an oracle independent of the crate's LU.
fn inverse_ref<T: Float>(a: &Dense<T>) -> Vec<T> {
    let n = a.shape().0;
    let mut m: Vec<f64> = to64(a.as_slice());
    let mut inv = vec![0.0f64; n * n];
    for i in 0..n {
        inv[i * n + i] = 1.0;
    }
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i * n + c].abs().total_cmp(&m[j * n + c].abs()))
            .unwrap();
        for j in 0..n {
            m.swap(c * n + j, p * n + j);
            inv.swap(c * n + j, p * n + j);
        }
        let d = m[c * n + c];
        for j in 0..n {
            m[c * n + j] /= d;
            inv[c * n + j] /= d;
        }
        for i in 0..n {
            if i != c {
                let f = m[i * n + c];
                for j in 0..n {
                    m[i * n + j] -= f * m[c * n + j];
                    inv[i * n + j] -= f * inv[c * n + j];
                }
            }
        }
    }
    inv.iter().map(|&v| T::from_f64(v)).collect()
}

fn eye<T: Float>(n: usize) -> Vec<T> {
    Dense::<T>::identity(n).into_vec()
}

fn inverse_cases<T: Float>() {
    let mut rng = TestRng::new(200);
    for n in [1usize, 2, 5, 9] {
        let a = spd::<T>(&mut rng, n);
        assert!(a.is_symmetric());
        let want = inverse_ref(&a);

        let chol = DenseCholesky::new(&a).unwrap().into_inverse();
        check_operator("cholesky inverse", &chol, &want, Expect::SYMMETRIC, 201);
        let lu = DenseLu::new(&a).unwrap().into_inverse();
        check_operator("lu inverse (spd)", &lu, &want, Expect::SYMMETRIC, 202);
        // A⁻¹ A ≈ I and A A⁻¹ ≈ I.
        for inv in [&chol as &dyn LinOp<T>, &lu] {
            let left = compose(inv, &a).unwrap().to_dense().unwrap();
            assert_matrix_close("A⁻¹ A = I (spd)", &left, &eye(n));
            let right = compose(&a, inv).unwrap().to_dense().unwrap();
            assert_matrix_close("A A⁻¹ = I (spd)", &right, &eye(n));
        }

        let g = general::<T>(&mut rng, n);
        let want = inverse_ref(&g);
        let expect = if n == 1 {
            Expect::SYMMETRIC
        } else {
            Expect::GENERAL
        };
        let lu = DenseLu::new(&g).unwrap().into_inverse();
        check_operator("lu inverse (general)", &lu, &want, expect, 203);
        let left = compose(&lu, &g).unwrap().to_dense().unwrap();
        assert_matrix_close("A⁻¹ A = I (general)", &left, &eye(n));
        let right = compose(&g, &lu).unwrap().to_dense().unwrap();
        assert_matrix_close("A A⁻¹ = I (general)", &right, &eye(n));
        // (A⁻¹)ᵀ = (Aᵀ)⁻¹.
        let gt = dense_of(&(&g).transposed()).unwrap();
        let lut = DenseLu::new(&gt).unwrap().into_inverse();
        assert_matrix_close(
            "(A⁻¹)ᵀ = (Aᵀ)⁻¹",
            &(&lu).transposed().to_dense().unwrap(),
            &lut.to_dense().unwrap(),
        );
    }
}

#[test]
fn inverse_times_matrix_is_identity() {
    inverse_cases::<f64>();
    inverse_cases::<f32>();
}

#[test]
fn inverse_of_shifted_operator_by_dense_factorization() {
    // The damped system (H + λI)⁻¹ that Hessian-free methods solve.
    let mut rng = TestRng::new(210);
    let h = spd::<f64>(&mut rng, 6);
    let damped = (&h).shifted(0.1).unwrap();
    let inv = DenseCholesky::new(&dense_of(&damped).unwrap())
        .unwrap()
        .into_inverse();
    let id = compose(&inv, &damped).unwrap().to_dense().unwrap();
    assert_matrix_close("(H + λI)⁻¹ (H + λI)", &id, &eye(6));
}

fn closure_cases<T: Float>() {
    let d: Vec<T> = [2.0, -4.0, 0.5].iter().map(|&v| T::from_f64(v)).collect();
    let dd = d.clone();
    // A caller-supplied solver for diag(d).
    let solver = move |b: &[T], x: &mut [T]| -> Result<(), LinOpError> {
        if b.len() != 3 || x.len() != 3 {
            return Err(LinOpError::Failed {
                op: "diag solver".into(),
                message: "wrong length".into(),
            });
        }
        for i in 0..3 {
            x[i] = b[i] / dd[i];
        }
        Ok(())
    };
    let inv = Inverse::new(3, solver, true);
    let mut want = vec![T::zero(); 9];
    for i in 0..3 {
        want[i * 4] = T::one() / d[i];
    }
    check_operator("closure inverse", &inv, &want, Expect::SYMMETRIC, 220);
    let id = compose(&inv, Diagonal::new(d.clone()))
        .unwrap()
        .to_dense()
        .unwrap();
    assert_matrix_close("closure A⁻¹ A", &id, &eye(3));

    // Declared nonsymmetric and no transpose solve: the transpose is
    // unsupported, the forward product works.
    let general = Inverse::new(3, inv.into_solver(), false);
    check_operator(
        "closure inverse, no transpose",
        &general,
        &want,
        Expect {
            symmetric: false,
            transpose: false,
        },
        221,
    );
    let e = general
        .apply_transpose(&[T::one(); 3], &mut [T::zero(); 3])
        .unwrap_err();
    assert!(matches!(e, LinOpError::Unsupported { .. }), "{e:?}");
}

#[test]
fn closures_are_solvers() {
    closure_cases::<f64>();
    closure_cases::<f32>();
}

#[test]
fn solver_errors_propagate() {
    let failing = |_: &[f64], _: &mut [f64]| -> Result<(), LinOpError> {
        Err(LinOpError::Failed {
            op: "cg".into(),
            message: "did not converge".into(),
        })
    };
    let inv = Inverse::new(2, failing, true);
    let e = inv.apply(&[1.0, 2.0], &mut [0.0; 2]).unwrap_err();
    assert_eq!(e.to_string(), "cg: did not converge");
    // Lengths are checked before the solver runs.
    assert!(matches!(
        inv.apply(&[1.0], &mut [0.0; 2]),
        Err(LinOpError::Length { .. })
    ));
}

#[test]
fn factorizations_reject_bad_matrices() {
    let singular = Dense::from_rows(&[[1.0f64, 2.0], [2.0, 4.0]]).unwrap();
    let e = DenseLu::new(&singular).unwrap_err();
    assert!(
        matches!(&e, LinOpError::Failed { op, .. } if op == "dense_lu"),
        "{e:?}"
    );
    assert!(DenseCholesky::new(&singular).is_err());
    // Singular to working precision: a rank-one matrix plus rounding.
    let u = [1.0f64, 1.0 / 3.0, 0.1];
    let near = Dense::from_fn(3, 3, |i, j| u[i] * u[j] * 7.0);
    assert!(DenseLu::new(&near).is_err());
    assert!(DenseLu::new(&Dense::<f64>::zeros(2, 2)).is_err());
    // Indefinite: LU is fine, Cholesky is not.
    let indef = Dense::from_rows(&[[1.0f64, 2.0], [2.0, 1.0]]).unwrap();
    assert!(DenseLu::new(&indef).is_ok());
    let e = DenseCholesky::new(&indef).unwrap_err();
    assert!(e.to_string().contains("positive definite"), "{e}");
    // Non-square.
    let rect = Dense::<f32>::zeros(2, 3);
    assert!(matches!(DenseLu::new(&rect), Err(LinOpError::Shape { .. })));
    assert!(matches!(
        DenseCholesky::new(&rect),
        Err(LinOpError::Shape { .. })
    ));
    // Non-finite entries cannot be factored.
    let nan = Dense::from_rows(&[[f64::NAN, 0.0], [0.0, 1.0]]).unwrap();
    assert!(DenseLu::new(&nan).is_err());
    assert!(DenseCholesky::new(&nan).is_err());
    let inf = Dense::from_rows(&[[1.0, 0.0], [0.0, f64::INFINITY]]).unwrap();
    assert!(DenseLu::new(&inf).is_err());
    // The empty matrix factors (nothing to do).
    assert_eq!(DenseLu::new(&Dense::<f64>::zeros(0, 0)).unwrap().size(), 0);
}

#[test]
fn solvers_check_lengths() {
    let a = Dense::from_rows(&[[4.0f64, 1.0], [1.0, 3.0]]).unwrap();
    let lu = DenseLu::new(&a).unwrap();
    let ch = DenseCholesky::new(&a).unwrap();
    for s in [&lu as &dyn Solve<f64>, &ch] {
        assert!(matches!(
            s.solve(&[1.0], &mut [0.0; 2]),
            Err(LinOpError::Length { .. })
        ));
        assert!(matches!(
            s.solve(&[1.0, 2.0], &mut [0.0; 3]),
            Err(LinOpError::Length { .. })
        ));
        assert!(s.solve_transpose(&[1.0, 2.0, 3.0], &mut [0.0; 2]).is_err());
        let mut x = [0.0; 2];
        s.solve(&[5.0, 4.0], &mut x).unwrap();
        assert!(
            (x[0] - 1.0).abs() < 1e-14 && (x[1] - 1.0).abs() < 1e-14,
            "{x:?}"
        );
    }
}
