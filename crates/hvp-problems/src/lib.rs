//! # hvp-problems — test problems as traced functions
//!
//! The 35 problems of Moré, Garbow and Hillstrom, *Testing Unconstrained
//! Optimization Software*, ACM TOMS 7(1), 1981 (MGH), each stated as the sum
//! of squares `f(x) = Σᵢ fᵢ(x)²` of its residuals and traced with the
//! [`hvp`] facade, plus the chained Rosenbrock function of scipy's `rosen`
//! and an L2-regularized logistic regression on seeded synthetic data.
//!
//! Every problem carries its name, a one-line description, its dimensions
//! `n` (variables) and `m` (residuals, or examples for the logistic
//! regression), the paper's standard starting point `x0` (scale it with
//! [`Problem::start`], as the paper does with factors 10 and 100), and the
//! minimal value `f*` the paper reports, with the minimizer where it is
//! known and notes where the paper lists several local minima or a value for
//! specific dimensions only.
//!
//! ```
//! use hvp_problems::{all, by_name};
//! let p = by_name("extended-rosenbrock", Some(1000))?;
//! let f = p.function()?;
//! let x0 = p.start(1.0);
//! let g = f.grad(&x0)?;                     // AD gradient at the standard start
//! let hv = f.hvp(&x0, &vec![1.0; p.n])?;    // one Hessian-vector product
//! assert_eq!((g.len(), hv.len()), (1000, 1000));
//! assert!((f.value(&p.x_star.clone().unwrap())? - p.f_star.unwrap()).abs() < 1e-12);
//! assert!(all().len() >= 37);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The canonical benchmark workloads of DESIGN.md §9 and the harness that
//! measures them (interleaved timing rounds, peak heap growth) live here
//! too, in [`workloads`] and [`measure`], shared by the `canonical` bench
//! and `hvp bench`.
//!
//! Problems with fixed data (only the logistic regression so far) take that
//! data as a non-differentiated input of the traced function: call its
//! methods at [`Problem::point`]`(x)` (which is `x` itself for every other
//! problem); gradients and directions still have length `n`.

mod extra;
pub mod measure;
mod mgh;
mod ops;
mod rng;
pub mod workloads;

pub use extra::logistic_regression;

use hvp::{Function, Spec, Tensor};
use std::fmt;
use std::sync::Arc;

/// The dimensions of one instance: `n` variables and `m` residuals (for the
/// logistic regression, `m` examples).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dims {
    /// Number of variables.
    pub n: usize,
    /// Number of residuals `fᵢ` (examples, for the logistic regression).
    pub m: usize,
}

/// The values of `n` a problem allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NRule {
    /// Exactly this `n`.
    Fixed(usize),
    /// Any multiple of `step` in `min..=max` (`max = None`: unbounded).
    Range {
        /// Smallest allowed `n`.
        min: usize,
        /// Largest allowed `n`, if bounded.
        max: Option<usize>,
        /// `n` must be a multiple of this (1: any).
        step: usize,
    },
}

impl NRule {
    /// Whether `n` is allowed.
    pub fn allows(&self, n: usize) -> bool {
        match *self {
            NRule::Fixed(k) => n == k,
            NRule::Range { min, max, step } => {
                n >= min && max.is_none_or(|mx| n <= mx) && n.is_multiple_of(step.max(1))
            }
        }
    }
}

impl fmt::Display for NRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NRule::Fixed(k) => write!(f, "n = {k}"),
            NRule::Range { min, max, step } => {
                match max {
                    Some(mx) => write!(f, "{min} <= n <= {mx}")?,
                    None => write!(f, "n >= {min}")?,
                }
                if step > 1 {
                    write!(f, ", n a multiple of {step}")?;
                }
                Ok(())
            }
        }
    }
}

/// How `m` follows from `n`, or which values of `m` may be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MRule {
    /// `m = a·n + b`, no choice.
    Linked {
        /// Coefficient of `n`.
        a: usize,
        /// Constant term (may be negative).
        b: i64,
    },
    /// `m` is free in `min..=max` (and `m >= n` when `at_least_n`); the
    /// default is `default_a·n + default_b`.
    Free {
        /// Smallest allowed `m`.
        min: usize,
        /// Largest allowed `m`, if bounded.
        max: Option<usize>,
        /// Whether `m >= n` is required too.
        at_least_n: bool,
        /// Coefficient of `n` in the default `m`.
        default_a: usize,
        /// Constant term of the default `m`.
        default_b: i64,
    },
}

fn affine(a: usize, b: i64, n: usize) -> usize {
    ((a * n) as i64 + b).max(0) as usize
}

