//! The syntax tree to a traced [`hvp::Function`], through the facade's
//! [`Tensor`] API, so every derivative of `f` comes from the core.
//!
//! Scalars that do not depend on an input are folded while lowering (so
//! `x[n-1]` with `let n = 3` works); constant arrays (`[1, 2, 3]`,
//! `range(1, 11)`) become fixed data inputs of the traced function, placed
//! after the named inputs, so a large constant costs one buffer and no
//! equations. Shapes are checked here, before the tracer sees them, so a
//! mismatch is reported at the operator that caused it.
//!
//! ```
//! use hvp_cli::expr::{lower::{lower, InputSlot}, parse};
//! let program = parse("x^2*y + sin(y)").unwrap();
//! let slots = [InputSlot::scalar("x"), InputSlot::scalar("y")];
//! let f = lower(&program, &slots).unwrap().function;
//! let g = f.grad(&[1.5_f64, -0.7]).unwrap();
//! assert!((g[0] - 2.0 * 1.5 * -0.7).abs() < 1e-12);
//! ```

use super::ast::{BinOp, Expr, ExprKind, Index, Program, Stmt, UnaryOp};
use super::diagnostic::{Diagnostic, Span};
use super::names;
use hvp::{CmpOp, Function, Spec, Tensor};
use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;

/// The largest number of elements a constant array or shape may have.
pub const MAX_ELEMENTS: usize = 1 << 28;

/// A named input as the traced function sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSlot {
    /// Its name in the program.
    pub name: String,
    /// Its shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// Whether gradients and Hessians are taken with respect to it.
    pub differentiable: bool,
}

