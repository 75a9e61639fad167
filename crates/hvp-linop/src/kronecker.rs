//! Kronecker products `A ⊗ B` applied without forming them: the structure
//! of K-FAC curvature blocks (`A ⊗ G` per layer) and of separable operators
//! on grids.
//!
//! **Convention.** `A` is `p × q`, `B` is `r × s`, and `A ⊗ B` is
//! `pr × qs` with entry `(A ⊗ B)[i·r + k, j·s + l] = A[i, j] · B[k, l]`
//! (blocks `A[i, j] · B`). Vectors reshape **row-major**: `x` of length
//! `q·s` is the `q × s` matrix `X[j, l] = x[j·s + l]`, and then
//!
//! ```text
//! (A ⊗ B) vec_r(X) = vec_r(A X Bᵀ)        (X: q × s, result p × r)
//! ```
//!
//! which is the familiar column-major identity
//! `(A ⊗ B) vec_c(Y) = vec_c(B Y Aᵀ)` read with `Y = Xᵀ`. A product costs
//! one `apply_many` of each factor: `B` on the `q` rows of `X`, then `A` on
//! the `r` columns of `X Bᵀ` (or `A` first, then `B`, whichever costs fewer
//! dense flops), so `A ⊗ B` is never formed, and a block of `k` vectors is
//! still one `apply_many` of each factor.
//!
//! ```
//! use hvp_linop::{Dense, Kronecker, LinOp};
//! let a = Dense::from_rows(&[[1.0, 2.0]]).unwrap(); // 1 × 2
//! let b = Dense::from_rows(&[[0.0, 1.0], [1.0, 0.0]]).unwrap(); // 2 × 2
//! let k = Kronecker::new(a, b).unwrap();
//! assert_eq!(k.to_dense().unwrap(), vec![0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 2.0, 0.0]);
//! ```

use crate::util::{checked_size, transpose_blocks};
use crate::{check_block, check_dims, LinOp, LinOpError};
use hvp_tensor::Float;

const NAME: &str = "kronecker";

/// `A ⊗ B` for any two operators; see the [module docs](self) for the
/// vector convention.
#[derive(Clone, Debug)]
pub struct Kronecker<A, B> {
    a: A,
    b: B,
    nrows: usize,
    ncols: usize,
}

impl<A, B> Kronecker<A, B> {
    /// `A ⊗ B`. `Err` only when its size overflows `usize`.
    pub fn new<T: Float>(a: A, b: B) -> Result<Self, LinOpError>
    where
        A: LinOp<T>,
        B: LinOp<T>,
    {
        let nrows = checked_size(NAME, "rows", a.nrows(), b.nrows())?;
        let ncols = checked_size(NAME, "columns", a.ncols(), b.ncols())?;
        Ok(Kronecker { a, b, nrows, ncols })
    }

    /// The left factor `A`.
    pub fn left(&self) -> &A {
        &self.a
    }

    /// The right factor `B`.
    pub fn right(&self) -> &B {
        &self.b
    }

    /// Both factors, consuming the operator.
    pub fn into_factors(self) -> (A, B) {
        (self.a, self.b)
    }

    /// `Ys = (A' ⊗ B') Xs` for `k` vectors, with `A' = A` or `Aᵀ` (`p × q`)
    /// and `B' = B` or `Bᵀ` (`r × s`): per vector `Y = A' X B'ᵀ`.
    fn product<T: Float>(
        &self,
        transpose: bool,
        k: usize,
        xs: &[T],
        ys: &mut [T],
    ) -> Result<(), LinOpError>
    where
        A: LinOp<T>,
        B: LinOp<T>,
    {
        let (p, q, r, s) = if transpose {
            (
                self.a.ncols(),
                self.a.nrows(),
                self.b.ncols(),
                self.b.nrows(),
            )
        } else {
            (
                self.a.nrows(),
                self.a.ncols(),
                self.b.nrows(),
                self.b.ncols(),
            )
        };
        let apply_a = |k: usize, x: &[T], y: &mut [T]| {
            if transpose {
                self.a.apply_transpose_many(k, x, y)
            } else {
                self.a.apply_many(k, x, y)
            }
        };
        let apply_b = |k: usize, x: &[T], y: &mut [T]| {
            if transpose {
                self.b.apply_transpose_many(k, x, y)
            } else {
                self.b.apply_many(k, x, y)
            }
        };
        // Dense flop estimates of the two orders; they only pick the order.
        let flops = |a: usize, b: usize, c: usize| a.saturating_mul(b).saturating_mul(c);
        let b_first = flops(q, r, s).saturating_add(flops(r, p, q));
        let a_first = flops(s, p, q).saturating_add(flops(p, r, s));
        if b_first <= a_first {
            // Z = X B'ᵀ (B' on the q rows of X), then Y = A' Z (A' on the r
            // columns of Z, i.e. the rows of Zᵀ).
            let mut z = vec![T::zero(); k * q * r];
            apply_b(k * q, xs, &mut z)?;
            let mut zt = vec![T::zero(); k * r * q];
            transpose_blocks(k, q, r, &z, &mut zt);
            let mut yt = z;
            yt.resize(k * r * p, T::zero());
            apply_a(k * r, &zt, &mut yt)?;
            transpose_blocks(k, r, p, &yt, ys);
        } else {
            // W = A' X (A' on the s columns of X), then Y = W B'ᵀ (B' on the
            // p rows of W).
            let mut xt = vec![T::zero(); k * s * q];
            transpose_blocks(k, q, s, xs, &mut xt);
            let mut wt = vec![T::zero(); k * s * p];
            apply_a(k * s, &xt, &mut wt)?;
            let mut w = xt;
            w.resize(k * p * s, T::zero());
            transpose_blocks(k, s, p, &wt, &mut w);
            apply_b(k * p, &w, ys)?;
        }
        Ok(())
    }
}

impl<T: Float, A: LinOp<T>, B: LinOp<T>> LinOp<T> for Kronecker<A, B> {
    fn nrows(&self) -> usize {
        self.nrows
    }

    fn ncols(&self) -> usize {
        self.ncols
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.nrows, self.ncols, x, y)?;
        self.product(false, 1, x, y)
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.nrows, self.ncols, xs, ys)?;
        self.product(false, k, xs, ys)
    }

    /// `(A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ`; `Err` if a factor has no transpose.
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.ncols, self.nrows, x, y)?;
        self.product(true, 1, x, y)
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.ncols, self.nrows, xs, ys)?;
        self.product(true, k, xs, ys)
    }

    fn is_symmetric(&self) -> bool {
        self.a.is_symmetric() && self.b.is_symmetric()
    }

    fn name(&self) -> &str {
        NAME
    }

    /// When `B` is square, `diag(A ⊗ B)[i·r + k] = diag(A)[i] · diag(B)[k]`
    /// from the factors' own diagonals; otherwise the global diagonal cuts
    /// through `B` off its diagonal and is probed with unit vectors.
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let r = self.b.nrows();
        if r != self.b.ncols() {
            return crate::op::probe_diagonal(self);
        }
        let (da, db) = (self.a.diagonal()?, self.b.diagonal()?);
        let mut d = Vec::with_capacity(da.len() * r);
        for &ai in &da {
            d.extend(db.iter().map(|&bk| ai * bk));
        }
        Ok(d)
    }
}
