//! An owned, row-major, contiguous array.

use crate::{Float, Shape};

/// An owned row-major array of floats: the values that go in and out of
/// compiled programs.
#[derive(Clone, Debug, PartialEq)]
pub struct Array<T> {
    shape: Shape,
    data: Vec<T>,
}

impl<T: Float> Array<T> {
    /// Wraps `data` with `shape`; `None` when the lengths disagree.
    pub fn from_vec(shape: Shape, data: Vec<T>) -> Option<Self> {
        (shape.numel() == data.len()).then_some(Array { shape, data })
    }

    /// An array of zeros.
    pub fn zeros(shape: Shape) -> Self {
        let n = shape.numel();
        Array {
            shape,
            data: vec![T::zero(); n],
        }
    }

    /// A scalar array.
    pub fn scalar(v: T) -> Self {
        Array {
            shape: Shape::scalar(),
            data: vec![v],
        }
    }

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, mutably.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Takes the elements out.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }
}
