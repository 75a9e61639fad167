//! The command line: subcommands, their flags, and help that teaches by
//! example. Each subcommand's arguments are a struct; the arguments every
//! function-taking command shares ([`FunctionArgs`]) are flattened in.
//!
//! ```
//! use clap::Parser;
//! use hvp_cli::cli::{Cli, Command};
//! let cli = Cli::try_parse_from(["hvp", "eval", "--expr", "x^2", "--at", "x=3"]).unwrap();
//! assert!(matches!(cli.command, Command::Eval(_)));
//! ```

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const TOP_EXAMPLES: &str = "\
Examples:
  hvp eval --expr 'x^2*y + sin(y)' --at x=1.5,y=-0.7 --dir x=0.3,y=1.1
  hvp eval --file rosenbrock.hvp --at x=-1.2 --all-modes --hessian
  hvp check --expr 'sum(tanh(x) * x)' --at 'x=[0.1, -0.4, 0.9]'
  hvp functions

Exit status: 0 success, 1 a self-check failed, 2 bad input or an error.";

const EVAL_EXAMPLES: &str = "\
Examples:
  # the specification's example, machine-readable
  hvp eval --expr 'x^2*y + sin(y)' --at x=1.5,y=-0.7 --dir x=0.3,y=1.1 --json

  # a declared vector input filled with -1.2, every HVP mode side by side, the dense Hessian
  hvp eval --expr 'input x[4]; sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)' \\
           --at x=-1.2 --all-modes --hessian

  # inputs from files, single precision, a seeded random direction
  hvp eval --file model.hvp --at w=@w.npy,X=@data.csv --dtype f32 --seed 7

Values (--at, --dir): numbers (x=1.5), arrays (x=[1,2,3], A=[[1,2],[3,4]]),
range(1, 11), linspace(0, 1, 5), fills of a declared shape (x=-1.2), and files
(x=@x.npy, x=@x.csv). Repeat the flag or separate pairs with commas.";

const CHECK_EXAMPLES: &str = "\
Examples:
  hvp check --expr 'x^2*y + sin(y)' --at x=1.5,y=-0.7
  hvp check --expr 'logsumexp(A @ w)' --at 'A=[[1,2],[3,4],[5,6]],w=[0.1,-0.2]' --json
  hvp check --file f.hvp --at x=@x0.npy --mode ror --dtype f32

Checks: the value and gradient are finite; the operator is symmetric
(uᵀHv = vᵀHu); every AD mode agrees with the others; and central differences
of the gradient agree with Hv. Exit status 1 when any check fails.";

const FUNCTIONS_EXAMPLES: &str = "\
Examples:
  hvp functions
  hvp functions --json";

/// `hvp`: Hessian-vector products, gradients and checks of functions
/// written in a small expression language.
#[derive(Debug, Parser)]
#[command(
    name = "hvp",
    version,
    about = "Hessian-vector products, gradients and checks for functions written as expressions",
    long_about = "Hessian-vector products, gradients and checks for functions written as expressions.\n\n\
Write f as an expression over named inputs (--expr) or in a file (--file); give\n\
the point with --at and a direction with --dir. Every derivative is computed by\n\
automatic differentiation of the traced expression.",
    after_help = TOP_EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate f, ∇f, a Hessian-vector product Hv and vᵀHv at a point
    #[command(after_help = EVAL_EXAMPLES)]
    Eval(EvalArgs),
    /// Run the Hessian operator's self-checks at a point (PASS/FAIL)
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// List the functions, constants and syntax of the expression language
    #[command(after_help = FUNCTIONS_EXAMPLES)]
    Functions(FunctionsArgs),
}

/// The function and the point, shared by every command that takes a
/// function.
#[derive(Debug, Args)]
pub struct FunctionArgs {
    /// The function as an expression, e.g. 'x^2*y + sin(y)'; several
    /// statements are separated by ';'
    #[arg(
        long,
        short = 'e',
        value_name = "EXPR",
        conflicts_with = "file",
        required_unless_present = "file",
        allow_hyphen_values = true
    )]
    pub expr: Option<String>,
    /// A file holding the function: declarations, let bindings and comments;
    /// its last expression is f
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The point: NAME=VALUE pairs separated by commas (repeatable)
    #[arg(long, value_name = "NAME=VALUE,...", allow_hyphen_values = true)]
    pub at: Vec<String>,
    /// The floating-point type to compute in
    #[arg(long, value_enum, default_value_t = DTypeArg::F64)]
    pub dtype: DTypeArg,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// Significant digits in text output (default 12 for f64, 7 for f32)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=17))]
    pub digits: Option<u8>,
}

/// The floating-point types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DTypeArg {
    /// 32-bit floats
    F32,
    /// 64-bit floats
    F64,
}

impl DTypeArg {
    /// The name, as in `--dtype`.
    pub fn name(self) -> &'static str {
        match self {
            DTypeArg::F32 => "f32",
            DTypeArg::F64 => "f64",
        }
    }
}

/// How Hessian-vector products are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// forward-over-reverse (Pearlmutter), prepared once per point
    #[value(alias = "forward-over-reverse")]
    For,
    /// reverse-over-forward
    #[value(alias = "reverse-over-forward")]
    Rof,
    /// reverse-over-reverse
    #[value(alias = "reverse-over-reverse")]
    Ror,
    /// forward differences of the gradient
    #[value(alias = "forward-difference")]
    Fd,
    /// central differences of the gradient
    #[value(alias = "central-difference")]
    Cfd,
}

impl From<ModeArg> for hvp::HvpMode {
    fn from(m: ModeArg) -> hvp::HvpMode {
        match m {
            ModeArg::For => hvp::HvpMode::ForwardOverReverse,
            ModeArg::Rof => hvp::HvpMode::ReverseOverForward,
            ModeArg::Ror => hvp::HvpMode::ReverseOverReverse,
            ModeArg::Fd => hvp::HvpMode::ForwardDifference,
            ModeArg::Cfd => hvp::HvpMode::CentralDifference,
        }
    }
}

/// `hvp eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The function and point.
    #[command(flatten)]
    pub function: FunctionArgs,
    /// The direction v: NAME=VALUE pairs like --at (repeatable); omitted, a
    /// seeded random direction with standard normal entries
    #[arg(long, value_name = "NAME=VALUE,...", allow_hyphen_values = true)]
    pub dir: Vec<String>,
    /// Seed of the random direction
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How Hv is computed
    #[arg(long, value_enum, default_value_t = ModeArg::For)]
    pub mode: ModeArg,
    /// Compute Hv in every mode and report how much they disagree
    #[arg(long)]
    pub all_modes: bool,
    /// Also print the dense Hessian (for small n)
    #[arg(long)]
    pub hessian: bool,
    /// Print the traced graph of f (the IR's text form) and exit
    #[arg(long)]
    pub dump_ir: bool,
}

/// `hvp check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The function and point.
    #[command(flatten)]
    pub function: FunctionArgs,
    /// The mode of the operator under test
    #[arg(long, value_enum, default_value_t = ModeArg::For)]
    pub mode: ModeArg,
    /// Seed of the random probe directions
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `hvp functions`.
#[derive(Debug, Args)]
pub struct FunctionsArgs {
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}
