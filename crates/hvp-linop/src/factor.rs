//! Exact dense factorizations (LU with partial pivoting, Cholesky) that
//! implement [`Solve`]: `O(n³)` helpers for small matrices, so that
//! [`Inverse`] and everything built on it can be tested against exact
//! answers. They are written plainly; large systems go to iterative solvers.
//!
//! A matrix is rejected as singular (or, for Cholesky, not positive
//! definite) when a pivot is not larger in magnitude than
//! `n · ε · max|a_ij|` (`ε` the machine epsilon of `T`), or is not finite:
//! at that size the factorization carries no information at working
//! precision.
//!
//! ```
//! use hvp_linop::{Dense, DenseLu, LinOp};
//! let a = Dense::from_rows(&[[0.0, 2.0], [1.0, 1.0]]).unwrap();
//! let inv = DenseLu::new(&a).unwrap().into_inverse();
//! let mut x = [0.0f64; 2];
//! inv.apply(&[2.0, 3.0], &mut x).unwrap(); // A x = b
//! assert!((x[0] - 2.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
//! assert!(DenseLu::new(&Dense::from_rows(&[[1.0, 2.0], [2.0, 4.0]]).unwrap()).is_err());
//! ```

use crate::util::{length_err, shape_err};
use crate::{Dense, Inverse, LinOp, LinOpError, Solve};
use hvp_tensor::Float;

/// The pivot threshold `n · ε · max|a_ij|` (see the [module docs](self)).
fn pivot_tolerance<T: Float>(n: usize, a: &[T]) -> T {
    let max = a.iter().fold(T::zero(), |m, &v| m.max(v.abs()));
    T::from_f64(n as f64) * T::epsilon() * max
}

fn check_square<T: Float>(op: &str, a: &Dense<T>) -> Result<usize, LinOpError> {
    let (m, n) = a.shape();
    if m != n {
        return Err(shape_err(op, format!("needs a square matrix, got {m}×{n}")));
    }
    Ok(n)
}

fn check_solve_lengths<T>(op: &str, n: usize, b: &[T], x: &[T]) -> Result<(), LinOpError> {
    if b.len() != n {
        return Err(length_err(op, "right-hand side", n, b.len()));
    }
    if x.len() != n {
        return Err(length_err(op, "solution", n, x.len()));
    }
    Ok(())
}

/// `P A = L U` with partial (row) pivoting, for any nonsingular square `A`.
#[derive(Clone, Debug)]
pub struct DenseLu<T> {
    n: usize,
    /// `L` (unit diagonal, below) and `U` (on and above), row-major.
    lu: Vec<T>,
    /// At step `k`, rows `k` and `pivots[k]` were swapped.
    pivots: Vec<usize>,
    symmetric: bool,
}

impl<T: Float> DenseLu<T> {
    /// Factors `a`; `Err` if it is not square or is singular to working
    /// precision.
    pub fn new(a: &Dense<T>) -> Result<Self, LinOpError> {
        const OP: &str = "dense_lu";
        let n = check_square(OP, a)?;
        let mut lu = a.as_slice().to_vec();
        let tol = pivot_tolerance(n, &lu);
        let mut pivots = Vec::with_capacity(n);
        for k in 0..n {
            let p = (k..n)
                .max_by(|&i, &j| {
                    lu[i * n + k]
                        .abs()
                        .partial_cmp(&lu[j * n + k].abs())
                        .unwrap_or(std::cmp::Ordering::Less)
                })
                .unwrap_or(k);
            let pivot = lu[p * n + k];
            if !pivot.is_finite() || pivot.abs() <= tol {
                return Err(LinOpError::Failed {
                    op: OP.into(),
                    message: format!(
                        "matrix is singular to working precision (pivot {pivot} in column {k})"
                    ),
                });
            }
            if p != k {
                for j in 0..n {
                    lu.swap(k * n + j, p * n + j);
                }
            }
            pivots.push(p);
            for i in k + 1..n {
                let l = lu[i * n + k] / pivot;
                lu[i * n + k] = l;
                for j in k + 1..n {
                    let ukj = lu[k * n + j];
                    lu[i * n + j] -= l * ukj;
                }
            }
        }
        Ok(DenseLu {
            n,
            lu,
            pivots,
            symmetric: a.is_symmetric(),
        })
    }

    /// `A⁻¹` as an operator (symmetric when `A` was).
    pub fn into_inverse(self) -> Inverse<Self> {
        let (n, symmetric) = (self.n, self.symmetric);
        Inverse::new(n, self, symmetric)
    }

    /// The size `n`.
    pub fn size(&self) -> usize {
        self.n
    }
}

