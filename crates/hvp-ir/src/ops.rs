//! Typed shorthands over [`GraphBuilder::add`], used by the transforms'
//! derivative rules and by the tracing facade.

use crate::{Atom, CmpOp, GraphBuilder, IrError, Prim};
use hvp_tensor::Shape;

type R = Result<Atom, IrError>;

impl GraphBuilder {
    /// `prim(a)` for a unary primitive.
    pub fn unary(&mut self, prim: Prim, a: Atom) -> R {
        self.add(prim, &[a])
    }

    /// `prim(a, b)` for a binary primitive.
    pub fn binary(&mut self, prim: Prim, a: Atom, b: Atom) -> R {
        self.add(prim, &[a, b])
    }

    /// `-a`
    pub fn neg(&mut self, a: Atom) -> R {
        self.add(Prim::Neg, &[a])
    }

    /// `a + b`
    pub fn add2(&mut self, a: Atom, b: Atom) -> R {
        self.add(Prim::Add, &[a, b])
    }

    /// `a - b`
    pub fn sub(&mut self, a: Atom, b: Atom) -> R {
        self.add(Prim::Sub, &[a, b])
    }

    /// `a * b`
    pub fn mul(&mut self, a: Atom, b: Atom) -> R {
        self.add(Prim::Mul, &[a, b])
    }

    /// `a / b`
    pub fn div(&mut self, a: Atom, b: Atom) -> R {
        self.add(Prim::Div, &[a, b])
    }

    /// Comparison giving `1.0` / `0.0`.
    pub fn compare(&mut self, op: CmpOp, a: Atom, b: Atom) -> R {
        self.add(Prim::Compare(op), &[a, b])
    }

    /// `c != 0 ? a : b`
    pub fn select(&mut self, c: Atom, a: Atom, b: Atom) -> R {
        self.add(Prim::Select, &[c, a, b])
    }

    /// Sum over `axes` (any order; duplicates are an error).
    pub fn reduce_sum(&mut self, a: Atom, axes: &[usize]) -> R {
        let mut axes = axes.to_vec();
        axes.sort_unstable();
        self.add(Prim::ReduceSum { axes }, &[a])
    }

    /// Sum of every element, giving a scalar.
    pub fn sum_all(&mut self, a: Atom) -> R {
        let axes: Vec<usize> = (0..self.shape(a).rank()).collect();
        self.reduce_sum(a, &axes)
    }

    /// Broadcast with explicit axis placement.
    pub fn broadcast_in_dim(&mut self, a: Atom, shape: &[usize], dims: &[usize]) -> R {
        self.add(
            Prim::BroadcastInDim {
                shape: shape.to_vec(),
                dims: dims.to_vec(),
            },
            &[a],
        )
    }

    /// numpy-style broadcast of `a` to `shape` (trailing axes aligned).
    pub fn broadcast_to(&mut self, a: Atom, shape: &[usize]) -> R {
        let r = self.shape(a).rank();
        if r > shape.len() {
            return Err(IrError::Shape {
                prim: "broadcast_to".into(),
                shapes: vec![self.shape(a).clone(), Shape::from(shape)],
                reason: "cannot broadcast to a lower rank".into(),
            });
        }
        let dims: Vec<usize> = (shape.len() - r..shape.len()).collect();
        self.broadcast_in_dim(a, shape, &dims)
    }

    /// Sums `a` down to `shape`, undoing a numpy broadcast.
    pub fn sum_to_shape(&mut self, a: Atom, shape: &[usize]) -> R {
        let from = self.shape(a).clone();
        if from.dims() == shape {
            return Ok(a);
        }
        let lead = from
            .rank()
            .checked_sub(shape.len())
            .ok_or_else(|| IrError::Shape {
                prim: "sum_to_shape".into(),
                shapes: vec![from.clone(), Shape::from(shape)],
                reason: "target rank is larger".into(),
            })?;
        let mut axes: Vec<usize> = (0..lead).collect();
        for (i, &d) in shape.iter().enumerate() {
            if d == 1 && from[lead + i] != 1 {
                axes.push(lead + i);
            }
        }
        let s = self.reduce_sum(a, &axes)?;
        self.reshape(s, shape)
    }

    /// Same elements, new shape.
    pub fn reshape(&mut self, a: Atom, shape: &[usize]) -> R {
        self.add(
            Prim::Reshape {
                shape: shape.to_vec(),
            },
            &[a],
        )
    }

    /// Axis permutation.
    pub fn transpose(&mut self, a: Atom, perm: &[usize]) -> R {
        self.add(
            Prim::Transpose {
                perm: perm.to_vec(),
            },
            &[a],
        )
    }

    /// Strided slice.
    pub fn slice(&mut self, a: Atom, start: &[usize], limit: &[usize], stride: &[usize]) -> R {
        self.add(
            Prim::Slice {
                start: start.to_vec(),
                limit: limit.to_vec(),
                stride: stride.to_vec(),
            },
            &[a],
        )
    }

    /// Zero padding.
    pub fn pad(&mut self, a: Atom, low: &[usize], high: &[usize], interior: &[usize]) -> R {
        self.add(
            Prim::Pad {
                low: low.to_vec(),
                high: high.to_vec(),
                interior: interior.to_vec(),
            },
            &[a],
        )
    }

    /// Concatenation along `axis`.
    pub fn concat(&mut self, parts: &[Atom], axis: usize) -> R {
        self.add(Prim::Concat { axis }, parts)
    }

    /// Batched matrix product with transpose flags.
    pub fn matmul(&mut self, a: Atom, b: Atom, transpose_lhs: bool, transpose_rhs: bool) -> R {
        self.add(
            Prim::MatMul {
                transpose_lhs,
                transpose_rhs,
            },
            &[a, b],
        )
    }

    /// A tensor of `shape` filled with `value` (a literal when `shape` is `[]`).
    pub fn full(&mut self, shape: &[usize], value: f64) -> R {
        if shape.is_empty() {
            return Ok(Atom::lit(value));
        }
        self.broadcast_in_dim(Atom::lit(value), shape, &[])
    }

    /// Zeros of `shape`.
    pub fn zeros(&mut self, shape: &[usize]) -> R {
        self.full(shape, 0.0)
    }
}
