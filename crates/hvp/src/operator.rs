//! The Hessian as a linear operator: prepared once at `x`, applied to many
//! `v`.
//!
//! [`HessianOperator::new`] runs the once-per-point half of
//! `linearize(∇f)` — the primal pass and the gradient, keeping the
//! residuals the products need — and every [`HessianOperator::apply`] runs
//! only the linear tangent program. Krylov methods call `apply` tens to
//! thousands of times at one point; none of the work that does not depend on
//! `v` is repeated. `f(x)` and `∇f(x)` come for free.
//!
//! ```
//! use hvp::{trace, HessianOperator, Spec};
//! use hvp::linop::LinOp;
//! let f = trace(|x| (x[0].sin() * &x[0]).sum(), &[Spec::vector(3)])?;
//! let x = [0.1_f64, 0.2, 0.3];
//! let h = HessianOperator::new(&f, &x)?;
//! let mut hv = [0.0; 3];
//! h.apply(&[1.0, 0.0, 0.0], &mut hv)?;              // H e_0, the first column
//! let want = 2.0 * x[0].cos() - x[0] * x[0].sin(); // (x sin x)''
//! assert!((hv[0] - want).abs() < 1e-14);
//! assert_eq!(h.gradient().len(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::function::Program;
use crate::{Error, Function, HvpMode, Real, Result};
use hvp_linop::{check_dims, LinOp, LinOpError};

/// Bytes a prepared operator keeps and computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OperatorMemory {
    /// Residuals kept between preparation and the products.
    pub residual_bytes: usize,
    /// The point and the gradient kept by the operator.
    pub state_bytes: usize,
    /// Workspace of the preparation program (freed after use by callers who
    /// drop the function's caches; reused across preparations otherwise).
    pub prepare_workspace_bytes: usize,
    /// Workspace of one product.
    pub apply_workspace_bytes: usize,
}

impl OperatorMemory {
    /// Everything together.
    pub fn total(&self) -> usize {
        self.residual_bytes
            + self.state_bytes
            + self.prepare_workspace_bytes
            + self.apply_workspace_bytes
    }
}

enum Kind<T> {
    /// Forward-over-reverse, split by `linearize`: residuals kept.
    Prepared { residuals: Vec<Vec<T>> },
    /// Reverse-over-forward or reverse-over-reverse: one product per apply.
    OneOff,
    /// Differences of gradients; the gradient at `x` is reused.
    Differences,
}

/// `∇²f(x)` as a symmetric linear operator on the differentiable inputs
/// (flat, in order), prepared once at `x`.
pub struct HessianOperator<'f, T: Real> {
    f: &'f Function,
    x: Vec<T>,
    mode: HvpMode,
    value: T,
    gradient: Vec<T>,
    kind: Kind<T>,
}

impl<T: Real> std::fmt::Debug for HessianOperator<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HessianOperator")
            .field("n", &self.gradient.len())
            .field("mode", &self.mode)
            .field("value", &self.value)
            .finish()
    }
}

impl Function {
    /// `H = ∇²f(x)` as a prepared linear operator (forward-over-reverse):
    /// the specification's `hessian_operator(f, x)`; apply it with
    /// [`HessianOperator::apply_hvp`] or through [`LinOp::apply`].
    pub fn hessian_operator<T: Real>(&self, x: &[T]) -> Result<HessianOperator<'_, T>> {
        HessianOperator::new(self, x)
    }

    /// The memory a prepared forward-over-reverse operator of this function
    /// will use, known before preparing one (compiles the two programs).
    pub fn prepared_memory<T: Real>(&self) -> Result<OperatorMemory> {
        let prep = self.derived_graph(Program::Prepare)?;
        let n_keep = 1 + self.n_wrt();
        let elems: usize = prep.output_shapes()[n_keep..]
            .iter()
            .map(|s| s.numel())
            .sum();
        let size = T::DTYPE.size_bytes();
        Ok(OperatorMemory {
            residual_bytes: elems * size,
            state_bytes: (self.point_len() + self.num_params()) * size,
            prepare_workspace_bytes: self.workspace_bytes::<T>(Program::Prepare)?,
            apply_workspace_bytes: self.workspace_bytes::<T>(Program::PreparedApply)?,
        })
    }
}

impl<'f, T: Real> HessianOperator<'f, T> {
    /// Prepares the forward-over-reverse operator at `x` (a flat point: all
    /// inputs in order).
    pub fn new(f: &'f Function, x: &[T]) -> Result<Self> {
        Self::with_mode(f, x, HvpMode::ForwardOverReverse)
    }

