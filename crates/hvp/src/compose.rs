//! Compositions of primitives: activations, normalizers and losses.
//!
//! None of these is a primitive; each is written over primitives in the
//! numerically stable form, so its derivatives of every order come from the
//! primitives' rules.

use crate::Tensor;
use hvp_ir::CmpOp;

impl Tensor {
    /// `1 / (1 + e^-x)`, computed as `(1 + tanh(x/2)) / 2`, which never
    /// overflows.
    #[track_caller]
    pub fn sigmoid(&self) -> Tensor {
        0.5 * (self * 0.5).tanh() + 0.5
    }

    /// `ln(1 + e^x)`, computed as `relu(x) + ln(1 + e^u)` with `u = −|x|`
    /// written as a selection (`−x` for `x > 0`, else `x`), so `e^u ≤ 1`
    /// never overflows and every derivative is that of one smooth branch —
    /// including at `x = 0`, where `softplus'' = 1/4`.
    #[track_caller]
    pub fn softplus(&self) -> Tensor {
        let positive = self.compare_scalar(CmpOp::Gt, 0.0);
        let u = positive.select(&-self, self);
        self.relu() + u.exp().ln_1p()
    }

    /// `max(x, 0)` with derivative 0 at 0.
    #[track_caller]
    pub fn relu(&self) -> Tensor {
        let zero = self.scalar(0.0);
        self.compare_scalar(CmpOp::Gt, 0.0).select(self, &zero)
    }

    /// `ln Σ e^x` over `axes`, shifted by the (gradient-stopped) maximum so
    /// it never overflows.
    #[track_caller]
    pub fn logsumexp(&self, axes: &[usize]) -> Tensor {
        let shape = self.shape().to_vec();
        let m = self.max_axes(axes).stop_gradient();
        let shifted = self - m.expand_reduced(axes, &shape);
        shifted.exp().sum_axes(axes).ln() + m
    }

    /// `x - logsumexp(x)` along `axis`.
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Tensor {
        let shape = self.shape().to_vec();
        self - self.logsumexp(&[axis]).expand_reduced(&[axis], &shape)
    }

    /// `e^x / Σ e^x` along `axis`.
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Tensor {
        self.log_softmax(axis).exp()
    }

    /// Mean softmax cross-entropy of `self` (logits, `[batch, classes]`)
    /// against integer `labels` (`[batch]`, class indices held as floats).
    #[track_caller]
    pub fn cross_entropy(&self, labels: &Tensor) -> Tensor {
        let n = labels.numel();
        let logp = self.log_softmax(1);
        let picked = logp.take_along_axis(&labels.reshape(&[n, 1]), 1);
        -picked.mean()
    }

    /// Mean squared error `mean((self - target)²)`.
    #[track_caller]
    pub fn mse(&self, target: &Tensor) -> Tensor {
        (self - target).square().mean()
    }
}
