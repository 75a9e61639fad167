//! The 35 problems of Moré, Garbow and Hillstrom (1981), as residual
//! vectors.
//!
//! Each `rNN` function returns `(f₁(x), …, f_m(x))` for the paper's problem
//! NN in the paper's order of residuals; indices in comments are the
//! paper's (1-based), in code 0-based. Residuals are vectorized: data and
//! index-dependent constants are vectors, neighbours are shifts, sums over
//! `j ≤ i` are prefix sums, so a graph's size does not grow with `n`.

use crate::ops::{at, cat, cumsum, fill, index1, interleave, iota, shift_down, shift_up, table};
use crate::{Dims, Entry, Known, MRule, NRule, ProblemSpec};
use hvp::{CmpOp, Tensor};

const fn fixed_m(m: i64) -> MRule {
    MRule::Linked { a: 0, b: m }
}

const M_EQ_N: MRule = MRule::Linked { a: 1, b: 0 };

const fn free_m(min: usize, max: Option<usize>, default: i64) -> MRule {
    MRule::Free {
        min,
        max,
        at_least_n: true,
        default_a: 0,
        default_b: default,
    }
}

const fn any_n(min: usize) -> NRule {
    NRule::Range {
        min,
        max: None,
        step: 1,
    }
}

#[allow(clippy::too_many_arguments)]
fn entry(
    number: u8,
    name: &'static str,
    description: &'static str,
    n_rule: NRule,
    default_n: usize,
    m_rule: MRule,
    residuals: fn(&Tensor, Dims) -> Tensor,
    start: fn(Dims) -> Vec<f64>,
    known: fn(Dims) -> Known,
) -> Entry {
    Entry {
        spec: ProblemSpec {
            name,
            description,
            mgh_number: Some(number),
            n_rule,
            default_n,
            m_rule,
        },
        residuals,
        start,
        known,
    }
}

/// `f* = 0` at a known point.
fn zero_at(x: Vec<f64>) -> Known {
    Known {
        f_star: Some(0.0),
        x_star: Some(x),
        notes: vec![],
    }
}

fn note(k: Known, s: impl Into<String>) -> Known {
    let mut k = k;
    k.notes.push(s.into());
    k
}

/// A minimizer we computed (damped Newton on the traced function until
/// ‖∇f‖ < 1e-10) where the paper gives only the value.
fn computed(f_star: f64, x: &[f64]) -> Known {
    Known {
        f_star: Some(f_star),
        x_star: Some(x.to_vec()),
        notes: vec![
            "f* is the paper's (6 significant digits); the minimizer is ours, computed with \
             Newton's method (the paper gives none)"
                .into(),
        ],
    }
}

fn value_only(f_star: Option<f64>) -> Known {
    Known {
        f_star,
        x_star: None,
        notes: vec![],
    }
}

