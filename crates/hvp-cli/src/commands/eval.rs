//! `hvp eval`: f, ∇f, Hv in a chosen mode, vᵀHv; optionally Hv in every
//! mode with their disagreement, and the dense Hessian — of an expression,
//! a file or a built-in problem ([`Target`]).
//!
//! The value, gradient and product come from a prepared
//! [`hvp::HessianOperator`] in the chosen mode; `vᵀHv` from its own derived
//! program; every mode's product from [`hvp::Function::hvp_with`].

use crate::cli::{DTypeArg, EvalArgs};
use crate::inputs::DirectionSource;
use crate::output::{block, fmt_array, fmt_num, named_values, print_json, print_text};
use crate::session::{assignments, to_f64};
use crate::target::{Source, Target};
use anyhow::{Context, Result};
use hvp::{Float, HessianOperator, HvpMode, Real};
use serde::Serialize;

/// The largest number of parameters `--hessian` assembles a matrix for.
pub const MAX_HESSIAN: usize = 2000;

/// One input as reports describe it.
#[derive(Debug, Serialize)]
pub struct InputInfo {
    /// Its name.
    pub name: String,
    /// Its shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// `input` (differentiated) or `data` (held fixed).
    pub kind: &'static str,
}

impl InputInfo {
    /// The inputs of a target's function.
    pub fn all(t: &Target) -> Vec<InputInfo> {
        t.slots()
            .iter()
            .map(|i| InputInfo {
                name: i.name.clone(),
                shape: i.shape.clone(),
                kind: if i.differentiable { "input" } else { "data" },
            })
            .collect()
    }
}

/// The built-in problem a report is about.
#[derive(Debug, Serialize)]
pub struct ProblemInfo {
    /// Its name.
    pub name: &'static str,
    /// Its number of variables.
    pub n: usize,
    /// Its known minimal value, if known.
    pub f_star: Option<f64>,
    /// `the standard start` or `--at`.
    pub point: &'static str,
}

impl ProblemInfo {
    /// The problem of `t`, if it is one.
    pub fn of(t: &Target) -> Option<ProblemInfo> {
        match &t.source {
            Source::Problem { problem, .. } => Some(ProblemInfo {
                name: problem.name,
                n: problem.n,
                f_star: problem.f_star,
                point: t.point_origin(),
            }),
            Source::Expr(_) => None,
        }
    }
}

/// One mode's product in `--all-modes`.
#[derive(Debug, Serialize)]
pub struct ModeResult {
    /// The mode's name.
    pub mode: &'static str,
    /// Its `Hv`.
    pub hvp: Vec<f64>,
    /// `‖Hv − Hv_ref‖ / max(‖Hv‖, ‖Hv_ref‖)` against the chosen mode.
    pub relative_disagreement: f64,
}

/// What `hvp eval` reports (also its JSON form). Flat vectors hold the
/// differentiable inputs in the order of `inputs`, each row-major.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    /// The expression (or `f from FILE`, or the problem's name).
    pub expression: String,
    /// The built-in problem, with `--problem`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemInfo>,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// The inputs in order.
    pub inputs: Vec<InputInfo>,
    /// The point: every input, flat (a problem's variables, then its fixed
    /// data, if any).
    pub point: Vec<f64>,
    /// The direction `v`.
    pub direction: Vec<f64>,
    /// `given`, or `random (seed N)`.
    pub direction_source: String,
    /// `f(x)`.
    pub value: f64,
    /// `∇f(x)`.
    pub gradient: Vec<f64>,
    /// The mode of `hvp`.
    pub mode: &'static str,
    /// `∇²f(x) v`.
    pub hvp: Vec<f64>,
    /// `vᵀ ∇²f(x) v`.
    pub vhv: f64,
    /// Every mode's product, with `--all-modes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_modes: Option<Vec<ModeResult>>,
    /// The largest pairwise relative disagreement among all modes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_relative_disagreement: Option<f64>,
    /// The largest pairwise relative disagreement among the AD modes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_relative_disagreement_ad: Option<f64>,
    /// The dense Hessian's rows, with `--hessian`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian: Option<Vec<Vec<f64>>>,
}

/// Runs `hvp eval`; returns the exit status.
pub fn run(args: &EvalArgs) -> Result<u8> {
    let t = Target::open(&args.target)?;
    if args.dump_ir {
        print_text(&format!("{}\n", t.function().graph()))?;
        return Ok(crate::EXIT_OK);
    }
    let report = match args.target.dtype {
        DTypeArg::F32 => evaluate::<f32>(&t, args)?,
        DTypeArg::F64 => evaluate::<f64>(&t, args)?,
    };
    if args.target.json {
        print_json(&report)?;
    } else {
        let digits = args.target.text_digits();
        print_text(&render(&t, &report, digits))?;
    }
    Ok(crate::EXIT_OK)
}

/// `‖a − b‖ / max(‖a‖, ‖b‖)`, 0 when both vanish.
pub fn relative_gap(a: &[f64], b: &[f64]) -> f64 {
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let d: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt();
    let s = norm(a).max(norm(b));
    if s == 0.0 {
        0.0
    } else {
        d / s
    }
}

