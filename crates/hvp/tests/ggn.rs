//! Gauss-Newton and empirical Fisher operators against dense references.

use hvp::linop::LinOp;
use hvp::{trace, trace_model_loss, GgnOperator, Reduction, Spec, Tensor};
use hvp_testkit::{dot, TestRng, Tolerance};

const B: usize = 5; // examples
const D: usize = 3; // input features
const H: usize = 4; // hidden units
const C: usize = 3; // classes

fn model(w1: &Tensor, b1: &Tensor, w2: &Tensor, b2: &Tensor, x: &Tensor) -> Tensor {
    (x.matmul(w1) + b1).tanh().matmul(w2) + b2
}

fn specs() -> Vec<Spec> {
    vec![
        Spec::matrix(D, H),
        Spec::vector(H),
        Spec::matrix(H, C),
        Spec::vector(C),
        Spec::data(&[B, D]),
        Spec::data(&[B]),
    ]
}

fn point(rng: &mut TestRng) -> Vec<f64> {
    let mut x = rng.vec(D * H + H + H * C + C + B * D, -1.0, 1.0);
    x.extend_from_slice(&[0.0, 2.0, 1.0, 1.0, 0.0]);
    x
}

const P: usize = D * H + H + H * C + C;

#[test]
fn ggn_is_jt_hl_j_formed_densely() {
    let ml = trace_model_loss(
        |p| {
            let z = model(&p[0], &p[1], &p[2], &p[3], &p[4]);
            let l = z.cross_entropy(&p[5]);
            (z, l)
        },
        &specs(),
    )
    .unwrap();
    let mut rng = TestRng::new(1);
    let x = point(&mut rng);
    // J: columns are J e_j from the model's JVP.
    let m = hvp::trace_many(
        |p| vec![model(&p[0], &p[1], &p[2], &p[3], &p[4])],
        &specs()[..5],
    )
    .unwrap();
    let nz = B * C;
    let mut jac = vec![0.0; nz * P]; // row-major nz × P
    for j in 0..P {
        let mut e = vec![0.0; P];
        e[j] = 1.0;
        let (_, t) = m.jvp(&x[..P + B * D], &e).unwrap();
        for i in 0..nz {
            jac[i * P + j] = t[0].data()[i];
        }
    }
    // ∇²L in z.
    let loss = trace(
        |p| p[0].cross_entropy(&p[1]),
        &[Spec::matrix(B, C), Spec::data(&[B])],
    )
    .unwrap();
    let (zs, _) = m.jvp(&x[..P + B * D], &vec![0.0; P]).unwrap();
    let mut zl = zs[0].data().to_vec();
    zl.extend_from_slice(&x[P + B * D..]);
    let hl = loss.hessian(&zl).unwrap();
    // G = Jᵀ H_L J.
    let mut g = vec![0.0; P * P];
    for a in 0..P {
        for b in 0..P {
            let mut s = 0.0;
            for i in 0..nz {
                for k in 0..nz {
                    s += jac[i * P + a] * hl.data()[i * nz + k] * jac[k * P + b];
                }
            }
            g[a * P + b] = s;
        }
    }
    let op = GgnOperator::new(&ml, &x).unwrap();
    let dense = op.to_dense().unwrap();
    assert!(Tolerance::AD_F64.close_vec(&dense, &g));
    // Value and gradient come with the preparation.
    let (v0, g0) = ml.function().value_and_grad(&x).unwrap();
    assert!(Tolerance::AD_F64.close(op.value(), v0));
    assert!(Tolerance::AD_F64.close_vec(op.gradient(), &g0));
    // PSD, and different from the Hessian for a nonlinear model.
    for s in 0..5 {
        let v = TestRng::new(s).vec(P, -1.0, 1.0);
        let mut gv = vec![0.0; P];
        op.apply(&v, &mut gv).unwrap();
        assert!(dot(&v, &gv) >= -1e-12);
    }
    let h = ml.function().hessian(&x).unwrap();
    assert!(!Tolerance::AD_F64.close_vec(&dense, h.data()));
}

#[test]
fn empirical_fisher_is_the_mean_outer_product_of_per_example_gradients() {
    let ml = trace_model_loss(
        |p| {
            let z = model(&p[0], &p[1], &p[2], &p[3], &p[4]);
            let l = z.cross_entropy(&p[5]);
            (z, l)
        },
        &specs(),
    )
    .unwrap();
    let mut rng = TestRng::new(2);
    let x = point(&mut rng);
    // Per-example gradients from one-example functions.
    let one = trace(
        |p| model(&p[0], &p[1], &p[2], &p[3], &p[4]).cross_entropy(&p[5]),
        &[
            Spec::matrix(D, H),
            Spec::vector(H),
            Spec::matrix(H, C),
            Spec::vector(C),
            Spec::data(&[1, D]),
            Spec::data(&[1]),
        ],
    )
    .unwrap();
    let grads: Vec<Vec<f64>> = (0..B)
        .map(|i| {
            let mut p = x[..P].to_vec();
            p.extend_from_slice(&x[P + i * D..P + (i + 1) * D]);
            p.push(x[P + B * D + i]);
            one.grad(&p).unwrap()
        })
        .collect();
    let fisher = GgnOperator::fisher(&ml, &x, Reduction::Mean).unwrap();
    for s in 0..3 {
        let v = TestRng::new(10 + s).vec(P, -1.0, 1.0);
        let mut fv = vec![0.0; P];
        fisher.apply(&v, &mut fv).unwrap();
        let mut want = vec![0.0; P];
        for g in &grads {
            let c = dot(g, &v) / B as f64;
            for (w, gi) in want.iter_mut().zip(g) {
                *w += c * gi;
            }
        }
        assert!(
            Tolerance::AD_F64.close_vec(&fv, &want),
            "{fv:?} vs {want:?}"
        );
    }
    assert!(fisher.is_symmetric());
}

#[test]
fn a_loss_that_reads_parameters_directly_is_rejected() {
    let err = trace_model_loss(
        |p| {
            let z = model(&p[0], &p[1], &p[2], &p[3], &p[4]);
            let l = z.cross_entropy(&p[5]) + p[0].square().sum();
            (z, l)
        },
        &specs(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("only through the model output"),
        "{err}"
    );
}

#[test]
fn models_may_capture_constant_data() {
    // The same network with the data matrix captured as a constant.
    let mut rng = TestRng::new(5);
    let full = point(&mut rng);
    let xdata = full[P..P + B * D].to_vec();
    let ml = trace_model_loss(
        |p| {
            let x = p[0].constant(&xdata, &[B, D]);
            let z = model(&p[0], &p[1], &p[2], &p[3], &x);
            let l = z.cross_entropy(&p[4]);
            (z, l)
        },
        &[
            Spec::matrix(D, H),
            Spec::vector(H),
            Spec::matrix(H, C),
            Spec::vector(C),
            Spec::data(&[B]),
        ],
    )
    .unwrap();
    let reference = trace_model_loss(
        |p| {
            let z = model(&p[0], &p[1], &p[2], &p[3], &p[4]);
            let l = z.cross_entropy(&p[5]);
            (z, l)
        },
        &specs(),
    )
    .unwrap();
    let mut x = full[..P].to_vec();
    x.extend_from_slice(&full[P + B * D..]);
    let a = GgnOperator::new(&ml, &x).unwrap().to_dense().unwrap();
    let b = GgnOperator::new(&reference, &full)
        .unwrap()
        .to_dense()
        .unwrap();
    assert!(Tolerance::AD_F64.close_vec(&a, &b));
}
