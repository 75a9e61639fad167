//! Numeric kernels over contiguous row-major buffers.
//!
//! Kernels take plain slices plus the shapes and parameters they need and
//! write into caller-provided output slices, so the executor can hand them
//! buffers from its own pool and nothing allocates on the hot path. Large
//! kernels split their work over rayon threads along boundaries that depend
//! only on the sizes, so results are bit-identical for every thread count.
//!
//! Length mismatches between buffers and shapes are internal invariants
//! (shapes are validated when a graph is built) and panic; bad *values* that
//! come from user data, such as an out-of-range index, are returned as
//! errors.

mod gather;
mod layout;
pub mod math;
mod matmul;
mod reduce;

pub use gather::{scatter_add_along_axis, take_along_axis, IndexError};
pub use layout::{broadcast_in_dim, concat_into, pad, pad_shape, permute, slice};
pub use matmul::{matmul, matmul_acc, matmul_with, MatMulDims, MatMulOptions};
pub use reduce::{max, reduce_max, reduce_sum, sum, BLOCK as REDUCE_BLOCK};
