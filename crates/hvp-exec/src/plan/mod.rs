//! The compiled plan: a schedule of fused loops and kernel calls over
//! buffers assigned by liveness.
//!
//! Compilation removes reshapes and other pure relabelings (they share their
//! operand's buffer), drops dead equations, groups elementwise equations
//! into fused loops (see `fused`), and gives every value that must reach
//! memory a buffer: the caller's output buffer when it is an output, else a
//! workspace buffer recycled from a value that is already dead. Inputs are
//! read in place from the caller's slices.
//!
//! A fused loop runs over the flat index space of its longest result.
//! Slices, zero pads and concatenations that act on the outermost non-unit
//! axis map flat ranges to flat ranges, so they fuse too: a slice is a read
//! at an offset, a pad a range outside which the value is zero, and a cheap
//! producer read at several offsets (`x[1:]` and `x[:-1]` of a computed `x`)
//! is recomputed at each offset rather than stored. Recomputation is capped:
//! past the cap the producer is stored and read back at its offsets.
//!
//! ```
//! use hvp_ir::{parse, DType};
//! use hvp_exec::Plan;
//! let g = parse("graph f64 (%0: [4]) {\n  %1: [4] = mul %0, %0\n  %2: [4] = sin %1\n  %3: [] = reduce_sum{axes=[0]} %2\n  return %3\n}").unwrap();
//! let plan = Plan::compile(&g).unwrap();
//! // mul, sin and the sum run as one loop; nothing is written but the sum
//! assert_eq!((plan.stats().fused_groups, plan.stats().kernels), (1, 0));
//! let mut ws = plan.workspace::<f64>();
//! let mut out = [0.0];
//! plan.run(&mut ws, &[&[0.0, 0.0, 0.0, 0.0]], &mut [&mut out]).unwrap();
//! assert_eq!(out, [0.0]);
//! ```

mod compile;
mod fused;

use crate::ExecError;
use compile::{Compiled, Final, Kernel, KernelStep, Loc, Step};
use fused::Streams;
use hvp_ir::Graph;
use hvp_tensor::{kernels, DType, Float, Shape};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A graph compiled for repeated execution. See the [module docs](self).
///
/// A plan is dtype-agnostic in layout but runs only with buffers of the
/// graph's dtype; it is `Send + Sync`, and each thread calling it needs its
/// own [`Workspace`].
#[derive(Clone, Debug)]
pub struct Plan {
    id: u64,
    dtype: DType,
    input_shapes: Vec<Shape>,
    output_shapes: Vec<Shape>,
    c: Compiled,
    check_finite: bool,
}

/// The buffers a [`Plan`] computes in, owned by the caller and reusable
/// across calls so that [`Plan::run`] does not allocate.
#[derive(Clone, Debug)]
pub struct Workspace<T> {
    plan_id: u64,
    arena: Vec<T>,
    ptrs: Vec<usize>,
    streams: Vec<usize>,
}

/// What a plan consists of, for tests and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanStats {
    /// Steps executed per run (fused loops plus kernel calls).
    pub steps: usize,
    /// Fused elementwise loops.
    pub fused_groups: usize,
    /// Instructions per chunk inside the fused loops (one per equation or
    /// fewer: two arithmetic equations can share one, negations fold into
    /// their readers; a task's first chunk may run a few more, see
    /// `fused`).
    pub fused_ops: usize,
    /// Kernel calls.
    pub kernels: usize,
    /// Workspace buffers.
    pub buffers: usize,
}

/// What a profiled step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// A fused elementwise loop.
    Fused,
    /// A kernel call (matmul, reduction, layout copy, gather).
    Kernel,
    /// Copies and fills of outputs after the last step.
    Outputs,
}

/// The wall time of one step of a [`Plan::profile`] run.
#[derive(Clone, Debug)]
pub struct StepTiming {
    /// Position in the schedule.
    pub step: usize,
    /// What kind of step it is.
    pub kind: StepKind,
    /// A short description: `fused 11 instrs × 1000000 (13 eqns: mul sub …)`,
    /// `matmul 256×784×256 rhsᵀ`, `reduce_sum [256,10] axes [1]`.
    pub what: String,
    /// Indices of the graph equations the step computes.
    pub eqns: Vec<usize>,
    /// Wall time.
    pub time: std::time::Duration,
}

impl std::fmt::Display for StepTiming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:4} {:>10.1} µs  {}",
            self.step,
            self.time.as_secs_f64() * 1e6,
            self.what
        )
    }
}

