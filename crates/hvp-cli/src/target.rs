//! The function every function-taking command (`eval`, `check`,
//! `minimize`, `spectrum`) works on: an expression or file (through a
//! [`Session`]) or a built-in test problem of [`hvp_problems`], with its
//! point (`--at`, or the problem's standard start) and, for `eval`, a
//! direction (`--dir`, or seeded standard normal entries).
//!
//! ```
//! use clap::Parser;
//! use hvp_cli::{cli::{Cli, Command}, target::Target};
//! let cli = Cli::try_parse_from(["hvp", "minimize", "--problem", "rosenbrock"]).unwrap();
//! let Command::Minimize(args) = cli.command else { unreachable!() };
//! let t = Target::open(&args.target).unwrap();
//! assert_eq!(t.params(), vec![-1.2, 1.0]);
//! assert_eq!(t.f_star(), Some(0.0));
//! let (v, _) = t.direction::<f64>(&[], 0).unwrap(); // seeded, random
//! assert_eq!(v.len(), 2);
//! ```

use crate::cli::TargetArgs;
use crate::expr::ast::InputKind;
use crate::expr::builtins::closest;
use crate::expr::lower::{InputSlot, MAX_ELEMENTS};
use crate::expr::names::InputDecl;
use crate::expr::Span;
use crate::inputs::{resolve_direction, resolve_point, Assignment, DirectionSource, Program};
use crate::session::{assignments, Session};
use anyhow::{Context, Result};
use hvp::{Function, Real};
use hvp_problems::{Problem, ProblemError};

/// Where the function comes from.
#[derive(Debug)]
pub enum Source {
    /// An expression or a file.
    Expr(Box<Session>),
    /// A built-in problem, its traced function and the starting variables.
    Problem {
        /// The instance.
        problem: Box<Problem>,
        /// Its objective.
        function: Box<Function>,
        /// Its inputs: the variables `x`, then any fixed data.
        slots: Vec<InputSlot>,
        /// The variables of the point.
        x: Vec<f64>,
        /// Whether `x` came from `--at` (otherwise the standard start).
        given: bool,
    },
}

/// A function and a point.
#[derive(Debug)]
pub struct Target {
    /// Where the function comes from.
    pub source: Source,
}

/// A problem's name that is not in the catalog, with the closest names.
fn unknown_problem(name: &str) -> anyhow::Error {
    let names: Vec<&'static str> = hvp_problems::all().iter().map(|s| s.name).collect();
    let hint = match closest(name, names.iter().copied()) {
        Some(s) => format!("did you mean '{s}'? "),
        None => String::new(),
    };
    anyhow::anyhow!(
        "unknown problem '{name}'; {hint}`hvp problems` lists the {} built-in problems",
        names.len()
    )
}

impl Target {
    /// Reads or builds the function of `args` at its point.
    pub fn open(args: &TargetArgs) -> Result<Target> {
        let Some(name) = &args.problem else {
            if let Some(n) = args.n {
                anyhow::bail!(
                    "--n {n} sizes a built-in problem (--problem NAME); an expression's shapes \
                     come from its declarations (input x[{n}]) or from --at"
                );
            }
            let s = Session::open(args)?;
            return Ok(Target {
                source: Source::Expr(Box::new(s)),
            });
        };
        let Some(spec) = hvp_problems::all().into_iter().find(|s| s.name == *name) else {
            return Err(unknown_problem(name));
        };
        // Refused before anything is allocated: a huge --n would otherwise
        // abort on a failed allocation.
        let n = args.n.unwrap_or(spec.default_n);
        let data = spec.data_len(n, spec.m_rule.default_m(n));
        if n.saturating_add(data) > MAX_ELEMENTS {
            let what = if data > 0 {
                format!("{n} variables and {data} data values")
            } else {
                format!("{n} variables")
            };
            anyhow::bail!(
                "--n {n} is too large: {name} would hold {what} (at most {MAX_ELEMENTS} in all)"
            );
        }
        let problem = match spec.problem(Some(n)) {
            Ok(p) => p,
            Err(ProblemError::UnknownName { .. }) => return Err(unknown_problem(name)),
            Err(e) => return Err(anyhow::Error::msg(e.to_string())),
        };
        let function = problem
            .function()
            .with_context(|| format!("tracing the problem {name}"))?;
        let slots = problem
            .input_names()
            .iter()
            .zip(function.specs())
            .map(|(n, s)| InputSlot {
                name: n.to_string(),
                shape: s.shape.dims().to_vec(),
                differentiable: s.differentiable,
            })
            .collect();
        let at = assignments("--at", &args.at)?;
        let (x, given) = if at.is_empty() {
            (problem.x0.clone(), false)
        } else {
            let decl = InputDecl {
                name: "x".into(),
                span: Span { start: 0, end: 0 },
                kind: InputKind::Param,
                shape: Some((vec![problem.n], Span { start: 0, end: 0 })),
                default: None,
            };
            let (_, values) = resolve_point(
                &[decl],
                &at,
                &Program {
                    name: "--problem",
                    text: name,
                },
            )?;
            (values[0].iter().copied().collect(), true)
        };
        Ok(Target {
            source: Source::Problem {
                problem: Box::new(problem),
                function: Box::new(function),
                slots,
                x,
                given,
            },
        })
    }