pub(crate) fn entries() -> Vec<Entry> {
    vec![
        entry(
            1,
            "rosenbrock",
            "Rosenbrock's banana valley in two variables",
            NRule::Fixed(2),
            2,
            fixed_m(2),
            r01,
            |_| vec![-1.2, 1.0],
            |_| zero_at(vec![1.0, 1.0]),
        ),
        entry(
            2,
            "freudenstein-roth",
            "Freudenstein and Roth: two cubic residuals with a spurious local minimum",
            NRule::Fixed(2),
            2,
            fixed_m(2),
            r02,
            |_| vec![0.5, -2.0],
            |_| {
                note(
                    zero_at(vec![5.0, 4.0]),
                    "the paper also lists the local minimum f = 48.9842... at \
                     (11.41..., -0.8968...), where Newton's method from x0 stops",
                )
            },
        ),
        entry(
            3,
            "powell-badly-scaled",
            "Powell's badly scaled function: x₁x₂ = 1e-4 with exponentials",
            NRule::Fixed(2),
            2,
            fixed_m(2),
            r03,
            |_| vec![0.0, 1.0],
            |_| {
                note(
                    zero_at(POWELL_BADLY_SCALED_X.to_vec()),
                    "the paper gives the minimizer as (1.098...e-5, 9.106...); ours is \
                     computed to full precision with Newton's method",
                )
            },
        ),
        entry(
            4,
            "brown-badly-scaled",
            "Brown's badly scaled function: minimizer (1e6, 2e-6)",
            NRule::Fixed(2),
            2,
            fixed_m(3),
            r04,
            |_| vec![1.0, 1.0],
            |_| zero_at(vec![1e6, 2e-6]),
        ),
        entry(
            5,
            "beale",
            "Beale's function: three residuals in x₂, x₂², x₂³",
            NRule::Fixed(2),
            2,
            fixed_m(3),
            r05,
            |_| vec![1.0, 1.0],
            |_| zero_at(vec![3.0, 0.5]),
        ),
        entry(
            6,
            "jennrich-sampson",
            "Jennrich and Sampson: 2 + 2i − (e^{i x₁} + e^{i x₂})",
            NRule::Fixed(2),
            2,
            free_m(2, None, 10),
            r06,
            |_| vec![0.3, 0.4],
            |d| {
                if d.m == 10 {
                    note(
                        computed(124.362, &JENNRICH_SAMPSON_X),
                        "the paper: f = 124.362... at x₁ = x₂ = 0.2578... for m = 10",
                    )
                } else {
                    note(value_only(None), "the paper reports f* only for m = 10")
                }
            },
        ),
        entry(
            7,
            "helical-valley",
            "Fletcher and Powell's helical valley in three variables",
            NRule::Fixed(3),
            3,
            fixed_m(3),
            r07,
            |_| vec![-1.0, 0.0, 0.0],
            |_| {
                note(
                    zero_at(vec![1.0, 0.0, 0.0]),
                    "θ(x₁, x₂) is defined for x₁ ≠ 0 only (the residuals are not finite on \
                     the plane x₁ = 0)",
                )
            },
        ),
        entry(
            8,
            "bard",
            "Bard's data fit: 15 points, a rational model in three parameters",
            NRule::Fixed(3),
            3,
            fixed_m(15),
            r08,
            |_| vec![1.0, 1.0, 1.0],
            |_| {
                note(
                    computed(8.21487e-3, &BARD_X),
                    "the paper also lists f = 17.4286... at (0.8406..., -∞, -∞)",
                )
            },
        ),
        entry(
            9,
            "gaussian",
            "Gaussian data fit: 15 points of x₁ exp(−x₂(t − x₃)²/2)",
            NRule::Fixed(3),
            3,
            fixed_m(15),
            r09,
            |_| vec![0.4, 1.0, 0.0],
            |_| computed(1.12793e-8, &GAUSSIAN_X),
        ),
        entry(
            10,
            "meyer",
            "Meyer's thermistor data fit: x₁ exp(x₂/(t + x₃)), badly scaled",
            NRule::Fixed(3),
            3,
            fixed_m(16),
            r10,
            |_| vec![0.02, 4000.0, 250.0],
            |_| computed(87.9458, &MEYER_X),
        ),
        entry(
            11,
            "gulf-research",
            "Gulf research and development: exp(−|yᵢ − x₂|^{x₃}/x₁) − tᵢ",
            NRule::Fixed(3),
            3,
            free_m(3, Some(100), 99),
            r11,
            |_| vec![5.0, 2.5, 0.15],
            |d| {
                note(
                    zero_at(vec![50.0, 25.0, 1.5]),
                    format!(
                        "the paper allows 3 <= m <= 100 (default here 99: at m = 100, \
                         y_m = 25 = x₂* and |y_m − x₂|^x₃ is not differentiable there); m = {}",
                        d.m
                    ),
                )
            },
        ),
        entry(
            12,
            "box-3d",
            "Box's three-dimensional exponential fit",
            NRule::Fixed(3),
            3,
            free_m(3, None, 10),
            r12,
            |_| vec![0.0, 10.0, 20.0],
            |_| {
                note(
                    zero_at(vec![1.0, 10.0, 1.0]),
                    "f = 0 also at (10, 1, -1) and wherever x₁ = x₂ and x₃ = 0",
                )
            },
        ),
        entry(
            13,
            "powell-singular",
            "Powell's singular function: Hessian singular at the minimizer",
            NRule::Fixed(4),
            4,
            fixed_m(4),
            r13,
            |_| vec![3.0, -1.0, 0.0, 1.0],
            |_| zero_at(vec![0.0; 4]),
        ),
        entry(
            14,
            "wood",
            "Wood's function (Colville): two coupled Rosenbrock valleys",
            NRule::Fixed(4),
            4,
            fixed_m(6),
            r14,
            |_| vec![-3.0, -1.0, -3.0, -1.0],
            |_| zero_at(vec![1.0; 4]),
        ),
        entry(
            15,
            "kowalik-osborne",
            "Kowalik and Osborne's enzyme-reaction data fit, 11 points",
            NRule::Fixed(4),
            4,
            fixed_m(11),
            r15,
            |_| vec![0.25, 0.39, 0.415, 0.39],
            |_| {
                note(
                    computed(3.07505e-4, &KOWALIK_OSBORNE_X),
                    "the paper also lists f = 1.02734...e-3 at (+∞, -14.07..., -∞, -∞)",
                )
            },
        ),
        entry(
            16,
            "brown-dennis",
            "Brown and Dennis: squared residuals in e^t, sin t and cos t",
            NRule::Fixed(4),
            4,
            free_m(4, None, 20),
            r16,
            |_| vec![25.0, 5.0, -5.0, -1.0],
            |d| {
                if d.m == 20 {
                    computed(85822.2, &BROWN_DENNIS_X)
                } else {
                    note(value_only(None), "the paper reports f* only for m = 20")
                }
            },
        ),
        entry(
            17,
            "osborne-1",
            "Osborne 1: 33 points of a constant plus two exponentials",
            NRule::Fixed(5),
            5,
            fixed_m(33),
            r17,
            |_| vec![0.5, 1.5, -1.0, 0.01, 0.02],
            |_| computed(5.46489e-5, &OSBORNE1_X),
        ),
        entry(
            18,
            "biggs-exp6",
            "Biggs EXP6: three exponentials fit to exact data",
            NRule::Fixed(6),
            6,
            free_m(6, None, 13),
            r18,
            |_| vec![1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
            |d| {
                let k = zero_at(vec![1.0, 10.0, 1.0, 5.0, 4.0, 3.0]);
                if d.m == 13 {
                    note(
                        k,
                        "the paper also lists f = 5.65565...e-3 for m = 13, a local minimum (near \
                         (1.71142, 17.6832, 1.16314, 5.18656, 1.71142, 1.16314), where \
                         Newton's method from x0 stops)",
                    )
                } else {
                    k
                }
            },
        ),
        entry(
            19,
            "osborne-2",
            "Osborne 2: 65 points of an exponential plus three Gaussians",
            NRule::Fixed(11),
            11,
            fixed_m(65),
            r19,
            |_| vec![1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5],
            |_| computed(4.01377e-2, &OSBORNE2_X),
        ),
        entry(
            20,
            "watson",
            "Watson: polynomial fit to an ODE's solution, 31 residuals",
            NRule::Range {
                min: 2,
                max: Some(31),
                step: 1,
            },
            6,
            fixed_m(31),
            r20,
            |d| vec![0.0; d.n],
            |d| match d.n {
                6 => computed(2.28767e-3, &WATSON6_X),
                9 => computed(1.39976e-6, &WATSON9_X),
                12 => computed(4.72238e-10, &WATSON12_X),
                _ => note(
                    value_only(None),
                    "the paper reports f* only for n = 6, 9 and 12",
                ),
            },
        ),
        entry(
            21,
            "extended-rosenbrock",
            "Extended Rosenbrock: n/2 independent Rosenbrock pairs",
            NRule::Range {
                min: 2,
                max: None,
                step: 2,
            },
            10,
            M_EQ_N,
            r21,
            |d| {
                (0..d.n)
                    .map(|j| if j % 2 == 0 { -1.2 } else { 1.0 })
                    .collect()
            },
            |d| zero_at(vec![1.0; d.n]),
        ),
        entry(
            22,
            "extended-powell-singular",
            "Extended Powell singular: n/4 independent copies of Powell's singular function",
            NRule::Range {
                min: 4,
                max: None,
                step: 4,
            },
            12,
            M_EQ_N,
            r22,
            |d| (0..d.n).map(|j| [3.0, -1.0, 0.0, 1.0][j % 4]).collect(),
            |d| zero_at(vec![0.0; d.n]),
        ),
        entry(
            23,
            "penalty-1",
            "Penalty function I: a·Σ(xⱼ − 1)² plus (Σxⱼ² − 1/4)², a = 1e-5",
            any_n(1),
            10,
            MRule::Linked { a: 1, b: 1 },
            r23,
            |d| (1..=d.n).map(|j| j as f64).collect(),
            known23,
        ),
        entry(
            24,
            "penalty-2",
            "Penalty function II: exponential penalties plus a weighted norm constraint",
            any_n(1),
            10,
            MRule::Linked { a: 2, b: 0 },
            r24,
            |d| vec![0.5; d.n],
            |d| match d.n {
                4 => computed(9.37629e-6, &PENALTY2_4_X),
                10 => computed(2.93660e-4, &PENALTY2_10_X),
                _ => note(
                    value_only(None),
                    "the paper reports f* only for n = 4 and 10",
                ),
            },
        ),
        entry(
            25,
            "variably-dimensioned",
            "Variably dimensioned: xⱼ − 1 plus the weighted sum s and s²",
            any_n(1),
            10,
            MRule::Linked { a: 1, b: 2 },
            r25,
            |d| (1..=d.n).map(|j| 1.0 - j as f64 / d.n as f64).collect(),
            |d| zero_at(vec![1.0; d.n]),
        ),
        entry(
            26,
            "trigonometric",
            "Trigonometric: n − Σcos xⱼ + i(1 − cos xᵢ) − sin xᵢ",
            any_n(1),
            10,
            M_EQ_N,
            r26,
            |d| vec![1.0 / d.n as f64; d.n],
            |_| {
                note(
                    value_only(Some(0.0)),
                    "the paper gives f* = 0 without a minimizer; local minima with f > 0 \
                     exist (for n = 10, Newton's method from x0 stops at f = 2.79506e-5)",
                )
            },
        ),
        entry(
            27,
            "brown-almost-linear",
            "Brown almost-linear: n − 1 linear residuals and one product",
            any_n(1),
            10,
            M_EQ_N,
            r27,
            |d| vec![0.5; d.n],
            |d| {
                note(
                    zero_at(vec![1.0; d.n]),
                    format!(
                        "f = 0 at (α, …, α, α^(1−n)) for every root α of nαⁿ − (n+1)α^(n−1) + 1 \
                         (α = 1 here); the paper also lists f = 1 at (0, …, 0, {})",
                        d.n + 1
                    ),
                )
            },
        ),
        entry(
            28,
            "discrete-boundary-value",
            "Discrete two-point boundary value problem u'' = (u + t + 1)³/2",
            any_n(1),
            10,
            M_EQ_N,
            r28,
            start_t_t_minus_1,
            |_| {
                note(
                    value_only(Some(0.0)),
                    "f* = 0 at the discrete solution, which has no closed form",
                )
            },
        ),
        entry(
            29,
            "discrete-integral-equation",
            "Discrete integral equation (trapezoidal rule) of the same boundary value problem",
            any_n(1),
            10,
            M_EQ_N,
            r29,
            start_t_t_minus_1,
            |_| {
                note(
                    value_only(Some(0.0)),
                    "f* = 0 at the discrete solution, which has no closed form",
                )
            },
        ),
        entry(
            30,
            "broyden-tridiagonal",
            "Broyden tridiagonal: (3 − 2xᵢ)xᵢ − xᵢ₋₁ − 2xᵢ₊₁ + 1",
            any_n(1),
            10,
            M_EQ_N,
            r30,
            |d| vec![-1.0; d.n],
            |_| {
                note(
                    value_only(Some(0.0)),
                    "f* = 0 at a root of the system, which has no closed form",
                )
            },
        ),
        entry(
            31,
            "broyden-banded",
            "Broyden banded: xᵢ(2 + 5xᵢ²) + 1 − Σ over 5 lower and 1 upper neighbours",
            any_n(1),
            10,
            M_EQ_N,
            r31,
            |d| vec![-1.0; d.n],
            |_| {
                note(
                    value_only(Some(0.0)),
                    "f* = 0 at a root of the system, which has no closed form",
                )
            },
        ),
        entry(
            32,
            "linear-full-rank",
            "Linear function of full rank: xᵢ − (2/m)Σxⱼ − 1",
            any_n(1),
            10,
            MRule::Free {
                min: 1,
                max: None,
                at_least_n: true,
                default_a: 2,
                default_b: 0,
            },
            r32,
            |d| vec![1.0; d.n],
            |d| Known {
                f_star: Some((d.m - d.n) as f64),
                x_star: Some(vec![-1.0; d.n]),
                notes: vec![],
            },
        ),
        entry(
            33,
            "linear-rank-1",
            "Linear function of rank 1: i·Σ j xⱼ − 1",
            any_n(1),
            10,
            MRule::Free {
                min: 1,
                max: None,
                at_least_n: true,
                default_a: 2,
                default_b: 0,
            },
            r33,
            |d| vec![1.0; d.n],
            |d| {
                let m = d.m as f64;
                let mut x = vec![0.0; d.n];
                x[0] = 3.0 / (2.0 * m + 1.0);
                Known {
                    f_star: Some(m * (m - 1.0) / (2.0 * (2.0 * m + 1.0))),
                    x_star: Some(x),
                    notes: vec![
                        "minimizers: every x with Σ j xⱼ = 3/(2m + 1) (x_star is one)".into(),
                    ],
                }
            },
        ),
        entry(
            34,
            "linear-rank-1-zero-columns-rows",
            "Linear function of rank 1 with zero columns and rows",
            any_n(3),
            10,
            MRule::Free {
                min: 3,
                max: None,
                at_least_n: true,
                default_a: 2,
                default_b: 0,
            },
            r34,
            |d| vec![1.0; d.n],
            |d| {
                let m = d.m as f64;
                let mut x = vec![0.0; d.n];
                x[1] = 3.0 / (2.0 * (2.0 * m - 3.0));
                Known {
                    f_star: Some((m * m + 3.0 * m - 6.0) / (2.0 * (2.0 * m - 3.0))),
                    x_star: Some(x),
                    notes: vec![
                        "minimizers: every x with Σ_{j=2}^{n−1} j xⱼ = 3/(2m − 3) (x_star is one)"
                            .into(),
                    ],
                }
            },
        ),
        entry(
            35,
            "chebyquad",
            "Fletcher's Chebyquad: equal-weight quadrature nodes for shifted Chebyshev polynomials",
            any_n(1),
            8,
            MRule::Free {
                min: 1,
                max: None,
                at_least_n: true,
                default_a: 1,
                default_b: 0,
            },
            r35,
            |d| (1..=d.n).map(|j| j as f64 / (d.n + 1) as f64).collect(),
            known35,
        ),
    ]
}

fn start_t_t_minus_1(d: Dims) -> Vec<f64> {
    let h = 1.0 / (d.n + 1) as f64;
    (1..=d.n)
        .map(|j| {
            let t = j as f64 * h;
            t * (t - 1.0)
        })
        .collect()
}

// ---- 1–19: fixed dimensions ----

/// Rosenbrock: `f₁ = 10(x₂ − x₁²)`, `f₂ = 1 − x₁`.
fn r01(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2) = (at(x, 0), at(x, 1));
    cat(&[(&x2 - x1.square()) * 10.0, 1.0 - &x1])
}

