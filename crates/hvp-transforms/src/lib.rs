//! Graph-to-graph transforms: the differentiation machinery of hvp.
//!
//! One JVP rule per primitive ([`jvp`]), one transpose rule per linear
//! primitive ([`transpose`]); everything else is composition:
//! `vjp = transpose ∘ linearize ∘ jvp`, [`grad`] is `vjp` seeded with 1, and
//! the HVP modes ([`hvp_graph`]) nest them. Transforms never evaluate: they
//! return new graphs (cleaned by [`dce`] and the builder's CSE and folding),
//! so any nesting works to any order.
//!
//! ```
//! use hvp_ir::{GraphBuilder, DType, Shape, Prim};
//! use hvp_transforms::{grad, hvp_graph, HvpMode};
//! // f(x) = sum(sin(x))
//! let mut b = GraphBuilder::new(DType::F64);
//! let x = b.input(Shape::from([4]));
//! let s = b.unary(Prim::Sin, x.into()).unwrap();
//! let f = b.sum_all(s).unwrap();
//! let f = b.finish(vec![f]);
//! let g = grad(&f, &[true]).unwrap();          // x -> cos(x)
//! assert_eq!(g.outputs.len(), 1);
//! let h = hvp_graph(&f, &[true], HvpMode::ForwardOverReverse).unwrap(); // (x, v) -> -sin(x) v
//! assert_eq!(h.inputs.len(), 2);
//! ```

mod batch;
mod dce;
mod error;
mod hvp;
mod jvp;
mod linearize;
mod transpose;
mod vjp;

pub use batch::batch;
pub use dce::{dce, rebuild};
pub use error::TransformError;
pub use hvp::{gradient_and_hvp_graph, hvp_graph, vhv_graph, HvpMode};
pub use jvp::{jvp, jvp_into};
pub use linearize::{linearize, linearize_with, Linearized, ResidualPolicy};
pub use transpose::transpose;
pub use vjp::{grad, value_and_grad, vjp};
