//! Structured operators against independently built dense matrices, in f32
//! and f64.

mod common;

use common::*;
use hvp_linop::{
    BlockDiagonal, Dense, Diagonal, Identity, Kronecker, LinOp, LinOpError, LinOpExt, LowRank,
    SparseCsr,
};
use hvp_tensor::Float;
use hvp_testkit::TestRng;

fn dense_cases<T: Float>() {
    let mut rng = TestRng::new(1);
    for &(m, n) in &[
        (5, 7),
        (7, 5),
        (1, 1),
        (1, 6),
        (6, 1),
        (16, 16),
        (0, 3),
        (3, 0),
    ] {
        let a: Vec<T> = rand_mat(&mut rng, m, n);
        let op = Dense::from_vec(m, n, a.clone()).unwrap();
        let expect = if m == n && m <= 1 {
            Expect::SYMMETRIC
        } else {
            Expect::GENERAL
        };
        check_operator("dense", &op, &a, expect, 10 + m as u64);
    }
    let s: Vec<T> = rand_sym(&mut rng, 6);
    let op = Dense::from_vec(6, 6, s.clone()).unwrap();
    check_operator("dense symmetric", &op, &s, Expect::SYMMETRIC, 11);

    let eye = Dense::<T>::identity(4);
    let want: Vec<T> = (0..16)
        .map(|i| if i % 5 == 0 { T::one() } else { T::zero() })
        .collect();
    check_operator("dense identity", &eye, &want, Expect::SYMMETRIC, 12);

    // from_rows and from_fn agree with from_vec.
    let rows: Vec<Vec<T>> = (0..3).map(|i| a_row::<T>(i, 4)).collect();
    let r = Dense::from_rows(&rows).unwrap();
    let f = Dense::from_fn(3, 4, |i, j| a_row::<T>(i, 4)[j]);
    assert_matrix_close("from_rows vs from_fn", r.as_slice(), f.as_slice());
    assert_eq!(r.shape(), (3, 4));
}

fn a_row<T: Float>(i: usize, n: usize) -> Vec<T> {
    (0..n)
        .map(|j| T::from_f64((i * n + j) as f64 * 0.25 - 1.0))
        .collect()
}

#[test]
fn dense_equals_its_matrix() {
    dense_cases::<f64>();
    dense_cases::<f32>();
}

#[test]
fn dense_constructors_reject_bad_shapes() {
    assert!(matches!(
        Dense::from_vec(2, 3, vec![0.0f64; 5]),
        Err(LinOpError::Length { .. })
    ));
    assert!(matches!(
        Dense::from_rows(&[vec![1.0f32, 2.0], vec![3.0]]),
        Err(LinOpError::Shape { .. })
    ));
    assert!(Dense::from_vec(usize::MAX, 2, Vec::<f64>::new()).is_err());
    let empty: [[f64; 0]; 0] = [];
    assert_eq!(Dense::from_rows(&empty).unwrap().shape(), (0, 0));
    // Error messages name the operator.
    let e = Dense::from_vec(2, 2, vec![1.0f64]).unwrap_err();
    assert!(e.to_string().starts_with("dense:"), "{e}");
}

#[test]
fn dense_symmetry_is_exact_and_nan_is_general() {
    let mut a = vec![1.0f64, 2.0, 2.0 + 1e-15, 1.0];
    assert!(!Dense::from_vec(2, 2, a.clone()).unwrap().is_symmetric());
    a[2] = 2.0;
    assert!(Dense::from_vec(2, 2, a.clone()).unwrap().is_symmetric());
    a[1] = f64::NAN;
    a[2] = f64::NAN;
    let op = Dense::from_vec(2, 2, a).unwrap();
    assert!(!op.is_symmetric());
    // Non-finite entries are allowed and propagate as IEEE arithmetic says.
    let mut y = [0.0; 2];
    op.apply(&[1.0, 1.0], &mut y).unwrap();
    assert!(y[0].is_nan() && y[1].is_nan());
}

fn diagonal_cases<T: Float>() {
    let mut rng = TestRng::new(2);
    let d: Vec<T> = rand_vec(&mut rng, 7);
    let op = Diagonal::new(d.clone());
    let mut want = vec![T::zero(); 49];
    for i in 0..7 {
        want[i * 8] = d[i];
    }
    check_operator("diagonal", &op, &want, Expect::SYMMETRIC, 20);
    check_operator(
        "diagonal empty",
        &Diagonal::<T>::new(vec![]),
        &[],
        Expect::SYMMETRIC,
        21,
    );
    let i5 = Identity::<T>::new(5);
    let eye = Dense::<T>::identity(5);
    check_operator("identity", &i5, eye.as_slice(), Expect::SYMMETRIC, 22);
    let c = Diagonal::from_elem(3, T::from_f64(2.5));
    assert_matrix_close(
        "from_elem",
        &c.to_dense().unwrap(),
        Dense::from_fn(
            3,
            3,
            |i, j| if i == j { T::from_f64(2.5) } else { T::zero() },
        )
        .as_slice(),
    );
}