/// Freudenstein and Roth.
fn r02(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2) = (at(x, 0), at(x, 1));
    let f1 = &x1 - 13.0 + ((5.0 - &x2) * &x2 - 2.0) * &x2;
    let f2 = &x1 - 29.0 + ((&x2 + 1.0) * &x2 - 14.0) * &x2;
    cat(&[f1, f2])
}

/// Powell badly scaled: `f₁ = 10⁴x₁x₂ − 1`, `f₂ = e^{−x₁} + e^{−x₂} − 1.0001`.
fn r03(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2) = (at(x, 0), at(x, 1));
    let f1 = &x1 * &x2 * 1e4 - 1.0;
    let f2 = (-&x1).exp() + (-&x2).exp() - 1.0001;
    cat(&[f1, f2])
}

/// Brown badly scaled.
fn r04(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2) = (at(x, 0), at(x, 1));
    cat(&[&x1 - 1e6, &x2 - 2e-6, &x1 * &x2 - 2.0])
}

/// Beale: `fᵢ = yᵢ − x₁(1 − x₂ⁱ)`, `y = (1.5, 2.25, 2.625)`.
fn r05(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2) = (at(x, 0), at(x, 1));
    let pows = cat(&[x2.clone(), x2.square(), x2.powi(3)]);
    table(x, &[1.5, 2.25, 2.625]) - (1.0 - pows) * x1
}

