//! Self-checks a user can switch on: is the operator symmetric, do two
//! modes agree, do finite differences agree? Each returns the measured
//! discrepancy and a verdict against a documented tolerance.
//!
//! ```
//! use hvp::{trace, HessianOperator, HvpMode, Spec};
//! let f = trace(|x| (x[0].tanh() * &x[0]).sum(), &[Spec::vector(5)])?;
//! let h = HessianOperator::new(&f, &[0.1_f64, -0.4, 0.9, 1.3, -2.0])?;
//! assert!(h.check_symmetry(7)?.passed);
//! assert!(h.check_modes(HvpMode::ReverseOverReverse, 7)?.passed);
//! assert!(h.check_finite_differences(7)?.passed);
//! # Ok::<(), hvp::Error>(())
//! ```

use crate::{Error, HessianOperator, HvpMode, Real, Result};
use hvp_linop::LinOp;
use hvp_tensor::Float;

/// The outcome of one self-check.
#[derive(Clone, Debug, PartialEq)]
pub struct SelfCheck {
    /// What was checked.
    pub name: String,
    /// The measured relative discrepancy.
    pub discrepancy: f64,
    /// The tolerance it is held to.
    pub tolerance: f64,
    /// `discrepancy <= tolerance` (and both finite).
    pub passed: bool,
}

impl SelfCheck {
    fn new(name: String, discrepancy: f64, tolerance: f64) -> SelfCheck {
        SelfCheck {
            passed: discrepancy.is_finite() && discrepancy <= tolerance,
            name,
            discrepancy,
            tolerance,
        }
    }
}

impl std::fmt::Display for SelfCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: discrepancy {:.2e} (tolerance {:.1e}) {}",
            self.name,
            self.discrepancy,
            self.tolerance,
            if self.passed { "PASS" } else { "FAIL" }
        )
    }
}

/// Tolerances of the self-checks per dtype, in units of the unit roundoff
/// `u` (1.1e-16 for f64, 6.0e-8 for f32):
/// - symmetry and mode agreement: `1e4 · u` relative (AD products differ
///   only by rounding, amplified by the length of the computation);
/// - finite differences: `2e2 · u^(2/3)` relative (central differences with
///   the step of [`HvpMode::CentralDifference`] have error `O(u^(2/3))`
///   times the scale of the third derivative).
pub fn tolerances<T: Real>() -> (f64, f64) {
    let u = T::DTYPE.unit_roundoff();
    (1e4 * u, 2e2 * u.powf(2.0 / 3.0))
}

/// A seeded random direction with entries uniform in [-1, 1).
fn probe<T: Real>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let u = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
            T::from_f64(2.0 * u - 1.0)
        })
        .collect()
}

fn norm<T: Float>(v: &[T]) -> f64 {
    v.iter()
        .map(|&x| Float::to_f64(x).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn dot<T: Float>(a: &[T], b: &[T]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| Float::to_f64(x) * Float::to_f64(y))
        .sum()
}

/// `‖a − b‖ / max(‖a‖, ‖b‖)` (0 when both vanish).
fn relative_gap<T: Float>(a: &[T], b: &[T]) -> f64 {
    let d: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (Float::to_f64(x) - Float::to_f64(y)).powi(2))
        .sum::<f64>()
        .sqrt();
    let s = norm(a).max(norm(b));
    if s == 0.0 {
        0.0
    } else {
        d / s
    }
}

/// Symmetry probe for any square operator: `|uᵀ(Av) − vᵀ(Au)| / (‖u‖‖Av‖ +
/// ‖v‖‖Au‖)` for two seeded random directions, against the AD tolerance of
/// [`tolerances`].
pub fn check_symmetry<T: Real>(op: &dyn LinOp<T>, seed: u64) -> Result<SelfCheck> {
    let n = op.ncols();
    let u: Vec<T> = probe(n, seed);
    let v: Vec<T> = probe(n, seed ^ 0x5555);
    let mut au = vec![T::zero(); op.nrows()];
    let mut av = vec![T::zero(); op.nrows()];
    op.apply(&u, &mut au)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    op.apply(&v, &mut av)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let scale = norm(&u) * norm(&av) + norm(&v) * norm(&au);
    let gap = (dot(&u, &av) - dot(&v, &au)).abs();
    let d = if scale == 0.0 { 0.0 } else { gap / scale };
    Ok(SelfCheck::new(
        format!("symmetry of {}: uᵀAv = vᵀAu", op.name()),
        d,
        tolerances::<T>().0,
    ))
}

/// Compares `op` with a reference product on a seeded random direction:
/// `‖A v − R v‖ / max(‖A v‖, ‖R v‖)` against `tolerance`.
pub fn check_against<T: Real>(
    op: &dyn LinOp<T>,
    name: &str,
    reference: &dyn Fn(&[T]) -> Result<Vec<T>>,
    tolerance: f64,
    seed: u64,
) -> Result<SelfCheck> {
    let v: Vec<T> = probe(op.ncols(), seed);
    let mut mine = vec![T::zero(); op.nrows()];
    op.apply(&v, &mut mine)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let theirs = reference(&v)?;
    Ok(SelfCheck::new(
        name.to_string(),
        relative_gap(&mine, &theirs),
        tolerance,
    ))
}

impl<T: Real> HessianOperator<'_, T> {
    /// Symmetry probe (see [`check_symmetry`]). A Hessian is symmetric; an
    /// operator that fails this is wrong. Difference-mode operators are symmetric only to their truncation
    /// error, so they are held to their mode's tolerance.
    pub fn check_symmetry(&self, seed: u64) -> Result<SelfCheck> {
        let mut c = check_symmetry(self, seed)?;
        c.tolerance = self.mode_tolerance(self.mode());
        c.passed = c.discrepancy.is_finite() && c.discrepancy <= c.tolerance;
        Ok(c)
    }

    /// The tolerance a product in `mode` is held to against an exact one.
    fn mode_tolerance(&self, mode: HvpMode) -> f64 {
        let (ad_tol, fd_tol) = tolerances::<T>();
        match mode {
            // One-sided differences: error O(√u).
            HvpMode::ForwardDifference => 1e2 * T::DTYPE.unit_roundoff().sqrt(),
            HvpMode::CentralDifference => fd_tol,
            _ => ad_tol,
        }
    }

    /// Cross-checks this operator's product against `other` mode on a
    /// seeded random direction: `‖H₁v − H₂v‖ / ‖H₁v‖`. Against a
    /// finite-difference mode the finite-difference tolerance applies.
    pub fn check_modes(&self, other: HvpMode, seed: u64) -> Result<SelfCheck> {
        let tol = self
            .mode_tolerance(self.mode())
            .max(self.mode_tolerance(other));
        let reference = |v: &[T]| self.function().hvp_with(self.point(), v, other);
        check_against(
            self,
            &format!("{} vs {}", self.mode().name(), other.name()),
            &reference,
            tol,
            seed,
        )
    }

    /// Spot check against central differences of the gradient along a
    /// seeded random direction.
    pub fn check_finite_differences(&self, seed: u64) -> Result<SelfCheck> {
        let mut c = self.check_modes(HvpMode::CentralDifference, seed)?;
        c.name = format!("{} vs central differences", self.mode().name());
        Ok(c)
    }
}
