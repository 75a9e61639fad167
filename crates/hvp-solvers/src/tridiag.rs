//! The symmetric tridiagonal eigenproblem, by the implicit-shift QL
//! iteration (Wilkinson shifts; the EISPACK `tql2` scheme).
//!
//! Lanczos reduces a symmetric operator to a small tridiagonal `T`; its
//! eigenvalues are the Ritz values, the first components of its
//! eigenvectors give the Gauss quadrature weights of SLQ, and the last
//! components give the Ritz residual bounds. The routine is written here
//! rather than taken from a crate because those three uses need different
//! rows of the eigenvector matrix: rotations are accumulated only on the
//! rows asked for, so the values with one row of vectors cost `O(m²)`, not
//! `O(m³)`.
//!
//! ```
//! use hvp_solvers::sym_tridiag_eigen;
//! // The 1-D Laplacian tridiag(-1, 2, -1) of size 3: 2 - √2, 2, 2 + √2.
//! let e = sym_tridiag_eigen(&[2.0, 2.0, 2.0], &[-1.0, -1.0]).unwrap();
//! let s = 2f64.sqrt();
//! for (got, want) in e.values.iter().zip([2.0 - s, 2.0, 2.0 + s]) {
//!     assert!((got - want).abs() < 1e-14);
//! }
//! // Column i of `vectors` is the unit eigenvector of `values[i]`.
//! let v0: Vec<f64> = (0..3).map(|k| e.vectors[k * 3]).collect();
//! assert!((v0[0].abs() - 0.5).abs() < 1e-14 && (v0[1].abs() - s / 2.0).abs() < 1e-14);
//! ```

use crate::{check, SolverError};
use hvp_tensor::Float;

/// QL sweeps allowed per eigenvalue before giving up. With Wilkinson shifts
/// convergence is cubic and takes two or three sweeps in practice.
const MAX_SWEEPS: usize = 60;

/// Eigenvalues and eigenvectors of a symmetric tridiagonal matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct TridiagEigen<T> {
    /// The eigenvalues, ascending.
    pub values: Vec<T>,
    /// The orthonormal eigenvectors as an `m × m` row-major matrix whose
    /// column `i` belongs to `values[i]`.
    pub vectors: Vec<T>,
}

fn check_input<T: Float>(diag: &[T], offdiag: &[T]) -> Result<(), SolverError> {
    const NAME: &str = "tridiagonal eigen";
    let m = diag.len();
    check::vector(NAME, "diagonal", diag, m)?;
    check::vector(NAME, "off-diagonal", offdiag, m.saturating_sub(1))
}

/// All eigenvalues (ascending) and eigenvectors of the symmetric
/// tridiagonal matrix with diagonal `diag` (`m` entries) and off-diagonal
/// `offdiag` (`m − 1` entries).
///
/// `Err` for wrong lengths, non-finite entries, or (practically never) an
/// iteration that does not converge.
pub fn sym_tridiag_eigen<T: Float>(
    diag: &[T],
    offdiag: &[T],
) -> Result<TridiagEigen<T>, SolverError> {
    check_input(diag, offdiag)?;
    let m = diag.len();
    let mut work = TridiagWork::new(m, m);
    if !work.decompose(diag, offdiag, Rows::All) {
        return Err(no_convergence());
    }
    Ok(TridiagEigen {
        values: work.values().to_vec(),
        vectors: work.rows().to_vec(),
    })
}

/// The eigenvalues (ascending) of a symmetric tridiagonal matrix, without
/// vectors (`O(m²)`).
///
/// ```
/// use hvp_solvers::sym_tridiag_eigenvalues;
/// let v = sym_tridiag_eigenvalues(&[1.0f32, 3.0], &[0.0]).unwrap();
/// assert_eq!(v, vec![1.0, 3.0]);
/// ```
pub fn sym_tridiag_eigenvalues<T: Float>(diag: &[T], offdiag: &[T]) -> Result<Vec<T>, SolverError> {
    check_input(diag, offdiag)?;
    let mut work = TridiagWork::new(diag.len(), 0);
    if !work.decompose(diag, offdiag, Rows::None) {
        return Err(no_convergence());
    }
    Ok(work.values().to_vec())
}

fn no_convergence() -> SolverError {
    SolverError::NoConvergence {
        solver: "tridiagonal eigen",
        reason: format!("QL iteration exceeded {MAX_SWEEPS} sweeps for one eigenvalue"),
    }
}

/// Which rows of the eigenvector matrix to accumulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    /// None: eigenvalues only.
    None,
    /// The first components of every eigenvector (quadrature weights).
    First,
    /// The last components (Ritz residual bounds).
    Last,
    /// The whole matrix.
    All,
}

/// Reusable buffers for repeated decompositions of growing tridiagonals
/// (one per Lanczos step): no allocation after construction as long as the
/// size stays within the capacity.
#[derive(Debug, Clone)]
pub(crate) struct TridiagWork<T> {
    d: Vec<T>,
    e: Vec<T>,
    z: Vec<T>,
    m: usize,
    zrows: usize,
}

impl<T: Float> TridiagWork<T> {
    /// Buffers for size up to `m`, with up to `zrows` accumulated rows.
    pub(crate) fn new(m: usize, zrows: usize) -> Self {
        TridiagWork {
            d: Vec::with_capacity(m),
            e: Vec::with_capacity(m),
            z: Vec::with_capacity(m * zrows.max(1)),
            m: 0,
            zrows: 0,
        }
    }

