//! `hvp minimize`: Newton-CG, trust-region Newton-CG or trust-region
//! Lanczos ([`hvp::optim`]) on an expression or a built-in problem, with a
//! live progress display on stderr and a final report.
//!
//! The objective is an [`hvp::AdObjective`]: one prepared
//! forward-over-reverse Hessian operator per iterate. Exit status 0 when
//! the run converged, 1 for any other ending (named in the report).

use crate::cli::{DTypeArg, MethodArg, MinimizeArgs};
use crate::output::{block, fmt_num, named_values, print_json, print_text};
use crate::target::Target;
use anyhow::{Context, Result};
use hvp::optim::{
    newton_cg, trust_region_cg, trust_region_lanczos, IterationInfo, NewtonCgParams, OptimResult,
    Status, Termination, TrustRegionParams,
};
use hvp::{AdObjective, Float, Real};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// The most variables whose minimizer the text report prints.
pub const PRINT_X_MAX: usize = 50;

/// One iteration, as the observer saw it.
#[derive(Clone, Debug, Serialize)]
pub struct IterRow {
    /// The iteration (from 1).
    pub iteration: usize,
    /// `f` at the current point.
    pub f: f64,
    /// `‖∇f‖` at the current point.
    pub grad_norm: f64,
    /// `‖x_{k+1} − x_k‖`.
    pub step_norm: f64,
    /// Newton-CG: the line search's step length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_length: Option<f64>,
    /// Trust-region methods: the radius after the update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radius: Option<f64>,
    /// Trust-region methods: actual over predicted reduction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
    /// Whether the step was accepted.
    pub accepted: bool,
    /// Inner (CG or Lanczos) iterations of this step.
    pub inner_iterations: usize,
    /// Whether the step met negative curvature.
    pub negative_curvature: bool,
    /// Hessian-vector products so far.
    pub hv_products: usize,
    /// Seconds since the start.
    pub elapsed_s: f64,
}

impl<T: Float> From<&IterationInfo<T>> for IterRow {
    fn from(i: &IterationInfo<T>) -> IterRow {
        IterRow {
            iteration: i.iteration,
            f: Float::to_f64(i.f),
            grad_norm: Float::to_f64(i.grad_norm),
            step_norm: Float::to_f64(i.step_norm),
            step_length: i.step_length.map(Float::to_f64),
            radius: i.radius.map(Float::to_f64),
            rho: i.rho.map(Float::to_f64),
            accepted: i.accepted,
            inner_iterations: i.inner_iterations,
            negative_curvature: i.negative_curvature,
            hv_products: i.hv_products,
            elapsed_s: i.elapsed.as_secs_f64(),
        }
    }
}

/// Evaluation counts of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Counts {
    /// Outer iterations.
    pub iterations: usize,
    /// Objective values.
    pub f_evals: usize,
    /// Gradients.
    pub grad_evals: usize,
    /// Hessian operators prepared.
    pub hessian_preparations: usize,
    /// Hessian-vector products.
    pub hv_products: usize,
    /// CG or Lanczos steps in total.
    pub inner_iterations: usize,
    /// Rejected trust-region steps.
    pub rejected_steps: usize,
    /// Steps that met negative curvature.
    pub negative_curvature: usize,
    /// Saddle probes run.
    pub saddle_probes: usize,
    /// Steps out of saddle points.
    pub saddle_escapes: usize,
}

/// What `hvp minimize` reports (also its JSON form).
#[derive(Clone, Debug, Serialize)]
pub struct MinimizeReport {
    /// The problem's name or the expression.
    pub function: String,
    /// The method's name.
    pub method: &'static str,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// The number of variables.
    pub n: usize,
    /// How the run ended (`gradient_tolerance`, `max_iterations`, ...).
    pub status: &'static str,
    /// The status in words.
    pub message: String,
    /// Whether it converged to a local minimum.
    pub converged: bool,
    /// The final point (the variables, flat).
    pub x: Vec<f64>,
    /// `f` there.
    pub f: f64,
    /// `‖∇f‖` there.
    pub gradient_norm: f64,
    /// `‖∇f‖` at the start.
    pub initial_gradient_norm: f64,
    /// `f` at the start.
    pub initial_f: f64,
    /// The known minimum, for problems that have one.
    pub f_star: Option<f64>,
    /// `f − f*`.
    pub gap: Option<f64>,
    /// Evaluation counts.
    pub counts: Counts,
    /// The final trust radius.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_radius: Option<f64>,
    /// Wall-clock seconds.
    pub elapsed_s: f64,
    /// One row per iteration.
    pub history: Vec<IterRow>,
}

