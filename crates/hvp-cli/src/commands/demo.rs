//! `hvp demo`: a short tour on built-in defaults — the specification's
//! example in every mode beside its analytic values, a 10⁶-variable
//! chained Rosenbrock HVP with timings, a trust-region Newton-CG solve of
//! a 1000-variable problem with a progress log, and a plot of the Hessian's
//! spectral density written to `hvp-demo-spectrum.svg`.

use crate::cli::{DTypeArg, DemoArgs, MethodArg, MinimizeArgs, SpectrumArgs, TargetArgs};
use crate::commands::bench::{
    fmt_time, interleaved, rosen_function, rosen_grad_by_hand, spec_example,
};
use crate::commands::{minimize, spectrum};
use crate::output::{fmt_num, print_text};
use crate::target::Target;
use anyhow::{Context, Result};
use hvp::{HessianOperator, HvpMode};
use std::time::Instant;

fn say(s: &str) -> Result<()> {
    print_text(s)
}

fn target(problem: &str, n: usize) -> TargetArgs {
    TargetArgs {
        expr: None,
        file: None,
        problem: Some(problem.into()),
        n: Some(n),
        at: Vec::new(),
        dtype: DTypeArg::F64,
        json: false,
        digits: None,
    }
}

/// Runs `hvp demo`.
pub fn run(args: &DemoArgs) -> Result<u8> {
    let start = Instant::now();
    say("hvp demo: Hessian-vector products by automatic differentiation\n\n")?;
    spec_example_tour()?;
    let big = if args.quick { 10_000 } else { 1_000_000 };
    rosen_tour(big)?;
    solve_tour(1000)?;
    spectrum_tour(args, 1000)?;
    say(&format!(
        "\nThe tour took {:.2} s. Next: `hvp eval --help`, `hvp minimize --help`, `hvp problems`.\n",
        start.elapsed().as_secs_f64()
    ))?;
    Ok(crate::EXIT_OK)
}

fn spec_example_tour() -> Result<()> {
    let f = spec_example()?;
    let (x, y) = (1.5_f64, -0.7_f64);
    let v = [0.3, 1.1];
    let p = [x, y];
    // Analytic: ∇f = (2xy, x² + cos y), H = [[2y, 2x], [2x, −sin y]].
    let g_exact = [2.0 * x * y, x * x + y.cos()];
    let h = [[2.0 * y, 2.0 * x], [2.0 * x, -y.sin()]];
    let hv_exact = [
        h[0][0] * v[0] + h[0][1] * v[1],
        h[1][0] * v[0] + h[1][1] * v[1],
    ];
    let (fv, g) = f.value_and_grad(&p)?;
    let mut out = String::from(
        "1. The specification's example  f(x, y) = x²y + sin y  at (1.5, −0.7), v = (0.3, 1.1)\n",
    );
    out += &format!(
        "   f  = {:<22}  analytic x²y + sin y      = {}\n",
        fmt_num(fv, 15),
        fmt_num(x * x * y + y.sin(), 15)
    );
    out += &format!(
        "   ∇f = ({}, {})  analytic (2xy, x² + cos y) = ({}, {})\n",
        fmt_num(g[0], 15),
        fmt_num(g[1], 15),
        fmt_num(g_exact[0], 15),
        fmt_num(g_exact[1], 15)
    );
    out += &format!(
        "   Hv analytic [[2y, 2x], [2x, −sin y]] v  = ({}, {})\n",
        fmt_num(hv_exact[0], 15),
        fmt_num(hv_exact[1], 15)
    );
    for m in HvpMode::ALL {
        let hv = f.hvp_with(&p, &v, m)?;
        let err = ((hv[0] - hv_exact[0]).powi(2) + (hv[1] - hv_exact[1]).powi(2)).sqrt();
        out += &format!(
            "   {:<22} Hv = ({:>19}, {:>19})   error {}\n",
            m.name(),
            fmt_num(hv[0], 15),
            fmt_num(hv[1], 15),
            fmt_num(err, 2)
        );
    }
    let vhv = f.vhv(&p, &v)?;
    let vhv_exact = v[0] * hv_exact[0] + v[1] * hv_exact[1];
    out += &format!(
        "   vᵀHv = {}   analytic {}\n\n",
        fmt_num(vhv, 15),
        fmt_num(vhv_exact, 15)
    );
    say(&out)
}