    /// Decomposes `tridiag(offdiag, diag, offdiag)`; `false` if QL did not
    /// converge. Afterwards [`values`](Self::values) are ascending and
    /// [`rows`](Self::rows) holds the requested rows (row-major, `m`
    /// columns, column `i` for `values[i]`).
    pub(crate) fn decompose(&mut self, diag: &[T], offdiag: &[T], rows: Rows) -> bool {
        let m = diag.len();
        self.m = m;
        self.d.clear();
        self.d.extend_from_slice(diag);
        self.e.clear();
        self.e.extend_from_slice(&offdiag[..m.saturating_sub(1)]);
        self.e.push(T::zero());
        self.e.truncate(m);
        let zrows = match rows {
            Rows::None => 0,
            Rows::First | Rows::Last => 1,
            Rows::All => m,
        };
        self.zrows = zrows;
        self.z.clear();
        self.z.resize(zrows * m, T::zero());
        match rows {
            Rows::None => {}
            Rows::First if m > 0 => self.z[0] = T::one(),
            Rows::Last if m > 0 => self.z[m - 1] = T::one(),
            Rows::All => (0..m).for_each(|i| self.z[i * m + i] = T::one()),
            _ => {}
        }
        if !ql_implicit(&mut self.d, &mut self.e, &mut self.z, zrows) {
            return false;
        }
        sort_ascending(&mut self.d, &mut self.z, zrows);
        true
    }

    /// The eigenvalues of the last decomposition, ascending.
    pub(crate) fn values(&self) -> &[T] {
        &self.d[..self.m]
    }

    /// The accumulated eigenvector rows of the last decomposition.
    pub(crate) fn rows(&self) -> &[T] {
        &self.z[..self.zrows * self.m]
    }
}

/// Implicit QL with Wilkinson shifts on the tridiagonal `(d, e)` where
/// `e[i]` couples `i` and `i + 1` (`e[m−1]` is scratch), accumulating the
/// rotations into the `zrows × m` row-major `z`. On return `d` holds the
/// eigenvalues (unsorted). `false` if an eigenvalue needed more than
/// [`MAX_SWEEPS`] sweeps.
fn ql_implicit<T: Float>(d: &mut [T], e: &mut [T], z: &mut [T], zrows: usize) -> bool {
    let m = d.len();
    if m == 0 {
        return true;
    }
    let two = T::from_f64(2.0);
    e[m - 1] = T::zero();
    for l in 0..m {
        let mut sweeps = 0;
        loop {
            // The first negligible off-diagonal at or after l splits the
            // matrix; the block l..=mm is what is left to diagonalize.
            let mut mm = l;
            while mm + 1 < m {
                let dd = d[mm].abs() + d[mm + 1].abs();
                if e[mm].abs() <= T::epsilon() * dd {
                    break;
                }
                mm += 1;
            }
            if mm == l {
                break;
            }
            sweeps += 1;
            if sweeps > MAX_SWEEPS {
                return false;
            }
            // Wilkinson shift from the leading 2 × 2 block.
            let mut g = (d[l + 1] - d[l]) / (two * e[l]);
            let mut r = g.hypot(T::one());
            let signed_r = if g >= T::zero() { r } else { -r };
            g = d[mm] - d[l] + e[l] / (g + signed_r);
            let (mut s, mut c, mut p) = (T::one(), T::one(), T::zero());
            let mut underflow = false;
            let mut i = mm;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r <= T::zero() {
                    // Underflow: the rotation is the identity; deflate.
                    d[i + 1] -= p;
                    e[mm] = T::zero();
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + two * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
                for row in z.chunks_exact_mut(m).take(zrows) {
                    let f = row[i + 1];
                    row[i + 1] = s * row[i] + c * f;
                    row[i] = c * row[i] - s * f;
                }
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[mm] = T::zero();
        }
    }
    true
}

/// Selection sort of `d` ascending, permuting the columns of `z` alike (at
/// most `m` swaps; no allocation).
fn sort_ascending<T: Float>(d: &mut [T], z: &mut [T], zrows: usize) {
    let m = d.len();
    for i in 0..m {
        let mut k = i;
        for j in i + 1..m {
            if d[j] < d[k] {
                k = j;
            }
        }
        if k != i {
            d.swap(i, k);
            for row in z.chunks_exact_mut(m).take(zrows) {
                row.swap(i, k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_agree_with_the_full_matrix() {
        let diag = [4.0f64, -1.0, 2.5, 0.3, 7.0];
        let off = [1.0f64, 0.5, -2.0, 0.25];
        let full = sym_tridiag_eigen(&diag, &off).unwrap();
        let m = diag.len();
        let mut w = TridiagWork::new(m, 1);
        assert!(w.decompose(&diag, &off, Rows::First));
        for i in 0..m {
            assert!((w.rows()[i].abs() - full.vectors[i].abs()).abs() < 1e-13);
        }
        assert!(w.decompose(&diag, &off, Rows::Last));
        for i in 0..m {
            assert!((w.rows()[i].abs() - full.vectors[(m - 1) * m + i].abs()).abs() < 1e-13);
        }
        // T v = λ v for each column.
        for i in 0..m {
            let v: Vec<f64> = (0..m).map(|k| full.vectors[k * m + i]).collect();
            for k in 0..m {
                let mut tv = diag[k] * v[k];
                if k > 0 {
                    tv += off[k - 1] * v[k - 1];
                }
                if k + 1 < m {
                    tv += off[k] * v[k + 1];
                }
                assert!((tv - full.values[i] * v[k]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn empty_and_one_by_one() {
        assert!(sym_tridiag_eigen::<f64>(&[], &[])
            .unwrap()
            .values
            .is_empty());
        let e = sym_tridiag_eigen(&[3.0], &[]).unwrap();
        assert_eq!(e.vectors, vec![1.0]);
        assert!(sym_tridiag_eigen(&[1.0, 2.0], &[]).is_err());
        assert!(sym_tridiag_eigen(&[1.0, f64::NAN], &[0.0]).is_err());
    }
}
