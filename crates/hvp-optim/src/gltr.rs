//! The trust-region subproblem `min gᵀp + ½ pᵀHp` subject to `‖p‖ ≤ Δ`,
//! solved on a Lanczos tridiagonal (GLTR-style, after Gould, Lucidi, Roma
//! and Toint 1999).
//!
//! Lanczos from `q₁ = g/‖g‖` builds `H Q_k = Q_k T_k + β_k q_{k+1} e_kᵀ`;
//! since `Q_kᵀ g = ‖g‖ e₁`, the subproblem restricted to the Krylov space
//! is `min ‖g‖ e₁ᵀh + ½ hᵀT_k h` over `‖h‖ ≤ Δ`, solved exactly
//! ([`tridiagonal_tr_subproblem`]), and `p = Q_k h`. Its KKT residual in
//! the full space is `‖(H + λI)p + g‖ = β_k |e_kᵀh|`, known without a
//! product: Lanczos stops when it is at most `rtol · ‖g‖`.
//!
//! **The hard case.** When `g` is orthogonal to the eigenvectors of the
//! smallest eigenvalue `λ₁ < 0`, the Krylov space of `g` never sees them:
//! Lanczos ends in an invariant subspace. With
//! [`LanczosTrParams::explore_invariant`] the process continues from a
//! seeded random vector orthogonal to the basis (`T` gains a zero
//! off-diagonal entry) until that block's smallest Ritz pair has converged;
//! the tridiagonal solver then finds `λ = −θ₁` with the gradient's
//! component short of the boundary and adds the eigenvector component that
//! reaches it — the exact solution.
//!
//! **The tridiagonal solve.** `T = S Θ Sᵀ` (implicit QL), `c = ‖g‖ Sᵀe₁`;
//! `h(λ) = −S (Θ + λI)⁻¹ c`. Interior when `θ₁ > 0` and `‖h(0)‖ ≤ Δ`;
//! otherwise the secular equation `1/‖h(λ)‖ = 1/Δ` is solved for
//! `λ > max(0, −θ₁)` by Newton's method (Moré–Sorensen: from the left of
//! the root, where it converges monotonically), safeguarded by bisection on
//! `[max(0, −θ₁), ‖c‖/Δ − θ₁]`; the hard case (`c` vanishing on the
//! eigenvectors of `θ₁ ≤ 0` and `‖h(−θ₁)‖ < Δ` without them) is detected
//! and solved in closed form. The eigendecomposition costs `O(k²)` per
//! solve, negligible beside `k` Hessian products for the sizes Lanczos
//! reaches.
//!
//! ```
//! use hvp_linop::Diagonal;
//! use hvp_optim::{lanczos_tr_subproblem, LanczosTrParams};
//! // The hard case: g ⟂ e₁, the eigenvector of λ₁ = −2.
//! let h = Diagonal::new(vec![-2.0f64, 1.0, 3.0, 4.0]);
//! let g = [0.0, 1.0, 1.0, 1.0];
//! let s = lanczos_tr_subproblem(&h, &g, 2.0, &LanczosTrParams::default()).unwrap();
//! assert!(s.hard_case && (s.lambda - 2.0).abs() < 1e-10);
//! let norm = s.step.iter().map(|v| v * v).sum::<f64>().sqrt();
//! assert!((norm - 2.0).abs() < 1e-10);
//! ```

use crate::util::{axpy, dot, norm, sqrt_eps};
use crate::OptimError;
use hvp_linop::LinOp;
use hvp_solvers::sym_tridiag_eigen;
use hvp_tensor::Float;

const NAME: &str = "trust_region_subproblem";

/// Parameters of [`lanczos_tr_subproblem`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LanczosTrParams<T> {
    /// The most Lanczos steps (Hessian products), capped at `n`.
    /// Default `100`.
    pub max_steps: usize,
    /// Stop when `β_k |e_kᵀh| ≤ rtol · ‖g‖`. Default `√ε`.
    pub rtol: T,
    /// Continue past an invariant subspace from a random orthogonal vector
    /// (the hard case). Default `true`.
    pub explore_invariant: bool,
    /// Seed of the random restart vectors. Default `0`.
    pub seed: u64,
}

impl<T: Float> Default for LanczosTrParams<T> {
    fn default() -> Self {
        LanczosTrParams {
            max_steps: 100,
            rtol: sqrt_eps(),
            explore_invariant: true,
            seed: 0,
        }
    }
}

