//! Gauss-Newton and empirical Fisher operators for `f(θ) = L(m(θ))`.
//!
//! When a function is a loss `L` of a model's outputs `z = m(θ)`, its
//! Hessian is `Jᵀ ∇²L J + Σ ∂L/∂zᵢ ∇²zᵢ`. The generalized Gauss-Newton
//! matrix `G = Jᵀ ∇²L J` drops the second term: it is positive
//! semi-definite whenever `L` is convex in `z` (cross-entropy, squared
//! error), which makes it the curvature of choice for Newton-CG on
//! non-convex models, where the Hessian's negative curvature would stall
//! CG. It equals the Hessian when the model is linear. The empirical Fisher
//! `F = (1/N) Σ ∇ℓᵢ ∇ℓᵢᵀ` (per-example gradients `∇ℓᵢ`) needs no second
//! derivative at all; it is also PSD, but it is a cruder approximation
//! (it is the Fisher only at a perfect model) — prefer the GGN, use the
//! Fisher when the loss is not twice differentiable or for comparison with
//! methods built on it.
//!
//! Both are prepared like [`crate::HessianOperator`]: the model's forward
//! pass, the loss's gradient and the residuals run once at `θ`; each
//! product runs `v ↦ J v ↦ ∇²L (J v) ↦ Jᵀ(…)` as one linear program.
//!
//! ```
//! use hvp::{trace_model_loss, GgnOperator, Spec};
//! use hvp::linop::LinOp;
//! // A linear model with a convex loss: the GGN is the Hessian.
//! let ml = trace_model_loss(
//!     |p| {
//!         let z = p[2].matmul(&p[0]) + &p[1];
//!         let loss = z.cross_entropy(&p[3]);
//!         (z, loss)
//!     },
//!     &[Spec::matrix(3, 2), Spec::vector(2), Spec::data(&[4, 3]), Spec::data(&[4])],
//! )?;
//! let mut x: Vec<f64> = (0..8).map(|i| 0.1 * i as f64 - 0.3).collect();
//! x.extend((0..12).map(|i| (i as f64 * 0.7).sin()));
//! x.extend([0.0, 1.0, 1.0, 0.0]);
//! let g = GgnOperator::new(&ml, &x)?;
//! let h = ml.function().hessian(&x)?;
//! let d = g.to_dense().unwrap();
//! assert!(d.iter().zip(h.data()).all(|(a, b)| (a - b).abs() < 1e-12));
//! # Ok::<(), hvp::Error>(())
//! ```

use crate::function::Program;
use crate::tracer::{finish_trace, new_trace};
use crate::{Error, Function, Real, Result, Spec, Tensor};
use hvp_ir::{Atom, Graph, GraphBuilder};
use hvp_linop::{check_dims, LinOp, LinOpError};
use hvp_transforms as tr;

/// How the loss combines examples along the leading axis of the model
/// output (used by the empirical Fisher to recover per-example gradients).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reduction {
    /// `L = (1/N) Σ ℓᵢ`; the Fisher is `(1/N) Σ ∇ℓᵢ ∇ℓᵢᵀ`.
    #[default]
    Mean,
    /// `L = Σ ℓᵢ`; the Fisher is `Σ ∇ℓᵢ ∇ℓᵢᵀ`.
    Sum,
}

/// A function written as a loss of a model's output, `f(θ) = L(m(θ))`,
/// with the programs of its Gauss-Newton and Fisher operators.
pub struct ModelLoss {
    full: Function,
    z_numel: usize,
    n_examples: usize,
    n_model_res: usize,
    n_loss_res: usize,
    /// `x -> (L, ∇f..., z, model residuals..., loss residuals..., ∇_z L)`.
    prepare: Function,
    /// `(x..., z, model res..., loss res..., v...) -> G v`.
    ggn_apply: Function,
    /// `(x..., ∇_z L, model res..., v...) -> F v` (before scaling).
    fisher_apply: Function,
}

impl std::fmt::Debug for ModelLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelLoss")
            .field("params", &self.full.num_params())
            .field("outputs", &self.z_numel)
            .finish()
    }
}

/// Traces `f` returning `(z, L)`: the model output `z` (a leading axis of
/// examples for the Fisher) and the scalar loss computed from it. The loss
/// must depend on the differentiable inputs only through `z`; data inputs
/// (labels) may enter it directly.
pub fn trace_model_loss<F>(f: F, specs: &[Spec]) -> Result<ModelLoss>
where
    F: FnOnce(&[Tensor]) -> (Tensor, Tensor),
{
    let (ctx, xs) = new_trace(specs);
    let (z, loss) = f(&xs);
    drop(xs);
    let traced = finish_trace(ctx, &[z, loss])?;
    ModelLoss::with_constants(&traced.graph, specs, traced.constants)
}

