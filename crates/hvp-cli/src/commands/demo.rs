//! `hvp demo`: a short tour on built-in defaults — the specification's
//! example in every mode beside its analytic values, a 10⁶-variable
//! chained Rosenbrock HVP with timings, a trust-region Newton-CG solve of
//! a 1000-variable problem with a progress log, and a plot of the Hessian's
//! spectral density written to `hvp-demo-spectrum.svg`. `--json` prints the
//! same measurements as one JSON object.

use crate::cli::{DTypeArg, DemoArgs, MethodArg, MinimizeArgs, SpectrumArgs, TargetArgs};
use crate::commands::minimize::{self, MinimizeReport};
use crate::commands::spectrum::{self, SpectrumReport};
use crate::output::{fmt_num, print_json, print_text};
use crate::target::Target;
use anyhow::{Context, Result};
use hvp::{HessianOperator, HvpMode};
use hvp_problems::measure::{fmt_time, interleaved, Timed};
use hvp_problems::workloads::{
    rosen_function, rosen_grad_by_hand, rosen_point, spec_example, SPEC_DIRECTION, SPEC_POINT,
};
use serde::Serialize;
use std::time::Instant;

/// One mode's product of the specification's example.
#[derive(Debug, Serialize)]
pub struct ModeProduct {
    /// The mode's name.
    pub mode: &'static str,
    /// Its `Hv`.
    pub hvp: Vec<f64>,
    /// `‖Hv − Hv_analytic‖`.
    pub error: f64,
}

/// Part 1: the specification's example against its analytic derivatives.
#[derive(Debug, Serialize)]
pub struct SpecExampleTour {
    /// `(x, y)`.
    pub point: Vec<f64>,
    /// `v`.
    pub direction: Vec<f64>,
    /// `f` by AD.
    pub value: f64,
    /// `x²y + sin y`.
    pub value_analytic: f64,
    /// `∇f` by AD.
    pub gradient: Vec<f64>,
    /// `(2xy, x² + cos y)`.
    pub gradient_analytic: Vec<f64>,
    /// `[[2y, 2x], [2x, −sin y]] v`.
    pub hvp_analytic: Vec<f64>,
    /// `Hv` in every mode.
    pub modes: Vec<ModeProduct>,
    /// `vᵀHv` by AD.
    pub vhv: f64,
    /// `vᵀHv` from the analytic Hessian.
    pub vhv_analytic: f64,
}

/// Part 2: a large chained Rosenbrock HVP, timed.
#[derive(Debug, Serialize)]
pub struct RosenbrockTour {
    /// Variables.
    pub n: usize,
    /// Seconds to trace the function.
    pub trace_s: f64,
    /// Seconds to prepare the operator (f, ∇f, residuals), first call.
    pub prepare_s: f64,
    /// Median seconds of a gradient.
    pub grad_s: f64,
    /// Median seconds of a one-off forward-over-reverse HVP.
    pub hvp_s: f64,
    /// `hvp_s / grad_s`.
    pub hvp_over_grad: f64,
    /// Median seconds of a prepared apply.
    pub prepared_apply_s: f64,
    /// Median seconds of the hand-written gradient.
    pub hand_grad_s: f64,
    /// Interleaved rounds of the medians.
    pub rounds: usize,
    /// The row of `Hv` checked by hand.
    pub row: usize,
    /// `(Hv)[row]` by AD (prepared apply).
    pub hv_row: f64,
    /// `(Hv)[row]` from the analytic tridiagonal Hessian.
    pub hv_row_analytic: f64,
}

/// Part 4: the spectrum at the minimizer.
#[derive(Debug, Serialize)]
pub struct SpectrumTour {
    /// The `hvp spectrum` report.
    pub report: SpectrumReport,
    /// The exact trace, `802 + 1002·(n − 2) + 200`.
    pub trace_exact: f64,
}

