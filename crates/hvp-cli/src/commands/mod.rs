//! One module per subcommand; each takes its parsed arguments, prints its
//! report (text or JSON) and returns the exit status.

pub mod bench;
pub mod check;
pub mod demo;
pub mod eval;
pub mod functions;
pub mod minimize;
pub mod problems;
pub mod spectrum;

use crate::cli::{Cli, Command};
use anyhow::Result;

/// Runs the chosen subcommand; returns its exit status.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Eval(a) => eval::run(&a),
        Command::Check(a) => check::run(&a),
        Command::Functions(a) => functions::run(&a),
        Command::Minimize(a) => minimize::run(&a),
        Command::Spectrum(a) => spectrum::run(&a),
        Command::Problems(a) => problems::run(&a),
        Command::Bench(a) => bench::run(&a),
        Command::Demo(a) => demo::run(&a),
    }
}
