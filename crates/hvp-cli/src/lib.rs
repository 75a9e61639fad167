//! # hvp-cli — the `hvp` command-line tool
//!
//! Evaluate, differentiate, check, minimize and analyse functions written
//! in a small expression language (or built-in test problems), without
//! writing Rust:
//!
//! ```text
//! $ hvp eval --expr 'x^2*y + sin(y)' --at x=1.5,y=-0.7 --dir x=0.3,y=1.1 --json
//! ```
//!
//! The layout follows the pipeline: [`expr`] turns text into a traced
//! [`hvp::Function`] (lexer, parser, names, lowering); [`inputs`] turns
//! `--at`/`--dir` values, files and defaults into arrays; [`session`] ties
//! the two into a function at a point; [`target`] adds the built-in
//! problems of `hvp-problems`; [`commands`] holds one module per
//! subcommand; [`output`] formats numbers, arrays and JSON; [`plot`] draws
//! SVG; [`cli`] declares the flags and the help.
//!
//! ```
//! let code = hvp_cli::run_args(["hvp", "eval", "--expr", "x^2", "--at", "x=3", "--dir", "x=1", "--json"]);
//! assert_eq!(code, hvp_cli::EXIT_OK);
//! ```

pub mod cli;
pub mod commands;
pub mod expr;
pub mod inputs;
pub mod output;
pub mod plot;
pub mod session;
pub mod target;

use clap::Parser;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: a self-check failed, or a minimization did not converge.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit status: bad input (a malformed expression, a wrong name or shape,
/// an unreadable file) or an error while computing.
pub const EXIT_ERROR: u8 = 2;

/// Significant digits of text output by default for a dtype.
pub fn default_digits(dtype: cli::DTypeArg) -> usize {
    match dtype {
        cli::DTypeArg::F32 => 7,
        cli::DTypeArg::F64 => 12,
    }
}

/// Runs a parsed command line: prints its output or its error; returns the
/// exit status.
pub fn run(cli: cli::Cli) -> u8 {
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
    }
}

/// Parses `args` (the program name first) and runs them, as the binary
/// does; help, version and usage errors are printed by clap.
pub fn run_args<I, S>(args: I) -> u8
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    match cli::Cli::try_parse_from(args) {
        Ok(c) => run(c),
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_OK
            }
        }
    }
}
