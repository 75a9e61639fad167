//! The prepared Hessian operator against the one-off products of the AD
//! core, in every mode, one vector and blocks, and its memory accounting.

use hvp::linop::LinOp;
use hvp::{trace, Function, HessianOperator, HvpMode, Spec, Tensor};
use hvp_testkit::{TestRng, Tolerance};

fn rosenbrock(x: &Tensor) -> Tensor {
    let n = x.numel();
    let head = x.slice_axis(0, 0, n - 1, 1);
    let tail = x.slice_axis(0, 1, n, 1);
    ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
}

fn network() -> Function {
    trace(
        |p| {
            let h = (p[4].matmul(&p[0]) + &p[1]).tanh();
            (h.matmul(&p[2]) + &p[3]).cross_entropy(&p[5])
        },
        &[
            Spec::matrix(4, 6),
            Spec::vector(6),
            Spec::matrix(6, 3),
            Spec::vector(3),
            Spec::data(&[5, 4]),
            Spec::data(&[5]),
        ],
    )
    .unwrap()
}

fn network_point(rng: &mut TestRng, f: &Function) -> Vec<f64> {
    let mut x = rng.vec(f.point_len() - 5, -1.0, 1.0);
    x.extend_from_slice(&[0.0, 2.0, 1.0, 1.0, 2.0]);
    x
}

/// The two test functions: Rosenbrock in 9 variables and the network.
fn rosenbrock_and_network() -> [Function; 2] {
    [
        trace(|x| rosenbrock(&x[0]), &[Spec::vector(9)]).unwrap(),
        network(),
    ]
}

/// A random point of one of [`rosenbrock_and_network`].
fn random_point(rng: &mut TestRng, f: &Function) -> Vec<f64> {
    if f.num_params() == 9 {
        rng.vec(9, -2.0, 2.0)
    } else {
        network_point(rng, f)
    }
}

#[test]
fn prepared_products_equal_one_off_products_in_every_mode() {
    let mut rng = TestRng::new(1);
    for f in &rosenbrock_and_network() {
        let x = random_point(&mut rng, f);
        for mode in HvpMode::ALL {
            let h = HessianOperator::with_mode(f, &x, mode).unwrap();
            let (v0, g0) = f.value_and_grad(&x).unwrap();
            assert!(Tolerance::AD_F64.close(h.value(), v0));
            assert!(Tolerance::AD_F64.close_vec(h.gradient(), &g0));
            for _ in 0..3 {
                let v = rng.vec(f.num_params(), -1.0, 1.0);
                let mut hv = vec![0.0; v.len()];
                h.apply(&v, &mut hv).unwrap();
                let one_off = f.hvp_with(&x, &v, mode).unwrap();
                let tol = match mode {
                    HvpMode::ForwardDifference | HvpMode::CentralDifference => {
                        // Same formula, the same gradients: equal up to the
                        // rounding of the cached gradient.
                        Tolerance {
                            abs: 1e-6,
                            rel: 1e-6,
                        }
                    }
                    _ => Tolerance::AD_F64,
                };
                assert!(
                    tol.close_vec(&hv, &one_off),
                    "{mode:?}: {hv:?} vs {one_off:?}"
                );
            }
        }
    }
}

#[test]
fn apply_many_equals_column_by_column_apply() {
    let mut rng = TestRng::new(2);
    let f = network();
    let x = network_point(&mut rng, &f);
    let h = HessianOperator::new(&f, &x).unwrap();
    let n = h.dim();
    for k in [1, 2, 5, 16] {
        let vs = rng.vec(k * n, -1.0, 1.0);
        let mut many = vec![0.0; k * n];
        h.apply_many(k, &vs, &mut many).unwrap();
        for i in 0..k {
            let mut one = vec![0.0; n];
            h.apply(&vs[i * n..(i + 1) * n], &mut one).unwrap();
            assert!(
                Tolerance::AD_F64.close_vec(&many[i * n..(i + 1) * n], &one),
                "k={k} i={i}"
            );
        }
    }
    assert!(h
        .apply_many(2, &vec![0.0; n], &mut vec![0.0; 2 * n])
        .is_err());
}