    /// The traced function.
    pub fn function(&self) -> &Function {
        match &self.source {
            Source::Expr(s) => s.function(),
            Source::Problem { function, .. } => function,
        }
    }

    /// The number of variables (differentiable entries).
    pub fn n(&self) -> usize {
        self.function().num_params()
    }

    /// The full point the function's methods take: the variables, then any
    /// fixed data (and an expression's constant arrays).
    pub fn full_point<T: Real>(&self) -> Vec<T> {
        match &self.source {
            Source::Expr(s) => s.point(),
            Source::Problem { problem, x, .. } => {
                problem.point(x).iter().map(|&v| T::from_f64(v)).collect()
            }
        }
    }

    /// The inputs in order: names, shapes, and whether each is
    /// differentiated (a problem's variables are one vector `x`).
    pub fn slots(&self) -> &[InputSlot] {
        match &self.source {
            Source::Expr(s) => &s.slots,
            Source::Problem { slots, .. } => slots,
        }
    }

    /// Every input's values at the point, flat, in the order of
    /// [`Target::slots`].
    pub fn input_values(&self) -> Vec<f64> {
        match &self.source {
            Source::Expr(s) => s.values.iter().flat_map(|a| a.iter().copied()).collect(),
            Source::Problem { problem, x, .. } => problem.point(x),
        }
    }

    /// The variables at the point, flat, in order.
    pub fn params(&self) -> Vec<f64> {
        match &self.source {
            Source::Expr(s) => s
                .slots
                .iter()
                .zip(&s.values)
                .filter(|(slot, _)| slot.differentiable)
                .flat_map(|(_, v)| v.iter().copied())
                .collect(),
            Source::Problem { x, .. } => x.clone(),
        }
    }

    /// A direction over the variables, flat: from `--dir` assignments, or
    /// standard normal entries drawn with `seed` when there are none.
    pub fn direction<T: Real>(
        &self,
        dir: &[Assignment],
        seed: u64,
    ) -> Result<(Vec<T>, DirectionSource)> {
        let (arrays, source) = resolve_direction(self.slots(), dir, seed)?;
        let v = arrays
            .iter()
            .flat_map(|a| a.iter().map(|&v| T::from_f64(v)))
            .collect();
        Ok((v, source))
    }

    /// The known minimal value, for problems that have one.
    pub fn f_star(&self) -> Option<f64> {
        match &self.source {
            Source::Expr(_) => None,
            Source::Problem { problem, .. } => problem.f_star,
        }
    }

    /// The problem's name, or the expression (or `f from FILE`).
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Expr(s) => s.describe(),
            Source::Problem { problem, .. } => problem.name.to_string(),
        }
    }

    /// The first line of a report about f: `f(x, y) = EXPR`, `f(x) from
    /// FILE`, or `NAME (n = N): DESCRIPTION` for a problem.
    pub fn header(&self) -> String {
        match &self.source {
            Source::Expr(s) if s.name == "<expr>" => {
                format!("f({}) = {}", s.signature(), s.describe())
            }
            Source::Expr(s) => format!("f({}) from {}", s.signature(), s.name),
            Source::Problem { problem, .. } => format!(
                "{} (n = {}): {}",
                problem.name, problem.n, problem.description
            ),
        }
    }

    /// A short label for titles: the problem's name or the expression,
    /// at most `max` characters.
    pub fn short_label(&self, max: usize) -> String {
        let d = self.describe();
        if d.chars().count() <= max {
            d
        } else {
            let mut s: String = d.chars().take(max.saturating_sub(1)).collect();
            s.push('…');
            s
        }
    }

    /// Where the point came from, for reports.
    pub fn point_origin(&self) -> &'static str {
        match &self.source {
            Source::Expr(_) => "--at",
            Source::Problem { given: true, .. } => "--at",
            Source::Problem { given: false, .. } => "the standard start",
        }
    }

    /// The point's pieces to print: every input of an expression; a
    /// problem's variables (its fixed data is summarized by
    /// [`Target::data_summary`]).
    pub fn point_pieces(&self) -> Vec<(&str, &[f64], &[usize])> {
        match &self.source {
            Source::Expr(s) => s.point_pieces(),
            Source::Problem { slots, x, .. } => {
                vec![(
                    slots[0].name.as_str(),
                    x.as_slice(),
                    slots[0].shape.as_slice(),
                )]
            }
        }
    }

    /// A problem's fixed data in a line (`features [100, 10], labels
    /// [100]`), if it has any.
    pub fn data_summary(&self) -> Option<String> {
        match &self.source {
            Source::Problem { slots, .. } if slots.len() > 1 => Some(
                slots[1..]
                    .iter()
                    .map(|s| format!("{} {:?}", s.name, s.shape))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        }
    }

    /// Splits a flat vector of the variables into named pieces for
    /// printing: (name, values, shape).
    pub fn split<'a>(&'a self, flat: &'a [f64]) -> Vec<(&'a str, &'a [f64], Vec<usize>)> {
        match &self.source {
            Source::Expr(s) => s
                .split(flat)
                .into_iter()
                .map(|(n, v, sh)| (n, v, sh.to_vec()))
                .collect(),
            Source::Problem { .. } => vec![("x", flat, vec![flat.len()])],
        }
    }
}
