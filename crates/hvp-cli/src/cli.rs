//! The command line: subcommands, their flags, and help that teaches by
//! example. Each subcommand's arguments are a struct; the arguments every
//! function-taking command shares ([`TargetArgs`]: the function as an
//! expression, a file or a built-in problem, and the point) are flattened
//! in.
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
  hvp eval --problem rosenbrock --json
  hvp minimize --problem extended-rosenbrock --n 1000 --method tr-lanczos
  hvp spectrum --expr 'input x[10]; 0.5*sum(range(1, 11)*x^2)' --at x=1 --plot density.svg
  hvp demo

Exit status: 0 success, 1 a self-check failed or a minimization did not
converge, 2 bad input or an error.";

const EVAL_EXAMPLES: &str = "\
Examples:
  # the specification's example, machine-readable
  hvp eval --expr 'x^2*y + sin(y)' --at x=1.5,y=-0.7 --dir x=0.3,y=1.1 --json

  # a declared vector input filled with -1.2, every HVP mode side by side, the dense Hessian
  hvp eval --expr 'input x[4]; sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)' \\
           --at x=-1.2 --all-modes --hessian

  # inputs from files, single precision, a seeded random direction
  hvp eval --file model.hvp --at w=@w.npy,X=@data.csv --dtype f32 --seed 7

  # a built-in problem (hvp problems lists them) at its standard start, its dense Hessian
  hvp eval --problem rosenbrock --hessian

  # a 1000-variable problem at x = 0.5 everywhere, along v = 1 everywhere
  hvp eval --problem extended-rosenbrock --n 1000 --at x=0.5 --dir x=1 --json

Values (--at, --dir): numbers (x=1.5), arrays (x=[1,2,3], A=[[1,2],[3,4]]),
range(1, 11), linspace(0, 1, 5), fills of a declared shape (x=-1.2), and files
(x=@x.npy, x=@x.csv). Repeat the flag or separate pairs with commas. A
problem's variables are one vector named x. Without --dir, v has seeded
standard normal entries (--seed).";

const CHECK_EXAMPLES: &str = "\
Examples:
  hvp check --expr 'x^2*y + sin(y)' --at x=1.5,y=-0.7
  hvp check --expr 'logsumexp(A @ w)' --at 'A=[[1,2],[3,4],[5,6]],w=[0.1,-0.2]' --json
  hvp check --file f.hvp --at x=@x0.npy --mode ror --dtype f32
  hvp check --problem watson --n 9 --seed 3

Checks: the value and gradient are finite; the operator is symmetric
(uᵀHv = vᵀHu); every AD mode agrees with the others; and central differences
of the gradient agree with Hv, along random directions drawn with --seed.
The difference check allows for the differences' own error, estimated at the
point: truncation from a second step (Richardson), rounding from the size of
the gradient; where one clearly dominates it moves the step. Where rounding
swamps the differences at every step it is inconclusive (SKIP). Exit status 1
when any check fails.";

const FUNCTIONS_EXAMPLES: &str = "\
Examples:
  hvp functions
  hvp functions --json";

const PROBLEMS_EXAMPLES: &str = "\
Examples:
  hvp problems
  hvp problems --json | jq '.[] | select(.f_star == 0) | .name'
  hvp minimize --problem watson --n 9
  hvp eval --problem rosenbrock --hessian
  hvp check --problem helical-valley";

const MINIMIZE_EXAMPLES: &str = "\
Examples:
  # Rosenbrock's function from the standard start, trust-region Newton-CG
  hvp minimize --problem rosenbrock

  # a 10^4-variable chained Rosenbrock by Newton-CG with a strong Wolfe line search
  hvp minimize --problem chained-rosenbrock --n 10000 --method newton-cg --gtol 1e-10

  # an expression from a given point, at most 50 iterations, machine-readable
  hvp minimize --expr 'sum((x - range(1, 6))^2) + prod(x)^2/1e4' --at x=0 \\
               --method tr-lanczos --max-iters 50 --json

Progress (iteration, f, ‖∇f‖, radius or step length, Hessian-vector products so
far) goes to stderr while it is a terminal; --quiet hides it, --progress forces
it. Exit status 0 when the run converged, 1 when it stopped for another reason
(the iteration or time limit, a saddle point, a failed line search, a stall),
2 for bad input.";

const SPECTRUM_EXAMPLES: &str = "\
Examples:
  # a quadratic whose Hessian has eigenvalues 1, 2, ..., 10
  hvp spectrum --expr 'input x[10]; 0.5*sum(range(1, 11)*x^2)' --at x=1 --k 3 --plot density.svg

  # the Hessian of a 1000-variable problem at its standard start
  hvp spectrum --problem extended-rosenbrock --n 1000 --k 5 --plot rosen.svg

  # machine-readable: eigenvalues, trace estimate and the density grid
  hvp spectrum --problem logistic-regression --json > spectrum.json

