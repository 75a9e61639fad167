//! Combinators against dense arithmetic on their operands, in f32 and f64.

mod common;

use common::*;
use hvp_linop::{
    compose, scale, shift, sum, transpose, Compose, Dense, Diagonal, Identity, Kronecker, LinOp,
    LinOpError, LinOpExt, LowRank, Scaled, Shifted, SparseCsr, Sum, Transposed,
};
use hvp_tensor::Float;
use hvp_testkit::TestRng;

fn dense<T: Float>(rng: &mut TestRng, m: usize, n: usize) -> (Dense<T>, Vec<T>) {
    let a: Vec<T> = rand_mat(rng, m, n);
    (Dense::from_vec(m, n, a.clone()).unwrap(), a)
}

fn add<T: Float>(a: &[T], b: &[T]) -> Vec<T> {
    a.iter().zip(b).map(|(&x, &y)| x + y).collect()
}

fn sparse<T: Float>(rng: &mut TestRng, m: usize, n: usize) -> (SparseCsr<T>, Vec<T>) {
    let mut t = Vec::new();
    let mut d = vec![T::zero(); m * n];
    for _ in 0..(m * n / 3 + 1) {
        let (i, j) = (
            (rng.next_u64() % m as u64) as usize,
            (rng.next_u64() % n as u64) as usize,
        );
        let v = T::from_f64(rng.uniform(-1.0, 1.0));
        t.push((i, j, v));
        d[i * n + j] += v;
    }
    (SparseCsr::from_triplets(m, n, &t).unwrap(), d)
}

fn sum_cases<T: Float>() {
    let mut rng = TestRng::new(100);
    let (a, da) = dense::<T>(&mut rng, 5, 3);
    let (b, db) = sparse::<T>(&mut rng, 5, 3);
    let s = sum(&a, &b).unwrap();
    check_operator_with_magnitude(
        "sum dense+sparse",
        &s,
        &add(&da, &db),
        &abs_add(&da, &db),
        Expect::GENERAL,
        101,
    );

    let c = Dense::from_vec(4, 4, rand_sym::<T>(&mut rng, 4)).unwrap();
    let dcm = c.to_dense().unwrap();
    let d: Vec<T> = rand_vec(&mut rng, 4);
    let mut dd = vec![T::zero(); 16];
    for i in 0..4 {
        dd[i * 5] = d[i];
    }
    let s = (&c).plus(Diagonal::new(d)).unwrap();
    check_operator("sum symmetric", &s, &add(&dcm, &dd), Expect::SYMMETRIC, 102);
    // Symmetric + general is general.
    let (g, dg) = dense::<T>(&mut rng, 4, 4);
    let s = Sum::new(&c, &g).unwrap();
    check_operator_with_magnitude(
        "sum sym+general",
        &s,
        &add(&dcm, &dg),
        &abs_add(&dcm, &dg),
        Expect::GENERAL,
        103,
    );
    let (pa, pb) = s.parts();
    assert_eq!((pa.nrows(), pb.ncols()), (4, 4));
}

fn scaled_cases<T: Float>() {
    let mut rng = TestRng::new(110);
    let (a, da) = dense::<T>(&mut rng, 3, 6);
    let alpha = T::from_f64(-1.75);
    let s = scale(alpha, &a);
    let want: Vec<T> = da.iter().map(|&x| alpha * x).collect();
    check_operator("scaled", &s, &want, Expect::GENERAL, 111);
    assert!((s.alpha() - alpha).abs() <= T::zero());
    let sym = Scaled::new(
        T::from_f64(3.0),
        Diagonal::new(vec![T::one(), T::from_f64(2.0)]),
    );
    let want: Vec<T> = [3.0, 0.0, 0.0, 6.0]
        .iter()
        .map(|&v| T::from_f64(v))
        .collect();
    check_operator("scaled symmetric", &sym, &want, Expect::SYMMETRIC, 112);
    // Scaling by zero gives the zero operator (on finite inputs).
    let z = (&a).scaled(T::zero());
    check_operator("scaled zero", &z, &[T::zero(); 18], Expect::GENERAL, 113);
}