#[test]
fn diagonal_and_identity_equal_their_matrices() {
    diagonal_cases::<f64>();
    diagonal_cases::<f32>();
}

fn block_cases<T: Float>() {
    let mut rng = TestRng::new(3);
    // Square blocks of different kinds, as trait objects.
    let a: Vec<T> = rand_mat(&mut rng, 3, 3);
    let d: Vec<T> = rand_vec(&mut rng, 2);
    let s: Vec<T> = rand_sym(&mut rng, 4);
    let blocks: Vec<Box<dyn LinOp<T>>> = vec![
        Dense::from_vec(3, 3, a.clone()).unwrap().boxed(),
        Diagonal::new(d.clone()).boxed(),
        Dense::from_vec(4, 4, s.clone()).unwrap().boxed(),
    ];
    let op = BlockDiagonal::new(blocks).unwrap();
    let mut dd = vec![T::zero(); 4];
    dd[0] = d[0];
    dd[3] = d[1];
    let (m, n, want) = block_diag_ref(&[(3, 3, a.clone()), (2, 2, dd.clone()), (4, 4, s.clone())]);
    assert_eq!((op.nrows(), op.ncols()), (m, n));
    check_operator("block square", &op, &want, Expect::GENERAL, 30);

    // All blocks symmetric: symmetric.
    let sym_blocks = vec![
        Dense::from_vec(2, 2, dd.clone()).unwrap(),
        Dense::from_vec(4, 4, s.clone()).unwrap(),
    ];
    let op = BlockDiagonal::new(sym_blocks).unwrap();
    let (_, _, want) = block_diag_ref(&[(2, 2, dd), (4, 4, s)]);
    check_operator("block symmetric", &op, &want, Expect::SYMMETRIC, 31);

    // Rectangular blocks (generic, not boxed): the global diagonal crosses
    // blocks off their own diagonals.
    let shapes = [(2usize, 3usize), (3, 1), (1, 2), (0, 2), (2, 0), (3, 3)];
    let mats: Vec<(usize, usize, Vec<T>)> = shapes
        .iter()
        .map(|&(m, n)| (m, n, rand_mat(&mut rng, m, n)))
        .collect();
    let op = BlockDiagonal::new(
        mats.iter()
            .map(|(m, n, a)| Dense::from_vec(*m, *n, a.clone()).unwrap())
            .collect(),
    )
    .unwrap();
    let (m, n, want) = block_diag_ref(&mats);
    assert_eq!((op.nrows(), op.ncols()), (m, n));
    assert_eq!(op.row_offsets(), &[0, 2, 5, 6, 6, 8, 11]);
    assert_eq!(op.col_offsets(), &[0, 3, 4, 6, 8, 8, 11]);
    check_operator("block rectangular", &op, &want, Expect::GENERAL, 32);

    // One block, and no blocks.
    let one = BlockDiagonal::new(vec![Dense::from_vec(2, 3, mats[0].2.clone()).unwrap()]).unwrap();
    check_operator("block single", &one, &mats[0].2, Expect::GENERAL, 33);
    let none = BlockDiagonal::new(Vec::<Dense<T>>::new()).unwrap();
    check_operator("block empty", &none, &[], Expect::SYMMETRIC, 34);
}

#[test]
fn block_diagonal_equals_its_matrix() {
    block_cases::<f64>();
    block_cases::<f32>();
}

/// Random triplets, with duplicate positions, and the dense matrix they sum
/// to.
fn rand_triplets<T: Float>(
    rng: &mut TestRng,
    m: usize,
    n: usize,
    count: usize,
) -> (Vec<(usize, usize, T)>, Vec<T>) {
    let mut t = Vec::new();
    let mut dense = vec![T::zero(); m * n];
    for c in 0..count {
        let i = (rng.next_u64() % m as u64) as usize;
        let j = (rng.next_u64() % n as u64) as usize;
        let v = T::from_f64(rng.uniform(-1.0, 1.0));
        t.push((i, j, v));
        if c % 4 == 0 {
            // A duplicate, to be summed.
            let w = T::from_f64(rng.uniform(-1.0, 1.0));
            t.push((i, j, w));
            dense[i * n + j] += w;
        }
        dense[i * n + j] += v;
    }
    (t, dense)
}

