//! `hvp problems`: the built-in test problems of [`hvp_problems`] (the 35
//! Moré–Garbow–Hillstrom problems, chained Rosenbrock, a logistic
//! regression) with their allowed and default `n`, description and `f*`.

use crate::cli::ProblemsArgs;
use crate::output::{fmt_num, print_json, print_text};
use anyhow::Result;
use serde::Serialize;

/// One problem, as listed.
#[derive(Debug, Serialize)]
pub struct ProblemInfo {
    /// The name `--problem` takes.
    pub name: &'static str,
    /// Its number in Moré–Garbow–Hillstrom (1981), if it is one of theirs.
    pub mgh_number: Option<u8>,
    /// The allowed `n`, in words.
    pub n_rule: String,
    /// `n` when `--n` is omitted.
    pub default_n: usize,
    /// How the number of residuals `m` follows from `n`.
    pub m_rule: String,
    /// One line on what it is.
    pub description: &'static str,
    /// The known minimal value at the default `n`, if known.
    pub f_star: Option<f64>,
}

/// Every problem of the catalog.
pub fn list() -> Vec<ProblemInfo> {
    hvp_problems::all()
        .into_iter()
        .map(|s| {
            // f* depends on n; report it for the default instance. The
            // logistic regression solves itself at construction, so only
            // its rule is listed.
            let f_star = if s.name == "logistic-regression" {
                None
            } else {
                s.problem(None).ok().and_then(|p| p.f_star)
            };
            ProblemInfo {
                name: s.name,
                mgh_number: s.mgh_number,
                n_rule: s.n_rule.to_string(),
                default_n: s.default_n,
                m_rule: s.m_rule.to_string(),
                description: s.description,
                f_star,
            }
        })
        .collect()
}

/// Runs `hvp problems`.
pub fn run(args: &ProblemsArgs) -> Result<u8> {
    let list = list();
    if args.json {
        print_json(&list)?;
        return Ok(crate::EXIT_OK);
    }
    let wn = list.iter().map(|p| p.name.len()).max().unwrap_or(4);
    let wr = list
        .iter()
        .map(|p| p.n_rule.chars().count())
        .max()
        .unwrap_or(1);
    let mut out = format!(
        "{:>3}  {:<wn$}  {:<wr$}  {:>7}  {:>10}  description\n",
        "MGH", "name", "n", "default", "f*"
    );
    for p in &list {
        let pad = wr - p.n_rule.chars().count();
        out += &format!(
            "{:>3}  {:<wn$}  {}{}  {:>7}  {:>10}  {}\n",
            p.mgh_number.map_or("-".into(), |k| k.to_string()),
            p.name,
            p.n_rule,
            " ".repeat(pad),
            p.default_n,
            p.f_star.map_or("-".into(), |f| fmt_num(f, 5)),
            p.description
        );
    }
    out += &format!(
        "\n{} problems. f* is at the default n. Use one with --problem NAME [--n N] in\nhvp eval, check, minimize or spectrum, e.g. hvp eval --problem rosenbrock\n",
        list.len()
    );
    print_text(&out)?;
    Ok(crate::EXIT_OK)
}