/// Jennrich and Sampson: `fᵢ = 2 + 2i − (e^{i x₁} + e^{i x₂})`.
fn r06(x: &Tensor, d: Dims) -> Tensor {
    let i = index1(x, d.m);
    let e = (&i * at(x, 0)).exp() + (&i * at(x, 1)).exp();
    &i * 2.0 + 2.0 - e
}

/// Helical valley: `f₁ = 10(x₃ − 10θ)`, `f₂ = 10(‖(x₁, x₂)‖ − 1)`, `f₃ = x₃`
/// with `2πθ = arctan(x₂/x₁)` (plus π when `x₁ < 0`).
fn r07(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2, x3) = (at(x, 0), at(x, 1), at(x, 2));
    let half_turn = x1.compare_scalar(CmpOp::Lt, 0.0) * 0.5;
    let theta = (&x2 / &x1).atan() * (0.5 / std::f64::consts::PI) + half_turn;
    let f1 = (&x3 - theta * 10.0) * 10.0;
    let f2 = ((x1.square() + x2.square()).sqrt() - 1.0) * 10.0;
    cat(&[f1, f2, x3])
}

const BARD_Y: [f64; 15] = [
    0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39,
];

/// Bard: `fᵢ = yᵢ − (x₁ + uᵢ/(vᵢx₂ + wᵢx₃))`, `uᵢ = i`, `vᵢ = 16 − i`,
/// `wᵢ = min(uᵢ, vᵢ)`.
fn r08(x: &Tensor, _: Dims) -> Tensor {
    let u = index1(x, 15);
    let v = 16.0 - &u;
    let w = u.minimum(&v);
    let model = at(x, 0) + &u / (v * at(x, 1) + w * at(x, 2));
    table(x, &BARD_Y) - model
}

const GAUSSIAN_Y: [f64; 15] = [
    0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540,
    0.0175, 0.0044, 0.0009,
];

/// Gaussian: `fᵢ = x₁ exp(−x₂(tᵢ − x₃)²/2) − yᵢ`, `tᵢ = (8 − i)/2`.
fn r09(x: &Tensor, _: Dims) -> Tensor {
    let t = (8.0 - index1(x, 15)) * 0.5;
    let z = (t - at(x, 2)).square() * at(x, 1) * -0.5;
    z.exp() * at(x, 0) - table(x, &GAUSSIAN_Y)
}

const MEYER_Y: [f64; 16] = [
    34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0, 7030.0, 6005.0,
    5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
];

