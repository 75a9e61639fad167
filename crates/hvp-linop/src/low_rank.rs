//! Low-rank operators `U diag(s) Vᵀ` and `U diag(s) Uᵀ`: truncated
//! eigendecompositions from Lanczos, quasi-Newton updates, the low-rank
//! part of "diagonal plus low-rank" preconditioners.
//!
//! `U` is `m × r` and `V` is `n × r`, both dense row-major. A product costs
//! `O((m + n) r)`: `t = Vᵀ x`, `t ← s ⊙ t`, `y = U t`; a block of `k`
//! vectors is two GEMMs (`T = Xs V`, `Ys = (T diag(s)) Uᵀ`).
//!
//! ```
//! use hvp_linop::{LinOp, LowRank};
//! // u uᵀ with u = (1, 2): [[1, 2], [2, 4]]
//! let a = LowRank::symmetric(2, vec![1.0, 2.0], vec![1.0]).unwrap();
//! assert!(a.is_symmetric());
//! assert_eq!(a.to_dense().unwrap(), vec![1.0, 2.0, 2.0, 4.0]);
//! ```

use crate::util::{checked_size, exactly_equal, length_err};
use crate::{check_block, check_dims, LinOp, LinOpError};
use hvp_tensor::kernels::{matmul, MatMulDims};
use hvp_tensor::Float;

const NAME: &str = "low_rank";

/// `U diag(s) Vᵀ` (`m × n`, rank at most `r = s.len()`), or the symmetric
/// `U diag(s) Uᵀ` when built with [`LowRank::symmetric`] (or when `V` is
/// exactly `U`).
#[derive(Clone, Debug)]
pub struct LowRank<T> {
    nrows: usize,
    ncols: usize,
    u: Vec<T>,
    s: Vec<T>,
    /// `None` for the symmetric form (`V = U`).
    v: Option<Vec<T>>,
}

impl<T: Float> LowRank<T> {
    /// `U diag(s) Vᵀ` with `U` (`nrows × r`) and `V` (`ncols × r`) row-major
    /// and `r = s.len()`. `Err` when a length disagrees.
    ///
    /// ```
    /// use hvp_linop::{LinOp, LowRank};
    /// // (1, 2)ᵀ · 3 · (1, 0, 1)
    /// let a = LowRank::new(2, 3, vec![1.0, 2.0], vec![3.0], vec![1.0, 0.0, 1.0]).unwrap();
    /// assert_eq!(a.to_dense().unwrap(), vec![3.0, 0.0, 3.0, 6.0, 0.0, 6.0]);
    /// assert!(LowRank::new(2, 3, vec![1.0, 2.0], vec![3.0], vec![1.0]).is_err());
    /// ```
    pub fn new(
        nrows: usize,
        ncols: usize,
        u: Vec<T>,
        s: Vec<T>,
        v: Vec<T>,
    ) -> Result<Self, LinOpError> {
        let r = s.len();
        let nu = checked_size(NAME, "U", nrows, r)?;
        let nv = checked_size(NAME, "V", ncols, r)?;
        if u.len() != nu {
            return Err(length_err(NAME, "U (nrows × rank)", nu, u.len()));
        }
        if v.len() != nv {
            return Err(length_err(NAME, "V (ncols × rank)", nv, v.len()));
        }
        let same = nrows == ncols && u.iter().zip(&v).all(|(&a, &b)| exactly_equal(a, b));
        Ok(LowRank {
            nrows,
            ncols,
            u,
            s,
            v: (!same).then_some(v),
        })
    }

    /// The symmetric `U diag(s) Uᵀ` with `U` (`n × r`) row-major and
    /// `r = s.len()`; positive semi-definite when every `s_j ≥ 0`.
    pub fn symmetric(n: usize, u: Vec<T>, s: Vec<T>) -> Result<Self, LinOpError> {
        let nu = checked_size(NAME, "U", n, s.len())?;
        if u.len() != nu {
            return Err(length_err(NAME, "U (n × rank)", nu, u.len()));
        }
        Ok(LowRank {
            nrows: n,
            ncols: n,
            u,
            s,
            v: None,
        })
    }

    /// The rank bound `r`.
    pub fn rank(&self) -> usize {
        self.s.len()
    }

    /// `U`, row-major `nrows × r`.
    pub fn u(&self) -> &[T] {
        &self.u
    }

    /// `V`, row-major `ncols × r` (the same slice as `U` when symmetric).
    pub fn v(&self) -> &[T] {
        self.v.as_deref().unwrap_or(&self.u)
    }

    /// The weights `s`.
    pub fn s(&self) -> &[T] {
        &self.s
    }

    /// `Ys = ((Xs R) diag(s)) Lᵀ` for `k` vectors: `L diag(s) Rᵀ` applied to
    /// each row of `Xs`, with `L` (`out × r`) and `R` (`inp × r`).
    #[allow(clippy::too_many_arguments)]
    fn product(
        &self,
        l: &[T],
        r_mat: &[T],
        out: usize,
        inp: usize,
        k: usize,
        xs: &[T],
        ys: &mut [T],
    ) {
        let r = self.s.len();
        let mut t = vec![T::zero(); k * r];
        // T (k × r) = Xs (k × inp) · R (inp × r)
        matmul(
            MatMulDims {
                batch: 1,
                m: k,
                k: inp,
                n: r,
                transpose_lhs: false,
                transpose_rhs: false,
            },
            xs,
            r_mat,
            &mut t,
        );
        if r > 0 {
            for row in t.chunks_exact_mut(r) {
                for (tj, &sj) in row.iter_mut().zip(&self.s) {
                    *tj *= sj;
                }
            }
        }
        // Ys (k × out) = T (k × r) · Lᵀ, L stored out × r
        matmul(
            MatMulDims {
                batch: 1,
                m: k,
                k: r,
                n: out,
                transpose_lhs: false,
                transpose_rhs: true,
            },
            &t,
            l,
            ys,
        );
    }
}

impl<T: Float> LinOp<T> for LowRank<T> {
    fn nrows(&self) -> usize {
        self.nrows
    }

    fn ncols(&self) -> usize {
        self.ncols
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.nrows, self.ncols, x, y)?;
        self.product(&self.u, self.v(), self.nrows, self.ncols, 1, x, y);
        Ok(())
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.nrows, self.ncols, xs, ys)?;
        self.product(&self.u, self.v(), self.nrows, self.ncols, k, xs, ys);
        Ok(())
    }

    /// `V diag(s) Uᵀ x`.
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.ncols, self.nrows, x, y)?;
        self.product(self.v(), &self.u, self.ncols, self.nrows, 1, x, y);
        Ok(())
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.ncols, self.nrows, xs, ys)?;
        self.product(self.v(), &self.u, self.ncols, self.nrows, k, xs, ys);
        Ok(())
    }

    fn is_symmetric(&self) -> bool {
        self.v.is_none()
    }

    fn name(&self) -> &str {
        NAME
    }

    /// `A_ii = Σ_j U_ij s_j V_ij`, `O(min(m, n) · r)`.
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let r = self.s.len();
        let v = self.v();
        Ok((0..self.nrows.min(self.ncols))
            .map(|i| {
                let (ui, vi) = (&self.u[i * r..(i + 1) * r], &v[i * r..(i + 1) * r]);
                ui.iter()
                    .zip(vi)
                    .zip(&self.s)
                    .map(|((&a, &b), &s)| a * s * b)
                    .sum()
            })
            .collect())
    }
}
