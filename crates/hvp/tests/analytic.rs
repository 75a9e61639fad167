//! Level 3 of the test pyramid: analytic oracles — the chained Rosenbrock
//! function, the stable compositions, third derivatives — and located
//! tracing errors.

use hvp::{trace, Function, HvpMode, Spec, Tensor};
use hvp_testkit::{TestRng, Tolerance};

/// scipy's chained Rosenbrock: `Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)²`.
fn rosenbrock(x: &Tensor) -> Tensor {
    let n = x.numel();
    let head = x.slice_axis(0, 0, n - 1, 1);
    let tail = x.slice_axis(0, 1, n, 1);
    ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
}

fn rosen_grad(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut g = 0.0;
            if i + 1 < n {
                g += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
            }
            if i > 0 {
                g += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
            }
            g
        })
        .collect()
}

fn rosen_hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut d = 0.0;
            let mut h = 0.0;
            if i + 1 < n {
                d += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
                h += -400.0 * x[i] * v[i + 1];
            }
            if i > 0 {
                d += 200.0;
                h += -400.0 * x[i - 1] * v[i - 1];
            }
            d * v[i] + h
        })
        .collect()
}

fn standard_start(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect()
}

#[test]
fn rosenbrock_gradient_and_hvp_match_the_closed_forms() {
    for n in [2, 3, 10, 1000] {
        let f = trace(|x| rosenbrock(&x[0]), &[Spec::vector(n)]).unwrap();
        let mut rng = TestRng::new(n as u64);
        for x in [standard_start(n), rng.vec(n, -2.0, 2.0)] {
            let v = rng.vec(n, -1.0, 1.0);
            let g = f.grad(&x).unwrap();
            assert!(Tolerance::AD_F64.close_vec(&g, &rosen_grad(&x)), "n={n}");
            let want = rosen_hvp(&x, &v);
            for mode in [
                HvpMode::ForwardOverReverse,
                HvpMode::ReverseOverForward,
                HvpMode::ReverseOverReverse,
            ] {
                let hv = f.hvp_with(&x, &v, mode).unwrap();
                assert!(Tolerance::AD_F64.close_vec(&hv, &want), "n={n} {mode:?}");
            }
            let fd = f.hvp_with(&x, &v, HvpMode::CentralDifference).unwrap();
            // Central differences: relative error about u^(2/3) times the
            // third derivative's scale (2400 |x| here).
            let tol = Tolerance {
                abs: 1e-6,
                rel: 1e-6,
            };
            assert!(tol.close_vec(&fd, &want), "n={n} central differences");
        }
    }
}

#[test]
fn rosenbrock_minimum_has_zero_gradient_and_the_known_hessian() {
    let n = 4;
    let f = trace(|x| rosenbrock(&x[0]), &[Spec::vector(n)]).unwrap();
    let ones = vec![1.0_f64; n];
    assert!(f.value(&ones).unwrap().abs() < 1e-15);
    assert!(f.grad(&ones).unwrap().iter().all(|g| g.abs() < 1e-13));
    let h = f.hessian(&ones).unwrap();
    // Tridiagonal: 802 on the first diagonal entries, 1002 inside, 200 last.
    let d: Vec<f64> = (0..n).map(|i| h.data()[i * n + i]).collect();
    assert!(Tolerance::AD_F64.close_vec(&d, &[802.0, 1002.0, 1002.0, 200.0]));
    assert!(Tolerance::AD_F64.close(h.data()[1], -400.0));
    assert!(h.data()[2].abs() < 1e-15);
}

