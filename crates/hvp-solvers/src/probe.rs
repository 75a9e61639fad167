//! Seeded random probe vectors for the stochastic estimators and random
//! start vectors.
//!
//! The generator is xoshiro256++ seeded through SplitMix64, written here so
//! that a seed gives the same probes on every platform and in every version
//! of this crate, independent of any random-number crate's stream
//! stability. Gaussian entries use the Box–Muller transform.
//!
//! ```
//! use hvp_linop::Dense;
//! use hvp_solvers::{hutchinson, Probe, SamplingParams};
//! let a = Dense::<f64>::identity(4);
//! let p = SamplingParams { samples: 3, probe: Probe::Rademacher, ..Default::default() };
//! let (est, _) = hutchinson(&a, &p).unwrap();
//! // zᵀ I z = ‖z‖² = n for every Rademacher probe: no variance at all.
//! assert!(est.samples.iter().all(|&s| (s - 4.0).abs() < 1e-12));
//! ```

use hvp_tensor::Float;

/// The distribution of probe entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Probe {
    /// `±1` with equal probability: the minimum-variance choice for
    /// Hutchinson's estimator (variance `2 Σ_{i≠j} a_ij²` for symmetric `A`).
    #[default]
    Rademacher,
    /// Standard normal entries (variance `2 ‖A‖_F²` for symmetric `A`).
    Gaussian,
}

/// xoshiro256++ (Blackman & Vigna), seeded by SplitMix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
    /// The second Box–Muller value, kept for the next Gaussian draw.
    spare: Option<f64>,
}

impl Rng {
    /// A generator whose stream is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
            spare: None,
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `(0, 1]` (never 0, so its logarithm is finite).
    fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal value.
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = self.uniform_open0();
        let u2 = self.uniform_open0();
        let r = (-2.0 * u1.ln()).sqrt();
        let t = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * t.sin());
        r * t.cos()
    }

    /// Fills `v` with probe entries.
    pub(crate) fn fill<T: Float>(&mut self, probe: Probe, v: &mut [T]) {
        match probe {
            Probe::Rademacher => {
                let mut bits = 0u64;
                for (i, x) in v.iter_mut().enumerate() {
                    if i % 64 == 0 {
                        bits = self.next_u64();
                    }
                    *x = if bits & 1 == 1 { T::one() } else { -T::one() };
                    bits >>= 1;
                }
            }
            Probe::Gaussian => {
                for x in v.iter_mut() {
                    *x = T::from_f64(self.normal());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed_by_the_seed() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::new(8);
        let (x, y, z) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn normals_have_unit_variance_and_rademacher_is_balanced() {
        let mut r = Rng::new(1);
        let m = 200_000;
        let v: Vec<f64> = (0..m).map(|_| r.normal()).collect();
        let mean = v.iter().sum::<f64>() / m as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / m as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
            "{mean} {var}"
        );
        let mut z = vec![0.0f64; m];
        r.fill(Probe::Rademacher, &mut z);
        assert!(z.iter().all(|x| x.abs() > 0.5 && x.abs() < 1.5));
        assert!(z.iter().sum::<f64>().abs() < 2000.0);
    }
}