/// What `hvp demo` reports (also its JSON form).
#[derive(Debug, Serialize)]
pub struct DemoReport {
    /// The specification's example.
    pub spec_example: SpecExampleTour,
    /// The large HVP.
    pub rosenbrock: RosenbrockTour,
    /// The trust-region Newton-CG solve (`hvp minimize`'s report).
    pub solve: MinimizeReport,
    /// The spectrum.
    pub spectrum: SpectrumTour,
    /// Where the plot was written.
    pub plot: String,
    /// Wall-clock seconds of the whole tour.
    pub elapsed_s: f64,
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

/// Runs the tour: every part, the plot written.
pub fn tour(args: &DemoArgs) -> Result<DemoReport> {
    let start = Instant::now();
    let spec_example = spec_example_tour()?;
    let big = if args.quick { 10_000 } else { 1_000_000 };
    let rosenbrock = rosen_tour(big)?;
    let solve = solve_tour(1000, args.seed)?;
    let (spectrum, plot) = spectrum_tour(args, 1000)?;
    Ok(DemoReport {
        spec_example,
        rosenbrock,
        solve,
        spectrum,
        plot,
        elapsed_s: start.elapsed().as_secs_f64(),
    })
}

/// Runs `hvp demo`.
pub fn run(args: &DemoArgs) -> Result<u8> {
    let r = tour(args)?;
    if args.json {
        print_json(&r)?;
    } else {
        print_text(&render(&r))?;
    }
    Ok(crate::EXIT_OK)
}

fn spec_example_tour() -> Result<SpecExampleTour> {
    let f = spec_example()?;
    let ([x, y], v) = (SPEC_POINT, SPEC_DIRECTION);
    // Analytic: ∇f = (2xy, x² + cos y), H = [[2y, 2x], [2x, −sin y]].
    let h = [[2.0 * y, 2.0 * x], [2.0 * x, -y.sin()]];
    let hv_exact = [
        h[0][0] * v[0] + h[0][1] * v[1],
        h[1][0] * v[0] + h[1][1] * v[1],
    ];
    let (value, gradient) = f.value_and_grad(&SPEC_POINT)?;
    let mut modes = Vec::new();
    for m in HvpMode::ALL {
        let hv = f.hvp_with(&SPEC_POINT, &v, m)?;
        let error = ((hv[0] - hv_exact[0]).powi(2) + (hv[1] - hv_exact[1]).powi(2)).sqrt();
        modes.push(ModeProduct {
            mode: m.name(),
            hvp: hv,
            error,
        });
    }
    Ok(SpecExampleTour {
        point: SPEC_POINT.to_vec(),
        direction: v.to_vec(),
        value,
        value_analytic: x * x * y + y.sin(),
        gradient,
        gradient_analytic: vec![2.0 * x * y, x * x + y.cos()],
        hvp_analytic: hv_exact.to_vec(),
        modes,
        vhv: f.vhv(&SPEC_POINT, &v)?,
        vhv_analytic: v[0] * hv_exact[0] + v[1] * hv_exact[1],
    })
}

fn rosen_tour(n: usize) -> Result<RosenbrockTour> {
    const ROUNDS: usize = 11;
    let t0 = Instant::now();
    let f = rosen_function(n)?;
    let trace_s = t0.elapsed().as_secs_f64();
    let (x, v) = rosen_point(n);
    let t1 = Instant::now();
    let op = HessianOperator::new(&f, &x)?;
    let prepare_s = t1.elapsed().as_secs_f64();
    let mut hv = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut gh = vec![0.0; n];
    let mut ha = vec![0.0; n];
    let t = {
        let mut fs: Vec<Timed> = vec![
            ("grad".into(), Box::new(|| f.grad_into(&x, &mut g))),
            (
                "hvp".into(),
                Box::new(|| f.hvp_into(&x, &v, HvpMode::ForwardOverReverse, &mut hv)),
            ),
            (
                "hand".into(),
                Box::new(|| {
                    rosen_grad_by_hand(&x, &mut gh);
                    Ok(())
                }),
            ),
            ("prepared".into(), Box::new(|| op.apply_hvp(&v, &mut ha))),
        ];
        interleaved(ROUNDS, 1, &mut fs)?
    };
    // A check by hand: H v from the analytic tridiagonal Hessian at one row.
    let i = n / 2;
    let (a, b, c) = (x[i - 1], x[i], x[i + 1]);
    let row = -400.0 * a * v[i - 1] + (200.0 + 1200.0 * b * b - 400.0 * c + 2.0) * v[i]
        - 400.0 * b * v[i + 1];
    Ok(RosenbrockTour {
        n,
        trace_s,
        prepare_s,
        grad_s: t[0],
        hvp_s: t[1],
        hvp_over_grad: t[1] / t[0],
        prepared_apply_s: t[3],
        hand_grad_s: t[2],
        rounds: ROUNDS,
        row: i,
        hv_row: ha[i],
        hv_row_analytic: row,
    })
}

fn solve_tour(n: usize, seed: u64) -> Result<MinimizeReport> {
    let margs = MinimizeArgs {
        target: target("extended-rosenbrock", n),
        method: MethodArg::TrCg,
        gtol: None,
        max_iters: 1000,
        time_limit: None,
        seed,
        quiet: true,
        progress: false,
    };
    let t = Target::open(&margs.target)?;
    minimize::minimize::<f64>(&t, &margs, |_| {})
}

fn spectrum_tour(args: &DemoArgs, n: usize) -> Result<(SpectrumTour, String)> {
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
        seed: args.seed,
    };
    let t = Target::open(&sargs.target)?;
    let mut report = spectrum::analyse::<f64>(&t, &sargs)?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create '{}'", args.out_dir.display()))?;
    let path = args.out_dir.join("hvp-demo-spectrum.svg");
    spectrum::write_plot(&path, &t, &report)?;
    let plot = path.display().to_string();
    report.plot = Some(plot.clone());
    let trace_exact = (802 + 1002 * (n - 2) + 200) as f64;
    Ok((
        SpectrumTour {
            report,
            trace_exact,
        },
        plot,
    ))
}

