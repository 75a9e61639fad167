//! The functions of the expression language: their table (names, usage,
//! one-line descriptions, for help and suggestions) and their lowering to
//! the facade's [`Tensor`] API.
//!
//! ```
//! use hvp_cli::expr::builtins::{closest_function, is_function, FUNCTIONS};
//! assert!(is_function("logsumexp"));
//! assert_eq!(closest_function("sine"), Some("sin"));
//! assert!(FUNCTIONS.iter().any(|f| f.name == "range"));
//! ```

use super::ast::{Arg, BinOp, Expr, ExprKind, Ident};
use super::diagnostic::{Diagnostic, Span};
use super::lower::{broadcast, check_matmul, fmt_shape, Lowerer, Value, MAX_ELEMENTS};
use super::names::checked_numel;
use hvp::Tensor;
use ndarray::{ArrayD, IxDyn};

/// One function of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// How it is called.
    pub usage: &'static str,
    /// What it computes.
    pub summary: &'static str,
    /// Its group, for listings.
    pub group: Group,
}

/// Groups of functions, for listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Elementwise functions of one argument.
    Elementwise,
    /// Elementwise functions of several arguments.
    Binary,
    /// Reductions over all or some axes.
    Reduction,
    /// Normalizers and losses.
    Loss,
    /// Products and layout.
    Structure,
    /// Constant arrays.
    Constant,
}

macro_rules! builtins {
    ($($group:ident $name:literal $usage:literal $summary:literal;)*) => {
        /// Every function of the language.
        pub const FUNCTIONS: &[Builtin] = &[
            $(Builtin { name: $name, usage: $usage, summary: $summary, group: Group::$group },)*
        ];
    };
}

builtins! {
    Elementwise "exp" "exp(x)" "e^x";
    Elementwise "ln" "ln(x)" "natural logarithm (also log)";
    Elementwise "log" "log(x)" "natural logarithm (also ln)";
    Elementwise "log1p" "log1p(x)" "ln(1 + x), accurate near 0 (also ln_1p)";
    Elementwise "ln_1p" "ln_1p(x)" "ln(1 + x), accurate near 0 (also log1p)";
    Elementwise "expm1" "expm1(x)" "e^x - 1, accurate near 0 (also exp_m1)";
    Elementwise "exp_m1" "exp_m1(x)" "e^x - 1, accurate near 0 (also expm1)";
    Elementwise "sqrt" "sqrt(x)" "square root";
    Elementwise "sin" "sin(x)" "sine";
    Elementwise "cos" "cos(x)" "cosine";
    Elementwise "tan" "tan(x)" "tangent";
    Elementwise "atan" "atan(x)" "arctangent";
    Elementwise "tanh" "tanh(x)" "hyperbolic tangent";
    Elementwise "abs" "abs(x)" "absolute value";
    Elementwise "sign" "sign(x)" "-1, 0 or 1";
    Elementwise "square" "square(x)" "x^2";
    Elementwise "sigmoid" "sigmoid(x)" "1 / (1 + e^-x), overflow-free";
    Elementwise "softplus" "softplus(x)" "ln(1 + e^x), overflow-free";
    Elementwise "relu" "relu(x)" "max(x, 0)";
    Elementwise "stop_gradient" "stop_gradient(x)" "x, with a zero derivative";
    Binary "pow" "pow(x, y)" "x^y elementwise";
    Binary "maximum" "maximum(x, y)" "elementwise maximum";
    Binary "minimum" "minimum(x, y)" "elementwise minimum";
    Binary "where" "where(cond, a, b)" "a where cond != 0, else b";
    Reduction "sum" "sum(x, axis=k)" "sum of all elements, or over axis k (or axes [i, j])";
    Reduction "mean" "mean(x, axis=k)" "mean of all elements or over axes";
    Reduction "max" "max(x, axis=k)" "maximum of all elements or over axes";
    Reduction "min" "min(x, axis=k)" "minimum of all elements or over axes";
    Reduction "prod" "prod(x)" "product of all elements";
    Reduction "logsumexp" "logsumexp(x, axis=k)" "ln(sum(exp(x))), overflow-free, over all or some axes";
    Reduction "norm" "norm(x, axis=k)" "Euclidean norm of all elements or over axes";
    Loss "softmax" "softmax(x, axis=-1)" "e^x / sum(e^x) along an axis";
    Loss "log_softmax" "log_softmax(x, axis=-1)" "x - logsumexp(x) along an axis";
    Loss "cross_entropy" "cross_entropy(logits, labels)" "mean softmax cross-entropy; logits [batch, classes], labels [batch]";
    Loss "mse" "mse(a, b)" "mean((a - b)^2)";
    Structure "dot" "dot(a, b)" "sum(a * b) for equally shaped a, b";
    Structure "matmul" "matmul(A, B)" "matrix product, as A @ B";
    Structure "outer" "outer(a, b)" "outer product of two vectors";
    Structure "transpose" "transpose(A) or transpose(A, [axes])" "swaps the last two axes, or permutes them";
    Structure "reshape" "reshape(x, [d0, d1])" "same elements, new shape (one -1 is inferred)";
    Structure "broadcast_to" "broadcast_to(x, [d0, d1])" "numpy broadcast to a shape";
    Structure "concat" "concat(a, b, ..., axis=0)" "joins arrays along an existing axis";
    Structure "stack" "stack(a, b, ..., axis=0)" "joins equally shaped values along a new axis";
    Constant "range" "range(n), range(a, b) or range(a, b, step)" "a, a+step, ... below b (as numpy's arange)";
    Constant "linspace" "linspace(a, b, n)" "n evenly spaced values from a to b";
    Constant "zeros" "zeros([d0, d1])" "an array of zeros";
    Constant "ones" "ones([d0, d1])" "an array of ones";
    Constant "full" "full([d0, d1], v)" "an array filled with v";
}

