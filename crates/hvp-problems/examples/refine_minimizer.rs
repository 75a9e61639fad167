//! Refines a problem's minimizer with damped Newton steps on its traced
//! function (dense Hessians, so small `n` only) and prints it with every
//! digit: how the minimizers the paper does not give were computed.
//!
//! ```text
//! cargo run --release -p hvp-problems --example refine_minimizer -- NAME [N] [M] [x0]
//! START=-1,1,1,1 cargo run ... -- chained-rosenbrock 4
//! ```
//!
//! Starts from the problem's stored minimizer (or `x0` when it has none or
//! when the fourth argument is `x0`, or from `START`), and stops when the
//! gradient no longer decreases.

use hvp_problems::by_name_with;

/// Solves `a x = b` in place (`b` becomes `x`) by Gaussian elimination with
/// partial pivoting; `false` when `a` is numerically singular.
fn solve(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap_or(c);
        if a[p * n + c].abs() < 1e-300 {
            return false;
        }
        for k in 0..n {
            a.swap(c * n + k, p * n + k);
        }
        b.swap(c, p);
        for r in c + 1..n {
            let f = a[r * n + c] / a[c * n + c];
            for k in c..n {
                a[r * n + k] -= f * a[c * n + k];
            }
            b[r] -= f * b[c];
        }
    }
    for c in (0..n).rev() {
        let s = b[c] - (c + 1..n).map(|k| a[c * n + k] * b[k]).sum::<f64>();
        b[c] = s / a[c * n + c];
    }
    true
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let name = args
        .get(1)
        .ok_or("usage: refine_minimizer NAME [N] [M] [x0]")?;
    let n: Option<usize> = args.get(2).and_then(|s| s.parse().ok());
    let m: Option<usize> = args.get(3).and_then(|s| s.parse().ok());
    let from_start = args.get(4).is_some_and(|s| s == "x0");
    let p = by_name_with(name, n, m)?;
    let f = p.function()?;
    let mut x: Vec<f64> = if let Ok(v) = std::env::var("START") {
        v.split(',').map(str::parse).collect::<Result<_, _>>()?
    } else if from_start {
        p.x0.clone()
    } else {
        p.x_star.clone().unwrap_or_else(|| p.x0.clone())
    };
    let n = p.n;
    let mut mu = 1e-8;
    let mut fx = f.value(&p.point(&x))?;
    for _ in 0..2000 {
        let g = f.grad(&p.point(&x))?;
        let h = f.hessian(&p.point(&x))?.data().to_vec();
        let scale = (0..n)
            .map(|i| h[i * n + i].abs())
            .fold(0.0, f64::max)
            .max(1e-300);
        // Levenberg damping: shrink after a decrease, grow until one.
        let mut stepped = false;
        while mu < 1e20 {
            let mut a = h.clone();
            for i in 0..n {
                a[i * n + i] += mu * scale;
            }
            let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
            if solve(&mut a, &mut d, n) {
                let trial: Vec<f64> = x.iter().zip(&d).map(|(a, b)| a + b).collect();
                let ft = f.value(&p.point(&trial))?;
                if ft.is_finite() && ft <= fx {
                    stepped = trial != x;
                    x = trial;
                    fx = ft;
                    mu = (mu / 10.0).max(1e-16);
                    break;
                }
            }
            mu *= 10.0;
        }
        if !stepped {
            break;
        }
    }
    let g = f.grad(&p.point(&x))?;
    let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    println!(
        "{name} n = {} m = {}: f = {fx:.12e}, |∇f| = {gnorm:.3e}, paper f* = {:?}",
        p.n, p.m, p.f_star
    );
    let digits: Vec<String> = x.iter().map(|v| format!("{v:e}")).collect();
    println!("x = [{}]", digits.join(", "));
    Ok(())
}
