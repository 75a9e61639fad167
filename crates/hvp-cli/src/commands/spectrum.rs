//! `hvp spectrum`: the Hessian at a point seen through its products only —
//! the `k` largest and smallest eigenvalues by Lanczos, the trace by
//! Hutch++, and the spectral density by stochastic Lanczos quadrature,
//! optionally drawn as an SVG plot.

use crate::cli::{DTypeArg, SpectrumArgs};
use crate::commands::minimize::fmt_seconds;
use crate::output::{block, fmt_num, print_json, print_text};
use crate::plot::{line_svg, LinePlot};
use crate::target::Target;
use anyhow::{Context, Result};
use hvp::solvers::{
    hutch_plus_plus, lanczos, slq, HutchPlusPlusParams, LanczosParams, SlqParams, Which,
};
use hvp::{Float, HessianOperator, Real};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Eigenvalues at one end of the spectrum.
#[derive(Debug, Serialize)]
pub struct EndEigenvalues {
    /// The eigenvalues, outermost first (descending for the largest,
    /// ascending for the smallest).
    pub values: Vec<f64>,
    /// `‖Hy − θy‖` bounds of each Ritz pair, in the same order.
    pub residual_bounds: Vec<f64>,
    /// Lanczos steps taken.
    pub steps: usize,
}

/// The trace estimate.
#[derive(Debug, Serialize)]
pub struct TraceInfo {
    /// Hutch++'s estimate of `tr ∇²f`.
    pub estimate: f64,
    /// Its standard error (from the sampled remainder).
    pub std_error: f64,
    /// Products used.
    pub matvecs: usize,
}

/// The spectral density on a grid.
#[derive(Debug, Serialize)]
pub struct Density {
    /// Eigenvalue axis.
    pub grid: Vec<f64>,
    /// Density at each grid point (integrates to 1).
    pub density: Vec<f64>,
    /// Gaussian broadening.
    pub sigma: f64,
    /// SLQ probes.
    pub probes: usize,
    /// Lanczos steps per probe.
    pub steps: usize,
}

/// What `hvp spectrum` reports (also its JSON form).
#[derive(Debug, Serialize)]
pub struct SpectrumReport {
    /// The problem's name or the expression.
    pub function: String,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// The number of variables (the Hessian is n × n).
    pub n: usize,
    /// `f` at the point.
    pub value: f64,
    /// The largest eigenvalues, descending.
    pub largest: EndEigenvalues,
    /// The smallest eigenvalues, ascending.
    pub smallest: EndEigenvalues,
    /// The trace.
    pub trace: TraceInfo,
    /// The density.
    pub density: Density,
    /// Hessian-vector products in total.
    pub hv_products: usize,
    /// Where the plot was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot: Option<String>,
    /// Wall-clock seconds.
    pub elapsed_s: f64,
}

/// Runs `hvp spectrum`.
pub fn run(args: &SpectrumArgs) -> Result<u8> {
    let t = Target::open(&args.target)?;
    let mut report = match args.target.dtype {
        DTypeArg::F32 => analyse::<f32>(&t, args)?,
        DTypeArg::F64 => analyse::<f64>(&t, args)?,
    };
    if let Some(path) = &args.plot {
        write_plot(path, &t, &report)?;
        report.plot = Some(path.display().to_string());
    }
    if args.target.json {
        print_json(&report)?;
    } else {
        let digits = args
            .target
            .digits
            .map_or(8, usize::from)
            .min(crate::default_digits(args.target.dtype));
        print_text(&render(&report, digits))?;
    }
    Ok(crate::EXIT_OK)
}

/// Writes the density plot of `r` to `path`.
pub fn write_plot(path: &Path, t: &Target, r: &SpectrumReport) -> Result<()> {
    let mut markers = Vec::new();
    if let Some(&hi) = r.largest.values.first() {
        markers.push((hi, format!("λmax ≈ {}", fmt_num(hi, 4))));
    }
    if let Some(&lo) = r.smallest.values.first() {
        markers.push((lo, format!("λmin ≈ {}", fmt_num(lo, 4))));
    }
    let svg = line_svg(&LinePlot {
        title: format!(
            "Hessian spectral density of {} (n = {})",
            t.short_label(60),
            r.n
        ),
        x_label: "eigenvalue λ".into(),
        y_label: format!(
            "density ρ(λ)  (SLQ, {} probes × {} steps, σ = {})",
            r.density.probes,
            r.density.steps,
            fmt_num(r.density.sigma, 3)
        ),
        x: r.density.grid.clone(),
        y: r.density.density.clone(),
        markers,
    });
    std::fs::write(path, svg)
        .with_context(|| format!("cannot write the plot to '{}'", path.display()))
}

fn to_f64<T: Float>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| Float::to_f64(x)).collect()
}

