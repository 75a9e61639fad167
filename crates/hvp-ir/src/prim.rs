//! The closed set of primitives.
//!
//! Few primitives, many compositions: `sigmoid`, `softplus`, `logsumexp`,
//! `softmax`, `mean`, `prod`, `dot` and friends are builder functions over
//! these. Every `match` on [`Prim`] in the workspace is exhaustive, so adding
//! a variant fails to compile wherever a rule (shape, kernel, JVP, transpose)
//! is owed.
//!
//! Conventions shared by all primitives:
//! - Elementwise primitives take operands of equal shape; a literal operand
//!   is a scalar broadcast to the others (all-literal operands give `[]`).
//!   Shape broadcasting between variables is explicit ([`Prim::BroadcastInDim`]).
//! - Boolean results (comparisons) are `1.0` / `0.0` in the graph's dtype,
//!   and [`Prim::Select`] treats any non-zero condition as true.
//! - Index operands (of [`Prim::TakeAlongAxis`]) are floats holding exact
//!   non-negative integers.

/// A comparison operator; the result is `1.0` where it holds, else `0.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
}

impl CmpOp {
    /// Applies the comparison.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            #[allow(clippy::float_cmp)] // exact equality is this primitive's meaning
            CmpOp::Eq => a == b,
            #[allow(clippy::float_cmp)]
            CmpOp::Ne => a != b,
        }
    }

    /// The text name.
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
        }
    }

    /// All operators, for parsing and tests.
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Eq,
        CmpOp::Ne,
    ];
}