impl MRule {
    /// The default `m` for `n`.
    pub fn default_m(&self, n: usize) -> usize {
        match *self {
            MRule::Linked { a, b } => affine(a, b, n),
            MRule::Free {
                min,
                max,
                at_least_n,
                default_a,
                default_b,
            } => {
                let m = affine(default_a, default_b, n).max(min);
                let m = if at_least_n { m.max(n) } else { m };
                max.map_or(m, |mx| m.min(mx))
            }
        }
    }

    /// Whether `m` is allowed with `n`.
    pub fn allows(&self, n: usize, m: usize) -> bool {
        match *self {
            MRule::Linked { a, b } => m == affine(a, b, n),
            MRule::Free {
                min,
                max,
                at_least_n,
                ..
            } => m >= min && max.is_none_or(|mx| m <= mx) && (!at_least_n || m >= n),
        }
    }
}

impl fmt::Display for MRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lin = |f: &mut fmt::Formatter<'_>, a: usize, b: i64| match (a, b) {
            (0, b) => write!(f, "{b}"),
            (1, 0) => write!(f, "n"),
            (a, 0) => write!(f, "{a}n"),
            (1, b) if b > 0 => write!(f, "n + {b}"),
            (1, b) => write!(f, "n - {}", -b),
            (a, b) if b > 0 => write!(f, "{a}n + {b}"),
            (a, b) => write!(f, "{a}n - {}", -b),
        };
        match *self {
            MRule::Linked { a, b } => {
                write!(f, "m = ")?;
                lin(f, a, b)
            }
            MRule::Free {
                min,
                max,
                at_least_n,
                default_a,
                default_b,
            } => {
                write!(f, "m >= {min}")?;
                if at_least_n {
                    write!(f, ", m >= n")?;
                }
                if let Some(mx) = max {
                    write!(f, ", m <= {mx}")?;
                }
                write!(f, " (default ")?;
                lin(f, default_a, default_b)?;
                write!(f, ")")
            }
        }
    }
}

/// Why a problem could not be instantiated.
#[derive(Clone, Debug, PartialEq)]
pub enum ProblemError {
    /// No problem has this name.
    UnknownName {
        /// The name asked for.
        name: String,
    },
    /// The problem does not allow this `n`.
    BadN {
        /// The problem.
        name: &'static str,
        /// The `n` asked for.
        n: usize,
        /// The allowed values.
        allowed: NRule,
    },
    /// The problem does not allow this `m` with this `n`.
    BadM {
        /// The problem.
        name: &'static str,
        /// The `n` of the instance.
        n: usize,
        /// The `m` asked for.
        m: usize,
        /// The allowed values.
        allowed: MRule,
    },
    /// Another parameter is out of range (e.g. a non-positive
    /// regularization weight).
    BadParameter {
        /// The problem.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for ProblemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemError::UnknownName { name } => {
                let names: Vec<&str> = all().iter().map(|s| s.name).collect();
                write!(
                    f,
                    "unknown problem {name:?}; known problems: {}",
                    names.join(", ")
                )
            }
            ProblemError::BadN { name, n, allowed } => {
                write!(f, "{name}: n = {n} is not allowed ({allowed})")
            }
            ProblemError::BadM {
                name,
                n,
                m,
                allowed,
            } => write!(f, "{name}: m = {m} is not allowed with n = {n} ({allowed})"),
            ProblemError::BadParameter { name, message } => write!(f, "{name}: {message}"),
        }
    }
}

impl std::error::Error for ProblemError {}

/// The residual vector `x ↦ (f₁(x), …, f_m(x))` of a least-squares problem.
type ResidualFn = fn(&Tensor, Dims) -> Tensor;

/// What is known about an instance's minimum, as the paper states it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Known {
    pub f_star: Option<f64>,
    pub x_star: Option<Vec<f64>>,
    pub notes: Vec<String>,
}

/// How an instance computes its objective.
#[derive(Clone)]
enum Form {
    /// `f = Σ rᵢ(x)²`.
    LeastSquares(ResidualFn),
    /// `f = (1/N) Σ ln(1 + exp(−yᵢ aᵢᵀw)) + (λ/2)‖w‖²` on fixed data.
    Logistic(Arc<extra::LogisticData>),
}

/// One row of the catalog: the rules of a problem, independent of `n`.
#[derive(Clone)]
pub(crate) struct Entry {
    pub spec: ProblemSpec,
    pub residuals: ResidualFn,
    pub start: fn(Dims) -> Vec<f64>,
    pub known: fn(Dims) -> Known,
}

/// A problem of the catalog, before its dimensions are chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct ProblemSpec {
    /// Kebab-case name, unique in the catalog.
    pub name: &'static str,
    /// One line saying what the problem is.
    pub description: &'static str,
    /// The problem's number in Moré–Garbow–Hillstrom (1981), if it is one of
    /// theirs.
    pub mgh_number: Option<u8>,
    /// The allowed `n`.
    pub n_rule: NRule,
    /// `n` when none is asked for.
    pub default_n: usize,
    /// How `m` follows from `n` (or may be chosen).
    pub m_rule: MRule,
}

