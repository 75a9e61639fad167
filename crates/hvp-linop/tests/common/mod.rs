//! Shared checks: every operator against an independently built dense
//! matrix, both sides, blocks against columns, diagonal, symmetry, and
//! wrong lengths.
#![allow(dead_code)]

use hvp_linop::{LinOp, LinOpError};
use hvp_tensor::{DType, Float};
use hvp_testkit::TestRng;

/// Tolerance table, relative to the magnitude of the terms summed
/// (`Σ |u_i| |a_ij| |v_j|`): a few hundred unit roundoffs of each type
/// for the small sizes used here.
pub fn tol<T: Float>() -> f64 {
    match T::DTYPE {
        DType::F64 => 1e-12,
        DType::F32 => 2e-5,
    }
}

/// `n` entries uniform in `[-1, 1)`.
pub fn rand_vec<T: Float>(rng: &mut TestRng, n: usize) -> Vec<T> {
    (0..n)
        .map(|_| T::from_f64(rng.uniform(-1.0, 1.0)))
        .collect()
}

/// `x` as f64 (exact).
pub fn c64<T: Float>(x: T) -> f64 {
    <T as Float>::to_f64(x)
}

pub fn to64<T: Float>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| c64(x)).collect()
}

/// `|a| |b|` entry-wise: the rounding scale of a product computed as
/// `a (b v)`.
pub fn abs_matmul<T: Float>(m: usize, k: usize, n: usize, a: &[T], b: &[T]) -> Vec<f64> {
    let a: Vec<f64> = a.iter().map(|&x| c64(x).abs()).collect();
    let b: Vec<f64> = b.iter().map(|&x| c64(x).abs()).collect();
    matmul_ref(m, k, n, &a, &b)
}

/// `|a| + |b|` entry-wise: the rounding scale of `A + B` applied as
/// `A v + B v`.
pub fn abs_add<T: Float>(a: &[T], b: &[T]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| c64(x).abs() + c64(y).abs())
        .collect()
}

/// `Σ_p |u_ip| |s_p| |v_jp|`: the rounding scale of `U diag(s) Vᵀ` applied
/// as `U (s ⊙ (Vᵀ x))`.
pub fn low_rank_magnitude<T: Float>(m: usize, n: usize, u: &[T], s: &[T], v: &[T]) -> Vec<f64> {
    let r = s.len();
    let mut g = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            for p in 0..r {
                g[i * n + j] += c64(u[i * r + p] * s[p] * v[j * r + p]).abs();
            }
        }
    }
    g
}

/// Row-major `m × n` dense product `a (m×k) · b (k×n)` by loops, in `T`.
pub fn matmul_ref<T: Float>(m: usize, k: usize, n: usize, a: &[T], b: &[T]) -> Vec<T> {
    let mut c = vec![T::zero(); m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = T::zero();
            for p in 0..k {
                s += a[i * k + p] * b[p * n + j];
            }
            c[i * n + j] = s;
        }
    }
    c
}

/// Transpose of a row-major `m × n` matrix.
pub fn transpose_ref<T: Float>(m: usize, n: usize, a: &[T]) -> Vec<T> {
    let mut t = vec![T::zero(); m * n];
    for i in 0..m {
        for j in 0..n {
            t[j * m + i] = a[i * n + j];
        }
    }
    t
}

/// The explicit Kronecker product of `a` (`p × q`) and `b` (`r × s`):
/// entry `(i r + k, j s + l) = a_ij b_kl`.
pub fn kron_ref<T: Float>(p: usize, q: usize, a: &[T], r: usize, s: usize, b: &[T]) -> Vec<T> {
    let (m, n) = (p * r, q * s);
    let mut c = vec![T::zero(); m * n];
    for i in 0..p {
        for j in 0..q {
            for k in 0..r {
                for l in 0..s {
                    c[(i * r + k) * n + j * s + l] = a[i * q + j] * b[k * s + l];
                }
            }
        }
    }
    c
}

/// Block-diagonal placement of row-major blocks `(m_b, n_b, entries)`.
pub fn block_diag_ref<T: Float>(blocks: &[(usize, usize, Vec<T>)]) -> (usize, usize, Vec<T>) {
    let m: usize = blocks.iter().map(|b| b.0).sum();
    let n: usize = blocks.iter().map(|b| b.1).sum();
    let mut c = vec![T::zero(); m * n];
    let (mut r0, mut c0) = (0, 0);
    for (mb, nb, a) in blocks {
        for i in 0..*mb {
            for j in 0..*nb {
                c[(r0 + i) * n + c0 + j] = a[i * nb + j];
            }
        }
        r0 += mb;
        c0 += nb;
    }
    (m, n, c)
}

/// `|got - want| <= tol · scale` entry by entry, with a panic message that
/// names the check.
pub fn assert_close_scaled<T: Float>(what: &str, got: &[T], want: &[T], scale: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let t = tol::<T>();
    for (i, ((g, w), s)) in got.iter().zip(want).zip(scale).enumerate() {
        let (g, w) = (c64(*g), c64(*w));
        assert!(
            (g - w).abs() <= t * (s + 1e-300) || (g - w).abs() <= t * 1e-3,
            "{what}: entry {i}: got {g}, want {w} (scale {s})"
        );
    }
}

