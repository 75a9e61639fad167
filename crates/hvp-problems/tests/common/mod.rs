//! Plain-`f64` implementations of every problem, written from the paper's
//! formulas with 1-based loops (no tracer, no vectorization): the oracle the
//! traced functions are checked against.

#![allow(dead_code)]

use hvp_problems::Problem;
use std::f64::consts::PI;

/// The paper's residuals `f₁ … f_m` at `x`, 1-based as printed: `x(j)` is
/// the paper's `x_j`.
pub fn residuals(name: &str, n: usize, m: usize, xs: &[f64]) -> Vec<f64> {
    assert_eq!(xs.len(), n);
    let x = |j: usize| xs[j - 1];
    let nf = n as f64;
    let mf = m as f64;
    match name {
        "rosenbrock" => vec![10.0 * (x(2) - x(1) * x(1)), 1.0 - x(1)],
        "freudenstein-roth" => vec![
            -13.0 + x(1) + ((5.0 - x(2)) * x(2) - 2.0) * x(2),
            -29.0 + x(1) + ((x(2) + 1.0) * x(2) - 14.0) * x(2),
        ],
        "powell-badly-scaled" => vec![
            1e4 * x(1) * x(2) - 1.0,
            (-x(1)).exp() + (-x(2)).exp() - 1.0001,
        ],
        "brown-badly-scaled" => vec![x(1) - 1e6, x(2) - 2e-6, x(1) * x(2) - 2.0],
        "beale" => {
            let y = [1.5, 2.25, 2.625];
            (1..=3)
                .map(|i| y[i - 1] - x(1) * (1.0 - x(2).powi(i as i32)))
                .collect()
        }
        "jennrich-sampson" => (1..=m)
            .map(|i| {
                let i = i as f64;
                2.0 + 2.0 * i - ((i * x(1)).exp() + (i * x(2)).exp())
            })
            .collect(),
        "helical-valley" => {
            let mut theta = (x(2) / x(1)).atan() / (2.0 * PI);
            if x(1) < 0.0 {
                theta += 0.5;
            }
            vec![
                10.0 * (x(3) - 10.0 * theta),
                10.0 * ((x(1) * x(1) + x(2) * x(2)).sqrt() - 1.0),
                x(3),
            ]
        }
        "bard" => {
            let y = [
                0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10,
                4.39,
            ];
            (1..=15)
                .map(|i| {
                    let u = i as f64;
                    let v = 16.0 - u;
                    let w = if u < v { u } else { v };
                    y[i - 1] - (x(1) + u / (v * x(2) + w * x(3)))
                })
                .collect()
        }
        "gaussian" => {
            let y = [
                0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420,
                0.1295, 0.0540, 0.0175, 0.0044, 0.0009,
            ];
            (1..=15)
                .map(|i| {
                    let t = (8.0 - i as f64) / 2.0;
                    x(1) * (-x(2) * (t - x(3)) * (t - x(3)) / 2.0).exp() - y[i - 1]
                })
                .collect()
        }
        "meyer" => {
            let y = [
                34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0, 8261.0,
                7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0,
            ];
            (1..=16)
                .map(|i| {
                    let t = 45.0 + 5.0 * i as f64;
                    x(1) * (x(2) / (t + x(3))).exp() - y[i - 1]
                })
                .collect()
        }
        "gulf-research" => (1..=m)
            .map(|i| {
                let t = i as f64 / 100.0;
                let y = 25.0 + (-50.0 * t.ln()).powf(2.0 / 3.0);
                (-(y - x(2)).abs().powf(x(3)) / x(1)).exp() - t
            })
            .collect(),
        "box-3d" => (1..=m)
            .map(|i| {
                let t = 0.1 * i as f64;
                (-t * x(1)).exp() - (-t * x(2)).exp() - x(3) * ((-t).exp() - (-10.0 * t).exp())
            })
            .collect(),
        "powell-singular" => vec![
            x(1) + 10.0 * x(2),
            5f64.sqrt() * (x(3) - x(4)),
            (x(2) - 2.0 * x(3)).powi(2),
            10f64.sqrt() * (x(1) - x(4)).powi(2),
        ],
        "wood" => vec![
            10.0 * (x(2) - x(1) * x(1)),
            1.0 - x(1),
            90f64.sqrt() * (x(4) - x(3) * x(3)),
            1.0 - x(3),
            10f64.sqrt() * (x(2) + x(4) - 2.0),
            (x(2) - x(4)) / 10f64.sqrt(),
        ],
        "kowalik-osborne" => {
            let y = [
                0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235,
                0.0246,
            ];
            let u = [
                4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625,
            ];
            (0..11)
                .map(|i| {
                    let u = u[i];
                    y[i] - x(1) * (u * u + u * x(2)) / (u * u + u * x(3) + x(4))
                })
                .collect()
        }
        "brown-dennis" => (1..=m)
            .map(|i| {
                let t = i as f64 / 5.0;
                (x(1) + t * x(2) - t.exp()).powi(2) + (x(3) + x(4) * t.sin() - t.cos()).powi(2)
            })
            .collect(),
        "osborne-1" => {
            let y = [
                0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718,
                0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467,
                0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406,
            ];
            (1..=33)
                .map(|i| {
                    let t = 10.0 * (i as f64 - 1.0);
                    y[i - 1] - (x(1) + x(2) * (-t * x(4)).exp() + x(3) * (-t * x(5)).exp())
                })
                .collect()
        }
        "biggs-exp6" => (1..=m)
            .map(|i| {
                let t = 0.1 * i as f64;
                let y = (-t).exp() - 5.0 * (-10.0 * t).exp() + 3.0 * (-4.0 * t).exp();
                x(3) * (-t * x(1)).exp() - x(4) * (-t * x(2)).exp() + x(6) * (-t * x(5)).exp() - y
            })
            .collect(),
        "osborne-2" => {
            let y = [
                1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679,
                0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644,
                0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
                0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668,
                0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
                0.428, 0.292, 0.162, 0.098, 0.054,
            ];
            (1..=65)
                .map(|i| {
                    let t = (i as f64 - 1.0) / 10.0;
                    y[i - 1]
                        - (x(1) * (-t * x(5)).exp()
                            + x(2) * (-(t - x(9)).powi(2) * x(6)).exp()
                            + x(3) * (-(t - x(10)).powi(2) * x(7)).exp()
                            + x(4) * (-(t - x(11)).powi(2) * x(8)).exp())
                })
                .collect()
        }
        "watson" => {
            let mut r: Vec<f64> = (1..=29)
                .map(|i| {
                    let t = i as f64 / 29.0;
                    let mut s1 = 0.0;
                    for j in 2..=n {
                        s1 += (j as f64 - 1.0) * x(j) * t.powi(j as i32 - 2);
                    }
                    let mut s2 = 0.0;
                    for j in 1..=n {
                        s2 += x(j) * t.powi(j as i32 - 1);
                    }
                    s1 - s2 * s2 - 1.0
                })
                .collect();
            r.push(x(1));
            r.push(x(2) - x(1) * x(1) - 1.0);
            r
        }
        "extended-rosenbrock" => (1..=n)
            .map(|k| {
                let i = k.div_ceil(2);
                if k % 2 == 1 {
                    10.0 * (x(2 * i) - x(2 * i - 1).powi(2))
                } else {
                    1.0 - x(2 * i - 1)
                }
            })
            .collect(),
        "extended-powell-singular" => (1..=n)
            .map(|k| {
                let i = k.div_ceil(4);
                match k % 4 {
                    1 => x(4 * i - 3) + 10.0 * x(4 * i - 2),
                    2 => 5f64.sqrt() * (x(4 * i - 1) - x(4 * i)),
                    3 => (x(4 * i - 2) - 2.0 * x(4 * i - 1)).powi(2),
                    _ => 10f64.sqrt() * (x(4 * i - 3) - x(4 * i)).powi(2),
                }
            })
            .collect(),
        "penalty-1" => {
            let a: f64 = 1e-5;
            let mut r: Vec<f64> = (1..=n).map(|i| a.sqrt() * (x(i) - 1.0)).collect();
            r.push((1..=n).map(|j| x(j) * x(j)).sum::<f64>() - 0.25);
            r
        }
        "penalty-2" => {
            let a: f64 = 1e-5;
            let mut r = vec![x(1) - 0.2];
            for i in 2..=n {
                let y = (i as f64 / 10.0).exp() + ((i as f64 - 1.0) / 10.0).exp();
                r.push(a.sqrt() * ((x(i) / 10.0).exp() + (x(i - 1) / 10.0).exp() - y));
            }
            for i in n + 1..2 * n {
                r.push(a.sqrt() * ((x(i - n + 1) / 10.0).exp() - (-0.1f64).exp()));
            }
            r.push(
                (1..=n)
                    .map(|j| (nf - j as f64 + 1.0) * x(j) * x(j))
                    .sum::<f64>()
                    - 1.0,
            );
            r
        }
        "variably-dimensioned" => {
            let mut r: Vec<f64> = (1..=n).map(|i| x(i) - 1.0).collect();
            let s: f64 = (1..=n).map(|j| j as f64 * (x(j) - 1.0)).sum();
            r.push(s);
            r.push(s * s);
            r
        }
        "trigonometric" => {
            let sc: f64 = (1..=n).map(|j| x(j).cos()).sum();
            (1..=n)
                .map(|i| nf - sc + i as f64 * (1.0 - x(i).cos()) - x(i).sin())
                .collect()
        }
        "brown-almost-linear" => {
            let s: f64 = xs.iter().sum();
            let mut r: Vec<f64> = (1..n).map(|i| x(i) + s - (nf + 1.0)).collect();
            r.push(xs.iter().product::<f64>() - 1.0);
            r
        }
        "discrete-boundary-value" => {
            let h = 1.0 / (nf + 1.0);
            let xb = |j: usize| if j == 0 || j == n + 1 { 0.0 } else { x(j) };
            (1..=n)
                .map(|i| {
                    let t = i as f64 * h;
                    2.0 * x(i) - xb(i - 1) - xb(i + 1) + h * h * (x(i) + t + 1.0).powi(3) / 2.0
                })
                .collect()
        }
        "discrete-integral-equation" => {
            let h = 1.0 / (nf + 1.0);
            let t = |j: usize| j as f64 * h;
            (1..=n)
                .map(|i| {
                    let mut lower = 0.0;
                    for j in 1..=i {
                        lower += t(j) * (x(j) + t(j) + 1.0).powi(3);
                    }
                    let mut upper = 0.0;
                    for j in i + 1..=n {
                        upper += (1.0 - t(j)) * (x(j) + t(j) + 1.0).powi(3);
                    }
                    x(i) + h * ((1.0 - t(i)) * lower + t(i) * upper) / 2.0
                })
                .collect()
        }
        "broyden-tridiagonal" => {
            let xb = |j: usize| if j == 0 || j == n + 1 { 0.0 } else { x(j) };
            (1..=n)
                .map(|i| (3.0 - 2.0 * x(i)) * x(i) - xb(i - 1) - 2.0 * xb(i + 1) + 1.0)
                .collect()
        }
        "broyden-banded" => (1..=n)
            .map(|i| {
                let lo = if i > 5 { i - 5 } else { 1 };
                let hi = (i + 1).min(n);
                let mut s = 0.0;
                for j in lo..=hi {
                    if j != i {
                        s += x(j) * (1.0 + x(j));
                    }
                }
                x(i) * (2.0 + 5.0 * x(i) * x(i)) + 1.0 - s
            })
            .collect(),
        "linear-full-rank" => {
            let s: f64 = xs.iter().sum();
            (1..=m)
                .map(|i| {
                    let xi = if i <= n { x(i) } else { 0.0 };
                    xi - 2.0 / mf * s - 1.0
                })
                .collect()
        }
        "linear-rank-1" => {
            let s: f64 = (1..=n).map(|j| j as f64 * x(j)).sum();
            (1..=m).map(|i| i as f64 * s - 1.0).collect()
        }
        "linear-rank-1-zero-columns-rows" => {
            let s: f64 = (2..n).map(|j| j as f64 * x(j)).sum();
            (1..=m)
                .map(|i| {
                    if i == 1 || i == m {
                        -1.0
                    } else {
                        (i as f64 - 1.0) * s - 1.0
                    }
                })
                .collect()
        }
        "chebyquad" => (1..=m)
            .map(|i| {
                // Tᵢ on [0, 1] by the three-term recurrence, one node at a time.
                let mut mean = 0.0;
                for j in 1..=n {
                    let y = 2.0 * x(j) - 1.0;
                    let (mut t0, mut t1) = (1.0, y);
                    for _ in 1..i {
                        let t2 = 2.0 * y * t1 - t0;
                        t0 = t1;
                        t1 = t2;
                    }
                    mean += t1 / nf;
                }
                let integral = if i % 2 == 0 {
                    -1.0 / ((i * i) as f64 - 1.0)
                } else {
                    0.0
                };
                mean - integral
            })
            .collect(),
        "chained-rosenbrock" => {
            let mut r = Vec::new();
            for i in 1..n {
                r.push(10.0 * (x(i + 1) - x(i) * x(i)));
                r.push(1.0 - x(i));
            }
            r
        }
        other => panic!("no reference for {other}"),
    }
}

