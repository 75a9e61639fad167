//! Tracing: ordinary Rust over [`Tensor`] records a graph.
//!
//! Operations never panic on bad shapes: the first error is recorded with
//! the caller's source line (`#[track_caller]`) and returned when the trace
//! finishes, so operator overloading stays ergonomic.

use crate::{Error, Result};
use hvp_ir::{Atom, CmpOp, DType, Graph, GraphBuilder, IrError, Prim, Shape};
use std::cell::RefCell;
use std::panic::Location;
use std::rc::Rc;

/// The declared shape of one input of a traced function, and whether it is
/// differentiated (a parameter) or held fixed (data such as class labels).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The input's shape.
    pub shape: Shape,
    /// Whether gradients and Hessians are taken with respect to it.
    pub differentiable: bool,
}

impl Spec {
    /// A differentiable scalar.
    pub fn scalar() -> Spec {
        Spec::new(&[])
    }

    /// A differentiable vector of length `n`.
    pub fn vector(n: usize) -> Spec {
        Spec::new(&[n])
    }

    /// A differentiable `rows × cols` matrix.
    pub fn matrix(rows: usize, cols: usize) -> Spec {
        Spec::new(&[rows, cols])
    }

    /// A differentiable input of any shape.
    pub fn new(shape: &[usize]) -> Spec {
        Spec {
            shape: Shape::from(shape),
            differentiable: true,
        }
    }

    /// A fixed (non-differentiated) input of any shape, e.g. a data batch or
    /// labels; it is part of every call's point but never of a direction.
    pub fn data(shape: &[usize]) -> Spec {
        Spec {
            shape: Shape::from(shape),
            differentiable: false,
        }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.numel()
    }
}

pub(crate) struct TraceCtx {
    builder: RefCell<GraphBuilder>,
    error: RefCell<Option<Error>>,
    /// Values of the constant arrays captured by [`Tensor::constant`], in
    /// the order of their (trailing) graph inputs.
    constants: RefCell<Vec<Vec<f64>>>,
}

/// A traced graph and the constant arrays its trailing inputs are bound to.
pub(crate) struct Traced {
    pub(crate) graph: Graph,
    pub(crate) constants: Vec<Vec<f64>>,
}

/// A traced value: operations on it record equations instead of computing.
///
/// Arithmetic operators follow numpy broadcasting and accept `f64` scalars on
/// either side. Shape errors do not panic; they surface as [`Error::Trace`]
/// from [`crate::trace`], naming the line that caused them.
#[derive(Clone)]
pub struct Tensor {
    ctx: Rc<TraceCtx>,
    atom: Atom,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor({:?}: {})", self.atom, self.shape())
    }
}

pub(crate) fn new_trace(specs: &[Spec]) -> (Rc<TraceCtx>, Vec<Tensor>) {
    let mut b = GraphBuilder::new(DType::F64);
    let atoms: Vec<Atom> = specs
        .iter()
        .map(|s| b.input(s.shape.clone()).into())
        .collect();
    let ctx = Rc::new(TraceCtx {
        builder: RefCell::new(b),
        error: RefCell::new(None),
        constants: RefCell::new(Vec::new()),
    });
    let xs = atoms
        .into_iter()
        .map(|atom| Tensor {
            ctx: ctx.clone(),
            atom,
        })
        .collect();
    (ctx, xs)
}

pub(crate) fn finish_trace(ctx: Rc<TraceCtx>, outs: &[Tensor]) -> Result<Traced> {
    if let Some(e) = ctx.error.borrow_mut().take() {
        return Err(e);
    }
    for o in outs {
        if !Rc::ptr_eq(&o.ctx, &ctx) {
            return Err(Error::Invalid(
                "an output of the traced function belongs to another trace".into(),
            ));
        }
    }
    let atoms = outs.iter().map(|o| o.atom).collect();
    let b = ctx.builder.borrow().clone();
    let g = b.finish(atoms);
    hvp_ir::verify(&g)?;
    Ok(Traced {
        graph: hvp_transforms::dce(&g),
        constants: ctx.constants.borrow().clone(),
    })
}

impl Tensor {
    /// The shape of this value.
    pub fn shape(&self) -> Shape {
        self.ctx.builder.borrow().shape(self.atom).clone()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape().rank()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape().numel()
    }

    fn wrap(&self, atom: Atom) -> Tensor {
        Tensor {
            ctx: self.ctx.clone(),
            atom,
        }
    }

