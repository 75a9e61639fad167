//! What an optimizer minimizes: the [`Objective`] trait, the
//! [`Prepared`] triple (value, gradient, Hessian operator) at an iterate,
//! and [`FnObjective`], an objective built from closures and a dense
//! Hessian for tests and small problems.
//!
//! ```
//! use hvp_linop::LinOp;
//! use hvp_optim::{FnObjective, Objective};
//! // f(x) = x₀² + 3 x₁²
//! let obj = FnObjective::new(
//!     2,
//!     |x: &[f64]| x[0] * x[0] + 3.0 * x[1] * x[1],
//!     |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * x[0]; g[1] = 6.0 * x[1]; },
//!     |_: &[f64]| vec![2.0, 0.0, 0.0, 6.0],
//! );
//! let p = obj.prepare(&[1.0, 1.0]).unwrap();
//! assert_eq!(p.gradient, vec![2.0, 6.0]);
//! let mut hv = [0.0; 2];
//! p.hessian.apply(&[1.0, 0.0], &mut hv).unwrap();
//! assert_eq!(hv, [2.0, 0.0]);
//! assert_eq!(obj.calls().preparations, 1);
//! ```

use crate::OptimError;
use hvp_linop::{Dense, LinOp};
use hvp_tensor::Float;
use std::cell::Cell;
use std::fmt;

/// Value, gradient and Hessian operator of an objective at one point,
/// computed together (an AD implementation does one gradient pass and keeps
/// what the Hessian-vector products need).
pub struct Prepared<'a, T: Float> {
    /// `f(x)`.
    pub value: T,
    /// `∇f(x)`, of length [`Objective::dim`].
    pub gradient: Vec<T>,
    /// `v ↦ ∇²f(x) v`, square of size [`Objective::dim`], symmetric.
    pub hessian: Box<dyn LinOp<T> + 'a>,
}

impl<T: Float> fmt::Debug for Prepared<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("value", &self.value)
            .field("gradient", &self.gradient)
            .field("hessian", &self.hessian.name())
            .finish()
    }
}

/// A twice-differentiable function `f: ℝⁿ → ℝ` with a Hessian operator.
///
/// The optimizers call [`Objective::value`] where only `f` is needed (a
/// trust-region trial point may use [`Objective::prepare`] instead),
/// [`Objective::value_and_gradient`] at line-search trial points and
/// [`Objective::prepare`] once per accepted iterate. Lengths are checked by
/// the optimizers before the calls. A non-finite `f` at a trial point is a
/// legitimate answer (the step shrinks); `Err` is for what cannot be
/// computed at all, and ends the run.
pub trait Objective<T: Float> {
    /// The number of variables `n`.
    fn dim(&self) -> usize;

    /// `f(x)`.
    fn value(&self, x: &[T]) -> Result<T, OptimError>;

    /// `f(x)`, writing `∇f(x)` into `g` (length `n`).
    fn value_and_gradient(&self, x: &[T], g: &mut [T]) -> Result<T, OptimError>;

    /// `f(x)`, `∇f(x)` and the Hessian operator at `x`, together.
    fn prepare(&self, x: &[T]) -> Result<Prepared<'_, T>, OptimError>;
}

impl<T: Float, O: Objective<T> + ?Sized> Objective<T> for &O {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn value(&self, x: &[T]) -> Result<T, OptimError> {
        (**self).value(x)
    }
    fn value_and_gradient(&self, x: &[T], g: &mut [T]) -> Result<T, OptimError> {
        (**self).value_and_gradient(x, g)
    }
    fn prepare(&self, x: &[T]) -> Result<Prepared<'_, T>, OptimError> {
        (**self).prepare(x)
    }
}

/// How many times each method of a [`FnObjective`] was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallCounts {
    /// Calls of [`Objective::value`].
    pub values: usize,
    /// Calls of [`Objective::value_and_gradient`].
    pub values_and_gradients: usize,
    /// Calls of [`Objective::prepare`].
    pub preparations: usize,
    /// Products with any Hessian it handed out.
    pub hessian_products: usize,
}

/// An [`Objective`] from three closures: `f(x)`, `∇f(x)` into a buffer, and
/// the dense row-major `n × n` Hessian. It counts its calls (and the
/// products with the Hessians it hands out), so tests can check an
/// optimizer's statistics against what really happened.
pub struct FnObjective<F, G, H> {
    n: usize,
    f: F,
    g: G,
    h: H,
    counts: Cell<CallCounts>,
}

impl<F, G, H> fmt::Debug for FnObjective<F, G, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnObjective")
            .field("n", &self.n)
            .field("counts", &self.counts.get())
            .finish()
    }
}

impl<F, G, H> FnObjective<F, G, H> {
    /// An objective of `n` variables with value `f`, gradient `g` (writes
    /// into its second argument) and dense Hessian `h` (returns `n²`
    /// entries, row-major).
    pub fn new<T>(n: usize, f: F, g: G, h: H) -> Self
    where
        T: Float,
        F: Fn(&[T]) -> T,
        G: Fn(&[T], &mut [T]),
        H: Fn(&[T]) -> Vec<T>,
    {
        FnObjective {
            n,
            f,
            g,
            h,
            counts: Cell::new(CallCounts::default()),
        }
    }

    /// The calls made so far.
    pub fn calls(&self) -> CallCounts {
        self.counts.get()
    }

    /// Sets the call counts back to zero.
    pub fn reset_calls(&self) {
        self.counts.set(CallCounts::default());
    }

    fn bump(&self, f: impl FnOnce(&mut CallCounts)) {
        let mut c = self.counts.get();
        f(&mut c);
        self.counts.set(c);
    }
}

impl<T, F, G, H> Objective<T> for FnObjective<F, G, H>
where
    T: Float,
    F: Fn(&[T]) -> T,
    G: Fn(&[T], &mut [T]),
    H: Fn(&[T]) -> Vec<T>,
{
    fn dim(&self) -> usize {
        self.n
    }

    fn value(&self, x: &[T]) -> Result<T, OptimError> {
        self.bump(|c| c.values += 1);
        Ok((self.f)(x))
    }

    fn value_and_gradient(&self, x: &[T], g: &mut [T]) -> Result<T, OptimError> {
        self.bump(|c| c.values_and_gradients += 1);
        (self.g)(x, g);
        Ok((self.f)(x))
    }

    fn prepare(&self, x: &[T]) -> Result<Prepared<'_, T>, OptimError> {
        self.bump(|c| c.preparations += 1);
        let mut gradient = vec![T::zero(); self.n];
        (self.g)(x, &mut gradient);
        let dense = Dense::from_vec(self.n, self.n, (self.h)(x))
            .map_err(|e| OptimError::objective(format!("dense Hessian: {e}")))?;
        Ok(Prepared {
            value: (self.f)(x),
            gradient,
            hessian: Box::new(CountingDense {
                dense,
                counts: &self.counts,
            }),
        })
    }
}

/// The dense Hessian of a [`FnObjective`], counting its products.
struct CountingDense<'a, T: Float> {
    dense: Dense<T>,
    counts: &'a Cell<CallCounts>,
}

impl<T: Float> LinOp<T> for CountingDense<'_, T> {
    fn nrows(&self) -> usize {
        self.dense.nrows()
    }
    fn ncols(&self) -> usize {
        self.dense.ncols()
    }
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), hvp_linop::LinOpError> {
        let mut c = self.counts.get();
        c.hessian_products += 1;
        self.counts.set(c);
        self.dense.apply(x, y)
    }
    fn is_symmetric(&self) -> bool {
        true
    }
    fn name(&self) -> &str {
        "fn_objective_hessian"
    }
}