impl InputSlot {
    /// A differentiable scalar input.
    pub fn scalar(name: &str) -> InputSlot {
        InputSlot {
            name: name.into(),
            shape: vec![],
            differentiable: true,
        }
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A traced program.
#[derive(Debug)]
pub struct Lowered {
    /// The function; its inputs are the named inputs in order, then one
    /// data input per entry of `constants`.
    pub function: Function,
    /// Constant arrays of the program, fed as fixed data after the named
    /// inputs.
    pub constants: Vec<ArrayD<f64>>,
}

/// Traces `program` with the given inputs (their names, shapes, kinds).
pub fn lower(program: &Program, inputs: &[InputSlot]) -> Result<Lowered, Diagnostic> {
    let mut collected = Vec::new();
    let function = trace_program(program, inputs, None, &mut collected)?;
    if collected.is_empty() {
        return Ok(Lowered {
            function,
            constants: collected,
        });
    }
    // The first trace found the constant arrays (with stand-ins of the right
    // shapes); the second feeds them as data inputs, met in the same order.
    let function = trace_program(program, inputs, Some(&collected), &mut Vec::new())?;
    Ok(Lowered {
        function,
        constants: collected,
    })
}

/// Evaluates an expression that involves no inputs (an `--at` value, an
/// input's default) to an array (rank 0 for a scalar).
pub fn constant_value(expr: &Expr) -> Result<ArrayD<f64>, Diagnostic> {
    let mut l = Lowerer {
        root: None,
        env: HashMap::new(),
        consts: Consts::Collect(Vec::new()),
    };
    match l.eval(expr)? {
        Value::Scalar(v) => Ok(ArrayD::from_elem(IxDyn(&[]), v)),
        Value::Array(a) => Ok(a),
        Value::Tensor(_) => Err(Diagnostic::new("not a constant", expr.span)),
    }
}

fn trace_program(
    program: &Program,
    inputs: &[InputSlot],
    constants: Option<&[ArrayD<f64>]>,
    collected: &mut Vec<ArrayD<f64>>,
) -> Result<Function, Diagnostic> {
    let mut specs: Vec<Spec> = inputs
        .iter()
        .map(|i| {
            if i.differentiable {
                Spec::new(&i.shape)
            } else {
                Spec::data(&i.shape)
            }
        })
        .collect();
    if let Some(cs) = constants {
        specs.extend(cs.iter().map(|c| Spec::data(c.shape())));
    }
    let mut failure: Option<Diagnostic> = None;
    let traced = hvp::trace(
        |xs| {
            let root = xs[0].clone();
            let mut l = Lowerer {
                root: Some(root.clone()),
                env: inputs
                    .iter()
                    .zip(xs)
                    .map(|(i, t)| (i.name.clone(), Value::Tensor(t.clone())))
                    .collect(),
                consts: match constants {
                    Some(_) => Consts::Provided {
                        tensors: xs[inputs.len()..].to_vec(),
                        next: 0,
                    },
                    None => Consts::Collect(Vec::new()),
                },
            };
            let out = l.program(program);
            if let Consts::Collect(c) = &mut l.consts {
                collected.append(c);
            }
            match out {
                Ok(t) => t,
                Err(d) => {
                    failure = Some(d);
                    root
                }
            }
        },
        &specs,
    );
    if let Some(d) = failure {
        return Err(d);
    }
    traced.map_err(|e| {
        let message = match e {
            hvp::Error::Trace { message, .. } => message,
            other => other.to_string(),
        };
        Diagnostic::new(
            format!("cannot trace this expression: {message}"),
            program.result.span,
        )
    })
}

/// A value while lowering.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// A constant scalar, folded.
    Scalar(f64),
    /// A constant array, not yet part of the trace.
    Array(ArrayD<f64>),
    /// A traced value.
    Tensor(Tensor),
}

impl Value {
    pub(crate) fn shape(&self) -> Vec<usize> {
        match self {
            Value::Scalar(_) => vec![],
            Value::Array(a) => a.shape().to_vec(),
            Value::Tensor(t) => t.shape().to_vec(),
        }
    }
}

enum Consts {
    /// First pass: record constant arrays, stand in for them.
    Collect(Vec<ArrayD<f64>>),
    /// Second pass: the data inputs holding them, in order of appearance.
    Provided { tensors: Vec<Tensor>, next: usize },
}

pub(crate) struct Lowerer {
    /// A tensor of the trace, to make constants from; `None` when
    /// evaluating a constant outside any trace.
    root: Option<Tensor>,
    env: HashMap<String, Value>,
    consts: Consts,
}

/// `shape` in numpy's notation: `[]`, `[3]`, `[2, 3]`.
pub(crate) fn fmt_shape(shape: &[usize]) -> String {
    format!("{shape:?}")
}

/// numpy broadcasting of two shapes.
pub(crate) fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.len() >= r {
            a[i + a.len() - r]
        } else {
            1
        };
        let db = if i + b.len() >= r {
            b[i + b.len() - r]
        } else {
            1
        };
        *o = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// `a op b` on constants, as the traced operation computes it.
// The language's `==` and `!=` are exact, like the core's comparisons.
#[allow(clippy::float_cmp)]
fn fold(op: BinOp, a: f64, b: f64) -> f64 {
    let t = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Pow => {
            if b.fract() == 0.0 && b.abs() <= i32::MAX as f64 {
                a.powi(b as i32)
            } else {
                a.powf(b)
            }
        }
        BinOp::Lt => t(a < b),
        BinOp::Le => t(a <= b),
        BinOp::Gt => t(a > b),
        BinOp::Ge => t(a >= b),
        BinOp::Eq => t(a == b),
        BinOp::Ne => t(a != b),
        // Never folded: `@` needs arrays.
        BinOp::MatMul => f64::NAN,
    }
}

fn cmp_op(op: BinOp) -> Option<CmpOp> {
    Some(match op {
        BinOp::Lt => CmpOp::Lt,
        BinOp::Le => CmpOp::Le,
        BinOp::Gt => CmpOp::Gt,
        BinOp::Ge => CmpOp::Ge,
        BinOp::Eq => CmpOp::Eq,
        BinOp::Ne => CmpOp::Ne,
        _ => return None,
    })
}

/// `c op x` as `x op' c`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::Ne => CmpOp::Ne,
    }
}

impl Lowerer {
    fn program(&mut self, p: &Program) -> Result<Tensor, Diagnostic> {
        for s in &p.stmts {
            if let Stmt::Let { name, value } = s {
                let v = self.eval(value)?;
                self.env.insert(name.name.clone(), v);
            }
        }
        let out = self.eval(&p.result)?;
        let shape = out.shape();
        if !shape.is_empty() {
            return Err(Diagnostic::new(
                format!(
                    "f must be a scalar, but this expression has shape {}",
                    fmt_shape(&shape)
                ),
                p.result.span,
            )
            .with_help("reduce it to a scalar, e.g. sum(...), mean(...) or norm(...)"));
        }
        self.tensor(out, p.result.span)
    }