fn rosen_tour(n: usize) -> Result<()> {
    say(&format!(
        "2. Chained Rosenbrock with n = {n} variables: f = Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²\n"
    ))?;
    let t0 = Instant::now();
    let f = rosen_function(n)?;
    let x: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let v = vec![1.0 / (n as f64).sqrt(); n];
    let traced = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let op = HessianOperator::new(&f, &x)?;
    let prepared = t1.elapsed().as_secs_f64();
    let mut hv = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut gh = vec![0.0; n];
    let mut ha = vec![0.0; n];
    let t = {
        let mut fs: Vec<(String, Box<dyn FnMut()>)> = vec![
            (
                "grad".into(),
                Box::new(|| f.grad_into(&x, &mut g).expect("grad")),
            ),
            (
                "hvp".into(),
                Box::new(|| {
                    f.hvp_into(&x, &v, HvpMode::ForwardOverReverse, &mut hv)
                        .expect("hvp")
                }),
            ),
            ("hand".into(), Box::new(|| rosen_grad_by_hand(&x, &mut gh))),
            (
                "prepared".into(),
                Box::new(|| op.apply_hvp(&v, &mut ha).expect("apply")),
            ),
        ];
        interleaved(5, 1, &mut fs)
    };
    // A check by hand: H v from the analytic tridiagonal Hessian at one row.
    let i = n / 2;
    let (a, b, c) = (x[i - 1], x[i], x[i + 1]);
    let row = -400.0 * a * v[i - 1] + (200.0 + 1200.0 * b * b - 400.0 * c + 2.0) * v[i]
        - 400.0 * b * v[i + 1];
    say(&format!(
        "   traced in {}, operator prepared (f, ∇f, residuals) in {}\n   \
         gradient          {}\n   \
         HVP (one-off)     {}   = {:.2}× the gradient\n   \
         HVP (prepared)    {}   (medians of 5)\n   \
         hand-written ∇f   {}   (the memory-bandwidth bound)\n   \
         row {i} of Hv: {} (AD)  vs  {} (analytic Hessian row)\n\n",
        fmt_time(traced).trim(),
        fmt_time(prepared).trim(),
        fmt_time(t[0]),
        fmt_time(t[1]),
        t[1] / t[0],
        fmt_time(t[3]),
        fmt_time(t[2]),
        fmt_num(ha[i], 15),
        fmt_num(row, 15)
    ))
}

fn solve_tour(n: usize) -> Result<()> {
    say(&format!(
        "3. Trust-region Newton-CG on extended Rosenbrock (n = {n}) from the standard start\n"
    ))?;
    let margs = MinimizeArgs {
        target: target("extended-rosenbrock", n),
        method: MethodArg::TrCg,
        gtol: None,
        max_iters: 1000,
        time_limit: None,
        seed: 0,
        quiet: true,
        progress: false,
    };
    let t = Target::open(&margs.target)?;
    let mut log = String::from("   ");
    log += &minimize::Progress::header(true);
    log += "\n";
    let r = minimize::minimize::<f64>(&t, &margs, |row| {
        if row.iteration <= 3 || row.iteration % 5 == 0 {
            log += "   ";
            log += &minimize::Progress::line(row);
            log += "\n";
        }
    })?;
    if let Some(last) = r.history.last() {
        if !(last.iteration <= 3 || last.iteration % 5 == 0) {
            log += "   ";
            log += &minimize::Progress::line(last);
            log += "\n";
        }
    }
    say(&log)?;
    say(&format!(
        "   {} after {} iterations, {} Hessian-vector products, {}: f = {} (f* = 0), ‖∇f‖ = {}\n\n",
        r.message,
        r.counts.iterations,
        r.counts.hv_products,
        minimize::fmt_seconds(r.elapsed_s),
        fmt_num(r.f, 4),
        fmt_num(r.gradient_norm, 3)
    ))
}

fn spectrum_tour(args: &DemoArgs, n: usize) -> Result<()> {
    say(&format!(
        "4. The Hessian's spectrum at the minimizer (1, ..., 1) of chained Rosenbrock (n = {n})\n"
    ))?;
    let mut targs = target("chained-rosenbrock", n);
    targs.at = vec!["x=1".into()];
    let sargs = SpectrumArgs {
        target: targs,
        k: 3,
        steps: 100,
        matvecs: 99,
        probes: 16,
        slq_steps: 40,
        sigma: None,
        grid: 400,
        plot: None,
        seed: 0,
    };
    let t = Target::open(&sargs.target)?;
    let r = spectrum::analyse::<f64>(&t, &sargs)?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create '{}'", args.out_dir.display()))?;
    let path = args.out_dir.join("hvp-demo-spectrum.svg");
    spectrum::write_plot(&path, &t, &r)?;
    let list = |v: &[f64]| {
        v.iter()
            .map(|&x| fmt_num(x, 8))
            .collect::<Vec<_>>()
            .join(", ")
    };
    say(&format!(
        "   largest {}    smallest {}\n   trace ≈ {} (Hutch++; exact: 802 + 1002·(n − 2) + 200 = {})\n   \
         {} Hessian-vector products, {}\n   spectral density plot written to {}\n",
        list(&r.largest.values),
        list(&r.smallest.values),
        fmt_num(r.trace.estimate, 8),
        802 + 1002 * (n - 2) + 200,
        r.hv_products,
        minimize::fmt_seconds(r.elapsed_s),
        path.display()
    ))
}