impl Plan {
    /// Verifies `graph` and compiles it.
    pub fn compile(graph: &Graph) -> Result<Plan, ExecError> {
        let c = compile::compile(graph)?;
        Ok(Plan {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            dtype: graph.dtype,
            input_shapes: graph.input_shapes(),
            output_shapes: graph.output_shapes(),
            c,
            check_finite: false,
        })
    }

    /// A fresh workspace for this plan (allocates [`Plan::peak_bytes`]).
    pub fn workspace<T: Float>(&self) -> Workspace<T> {
        let mut arena = vec![T::zero(); self.c.arena_len];
        for &(slot, v) in &self.c.consts {
            arena[self.c.slot_offsets[slot as usize]] = T::from_f64(v);
        }
        Workspace {
            plan_id: self.id,
            arena,
            ptrs: Vec::with_capacity(self.input_shapes.len() + self.output_shapes.len()),
            streams: Vec::with_capacity(self.c.max_streams),
        }
    }

    /// When on, every equation's result is checked after it is computed and
    /// a NaN or infinity is reported as [`ExecError::NonFinite`] naming the
    /// first equation that produced one. Checked runs do not split fused
    /// loops over threads. Like dead equations, elements that no output
    /// depends on (the part of a value a slice drops) are not computed and
    /// so not checked.
    pub fn set_check_finite(&mut self, on: bool) {
        self.check_finite = on;
    }

    /// Whether finiteness checks are on.
    pub fn check_finite(&self) -> bool {
        self.check_finite
    }

    /// Bytes of a workspace's buffers for `dtype`.
    pub fn peak_bytes(&self, dtype: DType) -> usize {
        self.c.arena_len * dtype.size_bytes()
    }

    /// The shapes of the inputs, in call order.
    pub fn input_shapes(&self) -> &[Shape] {
        &self.input_shapes
    }

    /// The shapes of the outputs, in return order.
    pub fn output_shapes(&self) -> &[Shape] {
        &self.output_shapes
    }

    /// The dtype the plan computes in.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Counts of what the plan runs.
    pub fn stats(&self) -> PlanStats {
        let mut s = PlanStats {
            steps: self.c.steps.len(),
            fused_groups: 0,
            fused_ops: 0,
            kernels: 0,
            buffers: self.c.slot_offsets.len(),
        };
        for step in &self.c.steps {
            match step {
                Step::Fused(f) => {
                    s.fused_groups += 1;
                    s.fused_ops += f.fused.op_count();
                }
                Step::Kernel(_) => s.kernels += 1,
            }
        }
        s
    }

    /// Runs the plan on `inputs`, writing each output into its buffer in
    /// `outputs` (row-major, one element for a scalar). Nothing is
    /// allocated.
    ///
    /// Errors: a dtype other than the graph's, a workspace from another
    /// plan, wrong buffer counts or lengths, a bad index value, and (when
    /// checks are on) a non-finite value. After an error the outputs hold
    /// unspecified values.
    pub fn run<T: Float>(
        &self,
        ws: &mut Workspace<T>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
    ) -> Result<(), ExecError> {
        self.run_with(ws, inputs, outputs, |_, f| f())
    }