/// Whether `name` is a function of the language.
pub fn is_function(name: &str) -> bool {
    FUNCTIONS.iter().any(|f| f.name == name)
}

/// The function nearest to a misspelled `name`, if one is near.
pub fn closest_function(name: &str) -> Option<&'static str> {
    let aliases = [
        ("arctan", "atan"),
        ("atan2", "atan"),
        ("arange", "range"),
        ("concatenate", "concat"),
        ("np.sum", "sum"),
        ("amax", "max"),
        ("amin", "min"),
        ("fmax", "maximum"),
        ("fmin", "minimum"),
        ("select", "where"),
    ];
    if let Some(&(_, to)) = aliases.iter().find(|(from, _)| *from == name) {
        return Some(to);
    }
    closest(name, FUNCTIONS.iter().map(|f| f.name))
}

/// The candidate nearest to `name`, if it is near: within an edit distance
/// of a third of `name`'s length (at least 1), so that `rosenbrok` finds
/// `rosenbrock` and `sine` finds `sin`, while `foo` finds nothing rather
/// than `wood` (two edits in three letters is a different word).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = match name.chars().count() {
        0 => return None,
        n => (n / 3).max(1),
    };
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

type TensorFn = fn(&Tensor) -> Tensor;
type ScalarFn = fn(f64) -> f64;

/// The elementwise functions of one argument: traced and folded forms.
fn elementwise(name: &str) -> Option<(TensorFn, ScalarFn)> {
    Some(match name {
        "exp" => (Tensor::exp, f64::exp),
        "ln" | "log" => (Tensor::ln, f64::ln),
        "log1p" | "ln_1p" => (Tensor::ln_1p, f64::ln_1p),
        "expm1" | "exp_m1" => (Tensor::exp_m1, f64::exp_m1),
        "sqrt" => (Tensor::sqrt, f64::sqrt),
        "sin" => (Tensor::sin, f64::sin),
        "cos" => (Tensor::cos, f64::cos),
        "tan" => (Tensor::tan, f64::tan),
        "atan" => (Tensor::atan, f64::atan),
        "tanh" => (Tensor::tanh, f64::tanh),
        "abs" => (Tensor::abs, f64::abs),
        "sign" => (Tensor::sign, |v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }),
        "square" => (Tensor::square, |v| v * v),
        "sigmoid" => (Tensor::sigmoid, |v| 0.5 * (0.5 * v).tanh() + 0.5),
        "softplus" => (Tensor::softplus, |v| v.max(0.0) + (-v.abs()).exp().ln_1p()),
        "relu" => (Tensor::relu, |v| if v > 0.0 { v } else { 0.0 }),
        "stop_gradient" => (Tensor::stop_gradient, |v| v),
        _ => return None,
    })
}