/// The logistic-regression objective from the problem's packed data.
pub fn logistic_value(p: &Problem, w: &[f64], lambda: f64) -> f64 {
    let n = p.n;
    let (a, y) = p.data().split_at(p.m * n);
    let mut loss = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        let z: f64 = (0..n).map(|j| a[i * n + j] * w[j]).sum();
        // ln(1 + e^{−yz}), stably
        let u = -yi * z;
        loss += if u > 0.0 {
            u + (-u).exp().ln_1p()
        } else {
            u.exp().ln_1p()
        };
    }
    loss / p.m as f64 + 0.5 * lambda * w.iter().map(|v| v * v).sum::<f64>()
}

/// The catalog's logistic-regression weight (documented in the crate).
pub const LOGISTIC_LAMBDA: f64 = 1e-2;

/// `f(x)` of any catalog problem, from the references above.
pub fn value(p: &Problem, x: &[f64]) -> f64 {
    if p.is_least_squares() {
        residuals(p.name, p.n, p.m, x).iter().map(|r| r * r).sum()
    } else {
        logistic_value(p, x, LOGISTIC_LAMBDA)
    }
}

/// Max-norm.
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// The instances the tests run: every problem at its defaults, at its
/// smallest allowed `n`, at a larger awkward `n` (not a power of two, to
/// exercise the doubling index vectors and prefix sums), at a non-default
/// `m` where `m` is free, and at each `n` for which the paper reports f*.
pub fn instances() -> Vec<Problem> {
    use hvp_problems::{all, MRule, NRule};
    let mut out = Vec::new();
    for spec in all() {
        let mut dims: Vec<(Option<usize>, Option<usize>)> = vec![(None, None)];
        if let NRule::Range { min, max, step } = spec.n_rule {
            dims.push((Some(min), None));
            let big = 37usize.div_ceil(step) * step;
            if max.is_none_or(|mx| big <= mx) && spec.name != "chained-rosenbrock" {
                dims.push((Some(big), None));
            }
        }
        if let MRule::Free { max, .. } = spec.m_rule {
            let m = spec.m_rule.default_m(spec.default_n) + 3;
            if max.is_none_or(|mx| m <= mx) {
                dims.push((None, Some(m)));
            }
        }
        let extra_n: &[usize] = match spec.name {
            "watson" => &[9, 12, 31],
            "penalty-1" | "penalty-2" => &[4],
            "chebyquad" => &[2, 3, 4, 5, 6, 7, 9, 10],
            "chained-rosenbrock" => &[2, 3, 101],
            _ => &[],
        };
        dims.extend(extra_n.iter().map(|&n| (Some(n), None)));
        for (n, m) in dims {
            out.push(
                spec.problem_with(n, m)
                    .expect("catalog dimensions are allowed"),
            );
        }
    }
    out
}

/// A point near `x0`: each entry moved by up to 20 % of its size (at least
/// 0.02), deterministic per problem.
pub fn near_start(p: &Problem, seed: u64) -> Vec<f64> {
    let mut rng = hvp_testkit::TestRng::new(seed ^ ((p.n as u64) << 8) ^ (p.m as u64));
    p.x0.iter()
        .map(|&v| v + 0.2 * v.abs().max(0.1) * rng.uniform(-1.0, 1.0))
        .collect()
}

/// A direction scaled entrywise like `x` (at least 0.1), so a step along it
/// moves every variable in proportion to its size.
pub fn scaled_direction(x: &[f64], seed: u64) -> Vec<f64> {
    let mut rng = hvp_testkit::TestRng::new(seed);
    x.iter()
        .map(|&v| v.abs().max(0.1) * rng.uniform(-1.0, 1.0))
        .collect()
}

/// Label for messages.
pub fn label(p: &Problem) -> String {
    format!("{} (n = {}, m = {})", p.name, p.n, p.m)
}