impl ProblemSpec {
    /// How many fixed data values an instance with `n` variables and `m`
    /// residuals (examples) carries besides its variables: `m·n + m` for
    /// the logistic regression (features and labels), 0 for every other
    /// problem. Known before the instance is built, so a caller can refuse
    /// sizes that would not fit in memory.
    ///
    /// ```
    /// let specs = hvp_problems::all();
    /// let spec = |name| specs.iter().find(|s| s.name == name).unwrap();
    /// assert_eq!(spec("logistic-regression").data_len(10, 100), 1100);
    /// assert_eq!(spec("watson").data_len(9, 31), 0);
    /// ```
    pub fn data_len(&self, n: usize, m: usize) -> usize {
        if self.name == extra::LOGISTIC_NAME {
            m.saturating_mul(n).saturating_add(m)
        } else {
            0
        }
    }

    /// The instance with `n` variables (the default when `None`) and the
    /// default `m`.
    pub fn problem(&self, n: Option<usize>) -> Result<Problem, ProblemError> {
        self.problem_with(n, None)
    }

    /// The instance with `n` variables and `m` residuals (defaults where
    /// `None`).
    pub fn problem_with(
        &self,
        n: Option<usize>,
        m: Option<usize>,
    ) -> Result<Problem, ProblemError> {
        let n = n.unwrap_or(self.default_n);
        if !self.n_rule.allows(n) {
            return Err(ProblemError::BadN {
                name: self.name,
                n,
                allowed: self.n_rule,
            });
        }
        let m = m.unwrap_or_else(|| self.m_rule.default_m(n));
        if !self.m_rule.allows(n, m) {
            return Err(ProblemError::BadM {
                name: self.name,
                n,
                m,
                allowed: self.m_rule,
            });
        }
        if self.name == extra::LOGISTIC_NAME {
            return extra::logistic_regression(n, m, extra::LOGISTIC_LAMBDA, extra::LOGISTIC_SEED);
        }
        let entry = catalog()
            .into_iter()
            .find(|e| e.spec.name == self.name)
            .ok_or_else(|| ProblemError::UnknownName {
                name: self.name.to_string(),
            })?;
        let dims = Dims { n, m };
        let known = (entry.known)(dims);
        Ok(Problem {
            name: self.name,
            description: self.description,
            mgh_number: self.mgh_number,
            n,
            m,
            x0: (entry.start)(dims),
            f_star: known.f_star,
            x_star: known.x_star,
            notes: known.notes,
            form: Form::LeastSquares(entry.residuals),
        })
    }
}

/// One instance of a test problem: dimensions, starting point, what is known
/// of its minimum, and its objective as a traced [`Function`].
#[derive(Clone)]
pub struct Problem {
    /// Kebab-case name (see [`all`]).
    pub name: &'static str,
    /// One line saying what the problem is.
    pub description: &'static str,
    /// The number in Moré–Garbow–Hillstrom (1981), if it is one of theirs.
    pub mgh_number: Option<u8>,
    /// Number of variables.
    pub n: usize,
    /// Number of residuals `fᵢ` (examples, for the logistic regression).
    pub m: usize,
    /// The standard starting point.
    pub x0: Vec<f64>,
    /// The minimal value the paper reports for these dimensions (global
    /// unless the notes say otherwise), if it reports one; for the
    /// logistic regression, the value found by Newton's method at
    /// construction.
    pub f_star: Option<f64>,
    /// A minimizer attaining `f_star`, where one is known: exact where the
    /// paper gives it, otherwise computed (to about 1e-10 in the gradient;
    /// see the notes).
    pub x_star: Option<Vec<f64>>,
    /// Remarks: other local minima the paper lists, values given only for
    /// some dimensions, where a minimizer came from.
    pub notes: Vec<String>,
    form: Form,
}

impl fmt::Debug for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem")
            .field("name", &self.name)
            .field("n", &self.n)
            .field("m", &self.m)
            .field("f_star", &self.f_star)
            .field("notes", &self.notes)
            .finish()
    }
}

impl Problem {
    /// The dimensions `(n, m)`.
    pub fn dims(&self) -> Dims {
        Dims {
            n: self.n,
            m: self.m,
        }
    }

    /// The starting point scaled by `factor` (the paper runs every problem
    /// from `x0`, `10·x0` and `100·x0`).
    pub fn start(&self, factor: f64) -> Vec<f64> {
        self.x0.iter().map(|v| v * factor).collect()
    }

