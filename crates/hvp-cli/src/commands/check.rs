//! `hvp check`: the self-checks of a prepared Hessian operator, each with
//! PASS or FAIL: finite value and gradient, symmetry (`uᵀHv = vᵀHu`), the
//! operator's mode against every other AD mode, and a central-difference
//! spot check. Exit status 1 when any check fails.
//!
//! Tolerances are the facade's ([`hvp::tolerances`]); the symmetry of a
//! finite-difference operator is held to its mode's difference tolerance.

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
}

impl From<SelfCheck> for CheckResult {
    fn from(c: SelfCheck) -> CheckResult {
        CheckResult {
            name: c.name,
            discrepancy: c.discrepancy,
            tolerance: c.tolerance,
            passed: c.passed,
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
    /// Whether all passed.
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
    }];
    let mut symmetry = op.check_symmetry(args.seed).context("symmetry check")?;
    // A difference-mode operator is symmetric only to the accuracy of its
    // differences: hold it to the tolerance its mode cross-checks use.
    let (_, fd_tol) = hvp::tolerances::<T>();
    let difference_tol = match mode {
        HvpMode::ForwardDifference => Some(1e2 * T::DTYPE.unit_roundoff().sqrt()),
        HvpMode::CentralDifference => Some(fd_tol),
        _ => None,
    };
    if let Some(tol) = difference_tol {
        symmetry.tolerance = tol;
        symmetry.passed = symmetry.discrepancy.is_finite() && symmetry.discrepancy <= tol;
    }
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
    let passed = checks.iter().all(|c| c.passed);
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
        let verdict = if c.passed { "PASS" } else { "FAIL" };
        let pad = " ".repeat(w - c.name.chars().count());
        if c.tolerance > 0.0 {
            out += &format!(
                "  {verdict}  {}{pad}  discrepancy {:>8}  tolerance {}\n",
                c.name,
                fmt_num(c.discrepancy, 2),
                fmt_num(c.tolerance, 2)
            );
        } else {
            out += &format!("  {verdict}  {}\n", c.name);
        }
    }
    let failed = r.checks.iter().filter(|c| !c.passed).count();
    out += &if failed == 0 {
        format!("all {} checks passed\n", r.checks.len())
    } else {
        format!("{failed} of {} checks FAILED\n", r.checks.len())
    };
    out
}