/// Dense matrices compared entry-wise against the largest entry's scale.
pub fn assert_matrix_close<T: Float>(what: &str, got: &[T], want: &[T]) {
    let scale = want.iter().fold(1.0f64, |m, x| m.max(c64(*x).abs()));
    assert_close_scaled(what, got, want, &vec![scale; want.len()]);
}

/// `Σ_j |D_ij| |x_j|` for each row of row-major `d` (`m × n`): the scale of
/// the rounding error of `(D x)_i`.
fn abs_product<T: Float>(m: usize, n: usize, d: &[f64], x: &[T]) -> Vec<f64> {
    (0..m)
        .map(|i| (0..n).map(|j| d[i * n + j] * c64(x[j]).abs()).sum())
        .collect()
}

/// What [`check_operator`] should expect.
#[derive(Clone, Copy)]
pub struct Expect {
    /// The operator's `is_symmetric()`.
    pub symmetric: bool,
    /// Whether `apply_transpose` is supported.
    pub transpose: bool,
}

impl Expect {
    pub const GENERAL: Expect = Expect {
        symmetric: false,
        transpose: true,
    };
    pub const SYMMETRIC: Expect = Expect {
        symmetric: true,
        transpose: true,
    };
}

/// Checks `op` against `reference` (row-major, built independently of the
/// operator): `to_dense`, `uᵀ(A v)` and `(Aᵀ u)ᵀ v` against `uᵀ D v`,
/// `apply`/`apply_transpose` entry-wise, `apply_many` and
/// `apply_transpose_many` against column-by-column products for k = 1, 3, 8,
/// `diagonal`, `is_symmetric`, overwriting of outputs, and wrong lengths.
pub fn check_operator<T: Float, A: LinOp<T> + ?Sized>(
    label: &str,
    op: &A,
    reference: &[T],
    expect: Expect,
    seed: u64,
) {
    let magnitude: Vec<f64> = reference.iter().map(|&x| c64(x).abs()).collect();
    check_operator_with_magnitude(label, op, reference, &magnitude, expect, seed)
}

/// [`check_operator`] for operators whose products sum more than the
/// entries of the result, e.g. `A B` applied as `A (B v)`: the rounding
/// scale of `(A v)_i` is `Σ_j magnitude_ij |v_j|` with `magnitude = |A| |B|`
/// (entry-wise absolute values), which cancellation in `A B` can make much
/// larger than `|A B|`.
pub fn check_operator_with_magnitude<T: Float, A: LinOp<T> + ?Sized>(
    label: &str,
    op: &A,
    reference: &[T],
    magnitude: &[f64],
    expect: Expect,
    seed: u64,
) {
    let (m, n) = (op.nrows(), op.ncols());
    let label = format!("{label} [{}, {m}×{n}]", T::DTYPE);
    assert_eq!(reference.len(), m * n, "{label}: reference size");
    assert_eq!(magnitude.len(), m * n, "{label}: magnitude size");
    let mag_t = transpose_ref(m, n, magnitude);
    let mut rng = TestRng::new(seed);

    // to_dense equals the independent reference.
    let dense = op.to_dense().unwrap();
    assert_matrix_close(&format!("{label}: to_dense"), &dense, reference);

    let dt = transpose_ref(m, n, reference);
    for trial in 0..3 {
        let u: Vec<T> = rand_vec(&mut rng, m);
        let v: Vec<T> = rand_vec(&mut rng, n);
        // A v entry-wise, outputs pre-filled with NaN (apply overwrites).
        let mut av = vec![T::nan(); m];
        op.apply(&v, &mut av).unwrap();
        let want = matmul_ref(m, n, 1, reference, &v);
        let scale = abs_product(m, n, magnitude, &v);
        assert_close_scaled(&format!("{label}: A v (trial {trial})"), &av, &want, &scale);
        // uᵀ (A v) against uᵀ D v.
        let d_uv: f64 = u.iter().zip(&want).map(|(a, b)| c64(*a * *b)).sum();
        let s_uv: f64 = u.iter().zip(&scale).map(|(a, s)| c64(*a).abs() * s).sum();
        let uav: f64 = u.iter().zip(&av).map(|(a, b)| c64(*a * *b)).sum();
        assert!(
            (uav - d_uv).abs() <= tol::<T>() * (s_uv + 1e-300) * 4.0,
            "{label}: uᵀ(Av) = {uav}, uᵀDv = {d_uv}"
        );
        if expect.transpose {
            let mut atu = vec![T::nan(); n];
            op.apply_transpose(&u, &mut atu).unwrap();
            let want_t = matmul_ref(n, m, 1, &dt, &u);
            let scale_t = abs_product(n, m, &mag_t, &u);
            assert_close_scaled(&format!("{label}: Aᵀ u"), &atu, &want_t, &scale_t);
            let atuv: f64 = atu.iter().zip(&v).map(|(a, b)| c64(*a * *b)).sum();
            assert!(
                (atuv - d_uv).abs() <= tol::<T>() * (s_uv + 1e-300) * 4.0,
                "{label}: (Aᵀu)ᵀv = {atuv}, uᵀDv = {d_uv}"
            );
        }
    }

    // Blocks against columns.
    for k in [1usize, 3, 8] {
        let xs: Vec<T> = rand_vec(&mut rng, k * n);
        let mut ys = vec![T::nan(); k * m];
        op.apply_many(k, &xs, &mut ys).unwrap();
        let mut cols = vec![T::nan(); k * m];
        for v in 0..k {
            op.apply(&xs[v * n..(v + 1) * n], &mut cols[v * m..(v + 1) * m])
                .unwrap();
        }
        let scale: Vec<f64> = (0..k)
            .flat_map(|v| abs_product(m, n, magnitude, &xs[v * n..(v + 1) * n]))
            .collect();
        assert_close_scaled(&format!("{label}: apply_many k={k}"), &ys, &cols, &scale);
        if expect.transpose {
            let xs: Vec<T> = rand_vec(&mut rng, k * m);
            let mut ys = vec![T::nan(); k * n];
            op.apply_transpose_many(k, &xs, &mut ys).unwrap();
            let mut cols = vec![T::nan(); k * n];
            for v in 0..k {
                op.apply_transpose(&xs[v * m..(v + 1) * m], &mut cols[v * n..(v + 1) * n])
                    .unwrap();
            }
            let scale: Vec<f64> = (0..k)
                .flat_map(|v| abs_product(n, m, &mag_t, &xs[v * m..(v + 1) * m]))
                .collect();
            assert_close_scaled(
                &format!("{label}: apply_transpose_many k={k}"),
                &ys,
                &cols,
                &scale,
            );
        }
    }
    // k = 0 is a no-op.
    op.apply_many(0, &[], &mut []).unwrap();

    // The diagonal.
    let diag = op.diagonal().unwrap();
    let want: Vec<T> = (0..m.min(n)).map(|i| reference[i * n + i]).collect();
    assert_matrix_close(&format!("{label}: diagonal"), &diag, &want);

    // Symmetry flag, and symmetric operators are symmetric matrices.
    assert_eq!(op.is_symmetric(), expect.symmetric, "{label}: is_symmetric");
    if expect.symmetric {
        assert_eq!(m, n, "{label}: symmetric but not square");
        assert_matrix_close(&format!("{label}: D = Dᵀ"), &dense, &dt);
    }

    // Wrong lengths are errors, not panics.
    check_wrong_lengths(&label, op, expect.transpose);
}

