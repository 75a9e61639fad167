//! The catalog: names, dimensions, starting points, errors for bad input
//! (never a panic), and the logistic regression's generated data.

mod common;

use hvp_problems::{all, by_name, by_name_with, logistic_regression, MRule, NRule, ProblemError};
use proptest::prelude::*;
use std::collections::HashSet;

#[test]
fn all_lists_the_35_mgh_problems_then_the_extras_with_unique_names() {
    let specs = all();
    let names: HashSet<&str> = specs.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), specs.len(), "duplicate names");
    let numbers: Vec<u8> = specs.iter().filter_map(|s| s.mgh_number).collect();
    assert_eq!(
        numbers,
        (1..=35).collect::<Vec<u8>>(),
        "MGH problems in the paper's order"
    );
    assert!(names.contains("chained-rosenbrock") && names.contains("logistic-regression"));
    assert_eq!(specs.len(), 37);
    for s in &specs {
        assert!(
            !s.name.is_empty()
                && s.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !s.name.starts_with('-')
                && !s.name.ends_with('-')
                && !s.name.contains("--"),
            "{} is not kebab-case",
            s.name
        );
        assert!(
            !s.description.is_empty() && !s.description.contains('\n'),
            "{}",
            s.name
        );
        assert!(s.n_rule.allows(s.default_n), "{}: default n", s.name);
        let m = s.m_rule.default_m(s.default_n);
        assert!(s.m_rule.allows(s.default_n, m), "{}: default m", s.name);
    }
    // The variable-dimension problems the brief names are all here.
    for name in [
        "extended-rosenbrock",
        "extended-powell-singular",
        "penalty-1",
        "penalty-2",
        "variably-dimensioned",
        "trigonometric",
        "brown-almost-linear",
        "discrete-boundary-value",
        "discrete-integral-equation",
        "broyden-tridiagonal",
        "broyden-banded",
        "linear-full-rank",
        "linear-rank-1",
        "linear-rank-1-zero-columns-rows",
        "chebyquad",
        "watson",
    ] {
        assert!(names.contains(name), "{name}");
    }
}

#[test]
fn every_default_instance_is_consistent() {
    for s in all() {
        let p = s.problem(None).unwrap();
        assert_eq!((p.name, p.n), (s.name, s.default_n));
        assert_eq!(p.x0.len(), p.n, "{}", p.name);
        assert_eq!(p.mgh_number, s.mgh_number);
        if let Some(x) = &p.x_star {
            assert_eq!(x.len(), p.n, "{}", p.name);
        }
        assert_eq!(p.point(&p.x0).len(), p.n + p.data().len());
        let f = p.function().unwrap();
        assert_eq!(f.num_params(), p.n, "{}", p.name);
        assert_eq!(f.point_len(), p.n + p.data().len(), "{}", p.name);
        if p.is_least_squares() {
            assert!(p.data().is_empty());
            let r = p.residual_function().unwrap().unwrap();
            assert_eq!(r.call(&p.x0).unwrap()[0].shape().dims(), &[p.m]);
        } else {
            assert!(p.residual_function().is_none());
        }
    }
}

#[test]
fn starting_points_scale_by_the_papers_factors() {
    let p = by_name("wood", None).unwrap();
    assert_eq!(p.x0, vec![-3.0, -1.0, -3.0, -1.0]);
    let x100 = p.start(100.0);
    for (a, b) in x100.iter().zip(&p.x0) {
        assert!((a - 100.0 * b).abs() < 1e-12);
    }
    // Spot checks of the paper's starts.
    let close = |a: &[f64], b: &[f64]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-15)
    };
    assert!(close(
        &by_name("rosenbrock", None).unwrap().x0,
        &[-1.2, 1.0]
    ));
    assert!(close(
        &by_name("meyer", None).unwrap().x0,
        &[0.02, 4000.0, 250.0]
    ));
    assert!(close(
        &by_name("penalty-1", Some(4)).unwrap().x0,
        &[1.0, 2.0, 3.0, 4.0]
    ));
    assert!(close(
        &by_name("variably-dimensioned", Some(4)).unwrap().x0,
        &[0.75, 0.5, 0.25, 0.0]
    ));
    assert!(close(
        &by_name("chebyquad", Some(4)).unwrap().x0,
        &[0.2, 0.4, 0.6, 0.8]
    ));
    assert!(close(
        &by_name("discrete-boundary-value", Some(3)).unwrap().x0,
        &[0.25 * -0.75, 0.5 * -0.5, 0.75 * -0.25]
    ));
    let cr = by_name("chained-rosenbrock", Some(5)).unwrap();
    assert!(close(&cr.x0, &[-1.2, 1.0, -1.2, 1.0, -1.2]));
    assert_eq!(cr.m, 8);
}