fn sparse_cases<T: Float>() {
    let mut rng = TestRng::new(4);
    for &(m, n, count) in &[(6, 9, 14), (9, 6, 14), (12, 12, 30), (5, 5, 0), (1, 7, 3)] {
        let (t, want) = rand_triplets::<T>(&mut rng, m, n, count);
        let op = SparseCsr::from_triplets(m, n, &t).unwrap();
        let expect = if m == n && count == 0 {
            Expect::SYMMETRIC
        } else {
            Expect::GENERAL
        };
        check_operator("sparse", &op, &want, expect, 40 + count as u64);
    }
    // A symmetric pattern with values mirrored exactly.
    let (t, _) = rand_triplets::<T>(&mut rng, 8, 8, 12);
    let mut sym = Vec::new();
    let mut want = vec![T::zero(); 64];
    for &(i, j, v) in &t {
        sym.push((i, j, v));
        want[i * 8 + j] += v;
        if i != j {
            sym.push((j, i, v));
            want[j * 8 + i] += v;
        }
    }
    let op = SparseCsr::from_triplets(8, 8, &sym).unwrap();
    check_operator("sparse symmetric", &op, &want, Expect::SYMMETRIC, 45);

    // Raw CSR arrays and sprs matrices give the same operator.
    let csr = op.as_csmat().clone();
    let (indptr, indices, data) = csr.clone().into_raw_storage();
    let raw = SparseCsr::from_csr(8, 8, indptr, indices, data).unwrap();
    check_operator("sparse from_csr", &raw, &want, Expect::SYMMETRIC, 46);
    let csc = SparseCsr::from_csmat(csr.to_csc());
    assert!(csc.as_csmat().is_csr());
    check_operator("sparse from csc", &csc, &want, Expect::SYMMETRIC, 47);
    assert_eq!(csc.nnz(), op.nnz());
}

#[test]
fn sparse_equals_its_triplets() {
    sparse_cases::<f64>();
    sparse_cases::<f32>();
}

#[test]
fn sparse_constructors_validate() {
    let oob = SparseCsr::from_triplets(3, 3, &[(0, 0, 1.0f64), (1, 3, 2.0)]);
    assert!(matches!(oob, Err(LinOpError::Shape { .. })), "{oob:?}");
    assert!(SparseCsr::<f64>::from_triplets(3, 3, &[(3, 0, 1.0)]).is_err());
    // indptr of the wrong length
    assert!(matches!(
        SparseCsr::from_csr(2, 2, vec![0, 1], vec![0], vec![1.0f64]),
        Err(LinOpError::Length { .. })
    ));
    // data and indices of different lengths
    assert!(SparseCsr::from_csr(2, 2, vec![0, 1, 2], vec![0, 1], vec![1.0f64]).is_err());
    // unsorted columns within a row
    assert!(SparseCsr::from_csr(1, 3, vec![0, 2], vec![2, 0], vec![1.0f64, 2.0]).is_err());
    // duplicate columns within a row
    assert!(SparseCsr::from_csr(1, 3, vec![0, 2], vec![1, 1], vec![1.0f64, 2.0]).is_err());
    // column out of range
    assert!(SparseCsr::from_csr(1, 3, vec![0, 1], vec![3], vec![1.0f64]).is_err());
    // decreasing indptr
    assert!(SparseCsr::from_csr(2, 2, vec![0, 1, 0], vec![0], vec![1.0f64]).is_err());
    // an explicitly stored zero is kept, and breaks exact symmetry only
    // when its mirror is absent
    let z = SparseCsr::from_triplets(2, 2, &[(0, 1, 0.0f64)]).unwrap();
    assert_eq!(z.nnz(), 1);
    assert!(!z.is_symmetric());
}

