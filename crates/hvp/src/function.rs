//! A traced function and everything derived from it.

use crate::engine::Compiled;
use crate::tracer::{finish_trace, new_trace};
use crate::{Error, Result, Spec, Tensor};
use hvp_ir::{Graph, Prim, Shape};
use hvp_tensor::{Array, Float};
use hvp_transforms as tr;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// How a Hessian-vector product is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum HvpMode {
    /// `jvp(grad f)` (Pearlmutter): the default, memory close to a gradient's.
    #[default]
    ForwardOverReverse,
    /// `grad(x ↦ ∇f(x)·v)` with the inner derivative in forward mode.
    ReverseOverForward,
    /// `grad(x ↦ ∇f(x)·v)` with the inner derivative in reverse mode.
    ReverseOverReverse,
    /// `(∇f(x + h v) − ∇f(x)) / h`, `h = √u (1 + ‖x‖) / ‖v‖`: error
    /// `O(h ‖v‖² ‖∇³f‖) + O(u ‖∇f‖ / h)`, about `√u` relative.
    ForwardDifference,
    /// `(∇f(x + h v) − ∇f(x − h v)) / 2h`, `h = ∛u (1 + ‖x‖) / ‖v‖`: error
    /// `O(h² ‖v‖³ ‖∇⁴f‖) + O(u ‖∇f‖ / h)`, about `u^(2/3)` relative.
    CentralDifference,
}

impl HvpMode {
    /// Every mode, AD modes first.
    pub const ALL: [HvpMode; 5] = [
        HvpMode::ForwardOverReverse,
        HvpMode::ReverseOverForward,
        HvpMode::ReverseOverReverse,
        HvpMode::ForwardDifference,
        HvpMode::CentralDifference,
    ];

    /// A short name (`for`, `rof`, `ror`, `fd-forward`, `fd-central`).
    pub fn name(self) -> &'static str {
        match self {
            HvpMode::ForwardOverReverse => "forward-over-reverse",
            HvpMode::ReverseOverForward => "reverse-over-forward",
            HvpMode::ReverseOverReverse => "reverse-over-reverse",
            HvpMode::ForwardDifference => "forward-difference",
            HvpMode::CentralDifference => "central-difference",
        }
    }

    /// Whether the mode differences gradients (rather than differentiating
    /// them exactly).
    ///
    /// ```
    /// assert!(hvp::HvpMode::CentralDifference.is_difference());
    /// assert!(!hvp::HvpMode::ForwardOverReverse.is_difference());
    /// ```
    pub fn is_difference(self) -> bool {
        self.ad().is_none()
    }

    fn ad(self) -> Option<tr::HvpMode> {
        match self {
            HvpMode::ForwardOverReverse => Some(tr::HvpMode::ForwardOverReverse),
            HvpMode::ReverseOverForward => Some(tr::HvpMode::ReverseOverForward),
            HvpMode::ReverseOverReverse => Some(tr::HvpMode::ReverseOverReverse),
            HvpMode::ForwardDifference | HvpMode::CentralDifference => None,
        }
    }
}

/// The derived programs of a function, one cache slot each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// `x -> f(x)` (all outputs).
    Value,
    /// `x -> ∇f(x)`.
    Grad,
    /// `x -> (f(x), ∇f(x))`.
    ValueAndGrad,
    /// `(x, v) -> H v` in an AD mode.
    Hvp(tr::HvpMode),
    /// `(x, v) -> (f, ∇f, H v)`.
    GradientAndHvp,
    /// `(x, v) -> vᵀ H v`.
    Vhv,
    /// `(x, t) -> (f(x), J t)`.
    Jvp,
    /// `(x, ct) -> (f(x), Jᵀ ct)`.
    Vjp,
    /// `x -> (f(x), ∇f(x), residuals...)`: the once-per-point part of a
    /// prepared Hessian operator (the primal half of `linearize(∇f)`).
    Prepare,
    /// `(x..., residuals..., v) -> H v`: the per-product part of a
    /// prepared Hessian operator (the linear half of `linearize(∇f)`; cheap
    /// values are recomputed from `x` rather than kept).
    PreparedApply,
}

const N_PROGRAMS: usize = 12;

impl Program {
    fn slot(self) -> usize {
        match self {
            Program::Value => 0,
            Program::Grad => 1,
            Program::ValueAndGrad => 2,
            Program::Hvp(tr::HvpMode::ForwardOverReverse) => 3,
            Program::Hvp(tr::HvpMode::ReverseOverForward) => 4,
            Program::Hvp(tr::HvpMode::ReverseOverReverse) => 5,
            Program::GradientAndHvp => 6,
            Program::Vhv => 7,
            Program::Jvp => 8,
            Program::Vjp => 9,
            Program::Prepare => 10,
            Program::PreparedApply => 11,
        }
    }
}