#[test]
fn dimensions_follow_the_paper() {
    let dims = |name: &str, n: Option<usize>| {
        let p = by_name(name, n).unwrap();
        (p.n, p.m)
    };
    assert_eq!(dims("bard", None), (3, 15));
    assert_eq!(dims("osborne-2", None), (11, 65));
    assert_eq!(dims("watson", Some(12)), (12, 31));
    assert_eq!(dims("penalty-1", Some(4)), (4, 5));
    assert_eq!(dims("penalty-2", Some(4)), (4, 8));
    assert_eq!(dims("variably-dimensioned", Some(4)), (4, 6));
    assert_eq!(dims("jennrich-sampson", None), (2, 10));
    assert_eq!(dims("brown-dennis", None), (4, 20));
    assert_eq!(dims("biggs-exp6", None), (6, 13));
    assert_eq!(dims("linear-full-rank", Some(5)), (5, 10));
    assert_eq!(dims("chebyquad", Some(8)), (8, 8));
    assert_eq!(dims("logistic-regression", Some(3)), (3, 30));
    let p = by_name_with("linear-full-rank", Some(5), Some(50)).unwrap();
    assert_eq!(p.f_star, Some(45.0));
    assert_eq!(
        by_name_with("gulf-research", None, Some(100)).unwrap().m,
        100
    );
}