fn inputs_of(b: &mut GraphBuilder, g: &Graph) -> Vec<Atom> {
    g.inputs
        .iter()
        .map(|v| b.input(g.vars[v.index()].clone()).into())
        .collect()
}

impl ModelLoss {
    /// Splits a graph with outputs `(z, L)` into model and loss and derives
    /// the operator programs.
    pub fn from_graph(both: &Graph, specs: &[Spec]) -> Result<ModelLoss> {
        Self::with_constants(both, specs, Vec::new())
    }

    fn with_constants(both: &Graph, specs: &[Spec], constants: Vec<Vec<f64>>) -> Result<ModelLoss> {
        if both.outputs.len() != 2 || both.shape_of(both.outputs[1]).rank() != 0 {
            return Err(Error::Invalid(
                "trace_model_loss needs (model output, scalar loss)".into(),
            ));
        }
        let mut wrt: Vec<bool> = specs.iter().map(|s| s.differentiable).collect();
        wrt.extend(std::iter::repeat_n(false, constants.len()));
        let n_x = wrt.len();
        let z_atom = both.outputs[0];
        let z_shape = both.shape_of(z_atom);

        // f = L(m(x)).
        let mut full_graph = both.clone();
        full_graph.outputs = vec![both.outputs[1]];
        let full = Function::with_constants(tr::dce(&full_graph), specs, constants.clone())?;

        // Model: x -> z.
        let mut model = both.clone();
        model.outputs = vec![z_atom];
        let model = tr::dce(&model);

        // Loss: (z, x...) -> L, with z cut out of the graph.
        let mut b = GraphBuilder::new(both.dtype);
        let z_in = b.input(z_shape.clone());
        let xs = inputs_of(&mut b, both);
        let mut env: Vec<Option<Atom>> = vec![None; both.vars.len()];
        for (v, &a) in both.inputs.iter().zip(&xs) {
            env[v.index()] = Some(a);
        }
        if let Atom::Var(zv) = z_atom {
            env[zv.index()] = Some(z_in.into());
        }
        for e in &both.eqns {
            if env[e.out.index()].is_some() {
                continue; // z itself
            }
            let ins: Vec<Atom> = e
                .inputs
                .iter()
                .map(|&a| match a {
                    Atom::Var(v) => env[v.index()].expect("verified graph"),
                    lit => lit,
                })
                .collect();
            env[e.out.index()] = Some(b.add(e.prim.clone(), &ins)?);
        }
        let l_out = match both.outputs[1] {
            Atom::Var(v) => env[v.index()].expect("verified graph"),
            lit => lit,
        };
        let loss = tr::dce(&b.finish(vec![l_out]));
        // The loss may read data inputs but not parameters except via z.
        let mut used = vec![false; loss.vars.len()];
        for e in &loss.eqns {
            for a in &e.inputs {
                if let Atom::Var(v) = a {
                    used[v.index()] = true;
                }
            }
        }
        for (i, v) in loss.inputs[1..].iter().enumerate() {
            if wrt[i] && used[v.index()] {
                return Err(Error::Invalid(format!(
                    "the loss reads parameter input {i} directly; it may depend on parameters only through the model output"
                )));
            }
        }

        // Linearize the model (J) and the loss gradient in z (∇²L).
        let lin_m = tr::linearize(&model, &wrt)?;
        let jt = tr::transpose(&lin_m.tangent, &{
            let mut m = vec![false; n_x + lin_m.num_residuals];
            m.extend(std::iter::repeat_n(
                true,
                wrt.iter().filter(|&&w| w).count(),
            ));
            m
        })?;
        let mut loss_wrt = vec![true];
        loss_wrt.extend(std::iter::repeat_n(false, n_x));
        let vg_l = tr::value_and_grad(&loss, &loss_wrt)?;
        let lin_l = tr::linearize(&vg_l, &loss_wrt)?;

        // Prepare: x -> (L, ∇f..., z, res_m..., res_L..., ∇_z L).
        let mut b = GraphBuilder::new(both.dtype);
        let x = inputs_of(&mut b, both);
        let pm = b.inline(&lin_m.primal, &x)?;
        let (z, res_m) = (pm[0], pm[1..].to_vec());
        let mut args = vec![z];
        args.extend_from_slice(&x);
        let pl = b.inline(&lin_l.primal, &args)?;
        let (l_val, gz, res_l) = (pl[0], pl[1], pl[2..].to_vec());
        let mut jt_args = x.clone();
        jt_args.extend_from_slice(&res_m);
        jt_args.push(gz);
        let grads = b.inline(&jt, &jt_args)?;
        let mut outs = vec![l_val];
        outs.extend(grads);
        outs.push(z);
        outs.extend_from_slice(&res_m);
        outs.extend_from_slice(&res_l);
        outs.push(gz);
        let prepare_graph = tr::dce(&b.finish(outs));
        let prepare = Function::with_constants(prepare_graph, specs, constants)?;

        // GGN apply: (x..., z, res_m..., res_l..., v...) -> Jᵀ ∇²L J v.
        let mut b = GraphBuilder::new(both.dtype);
        let x = inputs_of(&mut b, both);
        let z = b.input(z_shape.clone()).into();
        let res_m: Vec<Atom> = lin_m.primal.outputs[1..]
            .iter()
            .map(|&a| b.input(lin_m.primal.shape_of(a)).into())
            .collect();
        let res_l: Vec<Atom> = lin_l.primal.outputs[2..]
            .iter()
            .map(|&a| b.input(lin_l.primal.shape_of(a)).into())
            .collect();
        let v: Vec<Atom> = both
            .inputs
            .iter()
            .zip(&wrt)
            .filter(|(_, &w)| w)
            .map(|(var, _)| b.input(both.vars[var.index()].clone()).into())
            .collect();
        let mut a = x.clone();
        a.extend_from_slice(&res_m);
        a.extend_from_slice(&v);
        let zdot = b.inline(&lin_m.tangent, &a)?[0];
        let mut a = vec![z];
        a.extend_from_slice(&x);
        a.extend_from_slice(&res_l);
        a.push(zdot);
        let hu = b.inline(&lin_l.tangent, &a)?[1];
        let mut a = x.clone();
        a.extend_from_slice(&res_m);
        a.push(hu);
        let gv = b.inline(&jt, &a)?;
        let ggn_graph = tr::dce(&b.finish(gv));
        let ggn_apply = data_function(ggn_graph)?;

        // Fisher apply: (x..., ∇_z L, res_m..., v...) -> Jᵀ [r ⊙ Σⱼ rⱼ (J v)ⱼ].
        let n_examples = z_shape.first().copied().unwrap_or(1).max(1);
        let mut b = GraphBuilder::new(both.dtype);
        let x = inputs_of(&mut b, both);
        let r = b.input(z_shape.clone()).into();
        let res_m: Vec<Atom> = lin_m.primal.outputs[1..]
            .iter()
            .map(|&a| b.input(lin_m.primal.shape_of(a)).into())
            .collect();
        let v: Vec<Atom> = both
            .inputs
            .iter()
            .zip(&wrt)
            .filter(|(_, &w)| w)
            .map(|(var, _)| b.input(both.vars[var.index()].clone()).into())
            .collect();
        let mut a = x.clone();
        a.extend_from_slice(&res_m);
        a.extend_from_slice(&v);
        let zdot = b.inline(&lin_m.tangent, &a)?[0];
        let rz = b.mul(r, zdot)?;
        let u = if z_shape.rank() == 0 {
            b.mul(rz, r)?
        } else {
            let rest: Vec<usize> = (1..z_shape.rank()).collect();
            let s = b.reduce_sum(rz, &rest)?;
            let sb = b.broadcast_in_dim(s, &z_shape, &[0])?;
            b.mul(r, sb)?
        };
        let mut a = x.clone();
        a.extend_from_slice(&res_m);
        a.push(u);
        let fv = b.inline(&jt, &a)?;
        let fisher_apply = data_function(tr::dce(&b.finish(fv)))?;

        Ok(ModelLoss {
            full,
            z_numel: z_shape.numel(),
            n_examples,
            n_model_res: lin_m.num_residuals,
            n_loss_res: lin_l.num_residuals,
            prepare,
            ggn_apply,
            fisher_apply,
        })
    }

