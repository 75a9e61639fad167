//! Level 2 of the test pyramid: properties on random programs.
//!
//! A random recipe of smooth operations (elementwise functions, broadcasting
//! binary ops, shifts through slice/pad/concat, reductions broadcast back,
//! matrix products) is traced into a function of a vector `x` and a matrix
//! `a`; then the derivative identities every correct AD system satisfies are
//! checked on it.

use hvp::{trace, trace_many, Function, HvpMode, Spec, Tensor};
use hvp_testkit::{central_jvp4, dot, TestRng, Tolerance};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Unary(u8, usize),
    Binary(u8, usize, usize),
    Shift(usize),
    ShiftPad(usize),
    MatVec(usize),
    Center(usize),
    Softmax(usize),
    ScaleBySum(usize, usize),
    Stride(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..9, any::<prop::sample::Index>()).prop_map(|(k, i)| Step::Unary(k, i.index(64))),
        (
            0u8..5,
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>()
        )
            .prop_map(|(k, i, j)| Step::Binary(k, i.index(64), j.index(64))),
        any::<prop::sample::Index>().prop_map(|i| Step::Shift(i.index(64))),
        any::<prop::sample::Index>().prop_map(|i| Step::ShiftPad(i.index(64))),
        any::<prop::sample::Index>().prop_map(|i| Step::MatVec(i.index(64))),
        any::<prop::sample::Index>().prop_map(|i| Step::Center(i.index(64))),
        any::<prop::sample::Index>().prop_map(|i| Step::Softmax(i.index(64))),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(i, j)| Step::ScaleBySum(i.index(64), j.index(64))),
        any::<prop::sample::Index>().prop_map(|i| Step::Stride(i.index(64))),
    ]
}

/// Applies a recipe to `x` (shape `[n]`) and `a` (shape `[n, n]`), returning
/// every intermediate value.
fn run_recipe(x: &Tensor, a: &Tensor, steps: &[Step]) -> Vec<Tensor> {
    let n = x.numel();
    let mut vals = vec![x.clone(), a.matmul(x).tanh()];
    for s in steps {
        let pick = |i: usize| vals[i % vals.len()].clone();
        let v = match s {
            Step::Unary(k, i) => {
                let u = pick(*i);
                match k {
                    0 => u.sin(),
                    1 => u.cos(),
                    2 => u.tanh(),
                    3 => u.atan(),
                    4 => u.tanh().exp(),
                    5 => u.square(),
                    6 => u.softplus(),
                    7 => u.sigmoid(),
                    _ => (u.square() + 1.0).sqrt().ln(),
                }
            }
            Step::Binary(k, i, j) => {
                let (u, w) = (pick(*i), pick(*j));
                match k {
                    0 => &u + &w,
                    1 => &u - &w,
                    2 => &u * &w,
                    3 => &u / &(w.square() + 1.0),
                    _ => u.powf(3.0) * 0.1 + &w,
                }
            }
            Step::Shift(i) => {
                let u = pick(*i);
                u.slice_axis(0, 1, n, 1)
                    .concat(&[u.slice_axis(0, 0, 1, 1)], 0)
            }
            Step::ShiftPad(i) => {
                let u = pick(*i);
                u.slice_axis(0, 0, n - 1, 1).pad(&[1], &[0]) + &u
            }
            Step::MatVec(i) => a.matmul(&pick(*i)) * 0.5,
            Step::Center(i) => {
                let u = pick(*i);
                &u - &u.mean()
            }
            Step::Softmax(i) => pick(*i).softmax(0),
            Step::ScaleBySum(i, j) => pick(*i) * pick(*j).sin().sum(),
            Step::Stride(i) => {
                let u = pick(*i);
                let even = u.slice_axis(0, 0, n, 2);
                let m = even.numel();
                even.pad(&[0], &[n - m]) * 2.0 + &u
            }
        };
        vals.push(v);
    }
    vals
}

fn scalar_function(n: usize, steps: &[Step]) -> Function {
    trace(
        |xs| {
            let vals = run_recipe(&xs[0], &xs[1], steps);
            let last = vals.last().unwrap();
            last.sum() + (last.square() * 0.5).sum() + vals[vals.len() / 2].logsumexp(&[0])
        },
        &[Spec::vector(n), Spec::matrix(n, n)],
    )
    .unwrap()
}

fn vector_function(n: usize, steps: &[Step]) -> Function {
    trace_many(
        |xs| {
            let vals = run_recipe(&xs[0], &xs[1], steps);
            vec![vals.last().unwrap().clone()]
        },
        &[Spec::vector(n), Spec::matrix(n, n)],
    )
    .unwrap()
}