    /// Runs the plan once like [`Plan::run`] and returns the wall time of
    /// each step with a short description of it (a fused loop's instruction
    /// count, length and equations; a kernel's name and shapes; a product's
    /// `m×k×n`), in execution order, the copies of outputs made after the
    /// last step as a final entry. For finding where time goes: it
    /// allocates, and timing each step adds a little to the total.
    ///
    /// ```
    /// use hvp_ir::parse;
    /// use hvp_exec::Plan;
    /// let g = parse("graph f64 (%0: [2,3], %1: [3,2]) {\n  %2: [2,2] = matmul{transpose_lhs=false,transpose_rhs=false} %0, %1\n  %3: [2,2] = tanh %2\n  return %3\n}").unwrap();
    /// let plan = Plan::compile(&g).unwrap();
    /// let mut ws = plan.workspace::<f64>();
    /// let mut out = [0.0; 4];
    /// let steps = plan.profile(&mut ws, &[&[0.5; 6], &[1.0; 6]], &mut [&mut out]).unwrap();
    /// assert_eq!(steps.len(), 2);
    /// assert!(steps[0].what.starts_with("matmul 2×3×2"), "{}", steps[0]);
    /// assert!(steps[1].what.starts_with("fused"), "{}", steps[1]);
    /// ```
    pub fn profile<T: Float>(
        &self,
        ws: &mut Workspace<T>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
    ) -> Result<Vec<StepTiming>, ExecError> {
        let mut times: Vec<std::time::Duration> = Vec::with_capacity(self.c.steps.len() + 1);
        self.run_with(ws, inputs, outputs, |_, f| {
            let t = std::time::Instant::now();
            let r = f();
            times.push(t.elapsed());
            r
        })?;
        let mut out: Vec<StepTiming> = self
            .c
            .steps
            .iter()
            .zip(&times)
            .enumerate()
            .map(|(step, (s, &time))| {
                let (kind, what, eqns) = self.describe(s);
                StepTiming {
                    step,
                    kind,
                    what,
                    eqns,
                    time,
                }
            })
            .collect();
        if !self.c.finals.is_empty() {
            let copies = self
                .c
                .finals
                .iter()
                .filter(|f| matches!(f, Final::Copy { .. }))
                .count();
            out.push(StepTiming {
                step: self.c.steps.len(),
                kind: StepKind::Outputs,
                what: format!(
                    "outputs: {copies} copies, {} fills",
                    self.c.finals.len() - copies
                ),
                eqns: Vec::new(),
                time: times.last().copied().unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// A step's kind, description and equations.
    fn describe(&self, s: &Step) -> (StepKind, String, Vec<usize>) {
        let shape = |v: &[usize]| {
            let d: Vec<String> = v.iter().map(|d| d.to_string()).collect();
            format!("[{}]", d.join(","))
        };
        match s {
            Step::Fused(f) => {
                // Equations of the caller's graph (copies map to theirs).
                let mut eqns: Vec<usize> = f
                    .fused
                    .eqns()
                    .iter()
                    .map(|&e| self.c.eqn_info[e].0)
                    .collect();
                eqns.sort_unstable();
                eqns.dedup();
                let mut in_order = f.fused.eqns();
                in_order.sort_unstable();
                in_order.dedup();
                let mut names: Vec<&str> = in_order.iter().map(|&e| self.c.eqn_info[e].1).collect();
                names.dedup();
                let stores = match f.fused.stores.len() {
                    0 => String::new(),
                    k => format!(" + {k} stores"),
                };
                let what = format!(
                    "fused {} instrs{stores} × {} ({} eqns: {}{})",
                    f.fused.op_count(),
                    f.fused.n,
                    eqns.len(),
                    names.iter().take(6).copied().collect::<Vec<_>>().join(" "),
                    if names.len() > 6 { " …" } else { "" },
                );
                (StepKind::Fused, what, eqns)
            }
            Step::Kernel(k) => {
                let what = match &k.kernel {
                    Kernel::MatMul(d, o) => format!(
                        "matmul{} {}{}×{}×{}{}{}{}{}",
                        if o.accumulate { " +=" } else { "" },
                        if d.batch > 1 {
                            format!("{}× ", d.batch)
                        } else {
                            String::new()
                        },
                        d.m,
                        d.k,
                        d.n,
                        if d.transpose_lhs { " lhsᵀ" } else { "" },
                        if d.transpose_rhs { " rhsᵀ" } else { "" },
                        if o.lhs_shared { " lhs shared" } else { "" },
                        if o.rhs_shared { " rhs shared" } else { "" },
                    ),
                    Kernel::ReduceSum { shape: s, axes } => {
                        format!("reduce_sum {} axes {axes:?}", shape(s))
                    }
                    Kernel::ReduceMax { shape: s, axes } => {
                        format!("reduce_max {} axes {axes:?}", shape(s))
                    }
                    Kernel::Permute { shape: s, perm } => {
                        format!("transpose {} perm {perm:?}", shape(s))
                    }
                    Kernel::Broadcast {
                        src_shape,
                        out_shape,
                        ..
                    } => format!("broadcast {} → {}", shape(src_shape), shape(out_shape)),
                    Kernel::Slice { shape: s, .. } => format!("slice {} (strided)", shape(s)),
                    Kernel::Pad { shape: s, .. } => format!("pad {}", shape(s)),
                    Kernel::Concat { shapes, axis, .. } => {
                        let s: Vec<String> = shapes.iter().map(|s| shape(s)).collect();
                        format!("concat axis {axis} of {}", s.join(" "))
                    }
                    Kernel::Take { x_shape, axis, .. } => {
                        format!("take_along_axis {} axis {axis}", shape(x_shape))
                    }
                    Kernel::Scatter {
                        shape: s,
                        axis,
                        size,
                    } => {
                        format!("scatter_add_along_axis {} axis {axis} to {size}", shape(s))
                    }
                };
                (
                    StepKind::Kernel,
                    what,
                    vec![self.c.eqn_info[k.eqn as usize].0],
                )
            }
        }
    }

    /// Runs the plan, passing each step (and then the output copies, as
    /// step `steps.len()`) to `each` as a closure to call exactly once.
    fn run_with<T: Float>(
        &self,
        ws: &mut Workspace<T>,
        inputs: &[&[T]],
        outputs: &mut [&mut [T]],
        mut each: impl FnMut(usize, &mut dyn FnMut() -> Result<(), ExecError>) -> Result<(), ExecError>,
    ) -> Result<(), ExecError> {
        self.validate(inputs, outputs.len(), |j| outputs[j].len())?;
        if ws.plan_id != self.id {
            return Err(ExecError::WorkspaceMismatch);
        }
        let Workspace {
            arena,
            ptrs,
            streams,
            ..
        } = ws;
        ptrs.clear();
        ptrs.extend(inputs.iter().map(|x| x.as_ptr() as usize));
        ptrs.extend(outputs.iter_mut().map(|o| o.as_mut_ptr() as usize));
        let ctx = Ctx {
            ptrs,
            n_in: inputs.len(),
            arena: arena.as_mut_ptr(),
            offsets: &self.c.slot_offsets,
        };
        for (i, step) in self.c.steps.iter().enumerate() {
            each(i, &mut || match step {
                Step::Kernel(k) => self.run_kernel(k, &ctx),
                Step::Fused(f) => {
                    streams.clear();
                    streams.extend(
                        f.streams
                            .iter()
                            .map(|&(l, off)| ctx.ptr(l).wrapping_offset(off) as usize),
                    );
                    let s = Streams::<T> {
                        ptrs: streams,
                        _t: std::marker::PhantomData,
                    };
                    // SAFETY: every stream, at the loop indices where the
                    // group uses it, addresses elements of a buffer that
                    // stays alive for the call, and the compiler never
                    // writes a stream that the group also reads.
                    match unsafe { f.fused.run(s, self.check_finite) } {
                        Some((eqn, value)) => Err(self.non_finite(eqn, value)),
                        None => Ok(()),
                    }
                }
            })?;
        }
        if self.c.finals.is_empty() {
            return Ok(());
        }
        each(self.c.steps.len(), &mut || {
            for f in &self.c.finals {
                match *f {
                    Final::Fill { out, value } => {
                        // SAFETY: output buffers were checked against their shapes.
                        let o = unsafe { ctx.slice_mut(Loc::Output(out), self.out_len(out)) };
                        o.fill(T::from_f64(value));
                    }
                    Final::Copy { out, from, off } => {
                        let n = self.out_len(out);
                        // SAFETY: `from + off` holds the output's `n` elements
                        // in another buffer (an input, a workspace buffer or
                        // another output).
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                ctx.ptr(from).add(off),
                                ctx.ptr(Loc::Output(out)),
                                n,
                            )
                        };
                    }
                }
            }
            Ok(())
        })
    }

    /// Runs the plan with a fresh workspace and fresh output vectors.
    pub fn call<T: Float>(&self, inputs: &[&[T]]) -> Result<Vec<Vec<T>>, ExecError> {
        let mut outs: Vec<Vec<T>> = self
            .output_shapes
            .iter()
            .map(|s| vec![T::zero(); s.numel()])
            .collect();
        let mut ws = self.workspace::<T>();
        let mut views: Vec<&mut [T]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
        self.run(&mut ws, inputs, &mut views)?;
        Ok(outs)
    }

    fn out_len(&self, j: u32) -> usize {
        self.output_shapes[j as usize].numel()
    }

    fn validate<T: Float>(
        &self,
        inputs: &[&[T]],
        n_out: usize,
        out_len: impl Fn(usize) -> usize,
    ) -> Result<(), ExecError> {
        if T::DTYPE != self.dtype {
            return Err(ExecError::DTypeMismatch {
                graph: self.dtype,
                requested: T::DTYPE,
            });
        }
        if inputs.len() != self.input_shapes.len() {
            return Err(ExecError::InputCount {
                expected: self.input_shapes.len(),
                got: inputs.len(),
            });
        }
        for (index, (x, s)) in inputs.iter().zip(&self.input_shapes).enumerate() {
            if x.len() != s.numel() {
                return Err(ExecError::InputLength {
                    index,
                    shape: s.clone(),
                    got: x.len(),
                });
            }
        }
        if n_out != self.output_shapes.len() {
            return Err(ExecError::OutputCount {
                expected: self.output_shapes.len(),
                got: n_out,
            });
        }
        for (index, s) in self.output_shapes.iter().enumerate() {
            if out_len(index) != s.numel() {
                return Err(ExecError::OutputLength {
                    index,
                    shape: s.clone(),
                    got: out_len(index),
                });
            }
        }
        Ok(())
    }

    fn non_finite(&self, eqn: u32, value: f64) -> ExecError {
        let (eqn, prim, var) = self.c.eqn_info[eqn as usize];
        ExecError::NonFinite {
            eqn,
            prim,
            var,
            value,
        }
    }

    fn run_kernel<T: Float>(&self, k: &KernelStep, ctx: &Ctx<'_, T>) -> Result<(), ExecError> {
        // SAFETY: the compiler gives a kernel's result a buffer that none of
        // its operands uses (except the accumulator of an accumulating
        // product, which is never viewed as a slice here), and every buffer
        // holds the recorded length.
        let arg = |i: usize| {
            let (l, off, n) = k.args[i];
            unsafe { std::slice::from_raw_parts(ctx.ptr(l).add(off), n) }
        };
        let out = unsafe { ctx.slice_mut(k.out.0, k.out.1) };
        let bad_index = |e: kernels::IndexError| {
            let (eqn, prim, _) = self.c.eqn_info[k.eqn as usize];
            ExecError::BadIndex {
                eqn,
                prim,
                position: e.position,
                value: e.value,
                size: e.size,
            }
        };
        match &k.kernel {
            Kernel::ReduceSum { shape, axes } => kernels::reduce_sum(arg(0), shape, axes, out),
            Kernel::ReduceMax { shape, axes } => kernels::reduce_max(arg(0), shape, axes, out),
            Kernel::Permute { shape, perm } => kernels::permute(arg(0), shape, perm, out),
            Kernel::Broadcast {
                src_shape,
                out_shape,
                dims,
            } => kernels::broadcast_in_dim(arg(0), src_shape, out_shape, dims, out),
            Kernel::Slice {
                shape,
                start,
                limit,
                stride,
            } => kernels::slice(arg(0), shape, start, limit, stride, out),
            Kernel::Pad {
                shape,
                low,
                high,
                interior,
            } => kernels::pad(arg(0), shape, low, high, interior, out),
            Kernel::Concat {
                shapes,
                axis,
                out_axis,
            } => {
                let mut offset = 0;
                for (i, s) in shapes.iter().enumerate() {
                    kernels::concat_into(arg(i), s, *axis, offset, *out_axis, out);
                    offset += s[*axis];
                }
            }
            Kernel::Take {
                x_shape,
                axis,
                k: n,
            } => kernels::take_along_axis(arg(0), x_shape, arg(1), *axis, *n, out)
                .map_err(bad_index)?,
            Kernel::Scatter { shape, axis, size } => {
                kernels::scatter_add_along_axis(arg(0), arg(1), shape, *axis, *size, out)
                    .map_err(bad_index)?
            }
            Kernel::MatMul(d, opts) => {
                if opts.accumulate {
                    let (l, off, n) = k.args[2];
                    // SAFETY: the accumulator holds `n` = the result's
                    // length; it is either the result's own buffer (taken
                    // over in place) or a distinct one, copied in first.
                    let acc = unsafe { ctx.ptr(l).add(off) };
                    if acc != out.as_mut_ptr() {
                        unsafe { std::ptr::copy_nonoverlapping(acc, out.as_mut_ptr(), n) };
                    }
                }
                kernels::matmul_with(*d, *opts, arg(0), arg(1), out)
            }
        }
        if self.check_finite {
            if let Some(v) = out.iter().find(|v| !v.is_finite()) {
                return Err(self.non_finite(k.eqn, Float::to_f64(*v)));
            }
        }
        Ok(())
    }
}

/// Base addresses of one call's buffers.
struct Ctx<'a, T> {
    ptrs: &'a [usize],
    n_in: usize,
    arena: *mut T,
    offsets: &'a [usize],
}

impl<T> Ctx<'_, T> {
    fn ptr(&self, l: Loc) -> *mut T {
        match l {
            Loc::Input(i) => self.ptrs[i as usize] as *mut T,
            Loc::Output(j) => self.ptrs[self.n_in + j as usize] as *mut T,
            // SAFETY: slot offsets lie inside the arena.
            Loc::Slot(s) => unsafe { self.arena.add(self.offsets[s as usize]) },
        }
    }

    /// # Safety
    /// `l` must hold `n` elements, with no other live reference into them;
    /// `l` is not an input.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice_mut(&self, l: Loc, n: usize) -> &mut [T] {
        // SAFETY: forwarded.
        unsafe { std::slice::from_raw_parts_mut(self.ptr(l), n) }
    }
}
