//! Test helpers for hvp: finite differences and tolerance tables.
//!
//! This crate is a dev-dependency only. It knows nothing about graphs: it
//! differentiates plain closures numerically, so it is an oracle independent
//! of the transforms it checks.
//!
//! ```
//! use hvp_testkit::{central_jvp, Tolerance};
//! // d/dt sin(x + t v) at t = 0 is cos(x) v
//! let j = central_jvp(|x: &[f64]| vec![x[0].sin()], &[0.5], &[2.0], 1e-5);
//! assert!(Tolerance::FD_F64.close(j[0], 0.5f64.cos() * 2.0));
//! ```

/// An absolute-plus-relative tolerance: `|a - b| <= abs + rel * max(|a|, |b|)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Absolute part.
    pub abs: f64,
    /// Relative part.
    pub rel: f64,
}

impl Tolerance {
    /// Exact AD against exact AD (or an analytic formula) in f64.
    pub const AD_F64: Tolerance = Tolerance {
        abs: 1e-12,
        rel: 1e-10,
    };
    /// Exact AD against exact AD (or an analytic formula) in f32.
    pub const AD_F32: Tolerance = Tolerance {
        abs: 1e-4,
        rel: 1e-4,
    };
    /// AD against central differences in f64 (error `O(h²) + O(u/h)` with
    /// `h ≈ 1e-5` gives about 1e-10 on well-scaled functions; the margin
    /// covers curvature up to a few hundred).
    pub const FD_F64: Tolerance = Tolerance {
        abs: 1e-6,
        rel: 1e-6,
    };
    /// Fast executor against the reference evaluator in f64.
    pub const EXEC_F64: Tolerance = Tolerance {
        abs: 1e-13,
        rel: 1e-12,
    };
    /// Fast executor against the reference evaluator in f32.
    pub const EXEC_F32: Tolerance = Tolerance {
        abs: 1e-6,
        rel: 1e-5,
    };

    /// Whether `a` and `b` agree (NaN never agrees).
    pub fn close(&self, a: f64, b: f64) -> bool {
        (a - b).abs() <= self.abs + self.rel * a.abs().max(b.abs())
    }

    /// The index and values of the first disagreement of two slices, if any;
    /// also `Some` when the lengths differ.
    pub fn first_mismatch(&self, a: &[f64], b: &[f64]) -> Option<(usize, f64, f64)> {
        if a.len() != b.len() {
            return Some((a.len().min(b.len()), f64::NAN, f64::NAN));
        }
        a.iter()
            .zip(b)
            .enumerate()
            .find(|(_, (x, y))| !self.close(**x, **y))
            .map(|(i, (x, y))| (i, *x, *y))
    }

    /// Like [`Tolerance::close`] on vectors, comparing each entry against a
    /// scale of the whole vector (so tiny entries of a large vector are not
    /// held to a relative bound their rounding cannot meet).
    pub fn close_vec(&self, a: &[f64], b: &[f64]) -> bool {
        let scale = a.iter().chain(b).fold(0.0_f64, |m, x| m.max(x.abs()));
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= self.abs + self.rel * scale)
    }
}

/// Central difference `(f(x + h t) - f(x - h t)) / 2h` of a vector function.
pub fn central_jvp(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], t: &[f64], h: f64) -> Vec<f64> {
    let shift = |s: f64| -> Vec<f64> { x.iter().zip(t).map(|(a, b)| a + s * b).collect() };
    let p = f(&shift(h));
    let m = f(&shift(-h));
    p.iter().zip(&m).map(|(a, b)| (a - b) / (2.0 * h)).collect()
}

/// Fourth-order central difference
/// `(-f(x+2ht) + 8f(x+ht) - 8f(x-ht) + f(x-2ht)) / 12h`: error `O(h⁴)`.
pub fn central_jvp4(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], t: &[f64], h: f64) -> Vec<f64> {
    let at = |s: f64| -> Vec<f64> {
        let y: Vec<f64> = x.iter().zip(t).map(|(a, b)| a + s * b).collect();
        f(&y)
    };
    let (p2, p1, m1, m2) = (at(2.0 * h), at(h), at(-h), at(-2.0 * h));
    (0..p1.len())
        .map(|i| (-p2[i] + 8.0 * p1[i] - 8.0 * m1[i] + m2[i]) / (12.0 * h))
        .collect()
}

/// `⟨a, b⟩`
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A small deterministic generator (SplitMix64) for test data, so tests do
/// not depend on a random-number crate's stream stability.
#[derive(Clone, Debug)]
pub struct TestRng(u64);

impl TestRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        TestRng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }

    /// `n` values uniform in `[lo, hi)`.
    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_differences_have_their_stated_order() {
        let f = |x: &[f64]| vec![x[0].exp()];
        let exact = 1.0_f64.exp();
        let e2 = (central_jvp(f, &[1.0], &[1.0], 1e-3)[0] - exact).abs();
        let e4 = (central_jvp4(f, &[1.0], &[1.0], 1e-3)[0] - exact).abs();
        assert!(e2 < 1e-6 && e2 > 1e-8, "{e2}");
        assert!(e4 < 1e-10, "{e4}");
    }

    #[test]
    fn tolerance_rejects_nan_and_far_values() {
        assert!(!Tolerance::AD_F64.close(f64::NAN, 0.0));
        assert!(!Tolerance::AD_F64.close(1.0, 1.0 + 1e-6));
        assert!(Tolerance::AD_F64.close(1.0, 1.0 + 1e-12));
    }
}