fn low_rank_cases<T: Float>() {
    let mut rng = TestRng::new(5);
    for &(m, n, r) in &[(6, 4, 2), (4, 6, 3), (5, 5, 1), (7, 3, 0), (3, 3, 5)] {
        let u: Vec<T> = rand_mat(&mut rng, m, r);
        let v: Vec<T> = rand_mat(&mut rng, n, r);
        let s: Vec<T> = rand_vec(&mut rng, r);
        let op = LowRank::new(m, n, u.clone(), s.clone(), v.clone()).unwrap();
        // U diag(s) Vᵀ by loops.
        let mut want = vec![T::zero(); m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..r {
                    want[i * n + j] += u[i * r + p] * s[p] * v[j * r + p];
                }
            }
        }
        let expect = if m == n && r == 0 {
            // V = U exactly (both empty).
            Expect::SYMMETRIC
        } else {
            Expect::GENERAL
        };
        assert_eq!(op.rank(), r);
        let magnitude = low_rank_magnitude(m, n, &u, &s, &v);
        check_operator_with_magnitude("low_rank", &op, &want, &magnitude, expect, 50 + r as u64);
    }
    for &(n, r) in &[(6, 2), (4, 4), (3, 0), (2, 5)] {
        let u: Vec<T> = rand_mat(&mut rng, n, r);
        let s: Vec<T> = rand_vec(&mut rng, r);
        let op = LowRank::symmetric(n, u.clone(), s.clone()).unwrap();
        let mut want = vec![T::zero(); n * n];
        for i in 0..n {
            for j in 0..n {
                for p in 0..r {
                    want[i * n + j] += u[i * r + p] * s[p] * u[j * r + p];
                }
            }
        }
        check_operator_with_magnitude(
            "low_rank symmetric",
            &op,
            &want,
            &low_rank_magnitude(n, n, &u, &s, &u),
            Expect::SYMMETRIC,
            55 + r as u64,
        );
        assert!(std::ptr::eq(op.u(), op.v()));
    }
    // V passed equal to U is recognized as symmetric.
    let u: Vec<T> = rand_mat(&mut rng, 4, 2);
    let s: Vec<T> = rand_vec(&mut rng, 2);
    assert!(LowRank::new(4, 4, u.clone(), s, u).unwrap().is_symmetric());
}

#[test]
fn low_rank_equals_its_factors() {
    low_rank_cases::<f64>();
    low_rank_cases::<f32>();
}

#[test]
fn low_rank_constructors_validate() {
    let e = LowRank::new(2, 3, vec![1.0f64; 4], vec![1.0; 2], vec![1.0; 5]);
    assert!(matches!(e, Err(LinOpError::Length { .. })), "{e:?}");
    assert!(LowRank::new(2, 3, vec![1.0f64; 3], vec![1.0; 2], vec![1.0; 6]).is_err());
    assert!(LowRank::symmetric(3, vec![1.0f64; 5], vec![1.0; 2]).is_err());
}

fn kron_check<T: Float, A: LinOp<T>, B: LinOp<T>>(
    label: &str,
    a: A,
    b: B,
    expect: Expect,
    seed: u64,
) {
    let (p, q, r, s) = (a.nrows(), a.ncols(), b.nrows(), b.ncols());
    let (da, db) = (a.to_dense().unwrap(), b.to_dense().unwrap());
    let want = kron_ref(p, q, &da, r, s, &db);
    let op = Kronecker::new(a, b).unwrap();
    assert_eq!((op.nrows(), op.ncols()), (p * r, q * s));
    check_operator(label, &op, &want, expect, seed);
}

fn kronecker_cases<T: Float>() {
    let mut rng = TestRng::new(6);
    let mut dense =
        |m: usize, n: usize| Dense::from_vec(m, n, rand_mat::<T>(&mut rng, m, n)).unwrap();
    // The two evaluation orders (B first / A first) are picked by cost;
    // these shapes exercise both, and the transposes swap them.
    kron_check(
        "kron dense A-first",
        dense(2, 3),
        dense(4, 2),
        Expect::GENERAL,
        60,
    );
    kron_check(
        "kron dense B-first",
        dense(4, 2),
        dense(2, 3),
        Expect::GENERAL,
        61,
    );
    kron_check("kron square", dense(3, 3), dense(4, 4), Expect::GENERAL, 62);
    kron_check(
        "kron vector ⊗ matrix",
        dense(1, 3),
        dense(3, 1),
        Expect::GENERAL,
        63,
    );
    kron_check("kron 1x1", dense(1, 1), dense(2, 5), Expect::GENERAL, 64);
    kron_check(
        "kron empty factor",
        dense(0, 2),
        dense(3, 2),
        Expect::GENERAL,
        65,
    );

    let mut rng = TestRng::new(7);
    let sym = |rng: &mut TestRng, n: usize| Dense::from_vec(n, n, rand_sym::<T>(rng, n)).unwrap();
    let (s3, s4) = (sym(&mut rng, 3), sym(&mut rng, 4));
    kron_check(
        "kron symmetric",
        s3.clone(),
        s4.clone(),
        Expect::SYMMETRIC,
        66,
    );
    kron_check(
        "kron diagonal ⊗ dense",
        Diagonal::new(rand_vec::<T>(&mut rng, 3)),
        s4.clone(),
        Expect::SYMMETRIC,
        67,
    );
    let (t, _) = rand_triplets::<T>(&mut rng, 5, 4, 8);
    let sp = SparseCsr::from_triplets(5, 4, &t).unwrap();
    let lr = LowRank::new(
        3,
        2,
        rand_mat::<T>(&mut rng, 3, 1),
        rand_vec::<T>(&mut rng, 1),
        rand_mat::<T>(&mut rng, 2, 1),
    )
    .unwrap();
    // B rectangular: the diagonal is probed.
    kron_check("kron sparse ⊗ low_rank", &sp, &lr, Expect::GENERAL, 68);
    kron_check("kron low_rank ⊗ sparse", &lr, &sp, Expect::GENERAL, 69);
    // Nested: (A ⊗ B) ⊗ C.
    let inner = Kronecker::new(&s3, Diagonal::new(rand_vec::<T>(&mut rng, 2))).unwrap();
    kron_check(
        "kron nested",
        inner,
        Dense::<T>::identity(2),
        Expect::SYMMETRIC,
        70,
    );
}