type Slot<T> = OnceLock<std::result::Result<Compiled<T>, Error>>;

/// The per-input parts of a flat point, direction or buffer, handed to a
/// compiled program: inline for up to 8 inputs, so a product on a prepared
/// operator allocates nothing.
pub(crate) type Parts<S> = smallvec::SmallVec<[S; 8]>;
type SharedCompiled<T> = Arc<std::result::Result<Compiled<T>, Error>>;

/// One array per output of a function.
pub type Arrays<T> = Vec<Array<T>>;

/// Per-dtype caches of compiled programs.
#[doc(hidden)]
pub struct Slots<T> {
    compiled: [Slot<T>; N_PROGRAMS],
    /// Batched forward-over-reverse HVPs, by batch size.
    batched: Mutex<HashMap<usize, SharedCompiled<T>>>,
    /// Batched prepared products, by batch size.
    prepared_batched: Mutex<HashMap<usize, SharedCompiled<T>>>,
    /// The captured constants in this dtype.
    constants: OnceLock<Vec<Vec<T>>>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            compiled: std::array::from_fn(|_| OnceLock::new()),
            batched: Mutex::new(HashMap::new()),
            prepared_batched: Mutex::new(HashMap::new()),
            constants: OnceLock::new(),
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The float types a [`Function`] computes in: `f32` and `f64`.
pub trait Real: Float + sealed::Sealed {
    #[doc(hidden)]
    fn slots(f: &Function) -> &Slots<Self>;
}

impl Real for f32 {
    fn slots(f: &Function) -> &Slots<f32> {
        &f.f32_slots
    }
}

impl Real for f64 {
    fn slots(f: &Function) -> &Slots<f64> {
        &f.f64_slots
    }
}

/// A traced function: its graph, its input layout, and lazily compiled
/// programs for its value, gradient, HVPs and friends.
///
/// Points `x` are flat slices holding every input in order (parameters and
/// data alike, each row-major); directions `v`, gradients and HVPs hold only
/// the differentiable inputs, in order. Every program is derived and
/// compiled on first use and reused afterwards.
///
/// ```
/// use hvp::{trace, Spec};
/// // f(x, y) = x²y + sin y, the specification's example
/// let f = trace(|x| &x[0].square() * &x[1] + x[1].sin(), &[Spec::scalar(), Spec::scalar()]).unwrap();
/// let (x, y) = (1.5_f64, -0.7_f64);
/// let g = f.grad(&[x, y]).unwrap();
/// assert!((g[0] - 2.0 * x * y).abs() < 1e-12);
/// let hv = f.hvp(&[x, y], &[0.3, 1.1]).unwrap();
/// assert!((hv[0] - (2.0 * y * 0.3 + 2.0 * x * 1.1)).abs() < 1e-12);
/// ```
pub struct Function {
    graph: Graph,
    /// Constant arrays bound to the graph's trailing inputs.
    constants: Vec<Vec<f64>>,
    specs: Vec<Spec>,
    wrt: Vec<bool>,
    /// Offset of each input in a flat point.
    offsets: Vec<usize>,
    /// Offset of each input in a flat direction (`None` for data inputs).
    param_offsets: Vec<Option<usize>>,
    n_point: usize,
    n_params: usize,
    check_finite: bool,
    derived: [OnceLock<std::result::Result<Graph, Error>>; N_PROGRAMS],
    linearized: OnceLock<std::result::Result<tr::Linearized, Error>>,
    /// [`Function::batching_pays`] per program, decided on first use.
    batching_pays: [OnceLock<bool>; N_PROGRAMS],
    f32_slots: Slots<f32>,
    f64_slots: Slots<f64>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("specs", &self.specs)
            .field("equations", &self.graph.eqns.len())
            .finish()
    }
}

/// Traces a scalar- or tensor-valued function of the given inputs.
///
/// Shape errors inside `f` are reported here with the line that caused them.
///
/// ```
/// use hvp::{trace, Spec};
/// let err = trace(|x| &x[0] + &x[1], &[Spec::vector(3), Spec::vector(4)]).unwrap_err();
/// assert!(err.to_string().contains("[3]"));
/// ```
pub fn trace<F>(f: F, specs: &[Spec]) -> Result<Function>
where
    F: FnOnce(&[Tensor]) -> Tensor,
{
    trace_many(|x| vec![f(x)], specs)
}

