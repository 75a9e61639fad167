//! The specification's example `f(x, y) = x²y + sin y` against its analytic
//! derivatives, in every mode and both dtypes.

use hvp::{trace, Function, HvpMode, Spec};

fn example() -> Function {
    trace(
        |x| &x[0].square() * &x[1] + x[1].sin(),
        &[Spec::scalar(), Spec::scalar()],
    )
    .unwrap()
}

fn analytic(x: f64, y: f64, v: [f64; 2]) -> (f64, [f64; 2], [f64; 2]) {
    let f = x * x * y + y.sin();
    let g = [2.0 * x * y, x * x + y.cos()];
    let hv = [
        2.0 * y * v[0] + 2.0 * x * v[1],
        2.0 * x * v[0] - y.sin() * v[1],
    ];
    (f, g, hv)
}

#[test]
fn value_gradient_and_hvp_match_the_analytic_forms_in_f64() {
    let f = example();
    let points = [(1.5, -0.7), (0.0, 0.0), (-2.0, 3.0), (1e3, -1e-3)];
    let v = [0.3, 1.1];
    for &(x, y) in &points {
        let (fv, g, hv) = analytic(x, y, v);
        let scale = 1.0 + x.abs() * x.abs() * 4.0;
        assert!((f.value(&[x, y]).unwrap() - fv).abs() <= 1e-14 * scale * (1.0 + y.abs()));
        let gg = f.grad(&[x, y]).unwrap();
        for i in 0..2 {
            assert!(
                (gg[i] - g[i]).abs() <= 1e-13 * scale,
                "grad {i} at ({x},{y})"
            );
        }
        for mode in [
            HvpMode::ForwardOverReverse,
            HvpMode::ReverseOverForward,
            HvpMode::ReverseOverReverse,
        ] {
            let h = f.hvp_with(&[x, y], &v, mode).unwrap();
            for i in 0..2 {
                assert!(
                    (h[i] - hv[i]).abs() <= 1e-13 * scale,
                    "{mode:?} component {i} at ({x},{y}): {} vs {}",
                    h[i],
                    hv[i]
                );
            }
        }
    }
}

#[test]
fn dense_hessian_is_the_analytic_matrix() {
    let f = example();
    let (x, y) = (1.5_f64, -0.7_f64);
    let h = f.hessian(&[x, y]).unwrap();
    let want = [2.0 * y, 2.0 * x, 2.0 * x, -y.sin()];
    for (a, b) in h.data().iter().zip(want) {
        assert!((a - b).abs() < 1e-14);
    }
}

#[test]
fn finite_differences_agree_within_their_error_order() {
    let f = example();
    let (x, y) = (1.5_f64, -0.7_f64);
    let v = [0.3, 1.1];
    let (_, _, hv) = analytic(x, y, v);
    let fwd = f.hvp_with(&[x, y], &v, HvpMode::ForwardDifference).unwrap();
    let cen = f.hvp_with(&[x, y], &v, HvpMode::CentralDifference).unwrap();
    for i in 0..2 {
        // forward: O(sqrt(u)) ~ 1e-8 relative; central: O(u^(2/3)) ~ 4e-11
        assert!(
            (fwd[i] - hv[i]).abs() < 1e-6,
            "forward {i}: {}",
            fwd[i] - hv[i]
        );
        assert!(
            (cen[i] - hv[i]).abs() < 1e-9,
            "central {i}: {}",
            cen[i] - hv[i]
        );
    }
    // The central error must be much smaller than the forward one.
    let ef: f64 = (0..2).map(|i| (fwd[i] - hv[i]).abs()).sum();
    let ec: f64 = (0..2).map(|i| (cen[i] - hv[i]).abs()).sum();
    assert!(ec < ef);
}

#[test]
fn f32_gives_the_same_products_to_single_precision() {
    let f = example();
    let (x, y) = (1.5_f32, -0.7_f32);
    let v = [0.3_f32, 1.1];
    let (_, g, hv) = analytic(x as f64, y as f64, [0.3, 1.1]);
    let gg = f.grad(&[x, y]).unwrap();
    let h = f.hvp(&[x, y], &v).unwrap();
    for i in 0..2 {
        assert!((gg[i] as f64 - g[i]).abs() < 1e-5);
        assert!((h[i] as f64 - hv[i]).abs() < 1e-5);
    }
}

#[test]
fn gradient_and_hvp_and_vhv_in_one_pass() {
    let f = example();
    let (x, y) = (1.5_f64, -0.7_f64);
    let v = [0.3, 1.1];
    let (fv, g, hv) = analytic(x, y, v);
    let (f0, g0, h0) = f.gradient_and_hvp(&[x, y], &v).unwrap();
    assert!((f0 - fv).abs() < 1e-14);
    for i in 0..2 {
        assert!((g0[i] - g[i]).abs() < 1e-14);
        assert!((h0[i] - hv[i]).abs() < 1e-14);
    }
    let c = f.vhv(&[x, y], &v).unwrap();
    assert!((c - (v[0] * hv[0] + v[1] * hv[1])).abs() < 1e-14);
}

#[test]
fn wrong_lengths_are_errors_not_panics() {
    let f = example();
    assert!(f.grad(&[1.0_f64]).is_err());
    assert!(f.hvp(&[1.0_f64, 2.0], &[1.0]).is_err());
    let msg = f
        .hvp(&[1.0_f64, 2.0, 3.0], &[1.0, 0.0])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("expected 2"), "{msg}");
}