/// A call's arguments, split into positional and keyword ones.
struct CallArgs<'a> {
    func: &'a Ident,
    positional: Vec<&'a Expr>,
    keywords: Vec<(&'a Ident, &'a Expr)>,
    span: Span,
}

impl<'a> CallArgs<'a> {
    fn new(func: &'a Ident, args: &'a [Arg], span: Span) -> Result<Self, Diagnostic> {
        let mut positional = Vec::new();
        let mut keywords: Vec<(&Ident, &Expr)> = Vec::new();
        for a in args {
            match &a.name {
                Some(k) => {
                    if keywords.iter().any(|(n, _)| n.name == k.name) {
                        return Err(Diagnostic::new(
                            format!("argument '{}' is given twice", k.name),
                            k.span,
                        ));
                    }
                    keywords.push((k, &a.value));
                }
                None => {
                    if let Some((k, _)) = keywords.first() {
                        return Err(Diagnostic::new(
                            "positional arguments must come before keyword arguments",
                            a.value.span,
                        )
                        .with_help(format!("move it before '{}='", k.name)));
                    }
                    positional.push(&a.value);
                }
            }
        }
        Ok(CallArgs {
            func,
            positional,
            keywords,
            span,
        })
    }

    /// Checks the number of positional arguments.
    fn count(&self, min: usize, max: usize) -> Result<(), Diagnostic> {
        let n = self.positional.len();
        if (min..=max).contains(&n) {
            return Ok(());
        }
        let want = match (min, max) {
            (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
            (a, usize::MAX) => format!("at least {a} arguments"),
            (a, b) => format!("{a} to {b} arguments"),
        };
        let usage = FUNCTIONS
            .iter()
            .find(|f| f.name == self.func.name)
            .map_or(String::new(), |f| f.usage.to_string());
        let span = if n > max {
            self.positional[max].span.to(self.positional[n - 1].span)
        } else {
            self.span
        };
        let d = Diagnostic::new(format!("{}() takes {want}, got {n}", self.func.name), span);
        let help = match (self.func.name.as_str(), n) {
            ("max", 2) => "for the elementwise maximum of two values use maximum(x, y); to reduce an axis use max(x, axis=k)".to_string(),
            ("min", 2) => "for the elementwise minimum of two values use minimum(x, y); to reduce an axis use min(x, axis=k)".to_string(),
            ("sum" | "mean" | "logsumexp" | "norm", 2) => format!("name the axis: {}(x, axis=k)", self.func.name),
            _ => format!("usage: {usage}"),
        };
        Err(d.with_help(help))
    }

    /// Takes the keyword argument called one of `names`.
    fn keyword(&mut self, names: &[&str]) -> Option<&'a Expr> {
        let i = self
            .keywords
            .iter()
            .position(|(k, _)| names.contains(&k.name.as_str()))?;
        Some(self.keywords.remove(i).1)
    }

    /// Fails on any keyword argument not taken.
    fn finish(&self) -> Result<(), Diagnostic> {
        match self.keywords.first() {
            None => Ok(()),
            Some((k, _)) => Err(Diagnostic::new(
                format!("{}() has no argument named '{}'", self.func.name, k.name),
                k.span,
            )
            .with_help(
                FUNCTIONS
                    .iter()
                    .find(|f| f.name == self.func.name)
                    .map_or(String::new(), |f| format!("usage: {}", f.usage)),
            )),
        }
    }
}

