//! The optimizers on AD objectives, against the same runs on closed forms.

use hvp::optim::{
    continue_always, newton_cg, trust_region_cg, trust_region_lanczos, FnObjective, NewtonCgParams,
    Status, TrustRegionParams,
};
use hvp::{trace, trace_model_loss, AdObjective, Spec};

fn rosen2() -> hvp::Function {
    trace(
        |x| {
            let (a, b) = (x[0].index_axis(0, 0), x[0].index_axis(0, 1));
            (b - a.square()).square() * 100.0 + (1.0 - a).square()
        },
        &[Spec::vector(2)],
    )
    .unwrap()
}

fn rosen2_closed_form() -> impl hvp::optim::Objective<f64> {
    FnObjective::new(
        2,
        |x: &[f64]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2),
        |x: &[f64], g: &mut [f64]| {
            g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
        },
        |x: &[f64]| {
            vec![
                1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0,
                -400.0 * x[0],
                -400.0 * x[0],
                200.0,
            ]
        },
    )
}

#[test]
fn ad_objective_runs_like_the_closed_form() {
    let f = rosen2();
    let ad = AdObjective::new(&f, &[0.0, 0.0]).unwrap();
    let exact = rosen2_closed_form();
    let x0 = [-1.2_f64, 1.0];
    let tr = TrustRegionParams::default();
    let runs = [
        (
            trust_region_cg(&ad, &x0, &tr, continue_always).unwrap(),
            trust_region_cg(&exact, &x0, &tr, continue_always).unwrap(),
        ),
        (
            trust_region_lanczos(&ad, &x0, &tr, continue_always).unwrap(),
            trust_region_lanczos(&exact, &x0, &tr, continue_always).unwrap(),
        ),
        (
            newton_cg(&ad, &x0, &NewtonCgParams::default(), continue_always).unwrap(),
            newton_cg(&exact, &x0, &NewtonCgParams::default(), continue_always).unwrap(),
        ),
    ];
    for (a, e) in &runs {
        assert!(
            matches!(a.stats.status, Status::Converged(_)),
            "{:?}",
            a.stats.status
        );
        assert!(
            (a.x[0] - 1.0).abs() < 1e-8 && (a.x[1] - 1.0).abs() < 1e-8,
            "{:?}",
            a.x
        );
        // Same mathematics, same path: the counts agree up to rounding-level
        // branch differences.
        assert!(
            a.stats.iterations.abs_diff(e.stats.iterations) <= 2,
            "{:?} vs {:?}",
            a.stats,
            e.stats
        );
        assert!(a.stats.hv_products.abs_diff(e.stats.hv_products) <= 4);
    }
}

#[test]
fn data_inputs_stay_fixed_and_gauss_newton_minimizes_a_convex_loss() {
    // Multinomial logistic regression on data that no hyperplane separates
    // (each feature row appears with several labels): convex with a finite
    // minimizer, and its GGN is its Hessian.
    let (b, d, c) = (12, 3, 3);
    let ml = trace_model_loss(
        |p| {
            let z = p[2].matmul(&p[0]) + &p[1];
            let l = z.cross_entropy(&p[3]);
            (z, l)
        },
        &[
            Spec::matrix(d, c),
            Spec::vector(c),
            Spec::data(&[b, d]),
            Spec::data(&[b]),
        ],
    )
    .unwrap();
    let mut point = vec![0.0; d * c + c];
    point.extend((0..b * d).map(|i| (((i / d) % 4 * d + i % d) * 37 % 11) as f64 / 3.0 - 1.5));
    point.extend((0..b).map(|i| (i % c) as f64));
    let n = d * c + c;
    let gn = AdObjective::gauss_newton(&ml, &point).unwrap();
    let h = AdObjective::new(ml.function(), &point).unwrap();
    let x0 = vec![0.0; n];
    let params = TrustRegionParams::default();
    let r_gn = trust_region_cg(&gn, &x0, &params, continue_always).unwrap();
    let r_h = trust_region_cg(&h, &x0, &params, continue_always).unwrap();
    for r in [&r_gn, &r_h] {
        assert!(
            matches!(r.stats.status, Status::Converged(_)),
            "{:?}",
            r.stats.status
        );
    }
    assert!((r_gn.f - r_h.f).abs() < 1e-8 * (1.0 + r_h.f.abs()));
    assert!(AdObjective::new(ml.function(), &[0.0; 3]).is_err());
}
