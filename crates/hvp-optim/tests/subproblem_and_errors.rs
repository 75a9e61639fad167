//! The trust-region subproblem (hard case included) and invalid input.

mod common;
use hvp_linop::{Dense, Diagonal, LinOp};
use hvp_optim::*;

/// `‖(H + λI)p + g‖`.
fn kkt_residual(h: &dyn LinOp<f64>, g: &[f64], s: &TrSubproblem<f64>) -> f64 {
    let mut hp = vec![0.0; g.len()];
    h.apply(&s.step, &mut hp).unwrap();
    hp.iter()
        .zip(&s.step)
        .zip(g)
        .map(|((a, p), gi)| (a + s.lambda * p + gi).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

#[test]
fn hard_case_solved_by_lanczos() {
    // g ⟂ e₁, the eigenvector of λ₁ = −2: λ* = 2, p = p_rest ± τ e₁.
    let h = Diagonal::new(vec![-2.0f64, 1.0, 3.0, 4.0]);
    let g = [0.0, 1.0, 1.0, 1.0];
    let s = lanczos_tr_subproblem(&h, &g, 2.0, &LanczosTrParams::default()).unwrap();
    assert!(s.hard_case && s.on_boundary && s.restarts == 1);
    assert!((s.lambda - 2.0).abs() < 1e-12);
    assert!((norm(&s.step) - 2.0).abs() < 1e-12);
    assert!(kkt_residual(&h, &g, &s) < 1e-10);
    let rest = [-1.0 / 3.0, -1.0 / 5.0, -1.0 / 6.0];
    for (p, r) in s.step[1..].iter().zip(rest) {
        assert!((p - r).abs() < 1e-12);
    }
    // The optimal model value Σ (½ θᵢ yᵢ² + yᵢ) − τ² over θ = 1, 3, 4
    // with yᵢ = −1/(θᵢ + 2), and τ² = 4 − ‖p_rest‖².
    let tau2 = 4.0 - rest.iter().map(|r| r * r).sum::<f64>();
    let expected: f64 = [1.0f64, 3.0, 4.0]
        .iter()
        .map(|t| {
            let y = -1.0 / (t + 2.0);
            0.5 * t * y * y + y
        })
        .sum::<f64>()
        - tau2;
    assert!(
        (s.model_value - expected).abs() < 1e-10,
        "{} vs {expected}",
        s.model_value
    );
    // Without exploring, Lanczos cannot see e₁ and stops in the invariant
    // subspace with a worse (interior) model value.
    let p = LanczosTrParams {
        explore_invariant: false,
        ..Default::default()
    };
    let s2 = lanczos_tr_subproblem(&h, &g, 2.0, &p).unwrap();
    assert!(!s2.hard_case && s2.model_value > s.model_value + 1.0);
}

#[test]
fn subproblem_matches_kkt_on_indefinite_dense() {
    let h = Dense::from_rows(&[[1.0, 2.0, 0.0], [2.0, -1.0, 0.5], [0.0, 0.5, 3.0]]).unwrap();
    let g = [1.0, -1.0, 0.5];
    for radius in [0.1, 1.0, 10.0] {
        let s = lanczos_tr_subproblem(&h, &g, radius, &LanczosTrParams::default()).unwrap();
        assert!(s.on_boundary && s.lambda > 0.0);
        assert!((norm(&s.step) - radius).abs() < 1e-10 * radius);
        assert!(kkt_residual(&h, &g, &s) < 1e-9);
        // H + λI ⪰ 0: λ ≥ −λ_min(H).
        assert!(s.lambda + s.min_ritz_value >= -1e-10);
    }
}

#[test]
fn bad_input_is_an_error() {
    let obj = common::rosenbrock();
    let go = continue_always::<f64>;
    let e = newton_cg(&obj, &[1.0], &NewtonCgParams::default(), go).unwrap_err();
    assert!(matches!(
        e,
        OptimError::Length {
            expected: 2,
            got: 1,
            ..
        }
    ));
    let e = trust_region_cg(&obj, &[f64::NAN, 1.0], &TrustRegionParams::default(), go).unwrap_err();
    assert!(matches!(e, OptimError::NonFinite { index: 0, .. }), "{e}");
    let p = NewtonCgParams {
        c1: 0.95,
        ..Default::default()
    };
    assert!(matches!(
        newton_cg(&obj, &[0.0, 0.0], &p, go),
        Err(OptimError::InvalidParam { .. })
    ));
    let p = TrustRegionParams {
        initial_radius: -1.0,
        ..Default::default()
    };
    assert!(matches!(
        trust_region_lanczos(&obj, &[0.0, 0.0], &p, go),
        Err(OptimError::InvalidParam { .. })
    ));
    let p = TrustRegionParams {
        eta: 0.5,
        ..Default::default()
    };
    assert!(trust_region_cg(&obj, &[0.0, 0.0], &p, go).is_err());
    let p = NewtonCgParams {
        forcing: Forcing::Fixed(1.5),
        ..Default::default()
    };
    assert!(newton_cg(&obj, &[0.0, 0.0], &p, go).is_err());
    // A non-finite value at the start has no step to shrink.
    let bad = FnObjective::new(
        1,
        |_: &[f64]| f64::INFINITY,
        |_: &[f64], g: &mut [f64]| g[0] = 1.0,
        |_: &[f64]| vec![1.0],
    );
    let e = newton_cg(&bad, &[0.0], &NewtonCgParams::default(), go).unwrap_err();
    assert!(
        e.to_string()
            .contains("objective value at the starting point"),
        "{e}"
    );
    // Subproblem input.
    let h = Diagonal::new(vec![1.0, 2.0]);
    assert!(lanczos_tr_subproblem(&h, &[1.0], 1.0, &LanczosTrParams::default()).is_err());
    assert!(lanczos_tr_subproblem(&h, &[1.0, 1.0], 0.0, &LanczosTrParams::default()).is_err());
    assert!(tridiagonal_tr_subproblem(&[1.0, 2.0], &[1.0, 1.0], 1.0, 1.0).is_err());
}

/// An objective whose operation fails.
struct Failing;
impl Objective<f64> for Failing {
    fn dim(&self) -> usize {
        1
    }
    fn value(&self, _: &[f64]) -> Result<f64, OptimError> {
        Err(OptimError::objective("no"))
    }
    fn value_and_gradient(&self, _: &[f64], _: &mut [f64]) -> Result<f64, OptimError> {
        Err(OptimError::objective("no"))
    }
    fn prepare(&self, _: &[f64]) -> Result<Prepared<'_, f64>, OptimError> {
        Err(OptimError::objective("cannot evaluate"))
    }
}

#[test]
fn objective_errors_propagate() {
    let e = trust_region_lanczos(
        &Failing,
        &[0.0],
        &TrustRegionParams::default(),
        continue_always,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "objective: cannot evaluate");
}
