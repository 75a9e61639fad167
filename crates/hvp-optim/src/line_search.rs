//! A line search for the strong Wolfe conditions (Nocedal–Wright Alg. 3.5
//! with `zoom`, Alg. 3.6), trial steps from cubic interpolation (quadratic
//! when the cubic has no minimizer), safeguarded to the middle 80 % of the
//! bracket (bisection otherwise).
//!
//! With `φ(α) = f(x + α p)`, a step `α` is accepted when
//! `φ(α) ≤ φ(0) + c₁ α φ'(0)` and `|φ'(α)| ≤ c₂ |φ'(0)|`. A non-finite
//! `φ(α)` (or `φ'(α)`) counts as a failed decrease, so the bracket shrinks
//! towards the finite region. The accepted step is always the last one
//! evaluated, which lets the caller keep that evaluation.

use hvp_tensor::Float;

/// Line-search constants.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineSearchParams<T> {
    pub(crate) c1: T,
    pub(crate) c2: T,
    pub(crate) max_evals: usize,
}

/// The outcome: on success `alpha` is the last step evaluated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineSearchOutcome<T> {
    pub(crate) alpha: T,
    pub(crate) f: T,
    pub(crate) success: bool,
}

/// One evaluated point of `φ`.
#[derive(Debug, Clone, Copy)]
struct Point<T> {
    a: T,
    f: T,
    d: T,
}

/// Searches along `p` from `φ(0) = f0`, `φ'(0) = d0 < 0`, first trying
/// `alpha0`. `eval(α)` returns `(φ(α), φ'(α))`.
pub(crate) fn strong_wolfe<T: Float, E>(
    f0: T,
    d0: T,
    alpha0: T,
    params: &LineSearchParams<T>,
    mut eval: impl FnMut(T) -> Result<(T, T), E>,
) -> Result<LineSearchOutcome<T>, E> {
    let mut evals = 0;
    let mut call = |a: T, evals: &mut usize| -> Result<Point<T>, E> {
        *evals += 1;
        let (f, d) = eval(a)?;
        // Non-finite values read as "too far": no decrease.
        let f = if f.is_finite() && d.is_finite() {
            f
        } else {
            T::infinity()
        };
        Ok(Point { a, f, d })
    };
    let armijo = |p: &Point<T>| p.f <= f0 + params.c1 * p.a * d0;
    let curvature = |p: &Point<T>| p.d.abs() <= -params.c2 * d0;
    let done = |p: Point<T>, _evals: usize, success: bool| LineSearchOutcome {
        alpha: p.a,
        f: p.f,
        success,
    };

    let mut prev = Point {
        a: T::zero(),
        f: f0,
        d: d0,
    };
    let mut alpha = alpha0;
    let (mut lo, mut hi);
    loop {
        let cur = call(alpha, &mut evals)?;
        if !armijo(&cur) || (evals > 1 && cur.f >= prev.f) {
            (lo, hi) = (prev, cur);
            break;
        }
        if curvature(&cur) {
            return Ok(done(cur, evals, true));
        }
        if cur.d >= T::zero() {
            (lo, hi) = (cur, prev);
            break;
        }
        if evals >= params.max_evals {
            return Ok(done(cur, evals, false));
        }
        prev = cur;
        alpha *= T::from_f64(2.0);
    }

    // zoom: lo satisfies Armijo with the lowest f so far, and
    // φ'(lo)(hi − lo) < 0.
    loop {
        if evals >= params.max_evals {
            return Ok(done(lo, evals, false));
        }
        let width = (hi.a - lo.a).abs();
        if width <= T::epsilon() * hi.a.abs().max(lo.a.abs()) {
            return Ok(done(lo, evals, false));
        }
        let a = trial(&lo, &hi);
        let cur = call(a, &mut evals)?;
        if !armijo(&cur) || cur.f >= lo.f {
            hi = cur;
        } else {
            if curvature(&cur) {
                return Ok(done(cur, evals, true));
            }
            if cur.d * (hi.a - lo.a) >= T::zero() {
                hi = lo;
            }
            lo = cur;
        }
    }
}

/// The interpolated trial point between `lo` and `hi`, safeguarded.
fn trial<T: Float>(lo: &Point<T>, hi: &Point<T>) -> T {
    let (l, h) = (lo.a.min(hi.a), lo.a.max(hi.a));
    let margin = T::from_f64(0.1) * (h - l);
    let ok = |a: T| a.is_finite() && a >= l + margin && a <= h - margin;
    if let Some(a) = cubic_min(lo, hi).filter(|&a| ok(a)) {
        return a;
    }
    if let Some(a) = quadratic_min(lo, hi).filter(|&a| ok(a)) {
        return a;
    }
    T::from_f64(0.5) * (l + h)
}