/// A solution of the trust-region subproblem.
#[derive(Debug, Clone, PartialEq)]
pub struct TrSubproblem<T> {
    /// The step `p` (for [`tridiagonal_tr_subproblem`], `h`, of the
    /// tridiagonal's size).
    pub step: Vec<T>,
    /// The model decrease `gᵀp + ½ pᵀHp` (≤ 0), from the tridiagonal.
    pub model_value: T,
    /// The multiplier `λ ≥ 0`: `(T + λI) h = −‖g‖e₁` with `T + λI ⪰ 0`,
    /// and `λ > 0` only on the boundary.
    pub lambda: T,
    /// Whether `‖p‖ = Δ`.
    pub on_boundary: bool,
    /// Whether the hard case was met (an eigenvector component added).
    pub hard_case: bool,
    /// The smallest eigenvalue of the tridiagonal (a Ritz value of `H`).
    pub min_ritz_value: T,
    /// Lanczos steps taken (Hessian products).
    pub lanczos_steps: usize,
    /// Restarts past invariant subspaces.
    pub restarts: usize,
    /// The KKT residual estimate `β_k |e_kᵀh|` (`0` for the tridiagonal
    /// solver, which is exact).
    pub residual: T,
}

/// Solves `min γ e₁ᵀh + ½ hᵀTh` over `‖h‖ ≤ Δ` for the symmetric
/// tridiagonal `T` with diagonal `alpha` and off-diagonal `beta`
/// (`alpha.len() − 1` entries, zeros allowed), exactly up to rounding.
///
/// ```
/// use hvp_optim::tridiagonal_tr_subproblem;
/// // T = diag(1, 2) (β = 0), γ = 1: interior solution h = (−1, 0).
/// let s = tridiagonal_tr_subproblem(&[1.0f64, 2.0], &[0.0], 1.0, 5.0).unwrap();
/// assert!(!s.on_boundary && (s.step[0] + 1.0).abs() < 1e-14);
/// // With Δ = 0.5 the solution is on the boundary with λ = 1.
/// let s = tridiagonal_tr_subproblem(&[1.0f64, 2.0], &[0.0], 1.0, 0.5).unwrap();
/// assert!(s.on_boundary && (s.lambda - 1.0).abs() < 1e-12);
/// ```
///
/// `Err` for mismatched lengths, non-finite entries or a radius that is
/// not finite and positive.
pub fn tridiagonal_tr_subproblem<T: Float>(
    alpha: &[T],
    beta: &[T],
    gamma: T,
    radius: T,
) -> Result<TrSubproblem<T>, OptimError> {
    check_radius(radius)?;
    if !gamma.is_finite() {
        return Err(OptimError::NonFinite {
            method: NAME,
            what: "gradient norm",
            index: 0,
            value: gamma.to_f64(),
        });
    }
    let eig = sym_tridiag_eigen(alpha, beta).map_err(|e| OptimError::from_solver(NAME, e))?;
    let m = alpha.len();
    let theta = &eig.values;
    let s = &eig.vectors;
    let c: Vec<T> = (0..m).map(|i| gamma * s[i]).collect();
    let (y, lambda, hard) = secular(theta, &c, radius);
    let mut h = vec![T::zero(); m];
    for (r, hr) in h.iter_mut().enumerate() {
        *hr = (0..m).map(|i| s[r * m + i] * y[i]).sum();
    }
    let half = T::from_f64(0.5);
    let model_value = (0..m)
        .map(|i| half * theta[i] * y[i] * y[i] + c[i] * y[i])
        .sum();
    Ok(TrSubproblem {
        step: h,
        model_value,
        lambda,
        on_boundary: lambda > T::zero() || hard,
        hard_case: hard,
        min_ritz_value: theta.first().copied().unwrap_or(T::zero()),
        lanczos_steps: 0,
        restarts: 0,
        residual: T::zero(),
    })
}

fn check_radius<T: Float>(radius: T) -> Result<(), OptimError> {
    if radius.is_finite() && radius > T::zero() {
        Ok(())
    } else {
        Err(OptimError::InvalidParam {
            method: NAME,
            param: "radius",
            reason: format!("must be finite and positive, got {radius}"),
        })
    }
}