    /// Whether the objective is a sum of squares of residuals (every problem
    /// but the logistic regression).
    pub fn is_least_squares(&self) -> bool {
        matches!(self.form, Form::LeastSquares(_))
    }

    /// The fixed data appended to every point (empty except for the
    /// logistic regression, where it is the `N × n` feature matrix, row
    /// major, followed by the `N` labels `±1`).
    pub fn data(&self) -> &[f64] {
        match &self.form {
            Form::LeastSquares(_) => &[],
            Form::Logistic(d) => &d.packed,
        }
    }

    /// The point to pass to the traced function's methods for variables
    /// `x`: `x` followed by [`Problem::data`] (so `x` itself for every problem
    /// without data).
    pub fn point(&self, x: &[f64]) -> Vec<f64> {
        let mut p = x.to_vec();
        p.extend_from_slice(self.data());
        p
    }

    /// The names of the inputs of [`Problem::function`], in order: `x` (the
    /// variables), then any fixed data (`features` and `labels` for the
    /// logistic regression).
    pub fn input_names(&self) -> &'static [&'static str] {
        match &self.form {
            Form::LeastSquares(_) => &["x"],
            Form::Logistic(_) => &["x", "features", "labels"],
        }
    }

    /// The input specs of [`Problem::function`]: the variables (a vector of
    /// length `n`), then any fixed data.
    pub fn specs(&self) -> Vec<Spec> {
        match &self.form {
            Form::LeastSquares(_) => vec![Spec::vector(self.n)],
            Form::Logistic(d) => vec![
                Spec::vector(self.n),
                Spec::data(&[d.examples, self.n]),
                Spec::data(&[d.examples]),
            ],
        }
    }

    /// The objective inside a trace the caller runs: `inputs` are tensors of
    /// the shapes in [`Problem::specs`]. Use this to compose a problem with
    /// other traced code.
    pub fn objective(&self, inputs: &[Tensor]) -> Tensor {
        match &self.form {
            Form::LeastSquares(r) => r(&inputs[0], self.dims()).square().sum(),
            Form::Logistic(d) => extra::logistic_objective(inputs, d.lambda),
        }
    }

    /// The residual vector `(f₁(x), …, f_m(x))` inside a caller's trace, for
    /// least-squares problems (`None` for the logistic regression).
    pub fn residuals(&self, x: &Tensor) -> Option<Tensor> {
        match &self.form {
            Form::LeastSquares(r) => Some(r(x, self.dims())),
            Form::Logistic(_) => None,
        }
    }

    /// The objective `f` traced as a scalar function of `n` variables (and
    /// the fixed data, if any).
    pub fn function(&self) -> hvp::Result<Function> {
        hvp::trace(|x| self.objective(x), &self.specs())
    }

    /// The residuals traced as a vector-valued function `ℝⁿ → ℝᵐ` (for
    /// Gauss–Newton and Jacobian checks); `None` for the logistic
    /// regression.
    pub fn residual_function(&self) -> Option<hvp::Result<Function>> {
        match &self.form {
            Form::LeastSquares(r) => {
                let (r, dims) = (*r, self.dims());
                Some(hvp::trace(|x| r(&x[0], dims), &self.specs()))
            }
            Form::Logistic(_) => None,
        }
    }
}

fn catalog() -> Vec<Entry> {
    let mut v = mgh::entries();
    v.extend(extra::entries());
    v
}

/// Every problem of the catalog: the 35 Moré–Garbow–Hillstrom problems in
/// the paper's order, then `chained-rosenbrock` and `logistic-regression`.
pub fn all() -> Vec<ProblemSpec> {
    let mut v: Vec<ProblemSpec> = catalog().into_iter().map(|e| e.spec).collect();
    v.push(extra::logistic_spec());
    v
}

/// The problem called `name` with `n` variables (its default when `None`)
/// and the default `m`.
///
/// ```
/// let p = hvp_problems::by_name("watson", Some(9))?;
/// assert_eq!((p.n, p.m), (9, 31));
/// assert!(hvp_problems::by_name("watson", Some(40)).is_err());
/// assert!(hvp_problems::by_name("no-such-problem", None).is_err());
/// # Ok::<(), hvp_problems::ProblemError>(())
/// ```
pub fn by_name(name: &str, n: Option<usize>) -> Result<Problem, ProblemError> {
    by_name_with(name, n, None)
}

/// The problem called `name` with `n` variables and `m` residuals (defaults
/// where `None`).
pub fn by_name_with(
    name: &str,
    n: Option<usize>,
    m: Option<usize>,
) -> Result<Problem, ProblemError> {
    all()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ProblemError::UnknownName {
            name: name.to_string(),
        })?
        .problem_with(n, m)
}