Eigenvalues at both ends come from Lanczos (--steps Krylov steps, full
reorthogonalization), the trace from Hutch++ (--matvecs products), the density
from stochastic Lanczos quadrature (--probes probes of --slq-steps steps each)
broadened by a Gaussian (--sigma, default 1% of the spectrum's width).";

const BENCH_EXAMPLES: &str = "\
Examples:
  hvp bench --quick
  hvp bench --only rosen
  hvp bench --only mlp --json > mlp.json
  hvp bench --only mlp --dtype f32 --seed 7

Workloads: 'tiny' (the specification's example, latency per call), 'rosen'
(chained Rosenbrock n = 10^3, 10^5, 10^6: f, ∇f, HVP in each AD mode, prepared
apply, hand-written gradient and HVP), 'mlp' (784-256-256-10 tanh MLP, softmax
cross-entropy, batch 256, f64 and f32). Each is timed in interleaved rounds;
times are medians, ratios are to the gradient measured in the same run. Then
the peak heap growth of each program's first call on a fresh function (graph,
plan, workspace, outputs) and its ratio to the gradient's. The same workloads
and harness as `cargo bench -p hvp-problems --bench canonical`. Build with
--release: debug timings mean nothing.";

const DEMO_EXAMPLES: &str = "\
Examples:
  hvp demo
  hvp demo --out-dir /tmp
  hvp demo --quick --json > tour.json
  cargo run --release -p hvp-cli -- demo";

/// `hvp`: Hessian-vector products, gradients and checks of functions
/// written in a small expression language.
#[derive(Debug, Parser)]
#[command(
    name = "hvp",
    version,
    about = "Hessian-vector products, gradients and checks for functions written as expressions",
    long_about = "Hessian-vector products, gradients and checks for functions written as expressions.\n\n\
Write f as an expression over named inputs (--expr) or in a file (--file), or\n\
pick a built-in test problem (--problem, listed by `hvp problems`); give the\n\
point with --at and a direction with --dir. Every derivative is computed by\n\
automatic differentiation of the traced function.",
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
    /// Minimize f by Newton-CG or a trust-region Newton method
    #[command(after_help = MINIMIZE_EXAMPLES)]
    Minimize(MinimizeArgs),
    /// Extreme eigenvalues, trace and spectral density of the Hessian
    #[command(after_help = SPECTRUM_EXAMPLES)]
    Spectrum(SpectrumArgs),
    /// List the built-in test problems (--problem NAME)
    #[command(after_help = PROBLEMS_EXAMPLES)]
    Problems(ProblemsArgs),
    /// Time the canonical workloads: f, ∇f and HVPs with their ratios, and
    /// their peak memory
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),
    /// A short tour: the specification's example, a 10^6-variable HVP, a
    /// Newton solve and a spectrum plot
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
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
    pub target: TargetArgs,
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
    pub target: TargetArgs,
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

/// The function as an expression, a file or a built-in problem, and the
/// point: shared by `eval`, `check`, `minimize` and `spectrum`.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The function as an expression, e.g. 'x^2*y + sin(y)'; several
    /// statements are separated by ';'
    #[arg(
        long,
        short = 'e',
        value_name = "EXPR",
        conflicts_with_all = ["file", "problem"],
        required_unless_present_any = ["file", "problem"],
        allow_hyphen_values = true
    )]
    pub expr: Option<String>,
    /// A file holding the function: declarations, let bindings and comments;
    /// its last expression is f
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "problem")]
    pub file: Option<PathBuf>,
    /// A built-in test problem by name (see `hvp problems`)
    #[arg(long, short = 'p', value_name = "NAME")]
    pub problem: Option<String>,
    /// The number of variables of --problem (its default when omitted)
    #[arg(long, value_name = "N", requires = "problem")]
    pub n: Option<usize>,
    /// The point: NAME=VALUE pairs separated by commas (repeatable); for
    /// --problem the variable is x (x=0.5 fills it, x=@x0.npy reads it);
    /// omitted, the problem's standard start
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

impl TargetArgs {
    /// Significant digits for text output: `--digits`, else the default of
    /// the precision ([`crate::default_digits`]).
    pub fn text_digits(&self) -> usize {
        self.digits
            .map_or(crate::default_digits(self.dtype), usize::from)
    }
}

/// The minimization methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Newton-CG with a strong Wolfe line search
    NewtonCg,
    /// trust-region Newton-CG (Steihaug-Toint)
    TrCg,
    /// trust-region Newton with a Lanczos (GLTR) subproblem solver
    TrLanczos,
}