#[test]
fn kronecker_equals_the_explicit_product() {
    kronecker_cases::<f64>();
    kronecker_cases::<f32>();
}

/// The documented convention: `(A ⊗ B) vec_r(X) = vec_r(A X Bᵀ)`.
#[test]
fn kronecker_vec_convention() {
    let mut rng = TestRng::new(8);
    let (p, q, r, s) = (3, 4, 2, 5);
    let a: Vec<f64> = rand_mat(&mut rng, p, q);
    let b: Vec<f64> = rand_mat(&mut rng, r, s);
    let x: Vec<f64> = rand_mat(&mut rng, q, s);
    let op = Kronecker::new(
        Dense::from_vec(p, q, a.clone()).unwrap(),
        Dense::from_vec(r, s, b.clone()).unwrap(),
    )
    .unwrap();
    let mut y = vec![0.0; p * r];
    op.apply(&x, &mut y).unwrap();
    let bt = transpose_ref(r, s, &b);
    let axbt = matmul_ref(p, s, r, &matmul_ref(p, q, s, &a, &x), &bt);
    assert_matrix_close("A X Bᵀ", &y, &axbt);
}

#[test]
fn non_finite_entries_are_allowed() {
    let d = Diagonal::new(vec![f64::INFINITY, 1.0]);
    let mut y = [0.0; 2];
    d.apply(&[1.0, 2.0], &mut y).unwrap();
    assert!(y[0].is_infinite());
    assert!((y[1] - 2.0).abs() < 1e-15);
    let s = SparseCsr::from_triplets(1, 2, &[(0, 1, f64::NAN)]).unwrap();
    let mut z = [0.0; 1];
    s.apply(&[1.0, 1.0], &mut z).unwrap();
    assert!(z[0].is_nan());
}

#[test]
fn default_methods_cover_zero_width_blocks() {
    // A 3 × 0 operator through the trait's defaults maps to zeros.
    struct Empty;
    impl LinOp<f64> for Empty {
        fn nrows(&self) -> usize {
            3
        }
        fn ncols(&self) -> usize {
            0
        }
        fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), LinOpError> {
            hvp_linop::check_dims("empty", 3, 0, x, y)?;
            y.fill(0.0);
            Ok(())
        }
    }
    let mut ys = vec![f64::NAN; 6];
    Empty.apply_many(2, &[], &mut ys).unwrap();
    assert!(ys.iter().all(|&v| v.abs() < f64::MIN_POSITIVE));
    assert_eq!(Empty.to_dense().unwrap().len(), 0);
    assert_eq!(Empty.diagonal().unwrap().len(), 0);
    // The default transpose of a general operator is unsupported.
    assert!(matches!(
        Empty.apply_transpose(&[0.0; 3], &mut []),
        Err(LinOpError::Unsupported { .. })
    ));
}

/// Sizes past the GEMM kernel's threading threshold (`to_dense` and the
/// k = 8 block run multi-threaded), odd so no size is a tile multiple.
#[test]
fn dense_large_blocks_agree() {
    let mut rng = TestRng::new(9);
    let a: Vec<f64> = rand_mat(&mut rng, 131, 97);
    check_operator(
        "dense large",
        &Dense::from_vec(131, 97, a.clone()).unwrap(),
        &a,
        Expect::GENERAL,
        90,
    );
    let af: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    check_operator(
        "dense large",
        &Dense::from_vec(131, 97, af.clone()).unwrap(),
        &af,
        Expect::GENERAL,
        91,
    );
}
