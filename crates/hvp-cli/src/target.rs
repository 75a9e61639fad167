//! The function a `minimize` or `spectrum` run works on: an expression or
//! file (through a [`Session`]) or a built-in test problem of
//! [`hvp_problems`], with its point.
//!
//! ```
//! use clap::Parser;
//! use hvp_cli::{cli::{Cli, Command}, target::Target};
//! let cli = Cli::try_parse_from(["hvp", "minimize", "--problem", "rosenbrock"]).unwrap();
//! let Command::Minimize(args) = cli.command else { unreachable!() };
//! let t = Target::open(&args.target).unwrap();
//! assert_eq!(t.params(), vec![-1.2, 1.0]);
//! assert_eq!(t.f_star(), Some(0.0));
//! ```

use crate::cli::TargetArgs;
use crate::expr::ast::InputKind;
use crate::expr::names::InputDecl;
use crate::expr::Span;
use crate::inputs::{resolve_point, Program};
use crate::session::{assignments, Session};
use anyhow::{Context, Result};
use hvp::{Function, Real};
use hvp_problems::Problem;

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

impl Target {
    /// Reads or builds the function of `args` at its point.
    pub fn open(args: &TargetArgs) -> Result<Target> {
        let Some(name) = &args.problem else {
            let s = Session::open(&args.function_args())?;
            return Ok(Target {
                source: Source::Expr(Box::new(s)),
            });
        };
        let problem = hvp_problems::by_name(name, args.n).map_err(anyhow::Error::msg)?;
        let function = problem
            .function()
            .with_context(|| format!("tracing the problem {name}"))?;
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
    /// fixed data.
    pub fn full_point<T: Real>(&self) -> Vec<T> {
        match &self.source {
            Source::Expr(s) => s.point(),
            Source::Problem { problem, x, .. } => {
                problem.point(x).iter().map(|&v| T::from_f64(v)).collect()
            }
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