/// Runs `hvp minimize`; returns 0 when the run converged, 1 otherwise.
pub fn run(args: &MinimizeArgs) -> Result<u8> {
    let t = Target::open(&args.target)?;
    let show = !args.quiet && (args.progress || std::io::stderr().is_terminal());
    let mut progress = Progress::new(show, args.method);
    let report = match args.target.dtype {
        DTypeArg::F32 => minimize::<f32>(&t, args, |i| progress.update(i))?,
        DTypeArg::F64 => minimize::<f64>(&t, args, |i| progress.update(i))?,
    };
    progress.finish();
    if args.target.json {
        print_json(&report)?;
    } else {
        let digits = args.target.text_digits();
        print_text(&render(&t, &report, digits))?;
    }
    if report.converged {
        Ok(crate::EXIT_OK)
    } else {
        eprintln!("hvp minimize: did not converge: {}", report.message);
        Ok(crate::EXIT_CHECK_FAILED)
    }
}

/// The termination rules of `args` in precision `T`.
pub fn termination<T: Float>(args: &MinimizeArgs) -> Termination<T> {
    let d = Termination::<T>::default();
    Termination {
        gtol_abs: args.gtol.map_or(d.gtol_abs, T::from_f64),
        max_iters: args.max_iters,
        time_limit: args.time_limit.map(Duration::from_secs_f64),
        seed: args.seed,
        ..d
    }
}

/// Runs the method in precision `T`, calling `observe` once per iteration.
pub fn minimize<T: Real>(
    t: &Target,
    args: &MinimizeArgs,
    mut observe: impl FnMut(&IterRow),
) -> Result<MinimizeReport> {
    let f = t.function();
    let full: Vec<T> = t.full_point();
    let x0: Vec<T> = t.params().iter().map(|&v| T::from_f64(v)).collect();
    let obj = AdObjective::new(f, &full).context("building the objective")?;
    let (f0, g0) = f
        .value_and_grad(&full)
        .context("evaluating f at the start")?;
    let mut history = Vec::new();
    let observer = |i: &IterationInfo<T>| {
        let row = IterRow::from(i);
        observe(&row);
        history.push(row);
        ControlFlow::Continue(())
    };
    let termination = termination::<T>(args);
    let r: OptimResult<T> = match args.method {
        MethodArg::NewtonCg => newton_cg(
            &obj,
            &x0,
            &NewtonCgParams {
                termination,
                ..Default::default()
            },
            observer,
        ),
        MethodArg::TrCg => trust_region_cg(
            &obj,
            &x0,
            &TrustRegionParams {
                termination,
                ..Default::default()
            },
            observer,
        ),
        MethodArg::TrLanczos => trust_region_lanczos(
            &obj,
            &x0,
            &TrustRegionParams {
                termination,
                ..Default::default()
            },
            observer,
        ),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))
    .with_context(|| format!("running {}", args.method.name()))?;
    let s = &r.stats;
    let fv = Float::to_f64(r.f);
    let f_star = t.f_star();
    Ok(MinimizeReport {
        function: t.describe(),
        method: args.method.name(),
        dtype: T::DTYPE.name(),
        n: t.n(),
        status: s.status.name(),
        message: explain(&s.status, args),
        converged: s.status.is_converged(),
        x: r.x.iter().map(|&v| Float::to_f64(v)).collect(),
        f: fv,
        gradient_norm: Float::to_f64(s.final_grad_norm),
        initial_gradient_norm: g0
            .iter()
            .map(|&g| Float::to_f64(g).powi(2))
            .sum::<f64>()
            .sqrt(),
        initial_f: Float::to_f64(f0),
        f_star,
        gap: f_star.map(|fs| fv - fs),
        counts: Counts {
            iterations: s.iterations,
            f_evals: s.f_evals,
            grad_evals: s.grad_evals,
            hessian_preparations: s.hessian_preparations,
            hv_products: s.hv_products,
            inner_iterations: s.inner_iterations,
            rejected_steps: s.rejected_steps,
            negative_curvature: s.negative_curvature,
            saddle_probes: s.saddle_probes,
            saddle_escapes: s.saddle_escapes,
        },
        final_radius: s.final_radius.map(Float::to_f64),
        elapsed_s: s.elapsed.as_secs_f64(),
        history,
    })
}

/// A status in words.
pub fn explain<T: Float>(status: &Status<T>, args: &MinimizeArgs) -> String {
    match status {
        Status::Converged(_) => format!("converged ({})", status.name().replace('_', " ")),
        Status::SaddlePoint { min_eigenvalue } => format!(
            "stopped at a saddle point: the Hessian has an eigenvalue ≤ {} (try --method tr-cg or tr-lanczos, which step out of saddles)",
            fmt_num(Float::to_f64(*min_eigenvalue), 4)
        ),
        Status::MaxIterations => format!(
            "max_iterations: the iteration limit ({}) was reached (raise --max-iters)",
            args.max_iters
        ),
        Status::TimeLimit => format!(
            "time_limit: the time limit ({} s) was reached",
            args.time_limit.unwrap_or(0.0)
        ),
        Status::LineSearchFailed => {
            "line_search_failed: no step satisfied the strong Wolfe conditions".into()
        }
        Status::Stalled => {
            "stalled: the trust radius fell to rounding level while the gradient was not small"
                .into()
        }
        Status::Stopped => "stopped by the observer".into(),
    }
}

