//! Property tests on random sizes and entries: dense products against
//! loops, and the algebra of sums, products and Kronecker products.

mod common;

use common::*;
use hvp_linop::{compose, sum, Dense, Kronecker, LinOp, LinOpExt};
use hvp_tensor::Float;
use hvp_testkit::TestRng;
use proptest::prelude::*;

/// A random `m × n` dense operator with entries of magnitude about
/// `10^exp`, and its entries.
fn dense<T: Float>(rng: &mut TestRng, m: usize, n: usize, exp: i32) -> (Dense<T>, Vec<T>) {
    let s = T::from_f64(10f64.powi(exp));
    let a: Vec<T> = rand_mat::<T>(rng, m, n)
        .into_iter()
        .map(|v| v * s)
        .collect();
    (Dense::from_vec(m, n, a.clone()).unwrap(), a)
}

fn dense_property<T: Float>(m: usize, n: usize, exp: i32, seed: u64) {
    let mut rng = TestRng::new(seed);
    let (a, da) = dense::<T>(&mut rng, m, n, exp);
    let expect = Expect {
        symmetric: a.is_symmetric(),
        transpose: true,
    };
    // Random square matrices are almost never exactly symmetric, but 0×0
    // and 1×1 ones are.
    assert_eq!(expect.symmetric, m == n && m <= 1);
    check_operator("prop dense", &a, &da, expect, seed ^ 1);
}

fn sum_property<T: Float>(m: usize, n: usize, seed: u64) {
    let mut rng = TestRng::new(seed);
    let (a, da) = dense::<T>(&mut rng, m, n, 0);
    let (b, db) = dense::<T>(&mut rng, m, n, 1);
    let s = sum(&a, &b).unwrap();
    let want: Vec<T> = da.iter().zip(&db).map(|(&x, &y)| x + y).collect();
    // Two 1 × 1 matrices are symmetric, so is their sum.
    let expect = Expect {
        symmetric: m == 1 && n == 1,
        transpose: true,
    };
    check_operator_with_magnitude("prop sum", &s, &want, &abs_add(&da, &db), expect, seed ^ 2);
    // A + B = B + A, applied.
    let x: Vec<T> = rand_vec(&mut rng, n);
    let (mut y1, mut y2) = (vec![T::zero(); m], vec![T::zero(); m]);
    s.apply(&x, &mut y1).unwrap();
    sum(&b, &a).unwrap().apply(&x, &mut y2).unwrap();
    assert_matrix_close("A + B = B + A", &y1, &y2);
}

fn compose_property<T: Float>(m: usize, k: usize, n: usize, seed: u64) {
    let mut rng = TestRng::new(seed);
    let (a, da) = dense::<T>(&mut rng, m, k, 0);
    let (b, db) = dense::<T>(&mut rng, k, n, 0);
    let ab = compose(&a, &b).unwrap();
    check_operator_with_magnitude(
        "prop compose",
        &ab,
        &matmul_ref(m, k, n, &da, &db),
        &abs_matmul(m, k, n, &da, &db),
        Expect::GENERAL,
        seed ^ 3,
    );
    // (A B)ᵀ = Bᵀ Aᵀ.
    let btat = compose((&b).transposed(), (&a).transposed()).unwrap();
    assert_matrix_close(
        "(AB)ᵀ = BᵀAᵀ",
        &btat.to_dense().unwrap(),
        &(&ab).transposed().to_dense().unwrap(),
    );
}

fn kronecker_property<T: Float>(p: usize, q: usize, r: usize, s: usize, seed: u64) {
    let mut rng = TestRng::new(seed);
    let (a, da) = dense::<T>(&mut rng, p, q, 0);
    let (b, db) = dense::<T>(&mut rng, r, s, 0);
    let k = Kronecker::new(&a, &b).unwrap();
    check_operator(
        "prop kronecker",
        &k,
        &kron_ref(p, q, &da, r, s, &db),
        Expect {
            symmetric: a.is_symmetric() && b.is_symmetric(),
            transpose: true,
        },
        seed ^ 4,
    );
}

/// The mixed-product property `(A ⊗ B)(C ⊗ D) = (A C) ⊗ (B D)`.
fn mixed_product_property<T: Float>(dims: [usize; 6], seed: u64) {
    let [p, q, t, r, s, u] = dims;
    let mut rng = TestRng::new(seed);
    let (a, da) = dense::<T>(&mut rng, p, q, 0);
    let (c, dc) = dense::<T>(&mut rng, q, t, 0);
    let (b, db) = dense::<T>(&mut rng, r, s, 0);
    let (d, dd) = dense::<T>(&mut rng, s, u, 0);
    let lhs = compose(
        Kronecker::new(&a, &b).unwrap(),
        Kronecker::new(&c, &d).unwrap(),
    )
    .unwrap();
    let ac = matmul_ref(p, q, t, &da, &dc);
    let bd = matmul_ref(r, s, u, &db, &dd);
    // Applied as (A ⊗ B)((C ⊗ D) v): rounding scales with |A ⊗ B| |C ⊗ D|.
    let magnitude = abs_matmul(
        p * r,
        q * s,
        t * u,
        &kron_ref(p, q, &da, r, s, &db),
        &kron_ref(q, t, &dc, s, u, &dd),
    );
    check_operator_with_magnitude(
        "prop mixed product",
        &lhs,
        &kron_ref(p, t, &ac, r, u, &bd),
        &magnitude,
        Expect::GENERAL,
        seed ^ 5,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn dense_matches_loops(m in 0usize..10, n in 0usize..10, exp in -3i32..4, seed: u64) {
        dense_property::<f64>(m, n, exp, seed);
        dense_property::<f32>(m, n, exp, seed);
    }

    #[test]
    fn sum_is_entrywise(m in 1usize..8, n in 1usize..8, seed: u64) {
        sum_property::<f64>(m, n, seed);
        sum_property::<f32>(m, n, seed);
    }

    #[test]
    fn compose_is_the_matrix_product(m in 1usize..7, k in 0usize..7, n in 1usize..7, seed: u64) {
        compose_property::<f64>(m, k, n, seed);
        compose_property::<f32>(m, k, n, seed);
    }

    #[test]
    fn kronecker_is_the_explicit_product(
        p in 1usize..5, q in 1usize..5, r in 1usize..5, s in 1usize..5, seed: u64,
    ) {
        kronecker_property::<f64>(p, q, r, s, seed);
        kronecker_property::<f32>(p, q, r, s, seed);
    }

    #[test]
    fn kronecker_mixed_product(dims in prop::array::uniform6(1usize..4), seed: u64) {
        mixed_product_property::<f64>(dims, seed);
        mixed_product_property::<f32>(dims, seed);
    }
}
