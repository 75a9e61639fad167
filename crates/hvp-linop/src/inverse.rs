//! The inverse `A⁻¹` as an operator, applied lazily by a solver the caller
//! supplies: each `apply(b, x)` solves `A x = b`.
//!
//! This is how influence functions (`H⁻¹ ∇ℓ`) and preconditioners enter the
//! operator world: `hvp-solvers` implements [`Solve`] with CG on a Hessian
//! operator, tests use the exact dense factorizations of
//! [`factor`](crate::factor), and any closure
//! `Fn(&[T], &mut [T]) -> Result<(), LinOpError>` is a solver too.
//!
//! ```
//! use hvp_linop::{Inverse, LinOp, LinOpError};
//! // diag(2, 4)⁻¹ by a closure
//! let solve = |b: &[f64], x: &mut [f64]| -> Result<(), LinOpError> {
//!     x[0] = b[0] / 2.0;
//!     x[1] = b[1] / 4.0;
//!     Ok(())
//! };
//! let inv = Inverse::new(2, solve, true);
//! let mut x = [0.0; 2];
//! inv.apply(&[1.0, 1.0], &mut x).unwrap();
//! assert_eq!(x, [0.5, 0.25]);
//! ```

use crate::{check_dims, LinOp, LinOpError};
use hvp_tensor::Float;

/// A solver for `A x = b` with a fixed `A`.
///
/// Implementations overwrite `x` (which may hold an initial guess they are
/// free to use or ignore) and return `Err` when they cannot solve — a
/// singular factorization, a wrong length, an iterative method that did not
/// reach its tolerance when the caller asked for that to be an error.
pub trait Solve<T> {
    /// Solves `A x = b`.
    fn solve(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError>;

    /// Solves `Aᵀ x = b`. The default is unsupported; [`Inverse`] calls it
    /// only for operators not declared symmetric.
    fn solve_transpose(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError> {
        let _ = (b, x);
        Err(LinOpError::Unsupported {
            op: "solver".into(),
            reason: "this solver has no transpose solve".into(),
        })
    }
}

impl<T, F> Solve<T> for F
where
    F: Fn(&[T], &mut [T]) -> Result<(), LinOpError>,
{
    fn solve(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError> {
        self(b, x)
    }
}

/// `A⁻¹` for an `n × n` operator `A`, applied by `solver`.
///
/// Nothing is factored or formed here: every product is one solve. The
/// `symmetric` flag is the caller's statement that `A` (hence `A⁻¹`) is
/// symmetric; it makes `apply_transpose` a plain solve. Otherwise
/// `apply_transpose` uses [`Solve::solve_transpose`].
#[derive(Clone, Debug)]
pub struct Inverse<S> {
    n: usize,
    solver: S,
    symmetric: bool,
}

impl<S> Inverse<S> {
    /// `A⁻¹` of size `n` solved by `solver`; `symmetric` declares `A = Aᵀ`.
    pub fn new(n: usize, solver: S, symmetric: bool) -> Self {
        Inverse {
            n,
            solver,
            symmetric,
        }
    }

    /// The solver.
    pub fn solver(&self) -> &S {
        &self.solver
    }

    /// The solver, consuming the operator.
    pub fn into_solver(self) -> S {
        self.solver
    }
}

impl<T: Float, S: Solve<T>> LinOp<T> for Inverse<S> {
    fn nrows(&self) -> usize {
        self.n
    }

    fn ncols(&self) -> usize {
        self.n
    }

    /// `y = A⁻¹ x`: one solve. `y` is zeroed first so that solvers that
    /// read `x` as an initial guess start from zero.
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("inverse", self.n, self.n, x, y)?;
        y.fill(T::zero());
        self.solver.solve(x, y)
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("inverse", self.n, self.n, x, y)?;
        y.fill(T::zero());
        if self.symmetric {
            self.solver.solve(x, y)
        } else {
            self.solver.solve_transpose(x, y)
        }
    }

    fn is_symmetric(&self) -> bool {
        self.symmetric
    }

    fn name(&self) -> &str {
        "inverse"
    }
}