impl MethodArg {
    /// The method's name, as in `--method`.
    pub fn name(self) -> &'static str {
        match self {
            MethodArg::NewtonCg => "newton-cg",
            MethodArg::TrCg => "tr-cg",
            MethodArg::TrLanczos => "tr-lanczos",
        }
    }

    /// A longer description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            MethodArg::NewtonCg => "Newton-CG (strong Wolfe line search)",
            MethodArg::TrCg => "trust-region Newton-CG (Steihaug)",
            MethodArg::TrLanczos => "trust-region Lanczos (GLTR)",
        }
    }
}

/// Positive finite floats for tolerances and limits.
fn positive_f64(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("must be a positive finite number, got {s}"))
    }
}

/// `hvp minimize`.
#[derive(Debug, Args)]
pub struct MinimizeArgs {
    /// The function and starting point.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The method
    #[arg(long, short = 'm', value_enum, default_value_t = MethodArg::TrCg)]
    pub method: MethodArg,
    /// Converged when ‖∇f‖ ≤ GTOL (default √ε: 1.5e-8 in f64, 3.5e-4 in f32)
    #[arg(long, value_name = "GTOL", value_parser = positive_f64)]
    pub gtol: Option<f64>,
    /// The most iterations
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_iters: usize,
    /// Stop after this many seconds (checked once per iteration)
    #[arg(long, value_name = "SECONDS", value_parser = positive_f64)]
    pub time_limit: Option<f64>,
    /// Seed of the saddle probe's random start
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// No progress display
    #[arg(long, short = 'q', conflicts_with = "progress")]
    pub quiet: bool,
    /// Show progress on stderr even when it is not a terminal
    #[arg(long)]
    pub progress: bool,
}

/// `hvp spectrum`.
#[derive(Debug, Args)]
pub struct SpectrumArgs {
    /// The function and point.
    #[command(flatten)]
    pub target: TargetArgs,
    /// How many eigenvalues at each end
    #[arg(long, short = 'k', value_name = "K", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub k: u64,
    /// Lanczos steps for the extreme eigenvalues (capped at n)
    #[arg(long, value_name = "STEPS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub steps: u64,
    /// Hessian-vector products for the Hutch++ trace estimate (at least 3)
    #[arg(long, value_name = "M", default_value_t = 99,
          value_parser = clap::value_parser!(u64).range(3..=1_000_000))]
    pub matvecs: u64,
    /// Random probes of the spectral density (SLQ)
    #[arg(long, value_name = "P", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub probes: u64,
    /// Lanczos steps per SLQ probe (quadrature nodes, capped at n)
    #[arg(long, value_name = "STEPS", default_value_t = 40,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub slq_steps: u64,
    /// Width of the Gaussian broadening the density (default 1% of the
    /// spectrum's width)
    #[arg(long, value_name = "SIGMA", value_parser = positive_f64)]
    pub sigma: Option<f64>,
    /// Points of the density grid
    #[arg(long, value_name = "N", default_value_t = 400,
          value_parser = clap::value_parser!(u64).range(2..=100_000))]
    pub grid: u64,
    /// Write the spectral density as an SVG plot to this file
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Seed of the random start and probe vectors
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `hvp problems`.
#[derive(Debug, Args)]
pub struct ProblemsArgs {
    /// Print a JSON array instead of text
    #[arg(long)]
    pub json: bool,
}

/// The workload groups of `hvp bench`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// the specification's example f(x, y) = x²y + sin y, latency per call
    Tiny,
    /// chained Rosenbrock, n = 10^3, 10^5, 10^6
    Rosen,
    /// MLP 784-256-256-10, batch 256, f64 and f32
    Mlp,
}

/// `hvp bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Fewer rounds (a rough measurement in seconds)
    #[arg(long)]
    pub quick: bool,
    /// Run only these workloads (repeatable or comma-separated)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Workload>,
    /// Run only these precisions (tiny and rosen are f64 workloads; the MLP
    /// runs in each)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub dtype: Vec<DTypeArg>,
    /// Seed of the MLP's random data and direction (42, the default, is the
    /// canonical data that earlier figures were measured on)
    #[arg(long, default_value_t = hvp_problems::workloads::MLP_SEED)]
    pub seed: u64,
    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// `hvp demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print one JSON object (every part's measurements) instead of text
    #[arg(long)]
    pub json: bool,
    /// Where to write hvp-demo-spectrum.svg
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
    /// Smaller sizes (10^4 instead of 10^6 variables): for unoptimized builds
    #[arg(long)]
    pub quick: bool,
    /// Seed of the spectrum's random probes and the solver's saddle probe
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}
