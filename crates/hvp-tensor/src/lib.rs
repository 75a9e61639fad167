//! Arrays, shapes and dtypes, and the numeric kernels of hvp.
//!
//! This is the only crate that does arithmetic on buffers. Everything above it
//! (the IR, the transforms, the executor) speaks in [`Shape`]s and [`DType`]s
//! and calls into the kernels here.
//!
//! ```
//! use hvp_tensor::{Array, Shape};
//! let a = Array::from_vec(Shape::from([2, 3]), vec![1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
//! assert_eq!(a.shape().numel(), 6);
//! assert_eq!(a.shape().strides(), vec![3, 1]);
//! ```

mod array;
mod dtype;
pub mod kernels;
mod shape;

pub use array::Array;
pub use dtype::{DType, Float};
pub use shape::{Shape, ShapeError};
