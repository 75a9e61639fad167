//! Analytic test problems as `FnObjective`s.
#![allow(dead_code)]

use hvp_optim::FnObjective;

/// A boxed objective type for the helpers below.
pub type Obj = FnObjective<
    Box<dyn Fn(&[f64]) -> f64>,
    Box<dyn Fn(&[f64], &mut [f64])>,
    Box<dyn Fn(&[f64]) -> Vec<f64>>,
>;

/// 2-D Rosenbrock `100 (y − x²)² + (1 − x)²`.
pub fn rosenbrock() -> Obj {
    FnObjective::new(
        2,
        Box::new(|x: &[f64]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2)),
        Box::new(|x: &[f64], g: &mut [f64]| {
            g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
        }),
        Box::new(|x: &[f64]| {
            vec![
                1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0,
                -400.0 * x[0],
                -400.0 * x[0],
                200.0,
            ]
        }),
    )
}

/// `f = x² − y² + y⁴/4`: a saddle at the origin, minima at `(0, ±√2)`
/// with `f = −1`.
pub fn saddle() -> Obj {
    FnObjective::new(
        2,
        Box::new(|x: &[f64]| x[0] * x[0] - x[1] * x[1] + x[1].powi(4) / 4.0),
        Box::new(|x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * x[0];
            g[1] = -2.0 * x[1] + x[1].powi(3);
        }),
        Box::new(|x: &[f64]| vec![2.0, 0.0, 0.0, -2.0 + 3.0 * x[1] * x[1]]),
    )
}

/// The convex quadratic `½ xᵀAx − bᵀx` with `A` tridiagonal (4 on the
/// diagonal, −1 off it), `n` variables, `b = (1, …, n)`.
pub fn quadratic(n: usize) -> (Obj, Vec<f64>) {
    let a = move |i: usize, j: usize| -> f64 {
        if i == j {
            4.0
        } else if i.abs_diff(j) == 1 {
            -1.0
        } else {
            0.0
        }
    };
    let b: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let ax = move |x: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|i| (0..n).map(|j| a(i, j) * x[j]).sum())
            .collect()
    };
    let b1 = b.clone();
    let b2 = b.clone();
    let obj = FnObjective::new(
        n,
        Box::new(move |x: &[f64]| {
            let y = ax(x);
            (0..n).map(|i| 0.5 * x[i] * y[i] - b1[i] * x[i]).sum()
        }) as Box<dyn Fn(&[f64]) -> f64>,
        Box::new(move |x: &[f64], g: &mut [f64]| {
            let y = ax(x);
            for i in 0..n {
                g[i] = y[i] - b2[i];
            }
        }) as Box<dyn Fn(&[f64], &mut [f64])>,
        Box::new(move |_: &[f64]| {
            let mut h = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] = a(i, j);
                }
            }
            h
        }) as Box<dyn Fn(&[f64]) -> Vec<f64>>,
    );
    (obj, b)
}

/// Checks that the optimizer's counts match the objective's own.
pub fn assert_counts_match(obj: &Obj, stats: &hvp_optim::Stats<f64>) {
    let c = obj.calls();
    assert_eq!(
        stats.f_evals,
        c.values + c.values_and_gradients + c.preparations,
        "{c:?} {stats:?}"
    );
    assert_eq!(stats.grad_evals, c.values_and_gradients + c.preparations);
    assert_eq!(stats.hessian_preparations, c.preparations);
    assert_eq!(stats.hv_products, c.hessian_products);
}
