//! Problems beyond the MGH set: scipy's chained Rosenbrock and an
//! L2-regularized logistic regression on seeded synthetic data.

use crate::ops::interleave;
use crate::rng::SplitMix64;
use crate::{Dims, Entry, Form, Known, MRule, NRule, Problem, ProblemError, ProblemSpec};
use hvp::{CmpOp, Tensor};
use std::sync::Arc;

pub(crate) const LOGISTIC_NAME: &str = "logistic-regression";
const LOGISTIC_DESCRIPTION: &str =
    "L2-regularized logistic regression on seeded Gaussian features with planted-weight labels";
/// The regularization weight of the catalog's instances.
pub(crate) const LOGISTIC_LAMBDA: f64 = 1e-2;
/// The seed of the catalog's instances.
pub(crate) const LOGISTIC_SEED: u64 = 0;
/// Newton's method runs at construction only when one Hessian costs at most
/// this many multiply-adds (`N·n²`), so building a large instance stays
/// cheap.
const NEWTON_BUDGET: usize = 20_000_000;

pub(crate) fn entries() -> Vec<Entry> {
    vec![Entry {
        spec: ProblemSpec {
            name: "chained-rosenbrock",
            description: "scipy's chained Rosenbrock Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²",
            mgh_number: None,
            n_rule: NRule::Range {
                min: 2,
                max: None,
                step: 1,
            },
            default_n: 1000,
            m_rule: MRule::Linked { a: 2, b: -2 },
        },
        residuals: chained_rosenbrock,
        start: |d| {
            (0..d.n)
                .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
                .collect()
        },
        known: |d| Known {
            f_star: Some(0.0),
            x_star: Some(vec![1.0; d.n]),
            notes: vec![
                "the standard start of DESIGN.md §9 (−1.2 at even i, 1 at odd i, 0-based)".into(),
                "for n >= 4 there is another stationary point with x₀ < 0, reached by Newton's \
                 method from (−1, 1, …, 1): f = 3.70143 at n = 4, 3.98360 at n = 7, 3.98662 at \
                 n = 30 (Kok and Sandrock, 2009, report a local minimum there for \
                 4 <= n <= 30)"
                    .into(),
            ],
        },
    }]
}

/// Residuals `(10(xᵢ₊₁ − xᵢ²), 1 − xᵢ)` for `i = 0 … n − 2`, interleaved.
fn chained_rosenbrock(x: &Tensor, d: Dims) -> Tensor {
    let head = x.slice_axis(0, 0, d.n - 1, 1);
    let tail = x.slice_axis(0, 1, d.n, 1);
    interleave(&[(tail - head.square()) * 10.0, 1.0 - head])
}

pub(crate) fn logistic_spec() -> ProblemSpec {
    ProblemSpec {
        name: LOGISTIC_NAME,
        description: LOGISTIC_DESCRIPTION,
        mgh_number: None,
        n_rule: NRule::Range {
            min: 1,
            max: None,
            step: 1,
        },
        default_n: 10,
        m_rule: MRule::Free {
            min: 1,
            max: None,
            at_least_n: false,
            default_a: 10,
            default_b: 0,
        },
    }
}

/// The fixed data of a logistic-regression instance.
#[derive(Debug)]
pub(crate) struct LogisticData {
    /// Number of examples `N`.
    pub examples: usize,
    /// The regularization weight `λ`.
    pub lambda: f64,
    /// Features (`N × n`, row major) followed by the labels (`±1`).
    pub packed: Vec<f64>,
}

/// `f(w) = (1/N) Σᵢ ln(1 + exp(−yᵢ aᵢᵀw)) + (λ/2)‖w‖²` over the inputs
/// `(w, A, y)`.
pub(crate) fn logistic_objective(inputs: &[Tensor], lambda: f64) -> Tensor {
    let (w, a, y) = (&inputs[0], &inputs[1], &inputs[2]);
    let margins = a.matmul(w) * y;
    smooth_softplus(&-margins).mean() + w.square().sum() * (lambda / 2.0)
}

