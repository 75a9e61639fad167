//! Numeric kernels over contiguous row-major buffers.
//!
//! Kernels take plain slices plus the shapes and parameters they need, so the
//! executor can hand them buffers from its own pool.

mod matmul;

pub use matmul::{matmul, MatMulDims};
