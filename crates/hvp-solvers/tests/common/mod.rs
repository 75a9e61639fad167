//! Shared test helpers: matrices with known spectra (`Q diag(λ) Qᵀ` with a
//! random orthogonal `Q` built from Householder reflections), a dense
//! Jacobi eigensolver as an independent oracle, reference products in f64,
//! operators that fail on purpose, and the tolerance table.
#![allow(dead_code)]

use hvp_linop::{check_dims, Dense, LinOp, LinOpError};
use hvp_tensor::{DType, Float};
use hvp_testkit::TestRng;

/// Per-dtype tolerances of the catalog tests (relative residuals and
/// eigenvalue errors at the sizes used here).
pub struct Tol {
    /// Relative residual asked of solvers on well-conditioned systems.
    pub solve: f64,
    /// Relative eigenvalue / Ritz error.
    pub eig: f64,
}

pub fn tol<T: Float>() -> Tol {
    match T::DTYPE {
        DType::F64 => Tol {
            solve: 1e-10,
            eig: 1e-10,
        },
        DType::F32 => Tol {
            solve: 1e-4,
            eig: 1e-4,
        },
    }
}

/// A standard normal value (Box–Muller on the test generator).
pub fn gaussian(rng: &mut TestRng) -> f64 {
    let u1 = rng.uniform(f64::MIN_POSITIVE, 1.0);
    let u2 = rng.uniform(0.0, 1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

pub fn gaussian_vec(rng: &mut TestRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| gaussian(rng)).collect()
}

/// A random orthogonal `n × n` matrix (row-major): the product of `n`
/// Householder reflections `I − 2 v vᵀ / vᵀv` with Gaussian `v`.
pub fn random_orthogonal(rng: &mut TestRng, n: usize) -> Vec<f64> {
    let mut q = vec![0.0; n * n];
    for i in 0..n {
        q[i * n + i] = 1.0;
    }
    for _ in 0..n {
        let v = gaussian_vec(rng, n);
        let vv: f64 = v.iter().map(|x| x * x).sum();
        // Q ← Q (I − 2 v vᵀ / vᵀv): each row r of Q loses 2 (r·v)/vᵀv v.
        for row in q.chunks_exact_mut(n) {
            let rv: f64 = row.iter().zip(&v).map(|(a, b)| a * b).sum();
            let f = 2.0 * rv / vv;
            for (x, vi) in row.iter_mut().zip(&v) {
                *x -= f * vi;
            }
        }
    }
    q
}

/// `Q diag(λ) Qᵀ` in f64 (row-major), made exactly symmetric.
pub fn sym_from_spectrum(rng: &mut TestRng, lambda: &[f64]) -> Vec<f64> {
    let n = lambda.len();
    let q = random_orthogonal(rng, n);
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..n)
                .map(|k| q[i * n + k] * lambda[k] * q[j * n + k])
                .sum();
            a[i * n + j] = s;
            a[j * n + i] = s;
        }
    }
    a
}

/// A dense operator of element type `T` from f64 entries.
pub fn dense<T: Float>(n: usize, a: &[f64]) -> Dense<T> {
    Dense::from_vec(n, n, a.iter().map(|&x| T::from_f64(x)).collect()).unwrap()
}

pub fn cast<T: Float>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

pub fn to64<T: Float>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| <T as Float>::to_f64(x)).collect()
}

/// `A x` in f64.
pub fn matvec(a: &[f64], x: &[f64]) -> Vec<f64> {
    let n = x.len();
    a.chunks_exact(n)
        .map(|row| row.iter().zip(x).map(|(p, q)| p * q).sum())
        .collect()
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// `‖b − A x‖` in f64.
pub fn residual(a: &[f64], b: &[f64], x: &[f64]) -> f64 {
    let ax = matvec(a, x);
    norm(&b.iter().zip(&ax).map(|(p, q)| p - q).collect::<Vec<_>>())
}

/// Frobenius norm.
pub fn frob(a: &[f64]) -> f64 {
    norm(a)
}

/// Eigenvalues (ascending) of a symmetric matrix by the cyclic Jacobi
/// method: an oracle independent of the crate's Lanczos and QL.
pub fn jacobi_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    let mut a = a.to_vec();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        if off.sqrt() <= 1e-15 * frob(&a) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let akp = a[k * n + p];
                    let akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let apk = a[p * n + k];
                    let aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut ev: Vec<f64> = (0..n).map(|i| a[i * n + i]).collect();
    ev.sort_by(f64::total_cmp);
    ev
}

/// `n` values evenly spaced from `lo` to `hi`.
pub fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

/// `n` values log-spaced from `lo` to `hi`.
pub fn logspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

/// A named spectrum of the solver catalog.
pub struct Case {
    pub name: &'static str,
    pub lambda: Vec<f64>,
    /// Whether the right-hand side must be in the range (singular cases).
    pub consistent: bool,
}

/// The catalog of spectra of size `n`.
pub fn catalog(n: usize) -> Vec<Case> {
    let mut singular = linspace(1.0, 10.0, n);
    singular[0] = 0.0;
    let indefinite: Vec<f64> = linspace(0.5, 5.0, n)
        .iter()
        .enumerate()
        .map(|(i, &x)| if i % 3 == 0 { -x } else { x })
        .collect();
    let clustered: Vec<f64> = (0..n)
        .map(|i| [1.0, 2.0, 5.0, 10.0][i % 4] * (1.0 + 1e-6 * i as f64))
        .collect();
    vec![
        Case {
            name: "spd well-conditioned",
            lambda: linspace(1.0, 10.0, n),
            consistent: false,
        },
        Case {
            name: "spd ill-conditioned (κ = 1e8)",
            lambda: logspace(1e-8, 1.0, n),
            consistent: false,
        },
        Case {
            name: "indefinite",
            lambda: indefinite,
            consistent: false,
        },
        Case {
            name: "singular (zero eigenvalue, consistent rhs)",
            lambda: singular,
            consistent: true,
        },
        Case {
            name: "clustered",
            lambda: clustered,
            consistent: false,
        },
    ]
}

/// A right-hand side for a case: random, or `A x` for a random `x` when it
/// must be consistent.
pub fn rhs(rng: &mut TestRng, a: &[f64], case: &Case) -> Vec<f64> {
    let n = case.lambda.len();
    let v = gaussian_vec(rng, n);
    if case.consistent {
        matvec(a, &v)
    } else {
        v
    }
}

/// An operator whose every product fails.
pub struct Failing(pub usize);

impl<T: Float> LinOp<T> for Failing {
    fn nrows(&self) -> usize {
        self.0
    }
    fn ncols(&self) -> usize {
        self.0
    }
    fn apply(&self, _x: &[T], _y: &mut [T]) -> Result<(), LinOpError> {
        Err(LinOpError::Failed {
            op: "failing".into(),
            message: "on purpose".into(),
        })
    }
    fn is_symmetric(&self) -> bool {
        true
    }
}

/// The identity, except that every product with a vector whose first
/// entry is not zero yields NaN in the first entry.
pub struct NanOp(pub usize);

impl<T: Float> LinOp<T> for NanOp {
    fn nrows(&self) -> usize {
        self.0
    }
    fn ncols(&self) -> usize {
        self.0
    }
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("nan", self.0, self.0, x, y)?;
        y.copy_from_slice(x);
        y[0] = T::nan();
        Ok(())
    }
    fn is_symmetric(&self) -> bool {
        true
    }
}

/// Least-squares slope of `ln y` against `ln x`.
pub fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let m = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / m, ly.iter().sum::<f64>() / m);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}