#[test]
fn logsumexp_softmax_and_softplus_are_stable_at_large_arguments() {
    let f = trace(|x| x[0].logsumexp(&[0]), &[Spec::vector(3)]).unwrap();
    let x = [1000.0, 1000.5, -1000.0];
    let want = 1000.5 + (1.0 + (-0.5f64).exp()).ln();
    assert!(Tolerance::AD_F64.close(f.value(&x).unwrap(), want));
    // Its gradient is the softmax.
    let g = f.grad(&x).unwrap();
    let z = 1.0 + (-0.5f64).exp();
    assert!(Tolerance::AD_F64.close_vec(&g, &[(-0.5f64).exp() / z, 1.0 / z, 0.0]));
    // Its Hessian is diag(p) - p pᵀ.
    let v = [1.0, -2.0, 0.5];
    let hv = f.hvp(&x, &v).unwrap();
    let pv: f64 = g.iter().zip(&v).map(|(p, v)| p * v).sum();
    let want: Vec<f64> = (0..3).map(|i| g[i] * v[i] - g[i] * pv).collect();
    assert!(Tolerance::AD_F64.close_vec(&hv, &want));

    let sp = trace(|x| x[0].softplus().sum(), &[Spec::vector(4)]).unwrap();
    let x = [1000.0, -1000.0, 0.0, 30.0];
    let want = 1000.0 + 0.0 + 2f64.ln() + (30.0 + (-30.0f64).exp().ln_1p());
    assert!(Tolerance::AD_F64.close(sp.value(&x).unwrap(), want));
    let g = sp.grad(&x).unwrap();
    assert!(Tolerance::AD_F64.close_vec(&g, &[1.0, 0.0, 0.5, 1.0 / (1.0 + (-30.0f64).exp())]));

    // Second derivatives of softplus are the logistic density everywhere,
    // including the kink of the stable form at 0.
    let h = sp.hessian(&x).unwrap();
    let dens = |t: f64| {
        let s = 1.0 / (1.0 + (-t).exp());
        s * (1.0 - s)
    };
    let want: Vec<f64> = x.iter().map(|&t| dens(t)).collect();
    let diag: Vec<f64> = (0..4).map(|i| h.data()[i * 4 + i]).collect();
    assert!(
        Tolerance::AD_F64.close_vec(&diag, &want),
        "{diag:?} vs {want:?}"
    );

    let sg = trace(|x| x[0].sigmoid().sum(), &[Spec::vector(3)]).unwrap();
    let g = sg.grad(&[800.0_f32, -800.0, 0.0]).unwrap();
    assert!(g.iter().all(|v| v.is_finite()));
    assert!((g[2] - 0.25).abs() < 1e-7);
    let th = trace(|x| x[0].tanh().sum(), &[Spec::vector(2)]).unwrap();
    assert!(th
        .hvp(&[400.0_f32, -400.0], &[1.0, 1.0])
        .unwrap()
        .iter()
        .all(|v| v.is_finite()));
}

#[test]
fn cross_entropy_gradient_is_softmax_minus_one_hot() {
    let (b, c) = (3, 4);
    let f = trace(
        |x| x[0].cross_entropy(&x[1]),
        &[Spec::matrix(b, c), Spec::data(&[b])],
    )
    .unwrap();
    let mut rng = TestRng::new(5);
    let logits = rng.vec(b * c, -3.0, 3.0);
    let labels = [2.0, 0.0, 3.0];
    let mut x = logits.clone();
    x.extend_from_slice(&labels);
    let g = f.grad(&x).unwrap();
    let mut loss = 0.0;
    for i in 0..b {
        let row = &logits[i * c..(i + 1) * c];
        let m = row.iter().cloned().fold(f64::MIN, f64::max);
        let z: f64 = row.iter().map(|v| (v - m).exp()).sum();
        loss -= row[labels[i] as usize] - m - z.ln();
        for j in 0..c {
            let p = (row[j] - m).exp() / z;
            let y = if j == labels[i] as usize { 1.0 } else { 0.0 };
            assert!(Tolerance::AD_F64.close(g[i * c + j], (p - y) / b as f64));
        }
    }
    assert!(Tolerance::AD_F64.close(f.value(&x).unwrap(), loss / b as f64));
    // Labels are data: only the logits have a gradient.
    assert_eq!(g.len(), b * c);
    // A label out of range is an error, not a panic.
    let mut bad = x.clone();
    bad[b * c] = 7.0;
    assert!(f.grad(&bad).is_err());
}

#[test]
fn product_of_entries_is_exact_with_zeros() {
    let f = trace(|x| x[0].prod(), &[Spec::vector(5)]).unwrap();
    let x = [2.0_f64, 0.0, 3.0, -1.0, 0.5];
    assert!(f.value(&x).unwrap().abs() < 1e-300);
    // ∂/∂x_1 = product of the others = -3; the rest are 0.
    let g = f.grad(&x).unwrap();
    assert!(Tolerance::AD_F64.close_vec(&g, &[0.0, -3.0, 0.0, 0.0, 0.0]));
    // ∂²/∂x_1∂x_j = product of the other three.
    let h = f.hessian(&x).unwrap();
    let row1: Vec<f64> = (0..5).map(|j| h.data()[5 + j]).collect();
    assert!(Tolerance::AD_F64.close_vec(&row1, &[-1.5, 0.0, -1.0, 3.0, -6.0]));
    let y = [1.5, -2.0, 4.0, 0.25, 3.0];
    let p: f64 = y.iter().product();
    assert!(Tolerance::AD_F64.close(f.value(&y).unwrap(), p));
    let g = f.grad(&y).unwrap();
    let want: Vec<f64> = y.iter().map(|v| p / v).collect();
    assert!(Tolerance::AD_F64.close_vec(&g, &want));
}