#[test]
fn apply_many_on_stencils_and_elementwise_programs() {
    // Rosenbrock (stencils: direction by direction) and an elementwise
    // program (batched), each against single products.
    let rosen = trace(|x| rosenbrock(&x[0]), &[Spec::vector(50)]).unwrap();
    let plain = trace(|x| (x[0].sin() * &x[0]).sum(), &[Spec::vector(50)]).unwrap();
    let mut rng = TestRng::new(4);
    for f in [&rosen, &plain] {
        let x = rng.vec(50, -1.5, 1.5);
        let h = HessianOperator::new(f, &x).unwrap();
        let vs = rng.vec(4 * 50, -1.0, 1.0);
        let mut many = vec![0.0; 4 * 50];
        h.apply_many(4, &vs, &mut many).unwrap();
        let batch = f.hvp_batch(&x, &vs).unwrap();
        for i in 0..4 {
            let one = f.hvp(&x, &vs[i * 50..(i + 1) * 50]).unwrap();
            assert!(Tolerance::AD_F64.close_vec(&many[i * 50..(i + 1) * 50], &one));
            assert!(Tolerance::AD_F64.close_vec(&batch[i * 50..(i + 1) * 50], &one));
        }
    }
}

#[test]
fn large_blocks_of_several_inputs_are_regrouped_correctly() {
    // Blocks above the size at which the regrouping copies go parallel,
    // with inputs of unequal sizes (and a scalar) between them.
    let f = trace(
        |p| ((&p[0] * &p[0]).tanh().sum() + (&p[1] * &p[2]).sin().sum()) * &p[3].exp(),
        &[
            Spec::matrix(300, 500),
            Spec::vector(7),
            Spec::vector(7),
            Spec::scalar(),
        ],
    )
    .unwrap();
    let mut rng = TestRng::new(3);
    let x = rng.vec(f.point_len(), -1.0, 1.0);
    let h = HessianOperator::new(&f, &x).unwrap();
    let n = h.dim();
    let k = 3;
    assert!(k * n > 1 << 18);
    let vs = rng.vec(k * n, -1.0, 1.0);
    let mut many = vec![0.0; k * n];
    h.apply_many(k, &vs, &mut many).unwrap();
    for i in 0..k {
        let one = f.hvp(&x, &vs[i * n..(i + 1) * n]).unwrap();
        assert!(
            Tolerance::AD_F64.close_vec(&many[i * n..(i + 1) * n], &one),
            "row {i}"
        );
    }
}

#[test]
fn the_operator_is_the_hessian() {
    let mut rng = TestRng::new(3);
    let f = network();
    let x = network_point(&mut rng, &f);
    let h = HessianOperator::new(&f, &x).unwrap();
    assert!(h.is_symmetric());
    let dense = h.to_dense().unwrap();
    let want = f.hessian(&x).unwrap();
    assert!(Tolerance::AD_F64.close_vec(&dense, want.data()));
    let diag = h.diagonal().unwrap();
    let n = h.dim();
    let wd: Vec<f64> = (0..n).map(|i| want.data()[i * n + i]).collect();
    assert!(Tolerance::AD_F64.close_vec(&diag, &wd));
}

#[test]
fn memory_is_known_before_preparation_and_matches_after() {
    let f = trace(|x| rosenbrock(&x[0]), &[Spec::vector(1000)]).unwrap();
    let before = f.prepared_memory::<f64>().unwrap();
    let x = vec![0.5_f64; 1000];
    let h = HessianOperator::new(&f, &x).unwrap();
    let after = h.memory().unwrap();
    assert_eq!(before, after);
    // The residuals are O(n) values, not O(n²).
    assert!(after.residual_bytes <= 16 * 1000 * 8, "{after:?}");
    assert!(after.total() > 0);
    // f32 keeps half the bytes.
    let h32 = HessianOperator::new(&f, &vec![0.5_f32; 1000]).unwrap();
    assert_eq!(
        h32.memory().unwrap().residual_bytes * 2,
        after.residual_bytes
    );
}

