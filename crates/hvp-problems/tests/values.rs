//! Values: every traced problem against the plain-`f64` reference at its
//! standard start (and 10× it), its residual vectors, and the paper's f* at
//! the known minimizers.

mod common;

use common::{instances, label, max_abs, residuals, value};
use hvp_problems::by_name;

fn rel_close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) || (a - b).abs() <= 1e-300
}

#[test]
fn values_at_the_standard_start_match_the_reference() {
    let mut checked = 0;
    for p in instances() {
        let f = p.function().unwrap();
        for factor in [1.0, 10.0] {
            let x = p.start(factor);
            let want = value(&p, &x);
            if !want.is_finite() {
                continue;
            }
            let got = f.value(&p.point(&x)).unwrap();
            // Relative, with an absolute floor for the starts that happen to
            // be (near) minimizers: 10·x0 is Gulf's minimizer.
            assert!(
                (got - want).abs() <= 1e-11 * want.abs() + 1e-14,
                "{} at {factor}·x0: traced {got:e}, reference {want:e}",
                label(&p)
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn residual_vectors_match_the_reference_in_the_papers_order() {
    for p in instances().into_iter().filter(|p| p.is_least_squares()) {
        let r = p.residual_function().unwrap().unwrap();
        for x in [p.x0.clone(), common::near_start(&p, 3)] {
            let got = r.call(&x).unwrap().remove(0);
            let want = residuals(p.name, p.n, p.m, &x);
            assert_eq!(got.shape().dims(), &[p.m], "{}", label(&p));
            // Cancellation (the trigonometric residuals subtract Σcos xⱼ ≈ n
            // from n) costs absolute, not relative, accuracy.
            let scale = max_abs(&want).max(1.0);
            for (i, (a, b)) in got.data().iter().zip(&want).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * scale,
                    "{} residual {}: traced {a:e}, reference {b:e}",
                    label(&p),
                    i + 1
                );
            }
        }
    }
}

#[test]
fn the_known_minimizers_attain_the_papers_minimal_values() {
    let mut checked = 0;
    for p in instances() {
        let (Some(fs), Some(xs)) = (p.f_star, p.x_star.as_ref()) else {
            continue;
        };
        assert_eq!(xs.len(), p.n, "{}", label(&p));
        let want = value(&p, xs);
        let got = p.function().unwrap().value(&p.point(xs)).unwrap();
        if fs.abs() < f64::MIN_POSITIVE {
            // f* = 0: the residuals vanish up to rounding.
            assert!(
                want < 1e-20 && got < 1e-20,
                "{}: {want:e} {got:e}",
                label(&p)
            );
        } else {
            // The paper prints six significant digits.
            assert!(
                rel_close(want, fs, 1e-5) && rel_close(got, fs, 1e-5),
                "{}: f(x*) = {want:e} (traced {got:e}), paper f* = {fs:e}",
                label(&p)
            );
        }
        checked += 1;
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn the_known_minimizers_are_stationary() {
    for p in instances() {
        let Some(xs) = p.x_star.as_ref() else {
            continue;
        };
        let f = p.function().unwrap();
        let g = f.grad(&p.point(xs)).unwrap();
        let g0 = f.grad(&p.point(&p.x0)).unwrap();
        // Relative to the gradient at the start: the badly scaled problems
        // (Meyer) cannot get below rounding of their large residuals.
        let tol = 1e-9 * (1.0 + max_abs(&g0));
        assert!(
            max_abs(&g) <= tol,
            "{}: |∇f(x*)| = {:e} > {tol:e}",
            label(&p),
            max_abs(&g)
        );
    }
}

#[test]
fn penalty_1_closed_form_minimum_matches_the_papers_values() {
    for (n, paper) in [(4, 2.24997e-5), (10, 7.08765e-5)] {
        let p = by_name("penalty-1", Some(n)).unwrap();
        assert!(
            rel_close(p.f_star.unwrap(), paper, 1e-5),
            "n = {n}: {:?}",
            p.f_star
        );
    }
}

#[test]
fn the_papers_local_minima_are_where_the_notes_say() {
    // Freudenstein–Roth: f = 48.9842 at (11.41..., −0.8968...).
    let fr = value(
        &by_name("freudenstein-roth", None).unwrap(),
        &[11.412778977621711, -0.8968052538445994],
    );
    assert!(rel_close(fr, 48.9842, 1e-5), "{fr}");
    // Biggs EXP6, m = 13: f = 5.65565e-3.
    let b = by_name("biggs-exp6", None).unwrap();
    let x = [
        1.7114159947195877,
        17.683198180949034,
        1.1631436740749506,
        5.186561551993439,
        1.7114159947195877,
        1.1631436477628347,
    ];
    assert!(
        rel_close(value(&b, &x), 5.65565e-3, 1e-5),
        "{}",
        value(&b, &x)
    );
    assert!(b.notes.iter().any(|s| s.contains("5.65565")));
    // Brown almost-linear: f = 1 at (0, …, 0, n + 1).
    let p = by_name("brown-almost-linear", Some(6)).unwrap();
    let mut x = vec![0.0; 6];
    x[5] = 7.0;
    assert!(rel_close(value(&p, &x), 1.0, 1e-14));
    // Linear rank 1 (and with zero columns and rows): any x with the right
    // weighted sum is a minimizer.
    for name in ["linear-rank-1", "linear-rank-1-zero-columns-rows"] {
        let p = by_name(name, Some(7)).unwrap();
        let fs = p.f_star.unwrap();
        // Move along the null space of the weights: 2·3 − 3·2 = 0.
        let mut y = p.x_star.clone().unwrap();
        y[1] += 3.0;
        y[2] -= 2.0;
        assert!(rel_close(value(&p, &y), fs, 1e-12), "{name}");
    }
}