    /// The trace's root tensor, or an error naming `what` when evaluating
    /// a constant outside a trace.
    pub(crate) fn root(&self, what: &str, span: Span) -> Result<&Tensor, Diagnostic> {
        self.root.as_ref().ok_or_else(|| {
            Diagnostic::new(format!("{what} is not allowed in a constant value"), span).with_help(
                "values are numbers, arrays, range(...), linspace(...), zeros(...), ones(...) and elementwise arithmetic on them",
            )
        })
    }

    /// Makes `v` part of the trace.
    pub(crate) fn tensor(&mut self, v: Value, span: Span) -> Result<Tensor, Diagnostic> {
        match v {
            Value::Tensor(t) => Ok(t),
            Value::Scalar(c) => Ok(self.root("this operation", span)?.scalar(c)),
            Value::Array(a) => self.materialize(a, span),
        }
    }

    fn materialize(&mut self, a: ArrayD<f64>, span: Span) -> Result<Tensor, Diagnostic> {
        let root = self.root("this operation", span)?.clone();
        let first = a.iter().next().copied().unwrap_or(0.0);
        // A constant-valued array is a broadcast literal: no data needed.
        if a.iter().all(|&v| v.to_bits() == first.to_bits()) {
            return Ok(root.scalar(first).broadcast_to(a.shape()));
        }
        match &mut self.consts {
            Consts::Collect(c) => {
                let shape = a.shape().to_vec();
                c.push(a);
                Ok(root.scalar(0.0).broadcast_to(&shape))
            }
            Consts::Provided { tensors, next } => {
                let t = tensors.get(*next).cloned().ok_or_else(|| {
                    Diagnostic::new("internal error: constants out of step", span)
                })?;
                *next += 1;
                Ok(t)
            }
        }
    }