    /// A scalar constant in this trace.
    pub fn scalar(&self, v: f64) -> Tensor {
        self.wrap(Atom::lit(v))
    }

    /// A constant array in this trace (data tables, fixed weights, index
    /// vectors). Its values are captured by the traced function and passed
    /// to every compiled program as a hidden, non-differentiated input, so
    /// an array of any size costs one buffer, not one equation per entry.
    /// A length that does not match `shape`, or a non-finite value, is
    /// reported when the trace finishes.
    ///
    /// ```
    /// use hvp::{trace, Spec};
    /// // f(x) = Σ wᵢ xᵢ² with a fixed weight vector w
    /// let f = trace(|x| (x[0].constant(&[1.0, 2.0, 3.0], &[3]) * x[0].square()).sum(), &[Spec::vector(3)])?;
    /// assert_eq!(f.grad(&[1.0_f64, 1.0, 1.0])?, vec![2.0, 4.0, 6.0]);
    /// # Ok::<(), hvp::Error>(())
    /// ```
    #[track_caller]
    pub fn constant(&self, values: &[f64], shape: &[usize]) -> Tensor {
        let loc = Location::caller();
        let n: usize = shape.iter().product();
        if values.len() != n {
            return self.fail(
                loc,
                format!(
                    "constant: {} values do not fill shape {shape:?}",
                    values.len()
                ),
            );
        }
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return self.fail(loc, format!("constant: non-finite value {bad}"));
        }
        if shape.is_empty() {
            return self.scalar(values[0]);
        }
        let v = self.ctx.builder.borrow_mut().input(Shape::from(shape));
        self.ctx.constants.borrow_mut().push(values.to_vec());
        self.wrap(v.into())
    }

    /// Records `err` (the first one wins) and returns a placeholder.
    fn fail(&self, loc: &Location<'_>, message: String) -> Tensor {
        let mut slot = self.ctx.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(Error::Trace {
                location: format!("{}:{}:{}", loc.file(), loc.line(), loc.column()),
                message,
            });
        }
        self.wrap(Atom::lit(f64::NAN))
    }

    fn poisoned(&self) -> bool {
        self.ctx.error.borrow().is_some()
    }

    /// Runs `f` on the builder; an `Err` is recorded at `loc`.
    fn build(
        &self,
        loc: &'static Location<'static>,
        f: impl FnOnce(&mut GraphBuilder) -> std::result::Result<Atom, IrError>,
    ) -> Tensor {
        if self.poisoned() {
            return self.wrap(Atom::lit(f64::NAN));
        }
        let r = f(&mut self.ctx.builder.borrow_mut());
        match r {
            Ok(a) => self.wrap(a),
            Err(e) => self.fail(loc, e.to_string()),
        }
    }

    fn same_trace(&self, other: &Tensor, loc: &'static Location<'static>) -> Option<Tensor> {
        if Rc::ptr_eq(&self.ctx, &other.ctx) {
            None
        } else {
            Some(self.fail(loc, "operands come from different traces".into()))
        }
    }

    #[track_caller]
    pub(crate) fn unary(&self, prim: Prim) -> Tensor {
        let loc = Location::caller();
        self.build(loc, |b| b.add(prim, &[self.atom]))
    }

    /// Applies a binary elementwise primitive with numpy broadcasting.
    #[track_caller]
    pub(crate) fn binary(&self, prim: Prim, other: &Tensor) -> Tensor {
        let loc = Location::caller();
        if let Some(bad) = self.same_trace(other, loc) {
            return bad;
        }
        let (a, c) = (self.atom, other.atom);
        self.build(loc, |b| {
            let (a, c) = broadcast_pair(b, a, c, prim.name())?;
            b.add(prim, &[a, c])
        })
    }

    #[track_caller]
    fn binary_lit(&self, prim: Prim, v: f64, lit_first: bool) -> Tensor {
        let loc = Location::caller();
        let ins = if lit_first {
            [Atom::lit(v), self.atom]
        } else {
            [self.atom, Atom::lit(v)]
        };
        self.build(loc, |b| b.add(prim, &ins))
    }

    // ---- elementwise functions ----

    /// `e^x`
    #[track_caller]
    pub fn exp(&self) -> Tensor {
        self.unary(Prim::Exp)
    }
    /// Natural logarithm.
    #[track_caller]
    pub fn ln(&self) -> Tensor {
        self.unary(Prim::Log)
    }
    /// Natural logarithm (alias of [`Tensor::ln`]).
    #[track_caller]
    pub fn log(&self) -> Tensor {
        self.unary(Prim::Log)
    }
    /// `ln(1 + x)`, accurate near 0.
    #[track_caller]
    pub fn ln_1p(&self) -> Tensor {
        self.unary(Prim::Log1p)
    }
    /// `e^x - 1`, accurate near 0.
    #[track_caller]
    pub fn exp_m1(&self) -> Tensor {
        self.unary(Prim::Expm1)
    }
    /// Square root.
    #[track_caller]
    pub fn sqrt(&self) -> Tensor {
        self.unary(Prim::Sqrt)
    }
    /// Sine.
    #[track_caller]
    pub fn sin(&self) -> Tensor {
        self.unary(Prim::Sin)
    }
    /// Cosine.
    #[track_caller]
    pub fn cos(&self) -> Tensor {
        self.unary(Prim::Cos)
    }
    /// Tangent.
    #[track_caller]
    pub fn tan(&self) -> Tensor {
        self.unary(Prim::Tan)
    }
    /// Arctangent.
    #[track_caller]
    pub fn atan(&self) -> Tensor {
        self.unary(Prim::Atan)
    }
    /// Hyperbolic tangent.
    #[track_caller]
    pub fn tanh(&self) -> Tensor {
        self.unary(Prim::Tanh)
    }
    /// Absolute value.
    #[track_caller]
    pub fn abs(&self) -> Tensor {
        self.unary(Prim::Abs)
    }
    /// `-1`, `0` or `1`.
    #[track_caller]
    pub fn sign(&self) -> Tensor {
        self.unary(Prim::Sign)
    }
    /// `x^n` for an integer `n`.
    #[track_caller]
    pub fn powi(&self, n: i32) -> Tensor {
        self.unary(Prim::IntPow(n))
    }
    /// `x^p` for a real exponent (an integral `p` uses the exact integer power).
    #[track_caller]
    pub fn powf(&self, p: f64) -> Tensor {
        if p.fract() == 0.0 && p.abs() <= i32::MAX as f64 {
            self.unary(Prim::IntPow(p as i32))
        } else {
            self.binary_lit(Prim::Pow, p, false)
        }
    }
    /// `x^y` elementwise with broadcasting.
    #[track_caller]
    pub fn pow(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Pow, y)
    }
    /// `x²`
    #[track_caller]
    pub fn square(&self) -> Tensor {
        self.unary(Prim::IntPow(2))
    }
    /// The value with a zero derivative.
    #[track_caller]
    pub fn stop_gradient(&self) -> Tensor {
        self.unary(Prim::StopGradient)
    }
    /// Elementwise maximum with broadcasting.
    #[track_caller]
    pub fn maximum(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Max, y)
    }
    /// Elementwise minimum with broadcasting.
    #[track_caller]
    pub fn minimum(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Min, y)
    }
    /// Elementwise maximum with a constant.
    #[track_caller]
    pub fn max_scalar(&self, v: f64) -> Tensor {
        self.binary_lit(Prim::Max, v, false)
    }
    /// Elementwise minimum with a constant.
    #[track_caller]
    pub fn min_scalar(&self, v: f64) -> Tensor {
        self.binary_lit(Prim::Min, v, false)
    }

    // ---- comparisons (1.0 where true, 0.0 elsewhere) ----

    /// `x < y` as 1/0.
    #[track_caller]
    pub fn lt(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Compare(CmpOp::Lt), y)
    }
    /// `x <= y` as 1/0.
    #[track_caller]
    pub fn le(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Compare(CmpOp::Le), y)
    }
    /// `x > y` as 1/0.
    #[track_caller]
    pub fn gt(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Compare(CmpOp::Gt), y)
    }
    /// `x >= y` as 1/0.
    #[track_caller]
    pub fn ge(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Compare(CmpOp::Ge), y)
    }
    /// `x == y` as 1/0.
    #[track_caller]
    pub fn eq_elem(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Compare(CmpOp::Eq), y)
    }
    /// `x != y` as 1/0.
    #[track_caller]
    pub fn ne_elem(&self, y: &Tensor) -> Tensor {
        self.binary(Prim::Compare(CmpOp::Ne), y)
    }
    /// Compares with a constant.
    #[track_caller]
    pub fn compare_scalar(&self, op: CmpOp, v: f64) -> Tensor {
        self.binary_lit(Prim::Compare(op), v, false)
    }

    /// `self != 0 ? a : b` elementwise with broadcasting (numpy's `where`).
    #[track_caller]
    pub fn select(&self, a: &Tensor, b: &Tensor) -> Tensor {
        let loc = Location::caller();
        if let Some(bad) = self.same_trace(a, loc).or_else(|| self.same_trace(b, loc)) {
            return bad;
        }
        let (c, x, y) = (self.atom, a.atom, b.atom);
        self.build(loc, |bd| {
            let shape = [c, x, y]
                .iter()
                .try_fold(Shape::scalar(), |s, &t| s.broadcast(bd.shape(t)))
                .map_err(|e| shape_err("select", &e.to_string()))?;
            let to = |bd: &mut GraphBuilder, t: Atom| match t {
                Atom::Lit(_) => Ok(t),
                _ if bd.shape(t) == &shape => Ok(t),
                _ => bd.broadcast_to(t, &shape),
            };
            let (c, x, y) = (to(bd, c)?, to(bd, x)?, to(bd, y)?);
            bd.select(c, x, y)
        })
    }

    // ---- reductions ----

    /// Sum of all elements.
    #[track_caller]
    pub fn sum(&self) -> Tensor {
        let a = self.atom;
        self.build(Location::caller(), |b| b.sum_all(a))
    }

    /// Sum over `axes` (removed from the shape).
    #[track_caller]
    pub fn sum_axes(&self, axes: &[usize]) -> Tensor {
        let a = self.atom;
        self.build(Location::caller(), |b| b.reduce_sum(a, axes))
    }

    /// Mean of all elements.
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        let n = self.numel().max(1) as f64;
        self.sum().binary_lit(Prim::Div, n, false)
    }

    /// Mean over `axes`.
    #[track_caller]
    pub fn mean_axes(&self, axes: &[usize]) -> Tensor {
        let s = self.shape();
        let n: usize = axes
            .iter()
            .filter(|&&a| a < s.rank())
            .map(|&a| s[a])
            .product();
        self.sum_axes(axes)
            .binary_lit(Prim::Div, n.max(1) as f64, false)
    }

    /// Maximum of all elements.
    #[track_caller]
    pub fn max(&self) -> Tensor {
        let axes: Vec<usize> = (0..self.rank()).collect();
        self.max_axes(&axes)
    }

    /// Maximum over `axes`.
    #[track_caller]
    pub fn max_axes(&self, axes: &[usize]) -> Tensor {
        let mut axes = axes.to_vec();
        axes.sort_unstable();
        let a = self.atom;
        self.build(Location::caller(), |b| {
            b.add(Prim::ReduceMax { axes }, &[a])
        })
    }

    /// Minimum of all elements.
    #[track_caller]
    pub fn min(&self) -> Tensor {
        -(&(-self).max())
    }

    /// Minimum over `axes`.
    #[track_caller]
    pub fn min_axes(&self, axes: &[usize]) -> Tensor {
        -(&(-self).max_axes(axes))
    }

    // ---- structure ----

    /// Same elements, new shape.
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        let a = self.atom;
        self.build(Location::caller(), |b| b.reshape(a, shape))
    }

    /// Permutes the axes: output axis `i` is input axis `perm[i]`.
    #[track_caller]
    pub fn permute(&self, perm: &[usize]) -> Tensor {
        let a = self.atom;
        self.build(Location::caller(), |b| b.transpose(a, perm))
    }

    /// Swaps the last two axes (a matrix transpose).
    #[track_caller]
    pub fn t(&self) -> Tensor {
        let r = self.rank();
        if r < 2 {
            return self.fail(
                Location::caller(),
                format!("t() needs rank >= 2, got shape {}", self.shape()),
            );
        }
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 2, r - 1);
        self.permute(&perm)
    }

    /// numpy broadcast to `shape`.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        let a = self.atom;
        self.build(Location::caller(), |b| b.broadcast_to(a, shape))
    }

    /// `x[start:end:step]` along `axis` (`end` clamped to the axis length).
    #[track_caller]
    pub fn slice_axis(&self, axis: usize, start: usize, end: usize, step: usize) -> Tensor {
        let s = self.shape();
        if axis >= s.rank() {
            return self.fail(
                Location::caller(),
                format!("slice: axis {axis} out of range for shape {s}"),
            );
        }
        let mut st = vec![0; s.rank()];
        let mut lim = s.to_vec();
        let mut stride = vec![1; s.rank()];
        st[axis] = start.min(s[axis]);
        lim[axis] = end.min(s[axis]).max(st[axis]);
        stride[axis] = step;
        let a = self.atom;
        self.build(Location::caller(), |b| b.slice(a, &st, &lim, &stride))
    }

    /// Element `i` along `axis`, removing that axis (`x[i]` for axis 0).
    #[track_caller]
    pub fn index_axis(&self, axis: usize, i: usize) -> Tensor {
        let s = self.shape();
        if axis >= s.rank() || i >= s[axis] {
            return self.fail(
                Location::caller(),
                format!("index {i} out of range on axis {axis} of shape {s}"),
            );
        }
        let out: Vec<usize> = s
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != axis)
            .map(|(_, &d)| d)
            .collect();
        self.slice_axis(axis, i, i + 1, 1).reshape(&out)
    }

    /// Zero padding: `low` before and `high` after on every axis.
    #[track_caller]
    pub fn pad(&self, low: &[usize], high: &[usize]) -> Tensor {
        let a = self.atom;
        let interior = vec![0; low.len()];
        self.build(Location::caller(), |b| b.pad(a, low, high, &interior))
    }

    /// `take_along_axis(x, indices, axis)`: `indices` holds integers (as
    /// floats), e.g. class labels reshaped to `[batch, 1]`.
    #[track_caller]
    pub fn take_along_axis(&self, indices: &Tensor, axis: usize) -> Tensor {
        let loc = Location::caller();
        if let Some(bad) = self.same_trace(indices, loc) {
            return bad;
        }
        let (a, i) = (self.atom, indices.atom);
        self.build(loc, |b| b.add(Prim::TakeAlongAxis { axis }, &[a, i]))
    }

    /// Matrix product over the last two axes (1-D operands are treated as a
    /// row vector on the left and a column vector on the right, as numpy
    /// does); leading batch axes broadcast.
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        let loc = Location::caller();
        if let Some(bad) = self.same_trace(other, loc) {
            return bad;
        }
        let (a, c) = (self.atom, other.atom);
        self.build(loc, |b| matmul_numpy(b, a, c))
    }

    /// Inner product of two vectors of equal length.
    #[track_caller]
    pub fn dot(&self, other: &Tensor) -> Tensor {
        (self * other).sum()
    }

    /// Product of all elements, exact with zeros (a pairwise tree of
    /// multiplications, so every order of derivative is correct).
    #[track_caller]
    pub fn prod(&self) -> Tensor {
        let mut x = self.reshape(&[self.numel()]);
        if x.numel() == 0 {
            return self.scalar(1.0);
        }
        while x.numel() > 1 {
            let n = x.numel();
            let odd = n % 2 == 1;
            // Pad an odd length with a one so the pairs line up.
            let y = if odd {
                let p = x.pad(&[0], &[1]);
                let mask = self.scalar(1.0).broadcast_to(&[1]).pad(&[n], &[0]);
                &p + &mask
            } else {
                x
            };
            let even = y.slice_axis(0, 0, y.numel(), 2);
            let oddp = y.slice_axis(0, 1, y.numel(), 2);
            x = &even * &oddp;
        }
        x.reshape(&[])
    }

    /// Euclidean norm of all elements.
    #[track_caller]
    pub fn norm(&self) -> Tensor {
        self.square().sum().sqrt()
    }
}

