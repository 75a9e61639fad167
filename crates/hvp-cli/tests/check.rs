//! `hvp check`: PASS on smooth functions (exit 0), FAIL where the Hessian
//! does not exist (exit 1), JSON form.

mod common;
use common::{hvp, json};
use predicates::prelude::*;

#[test]
fn smooth_functions_pass_every_check() {
    let cases: &[(&str, &str)] = &[
        ("x^2*y + sin(y)", "x=1.5,y=-0.7"),
        (
            "sum(tanh(x) * x) + logsumexp(x)",
            "x=[0.1, -0.4, 0.9, 1.3, -2.0]",
        ),
        (
            "logsumexp(A @ w) + 0.5*norm(w)^2",
            "A=[[1,2],[3,4],[5,6]],w=[0.1,-0.2]",
        ),
    ];
    for (expr, at) in cases {
        for dtype in ["f64", "f32"] {
            hvp(&["check", "-e", expr, "--at", at, "--dtype", dtype])
                .assert()
                .code(0)
                .stdout(predicate::str::contains("PASS  symmetry"))
                .stdout(predicate::str::contains("vs reverse-over-reverse"))
                .stdout(predicate::str::contains("vs central differences"))
                .stdout(predicate::str::contains("checks passed"))
                .stdout(predicate::str::contains("FAIL").not());
        }
    }
}

#[test]
fn every_mode_can_be_the_operator_under_test() {
    for mode in ["for", "rof", "ror", "fd", "cfd"] {
        hvp(&[
            "check",
            "-e",
            "sum(exp(x) * x^3)",
            "--at",
            "x=[0.3, -0.2]",
            "--mode",
            mode,
        ])
        .assert()
        .code(0);
    }
}

#[test]
fn a_kink_fails_the_finite_difference_check_with_exit_1() {
    hvp(&["check", "-e", "sum(abs(x))", "--at", "x=[0, 0]"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL  forward-over-reverse vs central differences",
        ))
        .stdout(predicate::str::contains("1 of 5 checks FAILED"));
}

#[test]
fn non_finite_values_fail() {
    hvp(&["check", "-e", "sqrt(x)", "--at", "x=0"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL  value and gradient are finite",
        ));
}

#[test]
fn json_lists_each_check_and_the_verdict() {
    let j = json(&[
        "check",
        "-e",
        "x^2*y + sin(y)",
        "--at",
        "x=1.5,y=-0.7",
        "--json",
    ]);
    assert_eq!(j["passed"], true);
    let checks = j["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    for c in checks {
        assert_eq!(c["passed"], true, "{c}");
        assert!(c["discrepancy"].as_f64().unwrap() <= c["tolerance"].as_f64().unwrap());
    }
    let out = hvp(&["check", "-e", "sum(abs(x))", "--at", "x=[0, 0]", "--json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(j["passed"], false);
}

#[test]
fn difference_mode_operators_pass_on_badly_scaled_problems() {
    // Their symmetry and mode checks are held to the differences' error
    // at the point (large at Brown's start), not to a fixed tolerance.
    for problem in ["brown-badly-scaled", "meyer", "osborne-1", "trigonometric"] {
        for mode in ["fd", "cfd"] {
            hvp(&["check", "--problem", problem, "--mode", mode])
                .assert()
                .code(0)
                .stdout(predicate::str::contains("FAIL").not());
        }
    }
}