/// Every entry point rejects wrong lengths with a `Length` error.
pub fn check_wrong_lengths<T: Float, A: LinOp<T> + ?Sized>(label: &str, op: &A, transpose: bool) {
    let (m, n) = (op.nrows(), op.ncols());
    let is_length = |r: Result<(), LinOpError>, what: &str| match r {
        Err(LinOpError::Length { .. }) => {}
        other => panic!("{label}: {what}: expected a Length error, got {other:?}"),
    };
    let z = T::zero();
    is_length(op.apply(&vec![z; n + 1], &mut vec![z; m]), "apply, long x");
    is_length(op.apply(&vec![z; n], &mut vec![z; m + 1]), "apply, long y");
    if n > 0 {
        is_length(op.apply(&vec![z; n - 1], &mut vec![z; m]), "apply, short x");
    }
    is_length(
        op.apply_many(2, &vec![z; 2 * n + 1], &mut vec![z; 2 * m]),
        "apply_many, xs",
    );
    is_length(
        op.apply_many(2, &vec![z; 2 * n], &mut vec![z; 2 * m + 1]),
        "apply_many, ys",
    );
    if transpose {
        is_length(
            op.apply_transpose(&vec![z; m + 1], &mut vec![z; n]),
            "apply_transpose, x",
        );
        is_length(
            op.apply_transpose(&vec![z; m], &mut vec![z; n + 1]),
            "apply_transpose, y",
        );
        is_length(
            op.apply_transpose_many(3, &vec![z; 3 * m + 1], &mut vec![z; 3 * n]),
            "apply_transpose_many, xs",
        );
        is_length(
            op.apply_transpose_many(3, &vec![z; 3 * m], &mut vec![z; 3 * n + 2]),
            "apply_transpose_many, ys",
        );
    }
}

/// Random row-major `m × n` matrix in `[-1, 1)`.
pub fn rand_mat<T: Float>(rng: &mut TestRng, m: usize, n: usize) -> Vec<T> {
    rand_vec(rng, m * n)
}

/// Random symmetric `n × n` matrix.
pub fn rand_sym<T: Float>(rng: &mut TestRng, n: usize) -> Vec<T> {
    let a: Vec<T> = rand_mat(rng, n, n);
    let mut s = vec![T::zero(); n * n];
    for i in 0..n {
        for j in 0..n {
            s[i * n + j] = a[i * n + j] + a[j * n + i];
        }
    }
    s
}