impl Lowerer {
    /// Lowers the call `func(args)` spanning `span`.
    pub(crate) fn call(
        &mut self,
        func: &Ident,
        args: &[Arg],
        span: Span,
    ) -> Result<Value, Diagnostic> {
        let name = func.name.as_str();
        if !is_function(name) {
            let d = Diagnostic::new(format!("unknown function '{name}'"), func.span);
            return Err(match closest_function(name) {
                Some(s) => d.with_help(format!("did you mean '{s}'?")),
                None => d.with_help("run 'hvp functions' for the list of functions"),
            });
        }
        let mut a = CallArgs::new(func, args, span)?;
        if let Some((traced, folded)) = elementwise(name) {
            a.count(1, 1)?;
            a.finish()?;
            return Ok(match self.eval(a.positional[0])? {
                Value::Scalar(c) => Value::Scalar(folded(c)),
                Value::Array(arr) => Value::Array(arr.mapv(folded)),
                Value::Tensor(t) => Value::Tensor(traced(&t)),
            });
        }
        match name {
            "pow" => {
                a.count(2, 2)?;
                a.finish()?;
                let (x, y) = (a.positional[0], a.positional[1]);
                let (l, r) = (self.eval(x)?, self.eval(y)?);
                self.binary(BinOp::Pow, func.span, l, r, x.span, y.span)
            }
            "maximum" | "minimum" => {
                a.count(2, 2)?;
                a.finish()?;
                let max = name == "maximum";
                let (x, y) = (a.positional[0], a.positional[1]);
                let (l, r) = (self.eval(x)?, self.eval(y)?);
                let pick = |p: f64, q: f64| if max { p.max(q) } else { p.min(q) };
                if let (Value::Scalar(p), Value::Scalar(q)) = (&l, &r) {
                    return Ok(Value::Scalar(pick(*p, *q)));
                }
                check_broadcast(&[(&l, x.span), (&r, y.span)], name, func.span)?;
                let t = match (l, r) {
                    (Value::Scalar(c), v) | (v, Value::Scalar(c)) => {
                        let t = self.tensor(v, span)?;
                        if max {
                            t.max_scalar(c)
                        } else {
                            t.min_scalar(c)
                        }
                    }
                    (l, r) => {
                        let (p, q) = (self.tensor(l, x.span)?, self.tensor(r, y.span)?);
                        if max {
                            p.maximum(&q)
                        } else {
                            p.minimum(&q)
                        }
                    }
                };
                Ok(Value::Tensor(t))
            }
            "where" => {
                a.count(3, 3)?;
                a.finish()?;
                let vals = a
                    .positional
                    .iter()
                    .map(|e| self.eval(e))
                    .collect::<Result<Vec<_>, _>>()?;
                if let [Value::Scalar(c), Value::Scalar(p), Value::Scalar(q)] = vals[..] {
                    return Ok(Value::Scalar(if c != 0.0 { p } else { q }));
                }
                let pairs: Vec<(&Value, Span)> = vals
                    .iter()
                    .zip(&a.positional)
                    .map(|(v, e)| (v, e.span))
                    .collect();
                check_broadcast(&pairs, "where", func.span)?;
                let mut ts = Vec::new();
                for (v, e) in vals.into_iter().zip(&a.positional) {
                    ts.push(self.tensor(v, e.span)?);
                }
                Ok(Value::Tensor(ts[0].select(&ts[1], &ts[2])))
            }
            "sum" | "mean" | "max" | "min" | "prod" | "logsumexp" | "norm" => {
                self.reduction(name, &mut a)
            }
            "softmax" | "log_softmax" => {
                a.count(1, 1)?;
                let axis = a.keyword(&["axis"]);
                a.finish()?;
                let x = a.positional[0];
                let t = self.eval_tensor(x)?;
                if t.rank() == 0 {
                    return Err(Diagnostic::new(
                        format!("{name}() needs an array, this is a scalar"),
                        x.span,
                    ));
                }
                let axis = match axis {
                    Some(e) => self.axis(e, t.rank())?,
                    None => t.rank() - 1,
                };
                Ok(Value::Tensor(if name == "softmax" {
                    t.softmax(axis)
                } else {
                    t.log_softmax(axis)
                }))
            }
            "cross_entropy" => {
                a.count(2, 2)?;
                a.finish()?;
                let (x, y) = (a.positional[0], a.positional[1]);
                let logits = self.eval_tensor(x)?;
                let labels = self.eval_tensor(y)?;
                let (ls, ys) = (logits.shape().to_vec(), labels.shape().to_vec());
                if ls.len() != 2 || ys.len() != 1 || ys[0] != ls[0] {
                    return Err(Diagnostic::new(
                        format!(
                            "cross_entropy() needs logits [batch, classes] and labels [batch], got {} and {}",
                            fmt_shape(&ls),
                            fmt_shape(&ys)
                        ),
                        span,
                    ));
                }
                Ok(Value::Tensor(logits.cross_entropy(&labels)))
            }
            "mse" => {
                a.count(2, 2)?;
                a.finish()?;
                let (x, y) = (a.positional[0], a.positional[1]);
                let (l, r) = (self.eval(x)?, self.eval(y)?);
                let d = self.binary(BinOp::Sub, func.span, l, r, x.span, y.span)?;
                let t = self.tensor(d, span)?;
                Ok(Value::Tensor(t.square().mean()))
            }
            "dot" | "matmul" | "outer" => {
                a.count(2, 2)?;
                a.finish()?;
                let (x, y) = (a.positional[0], a.positional[1]);
                let p = self.eval_tensor(x)?;
                let q = self.eval_tensor(y)?;
                let (ps, qs) = (p.shape().to_vec(), q.shape().to_vec());
                match name {
                    "matmul" => {
                        check_matmul(&ps, &qs, "matmul()", span)?;
                        Ok(Value::Tensor(p.matmul(&q)))
                    }
                    "dot" => {
                        if ps != qs {
                            return Err(Diagnostic::new(
                                format!(
                                    "dot() needs two equally shaped values, got {} and {}",
                                    fmt_shape(&ps),
                                    fmt_shape(&qs)
                                ),
                                span,
                            )
                            .with_help("for matrix products use A @ x or matmul(A, x)"));
                        }
                        Ok(Value::Tensor(p.dot(&q)))
                    }
                    _ => {
                        if ps.len() != 1 || qs.len() != 1 {
                            return Err(Diagnostic::new(
                                format!(
                                    "outer() needs two vectors, got shapes {} and {}",
                                    fmt_shape(&ps),
                                    fmt_shape(&qs)
                                ),
                                span,
                            ));
                        }
                        Ok(Value::Tensor(
                            &p.reshape(&[ps[0], 1]) * &q.reshape(&[1, qs[0]]),
                        ))
                    }
                }
            }
            "transpose" => {
                a.count(1, 2)?;
                a.finish()?;
                let x = a.positional[0];
                let t = self.eval_tensor(x)?;
                let r = t.rank();
                match a.positional.get(1) {
                    None => {
                        if r < 2 {
                            return Err(Diagnostic::new(
                                format!(
                                    "transpose() needs at least 2 axes, this has shape {}",
                                    fmt_shape(&t.shape())
                                ),
                                x.span,
                            ));
                        }
                        Ok(Value::Tensor(t.t()))
                    }
                    Some(p) => {
                        let perm = self.axes(p, r)?;
                        if perm.len() != r {
                            return Err(Diagnostic::new(
                                format!(
                                    "a permutation of {r} axes needs {r} entries, got {}",
                                    perm.len()
                                ),
                                p.span,
                            ));
                        }
                        Ok(Value::Tensor(t.permute(&perm)))
                    }
                }
            }
            "reshape" | "broadcast_to" => {
                a.count(2, 2)?;
                a.finish()?;
                let (x, s) = (a.positional[0], a.positional[1]);
                let t = self.eval_tensor(x)?;
                let from = t.shape().to_vec();
                let dims = self.shape_arg(s, name == "reshape")?;
                if name == "reshape" {
                    let n: usize = from.iter().product();
                    let known: usize = dims
                        .iter()
                        .filter(|&&d| d >= 0)
                        .map(|&d| d as usize)
                        .product();
                    let dims: Vec<usize> = if dims.contains(&-1) {
                        if known == 0 || !n.is_multiple_of(known) {
                            return Err(reshape_error(&from, &dims, s.span));
                        }
                        dims.iter()
                            .map(|&d| if d < 0 { n / known } else { d as usize })
                            .collect()
                    } else {
                        dims.iter().map(|&d| d as usize).collect()
                    };
                    if dims.iter().product::<usize>() != n {
                        return Err(reshape_error(
                            &from,
                            &dims.iter().map(|&d| d as i64).collect::<Vec<_>>(),
                            s.span,
                        ));
                    }
                    Ok(Value::Tensor(t.reshape(&dims)))
                } else {
                    let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
                    if broadcast(&from, &dims).as_deref() != Some(&dims[..]) {
                        return Err(Diagnostic::new(
                            format!(
                                "shape {} cannot be broadcast to {}",
                                fmt_shape(&from),
                                fmt_shape(&dims)
                            ),
                            s.span,
                        ));
                    }
                    Ok(Value::Tensor(t.broadcast_to(&dims)))
                }
            }
            "concat" | "stack" => self.join(name, &mut a),
            "range" | "linspace" => {
                a.count(if name == "range" { 1 } else { 3 }, 3)?;
                a.finish()?;
                let mut nums = Vec::new();
                for e in &a.positional {
                    nums.push(self.number(e, &format!("an argument of {name}()"))?);
                }
                let values: Vec<f64> = if name == "range" {
                    let (start, stop, step) = match nums[..] {
                        [n] => (0.0, n, 1.0),
                        [a0, b] => (a0, b, 1.0),
                        [a0, b, s] => (a0, b, s),
                        _ => unreachable!("counted"),
                    };
                    if step == 0.0 || !step.is_finite() || !start.is_finite() || !stop.is_finite() {
                        return Err(Diagnostic::new(
                            "range() needs finite bounds and a nonzero step",
                            span,
                        ));
                    }
                    let n = ((stop - start) / step).ceil();
                    if n < 1.0 {
                        return Err(Diagnostic::new("this range is empty", span).with_help(
                            "range(a, b) counts from a up to b - 1; range(1, 11) is 1, 2, ..., 10",
                        ));
                    }
                    if n > MAX_ELEMENTS as f64 {
                        return Err(Diagnostic::new("this range is too long", span));
                    }
                    (0..n as usize).map(|i| start + i as f64 * step).collect()
                } else {
                    let n = nums[2];
                    if n.fract() != 0.0 || !(1.0..=MAX_ELEMENTS as f64).contains(&n) {
                        return Err(Diagnostic::new(
                            "linspace(a, b, n) needs a whole number n of at least 1",
                            a.positional[2].span,
                        ));
                    }
                    let n = n as usize;
                    let (lo, hi) = (nums[0], nums[1]);
                    (0..n)
                        .map(|i| {
                            if n == 1 {
                                lo
                            } else {
                                lo + (hi - lo) * i as f64 / (n - 1) as f64
                            }
                        })
                        .collect()
                };
                let n = values.len();
                Ok(Value::Array(
                    ArrayD::from_shape_vec(IxDyn(&[n]), values).expect("length n"),
                ))
            }
            "zeros" | "ones" | "full" => {
                a.count(
                    if name == "full" { 2 } else { 1 },
                    if name == "full" { 2 } else { 1 },
                )?;
                a.finish()?;
                let s = a.positional[0];
                let dims: Vec<usize> = self
                    .shape_arg(s, false)?
                    .iter()
                    .map(|&d| d as usize)
                    .collect();
                let v = match name {
                    "zeros" => 0.0,
                    "ones" => 1.0,
                    _ => self.number(a.positional[1], "the fill value")?,
                };
                if checked_numel(&dims).is_none_or(|n| n > MAX_ELEMENTS) {
                    return Err(Diagnostic::new("this shape is too large", s.span));
                }
                Ok(Value::Array(ArrayD::from_elem(IxDyn(&dims), v)))
            }
            _ => Err(Diagnostic::new(
                format!("internal error: {name}() has no lowering"),
                span,
            )),
        }
    }