/// A primitive operation with its static parameters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Prim {
    // ---- unary elementwise ----
    /// `-x`
    Neg,
    /// `e^x`
    Exp,
    /// natural logarithm
    Log,
    /// `ln(1 + x)`, accurate near 0
    Log1p,
    /// `e^x - 1`, accurate near 0
    Expm1,
    /// square root
    Sqrt,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// tangent
    Tan,
    /// arctangent
    Atan,
    /// hyperbolic tangent (saturates to ±1, never NaN, at large |x|)
    Tanh,
    /// absolute value
    Abs,
    /// `-1`, `0` or `1` (and NaN for NaN)
    Sign,
    /// `x^n` for an integer `n` (negative allowed)
    IntPow(i32),
    /// identity whose derivative is zero
    StopGradient,

    // ---- binary elementwise ----
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a^b` for real `b` (NaN for negative `a` and non-integer `b`)
    Pow,
    /// elementwise maximum; NaN where either operand is NaN (as numpy's
    /// `maximum` and JAX's `lax.max`), the first operand of equals
    Max,
    /// elementwise minimum; NaN where either operand is NaN, the first
    /// operand of equals
    Min,
    /// comparison, `1.0` where it holds else `0.0`
    Compare(CmpOp),

    // ---- ternary elementwise ----
    /// `select(c, a, b)`: `a` where `c != 0`, else `b`
    Select,

    // ---- reductions (the reduced axes are removed) ----
    /// sum over `axes` (sorted, distinct)
    ReduceSum {
        /// Axes to reduce, ascending.
        axes: Vec<usize>,
    },
    /// maximum over `axes` (sorted, distinct; each must be non-empty); NaN
    /// where a reduced element is NaN
    ReduceMax {
        /// Axes to reduce, ascending.
        axes: Vec<usize>,
    },

    // ---- structure ----
    /// same elements in row-major order, new shape (equal element count)
    Reshape {
        /// The new shape.
        shape: Vec<usize>,
    },
    /// axis permutation: output axis `i` is input axis `perm[i]`
    Transpose {
        /// The permutation.
        perm: Vec<usize>,
    },
    /// Places operand axis `j` at output axis `dims[j]` (strictly
    /// increasing) and repeats along the other output axes; an operand axis
    /// of size 1 may stretch to any size.
    BroadcastInDim {
        /// The output shape.
        shape: Vec<usize>,
        /// Output axis of each operand axis.
        dims: Vec<usize>,
    },
    /// `x[start:limit:stride]` on every axis (`stride >= 1`)
    Slice {
        /// First index per axis.
        start: Vec<usize>,
        /// One past the last index per axis.
        limit: Vec<usize>,
        /// Step per axis.
        stride: Vec<usize>,
    },
    /// Zero padding: `low` zeros before, `high` after and `interior` between
    /// consecutive elements, per axis.
    Pad {
        /// Zeros before, per axis.
        low: Vec<usize>,
        /// Zeros after, per axis.
        high: Vec<usize>,
        /// Zeros between elements, per axis.
        interior: Vec<usize>,
    },
    /// concatenation of one or more operands along `axis`
    Concat {
        /// The axis.
        axis: usize,
    },
    /// `take_along_axis(x, idx, axis)`: operands `(x, idx)` of equal rank and
    /// equal shape off `axis`; the result has `idx`'s shape and
    /// `out[.., j, ..] = x[.., idx[.., j, ..], ..]`.
    TakeAlongAxis {
        /// The indexed axis.
        axis: usize,
    },
    /// The transpose of [`Prim::TakeAlongAxis`]: operands `(u, idx)` of equal
    /// shape; the result has `u`'s shape with `axis` resized to `size`, zeros
    /// plus `out[.., idx[.., j, ..], ..] += u[.., j, ..]`.
    ScatterAddAlongAxis {
        /// The scattered axis.
        axis: usize,
        /// Its size in the result.
        size: usize,
    },
    /// Batched matrix product `op(a) · op(b)` over the last two axes with
    /// equal leading (batch) axes; `op` transposes the last two axes of an
    /// operand whose flag is set.
    MatMul {
        /// Use `a` transposed.
        transpose_lhs: bool,
        /// Use `b` transposed.
        transpose_rhs: bool,
    },
}

/// How a primitive treats its operands, for passes that group them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrimKind {
    /// Output element `i` depends only on input elements `i`.
    Elementwise,
    /// A reduction over some axes.
    Reduction,
    /// Moves or copies elements (reshape, transpose, slice, ...).
    Structural,
    /// Matrix multiplication.
    Contraction,
}

impl Prim {
    /// The primitive's name in the text form.
    pub fn name(&self) -> &'static str {
        match self {
            Prim::Neg => "neg",
            Prim::Exp => "exp",
            Prim::Log => "log",
            Prim::Log1p => "log1p",
            Prim::Expm1 => "expm1",
            Prim::Sqrt => "sqrt",
            Prim::Sin => "sin",
            Prim::Cos => "cos",
            Prim::Tan => "tan",
            Prim::Atan => "atan",
            Prim::Tanh => "tanh",
            Prim::Abs => "abs",
            Prim::Sign => "sign",
            Prim::IntPow(_) => "integer_pow",
            Prim::StopGradient => "stop_gradient",
            Prim::Add => "add",
            Prim::Sub => "sub",
            Prim::Mul => "mul",
            Prim::Div => "div",
            Prim::Pow => "pow",
            Prim::Max => "max",
            Prim::Min => "min",
            Prim::Compare(op) => op.name(),
            Prim::Select => "select",
            Prim::ReduceSum { .. } => "reduce_sum",
            Prim::ReduceMax { .. } => "reduce_max",
            Prim::Reshape { .. } => "reshape",
            Prim::Transpose { .. } => "transpose",
            Prim::BroadcastInDim { .. } => "broadcast_in_dim",
            Prim::Slice { .. } => "slice",
            Prim::Pad { .. } => "pad",
            Prim::Concat { .. } => "concat",
            Prim::TakeAlongAxis { .. } => "take_along_axis",
            Prim::ScatterAddAlongAxis { .. } => "scatter_add_along_axis",
            Prim::MatMul { .. } => "matmul",
        }
    }

    /// The primitive's kind.
    pub fn kind(&self) -> PrimKind {
        match self {
            Prim::Neg
            | Prim::Exp
            | Prim::Log
            | Prim::Log1p
            | Prim::Expm1
            | Prim::Sqrt
            | Prim::Sin
            | Prim::Cos
            | Prim::Tan
            | Prim::Atan
            | Prim::Tanh
            | Prim::Abs
            | Prim::Sign
            | Prim::IntPow(_)
            | Prim::StopGradient
            | Prim::Add
            | Prim::Sub
            | Prim::Mul
            | Prim::Div
            | Prim::Pow
            | Prim::Max
            | Prim::Min
            | Prim::Compare(_)
            | Prim::Select => PrimKind::Elementwise,
            Prim::ReduceSum { .. } | Prim::ReduceMax { .. } => PrimKind::Reduction,
            Prim::Reshape { .. }
            | Prim::Transpose { .. }
            | Prim::BroadcastInDim { .. }
            | Prim::Slice { .. }
            | Prim::Pad { .. }
            | Prim::Concat { .. }
            | Prim::TakeAlongAxis { .. }
            | Prim::ScatterAddAlongAxis { .. } => PrimKind::Structural,
            Prim::MatMul { .. } => PrimKind::Contraction,
        }
    }

    /// Whether output element `i` depends only on input elements `i`.
    pub fn is_elementwise(&self) -> bool {
        self.kind() == PrimKind::Elementwise
    }

    /// Evaluates an elementwise primitive on scalars (`None` for the
    /// others or a wrong operand count). Used for constant folding and as
    /// the scalar semantics the kernels are tested against.
    pub fn eval_scalar(&self, x: &[f64]) -> Option<f64> {
        let un = |f: fn(f64) -> f64| (x.len() == 1).then(|| f(x[0]));
        let bin = |f: fn(f64, f64) -> f64| (x.len() == 2).then(|| f(x[0], x[1]));
        match self {
            Prim::Neg => un(|a| -a),
            Prim::Exp => un(f64::exp),
            Prim::Log => un(f64::ln),
            Prim::Log1p => un(f64::ln_1p),
            Prim::Expm1 => un(f64::exp_m1),
            Prim::Sqrt => un(f64::sqrt),
            Prim::Sin => un(f64::sin),
            Prim::Cos => un(f64::cos),
            Prim::Tan => un(f64::tan),
            Prim::Atan => un(f64::atan),
            Prim::Tanh => un(f64::tanh),
            Prim::Abs => un(f64::abs),
            Prim::Sign => un(sign),
            Prim::IntPow(n) => (x.len() == 1).then(|| x[0].powi(*n)),
            Prim::StopGradient => un(|a| a),
            Prim::Add => bin(|a, b| a + b),
            Prim::Sub => bin(|a, b| a - b),
            Prim::Mul => bin(|a, b| a * b),
            Prim::Div => bin(|a, b| a / b),
            Prim::Pow => bin(f64::powf),
            // NaN propagates and ties keep the first operand, as the kernels do.
            Prim::Max => bin(|a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else if b > a {
                    b
                } else {
                    a
                }
            }),
            Prim::Min => bin(|a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else if b < a {
                    b
                } else {
                    a
                }
            }),
            Prim::Compare(op) => (x.len() == 2).then(|| f64::from(u8::from(op.holds(x[0], x[1])))),
            Prim::Select => (x.len() == 3).then(|| if x[0] != 0.0 { x[1] } else { x[2] }),
            Prim::ReduceSum { .. }
            | Prim::ReduceMax { .. }
            | Prim::Reshape { .. }
            | Prim::Transpose { .. }
            | Prim::BroadcastInDim { .. }
            | Prim::Slice { .. }
            | Prim::Pad { .. }
            | Prim::Concat { .. }
            | Prim::TakeAlongAxis { .. }
            | Prim::ScatterAddAlongAxis { .. }
            | Prim::MatMul { .. } => None,
        }
    }
}

/// `sign` with `sign(0) = 0` and NaN kept.
pub fn sign(a: f64) -> f64 {
    if a > 0.0 {
        1.0
    } else if a < 0.0 {
        -1.0
    } else {
        a // 0, -0 or NaN
    }
}

#[cfg(test)]
mod nan_tests {
    use super::Prim;

    #[test]
    fn constant_folding_of_max_and_min_propagates_nan() {
        assert!(Prim::Max.eval_scalar(&[f64::NAN, 1.0]).unwrap().is_nan());
        assert!(Prim::Min.eval_scalar(&[1.0, f64::NAN]).unwrap().is_nan());
        assert_eq!(Prim::Max.eval_scalar(&[1.0, 2.0]), Some(2.0));
        assert_eq!(Prim::Min.eval_scalar(&[1.0, 2.0]), Some(1.0));
    }
}
