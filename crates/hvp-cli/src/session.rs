//! The front half every function-taking command shares: read the source
//! (`--expr` or `--file`), parse it, find its inputs, resolve the point
//! (`--at`, defaults) and trace the function.
//!
//! ```
//! use clap::Parser;
//! use hvp_cli::{cli::{Cli, Command}, session::Session};
//! let cli = Cli::try_parse_from(["hvp", "eval", "-e", "x^2*y + sin(y)", "--at", "x=1.5,y=-0.7"]).unwrap();
//! let Command::Eval(args) = cli.command else { unreachable!() };
//! let s = Session::open(&args.target).unwrap();
//! assert_eq!(s.function().num_params(), 2);
//! assert_eq!(s.point::<f64>(), vec![1.5, -0.7]);
//! ```

use crate::cli::TargetArgs;
use crate::expr::lower::{lower, InputSlot, Lowered};
use crate::expr::names::{inputs, InputDecl};
use crate::expr::{ast, parse, SourceError};
use crate::inputs::{parse_assignments, resolve_point, Assignment, Program};
use anyhow::{Context, Result};
use hvp::{Float, Function, Real};
use ndarray::ArrayD;

/// A traced function at a point.
#[derive(Debug)]
pub struct Session {
    /// What the source is called in messages (`<expr>` or the file name).
    pub name: String,
    /// The source text.
    pub text: String,
    /// Its syntax tree.
    pub program: ast::Program,
    /// Its inputs as declared or first used.
    pub decls: Vec<InputDecl>,
    /// Its inputs as traced: names, shapes, kinds.
    pub slots: Vec<InputSlot>,
    /// The point: one array per input.
    pub values: Vec<ArrayD<f64>>,
    /// The traced function and its constant arrays.
    pub lowered: Lowered,
}

/// Parses every `NAME=VALUE,...` argument of `flag`.
pub fn assignments(flag: &str, args: &[String]) -> Result<Vec<Assignment>, SourceError> {
    let mut out = Vec::new();
    for a in args {
        out.extend(parse_assignments(flag, a)?);
    }
    Ok(out)
}

impl Session {
    /// Reads, parses and traces the function of `args` (its `--expr` or
    /// `--file`) at its point.
    pub fn open(args: &TargetArgs) -> Result<Session> {
        let (name, text) = match (&args.expr, &args.file) {
            (Some(e), _) => ("<expr>".to_string(), e.clone()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the file '{}'", path.display()))?;
                (path.display().to_string(), text)
            }
            (None, None) => anyhow::bail!("give the function with --expr, --file or --problem"),
        };
        let err = |d| SourceError::new(name.clone(), text.clone(), d);
        let program = parse(&text).map_err(err)?;
        let decls = inputs(&program).map_err(err)?;
        let at = assignments("--at", &args.at)?;
        let (slots, values) = resolve_point(
            &decls,
            &at,
            &Program {
                name: &name,
                text: &text,
            },
        )?;
        let lowered = lower(&program, &slots).map_err(err)?;
        Ok(Session {
            name,
            text,
            program,
            decls,
            slots,
            values,
            lowered,
        })
    }

    /// The traced function.
    pub fn function(&self) -> &Function {
        &self.lowered.function
    }

    /// The flat point: every input in order, then the constant arrays.
    pub fn point<T: Real>(&self) -> Vec<T> {
        self.values
            .iter()
            .chain(&self.lowered.constants)
            .flat_map(|a| a.iter().map(|&v| T::from_f64(v)))
            .collect()
    }

    /// A flat direction from one array per differentiable input.
    pub fn flat<T: Real>(&self, per_param: &[ArrayD<f64>]) -> Vec<T> {
        per_param
            .iter()
            .flat_map(|a| a.iter().map(|&v| T::from_f64(v)))
            .collect()
    }

    /// The differentiable inputs.
    pub fn params(&self) -> impl Iterator<Item = &InputSlot> {
        self.slots.iter().filter(|s| s.differentiable)
    }

    /// Splits a flat vector over the differentiable inputs into (name,
    /// values, shape) pieces.
    pub fn split<'a>(&'a self, flat: &'a [f64]) -> Vec<(&'a str, &'a [f64], &'a [usize])> {
        let mut out = Vec::new();
        let mut o = 0;
        for s in self.params() {
            let n = s.numel();
            out.push((
                s.name.as_str(),
                &flat[o..(o + n).min(flat.len())],
                s.shape.as_slice(),
            ));
            o += n;
        }
        out
    }

    /// Every input's (name, values, shape), for printing the point.
    pub fn point_pieces(&self) -> Vec<(&str, &[f64], &[usize])> {
        self.slots
            .iter()
            .zip(&self.values)
            .map(|(s, v)| {
                (
                    s.name.as_str(),
                    v.as_slice().expect("values are built in standard layout"),
                    s.shape.as_slice(),
                )
            })
            .collect()
    }

    /// How f is shown in reports: the expression, or `f from FILE`.
    pub fn describe(&self) -> String {
        if self.name == "<expr>" {
            self.text.trim().to_string()
        } else {
            format!("f from {}", self.name)
        }
    }

    /// The inputs as `x, y` (with shapes for arrays, `A[2, 3]`).
    pub fn signature(&self) -> String {
        self.slots
            .iter()
            .map(|s| {
                if s.shape.is_empty() {
                    s.name.clone()
                } else {
                    format!("{}{:?}", s.name, s.shape)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Converts results to `f64` for reports.
pub fn to_f64<T: Real>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| Float::to_f64(x)).collect()
}
