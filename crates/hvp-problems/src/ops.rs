//! Tensor building blocks the problems share: constant vectors, index
//! vectors, shifts with zero fill and prefix sums.
//!
//! The IR has no constant arrays (only scalar literals), so a constant vector
//! is either a concatenation of splatted literals (for the short data tables
//! of the fitting problems) or computed from an index vector built by
//! doubling (`O(log n)` equations, `O(n)` work per call), which keeps the
//! graphs of the variable-dimension problems small at any `n`.

use hvp::Tensor;

/// A constant vector holding `values` in the trace of `like`; runs of equal
/// values share one splatted literal. `values` must not be empty.
pub(crate) fn table(like: &Tensor, values: &[f64]) -> Tensor {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        while j < values.len() && values[j].to_bits() == values[i].to_bits() {
            j += 1;
        }
        parts.push(like.scalar(values[i]).broadcast_to(&[j - i]));
        i = j;
    }
    parts[0].concat(&parts[1..], 0)
}

/// A vector of `n` copies of `v` (`n >= 1`).
pub(crate) fn fill(like: &Tensor, v: f64, n: usize) -> Tensor {
    like.scalar(v).broadcast_to(&[n])
}

/// `[0, 1, …, n − 1]` (`n >= 1`), built by doubling.
pub(crate) fn iota(like: &Tensor, n: usize) -> Tensor {
    let mut a = fill(like, 0.0, 1);
    let mut len = 1;
    while len < n {
        let b = &a + len as f64;
        a = a.concat(&[b], 0);
        len *= 2;
    }
    if len > n {
        a = a.slice_axis(0, 0, n, 1);
    }
    a
}

/// `[1, 2, …, n]`: the paper's 1-based indices.
pub(crate) fn index1(like: &Tensor, n: usize) -> Tensor {
    iota(like, n) + 1.0
}

/// `out[i] = v[i − k]` for `i >= k`, zero before (a vector of length `n`).
pub(crate) fn shift_down(v: &Tensor, k: usize) -> Tensor {
    let n = v.numel();
    if k >= n {
        return v * 0.0;
    }
    v.slice_axis(0, 0, n - k, 1).pad(&[k], &[0])
}

/// `out[i] = v[i + k]` for `i + k < n`, zero after.
pub(crate) fn shift_up(v: &Tensor, k: usize) -> Tensor {
    let n = v.numel();
    if k >= n {
        return v * 0.0;
    }
    v.slice_axis(0, k, n, 1).pad(&[0], &[k])
}

/// Inclusive prefix sums `out[i] = Σ_{j ≤ i} v[j]` (Hillis–Steele: `⌈log₂ n⌉`
/// shifted additions, so every derivative is again a few shifts).
pub(crate) fn cumsum(v: &Tensor) -> Tensor {
    let n = v.numel();
    let mut s = v.clone();
    let mut k = 1;
    while k < n {
        s = &s + shift_down(&s, k);
        k *= 2;
    }
    s
}

/// Concatenates scalars and vectors into one vector.
pub(crate) fn cat(parts: &[Tensor]) -> Tensor {
    let flat: Vec<Tensor> = parts
        .iter()
        .map(|p| {
            if p.rank() == 0 {
                p.reshape(&[1])
            } else {
                p.clone()
            }
        })
        .collect();
    flat[0].concat(&flat[1..], 0)
}

/// Interleaves equally long vectors: `[a₀, b₀, …, a₁, b₁, …]`, the paper's
/// order for residuals defined in groups (extended Rosenbrock, Powell).
pub(crate) fn interleave(parts: &[Tensor]) -> Tensor {
    let k = parts[0].numel();
    let total = k * parts.len();
    parts[0].stack(&parts[1..], 1).reshape(&[total])
}

/// The scalar `x[i]` (0-based; the paper's `x_{i+1}`).
pub(crate) fn at(x: &Tensor, i: usize) -> Tensor {
    x.index_axis(0, i)
}
