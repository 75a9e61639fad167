//! Which names of a program are its inputs, in order.
//!
//! A program either declares its inputs (`input x[3], y;`, `data t[3];`),
//! and then every other free name is an error, or declares none, and then
//! every free name is a differentiable input, in order of first appearance.
//! That order is the order of gradients, directions and Hessian rows.
//!
//! ```
//! use hvp_cli::expr::{names::inputs, parse};
//! let p = parse("let r = y - x^2\n100*r^2 + (1 - x)^2").unwrap();
//! let names: Vec<String> = inputs(&p).unwrap().into_iter().map(|i| i.name).collect();
//! assert_eq!(names, ["y", "x"]);
//! ```

use super::ast::{Expr, ExprKind, Index, InputKind, Program, Stmt};
use super::builtins;
use super::diagnostic::{Diagnostic, Span};
use std::collections::HashSet;

/// Names that are constants unless a declaration or let binding shadows
/// them.
pub const CONSTANTS: [(&str, f64); 2] = [("pi", std::f64::consts::PI), ("e", std::f64::consts::E)];

/// The value of the constant `name`, if it is one.
pub fn constant(name: &str) -> Option<f64> {
    CONSTANTS.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// One input of a program.
#[derive(Clone, Debug, PartialEq)]
pub struct InputDecl {
    /// Its name.
    pub name: String,
    /// Its declaration, or its first appearance when undeclared.
    pub span: Span,
    /// Differentiated (`input`, or undeclared) or fixed (`data`).
    pub kind: InputKind,
    /// The declared shape and where it is written, if declared.
    pub shape: Option<(Vec<usize>, Span)>,
    /// The declared default value (a constant expression), if any.
    pub default: Option<Expr>,
}

/// The inputs of `program` in order.
pub fn inputs(program: &Program) -> Result<Vec<InputDecl>, Diagnostic> {
    let declared = program
        .stmts
        .iter()
        .any(|s| matches!(s, Stmt::Declare { .. }));
    let mut w = Walker {
        strict: declared,
        inputs: Vec::new(),
        lets: HashSet::new(),
    };
    for s in &program.stmts {
        match s {
            Stmt::Declare { kind, decls } => {
                for d in decls {
                    let name = &d.name.name;
                    if w.inputs.iter().any(|i| &i.name == name) {
                        return Err(Diagnostic::new(
                            format!("input '{name}' is declared twice"),
                            d.name.span,
                        )
                        .with_help("remove one of the declarations"));
                    }
                    if w.lets.contains(name) {
                        return Err(Diagnostic::new(
                            format!("'{name}' is already a let binding"),
                            d.name.span,
                        ));
                    }
                    if builtins::is_function(name) {
                        return Err(function_as_name(name, d.name.span));
                    }
                    if let Some((dims, span)) = &d.shape {
                        if dims.contains(&0) {
                            return Err(Diagnostic::new("dimensions must be at least 1", *span));
                        }
                        if checked_numel(dims).is_none() {
                            return Err(Diagnostic::new(
                                format!("the shape {dims:?} has too many elements"),
                                *span,
                            ));
                        }
                    }
                    w.inputs.push(InputDecl {
                        name: name.clone(),
                        span: d.name.span,
                        kind: *kind,
                        shape: d.shape.clone(),
                        default: d.default.clone(),
                    });
                }
            }
            Stmt::Let { name, value } => {
                w.expr(value)?;
                if w.inputs.iter().any(|i| i.name == name.name) {
                    return Err(Diagnostic::new(
                        format!("'{}' is an input and cannot be rebound", name.name),
                        name.span,
                    )
                    .with_help("choose another name for this let binding"));
                }
                if builtins::is_function(&name.name) {
                    return Err(function_as_name(&name.name, name.span));
                }
                w.lets.insert(name.name.clone());
            }
        }
    }
    w.expr(&program.result)?;
    if w.inputs.is_empty() {
        return Err(Diagnostic::new(
            "the expression has no inputs: there is nothing to differentiate",
            program.result.span,
        )
        .with_help("use a name such as x for an input, e.g. 'x^2 + 1'"));
    }
    Ok(w.inputs)
}

/// The number of elements of `dims`, if it fits comfortably in memory
/// arithmetic (below 2⁴⁸).
pub fn checked_numel(dims: &[usize]) -> Option<usize> {
    dims.iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n < 1 << 48)
}

