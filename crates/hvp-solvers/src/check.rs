//! Input validation shared by the solvers (not public).

use crate::SolverError;
use hvp_linop::{LinOp, LinOpError};
use hvp_tensor::Float;

/// The size `n` of a square operator, or a shape error.
pub(crate) fn square<T: Float, A: LinOp<T> + ?Sized>(
    solver: &'static str,
    what: &'static str,
    a: &A,
) -> Result<usize, SolverError> {
    let (nrows, ncols) = (a.nrows(), a.ncols());
    if nrows != ncols {
        return Err(SolverError::Shape {
            solver,
            what,
            expected: nrows.max(ncols),
            nrows,
            ncols,
        });
    }
    Ok(nrows)
}

/// A square operator of size `n`, or a shape error.
pub(crate) fn square_of_size<T: Float, A: LinOp<T> + ?Sized>(
    solver: &'static str,
    what: &'static str,
    a: &A,
    n: usize,
) -> Result<(), SolverError> {
    let (nrows, ncols) = (a.nrows(), a.ncols());
    if nrows != n || ncols != n {
        return Err(SolverError::Shape {
            solver,
            what,
            expected: n,
            nrows,
            ncols,
        });
    }
    Ok(())
}

/// `v` has `n` finite entries.
pub(crate) fn vector<T: Float>(
    solver: &'static str,
    what: &'static str,
    v: &[T],
    n: usize,
) -> Result<(), SolverError> {
    if v.len() != n {
        return Err(SolverError::Length {
            solver,
            what,
            expected: n,
            got: v.len(),
        });
    }
    if let Some((index, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(SolverError::NonFinite {
            solver,
            what,
            index,
            value: <T as Float>::to_f64(*x),
        });
    }
    Ok(())
}

/// A tolerance: finite and non-negative.
pub(crate) fn tolerance<T: Float>(
    solver: &'static str,
    param: &'static str,
    t: T,
) -> Result<(), SolverError> {
    if !(t.is_finite() && t >= T::zero()) {
        return Err(SolverError::InvalidParam {
            solver,
            param,
            reason: format!("must be finite and non-negative, got {t}"),
        });
    }
    Ok(())
}

/// A count that must be at least `min`.
pub(crate) fn at_least(
    solver: &'static str,
    param: &'static str,
    value: usize,
    min: usize,
) -> Result<(), SolverError> {
    if value < min {
        return Err(SolverError::InvalidParam {
            solver,
            param,
            reason: format!("must be at least {min}, got {value}"),
        });
    }
    Ok(())
}

/// Wraps an operator error with the solver's name.
pub(crate) fn op_err(solver: &'static str) -> impl Fn(LinOpError) -> SolverError {
    move |source| SolverError::Operator { solver, source }
}

/// `√ε` of `T`: the default relative tolerance.
pub(crate) fn sqrt_eps<T: Float>() -> T {
    T::epsilon().sqrt()
}

/// `x > 0` (false for NaN).
pub(crate) fn positive<T: Float>(x: T) -> bool {
    x > T::zero()
}
