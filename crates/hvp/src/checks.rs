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

use crate::{Error, Function, HessianOperator, HvpMode, Real, Result};
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
    /// `discrepancy <= tolerance` (and both finite); for the
    /// finite-difference check, also that the tolerance is narrow enough to
    /// tell the product from zero (see [`check_finite_differences`]).
    pub passed: bool,
    /// How the tolerance was made, for the finite-difference spot check
    /// (`None` for the checks held to a fixed tolerance).
    pub difference: Option<DifferenceTolerance>,
    /// The check could not decide: rounding swamps the reference here (see
    /// [`check_finite_differences`]), so nothing was verified and nothing
    /// found against the operator. `passed` is then false; callers that
    /// collect verdicts should not count it as a failure either. Seen in
    /// `f32` on badly scaled problems; check in `f64` instead.
    pub inconclusive: bool,
    /// Why the check is inconclusive or failed beyond its numbers, if there
    /// is more to say.
    pub note: Option<String>,
}

impl SelfCheck {
    fn new(name: String, discrepancy: f64, tolerance: f64) -> SelfCheck {
        SelfCheck {
            passed: discrepancy.is_finite() && discrepancy <= tolerance,
            name,
            discrepancy,
            tolerance,
            difference: None,
            inconclusive: false,
            note: None,
        }
    }
}

/// The parts of the finite-difference spot check's tolerance (see
/// [`check_finite_differences`]). All but `step` and `safety` are relative
/// to the check's scale `max(‖Hv‖, ‖D(h)‖)`, like the discrepancy, and
/// `tolerance = operator + safety · (truncation + rounding)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DifferenceTolerance {
    /// The step `h` along the probe direction `v` the differences were
    /// taken at: the nominal step, or where the check moved it.
    pub step: f64,
    /// The step the check started from, that of
    /// [`HvpMode::CentralDifference`]: `∛u (1 + ‖x‖) / ‖v‖`.
    pub nominal_step: f64,
    /// Truncation error of `D(h)`, estimated from a second step
    /// (Richardson): `‖D(h) − D(2h)‖ / 3`.
    pub truncation: f64,
    /// Rounding error of `D(h)`, estimated from the size of the gradients
    /// it differences: `u (‖∇f(x + hv)‖ + ‖∇f(x − hv)‖) / 2h`, plus
    /// `u ‖x‖ ‖D(h)‖ / (‖v‖ h)` for the rounding of the shifted points.
    pub rounding: f64,
    /// The factor the estimated error of `D(h)` is multiplied by.
    pub safety: f64,
    /// The error allowed to the product under test itself: the AD
    /// tolerance of [`tolerances`], or the difference tolerance of the
    /// operator's own mode for a difference-mode operator.
    pub operator: f64,
}

impl std::fmt::Display for SelfCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: discrepancy {:.2e} (tolerance {:.1e}) {}",
            self.name,
            self.discrepancy,
            self.tolerance,
            match (self.passed, self.inconclusive) {
                (true, _) => "PASS",
                (false, true) => "INCONCLUSIVE",
                (false, false) => "FAIL",
            }
        )?;
        match &self.note {
            Some(n) => write!(f, " ({n})"),
            None => Ok(()),
        }
    }
}

/// Tolerances of the self-checks per dtype, in units of the unit roundoff
/// `u` (1.1e-16 for f64, 6.0e-8 for f32):
/// - symmetry and mode agreement: `1e4 · u` relative (AD products differ
///   only by rounding, amplified by the length of the computation);
/// - finite differences: `2e2 · u^(2/3)` relative (central differences with
///   the step of [`HvpMode::CentralDifference`] have error `O(u^(2/3))`
///   times the scale of the fourth derivative). This nominal figure holds a
///   *central-difference operator* (its symmetry, its cross-checks); the
///   finite-difference spot check of an operator ([`check_finite_differences`])
///   does not use it but estimates the error of its differences at the
///   point, since rounding makes them far worse than `u^(2/3)` wherever the
///   gradient is large compared with `‖Hv‖`.
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
    Ok(symmetry_probe(op, seed)?.0)
}