/// Time in human units.
pub fn fmt_seconds(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.3} s")
    }
}

/// The text form of a report.
pub fn render(t: &Target, r: &MinimizeReport, digits: usize) -> String {
    const W: usize = 12;
    let mut out = format!(
        "minimize {} (n = {}) with {}    [{}]\n",
        r.function,
        r.n,
        describe_method(r.method),
        r.dtype
    );
    out += &block(
        "start",
        W,
        &format!(
            "{}: f = {}, ‖∇f‖ = {}",
            t.point_origin(),
            fmt_num(r.initial_f, 6),
            fmt_num(r.initial_gradient_norm, 3)
        ),
    );
    out += &block("status", W, &r.message);
    out += &block("iterations", W, &r.counts.iterations.to_string());
    out += &block(
        "evaluations",
        W,
        &format!(
            "f {}, ∇f {}, Hessian operators {}, Hv {} ({} CG/Lanczos steps)",
            r.counts.f_evals,
            r.counts.grad_evals,
            r.counts.hessian_preparations,
            r.counts.hv_products,
            r.counts.inner_iterations
        ),
    );
    out += &block("f", W, &fmt_num(r.f, digits));
    out += &block("‖∇f‖", W, &fmt_num(r.gradient_norm, 3));
    if let (Some(fs), Some(gap)) = (r.f_star, r.gap) {
        out += &block(
            "f*",
            W,
            &format!("{}    (f − f* = {})", fmt_num(fs, digits), fmt_num(gap, 3)),
        );
    }
    out += &block("time", W, &fmt_seconds(r.elapsed_s));
    if r.n <= PRINT_X_MAX {
        let pieces = t.split(&r.x);
        let pieces: Vec<(&str, &[f64], &[usize])> = pieces
            .iter()
            .map(|(n, v, s)| (*n, *v, s.as_slice()))
            .collect();
        out += &block("minimizer", W, &named_values(&pieces, digits.min(10)));
    } else {
        out += &block(
            "minimizer",
            W,
            &format!("({} values; --json prints them)", r.n),
        );
    }
    out
}

fn describe_method(name: &str) -> &'static str {
    match name {
        "newton-cg" => MethodArg::NewtonCg.describe(),
        "tr-lanczos" => MethodArg::TrLanczos.describe(),
        _ => MethodArg::TrCg.describe(),
    }
}

/// The live progress display: a header, then one line per iteration on
/// stderr (every iteration for the first 20, then at most ten a second,
/// and the last one).
pub struct Progress {
    enabled: bool,
    trust_region: bool,
    last: Option<Instant>,
    pending: Option<IterRow>,
    header: bool,
}

impl Progress {
    /// A display; `enabled` false makes every call a no-op.
    pub fn new(enabled: bool, method: MethodArg) -> Progress {
        Progress {
            enabled,
            trust_region: method != MethodArg::NewtonCg,
            last: None,
            pending: None,
            header: false,
        }
    }

    /// The column header.
    pub fn header(trust_region: bool) -> String {
        format!(
            "{:>6}  {:>22}  {:>10}  {:>10}  {:>10}  {:>8}",
            "iter",
            "f",
            "‖∇f‖",
            if trust_region { "radius" } else { "step" },
            "‖Δx‖",
            "Hv"
        )
    }

    /// One iteration's line.
    pub fn line(r: &IterRow) -> String {
        let rs = r
            .radius
            .or(r.step_length)
            .map_or("-".to_string(), |v| fmt_num(v, 3));
        format!(
            "{:>6}  {:>22}  {:>10}  {:>10}  {:>10}  {:>8}{}",
            r.iteration,
            fmt_num(r.f, 15),
            fmt_num(r.grad_norm, 3),
            rs,
            fmt_num(r.step_norm, 3),
            r.hv_products,
            if r.accepted { "" } else { "  rejected" }
        )
    }

    /// Shows one iteration (or keeps it for later when lines come fast).
    pub fn update(&mut self, r: &IterRow) {
        if !self.enabled {
            return;
        }
        let due = r.iteration <= 20
            || self
                .last
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if due {
            self.emit(r);
            self.pending = None;
        } else {
            self.pending = Some(r.clone());
        }
    }

    fn emit(&mut self, r: &IterRow) {
        let mut e = std::io::stderr().lock();
        if !self.header {
            let _ = writeln!(e, "{}", Progress::header(self.trust_region));
            self.header = true;
        }
        let _ = writeln!(e, "{}", Progress::line(r));
        self.last = Some(Instant::now());
    }

    /// Shows the last iteration if it was held back.
    pub fn finish(&mut self) {
        if let Some(r) = self.pending.take() {
            self.emit(&r);
        }
    }
}