    fn eval_tensor(&mut self, e: &Expr) -> Result<Tensor, Diagnostic> {
        let v = self.eval(e)?;
        self.tensor(v, e.span)
    }

    /// A constant number.
    fn number(&mut self, e: &Expr, what: &str) -> Result<f64, Diagnostic> {
        match self.eval(e)? {
            Value::Scalar(v) => Ok(v),
            _ => Err(Diagnostic::new(
                format!("{what} must be a constant number"),
                e.span,
            )),
        }
    }

    /// A constant list of whole numbers, or a single one.
    fn int_list(&mut self, e: &Expr, what: &str) -> Result<Vec<i64>, Diagnostic> {
        let bad = |msg: String| Diagnostic::new(msg, e.span);
        match self.eval(e)? {
            Value::Scalar(_) => Ok(vec![self.int(e, what)?]),
            Value::Array(a) if a.ndim() == 1 => a
                .iter()
                .map(|&v| {
                    if v.fract() == 0.0 && v.abs() < 1e15 {
                        Ok(v as i64)
                    } else {
                        Err(bad(format!("{what} must hold whole numbers, found {v}")))
                    }
                })
                .collect(),
            Value::Array(_) => Err(bad(format!("{what} must be a number or a list of numbers"))),
            Value::Tensor(_) => Err(bad(format!(
                "{what} must be a constant; it cannot depend on an input"
            ))),
        }
    }