    /// Prepares the operator at `x` with products computed in `mode`.
    /// Forward-over-reverse is split by `linearize` (the point's work runs
    /// once); the other AD modes compute a full product per apply; the
    /// difference modes reuse the gradient at `x`.
    pub fn with_mode(f: &'f Function, x: &[T], mode: HvpMode) -> Result<Self> {
        f.split_point(x)?;
        let kind = match mode {
            HvpMode::ForwardOverReverse => {
                let prep = f.derived_graph(Program::Prepare)?;
                let residuals = prep.output_shapes()[1 + f.n_wrt()..]
                    .iter()
                    .map(|s| vec![T::zero(); s.numel()])
                    .collect();
                Kind::Prepared { residuals }
            }
            HvpMode::ReverseOverForward | HvpMode::ReverseOverReverse => Kind::OneOff,
            HvpMode::ForwardDifference | HvpMode::CentralDifference => Kind::Differences,
        };
        let mut op = HessianOperator {
            f,
            x: x.to_vec(),
            mode,
            value: T::zero(),
            gradient: vec![T::zero(); f.num_params()],
            kind,
        };
        op.compute_at(x)?;
        Ok(op)
    }

    /// Prepares the operator again at a new point `x`, in place: the
    /// point, the gradient and the residuals are written into the buffers
    /// the operator already holds, so a sequence of preparations (one per
    /// iterate of a Newton method) allocates nothing after the first and
    /// touches no fresh memory.
    ///
    /// On an error (a point of the wrong length, or a non-finite value
    /// under [`Function::set_check_finite`]) the operator stays prepared at
    /// its previous point, with the same value, gradient and products.
    ///
    /// ```
    /// use hvp::{trace, HessianOperator, Spec};
    /// let f = trace(|x| (&x[0] * &x[0] * &x[0]).sum(), &[Spec::vector(2)])?;
    /// let mut h = HessianOperator::new(&f, &[1.0_f64, 2.0])?;
    /// h.prepare_at(&[3.0, -1.0])?;
    /// let mut hv = [0.0; 2];
    /// h.apply_hvp(&[1.0, 1.0], &mut hv)?; // diag(6 x) (1, 1)
    /// assert_eq!(hv, [18.0, -6.0]);
    /// assert_eq!(h.gradient(), &[27.0, 3.0]);
    /// # Ok::<(), hvp::Error>(())
    /// ```
    pub fn prepare_at(&mut self, x: &[T]) -> Result<()> {
        self.f.split_point(x)?;
        if let Err(e) = self.compute_at(x) {
            // The buffers may hold part of the failed run: recompute them
            // at the point the operator still holds (which succeeded
            // before, and runs the same deterministic program).
            let held = std::mem::take(&mut self.x);
            let restored = self.compute_at(&held);
            self.x = held;
            restored?;
            return Err(e);
        }
        self.x.copy_from_slice(x);
        Ok(())
    }

    /// Runs the once-per-point program at `x` into the operator's value,
    /// gradient and residual buffers (the point itself is the caller's to
    /// store).
    fn compute_at(&mut self, x: &[T]) -> Result<()> {
        let xs = self.f.split_point(x)?;
        let program = match self.kind {
            Kind::Prepared { .. } => Program::Prepare,
            Kind::OneOff | Kind::Differences => Program::ValueAndGrad,
        };
        let c = self.f.compiled::<T>(program)?;
        let mut value = [T::zero()];
        let mut outs: Vec<&mut [T]> = vec![&mut value];
        outs.extend(
            self.f
                .split_params_mut("gradient buffer", &mut self.gradient)?,
        );
        if let Kind::Prepared { residuals } = &mut self.kind {
            outs.extend(residuals.iter_mut().map(|r| r.as_mut_slice()));
        }
        c.run(&xs, &mut outs)?;
        self.value = value[0];
        Ok(())
    }

    /// `f(x)`, computed during preparation.
    pub fn value(&self) -> T {
        self.value
    }

    /// `∇f(x)`, computed during preparation.
    pub fn gradient(&self) -> &[T] {
        &self.gradient
    }

    /// The point the operator was prepared at.
    pub fn point(&self) -> &[T] {
        &self.x
    }

    /// The function the operator belongs to.
    pub fn function(&self) -> &Function {
        self.f
    }

    /// The mode products are computed in.
    pub fn mode(&self) -> HvpMode {
        self.mode
    }

    /// Number of parameters (rows and columns).
    pub fn dim(&self) -> usize {
        self.gradient.len()
    }