/// Computes the report in precision `T`.
pub fn evaluate<T: Real>(t: &Target, args: &EvalArgs) -> Result<EvalReport> {
    let f = t.function();
    let x: Vec<T> = t.full_point();
    let dir = assignments("--dir", &args.dir)?;
    let (v, source) = t.direction::<T>(&dir, args.seed)?;
    let mode: HvpMode = args.mode.into();
    let op = HessianOperator::with_mode(f, &x, mode).context("evaluating f and its gradient")?;
    let mut hv = vec![T::zero(); f.num_params()];
    op.apply_hvp(&v, &mut hv)
        .context("computing the Hessian-vector product")?;
    let vhv = f.vhv(&x, &v).context("computing vᵀHv")?;
    let hv = to_f64(&hv);

    let (mut all_modes, mut max_all, mut max_ad) = (None, None, None);
    if args.all_modes {
        let mut results = Vec::new();
        for m in HvpMode::ALL {
            let r = f
                .hvp_with(&x, &v, m)
                .with_context(|| format!("computing Hv in {} mode", m.name()))?;
            results.push((m, to_f64(&r)));
        }
        let is_ad =
            |m: HvpMode| !matches!(m, HvpMode::ForwardDifference | HvpMode::CentralDifference);
        let (mut all, mut ad) = (0.0f64, 0.0f64);
        for (i, (mi, a)) in results.iter().enumerate() {
            for (mj, b) in &results[i + 1..] {
                let g = relative_gap(a, b);
                all = all.max(g);
                if is_ad(*mi) && is_ad(*mj) {
                    ad = ad.max(g);
                }
            }
        }
        max_all = Some(all);
        max_ad = Some(ad);
        all_modes = Some(
            results
                .into_iter()
                .map(|(m, r)| ModeResult {
                    mode: m.name(),
                    relative_disagreement: relative_gap(&r, &hv),
                    hvp: r,
                })
                .collect(),
        );
    }

    let hessian = if args.hessian {
        let n = f.num_params();
        if n > MAX_HESSIAN {
            anyhow::bail!(
                "--hessian is for small problems: f has {n} parameters (at most {MAX_HESSIAN}); use Hessian-vector products instead"
            );
        }
        let h = f.hessian::<T>(&x).context("assembling the dense Hessian")?;
        let data = to_f64(h.data());
        Some(data.chunks(n.max(1)).map(<[f64]>::to_vec).collect())
    } else {
        None
    };

    Ok(EvalReport {
        expression: t.describe(),
        problem: ProblemInfo::of(t),
        dtype: T::DTYPE.name(),
        inputs: InputInfo::all(t),
        point: t.input_values(),
        direction: to_f64(&v),
        direction_source: match source {
            DirectionSource::Given => "given".into(),
            DirectionSource::Random { seed } => format!("random, seed {seed}"),
        },
        value: Float::to_f64(op.value()),
        gradient: to_f64(op.gradient()),
        mode: mode.name(),
        hvp: hv,
        vhv: Float::to_f64(vhv),
        all_modes,
        max_relative_disagreement: max_all,
        max_relative_disagreement_ad: max_ad,
        hessian,
    })
}

/// The text form of a report.
pub fn render(t: &Target, r: &EvalReport, digits: usize) -> String {
    const W: usize = 10;
    let mut out = String::new();
    let split = |flat| -> String {
        let pieces = t.split(flat);
        let pieces: Vec<(&str, &[f64], &[usize])> = pieces
            .iter()
            .map(|(n, v, s)| (*n, *v, s.as_slice()))
            .collect();
        named_values(&pieces, digits)
    };
    out += &format!("{}    [{}]\n", t.header(), r.dtype);
    out += &block("at", W, &named_values(&t.point_pieces(), digits));
    if let Some(p) = &r.problem {
        out += &block("", W, &format!("({})", p.point));
    }
    if let Some(d) = t.data_summary() {
        out += &block("data", W, &format!("{d} (fixed)"));
    }
    out += &block("v", W, &split(&r.direction));
    if r.direction_source != "given" {
        out += &block("", W, &format!("({})", r.direction_source));
    }
    out += "\n";
    out += &block("f", W, &fmt_num(r.value, digits));
    out += &block("∇f", W, &split(&r.gradient));
    out += &block("Hv", W, &split(&r.hvp));
    out += &block("vᵀHv", W, &fmt_num(r.vhv, digits));
    out += &block("mode", W, r.mode);
    if let Some(modes) = &r.all_modes {
        out += "\nHv in every mode (relative disagreement with the chosen mode):\n";
        let w = modes.iter().map(|m| m.mode.len()).max().unwrap_or(0);
        for m in modes {
            let vals = split(&m.hvp);
            let first = format!(
                "  {:<w$}  {:>9}  ",
                m.mode,
                fmt_num(m.relative_disagreement, 2)
            );
            let pad = " ".repeat(first.chars().count());
            for (i, line) in vals.lines().enumerate() {
                out += if i == 0 { &first } else { &pad };
                out += line;
                out += "\n";
            }
        }
        out += &format!(
            "max relative disagreement: {} among the AD modes, {} with finite differences\n",
            fmt_num(r.max_relative_disagreement_ad.unwrap_or(0.0), 2),
            fmt_num(r.max_relative_disagreement.unwrap_or(0.0), 2)
        );
    }
    if let Some(h) = &r.hessian {
        let n = h.len();
        let flat: Vec<f64> = h.iter().flatten().copied().collect();
        out += "\n";
        out += &block("H", W, &fmt_array(&flat, &[n, n], digits));
    }
    out
}