    /// A shape: `3`, `[2, 3]`; `-1` allowed once when `infer`.
    fn shape_arg(&mut self, e: &Expr, infer: bool) -> Result<Vec<i64>, Diagnostic> {
        let dims = self.int_list(e, "a shape")?;
        let inferred = dims.iter().filter(|&&d| d == -1).count();
        if dims
            .iter()
            .any(|&d| d < -1 || d == 0 || (d == -1 && !infer))
            || inferred > 1
        {
            return Err(
                Diagnostic::new("dimensions must be at least 1", e.span).with_help(
                    if infer {
                        "one dimension may be -1 to infer it"
                    } else {
                        ""
                    }
                    .to_string(),
                ),
            );
        }
        if checked_numel(
            &dims
                .iter()
                .map(|&d| d.unsigned_abs() as usize)
                .collect::<Vec<_>>(),
        )
        .is_none_or(|n| n > MAX_ELEMENTS)
        {
            return Err(Diagnostic::new("this shape is too large", e.span));
        }
        Ok(dims)
    }

    /// One axis of a value with `rank` axes (negative counts from the end).
    fn axis(&mut self, e: &Expr, rank: usize) -> Result<usize, Diagnostic> {
        let a = self.int(e, "an axis")?;
        normalize_axis(a, rank, e.span)
    }