#[test]
fn bad_names_and_dimensions_are_errors_that_say_why() {
    let e = by_name("rosenbrok", None).unwrap_err();
    assert!(matches!(e, ProblemError::UnknownName { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("rosenbrok") && msg.contains("chained-rosenbrock"),
        "{msg}"
    );

    for (name, n) in [
        ("rosenbrock", 3),
        ("watson", 1),
        ("watson", 32),
        ("extended-rosenbrock", 7),
        ("extended-powell-singular", 6),
        ("extended-powell-singular", 0),
        ("penalty-1", 0),
        ("linear-rank-1-zero-columns-rows", 2),
        ("chained-rosenbrock", 1),
        ("logistic-regression", 0),
    ] {
        let e = by_name(name, Some(n)).unwrap_err();
        assert!(matches!(e, ProblemError::BadN { .. }), "{name} {n}: {e:?}");
        assert!(e.to_string().contains(&format!("n = {n}")), "{e}");
    }
    for (name, n, m) in [
        ("bard", None, 16),
        ("gulf-research", None, 101),
        ("gulf-research", None, 2),
        ("jennrich-sampson", None, 1),
        ("linear-full-rank", Some(10), 9),
        ("penalty-2", Some(4), 9),
        ("chebyquad", Some(5), 4),
        ("logistic-regression", Some(5), 0),
    ] {
        let e = by_name_with(name, n, Some(m)).unwrap_err();
        assert!(matches!(e, ProblemError::BadM { .. }), "{name} {m}: {e:?}");
        assert!(e.to_string().contains(&format!("m = {m}")), "{e}");
    }
    for lambda in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = logistic_regression(3, 10, lambda, 0).unwrap_err();
        assert!(matches!(e, ProblemError::BadParameter { .. }), "{e:?}");
    }
}

#[test]
fn rules_describe_themselves() {
    let w = all().into_iter().find(|s| s.name == "watson").unwrap();
    assert_eq!(w.n_rule.to_string(), "2 <= n <= 31");
    assert_eq!(w.m_rule.to_string(), "m = 31");
    let e = all()
        .into_iter()
        .find(|s| s.name == "extended-powell-singular")
        .unwrap();
    assert_eq!(e.n_rule.to_string(), "n >= 4, n a multiple of 4");
    let l = all()
        .into_iter()
        .find(|s| s.name == "linear-full-rank")
        .unwrap();
    assert_eq!(l.m_rule.to_string(), "m >= 1, m >= n (default 2n)");
    assert_eq!(MRule::Linked { a: 2, b: -2 }.to_string(), "m = 2n - 2");
    assert!(NRule::Fixed(4).allows(4) && !NRule::Fixed(4).allows(5));
}

#[test]
fn logistic_data_is_seeded_gaussian_with_planted_labels() {
    let p = by_name("logistic-regression", Some(8)).unwrap();
    let q = by_name("logistic-regression", Some(8)).unwrap();
    assert_eq!(p.data(), q.data(), "same seed, same data");
    let r = logistic_regression(8, 80, 1e-2, 1).unwrap();
    assert_ne!(p.data(), r.data(), "another seed, other data");
    assert_eq!(p.data().len(), p.m * p.n + p.m);

    // Large sample: features look standard normal, labels are ±1, both
    // classes occur, and the planted direction predicts them.
    let big = logistic_regression(4, 5000, 1e-2, 3).unwrap();
    let (a, y) = big.data().split_at(5000 * 4);
    let mean = a.iter().sum::<f64>() / a.len() as f64;
    let var = a.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / a.len() as f64;
    assert!(
        mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
        "{mean} {var}"
    );
    assert!(y.iter().all(|&v| (v.abs() - 1.0).abs() < 1e-15));
    let pos = y.iter().filter(|&&v| v > 0.0).count();
    assert!(pos > 1500 && pos < 3500, "{pos}");
    // The fitted weights classify most examples correctly.
    let w = big.x_star.as_ref().unwrap();
    let correct = a
        .chunks_exact(4)
        .zip(y)
        .filter(|(row, &yi)| yi * row.iter().zip(w).map(|(r, v)| r * v).sum::<f64>() > 0.0)
        .count();
    assert!(correct > 3500, "{correct}");
}

#[test]
fn logistic_regression_is_solved_at_construction() {
    let p = logistic_regression(6, 120, 1e-3, 5).unwrap();
    let f = p.function().unwrap();
    let x = p.x_star.clone().unwrap();
    let g = f.grad(&p.point(&x)).unwrap();
    assert!(common::max_abs(&g) < 1e-10, "{g:?}");
    let fs = p.f_star.unwrap();
    assert!((f.value(&p.point(&x)).unwrap() - fs).abs() < 1e-14);
    assert!((common::logistic_value(&p, &x, 1e-3) - fs).abs() < 1e-14);
    assert!((f.value(&p.point(&p.x0)).unwrap() - 2f64.ln()).abs() < 1e-15);
    // Strong convexity: moving off the minimizer increases f.
    let mut y = x.clone();
    y[0] += 1e-3;
    assert!(f.value(&p.point(&y)).unwrap() > fs);
    // Too large to solve at construction: no f*.
    let big = logistic_regression(2000, 20, 1e-2, 0).unwrap();
    assert!(big.f_star.is_none() && big.x_star.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any name and any dimensions: an instance or an error, never a panic;
    /// an instance satisfies its rules.
    #[test]
    fn instantiation_never_panics(
        k in 0usize..40,
        n in proptest::option::of(0usize..70),
        m in proptest::option::of(0usize..140),
    ) {
        let specs = all();
        let name = specs.get(k).map_or("not-a-problem", |s| s.name);
        match by_name_with(name, n, m) {
            Ok(p) => {
                let s = specs.iter().find(|s| s.name == name).unwrap();
                prop_assert!(s.n_rule.allows(p.n) && s.m_rule.allows(p.n, p.m));
                prop_assert_eq!(p.x0.len(), p.n);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// The variable-dimension problems at random n and random points agree
    /// with the reference.
    #[test]
    fn variable_dimension_values_match_the_reference(
        k in 20usize..35,
        n in 1usize..60,
        seed in 0u64..1000,
    ) {
        let s = &all()[k];
        let n = match s.n_rule {
            NRule::Range { min, step, .. } => n.max(min).div_ceil(step) * step,
            NRule::Fixed(n) => n,
        };
        let Ok(p) = s.problem(Some(n)) else { return Ok(()) };
        let mut rng = hvp_testkit::TestRng::new(seed);
        let x = rng.vec(p.n, -1.0, 1.0);
        let want = common::value(&p, &x);
        let got = p.function().unwrap().value(&x).unwrap();
        prop_assert!((got - want).abs() <= 1e-11 * want.abs() + 1e-12, "{} n={}: {} vs {}", p.name, p.n, got, want);
    }
}