/// Meyer: `fᵢ = x₁ exp(x₂/(tᵢ + x₃)) − yᵢ`, `tᵢ = 45 + 5i`.
fn r10(x: &Tensor, _: Dims) -> Tensor {
    let t = index1(x, 16) * 5.0 + 45.0;
    (at(x, 1) / (t + at(x, 2))).exp() * at(x, 0) - table(x, &MEYER_Y)
}

/// Gulf research and development: `fᵢ = exp(−|yᵢ − x₂|^{x₃}/x₁) − tᵢ`,
/// `tᵢ = i/100`, `yᵢ = 25 + (−50 ln tᵢ)^{2/3}`.
fn r11(x: &Tensor, d: Dims) -> Tensor {
    let t = index1(x, d.m) * 0.01;
    let y = (t.ln() * -50.0).powf(2.0 / 3.0) + 25.0;
    let x3 = at(x, 2).broadcast_to(&[d.m]);
    let p = (y - at(x, 1)).abs().pow(&x3);
    (-(p / at(x, 0))).exp() - t
}

/// Box three-dimensional: `fᵢ = e^{−tᵢx₁} − e^{−tᵢx₂} − x₃(e^{−tᵢ} − e^{−10tᵢ})`,
/// `tᵢ = i/10`.
fn r12(x: &Tensor, d: Dims) -> Tensor {
    let t = index1(x, d.m) * 0.1;
    let c = (-&t).exp() - (&t * -10.0).exp();
    (&t * -at(x, 0)).exp() - (&t * -at(x, 1)).exp() - c * at(x, 2)
}

/// Powell singular.
fn r13(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2, x3, x4) = (at(x, 0), at(x, 1), at(x, 2), at(x, 3));
    cat(&[
        &x1 + &x2 * 10.0,
        (&x3 - &x4) * 5f64.sqrt(),
        (&x2 - &x3 * 2.0).square(),
        (&x1 - &x4).square() * 10f64.sqrt(),
    ])
}

/// Wood.
fn r14(x: &Tensor, _: Dims) -> Tensor {
    let (x1, x2, x3, x4) = (at(x, 0), at(x, 1), at(x, 2), at(x, 3));
    cat(&[
        (&x2 - x1.square()) * 10.0,
        1.0 - &x1,
        (&x4 - x3.square()) * 90f64.sqrt(),
        1.0 - &x3,
        (&x2 + &x4 - 2.0) * 10f64.sqrt(),
        (&x2 - &x4) * 10f64.sqrt().recip(),
    ])
}

const KOWALIK_OSBORNE_Y: [f64; 11] = [
    0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246,
];
const KOWALIK_OSBORNE_U: [f64; 11] = [
    4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625,
];

/// Kowalik and Osborne: `fᵢ = yᵢ − x₁(uᵢ² + uᵢx₂)/(uᵢ² + uᵢx₃ + x₄)`.
fn r15(x: &Tensor, _: Dims) -> Tensor {
    let u = table(x, &KOWALIK_OSBORNE_U);
    let u2 = u.square();
    let num = &u2 + &u * at(x, 1);
    let den = u2 + &u * at(x, 2) + at(x, 3);
    table(x, &KOWALIK_OSBORNE_Y) - num / den * at(x, 0)
}

/// Brown and Dennis: `fᵢ = (x₁ + tᵢx₂ − e^{tᵢ})² + (x₃ + x₄ sin tᵢ − cos tᵢ)²`,
/// `tᵢ = i/5`.
fn r16(x: &Tensor, d: Dims) -> Tensor {
    let t = index1(x, d.m) * 0.2;
    let a = &t * at(x, 1) + at(x, 0) - t.exp();
    let b = t.sin() * at(x, 3) + at(x, 2) - t.cos();
    a.square() + b.square()
}

const OSBORNE1_Y: [f64; 33] = [
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685,
    0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448,
    0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
];

/// Osborne 1: `fᵢ = yᵢ − (x₁ + x₂e^{−tᵢx₄} + x₃e^{−tᵢx₅})`, `tᵢ = 10(i − 1)`.
fn r17(x: &Tensor, _: Dims) -> Tensor {
    let t = iota(x, 33) * 10.0;
    let model = at(x, 0) + (&t * -at(x, 3)).exp() * at(x, 1) + (&t * -at(x, 4)).exp() * at(x, 2);
    table(x, &OSBORNE1_Y) - model
}

/// Biggs EXP6: `fᵢ = x₃e^{−tᵢx₁} − x₄e^{−tᵢx₂} + x₆e^{−tᵢx₅} − yᵢ`,
/// `tᵢ = i/10`, `yᵢ = e^{−tᵢ} − 5e^{−10tᵢ} + 3e^{−4tᵢ}`.
fn r18(x: &Tensor, d: Dims) -> Tensor {
    let t = index1(x, d.m) * 0.1;
    let y = (-&t).exp() - (&t * -10.0).exp() * 5.0 + (&t * -4.0).exp() * 3.0;
    let e = |k: usize| (&t * -at(x, k)).exp();
    e(0) * at(x, 2) - e(1) * at(x, 3) + e(4) * at(x, 5) - y
}

const OSBORNE2_Y: [f64; 65] = [
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608,
    0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661,
    0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428,
    0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559,
    0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
];

/// Osborne 2: `fᵢ = yᵢ − (x₁e^{−tᵢx₅} + Σ_{k=2}^{4} x_k e^{−(tᵢ − x_{k+7})² x_{k+4}})`,
/// `tᵢ = (i − 1)/10`.
fn r19(x: &Tensor, _: Dims) -> Tensor {
    let t = iota(x, 65) * 0.1;
    let mut model = (&t * -at(x, 4)).exp() * at(x, 0);
    for k in 1..4 {
        let bump = ((&t - at(x, k + 7)).square() * -at(x, k + 4)).exp();
        model = model + bump * at(x, k);
    }
    table(x, &OSBORNE2_Y) - model
}

