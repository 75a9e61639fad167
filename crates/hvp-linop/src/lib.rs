//! Linear operators: the interface every Hessian-free algorithm consumes.
//!
//! A [`LinOp`] is anything that maps a vector `x` to `A x` into a caller
//! buffer: a dense or sparse matrix, a structured operator (diagonal,
//! block-diagonal, low-rank, Kronecker), a combination of others, or — in the
//! `hvp` facade — a Hessian prepared at a point. Solvers in `hvp-solvers`
//! see only this trait, so they are tested on matrices with known spectra and
//! used unchanged on Hessians.

mod error;
mod op;

pub use error::LinOpError;
pub use op::{check_block, check_dims, LinOp};
