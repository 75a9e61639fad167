//! SplitMix64: a tiny, fully specified generator, so the data sets of this
//! crate (the logistic regression's, the MLP workload's) are defined by
//! this crate alone, not by a random-number crate's stream.
//!
//! The two data sets draw their uniforms slightly differently (one avoids
//! 0 by half a step, the other clamps before the logarithm); both are kept
//! as they are so every instance and every benchmark figure stays
//! reproducible.

/// The generator's state.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`: 53 random bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `(0, 1)`: 53 random bits, offset by half a step so
    /// neither end is reached.
    pub(crate) fn uniform_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal by Box–Muller from two [`uniform_open`] draws
    /// (the logistic regression's data).
    ///
    /// [`uniform_open`]: SplitMix64::uniform_open
    pub(crate) fn normal_open(&mut self) -> f64 {
        let (u1, u2) = (self.uniform_open(), self.uniform_open());
        box_muller(u1, u2)
    }

    /// A standard normal by Box–Muller from two [`uniform`] draws, the first
    /// kept off 0 (the MLP workload's data).
    ///
    /// [`uniform`]: SplitMix64::uniform
    pub(crate) fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform().max(1e-300), self.uniform());
        box_muller(u1, u2)
    }
}

fn box_muller(u1: f64, u2: f64) -> f64 {
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn the_reference_stream() {
        // SplitMix64 seeded with 0: the first outputs of the reference
        // implementation (Vigna, splitmix64.c).
        let mut r = SplitMix64(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn uniforms_stay_in_their_intervals() {
        let mut r = SplitMix64(3);
        for _ in 0..10_000 {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            let o = r.uniform_open();
            assert!(o > 0.0 && o < 1.0);
        }
    }
}