    /// The memory this operator holds and computes in.
    pub fn memory(&self) -> Result<OperatorMemory> {
        let size = T::DTYPE.size_bytes();
        let state_bytes = (self.x.len() + self.gradient.len()) * size;
        Ok(match &self.kind {
            Kind::Prepared { residuals } => OperatorMemory {
                residual_bytes: residuals.iter().map(|r| r.len() * size).sum(),
                state_bytes,
                prepare_workspace_bytes: self.f.workspace_bytes::<T>(Program::Prepare)?,
                apply_workspace_bytes: self.f.workspace_bytes::<T>(Program::PreparedApply)?,
            },
            Kind::OneOff | Kind::Differences => OperatorMemory {
                state_bytes,
                ..OperatorMemory::default()
            },
        })
    }

    /// `out = H v`.
    pub fn apply_hvp(&self, v: &[T], out: &mut [T]) -> Result<()> {
        match &self.kind {
            Kind::Prepared { residuals } => {
                let mut ins = self.f.split_point(&self.x)?;
                ins.extend(residuals.iter().map(|r| r.as_slice()));
                ins.extend(self.f.split_params("direction", v)?);
                let mut outs = self.f.split_params_mut("output buffer", out)?;
                self.f
                    .compiled::<T>(Program::PreparedApply)?
                    .run(&ins, &mut outs)
            }
            Kind::OneOff => self.f.hvp_into(&self.x, v, self.mode, out),
            Kind::Differences => match self.mode {
                HvpMode::ForwardDifference => self.forward_difference(v, out),
                _ => self.f.hvp_into(&self.x, v, self.mode, out),
            },
        }
    }

    /// One gradient per product: `(∇f(x + h v) − ∇f(x)) / h` with the
    /// cached `∇f(x)`.
    fn forward_difference(&self, v: &[T], out: &mut [T]) -> Result<()> {
        let h = self
            .f
            .difference_step(&self.x, v, HvpMode::ForwardDifference)?;
        if h == T::zero() {
            out.fill(T::zero());
            return Ok(());
        }
        let shifted = self.f.shifted(&self.x, v, h);
        self.f.grad_into(&shifted, out)?;
        for (o, g) in out.iter_mut().zip(&self.gradient) {
            *o = (*o - *g) / h;
        }
        Ok(())
    }

    /// `H vᵢ` for `k` directions stored one after another, as one batched
    /// tangent program (forward-over-reverse), so matrix-vector work becomes
    /// matrix-matrix work and per-call overhead is shared. A program whose
    /// slices, pads or concatenations the executor fuses only unbatched
    /// (stencils like `x[1:] − x[:-1]`) and that has no matrix product to
    /// gain on runs direction by direction instead, which is faster for it.
    pub fn apply_hvp_many(&self, k: usize, vs: &[T], outs: &mut [T]) -> Result<()> {
        let n = self.dim();
        if vs.len() != k * n || outs.len() != k * n {
            return Err(Error::Length {
                what: "block of directions",
                expected: k * n,
                got: if vs.len() != k * n {
                    vs.len()
                } else {
                    outs.len()
                },
            });
        }
        match &self.kind {
            Kind::Prepared { residuals }
                if k > 1 && self.f.batching_pays(Program::PreparedApply)? =>
            {
                let mut prefix = self.f.split_point(&self.x)?;
                prefix.extend(residuals.iter().map(|r| r.as_slice()));
                self.f.run_batched_apply(k, &prefix, vs, outs)
            }
            _ => {
                for (v, o) in vs
                    .chunks_exact(n.max(1))
                    .zip(outs.chunks_exact_mut(n.max(1)))
                {
                    self.apply_hvp(v, o)?;
                }
                Ok(())
            }
        }
    }
}

fn failed(e: Error) -> LinOpError {
    LinOpError::Failed {
        op: "hessian".into(),
        message: e.to_string(),
    }
}

impl<T: Real> LinOp<T> for HessianOperator<'_, T> {
    fn nrows(&self) -> usize {
        self.dim()
    }

    fn ncols(&self) -> usize {
        self.dim()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> std::result::Result<(), LinOpError> {
        check_dims("hessian", self.dim(), self.dim(), x, y)?;
        self.apply_hvp(x, y).map_err(failed)
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> std::result::Result<(), LinOpError> {
        check_dims("hessian", k * self.dim(), k * self.dim(), xs, ys)?;
        self.apply_hvp_many(k, xs, ys).map_err(failed)
    }

    fn is_symmetric(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "hessian"
    }
}