/// Watson: for `i ≤ 29`, `tᵢ = i/29`,
/// `fᵢ = Σ_{j=2}^{n} (j − 1)xⱼtᵢ^{j−2} − (Σ_{j=1}^{n} xⱼtᵢ^{j−1})² − 1`;
/// `f₃₀ = x₁`, `f₃₁ = x₂ − x₁² − 1`.
fn r20(x: &Tensor, d: Dims) -> Tensor {
    let n = d.n;
    let t = index1(x, 29) * (1.0 / 29.0);
    // Vandermonde columns t⁰ … t^{n−1} as a 29 × n matrix.
    let mut cols = vec![fill(x, 1.0, 29)];
    for k in 1..n {
        let next = &cols[k - 1] * &t;
        cols.push(next);
    }
    let v = cols[0].stack(&cols[1..], 1);
    let s2 = v.matmul(x);
    let weighted = x.slice_axis(0, 1, n, 1) * index1(x, n - 1);
    let s1 = v.slice_axis(1, 0, n - 1, 1).matmul(&weighted);
    let (x1, x2) = (at(x, 0), at(x, 1));
    cat(&[s1 - s2.square() - 1.0, x1.clone(), x2 - x1.square() - 1.0])
}

// ---- 21–35: variable dimensions ----

/// Extended Rosenbrock: `f_{2i−1} = 10(x_{2i} − x_{2i−1}²)`, `f_{2i} = 1 − x_{2i−1}`.
fn r21(x: &Tensor, d: Dims) -> Tensor {
    let odd = x.slice_axis(0, 0, d.n, 2);
    let even = x.slice_axis(0, 1, d.n, 2);
    interleave(&[(even - odd.square()) * 10.0, 1.0 - odd])
}

/// Extended Powell singular, by groups of four.
fn r22(x: &Tensor, d: Dims) -> Tensor {
    let g = |k: usize| x.slice_axis(0, k, d.n, 4);
    let (a, b, c, e) = (g(0), g(1), g(2), g(3));
    interleave(&[
        &a + &b * 10.0,
        (&c - &e) * 5f64.sqrt(),
        (&b - &c * 2.0).square(),
        (&a - &e).square() * 10f64.sqrt(),
    ])
}

const PENALTY_A: f64 = 1e-5;

/// Penalty I: `fᵢ = √a(xᵢ − 1)`, `f_{n+1} = Σxⱼ² − 1/4`.
fn r23(x: &Tensor, _: Dims) -> Tensor {
    cat(&[(x - 1.0) * PENALTY_A.sqrt(), x.square().sum() - 0.25])
}

/// Penalty I's minimizer is `(t, …, t)` (the norm term is invariant under
/// rotations and the linear term is least along the diagonal), with `t` the
/// positive root of `a(t − 1) + 2t(nt² − 1/4) = 0`, found by Newton's method.
fn known23(d: Dims) -> Known {
    let n = d.n as f64;
    let a = PENALTY_A;
    let g = |t: f64| 2.0 * n * t * t * t + (a - 0.5) * t - a;
    let dg = |t: f64| 6.0 * n * t * t + (a - 0.5);
    let mut t = 1.0;
    for _ in 0..100 {
        let step = g(t) / dg(t);
        t -= step;
        if step.abs() <= 1e-17 * t.abs() {
            break;
        }
    }
    let f = n * a * (t - 1.0) * (t - 1.0) + (n * t * t - 0.25).powi(2);
    let mut notes = vec![
        "the minimizer (t, …, t) and f* are computed from the stationarity condition of the \
         symmetric reduction; the paper reports f = 2.24997e-5 for n = 4 and 7.08765e-5 for \
         n = 10"
            .to_string(),
    ];
    if d.n == 1 {
        notes.push("for n = 1 the problem is a one-variable quartic".into());
    }
    Known {
        f_star: Some(f),
        x_star: Some(vec![t; d.n]),
        notes,
    }
}

/// Penalty II: `f₁ = x₁ − 0.2`; for `2 ≤ i ≤ n`,
/// `fᵢ = √a(e^{xᵢ/10} + e^{x_{i−1}/10} − yᵢ)` with `yᵢ = e^{i/10} + e^{(i−1)/10}`;
/// for `n < i < 2n`, `fᵢ = √a(e^{x_{i−n+1}/10} − e^{−1/10})`;
/// `f_{2n} = Σ (n − j + 1)xⱼ² − 1`.
fn r24(x: &Tensor, d: Dims) -> Tensor {
    let n = d.n;
    let sa = PENALTY_A.sqrt();
    let w = (n as f64 + 1.0) - index1(x, n);
    let last = (w * x.square()).sum() - 1.0;
    let first = at(x, 0) - 0.2;
    if n == 1 {
        return cat(&[first, last]);
    }
    let e = (x * 0.1).exp();
    let hi = e.slice_axis(0, 1, n, 1);
    let lo = e.slice_axis(0, 0, n - 1, 1);
    let i = iota(x, n - 1) + 2.0;
    let y = (&i * 0.1).exp() + ((i - 1.0) * 0.1).exp();
    let mid = (&hi + lo - y) * sa;
    let tail = (hi - (-0.1f64).exp()) * sa;
    cat(&[first, mid, tail, last])
}

/// Variably dimensioned: `fᵢ = xᵢ − 1`, `f_{n+1} = s`, `f_{n+2} = s²`,
/// `s = Σ j(xⱼ − 1)`.
fn r25(x: &Tensor, d: Dims) -> Tensor {
    let r = x - 1.0;
    let s = (index1(x, d.n) * &r).sum();
    cat(&[r, s.clone(), s.square()])
}

/// Trigonometric: `fᵢ = n − Σ cos xⱼ + i(1 − cos xᵢ) − sin xᵢ`.
fn r26(x: &Tensor, d: Dims) -> Tensor {
    let c = x.cos();
    let s = d.n as f64 - c.sum();
    index1(x, d.n) * (1.0 - c) - x.sin() + s
}

