//! A short tour on built-in defaults: the specification's example
//! `f(x, y) = x²y + sin y` in every HVP mode, then a forward-over-reverse HVP
//! on the chained Rosenbrock function with 10⁶ variables.
//!
//! Run with `cargo run --release -p hvp --example demo`.

use hvp::{trace, HvpMode, Spec, Tensor};
use std::time::Instant;

fn rosenbrock(x: &Tensor) -> Tensor {
    let n = x.numel();
    let head = x.slice_axis(0, 0, n - 1, 1);
    let tail = x.slice_axis(0, 1, n, 1);
    ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
}

fn main() -> Result<(), hvp::Error> {
    println!("f(x, y) = x^2 y + sin y at (x, y) = (1.5, -0.7), v = (0.3, 1.1)\n");
    let f = trace(
        |x| &x[0].square() * &x[1] + x[1].sin(),
        &[Spec::scalar(), Spec::scalar()],
    )?;
    let (x, v) = ([1.5_f64, -0.7], [0.3_f64, 1.1]);
    let (val, g) = f.value_and_grad(&x)?;
    println!("  f        = {val:.12}");
    println!(
        "  grad f   = [{:.12}, {:.12}]   (analytic [2xy, x^2 + cos y])",
        g[0], g[1]
    );
    let exact = [
        2.0 * x[1] * v[0] + 2.0 * x[0] * v[1],
        2.0 * x[0] * v[0] - x[1].sin() * v[1],
    ];
    println!(
        "  H v      = [{:.12}, {:.12}]   (analytic)",
        exact[0], exact[1]
    );
    for mode in HvpMode::ALL {
        let hv = f.hvp_with(&x, &v, mode)?;
        let err = ((hv[0] - exact[0]).powi(2) + (hv[1] - exact[1]).powi(2)).sqrt();
        println!(
            "  {:<22} [{:.12}, {:.12}]  error {:.1e}",
            mode.name(),
            hv[0],
            hv[1],
            err
        );
    }
    println!("  v^T H v  = {:.12}", f.vhv(&x, &v)?);
    let h = f.hessian(&x)?;
    let d = h.data();
    println!(
        "  Hessian  = [[{:.6}, {:.6}], [{:.6}, {:.6}]]   (analytic [[2y, 2x], [2x, -sin y]])\n",
        d[0], d[1], d[2], d[3]
    );

    let n = 1_000_000;
    println!("chained Rosenbrock, n = {n}, x = (-1.2, 1, -1.2, 1, ...), v = 1/sqrt(n)");
    let t0 = Instant::now();
    let r = trace(|x| rosenbrock(&x[0]), &[Spec::vector(n)])?;
    let x: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let v = vec![1.0 / (n as f64).sqrt(); n];
    let (fx, g) = r.value_and_grad(&x)?;
    let hv = r.hvp(&x, &v)?;
    let t_first = t0.elapsed();
    let t1 = Instant::now();
    let hv2 = r.hvp(&x, &v)?;
    let t_hvp = t1.elapsed();
    let gnorm = g.iter().map(|a| a * a).sum::<f64>().sqrt();
    let vhv: f64 = hv.iter().zip(&v).map(|(a, b)| a * b).sum();
    println!("  f(x)      = {fx:.6e}");
    println!("  |grad f|  = {gnorm:.6e}");
    println!("  v^T H v   = {vhv:.6e}");
    println!("  H v [0..4] = {:?}", &hv2[..4]);
    println!(
        "  trace + compile + first calls: {:.1} ms; one HVP: {:.2} ms",
        t_first.as_secs_f64() * 1e3,
        t_hvp.as_secs_f64() * 1e3
    );
    Ok(())
}
