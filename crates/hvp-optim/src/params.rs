//! Parameters, with their documented defaults.
//!
//! Tolerances default to powers of the machine epsilon `ε` of the element
//! type, so the same defaults suit `f32` and `f64`.
//!
//! ```
//! use hvp_optim::{NewtonCgParams, Termination, TrustRegionParams};
//! let t = Termination::<f64>::default();
//! assert!((t.gtol_abs - f64::EPSILON.sqrt()).abs() < 1e-20);
//! assert_eq!(t.max_iters, 1000);
//! let p = NewtonCgParams::<f32> { termination: Termination { max_iters: 50, ..Default::default() }, ..Default::default() };
//! assert!(p.damping.is_none());
//! assert!((TrustRegionParams::<f64>::default().max_radius - 1e3).abs() < 1e-9);
//! ```

use crate::OptimError;
use hvp_tensor::Float;
use std::time::Duration;

/// When a run stops (shared by every method).
///
/// **Gradient test.** Converged when `‖g‖ ≤ gtol`, with
/// `gtol = max(gtol_abs, gtol_rel · ‖g₀‖)`.
///
/// **Step and function tests.** A small step `‖x_{k+1} − x_k‖ ≤ xtol ·
/// (1 + ‖x_k‖)` or a small change `|f_k − f_{k+1}| ≤ ftol · (1 + |f_{k+1}|)`
/// ends the run *only while* `‖g_{k+1}‖ ≤ stall_factor · gtol`. Far from
/// stationarity a short step means the method is struggling, not that it
/// has converged (scipy's Newton-CG stops the 10⁴-variable Rosenbrock at
/// f ≈ 9.9e3 and reports success because its step test is absolute and
/// ignores the gradient); such a run continues and ends, if it must, with
/// [`Status::LineSearchFailed`](crate::Status::LineSearchFailed),
/// [`Status::Stalled`](crate::Status::Stalled) or a limit — never with a
/// convergence status.
///
/// **Saddle probe.** Whenever a convergence test fires, `saddle_probe_steps`
/// Lanczos steps (a seeded random start, full reorthogonalization; at most
/// `n`) estimate the Hessian's smallest eigenvalue. The smallest Ritz value
/// is an upper bound on it, so a Ritz value below `−√ε · max(1, max|θ|)` is
/// proof of negative curvature: Newton-CG reports
/// [`Status::SaddlePoint`](crate::Status::SaddlePoint); the trust-region
/// methods step along the Ritz vector and continue. `0` disables the probe
/// (convergence then means first-order stationarity only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Termination<T> {
    /// Absolute gradient tolerance. Default `√ε` (`1.5e-8` in f64,
    /// `3.5e-4` in f32).
    pub gtol_abs: T,
    /// Gradient tolerance relative to `‖g₀‖`. Default `0`.
    pub gtol_rel: T,
    /// Relative step tolerance. Default `ε^(2/3)` (`3.7e-11` in f64,
    /// `2.5e-5` in f32).
    pub xtol: T,
    /// Relative function-change tolerance. Default `ε`.
    pub ftol: T,
    /// How far above `gtol` the gradient may be for the step and function
    /// tests to count. Default `1e3`.
    pub stall_factor: T,
    /// The most outer iterations. Default `1000`.
    pub max_iters: usize,
    /// Wall-clock limit, checked once per iteration. Default `None`.
    pub time_limit: Option<Duration>,
    /// Lanczos steps of the saddle probe (`0` disables it). Default `20`.
    pub saddle_probe_steps: usize,
    /// Seed of the probe's random start. Default `0`.
    pub seed: u64,
}

impl<T: Float> Default for Termination<T> {
    fn default() -> Self {
        let eps = T::epsilon();
        Termination {
            gtol_abs: eps.sqrt(),
            gtol_rel: T::zero(),
            xtol: eps.powf(T::from_f64(2.0 / 3.0)),
            ftol: eps,
            stall_factor: T::from_f64(1e3),
            max_iters: 1000,
            time_limit: None,
            saddle_probe_steps: 20,
            seed: 0,
        }
    }
}

/// The inexact-Newton forcing sequence: the relative residual `η_k` to
/// which the inner solver (CG or Lanczos) solves the Newton system at
/// iterate `k` (`‖H p + g‖ ≤ η_k ‖g‖`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Forcing<T> {
    /// `η_k = min(½, √‖g_k‖)` (Nocedal–Wright §7.1): superlinear local
    /// convergence, cheap early steps. The default.
    #[default]
    Superlinear,
    /// `η_k = min(½, ‖g_k‖)`: quadratic local convergence.
    Quadratic,
    /// A fixed `η` (a small value gives exact Newton steps).
    Fixed(T),
}