/// Traces a function with several outputs (for [`Function::jvp`],
/// [`Function::vjp`] and [`Function::call`]).
pub fn trace_many<F>(f: F, specs: &[Spec]) -> Result<Function>
where
    F: FnOnce(&[Tensor]) -> Vec<Tensor>,
{
    let (ctx, xs) = new_trace(specs);
    let outs = f(&xs);
    drop(xs);
    let traced = finish_trace(ctx, &outs)?;
    Function::with_constants(traced.graph, specs, traced.constants)
}

impl Function {
    /// Wraps an existing graph whose inputs match `specs`.
    pub fn from_graph(graph: Graph, specs: &[Spec]) -> Result<Function> {
        Self::with_constants(graph, specs, Vec::new())
    }

    /// Wraps a graph whose first inputs match `specs` and whose remaining
    /// inputs are bound to the constant arrays `constants`.
    pub(crate) fn with_constants(
        graph: Graph,
        specs: &[Spec],
        constants: Vec<Vec<f64>>,
    ) -> Result<Function> {
        let shapes = graph.input_shapes();
        let consts_fit = shapes.len() == specs.len() + constants.len()
            && shapes[specs.len()..]
                .iter()
                .zip(&constants)
                .all(|(s, c)| s.numel() == c.len());
        if !consts_fit
            || graph
                .input_shapes()
                .iter()
                .zip(specs)
                .any(|(s, sp)| *s != sp.shape)
        {
            return Err(Error::Invalid(format!(
                "the graph's inputs {:?} do not match the specs",
                graph.input_shapes()
            )));
        }
        hvp_ir::verify(&graph)?;
        let mut offsets = Vec::new();
        let mut param_offsets = Vec::new();
        let (mut n_point, mut n_params) = (0, 0);
        for s in specs {
            offsets.push(n_point);
            n_point += s.numel();
            if s.differentiable {
                param_offsets.push(Some(n_params));
                n_params += s.numel();
            } else {
                param_offsets.push(None);
            }
        }
        let mut wrt: Vec<bool> = specs.iter().map(|s| s.differentiable).collect();
        wrt.extend(std::iter::repeat_n(false, constants.len()));
        Ok(Function {
            wrt,
            constants,
            graph,
            specs: specs.to_vec(),
            offsets,
            param_offsets,
            n_point,
            n_params,
            check_finite: false,
            derived: std::array::from_fn(|_| OnceLock::new()),
            linearized: OnceLock::new(),
            batching_pays: std::array::from_fn(|_| OnceLock::new()),
            f32_slots: Slots::default(),
            f64_slots: Slots::default(),
        })
    }

    /// The traced graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The input specs.
    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    /// Length of a flat point (all inputs).
    pub fn point_len(&self) -> usize {
        self.n_point
    }

    /// Length of a flat direction or gradient (differentiable inputs only).
    pub fn num_params(&self) -> usize {
        self.n_params
    }

    /// Turns on checking every computed value for NaN and infinity; a
    /// non-finite value is then an error naming the first equation that
    /// produced it.
    pub fn set_check_finite(&mut self, on: bool) {
        if on != self.check_finite {
            self.check_finite = on;
            self.f32_slots = Slots::default();
            self.f64_slots = Slots::default();
        }
    }