    /// Distinct axes of a value with `rank` axes.
    fn axes(&mut self, e: &Expr, rank: usize) -> Result<Vec<usize>, Diagnostic> {
        let list = self.int_list(e, "an axis")?;
        if list.is_empty() {
            return Err(Diagnostic::new("the axis list is empty", e.span));
        }
        let mut out = Vec::new();
        for a in list {
            let k = normalize_axis(a, rank, e.span)?;
            if out.contains(&k) {
                return Err(Diagnostic::new(format!("axis {a} is repeated"), e.span));
            }
            out.push(k);
        }
        Ok(out)
    }

    fn reduction(&mut self, name: &str, a: &mut CallArgs<'_>) -> Result<Value, Diagnostic> {
        a.count(1, 1)?;
        let axes_expr = a.keyword(&["axis", "axes"]);
        a.finish()?;
        let x = a.positional[0];
        let v = self.eval(x)?;
        if let (Value::Scalar(c), None) = (&v, axes_expr) {
            return Ok(Value::Scalar(if name == "norm" { c.abs() } else { *c }));
        }
        let t = self.tensor(v, x.span)?;
        let axes = match axes_expr {
            None => None,
            Some(e) => {
                if name == "prod" {
                    return Err(Diagnostic::new(
                        "prod() reduces over all elements; axis= is not supported",
                        e.span,
                    ));
                }
                Some(self.axes(e, t.rank())?)
            }
        };
        let all: Vec<usize> = (0..t.rank()).collect();
        Ok(Value::Tensor(match (name, &axes) {
            ("sum", None) => t.sum(),
            ("sum", Some(ax)) => t.sum_axes(ax),
            ("mean", None) => t.mean(),
            ("mean", Some(ax)) => t.mean_axes(ax),
            ("max", None) => t.max(),
            ("max", Some(ax)) => t.max_axes(ax),
            ("min", None) => t.min(),
            ("min", Some(ax)) => t.min_axes(ax),
            ("prod", _) => t.prod(),
            ("logsumexp", ax) => t.logsumexp(ax.as_deref().unwrap_or(&all)),
            ("norm", None) => t.norm(),
            ("norm", Some(ax)) => t.square().sum_axes(ax).sqrt(),
            _ => unreachable!("reductions are listed above"),
        }))
    }