impl<T: Float> Solve<T> for DenseLu<T> {
    fn solve(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError> {
        let n = self.n;
        check_solve_lengths("dense_lu", n, b, x)?;
        x.copy_from_slice(b);
        for (k, &p) in self.pivots.iter().enumerate() {
            x.swap(k, p);
        }
        // L z = P b (unit lower), then U x = z.
        for i in 0..n {
            let s: T = (0..i).map(|j| self.lu[i * n + j] * x[j]).sum();
            x[i] -= s;
        }
        for i in (0..n).rev() {
            let s: T = (i + 1..n).map(|j| self.lu[i * n + j] * x[j]).sum();
            x[i] = (x[i] - s) / self.lu[i * n + i];
        }
        Ok(())
    }

    /// `Aᵀ = Uᵀ Lᵀ P`: solve `Uᵀ z = b`, `Lᵀ w = z`, then undo the row swaps
    /// in reverse order.
    fn solve_transpose(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError> {
        let n = self.n;
        check_solve_lengths("dense_lu", n, b, x)?;
        x.copy_from_slice(b);
        for i in 0..n {
            let s: T = (0..i).map(|j| self.lu[j * n + i] * x[j]).sum();
            x[i] = (x[i] - s) / self.lu[i * n + i];
        }
        for i in (0..n).rev() {
            let s: T = (i + 1..n).map(|j| self.lu[j * n + i] * x[j]).sum();
            x[i] -= s;
        }
        for (k, &p) in self.pivots.iter().enumerate().rev() {
            x.swap(k, p);
        }
        Ok(())
    }
}

/// `A = L Lᵀ` for a symmetric positive definite `A`. Only the lower
/// triangle of `A` is read.
#[derive(Clone, Debug)]
pub struct DenseCholesky<T> {
    n: usize,
    /// `L`, row-major, zero above the diagonal.
    l: Vec<T>,
}

impl<T: Float> DenseCholesky<T> {
    /// Factors `a`; `Err` if it is not square or not positive definite to
    /// working precision.
    ///
    /// ```
    /// use hvp_linop::{Dense, DenseCholesky};
    /// assert!(DenseCholesky::new(&Dense::from_rows(&[[4.0, 2.0], [2.0, 3.0]]).unwrap()).is_ok());
    /// assert!(DenseCholesky::new(&Dense::from_rows(&[[1.0, 2.0], [2.0, 1.0]]).unwrap()).is_err());
    /// ```
    pub fn new(a: &Dense<T>) -> Result<Self, LinOpError> {
        const OP: &str = "dense_cholesky";
        let n = check_square(OP, a)?;
        let a = a.as_slice();
        let tol = pivot_tolerance(n, a);
        let mut l = vec![T::zero(); n * n];
        for j in 0..n {
            let d = a[j * n + j] - (0..j).map(|k| l[j * n + k] * l[j * n + k]).sum::<T>();
            if !d.is_finite() || d <= tol {
                return Err(LinOpError::Failed {
                    op: OP.into(),
                    message: format!(
                        "matrix is not positive definite to working precision (pivot {d} in column {j})"
                    ),
                });
            }
            let ljj = d.sqrt();
            l[j * n + j] = ljj;
            for i in j + 1..n {
                let s: T = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                l[i * n + j] = (a[i * n + j] - s) / ljj;
            }
        }
        Ok(DenseCholesky { n, l })
    }

    /// `A⁻¹` as a symmetric operator.
    pub fn into_inverse(self) -> Inverse<Self> {
        Inverse::new(self.n, self, true)
    }

    /// The size `n`.
    pub fn size(&self) -> usize {
        self.n
    }
}

impl<T: Float> Solve<T> for DenseCholesky<T> {
    fn solve(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError> {
        let n = self.n;
        check_solve_lengths("dense_cholesky", n, b, x)?;
        x.copy_from_slice(b);
        for i in 0..n {
            let s: T = (0..i).map(|j| self.l[i * n + j] * x[j]).sum();
            x[i] = (x[i] - s) / self.l[i * n + i];
        }
        for i in (0..n).rev() {
            let s: T = (i + 1..n).map(|j| self.l[j * n + i] * x[j]).sum();
            x[i] = (x[i] - s) / self.l[i * n + i];
        }
        Ok(())
    }

    fn solve_transpose(&self, b: &[T], x: &mut [T]) -> Result<(), LinOpError> {
        self.solve(b, x)
    }
}

/// The dense matrix of an operator, for factoring small operators (a
/// convenience over [`LinOp::to_dense`]).
///
/// ```
/// use hvp_linop::{dense_of, Diagonal, DenseCholesky};
/// let d = dense_of(&Diagonal::new(vec![1.0, 4.0])).unwrap();
/// assert!(DenseCholesky::new(&d).is_ok());
/// ```
pub fn dense_of<T: Float, A: LinOp<T> + ?Sized>(a: &A) -> Result<Dense<T>, LinOpError> {
    Dense::from_vec(a.nrows(), a.ncols(), a.to_dense()?)
}