fn function_as_name(name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(format!("'{name}' is a function, not a value"), span)
        .with_help(format!("call it as {name}(...), or pick another name"))
}

struct Walker {
    strict: bool,
    inputs: Vec<InputDecl>,
    lets: HashSet<String>,
}

impl Walker {
    fn name(&mut self, name: &str, span: Span) -> Result<(), Diagnostic> {
        if self.lets.contains(name) || self.inputs.iter().any(|i| i.name == name) {
            return Ok(());
        }
        if constant(name).is_some() {
            return Ok(());
        }
        if builtins::is_function(name) {
            return Err(function_as_name(name, span));
        }
        if self.strict {
            let known: Vec<&str> = self
                .inputs
                .iter()
                .map(|i| i.name.as_str())
                .chain(self.lets.iter().map(String::as_str))
                .collect();
            let d = Diagnostic::new(format!("unknown name '{name}'"), span);
            return Err(match builtins::closest(name, known.iter().copied()) {
                Some(s) => d.with_help(format!(
                    "did you mean '{s}'? (this program declares its inputs, so every input must be declared)"
                )),
                None => d.with_help(format!(
                    "declare it, e.g. 'input {name}', or bind it with let"
                )),
            });
        }
        self.inputs.push(InputDecl {
            name: name.to_string(),
            span,
            kind: InputKind::Param,
            shape: None,
            default: None,
        });
        Ok(())
    }

    fn expr(&mut self, e: &Expr) -> Result<(), Diagnostic> {
        match &e.kind {
            ExprKind::Number(_) => Ok(()),
            ExprKind::Name(n) => self.name(n, e.span),
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs)?;
                self.expr(rhs)
            }
            ExprKind::Call { args, .. } => args.iter().try_for_each(|a| self.expr(&a.value)),
            ExprKind::Index { target, indices } => {
                self.expr(target)?;
                for i in indices {
                    match i {
                        Index::At(e) => self.expr(e)?,
                        Index::Slice {
                            start, end, step, ..
                        } => {
                            for e in [start, end, step].into_iter().flatten() {
                                self.expr(e)?;
                            }
                        }
                    }
                }
                Ok(())
            }
            ExprKind::Array(items) => items.iter().try_for_each(|i| self.expr(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn names(src: &str) -> Result<Vec<String>, Diagnostic> {
        Ok(inputs(&parse(src)?)?.into_iter().map(|i| i.name).collect())
    }

    #[test]
    fn first_appearance_order_skipping_constants_and_lets() {
        assert_eq!(names("x^2*y + sin(y)").unwrap(), ["x", "y"]);
        assert_eq!(names("let a = 2*pi\nb * a + e * c").unwrap(), ["b", "c"]);
        assert_eq!(names("input e; e^2").unwrap(), ["e"]);
    }

    #[test]
    fn declarations_fix_the_order_and_make_names_strict() {
        assert_eq!(names("input y, x; x*y").unwrap(), ["y", "x"]);
        let e = names("input x[3]; sum(xx^2)").unwrap_err();
        assert!(e.message.contains("unknown name 'xx'"));
        assert!(e.help.unwrap().contains("did you mean 'x'"));
    }

    #[test]
    fn misuse_is_reported() {
        assert!(names("sin * x")
            .unwrap_err()
            .message
            .contains("is a function"));
        assert!(names("let x = 1; x + y").is_ok());
        assert!(names("input x; let x = 2; x")
            .unwrap_err()
            .message
            .contains("cannot be rebound"));
        assert!(names("input x, x; x")
            .unwrap_err()
            .message
            .contains("twice"));
        assert!(names("2 + 3").unwrap_err().message.contains("no inputs"));
        assert!(names("input x[0]; x")
            .unwrap_err()
            .message
            .contains("at least 1"));
    }
}