#[test]
fn bad_input_is_an_error() {
    let f = network();
    let mut rng = TestRng::new(4);
    assert!(HessianOperator::new(&f, &[1.0_f64, 2.0]).is_err());
    let x = network_point(&mut rng, &f);
    let h = HessianOperator::new(&f, &x).unwrap();
    let mut out = vec![0.0; 3];
    assert!(h.apply(&[1.0, 2.0, 3.0], &mut out).is_err());
    let g = trace(|x| x[0].sin(), &[Spec::vector(3)]).unwrap();
    assert!(HessianOperator::new(&g, &[1.0_f64, 2.0, 3.0]).is_err());
}

/// A deliberately wrong operator: `H v + c e₀ v₁`, no longer symmetric and
/// no longer the Hessian.
struct Perturbed<'a> {
    inner: HessianOperator<'a, f64>,
    c: f64,
}

impl LinOp<f64> for Perturbed<'_> {
    fn nrows(&self) -> usize {
        self.inner.dim()
    }
    fn ncols(&self) -> usize {
        self.inner.dim()
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) -> Result<(), hvp::linop::LinOpError> {
        self.inner.apply(x, y)?;
        y[0] += self.c * x[1];
        Ok(())
    }
    fn name(&self) -> &str {
        "perturbed hessian"
    }
}

#[test]
fn self_checks_pass_on_the_hessian_and_flag_a_wrong_operator() {
    let mut rng = TestRng::new(9);
    let f = network();
    let x = network_point(&mut rng, &f);
    for mode in HvpMode::ALL {
        let h = HessianOperator::with_mode(&f, &x, mode).unwrap();
        for seed in 0..3 {
            let s = h.check_symmetry(seed).unwrap();
            assert!(s.passed, "{s}");
            let m = h.check_modes(HvpMode::ReverseOverForward, seed).unwrap();
            assert!(m.passed, "{m}");
            let d = h.check_finite_differences(seed).unwrap();
            assert!(d.passed, "{d}");
        }
    }
    let wrong = Perturbed {
        inner: HessianOperator::new(&f, &x).unwrap(),
        c: 0.05,
    };
    let (ad_tol, fd_tol) = hvp::tolerances::<f64>();
    for seed in 0..3 {
        let s = hvp::check_symmetry(&wrong, seed).unwrap();
        assert!(!s.passed, "{s}");
        let truth = |v: &[f64]| f.hvp(&x, v);
        let m = hvp::check_against(&wrong, "perturbed vs hvp", &truth, ad_tol, seed).unwrap();
        assert!(!m.passed, "{m}");
        let fd = |v: &[f64]| f.hvp_with(&x, v, HvpMode::CentralDifference);
        let d = hvp::check_against(&wrong, "perturbed vs differences", &fd, fd_tol, seed).unwrap();
        assert!(!d.passed, "{d}");
        let d = hvp::check_finite_differences(&wrong, &f, &x, seed).unwrap();
        assert!(!d.passed && !d.inconclusive, "{d}");
    }
}

/// Brown's badly scaled function (MGH 4): `(x₁ − 1e6)² + (x₂ − 2e-6)² +
/// (x₁x₂ − 2)²`. At the standard start (1, 1) the gradient is about
/// `(−2e6, 0)` while `H = [[4, 0], [0, 4]]`: central differences of the
/// gradient lose about `u^(2/3) · 5e5` of relative accuracy to rounding.
fn brown_badly_scaled() -> Function {
    trace(
        |x| (&x[0] - 1e6).square() + (&x[1] - 2e-6).square() + (&x[0] * &x[1] - 2.0).square(),
        &[Spec::scalar(), Spec::scalar()],
    )
    .unwrap()
}