impl<T: Float> Forcing<T> {
    /// `η_k` for the gradient norm `‖g_k‖`.
    ///
    /// ```
    /// use hvp_optim::Forcing;
    /// assert!((Forcing::Superlinear.eta(0.04f64) - 0.2).abs() < 1e-15);
    /// assert!((Forcing::Quadratic.eta(4.0f64) - 0.5).abs() < 1e-15);
    /// ```
    pub fn eta(&self, grad_norm: T) -> T {
        let half = T::from_f64(0.5);
        match *self {
            Forcing::Superlinear => half.min(grad_norm.sqrt()),
            Forcing::Quadratic => half.min(grad_norm),
            Forcing::Fixed(eta) => eta,
        }
    }

    fn validate(&self, method: &'static str) -> Result<(), OptimError> {
        match *self {
            Forcing::Fixed(eta) if !(eta.is_finite() && eta >= T::zero() && eta < T::one()) => {
                Err(bad(
                    method,
                    "forcing",
                    format!("a fixed η must be in [0, 1), got {eta}"),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Levenberg–Marquardt damping of Newton-CG: CG solves `(H + λI) p = −g`
/// and `λ` adapts to how well the undamped quadratic model predicted the
/// step: `ρ = (f(x) − f(x + αp)) / −(α gᵀp + ½ α² pᵀHp)`; `λ ← decrease · λ`
/// when `ρ > ¾`, `λ ← increase · λ` when `ρ < ¼` or CG met negative
/// curvature, clamped to `[min, max]` (Martens' Hessian-free schedule).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Damping<T> {
    /// The first `λ`. Default `1`.
    pub initial: T,
    /// Factor applied on a poor prediction. Default `3/2`.
    pub increase: T,
    /// Factor applied on a good prediction. Default `2/3`.
    pub decrease: T,
    /// Smallest `λ`. Default `0`.
    pub min: T,
    /// Largest `λ`. Default `1e10`.
    pub max: T,
}

impl<T: Float> Default for Damping<T> {
    fn default() -> Self {
        Damping {
            initial: T::one(),
            increase: T::from_f64(1.5),
            decrease: T::from_f64(2.0 / 3.0),
            min: T::zero(),
            max: T::from_f64(1e10),
        }
    }
}

/// Parameters of [`newton_cg`](crate::newton_cg()).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonCgParams<T> {
    /// Stopping rules.
    pub termination: Termination<T>,
    /// Sufficient-decrease constant of the strong Wolfe conditions.
    /// Default `1e-4`.
    pub c1: T,
    /// Curvature constant of the strong Wolfe conditions. Default `0.9`.
    pub c2: T,
    /// The most objective evaluations per line search. Default `40`.
    pub max_line_search_evals: usize,
    /// The most CG steps per Newton step; `None` (default) is CG's `10 n`.
    pub cg_max_iters: Option<usize>,
    /// The forcing sequence. Default [`Forcing::Superlinear`].
    pub forcing: Forcing<T>,
    /// Levenberg–Marquardt damping; `None` (default) for none.
    pub damping: Option<Damping<T>>,
}

impl<T: Float> Default for NewtonCgParams<T> {
    fn default() -> Self {
        NewtonCgParams {
            termination: Termination::default(),
            c1: T::from_f64(1e-4),
            c2: T::from_f64(0.9),
            max_line_search_evals: 40,
            cg_max_iters: None,
            forcing: Forcing::Superlinear,
            damping: None,
        }
    }
}

/// Parameters of the trust-region methods
/// ([`trust_region_cg`](crate::trust_region_cg()) and
/// [`trust_region_lanczos`](crate::trust_region_lanczos())).
///
/// The radius update (Nocedal–Wright Alg. 4.1, with the shrink taken from
/// the step actually tried): with `ρ = (f(x) − f(x+p)) / (m(0) − m(p))`,
/// `Δ ← ¼ ‖p‖` if `ρ < ¼` (or `f(x+p)` is not finite); `Δ ← min(2Δ,
/// max_radius)` if `ρ > ¾` and `p` reached the boundary; the step is
/// accepted when `ρ > eta`. When both reductions are below `10 ε (1 + |f|)`
/// rounding decides their ratio, and `ρ = 1` is used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustRegionParams<T> {
    /// Stopping rules.
    pub termination: Termination<T>,
    /// The first radius `Δ₀`. Default `1`.
    pub initial_radius: T,
    /// The largest radius. Default `1e3`.
    pub max_radius: T,
    /// Acceptance threshold `η` on `ρ`, in `[0, ¼)`. Default `1e-4`.
    pub eta: T,
    /// The most CG steps per subproblem (Steihaug); `None` (default) is
    /// CG's `10 n`.
    pub cg_max_iters: Option<usize>,
    /// The most Lanczos steps per subproblem (GLTR), capped at `n`.
    /// Default `100`.
    pub lanczos_max_steps: usize,
    /// The forcing sequence of the inner solvers. Default
    /// [`Forcing::Superlinear`].
    pub forcing: Forcing<T>,
    /// GLTR: when the Krylov space of `g` becomes invariant before `n`
    /// steps, continue Lanczos from a random vector orthogonal to it, so a
    /// negative eigenvalue the gradient does not see (the hard case) is
    /// found. Default `true`.
    pub explore_invariant: bool,
    /// Step out of saddle points along the probe's negative-curvature
    /// direction instead of stopping there. Default `true`.
    pub escape_saddles: bool,
}

impl<T: Float> Default for TrustRegionParams<T> {
    fn default() -> Self {
        TrustRegionParams {
            termination: Termination::default(),
            initial_radius: T::one(),
            max_radius: T::from_f64(1e3),
            eta: T::from_f64(1e-4),
            cg_max_iters: None,
            lanczos_max_steps: 100,
            forcing: Forcing::Superlinear,
            explore_invariant: true,
            escape_saddles: true,
        }
    }
}

fn bad(method: &'static str, param: &'static str, reason: String) -> OptimError {
    OptimError::InvalidParam {
        method,
        param,
        reason,
    }
}

fn nonneg<T: Float>(method: &'static str, param: &'static str, v: T) -> Result<(), OptimError> {
    if v.is_finite() && v >= T::zero() {
        Ok(())
    } else {
        Err(bad(
            method,
            param,
            format!("must be finite and ≥ 0, got {v}"),
        ))
    }
}

impl<T: Float> Termination<T> {
    pub(crate) fn validate(&self, method: &'static str) -> Result<(), OptimError> {
        nonneg(method, "gtol_abs", self.gtol_abs)?;
        nonneg(method, "gtol_rel", self.gtol_rel)?;
        nonneg(method, "xtol", self.xtol)?;
        nonneg(method, "ftol", self.ftol)?;
        nonneg(method, "stall_factor", self.stall_factor)?;
        Ok(())
    }
}

impl<T: Float> NewtonCgParams<T> {
    pub(crate) fn validate(&self, method: &'static str) -> Result<(), OptimError> {
        self.termination.validate(method)?;
        let (c1, c2) = (self.c1, self.c2);
        if !(c1 > T::zero() && c1 < c2 && c2 < T::one()) {
            return Err(bad(
                method,
                "c1, c2",
                format!("need 0 < c1 < c2 < 1, got c1 = {c1}, c2 = {c2}"),
            ));
        }
        self.forcing.validate(method)?;
        if self.max_line_search_evals == 0 {
            return Err(bad(method, "max_line_search_evals", "must be ≥ 1".into()));
        }
        if let Some(d) = &self.damping {
            nonneg(method, "damping.initial", d.initial)?;
            nonneg(method, "damping.min", d.min)?;
            if !(d.increase >= T::one() && d.increase.is_finite()) {
                return Err(bad(
                    method,
                    "damping.increase",
                    format!("must be ≥ 1, got {}", d.increase),
                ));
            }
            if !(d.decrease > T::zero() && d.decrease <= T::one()) {
                return Err(bad(
                    method,
                    "damping.decrease",
                    format!("must be in (0, 1], got {}", d.decrease),
                ));
            }
            if !(d.max >= d.min) {
                return Err(bad(
                    method,
                    "damping.max",
                    format!("must be ≥ min, got {}", d.max),
                ));
            }
        }
        Ok(())
    }
}

impl<T: Float> TrustRegionParams<T> {
    pub(crate) fn validate(&self, method: &'static str) -> Result<(), OptimError> {
        self.termination.validate(method)?;
        let pos = |param, v: T| {
            if v.is_finite() && v > T::zero() {
                Ok(())
            } else {
                Err(bad(
                    method,
                    param,
                    format!("must be finite and > 0, got {v}"),
                ))
            }
        };
        pos("initial_radius", self.initial_radius)?;
        pos("max_radius", self.max_radius)?;
        if self.initial_radius > self.max_radius {
            return Err(bad(
                method,
                "initial_radius",
                format!(
                    "{} exceeds max_radius {}",
                    self.initial_radius, self.max_radius
                ),
            ));
        }
        if !(self.eta >= T::zero() && self.eta < T::from_f64(0.25)) {
            return Err(bad(
                method,
                "eta",
                format!("must be in [0, 1/4), got {}", self.eta),
            ));
        }
        self.forcing.validate(method)?;
        if self.lanczos_max_steps == 0 {
            return Err(bad(method, "lanczos_max_steps", "must be ≥ 1".into()));
        }
        Ok(())
    }
}
