//! Building graphs: shape inference, simplification and CSE on the fly.

use crate::{infer_shape, Atom, Eqn, Graph, IrError, Prim, Var};
use hvp_tensor::{DType, Shape};
use smallvec::SmallVec;
use std::collections::HashMap;

/// Builds a [`Graph`] one equation at a time.
///
/// [`GraphBuilder::add`] infers the result shape (returning `Err` on a
/// mismatch, so a bad program never reaches a kernel), folds trivial algebra
/// (`x + 0`, `x * 1`, `-(-x)`, identity reshapes, literal arithmetic) and
/// returns the existing variable when the same primitive was already applied
/// to the same operands (common-subexpression elimination).
#[derive(Clone, Debug)]
pub struct GraphBuilder {
    dtype: DType,
    vars: Vec<Shape>,
    inputs: Vec<Var>,
    eqns: Vec<Eqn>,
    /// The equation binding each variable, for peephole rules.
    def: Vec<Option<usize>>,
    cse: HashMap<(Prim, SmallVec<[Atom; 3]>), Var>,
}

impl GraphBuilder {
    /// An empty builder for a graph computing in `dtype`.
    pub fn new(dtype: DType) -> Self {
        GraphBuilder {
            dtype,
            vars: Vec::new(),
            inputs: Vec::new(),
            eqns: Vec::new(),
            def: Vec::new(),
            cse: HashMap::new(),
        }
    }

    /// The dtype of the graph being built.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Declares the next input.
    pub fn input(&mut self, shape: Shape) -> Var {
        let v = self.fresh(shape);
        self.inputs.push(v);
        v
    }

    /// The shape of an atom.
    pub fn shape(&self, a: Atom) -> &Shape {
        static SCALAR: std::sync::OnceLock<Shape> = std::sync::OnceLock::new();
        match a {
            Atom::Var(v) => &self.vars[v.index()],
            Atom::Lit(_) => SCALAR.get_or_init(Shape::scalar),
        }
    }

    /// Number of equations so far.
    pub fn num_eqns(&self) -> usize {
        self.eqns.len()
    }

    /// The equation that binds `v`, if any.
    pub fn definition(&self, v: Var) -> Option<&Eqn> {
        self.def
            .get(v.index())
            .copied()
            .flatten()
            .map(|i| &self.eqns[i])
    }

    fn fresh(&mut self, shape: Shape) -> Var {
        let v = Var(self.vars.len() as u32);
        self.vars.push(shape);
        self.def.push(None);
        v
    }

    /// Applies `prim` to `inputs`, returning the atom holding the result.
    pub fn add(&mut self, prim: Prim, inputs: &[Atom]) -> Result<Atom, IrError> {
        let unsplatted;
        let inputs = if prim.is_elementwise() {
            if let Some(folded) = self.fold_splats(&prim, inputs)? {
                return Ok(folded);
            }
            unsplatted = self.unsplat(inputs);
            &unsplatted[..]
        } else {
            inputs
        };
        let shapes: Vec<Shape> = inputs.iter().map(|&a| self.shape(a).clone()).collect();
        let is_lit: Vec<bool> = inputs.iter().map(|a| matches!(a, Atom::Lit(_))).collect();
        let out_shape = infer_shape(&prim, &shapes, &is_lit)?;
        if let Some(a) = self.simplify(&prim, inputs, &out_shape) {
            return Ok(a);
        }
        let key = (prim, SmallVec::from_slice(inputs));
        if let Some(&v) = self.cse.get(&key) {
            return Ok(Atom::Var(v));
        }
        let out = self.fresh(out_shape);
        self.def[out.index()] = Some(self.eqns.len());
        self.eqns.push(Eqn {
            prim: key.0.clone(),
            inputs: key.1.clone(),
            out,
        });
        self.cse.insert(key, out);
        Ok(Atom::Var(out))
    }

    /// The literal `c` if `v` is a broadcast of the literal `c`.
    fn splat_value(&self, a: Atom) -> Option<Atom> {
        let e = self.definition(a.as_var()?)?;
        match (&e.prim, e.inputs[0]) {
            (Prim::BroadcastInDim { .. }, lit @ Atom::Lit(_)) => Some(lit),
            _ => None,
        }
    }

