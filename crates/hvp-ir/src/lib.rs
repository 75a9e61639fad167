//! The traced tensor IR of hvp.
//!
//! A program is a [`Graph`]: typed inputs, a list of equations in SSA form
//! (each applies one primitive [`Prim`] to [`Atom`]s and binds a fresh
//! [`Var`]), and outputs. Every transform in `hvp-transforms` maps graphs to
//! graphs and every executor in `hvp-exec` runs them. Graphs are built with a
//! [`GraphBuilder`], which infers shapes, folds trivial algebra and shares
//! common subexpressions as equations are added.
//!
//! ```
//! use hvp_ir::{GraphBuilder, Prim, Shape, DType, verify};
//! // f(x) = sum(x * x)
//! let mut b = GraphBuilder::new(DType::F64);
//! let x = b.input(Shape::from([3]));
//! let sq = b.add(Prim::Mul, &[x.into(), x.into()]).unwrap();
//! let s = b.add(Prim::ReduceSum { axes: vec![0] }, &[sq]).unwrap();
//! let g = b.finish(vec![s]);
//! verify(&g).unwrap();
//! assert_eq!(g.eqns.len(), 2);
//! println!("{g}");
//! ```

mod builder;
mod error;
mod graph;
mod ops;
mod prim;
mod shape_rules;
mod text;
mod verify;

pub use builder::GraphBuilder;
pub use error::IrError;
pub use graph::{Atom, Eqn, Graph, Lit, Var};
pub use hvp_tensor::{DType, Shape};
pub use prim::{sign, CmpOp, Prim, PrimKind};
pub use shape_rules::infer_shape;
pub use text::parse;
pub use verify::verify;