fn shape_err(prim: &str, reason: &str) -> IrError {
    IrError::Shape {
        prim: prim.into(),
        shapes: vec![],
        reason: reason.into(),
    }
}

fn broadcast_pair(
    b: &mut GraphBuilder,
    a: Atom,
    c: Atom,
    name: &str,
) -> std::result::Result<(Atom, Atom), IrError> {
    if matches!(a, Atom::Lit(_)) || matches!(c, Atom::Lit(_)) {
        return Ok((a, c));
    }
    let (sa, sc) = (b.shape(a).clone(), b.shape(c).clone());
    if sa == sc {
        return Ok((a, c));
    }
    let s = sa.broadcast(&sc).map_err(|e| IrError::Shape {
        prim: name.into(),
        shapes: vec![sa.clone(), sc.clone()],
        reason: e.to_string(),
    })?;
    let a = if sa == s { a } else { b.broadcast_to(a, &s)? };
    let c = if sc == s { c } else { b.broadcast_to(c, &s)? };
    Ok((a, c))
}

fn matmul_numpy(b: &mut GraphBuilder, a: Atom, c: Atom) -> std::result::Result<Atom, IrError> {
    let (sa, sc) = (b.shape(a).clone(), b.shape(c).clone());
    if sa.rank() == 0 || sc.rank() == 0 {
        return Err(IrError::Shape {
            prim: "matmul".into(),
            shapes: vec![sa, sc],
            reason: "operands must have rank >= 1".into(),
        });
    }
    let a2 = if sa.rank() == 1 {
        b.reshape(a, &[1, sa[0]])?
    } else {
        a
    };
    let c2 = if sc.rank() == 1 {
        b.reshape(c, &[sc[0], 1])?
    } else {
        c
    };
    let (s2a, s2c) = (b.shape(a2).clone(), b.shape(c2).clone());
    // Broadcast the batch axes.
    let ba = Shape::from(&s2a[..s2a.rank() - 2]);
    let bc = Shape::from(&s2c[..s2c.rank() - 2]);
    let batch = ba.broadcast(&bc).map_err(|e| IrError::Shape {
        prim: "matmul".into(),
        shapes: vec![sa.clone(), sc.clone()],
        reason: e.to_string(),
    })?;
    let full = |b: &mut GraphBuilder, x: Atom, s: &Shape| {
        let mut target = batch.to_vec();
        target.extend_from_slice(&s[s.rank() - 2..]);
        if s.dims() == target.as_slice() {
            Ok(x)
        } else {
            b.broadcast_to(x, &target)
        }
    };
    let a3 = full(b, a2, &s2a)?;
    let c3 = full(b, c2, &s2c)?;
    let out = b.matmul(a3, c3, false, false)?;
    // Drop the axes numpy drops for 1-D operands.
    let mut s = b.shape(out).to_vec();
    let r = s.len();
    if sc.rank() == 1 {
        s.remove(r - 1);
    }
    if sa.rank() == 1 {
        s.remove(r - 2);
    }
    if s.len() == r {
        Ok(out)
    } else {
        b.reshape(out, &s)
    }
}