/// A symmetric but wrong operator: `(1 + a) H v + b (v₂, v₁)`.
struct Skewed<'a, T: hvp::Real> {
    inner: HessianOperator<'a, T>,
    a: f64,
    b: f64,
}

impl<T: hvp::Real> LinOp<T> for Skewed<'_, T> {
    fn nrows(&self) -> usize {
        2
    }
    fn ncols(&self) -> usize {
        2
    }
    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), hvp::linop::LinOpError> {
        self.inner.apply(x, y)?;
        let (a, b) = (T::from_f64(self.a), T::from_f64(self.b));
        y[0] = y[0] + a * y[0] + b * x[1];
        y[1] = y[1] + a * y[1] + b * x[0];
        Ok(())
    }
    fn name(&self) -> &str {
        "skewed hessian"
    }
}

#[test]
fn the_difference_check_allows_for_rounding_on_a_badly_scaled_problem() {
    let f = brown_badly_scaled();
    let x = [1.0_f64, 1.0];
    assert_eq!(f.hessian(&x).unwrap().data(), &[4.0, 0.0, 0.0, 4.0]);
    for mode in [
        HvpMode::ForwardOverReverse,
        HvpMode::ReverseOverForward,
        HvpMode::ReverseOverReverse,
    ] {
        let h = HessianOperator::with_mode(&f, &x, mode).unwrap();
        for seed in 0..8 {
            let d = h.check_finite_differences(seed).unwrap();
            assert!(d.passed && !d.inconclusive, "{mode:?} seed {seed}: {d}");
            // The differences really are this far off, far above the
            // nominal u^(2/3): rounding of the 2e6 gradient.
            assert!(d.discrepancy > 1e-9, "{d}");
            let p = d.difference.unwrap();
            // Rounding dominates at the nominal step: the check either
            // kept it or moved to a larger one (at most 2^8 times), where
            // the quartic's truncation starts to show.
            assert!(p.step >= p.nominal_step, "{p:?}");
            assert!(p.step <= 256.0 * p.nominal_step * 1.01, "{p:?}");
            if p.step <= p.nominal_step {
                assert!(p.rounding > p.truncation, "{p:?}");
            }
            let rebuilt = p.operator + p.safety * (p.truncation + p.rounding);
            assert!(
                (d.tolerance - rebuilt).abs() <= 1e-15 * d.tolerance,
                "{p:?}"
            );
            // Sharp enough to flag a product wrong by a relative 1e-4 (the
            // next test).
            assert!(d.tolerance < 1e-4 / 2.0, "{d}");
        }
    }
}

#[test]
fn the_difference_check_flags_a_product_wrong_by_1e_4_on_a_badly_scaled_problem() {
    let f = brown_badly_scaled();
    let x = [1.0_f64, 1.0];
    // Too large by a relative 1e-4, or off by a symmetric 1e-4 ‖H‖ (which the
    // symmetry probe cannot see).
    for (a, b) in [(1e-4, 0.0), (-1e-4, 0.0), (0.0, 4e-4), (0.0, -4e-4)] {
        let wrong = Skewed {
            inner: HessianOperator::new(&f, &x).unwrap(),
            a,
            b,
        };
        for seed in 0..8 {
            let s = hvp::check_symmetry(&wrong, seed).unwrap();
            assert!(s.passed, "{s}");
            let d = hvp::check_finite_differences(&wrong, &f, &x, seed).unwrap();
            assert!(!d.passed && !d.inconclusive, "a={a} b={b} seed {seed}: {d}");
        }
    }
}