/// The subproblem in the eigenbasis: `y = −(Θ + λI)⁻¹ c` (plus the hard
/// case's eigenvector component). Returns `(y, λ, hard_case)`.
fn secular<T: Float>(theta: &[T], c: &[T], radius: T) -> (Vec<T>, T, bool) {
    let m = theta.len();
    let zero = T::zero();
    if m == 0 {
        return (Vec::new(), zero, false);
    }
    let eps = T::epsilon();
    let t1 = theta[0];
    let scale = theta.iter().fold(T::one(), |a, v| a.max(v.abs()));
    let cnorm = norm(c);
    let norm_at = |lam: T, skip: &dyn Fn(usize) -> bool| -> T {
        let v: Vec<T> = (0..m)
            .filter(|&i| !skip(i))
            .map(|i| {
                if c[i] == zero {
                    zero
                } else {
                    c[i] / (theta[i] + lam)
                }
            })
            .collect();
        norm(&v)
    };
    let solve = |lam: T| -> Vec<T> {
        (0..m)
            .map(|i| {
                if c[i] == zero {
                    zero
                } else {
                    -c[i] / (theta[i] + lam)
                }
            })
            .collect()
    };
    if t1 > zero && norm_at(zero, &|_| false) <= radius {
        return (solve(zero), zero, false);
    }
    let lam_lo = zero.max(-t1);
    // The hard case.
    if t1 <= zero {
        let cluster_tol = sqrt_eps::<T>() * scale;
        let in_cluster = |i: usize| theta[i] <= t1 + cluster_tol;
        let c_tol = eps * T::from_f64(m as f64) * cnorm.max(T::min_positive_value());
        let cluster_silent = (0..m)
            .filter(|&i| in_cluster(i))
            .all(|i| c[i].abs() <= c_tol);
        if cluster_silent {
            let mut y: Vec<T> = (0..m)
                .map(|i| {
                    if in_cluster(i) {
                        zero
                    } else {
                        -c[i] / (theta[i] + lam_lo)
                    }
                })
                .collect();
            let rest = norm(&y);
            if rest <= radius {
                let tau = ((radius - rest) * (radius + rest)).max(zero).sqrt();
                y[0] = if c[0] > zero { -tau } else { tau };
                return (y, lam_lo, true);
            }
        }
    }
    // Newton on 1/‖h(λ)‖ − 1/Δ from the left of the root, bracketed.
    let mut lo = lam_lo;
    let mut hi = lam_lo.max(cnorm / radius - t1);
    let mut lam = (0..m).fold(lam_lo, |a, i| a.max(c[i].abs() / radius - theta[i]));
    if !(lam > lo) || (0..m).any(|i| theta[i] + lam <= zero && c[i] != zero) {
        lam = lo + eps * lo.abs().max(T::one());
    }
    let tol = T::from_f64(100.0) * eps * radius;
    for _ in 0..200 {
        let (mut n2, mut d3) = (zero, zero);
        for i in 0..m {
            if c[i] != zero {
                let r = c[i] / (theta[i] + lam);
                n2 += r * r;
                d3 += r * r / (theta[i] + lam);
            }
        }
        let nrm = n2.sqrt();
        if (nrm - radius).abs() <= tol {
            break;
        }
        if nrm > radius {
            lo = lam;
        } else {
            hi = lam;
        }
        if hi - lo <= eps * hi.abs() {
            break;
        }
        let phi = T::one() / nrm - T::one() / radius;
        let dphi = d3 / (nrm * nrm * nrm);
        let next = lam - phi / dphi;
        lam = if next.is_finite() && next > lo && next < hi {
            next
        } else {
            T::from_f64(0.5) * (lo + hi)
        };
    }
    (solve(lam), lam, false)
}

