//! Linear operators: the interface every Hessian-free algorithm consumes.
//!
//! A [`LinOp`] is anything that maps a vector `x` to `A x` into a caller
//! buffer: a dense or sparse matrix, a structured operator (diagonal,
//! block-diagonal, low-rank, Kronecker), a combination of others, or — in the
//! `hvp` facade — a Hessian prepared at a point. Solvers in `hvp-solvers`
//! see only this trait, so they are tested on matrices with known spectra and
//! used unchanged on Hessians.
//!
//! The crate is laid out by kind of operator:
//!
//! | module | operators |
//! | --- | --- |
//! | [`op`](LinOp) | the trait, length checks |
//! | [`dense`] | [`Dense`] (row-major, GEMM-backed) |
//! | [`diagonal`] | [`Diagonal`], [`Identity`] |
//! | [`block`] | [`BlockDiagonal`] |
//! | [`sparse`] | [`SparseCsr`] (an `sprs` CSR matrix) |
//! | [`low_rank`] | [`LowRank`]: `U diag(s) Vᵀ`, `U diag(s) Uᵀ` |
//! | [`kronecker`] | [`Kronecker`]: `A ⊗ B` applied without forming it |
//! | [`combinators`] | [`Sum`], [`Scaled`], [`Compose`], [`Shifted`], [`Transposed`], [`LinOpExt`] |
//! | [`inverse`] | [`Inverse`] (`A⁻¹` by a caller's [`Solve`]) |
//! | [`factor`] | [`DenseLu`], [`DenseCholesky`]: exact small solvers |
//!
//! **Conventions.** Matrices are row-major. A block of `k` vectors is
//! stored one vector after another (`k · n` entries, vector `v` at
//! `v·n .. (v+1)·n`). Every wrong length or mismatched shape is an
//! `Err(`[`LinOpError`]`)` naming the operator, never a panic. Entries and
//! vectors may hold non-finite values: operators are linear maps and apply
//! them as IEEE arithmetic dictates; checking values is the caller's
//! business (the dense factorizations, which cannot proceed, are the
//! exception and return `Err`). Products that need an intermediate vector
//! (sums, compositions, low-rank, Kronecker) allocate it per call.
//!
//! ```
//! use hvp_linop::{Dense, Diagonal, Kronecker, LinOp, LinOpExt, LowRank};
//! // A K-FAC-like block plus a damped diagonal-plus-low-rank term, applied
//! // lazily: nothing here forms a 6 × 6 matrix until `to_dense`.
//! let a = Dense::from_rows(&[[2.0, 1.0], [1.0, 2.0]]).unwrap();
//! let g = Diagonal::new(vec![1.0, 2.0, 3.0]);
//! let k = Kronecker::new(a, g).unwrap();
//! let lr = LowRank::symmetric(6, vec![1.0; 6], vec![0.5]).unwrap();
//! let op = k.plus(lr).unwrap().shifted(1e-3).unwrap();
//! assert!(op.is_symmetric());
//! let mut y = vec![0.0; 6];
//! op.apply(&[1.0; 6], &mut y).unwrap();
//! let d = op.to_dense().unwrap();
//! let dy: f64 = d[..6].iter().sum();
//! assert!((y[0] - dy).abs() < 1e-12);
//! ```

pub mod block;
pub mod combinators;
pub mod dense;
pub mod diagonal;
mod error;
pub mod factor;
pub mod inverse;
pub mod kronecker;
pub mod low_rank;
mod op;
pub mod sparse;
mod util;

pub use block::BlockDiagonal;
pub use combinators::{
    compose, scale, shift, sum, transpose, Compose, LinOpExt, Scaled, Shifted, Sum, Transposed,
};
pub use dense::Dense;
pub use diagonal::{Diagonal, Identity};
pub use error::LinOpError;
pub use factor::{dense_of, DenseCholesky, DenseLu};
pub use inverse::{Inverse, Solve};
pub use kronecker::Kronecker;
pub use low_rank::LowRank;
pub use op::{check_block, check_dims, LinOp};
pub use sparse::SparseCsr;

/// The sparse-matrix crate [`SparseCsr`] wraps, re-exported so callers
/// build and read [`sprs::CsMat`] values of the same version.
pub use sprs;