/// The text form of the tour.
pub fn render(r: &DemoReport) -> String {
    let mut out =
        String::from("hvp demo: Hessian-vector products by automatic differentiation\n\n");
    let s = &r.spec_example;
    out +=
        "1. The specification's example  f(x, y) = x²y + sin y  at (1.5, −0.7), v = (0.3, 1.1)\n";
    out += &format!(
        "   f  = {:<22}  analytic x²y + sin y      = {}\n",
        fmt_num(s.value, 15),
        fmt_num(s.value_analytic, 15)
    );
    out += &format!(
        "   ∇f = ({}, {})  analytic (2xy, x² + cos y) = ({}, {})\n",
        fmt_num(s.gradient[0], 15),
        fmt_num(s.gradient[1], 15),
        fmt_num(s.gradient_analytic[0], 15),
        fmt_num(s.gradient_analytic[1], 15)
    );
    out += &format!(
        "   Hv analytic [[2y, 2x], [2x, −sin y]] v  = ({}, {})\n",
        fmt_num(s.hvp_analytic[0], 15),
        fmt_num(s.hvp_analytic[1], 15)
    );
    for m in &s.modes {
        out += &format!(
            "   {:<22} Hv = ({:>19}, {:>19})   error {}\n",
            m.mode,
            fmt_num(m.hvp[0], 15),
            fmt_num(m.hvp[1], 15),
            fmt_num(m.error, 2)
        );
    }
    out += &format!(
        "   vᵀHv = {}   analytic {}\n\n",
        fmt_num(s.vhv, 15),
        fmt_num(s.vhv_analytic, 15)
    );

    let b = &r.rosenbrock;
    out += &format!(
        "2. Chained Rosenbrock with n = {} variables: f = Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²\n",
        b.n
    );
    out += &format!(
        "   traced in {} (the graph: symbolic, any n), operator prepared in {}\n   \
         (deriving and compiling its programs, then f, ∇f and residuals)\n   \
         gradient          {}\n   \
         HVP (one-off)     {}   = {:.2}× the gradient\n   \
         HVP (prepared)    {}   (medians of {})\n   \
         hand-written ∇f   {}   (the memory-bandwidth bound)\n   \
         row {} of Hv: {} (AD)  vs  {} (analytic Hessian row)\n\n",
        fmt_time(b.trace_s).trim(),
        fmt_time(b.prepare_s).trim(),
        fmt_time(b.grad_s),
        fmt_time(b.hvp_s),
        b.hvp_over_grad,
        fmt_time(b.prepared_apply_s),
        b.rounds,
        fmt_time(b.hand_grad_s),
        b.row,
        fmt_num(b.hv_row, 15),
        fmt_num(b.hv_row_analytic, 15)
    );

    let m = &r.solve;
    out += &format!(
        "3. Trust-region Newton-CG on extended Rosenbrock (n = {}) from the standard start\n",
        m.n
    );
    out += "   ";
    out += &minimize::Progress::header(true);
    out += "\n";
    let shown = |i: usize| i <= 3 || i.is_multiple_of(5);
    for row in &m.history {
        if shown(row.iteration) {
            out += &format!("   {}\n", minimize::Progress::line(row));
        }
    }
    if let Some(last) = m.history.last() {
        if !shown(last.iteration) {
            out += &format!("   {}\n", minimize::Progress::line(last));
        }
    }
    out += &format!(
        "   {} after {} iterations, {} Hessian-vector products, {}: f = {} (f* = 0), ‖∇f‖ = {}\n\n",
        m.message,
        m.counts.iterations,
        m.counts.hv_products,
        minimize::fmt_seconds(m.elapsed_s),
        fmt_num(m.f, 4),
        fmt_num(m.gradient_norm, 3)
    );

    let sp = &r.spectrum.report;
    let list = |v: &[f64]| {
        v.iter()
            .map(|&x| fmt_num(x, 8))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out += &format!(
        "4. The Hessian's spectrum at the minimizer (1, ..., 1) of chained Rosenbrock (n = {})\n",
        sp.n
    );
    out += &format!(
        "   largest {}    smallest {}\n   trace ≈ {} (Hutch++; exact: 802 + 1002·(n − 2) + 200 = {})\n   \
         {} Hessian-vector products, {}\n   spectral density plot written to {}\n",
        list(&sp.largest.values),
        list(&sp.smallest.values),
        fmt_num(sp.trace.estimate, 8),
        fmt_num(r.spectrum.trace_exact, 12),
        sp.hv_products,
        minimize::fmt_seconds(sp.elapsed_s),
        r.plot
    );
    out += &format!(
        "\nThe tour took {:.2} s. Next: `hvp eval --help`, `hvp minimize --help`, `hvp problems`.\n",
        r.elapsed_s
    );
    out
}
