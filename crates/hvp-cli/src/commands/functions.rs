//! `hvp functions`: the language's functions, constants and syntax.

use crate::cli::FunctionsArgs;
use crate::expr::builtins::{Group, FUNCTIONS};
use crate::expr::names::CONSTANTS;
use crate::output::{print_json, print_text};
use anyhow::Result;
use serde_json::json;

const SYNTAX: &str = "\
Syntax
  x^2*y + sin(y)            arithmetic: + - * / ^ (or **, right-associative), unary -, @ (matmul)
  x < y                     comparisons <, <=, >, >=, ==, != give 1 or 0
  x[0]  x[1:]  x[:-1]  x[::2]  A[0, 1:]      indexing and slicing (numpy rules)
  [1.5, 2.25]  [[1, 2], [3, 4]]              array literals
  sum(x, axis=0)  sum(A, axis=[0, 1])        reductions over some axes
  let r = y - x^2           bindings; statements end with a new line or ';'
  input x[3], y             declared inputs (then every input must be declared);
  data t[3] = [1, 2, 3]     fixed data; '= value' gives a default for --at
  # comment                 to the end of the line
The last expression is f; it must be a scalar.";

/// Runs `hvp functions`.
pub fn run(args: &FunctionsArgs) -> Result<u8> {
    if args.json {
        let functions: Vec<_> = FUNCTIONS
            .iter()
            .map(|f| json!({"name": f.name, "usage": f.usage, "summary": f.summary, "group": format!("{:?}", f.group).to_lowercase()}))
            .collect();
        let constants: Vec<_> = CONSTANTS
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        print_json(&json!({"functions": functions, "constants": constants}))?;
        return Ok(crate::EXIT_OK);
    }
    let mut out = String::new();
    let groups = [
        (Group::Elementwise, "Elementwise"),
        (Group::Binary, "Elementwise, several arguments"),
        (Group::Reduction, "Reductions"),
        (Group::Loss, "Normalizers and losses"),
        (Group::Structure, "Products and layout"),
        (Group::Constant, "Constant arrays"),
    ];
    let w = FUNCTIONS.iter().map(|f| f.usage.len()).max().unwrap_or(0);
    for (g, title) in groups {
        out += &format!("{title}\n");
        for f in FUNCTIONS.iter().filter(|f| f.group == g) {
            out += &format!("  {:<w$}  {}\n", f.usage, f.summary);
        }
        out += "\n";
    }
    out += "Constants\n";
    for (n, v) in CONSTANTS {
        out += &format!("  {n:<w$}  {v}\n");
    }
    out += "\n";
    out += SYNTAX;
    out += "\n";
    print_text(&out)?;
    Ok(crate::EXIT_OK)
}