/// The minimizer of the cubic through `(a, f_a, d_a)` and `(b, f_b, d_b)`
/// (Nocedal–Wright (3.59)).
fn cubic_min<T: Float>(p: &Point<T>, q: &Point<T>) -> Option<T> {
    if !(p.f.is_finite() && q.f.is_finite()) {
        return None;
    }
    let d1 = p.d + q.d - T::from_f64(3.0) * (p.f - q.f) / (p.a - q.a);
    let disc = d1 * d1 - p.d * q.d;
    if !(disc >= T::zero()) {
        return None;
    }
    let d2 = (q.a - p.a).signum() * disc.sqrt();
    let denom = q.d - p.d + T::from_f64(2.0) * d2;
    if denom.abs() <= T::min_positive_value() {
        return None;
    }
    let a = q.a - (q.a - p.a) * (q.d + d2 - d1) / denom;
    a.is_finite().then_some(a)
}

/// The minimizer of the quadratic through `(a, f_a, d_a)` and `(b, f_b)`.
fn quadratic_min<T: Float>(p: &Point<T>, q: &Point<T>) -> Option<T> {
    let h = q.a - p.a;
    let c = q.f - p.f - p.d * h;
    if !(c > T::zero()) || !c.is_finite() {
        return None;
    }
    let a = p.a - p.d * h * h / (T::from_f64(2.0) * c);
    a.is_finite().then_some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_wolfe_point_of_quadratic() {
        // φ(α) = (α − 3)², φ'(0) = −6: α = 3 is exact.
        let params = LineSearchParams {
            c1: 1e-4,
            c2: 0.1,
            max_evals: 30,
        };
        let out = strong_wolfe(9.0f64, -6.0, 1.0, &params, |a| {
            Ok::<_, ()>(((a - 3.0) * (a - 3.0), 2.0 * (a - 3.0)))
        })
        .unwrap();
        assert!(out.success);
        assert!((out.alpha - 3.0).abs() < 0.6);
    }

    #[test]
    fn shrinks_past_non_finite_values() {
        // Finite only for α < 0.5.
        let params = LineSearchParams {
            c1: 1e-4,
            c2: 0.9,
            max_evals: 30,
        };
        let out = strong_wolfe(1.0f64, -1.0, 1.0, &params, |a| {
            if a < 0.5 {
                Ok::<_, ()>((1.0 - a + a * a, -1.0 + 2.0 * a))
            } else {
                Ok((f64::NAN, f64::NAN))
            }
        })
        .unwrap();
        assert!(out.success && out.alpha < 0.5);
    }

    #[test]
    fn accepted_steps_satisfy_strong_wolfe() {
        // Rosenbrock along several lines: φ(α) = f(x + αp).
        let f = |x: f64, y: f64| 100.0 * (y - x * x).powi(2) + (1.0 - x).powi(2);
        let g = |x: f64, y: f64| {
            (
                -400.0 * x * (y - x * x) - 2.0 * (1.0 - x),
                200.0 * (y - x * x),
            )
        };
        let params = LineSearchParams {
            c1: 1e-4,
            c2: 0.9,
            max_evals: 40,
        };
        let mut checked = 0;
        for &(x, y) in &[(-1.2, 1.0), (0.0, 0.0), (0.5, 0.8), (2.0, 2.0)] {
            for &alpha0 in &[1e-3, 1.0, 30.0] {
                let (gx, gy) = g(x, y);
                let (px, py) = (-gx, -gy);
                let d0 = gx * px + gy * py;
                let out = strong_wolfe(f(x, y), d0, alpha0, &params, |a| {
                    let (qx, qy) = (x + a * px, y + a * py);
                    let (hx, hy) = g(qx, qy);
                    Ok::<_, ()>((f(qx, qy), hx * px + hy * py))
                })
                .unwrap();
                assert!(out.success);
                let a = out.alpha;
                let (hx, hy) = g(x + a * px, y + a * py);
                assert!(out.f <= f(x, y) + 1e-4 * a * d0);
                assert!((hx * px + hy * py).abs() <= 0.9 * d0.abs());
                checked += 1;
            }
        }
        assert_eq!(checked, 12);
    }
}