/// Brown almost-linear: `fᵢ = xᵢ + Σxⱼ − (n + 1)` for `i < n`, `f_n = Πxⱼ − 1`.
fn r27(x: &Tensor, d: Dims) -> Tensor {
    let n = d.n;
    let last = x.prod() - 1.0;
    if n == 1 {
        return last.reshape(&[1]);
    }
    let head = x.slice_axis(0, 0, n - 1, 1) + x.sum() - (n as f64 + 1.0);
    cat(&[head, last])
}

/// `tᵢ = i h`, `h = 1/(n + 1)`.
fn grid(x: &Tensor, n: usize) -> (Tensor, f64) {
    let h = 1.0 / (n as f64 + 1.0);
    (index1(x, n) * h, h)
}

/// Discrete boundary value: `fᵢ = 2xᵢ − xᵢ₋₁ − xᵢ₊₁ + h²(xᵢ + tᵢ + 1)³/2`,
/// `x₀ = x_{n+1} = 0`.
fn r28(x: &Tensor, d: Dims) -> Tensor {
    let (t, h) = grid(x, d.n);
    x * 2.0 - shift_down(x, 1) - shift_up(x, 1) + (x + t + 1.0).powi(3) * (h * h / 2.0)
}

/// Discrete integral equation:
/// `fᵢ = xᵢ + h[(1 − tᵢ)Σ_{j≤i} tⱼ cⱼ + tᵢ Σ_{j>i} (1 − tⱼ)cⱼ]/2`,
/// `cⱼ = (xⱼ + tⱼ + 1)³`.
fn r29(x: &Tensor, d: Dims) -> Tensor {
    let (t, h) = grid(x, d.n);
    let c = (x + &t + 1.0).powi(3);
    let lower = cumsum(&(&t * &c));
    let upper_terms = (1.0 - &t) * c;
    let upper = upper_terms.sum() - cumsum(&upper_terms);
    x + ((1.0 - &t) * lower + t * upper) * (h / 2.0)
}

/// Broyden tridiagonal: `fᵢ = (3 − 2xᵢ)xᵢ − xᵢ₋₁ − 2xᵢ₊₁ + 1`.
fn r30(x: &Tensor, _: Dims) -> Tensor {
    (3.0 - x * 2.0) * x - shift_down(x, 1) - shift_up(x, 1) * 2.0 + 1.0
}

/// Broyden banded: `fᵢ = xᵢ(2 + 5xᵢ²) + 1 − Σ_{j ∈ Jᵢ} xⱼ(1 + xⱼ)`,
/// `Jᵢ = {j ≠ i : max(1, i − 5) ≤ j ≤ min(n, i + 1)}`.
fn r31(x: &Tensor, _: Dims) -> Tensor {
    let g = x * (x + 1.0);
    let mut band = shift_up(&g, 1);
    for k in 1..=5 {
        band = band + shift_down(&g, k);
    }
    x * (x.square() * 5.0 + 2.0) + 1.0 - band
}

/// Linear, full rank: `fᵢ = xᵢ − (2/m)Σxⱼ − 1` for `i ≤ n`,
/// `fᵢ = −(2/m)Σxⱼ − 1` for `n < i ≤ m`.
fn r32(x: &Tensor, d: Dims) -> Tensor {
    let c = x.sum() * (-2.0 / d.m as f64) - 1.0;
    let head = x + &c;
    if d.m == d.n {
        return head;
    }
    cat(&[head, c.broadcast_to(&[d.m - d.n])])
}

/// Linear, rank 1: `fᵢ = i Σ j xⱼ − 1`.
fn r33(x: &Tensor, d: Dims) -> Tensor {
    let s = (index1(x, d.n) * x).sum();
    index1(x, d.m) * s - 1.0
}

/// Linear, rank 1 with zero columns and rows: `f₁ = f_m = −1`,
/// `fᵢ = (i − 1)Σ_{j=2}^{n−1} j xⱼ − 1` for `2 ≤ i ≤ m − 1`.
fn r34(x: &Tensor, d: Dims) -> Tensor {
    let inner = x.slice_axis(0, 1, d.n - 1, 1);
    let s = ((iota(x, d.n - 2) + 2.0) * inner).sum();
    let mid = index1(x, d.m - 2) * s - 1.0;
    let one = fill(x, -1.0, 1);
    cat(&[one.clone(), mid, one])
}

/// Chebyquad: `fᵢ = (1/n)Σⱼ Tᵢ(xⱼ) − ∫₀¹ Tᵢ`, `Tᵢ` the Chebyshev polynomial
/// shifted to `[0, 1]` (`∫ = 0` for odd `i`, `−1/(i² − 1)` for even `i`).
fn r35(x: &Tensor, d: Dims) -> Tensor {
    let y = x * 2.0 - 1.0;
    let mut prev = fill(x, 1.0, d.n);
    let mut cur = y.clone();
    let mut means = vec![cur.mean()];
    for _ in 1..d.m {
        let next = &y * &cur * 2.0 - &prev;
        prev = cur;
        cur = next;
        means.push(cur.mean());
    }
    let integrals: Vec<f64> = (1..=d.m)
        .map(|i| {
            if i % 2 == 0 {
                -1.0 / ((i * i) as f64 - 1.0)
            } else {
                0.0
            }
        })
        .collect();
    means[0].stack(&means[1..], 0) - table(x, &integrals)
}

fn known35(d: Dims) -> Known {
    if d.m != d.n {
        return note(value_only(None), "the paper reports f* only for m = n");
    }
    match d.n {
        1..=7 | 9 => {
            let mut k = value_only(Some(0.0));
            if let Some(x) = chebyquad_nodes(d.n) {
                k.x_star = Some(x);
                k.notes.push(
                    "minimizer: the equal-weight (Chebyshev) quadrature nodes, computed with \
                     Newton's method; any permutation is one too"
                        .into(),
                );
            }
            k
        }
        8 => computed(3.51687e-3, &CHEBYQUAD8_X),
        10 => computed(6.50395e-3, &CHEBYQUAD10_X),
        _ => note(
            value_only(None),
            "the paper reports f* only for m = n <= 10",
        ),
    }
}

