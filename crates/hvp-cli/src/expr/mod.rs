//! The expression language: text → tokens ([`lexer`]) → syntax tree
//! ([`parser`], [`ast`]) → inputs in order ([`names`]) → a traced
//! [`hvp::Function`] ([`lower`], with the functions of [`builtins`]).
//! Every stage reports problems as a [`Diagnostic`] pointing into the text.
//!
//! # Grammar (EBNF)
//!
//! ```text
//! program    = { sep } { statement sep { sep } } expr { sep } ;
//! sep        = NEWLINE | ";" ;
//! statement  = "let" NAME "=" expr
//!            | ( "input" | "data" ) decl { "," decl } ;
//! decl       = NAME [ "[" [ INT { "," INT } ] "]" ] [ "=" expr ] ;
//! expr       = additive [ ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) additive ] ;
//! additive   = term { ( "+" | "-" ) term } ;
//! term       = unary { ( "*" | "/" | "@" ) unary } ;
//! unary      = ( "-" | "+" ) unary | power ;
//! power      = postfix [ ( "^" | "**" ) unary ] ;          (* right-associative *)
//! postfix    = primary { "[" index { "," index } "]" } ;
//! index      = expr | [ expr ] ":" [ expr ] [ ":" [ expr ] ] ;
//! primary    = NUMBER | NAME | NAME "(" [ arg { "," arg } [ "," ] ] ")"
//!            | "(" expr ")" | "[" expr { "," expr } [ "," ] "]" ;
//! arg        = [ NAME "=" ] expr ;
//! NUMBER     = digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ] | "." digits ;
//! NAME       = letter { letter | digit | "_" } ;                (* letter includes "_" *)
//! ```
//!
//! `#` starts a comment to the end of the line. A newline ends a statement
//! except inside brackets or after an operator, `,`, `:` or `=`.
//! `-x^2` is `-(x^2)`; `2^-1` is `0.5`; comparisons give 1 or 0 and do not
//! chain. The last expression is `f`, which must be a scalar.
//!
//! Names: `pi` and `e` are constants; every other free name is an input,
//! in order of first appearance, unless the program declares its inputs
//! with `input` (differentiated) and `data` (held fixed), in which case
//! every input must be declared and the declarations give the order.
//!
//! ```
//! use hvp_cli::expr::{lower::{lower, InputSlot}, names::inputs, parse};
//! let src = "input x[3]\n# chained Rosenbrock\nsum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)";
//! let program = parse(src).unwrap();
//! let decls = inputs(&program).unwrap();
//! let slots: Vec<InputSlot> = decls.iter().map(|d| InputSlot {
//!     name: d.name.clone(),
//!     shape: d.shape.clone().unwrap().0,
//!     differentiable: true,
//! }).collect();
//! let f = lower(&program, &slots).unwrap().function;
//! let g = f.grad(&[1.0_f64, 1.0, 1.0]).unwrap();
//! assert!(g.iter().all(|v| v.abs() < 1e-12));
//! ```

pub mod ast;
pub mod builtins;
pub mod diagnostic;
pub mod lexer;
pub mod lower;
pub mod names;
pub mod parser;

pub use diagnostic::{Diagnostic, SourceError, Span};
pub use parser::{parse, parse_expr};
