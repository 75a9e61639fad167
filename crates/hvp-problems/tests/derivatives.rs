//! Derivatives: AD gradients against central differences of the plain-`f64`
//! reference, and AD Hessian-vector products (every AD mode) against central
//! differences of AD gradients, at the standard start and at a random point
//! near it.

mod common;

use common::{instances, label, max_abs, near_start, scaled_direction, value};
use hvp::HvpMode;
use hvp_problems::Problem;
use hvp_testkit::central_jvp4;

const EPS: f64 = f64::EPSILON;
/// Step of the fourth-order differences, in units of the scaled direction.
const H: f64 = 2e-4;

/// `∂f/∂xᵢ` by fourth-order central differences of the reference, each
/// coordinate stepped in proportion to its size; also returns the largest
/// `|f|` seen, which bounds the rounding error.
fn fd_gradient(p: &Problem, x: &[f64]) -> (Vec<f64>, f64) {
    let fmax = std::cell::Cell::new(value(p, x).abs());
    let g = (0..p.n)
        .map(|i| {
            let s = step_scale(p, x[i]);
            let mut t = vec![0.0; p.n];
            t[i] = s;
            let d = central_jvp4(
                |y| {
                    let v = value(p, y);
                    fmax.set(fmax.get().max(v.abs()));
                    vec![v]
                },
                x,
                &t,
                H,
            );
            d[0] / s
        })
        .collect();
    (g, fmax.get())
}

/// How far a unit step moves a variable of size `v`: in proportion to its
/// size, except for Chebyquad, whose `T_m` has `j`-th derivatives growing
/// like `m^{2j}`, so its steps shrink with `1/m²` to keep the truncation
/// error of the differences small.
fn step_scale(p: &Problem, v: f64) -> f64 {
    let s = v.abs().max(0.1);
    if p.name == "chebyquad" {
        s * (10.0 / (p.m * p.m) as f64).min(1.0)
    } else {
        s
    }
}

fn points(p: &Problem) -> Vec<(&'static str, Vec<f64>)> {
    vec![("x0", p.x0.clone()), ("a random point", near_start(p, 11))]
}

#[test]
fn gradients_match_central_differences_of_the_reference() {
    for p in instances() {
        if p.n > 200 {
            continue; // 4n reference evaluations of O(n) each
        }
        let f = p.function().unwrap();
        for (at, x) in points(&p) {
            let got = f.grad(&p.point(&x)).unwrap();
            let (want, fmax) = fd_gradient(&p, &x);
            let gscale = max_abs(&want);
            for i in 0..p.n {
                let s = step_scale(&p, x[i]);
                // Truncation O(h⁴) relative, rounding about ε|f|/(h s).
                let tol = 1e-7 * gscale + 1e3 * EPS * fmax / (H * s);
                assert!(
                    (got[i] - want[i]).abs() <= tol,
                    "{} at {at}: ∂f/∂x{} AD {:e}, differences {:e} (tol {tol:e})",
                    label(&p),
                    i + 1,
                    got[i],
                    want[i]
                );
            }
        }
    }
}

#[test]
fn hessian_vector_products_match_central_differences_of_gradients() {
    for p in instances() {
        let f = p.function().unwrap();
        for (k, (at, x)) in points(&p).into_iter().enumerate() {
            let v: Vec<f64> = scaled_direction(&x, 100 + k as u64)
                .iter()
                .zip(&x)
                .map(|(d, xi)| d * step_scale(&p, *xi) / xi.abs().max(0.1))
                .collect();
            let data = p.data().to_vec();
            let grad_at = |y: &[f64]| {
                let mut pt = y.to_vec();
                pt.extend_from_slice(&data);
                f.grad(&pt).unwrap()
            };
            let want = central_jvp4(grad_at, &x, &v, H);
            let gscale = max_abs(&f.grad(&p.point(&x)).unwrap());
            let scale = max_abs(&want);
            let tol = 1e-6 * scale + 1e3 * EPS * gscale / H;
            for mode in [
                HvpMode::ForwardOverReverse,
                HvpMode::ReverseOverForward,
                HvpMode::ReverseOverReverse,
            ] {
                let got = f.hvp_with(&p.point(&x), &v, mode).unwrap();
                let err = got
                    .iter()
                    .zip(&want)
                    .fold(0.0_f64, |e, (a, b)| e.max((a - b).abs()));
                assert!(
                    err <= tol,
                    "{} at {at}, {}: |Hv − differences| = {err:e} > {tol:e} (|Hv| ≈ {scale:e})",
                    label(&p),
                    mode.name()
                );
            }
        }
    }
}

#[test]
fn small_hessians_are_symmetric_and_agree_with_products() {
    for p in instances().into_iter().filter(|p| p.n <= 12) {
        let f = p.function().unwrap();
        let x = near_start(&p, 5);
        let pt = p.point(&x);
        let h = f.hessian(&pt).unwrap();
        let h = h.data();
        let n = p.n;
        let scale = max_abs(h).max(1e-300);
        for i in 0..n {
            for j in 0..i {
                assert!(
                    (h[i * n + j] - h[j * n + i]).abs() <= 1e-10 * scale,
                    "{}: H[{i},{j}] = {:e} vs {:e}",
                    label(&p),
                    h[i * n + j],
                    h[j * n + i]
                );
            }
        }
        let v = scaled_direction(&x, 9);
        let hv = f.hvp(&pt, &v).unwrap();
        for i in 0..n {
            let row: f64 = (0..n).map(|j| h[i * n + j] * v[j]).sum();
            assert!(
                (row - hv[i]).abs() <= 1e-10 * scale * max_abs(&v).max(1.0),
                "{}: (Hv)[{i}] {row:e} vs {:e}",
                label(&p),
                hv[i]
            );
        }
    }
}