#[test]
fn the_difference_check_takes_larger_steps_where_rounding_swamps_the_nominal_one() {
    // In f32 the rounding of a 2e6 gradient swamps the 4v the differences
    // are after at the nominal step; steps up to 2^8 times larger trade it
    // for the quartic's truncation and make the check conclusive, if loose.
    let f = brown_badly_scaled();
    let x = [1.0_f32, 1.0];
    let h = HessianOperator::new(&f, &x).unwrap();
    for seed in 0..4 {
        let d = h.check_finite_differences(seed).unwrap();
        assert!(d.passed && !d.inconclusive, "{d}");
        let p = d.difference.unwrap();
        assert!(p.step > 2.0 * p.nominal_step, "{p:?}");
        assert!(d.tolerance < 1.0, "{d}");
    }
    // A product far off the differences fails.
    let wrong = Skewed {
        inner: HessianOperator::new(&f, &x).unwrap(),
        a: 1.0,
        b: 0.0,
    };
    for seed in 0..4 {
        let d = hvp::check_finite_differences(&wrong, &f, &x, seed).unwrap();
        assert!(!d.passed && !d.inconclusive, "{d}");
    }
}

#[test]
fn the_difference_check_is_inconclusive_where_differences_carry_no_information() {
    // A gradient of 1e12 hides the 2v of its quadratic part entirely in
    // f32 (its ulp is 65536), at every step the check may take: it neither
    // passes a wrong operator on the differences' authority nor fails the
    // right one.
    let f = trace(
        |x| (&x[0] * 1e12).sum() + (&x[0] * &x[0]).sum(),
        &[Spec::vector(2)],
    )
    .unwrap();
    let x = [1.0_f32, -0.5];
    let h = HessianOperator::new(&f, &x).unwrap();
    for seed in 0..4 {
        let d = h.check_finite_differences(seed).unwrap();
        assert!(d.inconclusive && !d.passed, "{d}");
        assert!(d.tolerance > 1.0, "{d}");
        assert!(d.note.as_deref().unwrap().contains("rounding"), "{d}");
    }
    // Where f32 differences are good, the check is conclusive.
    let g = trace(|x| (x[0].tanh() * &x[0]).sum(), &[Spec::vector(5)]).unwrap();
    let x = [0.1_f32, -0.4, 0.9, 1.3, -2.0];
    let h = HessianOperator::new(&g, &x).unwrap();
    let d = h.check_finite_differences(0).unwrap();
    assert!(d.passed && !d.inconclusive, "{d}");
    assert!(d.tolerance < 1e-2, "{d}");
}

#[test]
fn the_difference_check_passes_a_zero_hessian_that_differences_reproduce_exactly() {
    // Linear f: the gradients at x ± hv are equal, D(h) = 0 = Hv exactly,
    // although the rounding estimate u‖∇f‖/h is not zero.
    let f = trace(|x| (&x[0] * 2.0).sum() + 3.0, &[Spec::vector(3)]).unwrap();
    let h = HessianOperator::new(&f, &[1.0_f64, 2.0, -1.0]).unwrap();
    let d = h.check_finite_differences(0).unwrap();
    assert!(d.passed && !d.inconclusive && d.discrepancy == 0.0, "{d}");
}

#[test]
fn the_difference_check_fails_at_a_kink() {
    // |x| has no Hessian at 0; AD says 0 there, the differences of the
    // gradient grow like 1/h and do not settle.
    let f = trace(|x| x[0].abs().sum(), &[Spec::vector(2)]).unwrap();
    let h = HessianOperator::new(&f, &[0.0_f64, 0.5]).unwrap();
    for seed in 0..4 {
        let d = h.check_finite_differences(seed).unwrap();
        assert!(!d.passed && !d.inconclusive, "{d}");
        assert!(d.note.as_deref().unwrap().contains("do not settle"), "{d}");
    }
}