/// [`check_symmetry`] with its probes `u`, `v` and scale
/// `‖u‖‖Av‖ + ‖v‖‖Au‖`, for callers that refine the tolerance.
fn symmetry_probe<T: Real>(
    op: &dyn LinOp<T>,
    seed: u64,
) -> Result<(SelfCheck, Vec<T>, Vec<T>, f64)> {
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
    let c = SelfCheck::new(
        format!("symmetry of {}: uᵀAv = vᵀAu", op.name()),
        d,
        tolerances::<T>().0,
    );
    Ok((c, u, v, scale))
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

/// The safety factor of the finite-difference spot check. The error
/// estimate of the difference quotient is first order (the leading
/// truncation term, one rounding per gradient entry), so the comparison
/// allows a few times more. On the 37 built-in problems at their standard
/// starts, 13 probe directions each, the true error of `D(h)` at the step
/// the check settles on was at most 2 times the estimate, in `f64` (1.96)
/// and in `f32` (1.82) (gradients with cancelling terms round more than
/// `u ‖∇f‖`); 6 leaves a factor 3 over that, and still flags a product
/// wrong by a relative `1e-4` where rounding is worst, at the start of
/// Brown's badly scaled function (tolerance about `1e-6` there).
pub const DIFFERENCE_SAFETY: f64 = 6.0;

/// Finite-difference spot check of any operator claiming to be `∇²f(x)`:
/// compares `A v` with the central difference of the gradient
/// `D(h) = (∇f(x + hv) − ∇f(x − hv)) / 2h` along a seeded random direction
/// `v`, starting from the step of [`HvpMode::CentralDifference`],
/// `h₀ = ∛u (1 + ‖x‖) / ‖v‖` (`u` the unit roundoff of `T`).
///
/// The discrepancy is `‖A v − D(h)‖ / s`, `s = max(‖A v‖, ‖D(h)‖)`. The
/// tolerance is not a constant but the error `D(h)` has at this point,
/// estimated: `D(h) = Hv + E_t + E_r` with
/// - truncation `E_t ≈ (h²/6) ∇⁴f(x)[v, v, v]`, estimated from a second
///   quotient at `2h` (Richardson): `D(2h) − D(h) ≈ 3 E_t`, so
///   `t = ‖D(h) − D(2h)‖ / 3` (this also picks up part of the rounding
///   noise, which differs between the two steps);
/// - rounding `E_r`: each gradient carries an error of about `u` times its
///   size, divided by `2h`: `r = u (‖∇f(x + hv)‖ + ‖∇f(x − hv)‖) / 2h`, plus
///   `u ‖x‖ ‖D(h)‖ / (‖v‖ h)` for the rounding of `x ± hv` (a shift error
///   `u ‖x‖` seen through `‖H‖ ≈ ‖D(h)‖ / ‖v‖`).
///
/// Relative to `‖Hv‖` the rounding part is about
/// `u^(2/3) ‖∇f‖ ‖v‖ / ((1 + ‖x‖) ‖Hv‖)`: far above the nominal `u^(2/3)`
/// where the gradient is large compared with `Hv`. At the start of Brown's
/// badly scaled function (`‖∇f‖ = 2e6`, `Hv = 4v`) it is estimated at
/// `5e-6` in `f64` (true error `4e-7`); at the starts of Meyer's and
/// Osborne's fits the truncation part dominates instead (`1e-7`, `6e-7`).
///
/// So the step moves, by factors of 2 and at most 2⁸ times, where the
/// estimated error at `h₀` exceeds `∛u` (it aims at `u^(2/3)`) and one part
/// clearly dominates, for as long as the estimated total falls: larger
/// while rounding dominates (by 2×), up to the first step where truncation
/// takes over; smaller while truncation dominates (by 100× to start, 10× to
/// go on, since the rounding estimate runs low where gradient terms
/// cancel), until the error is below `∛u`. Brown's function in `f64` thus
/// gets a tolerance of about `1e-6` instead of `3e-5`; in `f32` a
/// conclusive check instead of none; Meyer's and Osborne's fits in `f32`
/// differences that settle. [`DifferenceTolerance::step`] and
/// [`DifferenceTolerance::nominal_step`] say where it went.
///
/// The check passes when `discrepancy ≤ tol_A + safety · (t + r) / s`,
/// i.e. `‖A v − D(h)‖ ≤ tol_A · s + safety · (t + r)`, with `safety =`
/// [`DIFFERENCE_SAFETY`] and `tol_A` the AD tolerance of [`tolerances`], the
/// error allowed to the product under test. The estimate is made from the
/// gradients alone, so a wrong operator cannot loosen its own check; its
/// parts are in [`SelfCheck::difference`].
///
/// Where the estimated error is as large as the differences themselves,
/// `safety · (t + r) ≥ ‖D(h)‖`, the tolerance would admit even a zero
/// product, so the check does not pass (unless `A v = D(h)` exactly, as
/// where `f` is linear along `v`). When rounding dominates (`r ≥ t`:
/// the precision cannot resolve `Hv` here, as on badly scaled problems in
/// `f32`) it is [`SelfCheck::inconclusive`]; when truncation dominates it
/// fails: the gradient changes over the step by as much as `Hv` itself, so
/// `f` is not twice differentiable at `x` (a kink) or not smooth at the
/// scale of `h`. A product that misses even that wide tolerance fails as
/// usual. Four gradients are computed, two more per move of the step.
pub fn check_finite_differences<T: Real>(
    op: &dyn LinOp<T>,
    f: &Function,
    x: &[T],
    seed: u64,
) -> Result<SelfCheck> {
    let name = format!("{} vs central differences", op.name());
    difference_check(op, f, x, &|_, _| Ok(tolerances::<T>().0), name, seed)
}

/// The error allowed to the product under test, given the probe `v` and
/// the product `Av`.
type OwnTolerance<'a, T> = &'a dyn Fn(&[T], &[T]) -> Result<f64>;

/// [`check_finite_differences`] with the product's own tolerance from
/// `own_tol`.
fn difference_check<T: Real>(
    op: &dyn LinOp<T>,
    f: &Function,
    x: &[T],
    own_tol: OwnTolerance<'_, T>,
    name: String,
    seed: u64,
) -> Result<SelfCheck> {
    let n = op.ncols();
    if f.num_params() != n || op.nrows() != n {
        return Err(Error::Invalid(format!(
            "finite-difference check: {} is {}×{} but f has {} parameters",
            op.name(),
            op.nrows(),
            n,
            f.num_params()
        )));
    }
    let v: Vec<T> = probe(n, seed);
    let mut av = vec![T::zero(); n];
    op.apply(&v, &mut av)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let own_tol = own_tol(&v, &av)?;
    let h = f.difference_step(x, &v, HvpMode::CentralDifference)?;
    let hf = Float::to_f64(h);
    let u = T::DTYPE.unit_roundoff();
    let mut parts = DifferenceTolerance {
        step: hf,
        nominal_step: hf,
        truncation: 0.0,
        rounding: 0.0,
        safety: DIFFERENCE_SAFETY,
        operator: own_tol,
    };
    if hf == 0.0 {
        // v = 0: nothing to compare (H·0 = 0).
        let mut c = SelfCheck::new(name, relative_gap(&av, &vec![T::zero(); n]), own_tol);
        c.difference = Some(parts);
        return Ok(c);
    }
    let av: Vec<f64> = av.iter().map(|&a| Float::to_f64(a)).collect();
    let vnorm = norm(&v);
    let xnorm = f.param_norm(x);
    let step = |j: i32| hf * 2f64.powi(j);
    // Quotients at the steps `h 2^j`, computed as the search needs them.
    let mut quotients: std::collections::BTreeMap<i32, (Vec<f64>, f64)> = Default::default();
    let mut quotient_at = |j: i32| -> Result<(Vec<f64>, f64)> {
        if let Some(q) = quotients.get(&j) {
            return Ok(q.clone());
        }
        let q = gradient_quotient(f, x, &v, T::from_f64(step(j)), None)?;
        quotients.insert(j, q.clone());
        Ok(q)
    };
    // The estimate at step `h 2^j`: its quotient, truncation and rounding.
    let mut estimate = |j: i32| -> Result<StepEstimate> {
        let (d, g) = quotient_at(j)?;
        let (d2, _) = quotient_at(j + 1)?;
        let (truncation, rounding) = quotient_error(&d, &d2, g, step(j), true, u, xnorm / vnorm);
        Ok(StepEstimate {
            j,
            d,
            g,
            truncation,
            rounding,
        })
    };
    // Start at the nominal step and move it only where one error clearly
    // dominates, while the estimated total keeps falling: smaller steps
    // where the gradient changes too fast for `h` (steep exponentials in
    // f32), larger ones where rounding swamps the differences (large
    // gradients around a small `Hv`). A smaller step stops short of the
    // regime where rounding dominates: that estimate runs low where
    // gradient terms cancel (as on the trigonometric function), while the
    // truncation estimate, a measured difference, also sees the noise.
    let mut best = estimate(0)?;
    // Good enough: the nominal step aims at an error of order u^(2/3);
    // only one clearly worse than that, past ∛u, is worth more gradients.
    // Sharper differences would also start to see the rounding of the
    // product under test itself on ill-conditioned problems (the
    // trigonometric function's in f32).
    let good = |e: &StepEstimate| e.truncation + e.rounding <= u.cbrt() * norm(&e.d);
    let direction = if good(&best) {
        0
    } else if best.truncation > STEP_SHRINK_MARGIN * STEP_SHRINK_MARGIN * best.rounding {
        -1
    } else if best.rounding > STEP_GROW_MARGIN * best.truncation {
        1
    } else {
        0
    };
    for _ in 0..if direction == 0 { 0 } else { MAX_STEP_MOVES } {
        let next = estimate(best.j + direction)?;
        let better = next.truncation + next.rounding < best.truncation + best.rounding;
        if !better || (direction < 0 && next.truncation < STEP_SHRINK_MARGIN * next.rounding) {
            break;
        }
        let crossed = direction > 0 && next.truncation > next.rounding;
        best = next;
        if crossed || (direction < 0 && good(&best)) {
            break;
        }
    }
    let StepEstimate {
        d: d1,
        g: g1,
        truncation,
        rounding,
        j,
    } = best;
    parts.step = step(j);
    let scale = norm(&av).max(norm(&d1));
    let gap = distance(&av, &d1);
    let (discrepancy, rel) = if scale == 0.0 {
        (0.0, 0.0)
    } else {
        (gap / scale, 1.0 / scale)
    };
    parts.truncation = truncation * rel;
    parts.rounding = rounding * rel;
    let tolerance = own_tol + DIFFERENCE_SAFETY * (parts.truncation + parts.rounding);
    let mut c = SelfCheck::new(name, discrepancy, tolerance);
    c.difference = Some(parts);
    // Past this the tolerance admits a zero product: the differences
    // cannot vouch for anything, short of agreeing exactly (H = 0 where f
    // is linear or flat along v).
    if c.passed && gap > 0.0 && DIFFERENCE_SAFETY * (truncation + rounding) >= norm(&d1) {
        c.passed = false;
        if rounding >= truncation {
            c.inconclusive = true;
            c.note = Some(format!(
                "inconclusive: rounding in gradients of size {:.1e} swamps their \
                 differences at this precision",
                g1 / 2.0
            ));
        } else {
            c.note = Some(
                "the differences do not settle: their estimated truncation error is \
                 as large as they are (f is not twice differentiable here, or not \
                 smooth at the scale of the step)"
                    .into(),
            );
        }
    }
    Ok(c)
}

/// How far the spot check may move its step from the nominal one, in
/// factors of 2 (each move costs two gradients).
const MAX_STEP_MOVES: usize = 8;

/// How much the truncation estimate must exceed the rounding estimate for
/// the spot check to take smaller steps (squared to start, once to go on):
/// a wide margin, since the rounding estimate runs low where gradient terms
/// cancel.
const STEP_SHRINK_MARGIN: f64 = 10.0;

/// How much the rounding estimate must exceed the truncation estimate for
/// the spot check to take larger steps: larger steps only lower rounding,
/// and the truncation they bring is measured, so a small margin.
const STEP_GROW_MARGIN: f64 = 2.0;

/// The spot check's estimate at the step `h 2^j`.
struct StepEstimate {
    j: i32,
    /// The central quotient `D(h 2^j)`.
    d: Vec<f64>,
    /// The summed norms of the two gradients it differences.
    g: f64,
    truncation: f64,
    rounding: f64,
}

/// The difference quotient of the gradient along `v` at step `step`, in
/// `f64` from gradients in `T`, with the summed norms of the two gradients
/// it differences: central, `(∇f(x + sv) − ∇f(x − sv)) / 2s`, or forward,
/// `(∇f(x + sv) − g0) / s`, when `g0 = ∇f(x)` is given.
fn gradient_quotient<T: Real>(
    f: &Function,
    x: &[T],
    v: &[T],
    step: T,
    g0: Option<&[T]>,
) -> Result<(Vec<f64>, f64)> {
    let plus = f.grad(&f.shifted(x, v, step))?;
    let (minus, denom) = match g0 {
        Some(g0) => (g0.to_vec(), Float::to_f64(step)),
        None => (f.grad(&f.shifted(x, v, -step))?, 2.0 * Float::to_f64(step)),
    };
    let d = plus
        .iter()
        .zip(&minus)
        .map(|(&p, &m)| (Float::to_f64(p) - Float::to_f64(m)) / denom)
        .collect();
    Ok((d, norm(&plus) + norm(&minus)))
}

/// The estimated error `‖Dv − Hv‖` of the product a difference `mode`
/// computes along `v` at `x` (0 for the AD modes), made like the spot
/// check's: truncation from a second quotient at twice the step
/// (Richardson; `D(2h) − D(h) ≈ 3E` for central, `≈ E` for forward
/// differences) plus rounding from the size of the gradients differenced
/// and of the shifted point. `g0` is `∇f(x)`, which forward differences
/// reuse. Two or four gradients.
fn difference_product_error<T: Real>(
    f: &Function,
    x: &[T],
    g0: &[T],
    v: &[T],
    mode: HvpMode,
) -> Result<f64> {
    let central = match mode {
        HvpMode::CentralDifference => true,
        HvpMode::ForwardDifference => false,
        _ => return Ok(0.0),
    };
    let h = Float::to_f64(f.difference_step(x, v, mode)?);
    if h == 0.0 {
        return Ok(0.0);
    }
    let base = (!central).then_some(g0);
    let quotient = |k: f64| gradient_quotient(f, x, v, T::from_f64(k * h), base);
    let (d1, g1) = quotient(1.0)?;
    let (d2, _) = quotient(2.0)?;
    let u = T::DTYPE.unit_roundoff();
    let (truncation, rounding) =
        quotient_error(&d1, &d2, g1, h, central, u, f.param_norm(x) / norm(v));
    Ok(truncation + rounding)
}

/// The estimated error of a gradient quotient `d` at step `h`, given the
/// quotient `d2` at `2h` and the summed norms `g` of the gradients `d`
/// differences, as `(truncation, rounding)`: truncation by Richardson
/// (`d2 − d ≈ 3E` for central, `≈ E` for forward differences); rounding
/// from `u g` over the quotient's denominator, plus the rounding of the
/// shifted point, `u ‖x‖` seen through `‖H‖ ≈ ‖d‖ / ‖v‖` over `h`
/// (`x_over_v = ‖x‖ / ‖v‖`).
fn quotient_error(
    d: &[f64],
    d2: &[f64],
    g: f64,
    h: f64,
    central: bool,
    u: f64,
    x_over_v: f64,
) -> (f64, f64) {
    let truncation = distance(d, d2) / if central { 3.0 } else { 1.0 };
    let denom = if central { 2.0 * h } else { h };
    (truncation, u * g / denom + u * x_over_v * norm(d) / h)
}

/// Holds `c` (whose discrepancy is relative to `scale`) to the AD
/// tolerance plus [`DIFFERENCE_SAFETY`] times the estimated absolute error
/// `error` of the difference products involved, and at least to `floor`;
/// fails with a note where that error is as large as the products
/// themselves.
fn hold_to_difference_error<T: Real>(c: &mut SelfCheck, error: f64, scale: f64, floor: f64) {
    let rel = if scale == 0.0 { 0.0 } else { error / scale };
    c.tolerance = floor.max(tolerances::<T>().0 + DIFFERENCE_SAFETY * rel);
    c.passed = c.discrepancy.is_finite() && c.discrepancy <= c.tolerance;
    if c.passed && c.discrepancy > 0.0 && DIFFERENCE_SAFETY * error >= scale {
        c.passed = false;
        c.note = Some(
            "the difference products' estimated error is as large as the products:              this mode cannot resolve the Hessian here (use an AD mode)"
                .into(),
        );
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

impl<T: Real> HessianOperator<'_, T> {
    /// Symmetry probe (see [`check_symmetry`]). A Hessian is symmetric; an
    /// operator that fails this is wrong. A difference-mode operator is
    /// symmetric only to the error of its differences, so it is held to
    /// that error as estimated at this point along both probes (see
    /// [`check_finite_differences`] for the estimate): `tol_AD + safety ·
    /// (‖u‖ e(v) + ‖v‖ e(u)) / scale`.
    pub fn check_symmetry(&self, seed: u64) -> Result<SelfCheck> {
        let (mut c, u, v, scale) = symmetry_probe(self, seed)?;
        if self.mode().is_difference() {
            let error = norm(&u) * self.product_error(self.mode(), &v)?
                + norm(&v) * self.product_error(self.mode(), &u)?;
            hold_to_difference_error::<T>(&mut c, error, scale, self.floor(self.mode()));
        }
        Ok(c)
    }

    /// The least tolerance a product in `mode` is held to: forward
    /// differences keep their nominal `1e2 √u` (their rounding part, `u ‖∇f‖
    /// / h` with `h ~ √u`, is underestimated where the gradient's terms
    /// cancel, e.g. on the trigonometric function by 10×); central
    /// differences and the AD modes rely on the estimate alone.
    fn floor(&self, mode: HvpMode) -> f64 {
        match mode {
            HvpMode::ForwardDifference => self.mode_tolerance(mode),
            _ => 0.0,
        }
    }

    /// The estimated error of `mode`'s product along `v` at this point.
    fn product_error(&self, mode: HvpMode, v: &[T]) -> Result<f64> {
        difference_product_error(self.function(), self.point(), self.gradient(), v, mode)
    }

    /// The tolerance a product in `mode` is held to against an exact one,
    /// for the finite-difference spot check's own allowance: the AD
    /// tolerance, or the nominal difference tolerance of a difference mode.
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
    /// seeded random direction: `‖H₁v − H₂v‖ / max(‖H₁v‖, ‖H₂v‖)`. Two AD
    /// modes are held to the AD tolerance. Where either side is a
    /// difference mode, the tolerance adds [`DIFFERENCE_SAFETY`] times the
    /// estimated error of the difference products along `v` at this point
    /// (as in [`check_finite_differences`]); an AD operator against central
    /// differences is exactly [`HessianOperator::check_finite_differences`].
    pub fn check_modes(&self, other: HvpMode, seed: u64) -> Result<SelfCheck> {
        if other == HvpMode::CentralDifference && !self.mode().is_difference() {
            return self.check_finite_differences(seed);
        }
        let name = format!("{} vs {}", self.mode().name(), other.name());
        let v: Vec<T> = probe(self.dim(), seed);
        let mut mine = vec![T::zero(); self.dim()];
        self.apply_hvp(&v, &mut mine)?;
        let theirs = self.function().hvp_with(self.point(), &v, other)?;
        let mut c = SelfCheck::new(name, relative_gap(&mine, &theirs), tolerances::<T>().0);
        if self.mode().is_difference() || other.is_difference() {
            let error = self.product_error(self.mode(), &v)? + self.product_error(other, &v)?;
            let scale = norm(&mine).max(norm(&theirs));
            let floor = self.floor(self.mode()).max(self.floor(other));
            hold_to_difference_error::<T>(&mut c, error, scale, floor);
        }
        Ok(c)
    }

    /// Spot check against central differences of the gradient along a
    /// seeded random direction, held to the estimated error of the
    /// differences at this point (see [`check_finite_differences`] for what
    /// is compared and the tolerance rule). The product's own allowance is
    /// the AD tolerance for the AD modes; for a difference-mode operator it
    /// adds [`DIFFERENCE_SAFETY`] times its own products' estimated error
    /// along the probe, relative to the product.
    pub fn check_finite_differences(&self, seed: u64) -> Result<SelfCheck> {
        let own_tol = |v: &[T], av: &[T]| -> Result<f64> {
            if !self.mode().is_difference() {
                return Ok(self.mode_tolerance(self.mode()));
            }
            let size = norm(av);
            let error = self.product_error(self.mode(), v)?;
            let rel = if size == 0.0 { 0.0 } else { error / size };
            Ok(self
                .floor(self.mode())
                .max(tolerances::<T>().0 + DIFFERENCE_SAFETY * rel))
        };
        difference_check(
            self,
            self.function(),
            self.point(),
            &own_tol,
            format!("{} vs central differences", self.mode().name()),
            seed,
        )
    }
}