    /// `concat` and `stack`: pieces as arguments or as one list literal.
    fn join(&mut self, name: &str, a: &mut CallArgs<'_>) -> Result<Value, Diagnostic> {
        let axis_expr = a.keyword(&["axis"]);
        a.finish()?;
        let pieces: Vec<&Expr> = match &a.positional[..] {
            [one] => match &one.kind {
                ExprKind::Array(items) => items.iter().collect(),
                _ => vec![*one],
            },
            many => many.to_vec(),
        };
        if pieces.is_empty() {
            return Err(Diagnostic::new(
                format!("{name}() needs at least one value"),
                a.span,
            ));
        }
        let mut ts = Vec::new();
        for p in &pieces {
            ts.push(self.eval_tensor(p)?);
        }
        let shapes: Vec<Vec<usize>> = ts.iter().map(|t| t.shape().to_vec()).collect();
        let rank = shapes[0].len();
        let stack = name == "stack";
        let axis = match axis_expr {
            Some(e) => self.axis(e, if stack { rank + 1 } else { rank })?,
            None => 0,
        };
        if !stack && rank == 0 {
            return Err(Diagnostic::new(
                "concat() joins arrays along an axis; these are scalars",
                pieces[0].span,
            )
            .with_help("use stack(...) or [a, b] to make a vector of scalars"));
        }
        for (s, p) in shapes.iter().zip(&pieces).skip(1) {
            let ok = if stack {
                s == &shapes[0]
            } else {
                s.len() == rank
                    && s.iter()
                        .zip(&shapes[0])
                        .enumerate()
                        .all(|(i, (x, y))| i == axis || x == y)
            };
            if !ok {
                return Err(Diagnostic::new(
                    format!(
                        "{name}() cannot join shape {} with {}{}",
                        fmt_shape(s),
                        fmt_shape(&shapes[0]),
                        if stack {
                            ": stacked values must have equal shapes".to_string()
                        } else {
                            format!(": all dimensions but axis {axis} must agree")
                        }
                    ),
                    p.span,
                ));
            }
        }
        Ok(Value::Tensor(if stack {
            ts[0].stack(&ts[1..], axis)
        } else {
            ts[0].concat(&ts[1..], axis)
        }))
    }
}

fn normalize_axis(a: i64, rank: usize, span: Span) -> Result<usize, Diagnostic> {
    let k = if a < 0 { a + rank as i64 } else { a };
    if k < 0 || k >= rank as i64 {
        return Err(Diagnostic::new(
            format!(
                "axis {a} is out of range for a value with {rank} ax{}",
                if rank == 1 { "is" } else { "es" }
            ),
            span,
        ));
    }
    Ok(k as usize)
}

fn reshape_error(from: &[usize], to: &[i64], span: Span) -> Diagnostic {
    Diagnostic::new(
        format!(
            "cannot reshape {} ({} elements) to {to:?}",
            fmt_shape(from),
            from.iter().product::<usize>()
        ),
        span,
    )
}

fn check_broadcast(vals: &[(&Value, Span)], name: &str, span: Span) -> Result<(), Diagnostic> {
    let mut shape: Vec<usize> = vec![];
    for (v, _) in vals {
        let s = v.shape();
        match broadcast(&shape, &s) {
            Some(b) => shape = b,
            None => {
                let all: Vec<String> = vals.iter().map(|(v, _)| fmt_shape(&v.shape())).collect();
                return Err(Diagnostic::new(
                    format!(
                        "{name}(): shapes {} cannot be broadcast together",
                        all.join(", ")
                    ),
                    span,
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_near_names() {
        assert_eq!(closest_function("sine"), Some("sin"));
        assert_eq!(closest_function("logsumexpp"), Some("logsumexp"));
        assert_eq!(closest_function("arctan"), Some("atan"));
        assert_eq!(closest_function("frobnicate"), None);
    }

    #[test]
    fn suggestions_stay_within_a_third_of_the_name() {
        let problems = ["wood", "rosenbrock", "beale", "meyer", "watson"];
        // Two edits in three letters: no suggestion.
        assert_eq!(closest("foo", problems.into_iter()), None);
        assert_eq!(closest("bar", problems.into_iter()), None);
        // One edit is always allowed; a third of longer names.
        assert_eq!(closest("wod", problems.into_iter()), Some("wood"));
        assert_eq!(
            closest("rosenbrok", problems.into_iter()),
            Some("rosenbrock")
        );
        assert_eq!(
            closest("rosnbrok", problems.into_iter()),
            Some("rosenbrock")
        );
        assert_eq!(closest("meier", problems.into_iter()), Some("meyer"));
        assert_eq!(closest("wotsin", problems.into_iter()), Some("watson"));
        assert_eq!(closest("xx", ["x"].into_iter()), Some("x"));
        assert_eq!(closest("", ["x"].into_iter()), None);
        // Edit distance counts characters, not bytes.
        assert_eq!(closest("ℓ1", ["l1"].into_iter()), Some("l1"));
    }

    #[test]
    fn names_are_unique() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            assert!(
                !FUNCTIONS[..i].iter().any(|g| g.name == f.name),
                "{}",
                f.name
            );
        }
    }
}
