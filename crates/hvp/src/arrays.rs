//! `ndarray` at the boundary: build flat points and directions from arrays
//! of any shape, and split flat results back into arrays.
//!
//! ```
//! use hvp::{trace, Spec};
//! use ndarray::{array, ArrayD};
//! let f = trace(|p| p[0].matmul(&p[1]).square().sum(), &[Spec::matrix(2, 2), Spec::vector(2)])?;
//! let w = array![[1.0, 2.0], [3.0, 4.0]].into_dyn();
//! let b = array![0.5, -1.0].into_dyn();
//! let x = f.point_from_arrays(&[w.view(), b.view()])?;
//! let grads: Vec<ArrayD<f64>> = f.params_to_arrays(&f.grad(&x)?)?;
//! assert_eq!(grads[0].shape(), &[2, 2]);
//! assert_eq!(grads[1].shape(), &[2]);
//! # Ok::<(), hvp::Error>(())
//! ```

use crate::{Error, Function, Real, Result};
use hvp_tensor::Array;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

impl Function {
    /// A flat point from one array per input (any memory layout), checking
    /// each shape against the input's spec.
    pub fn point_from_arrays<T: Real>(&self, inputs: &[ArrayViewD<'_, T>]) -> Result<Vec<T>> {
        let specs = self.specs();
        if inputs.len() != specs.len() {
            return Err(Error::Length {
                what: "input arrays",
                expected: specs.len(),
                got: inputs.len(),
            });
        }
        let mut x = Vec::with_capacity(self.point_len());
        for (i, (a, s)) in inputs.iter().zip(specs).enumerate() {
            if a.shape() != s.shape.dims() {
                return Err(Error::Invalid(format!(
                    "input {i} has shape {:?} but the function takes {}",
                    a.shape(),
                    s.shape
                )));
            }
            x.extend(a.iter().copied());
        }
        Ok(x)
    }

    /// A flat direction from one array per differentiable input.
    pub fn direction_from_arrays<T: Real>(&self, dirs: &[ArrayViewD<'_, T>]) -> Result<Vec<T>> {
        let params: Vec<_> = self.specs().iter().filter(|s| s.differentiable).collect();
        if dirs.len() != params.len() {
            return Err(Error::Length {
                what: "direction arrays",
                expected: params.len(),
                got: dirs.len(),
            });
        }
        let mut v = Vec::with_capacity(self.num_params());
        for (i, (a, s)) in dirs.iter().zip(params).enumerate() {
            if a.shape() != s.shape.dims() {
                return Err(Error::Invalid(format!(
                    "direction {i} has shape {:?} but its input is {}",
                    a.shape(),
                    s.shape
                )));
            }
            v.extend(a.iter().copied());
        }
        Ok(v)
    }

    /// Splits a flat gradient, direction or HVP into one array per
    /// differentiable input.
    pub fn params_to_arrays<T: Real>(&self, flat: &[T]) -> Result<Vec<ArrayD<T>>> {
        if flat.len() != self.num_params() {
            return Err(Error::Length {
                what: "parameter vector",
                expected: self.num_params(),
                got: flat.len(),
            });
        }
        let mut out = Vec::new();
        let mut o = 0;
        for s in self.specs().iter().filter(|s| s.differentiable) {
            let n = s.numel();
            let a = ArrayD::from_shape_vec(IxDyn(s.shape.dims()), flat[o..o + n].to_vec())
                .map_err(|e| Error::Invalid(e.to_string()))?;
            out.push(a);
            o += n;
        }
        Ok(out)
    }
}

/// Converts an [`Array`] (as returned by [`Function::call`] and
/// [`Function::hessian`]) into an `ndarray` array.
pub fn to_ndarray<T: Real>(a: Array<T>) -> ArrayD<T> {
    let shape = a.shape().dims().to_vec();
    ArrayD::from_shape_vec(IxDyn(&shape), a.into_vec())
        .expect("an Array's length matches its shape")
}