/// `ln(1 + eᵘ)` with correct derivatives of every order everywhere.
///
/// The facade's `Tensor::softplus` is `max(u, 0) + ln(1 + e^{−|u|})`, whose
/// second derivative at exactly `u = 0` comes out 0 instead of 1/4 (the kinks
/// of `max` and `|·|` cancel in value and slope but not in curvature); the
/// logistic regression starts at `w = 0`, where every margin is exactly 0.
/// Here each branch is analytic on its side and fed a clamped argument (by
/// `select`, not `max`/`min`, so no tie rule is involved), so neither branch
/// overflows and the branch not taken contributes an exact zero.
fn smooth_softplus(u: &Tensor) -> Tensor {
    let pos = u.compare_scalar(CmpOp::Gt, 0.0);
    let zero = u.scalar(0.0);
    let up = pos.select(u, &zero);
    let un = pos.select(&zero, u);
    let right = &up + (-&up).exp().ln_1p();
    let left = un.exp().ln_1p();
    pos.select(&right, &left)
}

/// An L2-regularized logistic regression with `n` weights on `examples`
/// seeded synthetic examples:
/// `f(w) = (1/N) Σᵢ ln(1 + exp(−yᵢ aᵢᵀw)) + (λ/2)‖w‖²`.
///
/// The data, drawn from SplitMix64 seeded with `seed` (standard normals by
/// Box–Muller), in this order: the planted weights `w* = 2 g/‖g‖` with
/// `g ~ N(0, I_n)` (so the margins `aᵢᵀw*` are `N(0, 4)`: informative but
/// noisy labels); the features `aᵢ ~ N(0, I_n)`, row by row; then the
/// labels `yᵢ = +1` with probability `σ(aᵢᵀw*)` (a uniform draw below it),
/// else `−1`. `λ > 0` makes `f` strongly convex, so its minimizer is unique;
/// it is computed with Newton's method in plain `f64` at construction (to
/// ‖∇f‖ < 1e-12) when `N·n² ≤ 2·10⁷`, and `f_star`/`x_star` are `None`
/// otherwise. `x0 = 0`, where `f = ln 2`. The catalog's instance
/// ([`crate::by_name`]`("logistic-regression", n)`) has `N = 10n`,
/// `λ = 10⁻²` and seed 0.
///
/// ```
/// let p = hvp_problems::logistic_regression(5, 200, 1e-3, 7)?;
/// let f = p.function()?;
/// let at0 = f.value(&p.point(&p.x0))?;
/// assert!((at0 - 2f64.ln()).abs() < 1e-12);
/// assert_eq!(f.grad(&p.point(&p.x0))?.len(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn logistic_regression(
    n: usize,
    examples: usize,
    lambda: f64,
    seed: u64,
) -> Result<Problem, ProblemError> {
    let spec = logistic_spec();
    if !spec.n_rule.allows(n) {
        return Err(ProblemError::BadN {
            name: LOGISTIC_NAME,
            n,
            allowed: spec.n_rule,
        });
    }
    if !spec.m_rule.allows(n, examples) {
        return Err(ProblemError::BadM {
            name: LOGISTIC_NAME,
            n,
            m: examples,
            allowed: spec.m_rule,
        });
    }
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(ProblemError::BadParameter {
            name: LOGISTIC_NAME,
            message: format!("the regularization weight must be finite and positive, got {lambda}"),
        });
    }
    let mut rng = SplitMix64(seed);
    let g: Vec<f64> = (0..n).map(|_| rng.normal_open()).collect();
    let norm = g
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    let planted: Vec<f64> = g.iter().map(|v| 2.0 * v / norm).collect();
    let mut packed: Vec<f64> = (0..examples * n).map(|_| rng.normal_open()).collect();
    let labels: Vec<f64> = (0..examples)
        .map(|i| {
            let row = &packed[i * n..(i + 1) * n];
            let z: f64 = row.iter().zip(&planted).map(|(a, w)| a * w).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            if rng.uniform_open() < p {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    packed.extend_from_slice(&labels);
    let mut notes = vec![format!(
        "N = {examples} examples, λ = {lambda}, seed {seed}; data: Problem::data()"
    )];
    let (f_star, x_star) = if examples.saturating_mul(n).saturating_mul(n) <= NEWTON_BUDGET {
        let (f, w) = newton(&packed, n, examples, lambda);
        notes.push("f* and the minimizer computed with Newton's method at construction".into());
        (Some(f), Some(w))
    } else {
        notes.push("too large to solve at construction: f* unknown".into());
        (None, None)
    };
    Ok(Problem {
        name: LOGISTIC_NAME,
        description: LOGISTIC_DESCRIPTION,
        mgh_number: None,
        n,
        m: examples,
        x0: vec![0.0; n],
        f_star,
        x_star,
        notes,
        form: Form::Logistic(Arc::new(LogisticData {
            examples,
            lambda,
            packed,
        })),
    })
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Value, gradient and Hessian (row major) of the logistic objective.
fn logistic_derivatives(
    packed: &[f64],
    n: usize,
    examples: usize,
    lambda: f64,
    w: &[f64],
) -> (f64, Vec<f64>, Vec<f64>) {
    let (a, y) = packed.split_at(examples * n);
    let inv = 1.0 / examples as f64;
    let mut f = 0.0;
    let mut g: Vec<f64> = w.iter().map(|v| lambda * v).collect();
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        h[i * n + i] = lambda;
    }
    for (row, &yi) in a.chunks_exact(n).zip(y) {
        let z: f64 = row.iter().zip(w).map(|(r, v)| r * v).sum();
        let margin = yi * z;
        f += softplus(-margin) * inv;
        // σ(−margin): the weight of this example in the gradient.
        let s = 1.0 / (1.0 + margin.exp());
        let curvature = s * (1.0 - s) * inv;
        for j in 0..n {
            g[j] -= yi * s * row[j] * inv;
            let cj = curvature * row[j];
            for k in 0..n {
                h[j * n + k] += cj * row[k];
            }
        }
    }
    f += 0.5 * lambda * w.iter().map(|v| v * v).sum::<f64>();
    (f, g, h)
}

/// Solves `H d = g` for a symmetric positive definite `H` by Cholesky.
fn cholesky_solve(h: &[f64], g: &[f64], n: usize) -> Vec<f64> {
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = h[j * n + j];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        let d = d.max(f64::MIN_POSITIVE).sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut s = h[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / d;
        }
    }
    let mut z = g.to_vec();
    for i in 0..n {
        for k in 0..i {
            z[i] -= l[i * n + k] * z[k];
        }
        z[i] /= l[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            z[i] -= l[k * n + i] * z[k];
        }
        z[i] /= l[i * n + i];
    }
    z
}

/// Newton's method with backtracking from `w = 0`; the objective is
/// `λ`-strongly convex, so this converges quadratically after a few damped
/// steps.
fn newton(packed: &[f64], n: usize, examples: usize, lambda: f64) -> (f64, Vec<f64>) {
    let mut w = vec![0.0; n];
    let (mut f, mut g, mut h) = logistic_derivatives(packed, n, examples, lambda, &w);
    for _ in 0..100 {
        let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if gnorm < 1e-12 {
            break;
        }
        let d = cholesky_solve(&h, &g, n);
        let slope: f64 = d.iter().zip(&g).map(|(a, b)| a * b).sum();
        let mut step = 1.0;
        loop {
            let trial: Vec<f64> = w.iter().zip(&d).map(|(a, b)| a - step * b).collect();
            let (ft, gt, ht) = logistic_derivatives(packed, n, examples, lambda, &trial);
            if ft <= f - 1e-4 * step * slope || step < 1e-10 {
                (w, f, g, h) = (trial, ft, gt, ht);
                break;
            }
            step *= 0.5;
        }
    }
    (f, w)
}