    /// Folds an elementwise primitive whose operands are all literals or
    /// broadcasts of literals (at least one a broadcast) into one broadcast
    /// literal.
    fn fold_splats(&mut self, prim: &Prim, inputs: &[Atom]) -> Result<Option<Atom>, IrError> {
        let mut shape: Option<Shape> = None;
        let mut vals = Vec::with_capacity(inputs.len());
        for &a in inputs {
            match a {
                Atom::Lit(l) => vals.push(l.0),
                Atom::Var(_) => match self.splat_value(a) {
                    Some(Atom::Lit(l)) => {
                        let s = self.shape(a).clone();
                        if shape.as_ref().is_some_and(|t| *t != s) {
                            return Ok(None);
                        }
                        shape = Some(s);
                        vals.push(l.0);
                    }
                    _ => return Ok(None),
                },
            }
        }
        let (Some(shape), Some(v)) = (shape, prim.eval_scalar(&vals)) else {
            return Ok(None);
        };
        let dims = shape.to_vec();
        self.add(
            Prim::BroadcastInDim {
                shape: dims,
                dims: vec![],
            },
            &[Atom::lit(v)],
        )
        .map(Some)
    }

    /// Replaces operands of an elementwise primitive that are broadcasts of
    /// a literal by the literal itself, as long as another operand still
    /// carries the full shape. This lets `x * broadcast(1)` (what the
    /// transpose of a sum seeds) fold to `x`, and keeps constants out of
    /// memory.
    fn unsplat(&self, inputs: &[Atom]) -> SmallVec<[Atom; 3]> {
        let splats: SmallVec<[Option<Atom>; 3]> =
            inputs.iter().map(|&a| self.splat_value(a)).collect();
        let mut out: SmallVec<[Atom; 3]> = SmallVec::from_slice(inputs);
        for i in 0..inputs.len() {
            let Some(lit) = splats[i] else { continue };
            let carried = (0..inputs.len()).any(|j| {
                j != i
                    && splats[j].is_none()
                    && matches!(inputs[j], Atom::Var(_))
                    && self.shape(inputs[j]) == self.shape(inputs[i])
            });
            if carried {
                out[i] = lit;
            }
        }
        out
    }

    /// Peephole rules that return an existing atom instead of a new equation.
    // Exact comparison with the literals 0 and 1 is the rule: `x * 1.0000001`
    // must not fold.
    #[allow(clippy::float_cmp)]
    fn simplify(&self, prim: &Prim, x: &[Atom], out_shape: &Shape) -> Option<Atom> {
        let lit = |i: usize| x.get(i).and_then(|a| a.as_lit());
        let same_shape = |a: Atom| self.shape(a) == out_shape;
        // Literal arithmetic folds to a literal.
        if prim.is_elementwise() && x.iter().all(|a| a.as_lit().is_some()) {
            let vals: Vec<f64> = x.iter().filter_map(|a| a.as_lit()).collect();
            return prim.eval_scalar(&vals).map(Atom::lit);
        }
        match prim {
            Prim::Add => match (lit(0), lit(1)) {
                (Some(z), _) if z == 0.0 && same_shape(x[1]) => Some(x[1]),
                (_, Some(z)) if z == 0.0 && same_shape(x[0]) => Some(x[0]),
                _ => None,
            },
            Prim::Sub => match lit(1) {
                Some(z) if z == 0.0 && same_shape(x[0]) => Some(x[0]),
                _ => None,
            },
            Prim::Mul => match (lit(0), lit(1)) {
                (Some(o), _) if o == 1.0 && same_shape(x[1]) => Some(x[1]),
                (_, Some(o)) if o == 1.0 && same_shape(x[0]) => Some(x[0]),
                _ => None,
            },
            Prim::Div => match lit(1) {
                Some(o) if o == 1.0 && same_shape(x[0]) => Some(x[0]),
                _ => None,
            },
            Prim::Neg => {
                let v = x[0].as_var()?;
                let e = self.definition(v)?;
                (e.prim == Prim::Neg).then(|| e.inputs[0])
            }
            Prim::IntPow(1) => Some(x[0]),
            Prim::Reshape { .. } | Prim::BroadcastInDim { .. } | Prim::Transpose { .. }
                if same_shape(x[0]) && is_identity_layout(prim) =>
            {
                Some(x[0])
            }
            Prim::ReduceSum { axes } | Prim::ReduceMax { axes } if axes.is_empty() => Some(x[0]),
            Prim::Slice { start, stride, .. }
                if same_shape(x[0])
                    && start.iter().all(|&s| s == 0)
                    && stride.iter().all(|&s| s == 1) =>
            {
                Some(x[0])
            }
            Prim::Pad {
                low,
                high,
                interior,
            } if low.iter().chain(high).chain(interior).all(|&p| p == 0) => Some(x[0]),
            Prim::Concat { .. } if x.len() == 1 => Some(x[0]),
            _ => None,
        }
    }