#[test]
fn difference_mode_operators_are_held_to_their_estimated_error() {
    // At Brown's badly scaled start the differences are off by ~1e-6
    // relative (rounding), far above their nominal tolerance; at a
    // well-scaled point they are accurate and the tolerance stays tight.
    let brown = brown_badly_scaled();
    let rosen = trace(|x| rosenbrock(&x[0]), &[Spec::vector(6)]).unwrap();
    // The largest tolerance each case may need, per mode (central,
    // forward): forward differences really are off by ~1e-3 at Brown's
    // start.
    let cases: [(&Function, Vec<f64>, [f64; 2]); 2] = [
        (&brown, vec![1.0, 1.0], [1e-4, 5e-2]),
        (&rosen, vec![-1.2, 1.0, -1.2, 1.0, -1.2, 1.0], [1e-8, 1e-5]),
    ];
    for (f, x, bounds) in &cases {
        for (mode, most) in [HvpMode::CentralDifference, HvpMode::ForwardDifference]
            .into_iter()
            .zip(bounds)
        {
            let h = HessianOperator::with_mode(f, x, mode).unwrap();
            for seed in 0..4 {
                let checks = [
                    h.check_symmetry(seed).unwrap(),
                    h.check_modes(HvpMode::ForwardOverReverse, seed).unwrap(),
                    h.check_finite_differences(seed).unwrap(),
                ];
                for c in &checks {
                    assert!(c.passed, "{mode:?} seed {seed}: {c}");
                    assert!(c.tolerance < *most, "{mode:?} seed {seed}: {c}");
                }
            }
        }
    }
    // The AD operator against forward differences uses the same estimate.
    let h = HessianOperator::new(&brown, &[1.0, 1.0]).unwrap();
    let c = h.check_modes(HvpMode::ForwardDifference, 0).unwrap();
    assert!(c.passed && c.tolerance < 5e-2, "{c}");
}

/// The operator's whole observable state at its point: value, gradient,
/// point and two products.
fn state(h: &HessianOperator<'_, f64>, probes: &[Vec<f64>]) -> (f64, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut products = Vec::new();
    for v in probes {
        let mut hv = vec![0.0; v.len()];
        h.apply(v, &mut hv).unwrap();
        products.extend(hv);
    }
    (
        h.value(),
        h.gradient().to_vec(),
        h.point().to_vec(),
        products,
    )
}

#[test]
fn preparing_again_in_place_equals_a_fresh_operator_in_every_mode() {
    let mut rng = TestRng::new(7);
    for f in &rosenbrock_and_network() {
        let point = |rng: &mut TestRng| random_point(rng, f);
        let probes = [
            rng.vec(f.num_params(), -1.0, 1.0),
            rng.vec(f.num_params(), -1.0, 1.0),
        ];
        for mode in HvpMode::ALL {
            let mut h = HessianOperator::with_mode(f, &point(&mut rng), mode).unwrap();
            for _ in 0..3 {
                let x = point(&mut rng);
                h.prepare_at(&x).unwrap();
                let fresh = HessianOperator::with_mode(f, &x, mode).unwrap();
                // The same programs on the same inputs: the same bits.
                assert_eq!(state(&h, &probes), state(&fresh, &probes), "{mode:?}");
            }
        }
    }
}

#[test]
fn a_failed_preparation_leaves_the_operator_at_its_previous_point() {
    let mut f = trace(
        |x| (x[0].log() * &x[0] + x[0].sin()).sum(),
        &[Spec::vector(3)],
    )
    .unwrap();
    f.set_check_finite(true);
    let probes = [vec![1.0, -0.5, 0.25], vec![0.0, 1.0, 0.0]];
    for mode in HvpMode::ALL {
        let mut h = HessianOperator::with_mode(&f, &[1.0, 2.0, 0.5], mode).unwrap();
        let before = state(&h, &probes);
        // log of a negative entry: a non-finite value mid-program.
        let err = h.prepare_at(&[1.5, -2.0, 0.5]).unwrap_err();
        assert!(err.to_string().contains("non-finite"), "{mode:?}: {err}");
        assert_eq!(state(&h, &probes), before, "{mode:?}");
        // A point of the wrong length.
        assert!(h.prepare_at(&[1.0, 2.0]).is_err());
        assert_eq!(state(&h, &probes), before, "{mode:?}");
        // And it still moves to a good point.
        h.prepare_at(&[0.5, 1.0, 3.0]).unwrap();
        let fresh = HessianOperator::with_mode(&f, &[0.5, 1.0, 3.0], mode).unwrap();
        assert_eq!(state(&h, &probes), state(&fresh, &probes), "{mode:?}");
    }
}