/// Computes the report in precision `T`.
pub fn analyse<T: Real>(t: &Target, args: &SpectrumArgs) -> Result<SpectrumReport> {
    let start = Instant::now();
    let f = t.function();
    let x: Vec<T> = t.full_point();
    let op = HessianOperator::new(f, &x).context("preparing the Hessian operator")?;
    let n = t.n();
    let k = (args.k as usize).min(n);
    let steps = (args.steps as usize).min(n).max(k);
    let mut hv = 0;
    let mut end = |which: Which| -> Result<EndEigenvalues> {
        let (r, st) = lanczos(
            &op,
            None,
            &LanczosParams {
                max_steps: steps,
                nev: k,
                which,
                ritz_vectors: false,
                seed: args.seed,
                ..Default::default()
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("Lanczos")?;
        hv += st.operator_applications;
        let mut values = to_f64(&r.eigenvalues);
        let mut res = to_f64(&r.residual_bounds);
        if which == Which::Largest {
            values.reverse();
            res.reverse();
        }
        Ok(EndEigenvalues {
            values,
            residual_bounds: res,
            steps: r.alpha.len(),
        })
    };
    let largest = end(Which::Largest)?;
    let smallest = end(Which::Smallest)?;
    let (tr, st) = hutch_plus_plus(
        &op,
        &HutchPlusPlusParams {
            matvecs: args.matvecs as usize,
            seed: args.seed,
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("Hutch++")?;
    hv += st.operator_applications;
    let slq_steps = (args.slq_steps as usize).min(n);
    let (q, st) = slq(
        &op,
        &SlqParams {
            probes: args.probes as usize,
            steps: slq_steps,
            seed: args.seed,
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("stochastic Lanczos quadrature")?;
    hv += st.operator_applications;
    // The grid spans every quadrature node and both extreme eigenvalues.
    let nodes = q
        .rules
        .iter()
        .flat_map(|r| r.nodes.iter().map(|&v| Float::to_f64(v)));
    let ends = largest.values.iter().chain(&smallest.values).copied();
    let (lo, hi) = nodes
        .chain(ends)
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) };
    let width = hi - lo;
    let sigma = args.sigma.unwrap_or(if width > 0.0 {
        width / 100.0
    } else {
        0.01 * lo.abs().max(1.0)
    });
    let (glo, ghi) = (lo - 4.0 * sigma, hi + 4.0 * sigma);
    let m = args.grid as usize;
    let grid: Vec<f64> = (0..m)
        .map(|i| glo + (ghi - glo) * i as f64 / (m - 1) as f64)
        .collect();
    let grid_t: Vec<T> = grid.iter().map(|&g| T::from_f64(g)).collect();
    let density = to_f64(&q.density(&grid_t, T::from_f64(sigma)));
    Ok(SpectrumReport {
        function: t.describe(),
        dtype: T::DTYPE.name(),
        n,
        value: Float::to_f64(op.value()),
        largest,
        smallest,
        trace: TraceInfo {
            estimate: Float::to_f64(tr.estimate.estimate),
            std_error: Float::to_f64(tr.estimate.std_error),
            matvecs: args.matvecs as usize,
        },
        density: Density {
            grid,
            density,
            sigma,
            probes: args.probes as usize,
            steps: slq_steps,
        },
        hv_products: hv,
        plot: None,
        elapsed_s: start.elapsed().as_secs_f64(),
    })
}

/// The text form of a report.
pub fn render(r: &SpectrumReport, digits: usize) -> String {
    const W: usize = 10;
    let list = |v: &[f64]| {
        v.iter()
            .map(|&x| fmt_num(x, digits))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let maxres = |e: &EndEigenvalues| e.residual_bounds.iter().copied().fold(0.0, f64::max);
    let mut out = format!(
        "Hessian spectrum of {} (n = {})    [{}]\n",
        r.function, r.n, r.dtype
    );
    out += &block("f", W, &fmt_num(r.value, digits));
    out += &block(
        "largest",
        W,
        &format!(
            "{}    (Lanczos, {} steps, residuals ≤ {})",
            list(&r.largest.values),
            r.largest.steps,
            fmt_num(maxres(&r.largest), 2)
        ),
    );
    out += &block(
        "smallest",
        W,
        &format!(
            "{}    (Lanczos, {} steps, residuals ≤ {})",
            list(&r.smallest.values),
            r.smallest.steps,
            fmt_num(maxres(&r.smallest), 2)
        ),
    );
    out += &block(
        "trace",
        W,
        &format!(
            "{} ± {}    (Hutch++, {} products)",
            fmt_num(r.trace.estimate, digits),
            fmt_num(r.trace.std_error, 2),
            r.trace.matvecs
        ),
    );
    out += &block(
        "density",
        W,
        &format!(
            "SLQ, {} probes × {} steps, σ = {}, {} grid points on [{}, {}]",
            r.density.probes,
            r.density.steps,
            fmt_num(r.density.sigma, 3),
            r.density.grid.len(),
            fmt_num(r.density.grid.first().copied().unwrap_or(0.0), 4),
            fmt_num(r.density.grid.last().copied().unwrap_or(0.0), 4)
        ),
    );
    if let Some(p) = &r.plot {
        out += &block("plot", W, &format!("written to {p}"));
    }
    out += &block(
        "cost",
        W,
        &format!(
            "{} Hessian-vector products, {}",
            r.hv_products,
            fmt_seconds(r.elapsed_s)
        ),
    );
    out
}