    pub(crate) fn eval(&mut self, e: &Expr) -> Result<Value, Diagnostic> {
        match &e.kind {
            ExprKind::Number(v) => Ok(Value::Scalar(*v)),
            ExprKind::Name(n) => {
                if let Some(v) = self.env.get(n) {
                    return Ok(v.clone());
                }
                if let Some(c) = names::constant(n) {
                    return Ok(Value::Scalar(c));
                }
                // Values may spell non-finite numbers, so that checking them
                // gives a clear message rather than an unknown name.
                if self.root.is_none() {
                    match n.to_ascii_lowercase().as_str() {
                        "nan" => return Ok(Value::Scalar(f64::NAN)),
                        "inf" | "infinity" => return Ok(Value::Scalar(f64::INFINITY)),
                        _ => {}
                    }
                }
                Err(match self.root {
                    Some(_) => Diagnostic::new(format!("unknown name '{n}'"), e.span),
                    None => Diagnostic::new(
                        format!("unknown name '{n}': a value must be a constant"),
                        e.span,
                    )
                    .with_help("the only names allowed in values are pi and e"),
                })
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand)?;
                Ok(match op {
                    UnaryOp::Plus => v,
                    UnaryOp::Neg => match v {
                        Value::Scalar(c) => Value::Scalar(-c),
                        Value::Array(a) => Value::Array(-a),
                        Value::Tensor(t) => Value::Tensor(-&t),
                    },
                })
            }
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                self.binary(*op, *op_span, l, r, lhs.span, rhs.span)
            }
            ExprKind::Call { func, args } => self.call(func, args, e.span),
            ExprKind::Index { target, indices } => {
                let t = self.eval(target)?;
                self.index(t, target.span, indices)
            }
            ExprKind::Array(items) => self.array(items, e.span),
        }
    }

    pub(crate) fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        l: Value,
        r: Value,
        ls: Span,
        rs: Span,
    ) -> Result<Value, Diagnostic> {
        let (lshape, rshape) = (l.shape(), r.shape());
        if op == BinOp::MatMul {
            let a = self.tensor(l, ls)?;
            let b = self.tensor(r, rs)?;
            check_matmul(&lshape, &rshape, "'@'", op_span)?;
            return Ok(Value::Tensor(a.matmul(&b)));
        }
        // Constant folding of elementwise operations.
        match (&l, &r) {
            (Value::Scalar(a), Value::Scalar(b)) => return Ok(Value::Scalar(fold(op, *a, *b))),
            (Value::Array(a), Value::Scalar(b)) => {
                return Ok(Value::Array(a.mapv(|x| fold(op, x, *b))))
            }
            (Value::Scalar(a), Value::Array(b)) => {
                return Ok(Value::Array(b.mapv(|x| fold(op, *a, x))))
            }
            (Value::Array(a), Value::Array(b)) if a.shape() == b.shape() => {
                let mut out = a.clone();
                out.zip_mut_with(b, |x, &y| *x = fold(op, *x, y));
                return Ok(Value::Array(out));
            }
            _ => {}
        }
        if broadcast(&lshape, &rshape).is_none() {
            return Err(Diagnostic::new(
                format!(
                    "shapes {} and {} cannot be broadcast together in '{}'",
                    fmt_shape(&lshape),
                    fmt_shape(&rshape),
                    op.symbol()
                ),
                op_span,
            )
            .with_help(
                "numpy broadcasting: aligned from the right, each dimension must be equal or 1",
            ));
        }
        let t = match (l, r) {
            (Value::Scalar(c), r) => {
                let t = self.tensor(r, rs)?;
                match op {
                    BinOp::Add => c + &t,
                    BinOp::Sub => c - &t,
                    BinOp::Mul => c * &t,
                    BinOp::Div => c / &t,
                    BinOp::Pow => self.root("'^'", op_span)?.scalar(c).pow(&t),
                    _ => t.compare_scalar(flip(cmp_op(op).expect("comparison")), c),
                }
            }
            (l, Value::Scalar(c)) => {
                let t = self.tensor(l, ls)?;
                match op {
                    BinOp::Add => &t + c,
                    BinOp::Sub => &t - c,
                    BinOp::Mul => &t * c,
                    BinOp::Div => &t / c,
                    BinOp::Pow => t.powf(c),
                    _ => t.compare_scalar(cmp_op(op).expect("comparison"), c),
                }
            }
            (l, r) => {
                let a = self.tensor(l, ls)?;
                let b = self.tensor(r, rs)?;
                match op {
                    BinOp::Add => &a + &b,
                    BinOp::Sub => &a - &b,
                    BinOp::Mul => &a * &b,
                    BinOp::Div => &a / &b,
                    BinOp::Pow => a.pow(&b),
                    BinOp::Lt => a.lt(&b),
                    BinOp::Le => a.le(&b),
                    BinOp::Gt => a.gt(&b),
                    BinOp::Ge => a.ge(&b),
                    BinOp::Eq => a.eq_elem(&b),
                    BinOp::Ne => a.ne_elem(&b),
                    BinOp::MatMul => a.matmul(&b),
                }
            }
        };
        Ok(Value::Tensor(t))
    }

    /// A constant whole number (an index, a bound, an axis, a size).
    pub(crate) fn int(&mut self, e: &Expr, what: &str) -> Result<i64, Diagnostic> {
        match self.eval(e)? {
            Value::Scalar(v) if v.fract() == 0.0 && v.abs() < 1e15 => Ok(v as i64),
            Value::Scalar(v) => Err(Diagnostic::new(
                format!("{what} must be a whole number, found {v}"),
                e.span,
            )),
            Value::Array(_) => Err(Diagnostic::new(
                format!("{what} must be a single whole number, found an array"),
                e.span,
            )),
            Value::Tensor(_) => Err(Diagnostic::new(
                format!("{what} must be a constant; it cannot depend on an input"),
                e.span,
            )),
        }
    }

    fn index(
        &mut self,
        target: Value,
        tspan: Span,
        indices: &[Index],
    ) -> Result<Value, Diagnostic> {
        let shape = target.shape();
        if shape.is_empty() {
            return Err(Diagnostic::new("a scalar cannot be indexed", tspan));
        }
        if indices.len() > shape.len() {
            return Err(Diagnostic::new(
                format!(
                    "too many indices: a value of shape {} has {} ax{}, {} indices given",
                    fmt_shape(&shape),
                    shape.len(),
                    if shape.len() == 1 { "is" } else { "es" },
                    indices.len()
                ),
                indices[shape.len()].span(),
            ));
        }
        let mut t = self.tensor(target, tspan)?;
        let mut axis = 0;
        for idx in indices {
            let len = t.shape()[axis];
            match idx {
                Index::At(e) => {
                    let i = self.int(e, "an index")?;
                    let k = if i < 0 { i + len as i64 } else { i };
                    if k < 0 || k >= len as i64 {
                        return Err(Diagnostic::new(
                            format!("index {i} is out of range for an axis of length {len}"),
                            e.span,
                        )
                        .with_help(format!(
                            "valid indices are 0..{} (or -{len}..-1 from the end)",
                            len - 1
                        )));
                    }
                    t = t.index_axis(axis, k as usize);
                }
                Index::Slice {
                    start,
                    end,
                    step,
                    span,
                } => {
                    let step = match step {
                        Some(s) => {
                            let v = self.int(s, "a slice step")?;
                            if v == 0 {
                                return Err(Diagnostic::new("a slice step cannot be zero", s.span));
                            }
                            if v < 0 {
                                return Err(Diagnostic::new(
                                    "negative slice steps are not supported",
                                    s.span,
                                ));
                            }
                            v as usize
                        }
                        None => 1,
                    };
                    let bound = |l: &mut Self,
                                 e: &Option<Expr>,
                                 default: usize|
                     -> Result<usize, Diagnostic> {
                        match e {
                            None => Ok(default),
                            Some(e) => {
                                let v = l.int(e, "a slice bound")?;
                                let v = if v < 0 { v + len as i64 } else { v };
                                Ok(v.clamp(0, len as i64) as usize)
                            }
                        }
                    };
                    let s = bound(self, start, 0)?;
                    let en = bound(self, end, len)?;
                    if en <= s {
                        return Err(Diagnostic::new(
                            format!("this slice selects no elements of an axis of length {len}"),
                            *span,
                        ));
                    }
                    if !(s == 0 && en == len && step == 1) {
                        t = t.slice_axis(axis, s, en, step);
                    }
                    axis += 1;
                }
            }
        }
        Ok(Value::Tensor(t))
    }

    fn array(&mut self, items: &[Expr], span: Span) -> Result<Value, Diagnostic> {
        if items.is_empty() {
            return Err(Diagnostic::new("empty array literal", span));
        }
        let values = items
            .iter()
            .map(|i| self.eval(i))
            .collect::<Result<Vec<_>, _>>()?;
        let shape0 = values[0].shape();
        for (v, e) in values.iter().zip(items).skip(1) {
            if v.shape() != shape0 {
                return Err(Diagnostic::new(
                    format!(
                        "array items must have equal shapes: this one has shape {}, the first has {}",
                        fmt_shape(&v.shape()),
                        fmt_shape(&shape0)
                    ),
                    e.span,
                ));
            }
        }
        let n = values.len();
        if values.iter().all(|v| !matches!(v, Value::Tensor(_))) {
            let mut out_shape = vec![n];
            out_shape.extend_from_slice(&shape0);
            if names::checked_numel(&out_shape).is_none_or(|k| k > MAX_ELEMENTS) {
                return Err(Diagnostic::new("this array is too large", span));
            }
            let mut data = Vec::with_capacity(out_shape.iter().product());
            for v in &values {
                match v {
                    Value::Scalar(c) => data.push(*c),
                    Value::Array(a) => data.extend(a.iter().copied()),
                    Value::Tensor(_) => unreachable!("checked above"),
                }
            }
            return Ok(Value::Array(
                ArrayD::from_shape_vec(IxDyn(&out_shape), data).expect("sized from its shape"),
            ));
        }
        let mut row_shape = vec![1];
        row_shape.extend_from_slice(&shape0);
        let mut rows = Vec::with_capacity(n);
        for (v, e) in values.into_iter().zip(items) {
            let t = match v {
                Value::Scalar(c) => self
                    .root("an array", e.span)?
                    .scalar(c)
                    .broadcast_to(&row_shape),
                v => self.tensor(v, e.span)?.reshape(&row_shape),
            };
            rows.push(t);
        }
        Ok(Value::Tensor(rows[0].concat(&rows[1..], 0)))
    }
}

/// Checks a numpy matrix product of `a` and `b`.
pub(crate) fn check_matmul(
    a: &[usize],
    b: &[usize],
    what: &str,
    span: Span,
) -> Result<(), Diagnostic> {
    let err = |reason: String| {
        Err(Diagnostic::new(
            format!(
                "{what} cannot multiply shapes {} and {}: {reason}",
                fmt_shape(a),
                fmt_shape(b)
            ),
            span,
        ))
    };
    if a.is_empty() || b.is_empty() {
        return err("both operands need at least one axis (use '*' to scale)".into());
    }
    let k_a = a[a.len() - 1];
    let k_b = if b.len() == 1 { b[0] } else { b[b.len() - 2] };
    if k_a != k_b {
        return err(format!("the inner dimensions {k_a} and {k_b} differ"));
    }
    let batch_a = &a[..a.len().saturating_sub(2)];
    let batch_b = &b[..b.len().saturating_sub(2)];
    if broadcast(batch_a, batch_b).is_none() {
        return err("the batch dimensions do not broadcast".into());
    }
    Ok(())
}