fn compose_cases<T: Float>() {
    let mut rng = TestRng::new(120);
    let (a, da) = dense::<T>(&mut rng, 3, 4);
    let (b, db) = sparse::<T>(&mut rng, 4, 6);
    let ab = compose(&a, &b).unwrap();
    check_operator_with_magnitude(
        "compose dense·sparse",
        &ab,
        &matmul_ref(3, 4, 6, &da, &db),
        &abs_matmul(3, 4, 6, &da, &db),
        Expect::GENERAL,
        121,
    );
    // A low-rank factor in the middle, three deep.
    let (u, sv, v) = (
        rand_mat::<T>(&mut rng, 6, 2),
        rand_vec::<T>(&mut rng, 2),
        rand_mat::<T>(&mut rng, 2, 2),
    );
    let lr = LowRank::new(6, 2, u.clone(), sv.clone(), v.clone()).unwrap();
    let dlr = lr.to_dense().unwrap();
    let abl = Compose::new(&ab, &lr).unwrap();
    let want = matmul_ref(3, 6, 2, &matmul_ref(3, 4, 6, &da, &db), &dlr);
    let magnitude = matmul_ref(
        3,
        6,
        2,
        &abs_matmul(3, 4, 6, &da, &db),
        &low_rank_magnitude(6, 2, &u, &sv, &v),
    );
    check_operator_with_magnitude(
        "compose three",
        &abl,
        &want,
        &magnitude,
        Expect::GENERAL,
        122,
    );
    // AᵀA is symmetric as a matrix but not by construction.
    let ata = (&a).transposed().compose(&a).unwrap();
    let dat = transpose_ref(3, 4, &da);
    check_operator_with_magnitude(
        "compose AᵀA",
        &ata,
        &matmul_ref(4, 3, 4, &dat, &da),
        &abs_matmul(4, 3, 4, &dat, &da),
        Expect::GENERAL,
        123,
    );
}

fn shifted_cases<T: Float>() {
    let mut rng = TestRng::new(130);
    let (a, da) = dense::<T>(&mut rng, 5, 5);
    let lambda = T::from_f64(0.375);
    let s = shift(&a, lambda).unwrap();
    let mut want = da.clone();
    for i in 0..5 {
        want[i * 6] += lambda;
    }
    check_operator("shifted general", &s, &want, Expect::GENERAL, 131);
    assert!((s.shift() - lambda).abs() <= T::zero());

    // Eigen-shift on a diagonal: A e_i = d_i e_i, so (A + λI) e_i = (d_i + λ) e_i.
    let d: Vec<T> = rand_vec(&mut rng, 6);
    let mut op = Shifted::new(Diagonal::new(d.clone()), lambda).unwrap();
    for lam in [lambda, T::from_f64(-2.0), T::zero()] {
        op.set_shift(lam);
        for i in 0..6 {
            let mut e = vec![T::zero(); 6];
            e[i] = T::one();
            let mut y = vec![T::nan(); 6];
            op.apply(&e, &mut y).unwrap();
            let mut want = vec![T::zero(); 6];
            want[i] = d[i] + lam;
            assert_matrix_close("eigen-shift", &y, &want);
        }
        let diag: Vec<T> = d.iter().map(|&x| x + lam).collect();
        assert_matrix_close("shifted diagonal", &op.diagonal().unwrap(), &diag);
        let mut want = vec![T::zero(); 36];
        for i in 0..6 {
            want[i * 7] = d[i] + lam;
        }
        check_operator("shifted diagonal", &op, &want, Expect::SYMMETRIC, 132);
    }
}

fn transposed_cases<T: Float>() {
    let mut rng = TestRng::new(140);
    let (a, da) = dense::<T>(&mut rng, 3, 7);
    let t = transpose(&a);
    check_operator(
        "transposed dense",
        &t,
        &transpose_ref(3, 7, &da),
        Expect::GENERAL,
        141,
    );
    let tt = Transposed::new(&t);
    check_operator("transposed twice", &tt, &da, Expect::GENERAL, 142);
    let (b, db) = sparse::<T>(&mut rng, 2, 3);
    let k = Kronecker::new(&a, &b).unwrap();
    let dk = kron_ref(3, 7, &da, 2, 3, &db);
    check_operator(
        "transposed kronecker",
        &(&k).transposed(),
        &transpose_ref(6, 21, &dk),
        Expect::GENERAL,
        143,
    );
}