    /// The derived graph of `program` (built on first use).
    pub fn derived_graph(&self, program: Program) -> Result<&Graph> {
        let slot = &self.derived[program.slot()];
        slot.get_or_init(|| self.derive(program))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn derive(&self, program: Program) -> Result<Graph> {
        let f = &self.graph;
        let scalar = || -> Result<()> {
            let shapes = f.output_shapes();
            if shapes.len() == 1 && shapes[0].rank() == 0 {
                Ok(())
            } else {
                Err(Error::NotScalar {
                    what: "differentiation to second order",
                    shapes,
                })
            }
        };
        let g = match program {
            Program::Value => f.clone(),
            Program::Grad => {
                scalar()?;
                tr::grad(f, &self.wrt)?
            }
            Program::ValueAndGrad => {
                scalar()?;
                tr::value_and_grad(f, &self.wrt)?
            }
            Program::Hvp(mode) => {
                scalar()?;
                tr::hvp_graph(f, &self.wrt, mode)?
            }
            Program::GradientAndHvp => {
                scalar()?;
                tr::gradient_and_hvp_graph(f, &self.wrt)?
            }
            Program::Vhv => {
                scalar()?;
                tr::vhv_graph(f, &self.wrt)?
            }
            Program::Jvp => tr::jvp(f, &self.wrt)?,
            Program::Vjp => tr::vjp(f, &self.wrt)?,
            Program::Prepare => {
                scalar()?;
                self.linearized_gradient()?.primal.clone()
            }
            Program::PreparedApply => {
                scalar()?;
                let lin = self.linearized_gradient()?;
                // Drop the derivative of the value; keep H v.
                let mut t = lin.tangent.clone();
                t.outputs.remove(0);
                tr::dce(&t)
            }
        };
        if cfg!(debug_assertions) {
            hvp_ir::verify(&g)?;
        }
        Ok(g)
    }

    /// `linearize(x ↦ (f, ∇f))`, split once for all prepared operators.
    fn linearized_gradient(&self) -> Result<&tr::Linearized> {
        self.linearized
            .get_or_init(|| {
                let vg = tr::value_and_grad(&self.graph, &self.wrt)?;
                Ok(tr::linearize(&vg, &self.wrt)?)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn compiled<T: Real>(&self, program: Program) -> Result<&Compiled<T>> {
        let slot = &T::slots(self).compiled[program.slot()];
        slot.get_or_init(|| {
            let g = self.derived_graph(program)?;
            Compiled::new(g, self.check_finite)
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// Bytes of workspace the compiled `program` computes in (compiling it
    /// if needed): its intermediate values after buffer reuse, excluding
    /// the caller's inputs and outputs.
    pub fn workspace_bytes<T: Real>(&self, program: Program) -> Result<usize> {
        Ok(self.compiled::<T>(program)?.workspace_bytes())
    }

    fn check_len(&self, what: &'static str, got: usize, expected: usize) -> Result<()> {
        if got == expected {
            Ok(())
        } else {
            Err(Error::Length {
                what,
                expected,
                got,
            })
        }
    }

    /// Splits a flat point into per-input slices.
    /// Splits a flat point into per-input slices, followed by the captured
    /// constants (converted to `T` once).
    pub(crate) fn split_point<'a, T: Real>(&'a self, x: &'a [T]) -> Result<Parts<&'a [T]>> {
        self.check_len("point", x.len(), self.n_point)?;
        let mut parts: Parts<&'a [T]> = self
            .specs
            .iter()
            .zip(&self.offsets)
            .map(|(s, &o)| &x[o..o + s.numel()])
            .collect();
        if !self.constants.is_empty() {
            let consts = T::slots(self).constants.get_or_init(|| {
                self.constants
                    .iter()
                    .map(|c| c.iter().map(|&v| T::from_f64(v)).collect())
                    .collect()
            });
            parts.extend(consts.iter().map(|c| c.as_slice()));
        }
        Ok(parts)
    }

    /// The captured constant arrays (bound to the graph's trailing inputs).
    pub fn constants(&self) -> &[Vec<f64>] {
        &self.constants
    }

    /// Splits a flat direction into per-parameter slices.
    pub(crate) fn split_params<'a, T>(
        &self,
        what: &'static str,
        v: &'a [T],
    ) -> Result<Parts<&'a [T]>> {
        self.check_len(what, v.len(), self.n_params)?;
        Ok(self
            .specs
            .iter()
            .zip(&self.param_offsets)
            .filter_map(|(s, o)| o.map(|o| &v[o..o + s.numel()]))
            .collect())
    }

    pub(crate) fn split_params_mut<'a, T>(
        &self,
        what: &'static str,
        v: &'a mut [T],
    ) -> Result<Parts<&'a mut [T]>> {
        self.check_len(what, v.len(), self.n_params)?;
        let mut out = Parts::new();
        let mut rest = v;
        for s in self.specs.iter().filter(|s| s.differentiable) {
            let (head, tail) = rest.split_at_mut(s.numel());
            out.push(head);
            rest = tail;
        }
        Ok(out)
    }

    fn scalar_output(&self, what: &'static str) -> Result<()> {
        let shapes = self.graph.output_shapes();
        if shapes.len() == 1 && shapes[0].rank() == 0 {
            Ok(())
        } else {
            Err(Error::NotScalar { what, shapes })
        }
    }

    /// `f(x)` for a scalar function.
    pub fn value<T: Real>(&self, x: &[T]) -> Result<T> {
        self.scalar_output("value")?;
        let xs = self.split_point(x)?;
        let mut out = [T::zero()];
        self.compiled::<T>(Program::Value)?
            .run(&xs, &mut [&mut out])?;
        Ok(out[0])
    }

    /// Every output of `f` at `x`, as arrays.
    pub fn call<T: Real>(&self, x: &[T]) -> Result<Vec<Array<T>>> {
        let xs = self.split_point(x)?;
        let shapes = self.graph.output_shapes();
        let mut bufs: Vec<Vec<T>> = shapes.iter().map(|s| vec![T::zero(); s.numel()]).collect();
        let mut outs: Vec<&mut [T]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        self.compiled::<T>(Program::Value)?.run(&xs, &mut outs)?;
        Ok(to_arrays(shapes, bufs))
    }

    /// `∇f(x)` (differentiable inputs, flat).
    pub fn grad<T: Real>(&self, x: &[T]) -> Result<Vec<T>> {
        let mut g = vec![T::zero(); self.n_params];
        self.grad_into(x, &mut g)?;
        Ok(g)
    }

    /// `∇f(x)` written into `out`.
    pub fn grad_into<T: Real>(&self, x: &[T], out: &mut [T]) -> Result<()> {
        let xs = self.split_point(x)?;
        let c = self.compiled::<T>(Program::Grad)?;
        let mut outs = self.split_params_mut("gradient buffer", out)?;
        c.run(&xs, &mut outs)
    }

    /// `(f(x), ∇f(x))` in one pass.
    pub fn value_and_grad<T: Real>(&self, x: &[T]) -> Result<(T, Vec<T>)> {
        let xs = self.split_point(x)?;
        let c = self.compiled::<T>(Program::ValueAndGrad)?;
        let mut g = vec![T::zero(); self.n_params];
        let mut f = [T::zero()];
        let mut outs: Vec<&mut [T]> = vec![&mut f];
        outs.extend(self.split_params_mut("gradient buffer", &mut g)?);
        c.run(&xs, &mut outs)?;
        Ok((f[0], g))
    }

    /// `∇²f(x) v` by forward-over-reverse AD.
    pub fn hvp<T: Real>(&self, x: &[T], v: &[T]) -> Result<Vec<T>> {
        self.hvp_with(x, v, HvpMode::ForwardOverReverse)
    }

    /// `∇²f(x) v` in the given mode.
    pub fn hvp_with<T: Real>(&self, x: &[T], v: &[T], mode: HvpMode) -> Result<Vec<T>> {
        let mut out = vec![T::zero(); self.n_params];
        self.hvp_into(x, v, mode, &mut out)?;
        Ok(out)
    }

    /// `∇²f(x) v` written into `out` (no allocation for AD modes once
    /// compiled).
    pub fn hvp_into<T: Real>(&self, x: &[T], v: &[T], mode: HvpMode, out: &mut [T]) -> Result<()> {
        match mode.ad() {
            Some(m) => {
                let mut ins = self.split_point(x)?;
                ins.extend(self.split_params("direction", v)?);
                let c = self.compiled::<T>(Program::Hvp(m))?;
                let mut outs = self.split_params_mut("output buffer", out)?;
                c.run(&ins, &mut outs)
            }
            None => self.hvp_finite_difference(x, v, mode, out),
        }
    }

    /// The finite-difference step for `mode` at `x` along `v`.
    pub fn difference_step<T: Real>(&self, x: &[T], v: &[T], mode: HvpMode) -> Result<T> {
        self.split_point(x)?;
        self.split_params("direction", v)?;
        let u = T::DTYPE.unit_roundoff();
        let scale = match mode {
            HvpMode::CentralDifference => u.cbrt(),
            _ => u.sqrt(),
        };
        let xnorm = self.param_norm(x);
        let vnorm = norm(v);
        if vnorm == 0.0 {
            return Ok(T::zero());
        }
        Ok(T::from_f64(scale * (1.0 + xnorm) / vnorm))
    }

    pub(crate) fn param_norm<T: Real>(&self, x: &[T]) -> f64 {
        self.specs
            .iter()
            .zip(&self.offsets)
            .filter(|(s, _)| s.differentiable)
            .map(|(s, &o)| {
                x[o..o + s.numel()]
                    .iter()
                    .map(|&v| Float::to_f64(v).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>()
            .sqrt()
    }

    /// `x + h v` on the differentiable inputs.
    pub(crate) fn shifted<T: Real>(&self, x: &[T], v: &[T], h: T) -> Vec<T> {
        let mut y = x.to_vec();
        for (s, (&o, po)) in self
            .specs
            .iter()
            .zip(self.offsets.iter().zip(&self.param_offsets))
        {
            if let Some(po) = po {
                for k in 0..s.numel() {
                    y[o + k] += h * v[po + k];
                }
            }
        }
        y
    }

    fn hvp_finite_difference<T: Real>(
        &self,
        x: &[T],
        v: &[T],
        mode: HvpMode,
        out: &mut [T],
    ) -> Result<()> {
        self.check_len("output buffer", out.len(), self.n_params)?;
        let h = self.difference_step(x, v, mode)?;
        if h == T::zero() {
            out.fill(T::zero());
            return Ok(());
        }
        let plus = self.grad(&self.shifted(x, v, h))?;
        let (minus, denom) = match mode {
            HvpMode::CentralDifference => (self.grad(&self.shifted(x, v, -h))?, h + h),
            _ => (self.grad(x)?, h),
        };
        for ((o, p), m) in out.iter_mut().zip(&plus).zip(&minus) {
            *o = (*p - *m) / denom;
        }
        Ok(())
    }

    /// `(f(x), ∇f(x), ∇²f(x) v)` in one forward-over-reverse pass.
    pub fn gradient_and_hvp<T: Real>(&self, x: &[T], v: &[T]) -> Result<(T, Vec<T>, Vec<T>)> {
        let mut ins = self.split_point(x)?;
        ins.extend(self.split_params("direction", v)?);
        let c = self.compiled::<T>(Program::GradientAndHvp)?;
        let mut f = [T::zero()];
        let mut g = vec![T::zero(); self.n_params];
        let mut hv = vec![T::zero(); self.n_params];
        let mut outs: Vec<&mut [T]> = vec![&mut f];
        outs.extend(self.split_params_mut("gradient buffer", &mut g)?);
        outs.extend(self.split_params_mut("output buffer", &mut hv)?);
        c.run(&ins, &mut outs)?;
        Ok((f[0], g, hv))
    }

    /// `vᵀ ∇²f(x) v`, the curvature along `v`.
    pub fn vhv<T: Real>(&self, x: &[T], v: &[T]) -> Result<T> {
        let mut ins = self.split_point(x)?;
        ins.extend(self.split_params("direction", v)?);
        let mut out = [T::zero()];
        self.compiled::<T>(Program::Vhv)?
            .run(&ins, &mut [&mut out])?;
        Ok(out[0])
    }

    /// `H vᵢ` for `k` directions at once: `vs` holds the directions as the
    /// rows of a `k × n` row-major matrix and the result holds `H vᵢ` the
    /// same way. One batched program runs (a new leading axis through the
    /// HVP graph), so matrix-vector products become matrix-matrix products;
    /// programs that would not gain (stencils without matrix products, see
    /// the operator's `apply_hvp_many`) run direction by direction.
    pub fn hvp_batch<T: Real>(&self, x: &[T], vs: &[T]) -> Result<Vec<T>> {
        let n = self.n_params;
        if n == 0 || !vs.len().is_multiple_of(n) || vs.is_empty() {
            return Err(Error::Invalid(format!(
                "hvp_batch: {} values are not a whole number of directions of length {n}",
                vs.len()
            )));
        }
        let k = vs.len() / n;
        let program = Program::Hvp(tr::HvpMode::ForwardOverReverse);
        let mut result = vec![T::zero(); k * n];
        if k > 1 && !self.batching_pays(program)? {
            for (v, out) in vs.chunks_exact(n).zip(result.chunks_exact_mut(n)) {
                self.hvp_into(x, v, HvpMode::ForwardOverReverse, out)?;
            }
            return Ok(result);
        }
        let xs = self.split_point(x)?;
        let c = self.batched::<T>(program, k)?;
        self.run_rows(
            c.as_ref().as_ref().map_err(Clone::clone)?,
            xs,
            k,
            vs,
            &mut result,
        )?;
        Ok(result)
    }

    /// Whether `program` run once over a batch of directions beats running
    /// it once per direction. Batching turns matrix-vector products into
    /// matrix-matrix ones and shares per-call overhead, but the executor
    /// fuses slices, pads and concatenations (stencils such as `x[1:] -
    /// x[:-1]`) only along a value's outermost axis, which batching turns
    /// into an inner one: a program with such layout ops and no matrix
    /// product to gain on runs faster direction by direction (Rosenbrock
    /// n = 10⁵: 4× per vector). Decided once per program: batched
    /// products are the hot path of block Krylov methods.
    pub(crate) fn batching_pays(&self, program: Program) -> Result<bool> {
        let slot = &self.batching_pays[program.slot()];
        if let Some(&pays) = slot.get() {
            return Ok(pays);
        }
        let g = self.derived_graph(program)?;
        let has = |pred: fn(&Prim) -> bool| g.eqns.iter().any(|e| pred(&e.prim));
        let pays = has(|p| matches!(p, Prim::MatMul { .. }))
            || !has(|p| {
                matches!(
                    p,
                    Prim::Slice { .. } | Prim::Pad { .. } | Prim::Concat { .. }
                )
            });
        Ok(*slot.get_or_init(|| pays))
    }

    /// Runs the batched prepared product on `k` directions given the
    /// residuals of a preparation.
    pub(crate) fn run_batched_apply<T: Real>(
        &self,
        k: usize,
        residuals: &[&[T]],
        vs: &[T],
        outs: &mut [T],
    ) -> Result<()> {
        let c = self.batched::<T>(Program::PreparedApply, k)?;
        self.run_rows(
            c.as_ref().as_ref().map_err(Clone::clone)?,
            residuals.iter().copied().collect(),
            k,
            vs,
            outs,
        )
    }

    /// Runs a batched program whose leading inputs are `prefix` and whose
    /// last inputs are the `k` directions regrouped into one `[k, nᵢ]`
    /// block per differentiable input; writes the rows of the result.
    fn run_rows<'a, T: Real>(
        &self,
        c: &Compiled<T>,
        prefix: Parts<&'a [T]>,
        k: usize,
        vs: &'a [T],
        result: &mut [T],
    ) -> Result<()> {
        let n = self.n_params;
        let sizes: Vec<usize> = self
            .specs
            .iter()
            .filter(|s| s.differentiable)
            .map(Spec::numel)
            .collect();
        if let [_] = sizes[..] {
            // One differentiable input: the rows already are its block.
            let mut ins = prefix;
            ins.push(vs);
            return c.run(&ins, &mut [result]);
        }
        // Regroup the rows into one [k, nᵢ] block per input, and back. The
        // copies are memory-bound and, for large blocks, split over threads
        // by rows (each row's pieces are disjoint).
        c.with_staging(2 * k * n, |staging| {
            let (ins_buf, outs_buf) = staging.split_at_mut(k * n);
            let mut blocks = split_blocks(ins_buf, k, &sizes);
            scatter_rows(vs, n, &sizes, &mut blocks);
            // A fresh list: the blocks live shorter than the prefix.
            let mut ins: Parts<&[T]> = prefix.iter().copied().collect();
            ins.extend(blocks.iter().map(|b| &**b));
            let mut outs = split_blocks(outs_buf, k, &sizes);
            c.run(&ins, &mut outs)?;
            gather_rows(&outs, n, &sizes, result);
            Ok(())
        })
    }

    /// `program` (whose last inputs are the directions) batched over `k`
    /// directions, compiled once per `k`.
    fn batched<T: Real>(&self, program: Program, k: usize) -> Result<SharedCompiled<T>> {
        let slots = T::slots(self);
        let cache = match program {
            Program::PreparedApply => &slots.prepared_batched,
            _ => &slots.batched,
        };
        let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(&k) {
            return Ok(c.clone());
        }
        let g = self.derived_graph(program)?;
        let n_dirs = self.n_wrt();
        let mut mask = vec![false; g.inputs.len() - n_dirs];
        mask.extend(std::iter::repeat_n(true, n_dirs));
        let compiled = tr::batch(g, &mask, k)
            .map_err(Error::from)
            .and_then(|bg| Compiled::new(&bg, self.check_finite));
        let c = Arc::new(compiled);
        map.insert(k, c.clone());
        Ok(c)
    }

    /// Number of differentiable inputs.
    pub(crate) fn n_wrt(&self) -> usize {
        self.wrt.iter().filter(|&&w| w).count()
    }

    /// The dense Hessian (`n × n`, row-major), assembled from batched HVPs
    /// with the unit vectors in chunks of at most 32, so memory stays
    /// bounded: a debugging object for small `n`.
    pub fn hessian<T: Real>(&self, x: &[T]) -> Result<Array<T>> {
        const MAX_ENTRIES: usize = 1 << 26;
        const CHUNK: usize = 32;
        let n = self.n_params;
        if n.saturating_mul(n) > MAX_ENTRIES {
            return Err(Error::Invalid(format!(
                "a dense Hessian of {n} parameters would hold {} entries; use hvp instead",
                n as u128 * n as u128
            )));
        }
        let mut h = vec![T::zero(); n * n];
        let k = n.clamp(1, CHUNK);
        let mut e = vec![T::zero(); k * n];
        let mut start = 0;
        while start < n {
            let rows = k.min(n - start);
            e.fill(T::zero());
            for r in 0..rows {
                e[r * n + start + r] = T::one();
            }
            let hv = self.hvp_batch(x, &e)?;
            // Row j of H is H e_j, by symmetry.
            h[start * n..(start + rows) * n].copy_from_slice(&hv[..rows * n]);
            start += rows;
        }
        Ok(Array::from_vec(Shape::from([n, n]), h).expect("n*n entries"))
    }

    /// `(f(x), J t)`: the outputs and their directional derivatives along
    /// `t` (differentiable inputs, flat).
    pub fn jvp<T: Real>(&self, x: &[T], t: &[T]) -> Result<(Arrays<T>, Arrays<T>)> {
        let mut ins = self.split_point(x)?;
        ins.extend(self.split_params("tangent", t)?);
        let shapes = self.graph.output_shapes();
        let mut bufs: Vec<Vec<T>> = shapes
            .iter()
            .chain(&shapes)
            .map(|s| vec![T::zero(); s.numel()])
            .collect();
        let mut outs: Vec<&mut [T]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
        self.compiled::<T>(Program::Jvp)?.run(&ins, &mut outs)?;
        let tangents = bufs.split_off(shapes.len());
        Ok((to_arrays(shapes.clone(), bufs), to_arrays(shapes, tangents)))
    }

    /// `(f(x), Jᵀ ct)`: the outputs and the cotangent of the differentiable
    /// inputs (flat) given one cotangent per output (flat, concatenated).
    pub fn vjp<T: Real>(&self, x: &[T], ct: &[T]) -> Result<(Arrays<T>, Vec<T>)> {
        let mut ins = self.split_point(x)?;
        let shapes = self.graph.output_shapes();
        let n_ct: usize = shapes.iter().map(|s| s.numel()).sum();
        self.check_len("cotangent", ct.len(), n_ct)?;
        let mut o = 0;
        for s in &shapes {
            ins.push(&ct[o..o + s.numel()]);
            o += s.numel();
        }
        let mut bufs: Vec<Vec<T>> = shapes.iter().map(|s| vec![T::zero(); s.numel()]).collect();
        let mut xbar = vec![T::zero(); self.n_params];
        {
            let mut outs: Vec<&mut [T]> = bufs.iter_mut().map(|b| b.as_mut_slice()).collect();
            outs.extend(self.split_params_mut("cotangent buffer", &mut xbar)?);
            self.compiled::<T>(Program::Vjp)?.run(&ins, &mut outs)?;
        }
        Ok((to_arrays(shapes, bufs), xbar))
    }
}

fn to_arrays<T: Float>(shapes: Vec<Shape>, bufs: Vec<Vec<T>>) -> Vec<Array<T>> {
    shapes
        .into_iter()
        .zip(bufs)
        .map(|(s, b)| Array::from_vec(s, b).expect("buffers are sized from their shapes"))
        .collect()
}

fn norm<T: Float>(v: &[T]) -> f64 {
    v.iter()
        .map(|&x| Float::to_f64(x).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// `buf` cut into one `[k, m]` block per size `m`.
fn split_blocks<'a, T>(buf: &'a mut [T], k: usize, sizes: &[usize]) -> Vec<&'a mut [T]> {
    let mut blocks = Vec::with_capacity(sizes.len());
    let mut rest = buf;
    for &m in sizes {
        let (b, r) = std::mem::take(&mut rest).split_at_mut(k * m);
        blocks.push(b);
        rest = r;
    }
    blocks
}

/// Elements below which a regrouping copy stays on one thread.
const PARALLEL_COPY: usize = 1 << 18;

/// Row `i` of `rows` (`k × n`, the inputs' pieces one after another) into
/// row `i` of each block.
fn scatter_rows<T: Real>(rows: &[T], n: usize, sizes: &[usize], blocks: &mut [&mut [T]]) {
    use rayon::prelude::*;
    let mut per_row: Vec<Vec<&mut [T]>> = (0..rows.len() / n.max(1)).map(|_| Vec::new()).collect();
    for (blk, &m) in blocks.iter_mut().zip(sizes) {
        for (row, piece) in per_row.iter_mut().zip(blk.chunks_exact_mut(m.max(1))) {
            row.push(piece);
        }
    }
    let copy = |(src, dst): (&[T], &mut Vec<&mut [T]>)| {
        let mut o = 0;
        for piece in dst.iter_mut() {
            piece.copy_from_slice(&src[o..o + piece.len()]);
            o += piece.len();
        }
    };
    if rows.len() >= PARALLEL_COPY {
        rows.par_chunks_exact(n)
            .zip(per_row.par_iter_mut())
            .for_each(copy);
    } else {
        rows.chunks_exact(n).zip(per_row.iter_mut()).for_each(copy);
    }
}

/// Row `i` of each block into row `i` of `rows`.
fn gather_rows<T: Real>(blocks: &[&mut [T]], n: usize, sizes: &[usize], rows: &mut [T]) {
    use rayon::prelude::*;
    let copy = |(i, dst): (usize, &mut [T])| {
        let mut o = 0;
        for (blk, &m) in blocks.iter().zip(sizes) {
            dst[o..o + m].copy_from_slice(&blk[i * m..(i + 1) * m]);
            o += m;
        }
    };
    if rows.len() >= PARALLEL_COPY {
        rows.par_chunks_exact_mut(n).enumerate().for_each(copy);
    } else {
        rows.chunks_exact_mut(n).enumerate().for_each(copy);
    }
}