fn chebyquad_nodes(n: usize) -> Option<Vec<f64>> {
    match n {
        1 => Some(vec![0.5]),
        2 => Some(CHEBYQUAD2_X.to_vec()),
        3 => Some(CHEBYQUAD3_X.to_vec()),
        4 => Some(CHEBYQUAD4_X.to_vec()),
        5 => Some(CHEBYQUAD5_X.to_vec()),
        6 => Some(CHEBYQUAD6_X.to_vec()),
        7 => Some(CHEBYQUAD7_X.to_vec()),
        9 => Some(CHEBYQUAD9_X.to_vec()),
        _ => None,
    }
}

// ---- minimizers computed with Newton's method (the paper gives values only) ----
//
// Each was refined with damped Newton steps on the traced function until the
// gradient stopped decreasing (‖∇f‖ ≲ 1e-12 relative), starting near the
// paper's digits or from x0; each attains the paper's f* to the paper's
// six digits, which is what checks the data tables above.

const POWELL_BADLY_SCALED_X: [f64; 2] = [1.0981593297546687e-5, 9.106146739411688];
const JENNRICH_SAMPSON_X: [f64; 2] = [0.2578252136703641, 0.2578252136703641];
const BARD_X: [f64; 3] = [0.08241055974978904, 1.1330360920297236, 2.3436951786425357];
const GAUSSIAN_X: [f64; 3] = [0.39895613783875644, 1.0000190844878023, 0.0];
const MEYER_X: [f64; 3] = [5.60963701210302e-3, 6181.34626587041, 345.22363191708];
const KOWALIK_OSBORNE_X: [f64; 4] = [
    0.1928069345790379,
    0.19128232873436674,
    0.12305650692632066,
    0.13606233068379472,
];
const BROWN_DENNIS_X: [f64; 4] = [
    -11.594439904762273,
    13.203630051207197,
    -0.40343948817681163,
    0.23677877445564133,
];
const OSBORNE1_X: [f64; 5] = [
    0.37541005210695605,
    1.9358469127128253,
    -1.464687136613884,
    0.012867534640058223,
    0.022122699661670773,
];
const OSBORNE2_X: [f64; 11] = [
    1.3099771546273007,
    0.4315537946029891,
    0.633661698960724,
    0.5994305347859167,
    0.7541832263280116,
    0.9042885798596324,
    1.3658118352370305,
    4.823698817227148,
    2.398684866131755,
    4.568874597667672,
    5.6753414705806415,
];
const WATSON6_X: [f64; 6] = [
    -0.01572508640145842,
    1.0124348693691096,
    -0.23299162595673656,
    1.2604300877996049,
    -1.5137289227222757,
    0.9929964324311329,
];
const WATSON9_X: [f64; 9] = [
    -1.530703652195561e-5,
    0.9997897039319484,
    0.014763963693558452,
    0.14634232829932622,
    1.0008211030049197,
    -2.617731140519596,
    4.104403164479674,
    -3.14361227855701,
    1.05262640801032,
];
const WATSON12_X: [f64; 12] = [
    -6.6380605016350415e-9,
    1.0000016441178623,
    -5.639322103376076e-4,
    0.34782054050350997,
    -0.1567315040884981,
    1.0528151771568715,
    -3.2472711532734326,
    7.288434897518447,
    -10.271848240735245,
    9.074113646579269,
    -4.54137546646019,
    1.0120118885066034,
];
const PENALTY2_4_X: [f64; 4] = [
    0.1999993333503804,
    0.19131670099277506,
    0.480101485332629,
    0.5188454043901872,
];
const PENALTY2_10_X: [f64; 10] = [
    0.1999836051978236,
    0.010350648471614784,
    0.019604934481067517,
    0.032089067221773286,
    0.049932677401467264,
    0.07651399515708127,
    0.11862407287486129,
    0.19214487234495298,
    0.34732058695322393,
    0.3691643741107321,
];
const CHEBYQUAD2_X: [f64; 2] = [0.21132486540518713, 0.7886751345948129];
const CHEBYQUAD3_X: [f64; 3] = [0.14644660940672624, 0.5, 0.8535533905932737];
const CHEBYQUAD4_X: [f64; 4] = [
    0.10267276385411894,
    0.40620376295746463,
    0.5937962370425354,
    0.8973272361458811,
];
const CHEBYQUAD5_X: [f64; 5] = [
    0.08375125649950907,
    0.31272929522320947,
    0.5,
    0.6872707047767905,
    0.9162487435004909,
];
const CHEBYQUAD6_X: [f64; 6] = [
    0.06687659094608962,
    0.28874067311944385,
    0.3666822992416479,
    0.6333177007583521,
    0.7112593268805562,
    0.9331234090539103,
];
const CHEBYQUAD7_X: [f64; 7] = [
    0.05806914962097542,
    0.23517161235742148,
    0.3380440947400462,
    0.5,
    0.6619559052599538,
    0.7648283876425785,
    0.9419308503790246,
];
// n = 8 and 10: local minima with coincident nodes (the Hessian is singular
// along their difference); the pairs are symmetrized about 1/2.
const CHEBYQUAD8_X: [f64; 8] = [
    0.04315276015101665,
    0.1930908403841862,
    0.26632870689027277,
    0.5,
    0.5,
    0.7336712931097271,
    0.8069091596158138,
    0.9568472398489833,
];
const CHEBYQUAD9_X: [f64; 9] = [
    0.044205346135782767,
    0.19949067230988088,
    0.23561910847106005,
    0.41604690789259796,
    0.5,
    0.5839530921074019,
    0.7643808915289401,
    0.8005093276901191,
    0.9557946538642172,
];
const CHEBYQUAD10_X: [f64; 10] = [
    0.05961990053580711,
    0.16670828183585265,
    0.23917065894259837,
    0.3988842923060398,
    0.3988842923060398,
    0.6011157076939602,
    0.6011157076939602,
    0.7608293410574017,
    0.8332917181641474,
    0.9403800994641929,
];