#[test]
fn third_derivatives_by_nesting() {
    // f = Σ sin(x_i) x_i³ is separable, so ∇(vᵀ H v) = f'''(x_i) v_i².
    let n = 4;
    let f = trace(|x| (x[0].sin() * x[0].powi(3)).sum(), &[Spec::vector(n)]).unwrap();
    let vhv = f.derived_graph(hvp::Program::Vhv).unwrap().clone();
    let g = Function::from_graph(vhv, &[Spec::vector(n), Spec::data(&[n])]).unwrap();
    let x = [0.3, -1.2, 2.0, 0.0];
    let v = [1.0, 0.5, -2.0, 3.0];
    let mut p = x.to_vec();
    p.extend_from_slice(&v);
    let d3 = |x: f64| {
        // (sin x · x³)''' = -cos x x³ - 9 sin x x² + 18 cos x x + 6 sin x
        -x.cos() * x.powi(3) - 9.0 * x.sin() * x * x + 18.0 * x.cos() * x + 6.0 * x.sin()
    };
    let want: Vec<f64> = (0..n).map(|i| d3(x[i]) * v[i] * v[i]).collect();
    assert!(Tolerance::AD_F64.close_vec(&g.grad(&p).unwrap(), &want));
    // And a fourth derivative: the HVP of vᵀHv.
    let u = [0.0, 0.0, 1.0, 0.0];
    let d4 = |x: f64| {
        // derivative of d3
        x.sin() * x.powi(3)
            - 3.0 * x.cos() * x * x
            - 9.0 * x.cos() * x * x
            - 18.0 * x.sin() * x
            - 18.0 * x.sin() * x
            + 18.0 * x.cos()
            + 6.0 * x.cos()
    };
    let h4 = g.hvp(&p, &u).unwrap();
    assert!(Tolerance::AD_F64.close(h4[2], d4(x[2]) * v[2] * v[2]));
}

#[test]
fn shape_errors_name_the_users_line() {
    let err = trace(
        |x| (&x[0] + &x[1]).sum(),
        &[Spec::vector(3), Spec::vector(4)],
    )
    .unwrap_err();
    let msg = err.to_string();
    // The location names this file and the line holding the bad `+`.
    let loc = msg.split(": ").next().unwrap();
    let mut parts = loc.rsplitn(3, ':');
    let (_col, line) = (parts.next().unwrap(), parts.next().unwrap());
    assert!(parts.next().unwrap().ends_with("analytic.rs"), "{msg}");
    let src = include_str!("analytic.rs");
    let text = src.lines().nth(line.parse::<usize>().unwrap() - 1).unwrap();
    assert!(text.contains("&x[0] + &x[1]"), "{msg} points at {text:?}");
    assert!(msg.contains("[3]") && msg.contains("[4]"), "{msg}");
    let err = trace(
        |x| x[0].matmul(&x[1]).sum(),
        &[Spec::matrix(2, 3), Spec::matrix(2, 3)],
    )
    .unwrap_err();
    assert!(err.to_string().contains("inner dimensions"), "{err}");
    let err = trace(|x| x[0].reshape(&[7]).sum(), &[Spec::vector(6)]).unwrap_err();
    assert!(err.to_string().contains("reshape"), "{err}");
}

#[test]
fn grad_of_a_non_scalar_function_is_an_error() {
    let f = trace(|x| x[0].sin(), &[Spec::vector(3)]).unwrap();
    let err = f.grad(&[1.0_f64, 2.0, 3.0]).unwrap_err();
    assert!(err.to_string().contains("scalar"), "{err}");
    assert!(f.hvp(&[1.0_f64, 2.0, 3.0], &[1.0, 0.0, 0.0]).is_err());
}

#[test]
fn several_inputs_of_several_shapes() {
    // f(W, b, x) = sum(tanh(W x + b)²), x is data.
    let f = trace(
        |p| (p[0].matmul(&p[2]) + &p[1]).tanh().square().sum(),
        &[Spec::matrix(3, 2), Spec::vector(3), Spec::data(&[2])],
    )
    .unwrap();
    assert_eq!(f.num_params(), 9);
    assert_eq!(f.point_len(), 11);
    let mut rng = TestRng::new(3);
    let x = rng.vec(11, -1.0, 1.0);
    let v = rng.vec(9, -1.0, 1.0);
    let hv = f.hvp(&x, &v).unwrap();
    let fd = hvp_testkit::central_jvp4(
        |p: &[f64]| {
            let mut q = p.to_vec();
            q.extend_from_slice(&x[9..]);
            f.grad(&q).unwrap()
        },
        &x[..9],
        &v,
        1e-3,
    );
    assert!(Tolerance {
        abs: 1e-8,
        rel: 1e-8
    }
    .close_vec(&hv, &fd));
}