/// Solves the trust-region subproblem for the symmetric operator `h`
/// (assumed, not checked), gradient `g` and radius `Δ` by Lanczos and the
/// exact tridiagonal solve (see the module documentation). A zero `g`
/// starts from a seeded random vector: the answer is then the boundary
/// step along the most negative Ritz vector, or `0`.
///
/// `Err` for a non-square operator or a wrong length, a non-finite `g`, a
/// bad radius, a failing or non-finite product.
pub fn lanczos_tr_subproblem<T: Float, A: LinOp<T> + ?Sized>(
    h: &A,
    g: &[T],
    radius: T,
    params: &LanczosTrParams<T>,
) -> Result<TrSubproblem<T>, OptimError> {
    let n = h.ncols();
    if h.nrows() != n {
        return Err(OptimError::Operator {
            method: NAME,
            message: format!("the operator is {}×{n}, not square", h.nrows()),
        });
    }
    if g.len() != n {
        return Err(OptimError::Length {
            method: NAME,
            what: "gradient",
            expected: n,
            got: g.len(),
        });
    }
    if let Some((index, value)) = crate::util::first_non_finite(g) {
        return Err(OptimError::NonFinite {
            method: NAME,
            what: "gradient",
            index,
            value,
        });
    }
    check_radius(radius)?;
    if params.max_steps == 0 {
        return Err(OptimError::InvalidParam {
            method: NAME,
            param: "max_steps",
            reason: "must be ≥ 1".into(),
        });
    }
    if n == 0 {
        return tridiagonal_tr_subproblem(&[], &[], T::zero(), radius);
    }
    let m = params.max_steps.min(n);
    let gamma = norm(g);
    let mut rng = SplitMix(params.seed);
    let mut q: Vec<T> = if gamma > T::zero() {
        g.iter().map(|&v| v / gamma).collect()
    } else {
        match random_orthogonal(&mut rng, &[], n) {
            Some(q) => q,
            None => return tridiagonal_tr_subproblem(&[], &[], T::zero(), radius),
        }
    };
    let mut exploring = gamma <= T::zero();
    let mut basis: Vec<T> = Vec::with_capacity(m * n);
    let (mut alpha, mut beta): (Vec<T>, Vec<T>) = (Vec::with_capacity(m), Vec::with_capacity(m));
    let mut w = vec![T::zero(); n];
    let (mut block_start, mut restarts) = (0, 0);
    let mut tscale = T::zero();
    let op_err = |e| OptimError::from_linop(NAME, e);
    loop {
        let j = alpha.len();
        basis.extend_from_slice(&q);
        h.apply(&q, &mut w).map_err(op_err)?;
        let a = dot(&q, &w);
        if !a.is_finite() {
            return Err(OptimError::Operator {
                method: NAME,
                message: "a Hessian-vector product is not finite".into(),
            });
        }
        axpy(-a, &q, &mut w);
        if j > block_start {
            axpy(-beta[j - 1], &basis[(j - 1) * n..j * n], &mut w);
        }
        for _ in 0..2 {
            for v in basis.chunks_exact(n) {
                let d = dot(v, &w);
                axpy(-d, v, &mut w);
            }
        }
        let b = norm(&w);
        alpha.push(a);
        tscale = tscale.max(a.abs()).max(b);
        let steps = j + 1;
        let sol = tridiagonal_tr_subproblem(&alpha, &beta, gamma, radius)?;
        let residual = b * sol.step[j].abs();
        let invariant =
            b <= T::from_f64(100.0) * T::epsilon() * tscale.max(T::min_positive_value());
        let mut stop = steps >= m;
        if !stop && invariant {
            match random_orthogonal(&mut rng, &basis, n).filter(|_| params.explore_invariant) {
                Some(next) => {
                    beta.push(T::zero());
                    block_start = steps;
                    restarts += 1;
                    exploring = true;
                    q = next;
                    continue;
                }
                None => stop = true,
            }
        }
        if !stop && !exploring {
            stop = residual <= params.rtol * gamma;
        }
        if !stop && exploring {
            let blk = sym_tridiag_eigen(&alpha[block_start..], &beta[block_start..j])
                .map_err(|e| OptimError::from_solver(NAME, e))?;
            let k = steps - block_start;
            let bound = b * blk.vectors[(k - 1) * k].abs();
            stop = bound <= sqrt_eps::<T>() * blk.values[0].abs().max(T::one());
        }
        if stop {
            let mut p = vec![T::zero(); n];
            for (v, &hi) in basis.chunks_exact(n).zip(&sol.step) {
                axpy(hi, v, &mut p);
            }
            return Ok(TrSubproblem {
                step: p,
                lanczos_steps: steps,
                restarts,
                residual: if invariant { T::zero() } else { residual },
                ..sol
            });
        }
        beta.push(b);
        q.iter_mut().zip(&w).for_each(|(qi, &wi)| *qi = wi / b);
    }
}

/// A seeded random unit vector orthogonal to the rows of `basis` (twice
/// Gram–Schmidt), or `None` when none is left (rounding).
fn random_orthogonal<T: Float>(rng: &mut SplitMix, basis: &[T], n: usize) -> Option<Vec<T>> {
    if basis.len() >= n * n {
        return None;
    }
    let mut v: Vec<T> = (0..n).map(|_| T::from_f64(rng.uniform() - 0.5)).collect();
    let before = norm(&v);
    for _ in 0..2 {
        for b in basis.chunks_exact(n) {
            let d = dot(b, &v);
            axpy(-d, b, &mut v);
        }
    }
    let nv = norm(&v);
    if !(nv > sqrt_eps::<T>() * before) {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= nv);
    Some(v)
}

/// SplitMix64: a tiny seeded generator for restart vectors.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