    /// Builds the graph with the given outputs.
    pub fn finish(self, outputs: Vec<Atom>) -> Graph {
        Graph {
            dtype: self.dtype,
            vars: self.vars,
            inputs: self.inputs,
            eqns: self.eqns,
            outputs,
        }
    }

    /// Copies the equations of `graph` into this builder with its inputs
    /// bound to `args`, returning the atoms of its outputs. Simplification
    /// and CSE apply to the copied equations too.
    pub fn inline(&mut self, graph: &Graph, args: &[Atom]) -> Result<Vec<Atom>, IrError> {
        if args.len() != graph.inputs.len() {
            return Err(IrError::Verify {
                index: 0,
                reason: format!(
                    "inlining a graph of {} inputs with {} arguments",
                    graph.inputs.len(),
                    args.len()
                ),
                window: String::new(),
            });
        }
        let mut env: Vec<Option<Atom>> = vec![None; graph.vars.len()];
        for (&v, &a) in graph.inputs.iter().zip(args) {
            env[v.index()] = Some(a);
        }
        let read = |env: &[Option<Atom>], a: Atom| -> Atom {
            match a {
                Atom::Var(v) => env[v.index()].expect("verified graph binds before use"),
                lit => lit,
            }
        };
        for e in &graph.eqns {
            let ins: SmallVec<[Atom; 3]> = e.inputs.iter().map(|&a| read(&env, a)).collect();
            let out = self.add(e.prim.clone(), &ins)?;
            env[e.out.index()] = Some(out);
        }
        Ok(graph.outputs.iter().map(|&a| read(&env, a)).collect())
    }
}

/// Whether a layout primitive whose output shape equals its input shape is
/// the identity (a transpose may permute equal-sized axes).
fn is_identity_layout(prim: &Prim) -> bool {
    match prim {
        Prim::Transpose { perm } => perm.iter().enumerate().all(|(i, &p)| i == p),
        Prim::BroadcastInDim { dims, shape } => dims.len() == shape.len(),
        Prim::Reshape { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_literals_fold_into_their_consumers() {
        let mut b = GraphBuilder::new(DType::F64);
        let x = b.input(Shape::from([3]));
        let one = b.full(&[3], 1.0).unwrap();
        let two = b.full(&[3], 2.0).unwrap();
        // x * broadcast(1) is x itself.
        assert_eq!(b.mul(x.into(), one).unwrap(), Atom::Var(x));
        // broadcast(2) * 3 is broadcast(6), not a multiplication.
        let six = b.mul(two, Atom::lit(3.0)).unwrap();
        let e = b.definition(six.as_var().unwrap()).unwrap();
        assert_eq!(e.inputs[0], Atom::lit(6.0));
        // A broadcast literal whose shape no other operand carries stays.
        let s = b.add2(two, Atom::lit(1.0)).unwrap();
        assert_eq!(b.shape(s), &Shape::from([3]));
    }

    #[test]
    fn cse_returns_the_existing_equation() {
        let mut b = GraphBuilder::new(DType::F64);
        let x = b.input(Shape::from([2]));
        let a = b.unary(Prim::Sin, x.into()).unwrap();
        let c = b.unary(Prim::Sin, x.into()).unwrap();
        assert_eq!(a, c);
        assert_eq!(b.num_eqns(), 1);
    }
}