#[test]
fn batched_hvps_equal_one_at_a_time_on_a_small_network() {
    // Two layers with data x and labels: matmuls with batched operands on
    // either side exercise every batching path of matmul.
    let f = trace(
        |p| {
            let h = (p[4].matmul(&p[0]) + &p[1]).tanh();
            let logits = h.matmul(&p[2]) + &p[3];
            logits.cross_entropy(&p[5]) + p[0].square().sum() * 1e-2
        },
        &[
            Spec::matrix(4, 5),
            Spec::vector(5),
            Spec::matrix(5, 3),
            Spec::vector(3),
            Spec::data(&[6, 4]),
            Spec::data(&[6]),
        ],
    )
    .unwrap();
    let n = f.num_params();
    let mut rng = TestRng::new(21);
    let mut x = rng.vec(n + 24, -1.0, 1.0);
    x.extend_from_slice(&[0.0, 2.0, 1.0, 1.0, 0.0, 2.0]);
    for k in [1, 3, 7] {
        let vs = rng.vec(k * n, -1.0, 1.0);
        let batched = f.hvp_batch(&x, &vs).unwrap();
        for i in 0..k {
            let one = f.hvp(&x, &vs[i * n..(i + 1) * n]).unwrap();
            assert!(
                Tolerance::AD_F64.close_vec(&batched[i * n..(i + 1) * n], &one),
                "k={k} row {i}"
            );
        }
    }
    assert!(f.hvp_batch(&x, &rng.vec(n + 1, 0.0, 1.0)).is_err());
    // The dense Hessian is symmetric and its columns are HVPs.
    let h = f.hessian(&x).unwrap();
    for i in 0..n {
        for j in 0..i {
            assert!(Tolerance::AD_F64.close(h.data()[i * n + j], h.data()[j * n + i]));
        }
    }
}

#[test]
fn non_finite_values_name_the_first_equation_when_checking_is_on() {
    let mut f = trace(|x| (x[0].ln() * 2.0).sum(), &[Spec::vector(2)]).unwrap();
    // Off by default: NaN flows through.
    assert!(f.value(&[1.0_f64, -1.0]).unwrap().is_nan());
    f.set_check_finite(true);
    let err = f.value(&[1.0_f64, -1.0]).unwrap_err().to_string();
    assert!(err.contains("log"), "{err}");
    assert!(f.value(&[1.0_f64, 2.0]).is_ok());
    let err = f.grad(&[0.0_f64, 2.0]).unwrap_err().to_string();
    assert!(err.contains("log") || err.contains("div"), "{err}");
}

#[test]
fn constant_arrays_are_captured_by_the_function() {
    // A data table of 10⁵ entries costs one hidden input, not 10⁵ equations.
    let n = 100_000;
    let w: Vec<f64> = (0..n).map(|i| (i % 7) as f64 - 3.0).collect();
    let f = trace(
        |x| (x[0].constant(&w, &[n]) * x[0].square()).sum() * 0.5,
        &[Spec::vector(n)],
    )
    .unwrap();
    assert!(f.graph().eqns.len() < 10);
    assert_eq!(f.point_len(), n);
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.001).sin()).collect();
    let v: Vec<f64> = (0..n).map(|i| (i as f64 * 0.002).cos()).collect();
    let g = f.grad(&x).unwrap();
    let want: Vec<f64> = w.iter().zip(&x).map(|(a, b)| a * b).collect();
    assert!(Tolerance::AD_F64.close_vec(&g, &want));
    let hv = f.hvp(&x, &v).unwrap();
    let want: Vec<f64> = w.iter().zip(&v).map(|(a, b)| a * b).collect();
    assert!(Tolerance::AD_F64.close_vec(&hv, &want));
    // f32 uses the same constants, converted once.
    let x32: Vec<f32> = x.iter().map(|&a| a as f32).collect();
    let g32 = f.grad(&x32).unwrap();
    assert!((g32[5] as f64 - w[5] * x[5]).abs() < 1e-5);
    // The prepared operator and batched products see them too.
    let h = hvp::HessianOperator::new(&f, &x).unwrap();
    let mut out = vec![0.0; n];
    h.apply_hvp(&v, &mut out).unwrap();
    assert!(Tolerance::AD_F64.close_vec(&out, &hv));
}

#[test]
fn bad_constants_are_trace_errors() {
    let err = trace(
        |x| (x[0].constant(&[1.0, 2.0], &[3]) * &x[0]).sum(),
        &[Spec::vector(3)],
    )
    .unwrap_err();
    assert!(err.to_string().contains("do not fill shape"), "{err}");
    let err = trace(
        |x| (x[0].constant(&[1.0, f64::NAN, 2.0], &[3]) * &x[0]).sum(),
        &[Spec::vector(3)],
    )
    .unwrap_err();
    assert!(err.to_string().contains("non-finite"), "{err}");
}