fn case() -> impl Strategy<Value = (usize, Vec<Step>, u64)> {
    (2usize..6, prop::collection::vec(step(), 1..7), any::<u64>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn all_hvp_modes_agree((n, steps, seed) in case()) {
        let f = scalar_function(n, &steps);
        let mut rng = TestRng::new(seed);
        let x = rng.vec(f.point_len(), -1.0, 1.0);
        let v = rng.vec(f.num_params(), -1.0, 1.0);
        let base = f.hvp_with(&x, &v, HvpMode::ForwardOverReverse).unwrap();
        for mode in [HvpMode::ReverseOverForward, HvpMode::ReverseOverReverse] {
            let other = f.hvp_with(&x, &v, mode).unwrap();
            prop_assert!(Tolerance::AD_F64.close_vec(&base, &other), "{mode:?}: {base:?} vs {other:?}");
        }
        let (_, _, hv) = f.gradient_and_hvp(&x, &v).unwrap();
        prop_assert!(Tolerance::AD_F64.close_vec(&base, &hv));
    }

    #[test]
    fn hvp_is_symmetric((n, steps, seed) in case()) {
        let f = scalar_function(n, &steps);
        let mut rng = TestRng::new(seed);
        let x = rng.vec(f.point_len(), -1.0, 1.0);
        let u = rng.vec(f.num_params(), -1.0, 1.0);
        let v = rng.vec(f.num_params(), -1.0, 1.0);
        let hu = f.hvp(&x, &u).unwrap();
        let hv = f.hvp(&x, &v).unwrap();
        let (a, b) = (dot(&u, &hv), dot(&hu, &v));
        prop_assert!(Tolerance::AD_F64.close(a, b), "<u,Hv> = {a} but <Hu,v> = {b}");
        let c = f.vhv(&x, &v).unwrap();
        prop_assert!(Tolerance::AD_F64.close(c, dot(&v, &hv)));
    }

    #[test]
    fn hvp_matches_differences_of_gradients((n, steps, seed) in case()) {
        let f = scalar_function(n, &steps);
        let mut rng = TestRng::new(seed);
        let x = rng.vec(f.point_len(), -1.0, 1.0);
        let v = rng.vec(f.num_params(), -1.0, 1.0);
        let hv = f.hvp(&x, &v).unwrap();
        let fd = central_jvp4(|y: &[f64]| f.grad(y).unwrap(), &x, &v, 1e-3);
        let tol = Tolerance { abs: 1e-6, rel: 1e-6 };
        prop_assert!(tol.close_vec(&hv, &fd), "{hv:?} vs {fd:?}");
    }

    #[test]
    fn jvp_and_vjp_satisfy_the_dot_product_identity((n, steps, seed) in case()) {
        let f = vector_function(n, &steps);
        let mut rng = TestRng::new(seed);
        let x = rng.vec(f.point_len(), -1.0, 1.0);
        let t = rng.vec(f.num_params(), -1.0, 1.0);
        let (y, jt) = f.jvp(&x, &t).unwrap();
        let ct = rng.vec(y[0].data().len(), -1.0, 1.0);
        let (_, jtct) = f.vjp(&x, &ct).unwrap();
        let (a, b) = (dot(&ct, jt[0].data()), dot(&jtct, &t));
        prop_assert!(Tolerance::AD_F64.close(a, b), "{a} vs {b}");
        let fd = central_jvp4(|p: &[f64]| f.call(p).unwrap()[0].data().to_vec(), &x, &t, 1e-3);
        let tol = Tolerance { abs: 1e-7, rel: 1e-7 };
        prop_assert!(tol.close_vec(jt[0].data(), &fd), "{:?} vs {fd:?}", jt[0].data());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn batched_hvp_equals_one_at_a_time((n, steps, seed) in case(), k in 1usize..5) {
        let f = scalar_function(n, &steps);
        let mut rng = TestRng::new(seed);
        let x = rng.vec(f.point_len(), -1.0, 1.0);
        let p = f.num_params();
        let vs = rng.vec(k * p, -1.0, 1.0);
        let batched = f.hvp_batch(&x, &vs).unwrap();
        for i in 0..k {
            let one = f.hvp(&x, &vs[i * p..(i + 1) * p]).unwrap();
            prop_assert!(Tolerance::AD_F64.close_vec(&batched[i * p..(i + 1) * p], &one));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    /// The compiled plans of every derived program against the plain-loop
    /// reference evaluator, in f64 and f32.
    #[test]
    fn fast_executor_matches_the_reference((n, steps, seed) in case()) {
        use hvp::transforms::HvpMode as Ad;
        use hvp::Program;
        let f = scalar_function(n, &steps);
        let mut rng = TestRng::new(seed);
        let x = rng.vec(f.point_len(), -1.0, 1.0);
        let v = rng.vec(f.num_params(), -1.0, 1.0);
        let programs = [
            Program::Value,
            Program::Grad,
            Program::Hvp(Ad::ForwardOverReverse),
            Program::Hvp(Ad::ReverseOverForward),
            Program::Hvp(Ad::ReverseOverReverse),
            Program::GradientAndHvp,
            Program::Vhv,
        ];
        for p in programs {
            let g = f.derived_graph(p).unwrap();
            let mut ins: Vec<Vec<f64>> = vec![x[..n].to_vec(), x[n..].to_vec()];
            if g.inputs.len() == 4 {
                ins.push(v[..n].to_vec());
                ins.push(v[n..].to_vec());
            }
            let refs: Vec<&[f64]> = ins.iter().map(|a| a.as_slice()).collect();
            let want = hvp_exec::eval_reference(g, &refs).unwrap();
            let plan = hvp_exec::Plan::compile(g).unwrap();
            let got = plan.call(&refs).unwrap();
            for (a, b) in got.iter().zip(&want) {
                prop_assert!(Tolerance::EXEC_F64.close_vec(a, b), "{p:?}: {a:?} vs {b:?}");
            }
            let g32 = g.clone().with_dtype(hvp::DType::F32);
            let ins32: Vec<Vec<f32>> = ins.iter().map(|a| a.iter().map(|&v| v as f32).collect()).collect();
            let refs32: Vec<&[f32]> = ins32.iter().map(|a| a.as_slice()).collect();
            let want32 = hvp_exec::eval_reference(&g32, &refs32).unwrap();
            let got32 = hvp_exec::Plan::compile(&g32).unwrap().call(&refs32).unwrap();
            for (a, b) in got32.iter().zip(&want32) {
                let a: Vec<f64> = a.iter().map(|&v| v as f64).collect();
                let b: Vec<f64> = b.iter().map(|&v| v as f64).collect();
                prop_assert!(Tolerance::EXEC_F32.close_vec(&a, &b), "{p:?} f32: {a:?} vs {b:?}");
            }
        }
    }
}