fn nested_cases<T: Float>() {
    // ((2A + B)ᵀ C + 0.5 I) with A, B 4×3 and C 4×3: 3×3 overall.
    let mut rng = TestRng::new(150);
    let (a, da) = dense::<T>(&mut rng, 4, 3);
    let (b, db) = sparse::<T>(&mut rng, 4, 3);
    let (c, dc) = dense::<T>(&mut rng, 4, 3);
    let two = T::from_f64(2.0);
    let half = T::from_f64(0.5);
    let op = (&a)
        .scaled(two)
        .plus(&b)
        .unwrap()
        .transposed()
        .compose(&c)
        .unwrap()
        .shifted(half)
        .unwrap();
    let inner: Vec<T> = da.iter().zip(&db).map(|(&x, &y)| two * x + y).collect();
    let mut want = matmul_ref(3, 4, 3, &transpose_ref(4, 3, &inner), &dc);
    for i in 0..3 {
        want[i * 4] += half;
    }
    // Rounding scale: (2|A| + |B|)ᵀ |C| + 0.5 I.
    let inner_mag: Vec<T> = da
        .iter()
        .zip(&db)
        .map(|(&x, &y)| two * x.abs() + y.abs())
        .collect();
    let mut magnitude = abs_matmul(3, 4, 3, &transpose_ref(4, 3, &inner_mag), &dc);
    for i in 0..3 {
        magnitude[i * 4] += 0.5;
    }
    check_operator_with_magnitude("nested", &op, &want, &magnitude, Expect::GENERAL, 151);
    // As a boxed trait object.
    let boxed: Box<dyn LinOp<T> + '_> = op.boxed();
    check_operator_with_magnitude(
        "nested boxed",
        &boxed,
        &want,
        &magnitude,
        Expect::GENERAL,
        152,
    );
}

#[test]
fn sum_equals_dense_sum() {
    sum_cases::<f64>();
    sum_cases::<f32>();
}

#[test]
fn scaled_equals_dense_scale() {
    scaled_cases::<f64>();
    scaled_cases::<f32>();
}

#[test]
fn compose_equals_dense_product() {
    compose_cases::<f64>();
    compose_cases::<f32>();
}

#[test]
fn shifted_moves_the_spectrum() {
    shifted_cases::<f64>();
    shifted_cases::<f32>();
}

#[test]
fn transposed_equals_dense_transpose() {
    transposed_cases::<f64>();
    transposed_cases::<f32>();
}

#[test]
fn nested_combinators() {
    nested_cases::<f64>();
    nested_cases::<f32>();
}

#[test]
fn shape_mismatches_are_errors_at_construction() {
    let a = Dense::<f64>::zeros(3, 4);
    let b = Dense::<f64>::zeros(4, 3);
    let e = sum(&a, &b).unwrap_err();
    assert!(matches!(e, LinOpError::Shape { .. }), "{e:?}");
    assert!(
        e.to_string().contains("3×4") && e.to_string().contains("4×3"),
        "{e}"
    );
    assert!((&a).plus(Identity::new(3)).is_err());
    let e = compose(&a, &a).unwrap_err();
    assert!(e.to_string().starts_with("compose:"), "{e}");
    assert!(compose(&a, &b).is_ok() && compose(&b, &a).is_ok());
    let e = shift(&a, 1.0).unwrap_err();
    assert!(matches!(e, LinOpError::Shape { .. }), "{e:?}");
    assert!(Shifted::new(&b, 0.5).is_err());
}

#[test]
fn untransposable_operands_fail_cleanly() {
    // An operator without a transpose inside combinators: apply works,
    // the transpose is an Unsupported error from the operand.
    struct NoTranspose;
    impl LinOp<f64> for NoTranspose {
        fn nrows(&self) -> usize {
            2
        }
        fn ncols(&self) -> usize {
            2
        }
        fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), LinOpError> {
            hvp_linop::check_dims("no_transpose", 2, 2, x, y)?;
            y[0] = x[1];
            y[1] = 2.0 * x[0];
            Ok(())
        }
        fn name(&self) -> &str {
            "no_transpose"
        }
    }
    let s = sum(NoTranspose, Identity::new(2)).unwrap();
    let mut y = [0.0; 2];
    s.apply(&[1.0, 1.0], &mut y).unwrap();
    assert!((y[0] - 2.0).abs() < 1e-15 && (y[1] - 3.0).abs() < 1e-15);
    let e = s.apply_transpose(&[1.0, 1.0], &mut y).unwrap_err();
    assert!(
        matches!(&e, LinOpError::Unsupported { op, .. } if op == "no_transpose"),
        "{e:?}"
    );
    let t = transpose(NoTranspose);
    assert!(t.apply(&[1.0, 1.0], &mut y).is_err());
    assert!(t.apply_transpose(&[1.0, 1.0], &mut y).is_ok());
    assert!(t.apply_many(2, &[0.0; 4], &mut [0.0; 4]).is_err());
    // Its diagonal is probed.
    let d = scale(3.0, NoTranspose).diagonal().unwrap();
    assert!(d.iter().all(|v| v.abs() < 1e-15));
}
