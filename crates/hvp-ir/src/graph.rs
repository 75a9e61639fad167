//! Variables, atoms, equations and graphs.

use crate::Prim;
use hvp_tensor::{DType, Shape};
use smallvec::SmallVec;
use std::hash::{Hash, Hasher};

/// A variable: an index into [`Graph::vars`], bound exactly once (as a graph
/// input or as the output of one equation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(pub u32);

impl Var {
    /// The index into the graph's variable table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A scalar literal. Equality and hashing are by bit pattern, so literals can
/// key the common-subexpression table.
#[derive(Clone, Copy, Debug)]
pub struct Lit(pub f64);

impl PartialEq for Lit {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Lit {}
impl Hash for Lit {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

/// An operand: a variable or a scalar literal. A literal has shape `[]` and
/// the graph's dtype; elementwise primitives broadcast it to the shape of
/// their other operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Atom {
    /// A variable.
    Var(Var),
    /// A scalar constant.
    Lit(Lit),
}

impl Atom {
    /// A literal atom.
    pub fn lit(v: f64) -> Atom {
        Atom::Lit(Lit(v))
    }

    /// The variable, if this atom is one.
    pub fn as_var(self) -> Option<Var> {
        match self {
            Atom::Var(v) => Some(v),
            Atom::Lit(_) => None,
        }
    }

    /// The literal value, if this atom is one.
    pub fn as_lit(self) -> Option<f64> {
        match self {
            Atom::Var(_) => None,
            Atom::Lit(l) => Some(l.0),
        }
    }
}

impl From<Var> for Atom {
    fn from(v: Var) -> Atom {
        Atom::Var(v)
    }
}

/// One equation: `out = prim(inputs...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Eqn {
    /// The primitive with its parameters.
    pub prim: Prim,
    /// The operands.
    pub inputs: SmallVec<[Atom; 3]>,
    /// The variable it binds.
    pub out: Var,
}

/// A program in SSA form. All values share one dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    /// The element type of every value in the graph.
    pub dtype: DType,
    /// The shape of every variable, indexed by [`Var::index`].
    pub vars: Vec<Shape>,
    /// The input variables, in call order.
    pub inputs: Vec<Var>,
    /// The equations in a valid execution order.
    pub eqns: Vec<Eqn>,
    /// The outputs, in return order.
    pub outputs: Vec<Atom>,
}

impl Graph {
    /// The shape of an atom (`[]` for literals).
    pub fn shape_of(&self, a: Atom) -> Shape {
        match a {
            Atom::Var(v) => self.vars[v.index()].clone(),
            Atom::Lit(_) => Shape::scalar(),
        }
    }

    /// The shapes of the inputs, in order.
    pub fn input_shapes(&self) -> Vec<Shape> {
        self.inputs
            .iter()
            .map(|v| self.vars[v.index()].clone())
            .collect()
    }

    /// The shapes of the outputs, in order.
    pub fn output_shapes(&self) -> Vec<Shape> {
        self.outputs.iter().map(|&a| self.shape_of(a)).collect()
    }

    /// The same program computing in another dtype. Primitives are
    /// dtype-generic, so this only relabels.
    pub fn with_dtype(mut self, dtype: DType) -> Graph {
        self.dtype = dtype;
        self
    }

    /// For each variable, the index of the equation that binds it (`None`
    /// for inputs and unbound variables).
    pub fn definitions(&self) -> Vec<Option<usize>> {
        let mut def = vec![None; self.vars.len()];
        for (i, e) in self.eqns.iter().enumerate() {
            def[e.out.index()] = Some(i);
        }
        def
    }
}