    /// The composite function `f(θ) = L(m(θ))`.
    pub fn function(&self) -> &Function {
        &self.full
    }

    /// Number of examples along the model output's leading axis.
    pub fn num_examples(&self) -> usize {
        self.n_examples
    }
}

/// A function over all-data inputs, used as a compiled linear program.
fn data_function(g: Graph) -> Result<Function> {
    let specs: Vec<Spec> = g.input_shapes().iter().map(|s| Spec::data(s)).collect();
    Function::from_graph(g, &specs)
}

/// Which curvature a [`GgnOperator`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curvature {
    /// `Jᵀ ∇²L J`.
    GaussNewton,
    /// The empirical Fisher with the given loss reduction.
    EmpiricalFisher(Reduction),
}

/// The generalized Gauss-Newton matrix (or the empirical Fisher) of a
/// [`ModelLoss`] at a point, as a symmetric positive semi-definite linear
/// operator on the differentiable inputs.
pub struct GgnOperator<'m, T: Real> {
    ml: &'m ModelLoss,
    x: Vec<T>,
    curvature: Curvature,
    value: T,
    gradient: Vec<T>,
    /// z, model residuals, loss residuals, ∇_z L (in the prepare program's
    /// output order).
    state: Vec<Vec<T>>,
}

impl<'m, T: Real> GgnOperator<'m, T> {
    /// Prepares the Gauss-Newton operator at `x` (a flat point).
    pub fn new(ml: &'m ModelLoss, x: &[T]) -> Result<Self> {
        Self::with_curvature(ml, x, Curvature::GaussNewton)
    }

