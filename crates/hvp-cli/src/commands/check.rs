//! `hvp check`: the self-checks of a prepared Hessian operator, each with
//! PASS or FAIL: finite value and gradient, symmetry (`uᵀHv = vᵀHu`), the
//! operator's mode against every other AD mode, and a central-difference
//! spot check. Exit status 1 when any check fails.
//!
//! Tolerances are the facade's ([`hvp::tolerances`]); the symmetry of a
//! finite-difference operator, and its mode cross-checks, are held to its
//! differences' estimated error at the point.
//! The central-difference spot check is held to the estimated error of the
//! differences at the point ([`hvp::check_finite_differences`]), reported
//! with its parts and the step it moved to; where that error is as large as
//! the differences at every step (rounding of a huge gradient in `f32`) the
//! check is inconclusive, shown as SKIP, and does not fail the run; where
//! the differences do not converge (a kink) it fails.

use crate::cli::{CheckArgs, DTypeArg};
use crate::commands::eval::{InputInfo, ProblemInfo};
use crate::output::{fmt_num, print_json, print_text};
use crate::target::Target;
use anyhow::{Context, Result};
use hvp::{Float, HessianOperator, HvpMode, Real, SelfCheck};
use serde::Serialize;

/// One check's outcome.
#[derive(Debug, Serialize)]
pub struct CheckResult {
    /// What was checked.
    pub name: String,
    /// The measured relative discrepancy.
    pub discrepancy: f64,
    /// The tolerance it is held to.
    pub tolerance: f64,
    /// Whether it passed.
    pub passed: bool,
    /// The check could not decide (the finite-difference check where
    /// rounding swamps the differences; see
    /// [`hvp::SelfCheck::inconclusive`]): `passed` is false, yet it does not
    /// fail the run. Shown as SKIP.
    pub inconclusive: bool,
    /// Why it is inconclusive or failed, when there is more to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The parts of the tolerance of the finite-difference spot check
    /// (`tolerance = operator + safety · (truncation + rounding)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance_parts: Option<ToleranceParts>,
}

/// How the finite-difference spot check's tolerance was made
/// ([`hvp::DifferenceTolerance`]); all but `step` and `safety` relative,
/// like the discrepancy.
#[derive(Debug, Serialize)]
pub struct ToleranceParts {
    /// The difference step `h` along the probe direction.
    pub step: f64,
    /// The step the check started its search from (the central-difference
    /// step), which it moves where one error clearly dominates.
    pub nominal_step: f64,
    /// Estimated truncation error of the differences, `‖D(h) − D(2h)‖ / 3`.
    pub truncation: f64,
    /// Estimated rounding error of the differences, `u ‖∇f‖ / h` and the
    /// rounding of the shifted points.
    pub rounding: f64,
    /// The factor on the estimated error.
    pub safety: f64,
    /// The error allowed to the product under test itself.
    pub operator: f64,
}

impl From<hvp::DifferenceTolerance> for ToleranceParts {
    fn from(d: hvp::DifferenceTolerance) -> ToleranceParts {
        ToleranceParts {
            step: d.step,
            nominal_step: d.nominal_step,
            truncation: d.truncation,
            rounding: d.rounding,
            safety: d.safety,
            operator: d.operator,
        }
    }
}

impl From<SelfCheck> for CheckResult {
    fn from(c: SelfCheck) -> CheckResult {
        CheckResult {
            name: c.name,
            discrepancy: c.discrepancy,
            tolerance: c.tolerance,
            passed: c.passed,
            inconclusive: c.inconclusive,
            note: c.note,
            tolerance_parts: c.difference.map(ToleranceParts::from),
        }
    }
}

/// What `hvp check` reports (also its JSON form).
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// The expression (or `f from FILE`, or the problem's name).
    pub expression: String,
    /// The built-in problem, with `--problem`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<ProblemInfo>,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// The inputs in order.
    pub inputs: Vec<InputInfo>,
    /// The mode of the operator under test.
    pub mode: &'static str,
    /// The seed of the probe directions.
    pub seed: u64,
    /// Every check.
    pub checks: Vec<CheckResult>,
    /// Whether none failed (all passed, or were inconclusive).
    pub passed: bool,
}

/// Runs `hvp check`; returns 0 when every check passes, 1 otherwise.
pub fn run(args: &CheckArgs) -> Result<u8> {
    let t = Target::open(&args.target)?;
    let report = match args.target.dtype {
        DTypeArg::F32 => checks::<f32>(&t, args)?,
        DTypeArg::F64 => checks::<f64>(&t, args)?,
    };
    if args.target.json {
        print_json(&report)?;
    } else {
        print_text(&render(&report))?;
    }
    Ok(if report.passed {
        crate::EXIT_OK
    } else {
        crate::EXIT_CHECK_FAILED
    })
}