macro_rules! binop {
    ($tr:ident, $method:ident, $prim:expr) => {
        impl std::ops::$tr<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                self.binary($prim, rhs)
            }
        }
        impl std::ops::$tr<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                self.binary($prim, &rhs)
            }
        }
        impl std::ops::$tr<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                self.binary($prim, rhs)
            }
        }
        impl std::ops::$tr<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                self.binary($prim, &rhs)
            }
        }
        impl std::ops::$tr<f64> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                self.binary_lit($prim, rhs, false)
            }
        }
        impl std::ops::$tr<f64> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                self.binary_lit($prim, rhs, false)
            }
        }
        impl std::ops::$tr<&Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                rhs.binary_lit($prim, self, true)
            }
        }
        impl std::ops::$tr<Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                rhs.binary_lit($prim, self, true)
            }
        }
    };
}

binop!(Add, add, Prim::Add);
binop!(Sub, sub, Prim::Sub);
binop!(Mul, mul, Prim::Mul);
binop!(Div, div, Prim::Div);

impl std::ops::Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        self.unary(Prim::Neg)
    }
}

impl std::ops::Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        self.unary(Prim::Neg)
    }
}

impl Tensor {
    /// Concatenates `self` and `others` along `axis`.
    #[track_caller]
    pub fn concat(&self, others: &[Tensor], axis: usize) -> Tensor {
        let loc = Location::caller();
        for p in others {
            if let Some(bad) = self.same_trace(p, loc) {
                return bad;
            }
        }
        let atoms: Vec<Atom> = std::iter::once(self.atom)
            .chain(others.iter().map(|p| p.atom))
            .collect();
        self.build(loc, |b| b.concat(&atoms, axis))
    }

    /// Stacks `self` and equally shaped `others` along a new `axis`.
    #[track_caller]
    pub fn stack(&self, others: &[Tensor], axis: usize) -> Tensor {
        let expand = |p: &Tensor| {
            let mut s = p.shape().to_vec();
            s.insert(axis.min(s.len()), 1);
            p.reshape(&s)
        };
        let rest: Vec<Tensor> = others.iter().map(expand).collect();
        expand(self).concat(&rest, axis)
    }

    /// Broadcasts a reduction result back over the reduced `axes` of `shape`
    /// (numpy's `keepdims` followed by broadcasting).
    #[track_caller]
    pub fn expand_reduced(&self, axes: &[usize], shape: &[usize]) -> Tensor {
        let kept: Vec<usize> = (0..shape.len()).filter(|i| !axes.contains(i)).collect();
        let a = self.atom;
        self.build(Location::caller(), |b| b.broadcast_in_dim(a, shape, &kept))
    }
}