    /// Prepares the empirical Fisher operator at `x`.
    pub fn fisher(ml: &'m ModelLoss, x: &[T], reduction: Reduction) -> Result<Self> {
        Self::with_curvature(ml, x, Curvature::EmpiricalFisher(reduction))
    }

    /// Prepares the chosen curvature at `x`.
    pub fn with_curvature(ml: &'m ModelLoss, x: &[T], curvature: Curvature) -> Result<Self> {
        let p = &ml.prepare;
        let xs = p.split_point(x)?;
        let shapes = p.derived_graph(Program::Value)?.output_shapes();
        let n_wrt = ml.full.n_wrt();
        let mut value = [T::zero()];
        let mut gradient = vec![T::zero(); ml.full.num_params()];
        let mut state: Vec<Vec<T>> = shapes[1 + n_wrt..]
            .iter()
            .map(|s| vec![T::zero(); s.numel()])
            .collect();
        {
            let mut outs: Vec<&mut [T]> = vec![&mut value];
            outs.extend(ml.full.split_params_mut("gradient buffer", &mut gradient)?);
            outs.extend(state.iter_mut().map(|s| s.as_mut_slice()));
            p.compiled::<T>(Program::Value)?.run(&xs, &mut outs)?;
        }
        Ok(GgnOperator {
            ml,
            x: x.to_vec(),
            curvature,
            value: value[0],
            gradient,
            state,
        })
    }

    /// `f(x)`.
    pub fn value(&self) -> T {
        self.value
    }

    /// `∇f(x) = Jᵀ ∇L`.
    pub fn gradient(&self) -> &[T] {
        &self.gradient
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.gradient.len()
    }

    /// `out = G v` (or `F v`).
    pub fn apply_curvature(&self, v: &[T], out: &mut [T]) -> Result<()> {
        let ml = self.ml;
        let f = &ml.full;
        let mut ins = f.split_point(&self.x)?;
        let (z, rest) = self.state.split_first().expect("z is always prepared");
        let (res_m, rest) = rest.split_at(ml.n_model_res);
        let (res_l, rest) = rest.split_at(ml.n_loss_res);
        let gz = &rest[0];
        let program = match self.curvature {
            Curvature::GaussNewton => {
                ins.push(z);
                ins.extend(res_m.iter().map(|r| r.as_slice()));
                ins.extend(res_l.iter().map(|r| r.as_slice()));
                &ml.ggn_apply
            }
            Curvature::EmpiricalFisher(_) => {
                ins.push(gz);
                ins.extend(res_m.iter().map(|r| r.as_slice()));
                &ml.fisher_apply
            }
        };
        ins.extend(f.split_params("direction", v)?);
        {
            let mut outs = f.split_params_mut("output buffer", out)?;
            program
                .compiled::<T>(Program::Value)?
                .run(&ins, &mut outs)?;
        }
        if let Curvature::EmpiricalFisher(red) = self.curvature {
            // ∇ℓᵢ = N rᵢ for a mean, rᵢ for a sum; F = (1/N)Σ or Σ.
            let scale = match red {
                Reduction::Mean => ml.n_examples as f64,
                Reduction::Sum => 1.0,
            };
            let s = T::from_f64(scale);
            for o in out.iter_mut() {
                *o *= s;
            }
        }
        Ok(())
    }
}

impl<T: Real> LinOp<T> for GgnOperator<'_, T> {
    fn nrows(&self) -> usize {
        self.dim()
    }

    fn ncols(&self) -> usize {
        self.dim()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> std::result::Result<(), LinOpError> {
        check_dims(self.name(), self.dim(), self.dim(), x, y)?;
        self.apply_curvature(x, y).map_err(|e| LinOpError::Failed {
            op: self.name().to_string(),
            message: e.to_string(),
        })
    }

    fn is_symmetric(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        match self.curvature {
            Curvature::GaussNewton => "gauss-newton",
            Curvature::EmpiricalFisher(_) => "empirical fisher",
        }
    }
}