/// Runs the checks in precision `T`.
pub fn checks<T: Real>(t: &Target, args: &CheckArgs) -> Result<CheckReport> {
    let f = t.function();
    let x: Vec<T> = t.full_point();
    let mode: HvpMode = args.mode.into();
    let op = HessianOperator::with_mode(f, &x, mode).context("preparing the Hessian operator")?;
    let finite = Float::to_f64(op.value()).is_finite()
        && op.gradient().iter().all(|&g| Float::to_f64(g).is_finite());
    let mut checks = vec![CheckResult {
        name: "value and gradient are finite".into(),
        discrepancy: if finite { 0.0 } else { f64::INFINITY },
        tolerance: 0.0,
        passed: finite,
        inconclusive: false,
        note: None,
        tolerance_parts: None,
    }];
    // A difference-mode operator's symmetry is held to its differences'
    // estimated error at this point (see `HessianOperator::check_symmetry`).
    let symmetry = op.check_symmetry(args.seed).context("symmetry check")?;
    checks.push(symmetry.into());
    for other in [
        HvpMode::ForwardOverReverse,
        HvpMode::ReverseOverForward,
        HvpMode::ReverseOverReverse,
    ] {
        if other != mode {
            checks.push(
                op.check_modes(other, args.seed)
                    .with_context(|| format!("cross-check against {}", other.name()))?
                    .into(),
            );
        }
    }
    if mode != HvpMode::CentralDifference {
        checks.push(
            op.check_finite_differences(args.seed)
                .context("finite-difference check")?
                .into(),
        );
    }
    let passed = checks.iter().all(|c| c.passed || c.inconclusive);
    Ok(CheckReport {
        expression: t.describe(),
        problem: ProblemInfo::of(t),
        dtype: T::DTYPE.name(),
        inputs: InputInfo::all(t),
        mode: mode.name(),
        seed: args.seed,
        checks,
        passed,
    })
}

/// The text form of a report.
pub fn render(r: &CheckReport) -> String {
    let what = match &r.problem {
        Some(p) => format!("{} (n = {}) at {}", p.name, p.n, p.point),
        None => r.expression.clone(),
    };
    let mut out = format!(
        "self-checks of the Hessian of {what} ({}, {}, seed {})\n",
        r.mode, r.dtype, r.seed
    );
    let w = r
        .checks
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    for c in &r.checks {
        let verdict = match (c.passed, c.inconclusive) {
            (true, _) => "PASS",
            (false, true) => "SKIP",
            (false, false) => "FAIL",
        };
        let pad = " ".repeat(w - c.name.chars().count());
        if c.tolerance > 0.0 {
            out += &format!(
                "  {verdict}  {}{pad}  discrepancy {:>8}  tolerance {}",
                c.name,
                fmt_num(c.discrepancy, 2),
                fmt_num(c.tolerance, 2)
            );
            out += "\n";
            if let Some(p) = &c.tolerance_parts {
                // The step is the nominal one, bit for bit, unless moved.
                #[allow(clippy::float_cmp)]
                let moved = if p.step == p.nominal_step {
                    String::new()
                } else {
                    format!(" (nominal {})", fmt_num(p.nominal_step, 2))
                };
                out += &format!(
                    "        tolerance = {} + {} × (truncation {} + rounding {}), step {}{moved}\n",
                    fmt_num(p.operator, 2),
                    fmt_num(p.safety, 2),
                    fmt_num(p.truncation, 2),
                    fmt_num(p.rounding, 2),
                    fmt_num(p.step, 2)
                );
            }
            if let Some(note) = &c.note {
                out += &format!("        {note}\n");
            }
        } else {
            out += &format!("  {verdict}  {}\n", c.name);
        }
    }
    let n = r.checks.len();
    let failed = r
        .checks
        .iter()
        .filter(|c| !c.passed && !c.inconclusive)
        .count();
    let skipped = r.checks.iter().filter(|c| c.inconclusive).count();
    out += &match (failed, skipped) {
        (0, 0) => format!("all {n} checks passed\n"),
        (0, k) => format!("{} of {n} checks passed, {k} inconclusive\n", n - k),
        (f, 0) => format!("{f} of {n} checks FAILED\n"),
        (f, k) => format!("{f} of {n} checks FAILED, {k} inconclusive\n"),
    };
    out
}
