//! `hvp minimize`: known minima of MGH problems with each method, an
//! expression, a non-converging run, progress output and bad input.

mod common;
use common::{hvp, vec_of};
use predicates::prelude::*;
use serde_json::Value;

fn run_json(args: &[&str]) -> (Value, i32) {
    let out = hvp(args).output().expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
    (v, out.status.code().expect("an exit code"))
}

#[test]
fn mgh_problems_reach_their_minimum_with_every_method() {
    let cases: [&[&str]; 4] = [
        &["--problem", "rosenbrock"],
        &["--problem", "beale"],
        &["--problem", "helical-valley"],
        &["--problem", "extended-rosenbrock", "--n", "10"],
    ];
    for case in cases {
        for method in ["newton-cg", "tr-cg", "tr-lanczos"] {
            let mut args = vec!["minimize", "--method", method, "--json"];
            args.extend_from_slice(case);
            let (r, code) = run_json(&args);
            let what = format!("{case:?} {method}");
            assert_eq!(code, 0, "{what}: {r}");
            assert_eq!(r["converged"], true, "{what}");
            let f = r["f"].as_f64().unwrap();
            let f_star = r["f_star"].as_f64().unwrap();
            assert!((f - f_star).abs() <= 1e-8, "{what}: f = {f}, f* = {f_star}");
            assert!(r["gap"].as_f64().unwrap().abs() <= 1e-8, "{what}");
            for c in [
                "iterations",
                "f_evals",
                "grad_evals",
                "hessian_preparations",
                "hv_products",
            ] {
                assert!(r["counts"][c].as_u64().unwrap() > 0, "{what}: counts.{c}");
            }
            let history = r["history"].as_array().unwrap();
            assert_eq!(
                history.len() as u64,
                r["counts"]["iterations"].as_u64().unwrap(),
                "{what}: one history row per iteration"
            );
            assert_eq!(r["method"], method);
            assert_eq!(vec_of(&r["x"]).len() as u64, r["n"].as_u64().unwrap());
        }
    }
}

#[test]
fn minimizes_an_expression_from_its_point() {
    let (r, code) = run_json(&[
        "minimize",
        "--expr",
        "sum((x - range(1, 6))^2) + (x[0] - x[1])^4",
        "--at",
        "x=[0, 0, 0, 0, 0]",
        "--json",
    ]);
    assert_eq!(code, 0, "{r}");
    let x = vec_of(&r["x"]);
    assert_eq!(x.len(), 5);
    for (i, xi) in x.iter().enumerate().skip(2) {
        assert!((xi - (i + 1) as f64).abs() < 1e-6, "x[{i}] = {xi}");
    }
    assert!(r["f_star"].is_null());
    // Text output names the status and the minimizer.
    hvp(&["minimize", "-e", "(a - 2)^2 + (b + 1)^2", "--at", "a=0,b=0"])
        .assert()
        .success()
        .stdout(predicate::str::contains("converged"))
        .stdout(predicate::str::contains("a = 2"))
        .stdout(predicate::str::contains("b = -1"));
}

#[test]
fn a_run_out_of_iterations_exits_1_with_its_status() {
    let (r, code) = run_json(&[
        "minimize",
        "--problem",
        "rosenbrock",
        "--max-iters",
        "2",
        "--json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["status"], "max_iterations");
    assert_eq!(r["converged"], false);
    hvp(&["minimize", "--problem", "rosenbrock", "--max-iters", "2"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("max_iterations"))
        .stderr(predicate::str::contains("did not converge"));
}

#[test]
fn progress_goes_to_stderr_when_asked() {
    hvp(&["minimize", "--problem", "beale", "--progress"])
        .assert()
        .success()
        .stderr(predicate::str::contains("‖∇f‖"))
        .stderr(predicate::str::contains("radius"));
    hvp(&[
        "minimize",
        "--problem",
        "beale",
        "--method",
        "newton-cg",
        "--progress",
    ])
    .assert()
    .success()
    .stderr(predicate::str::contains("step"));
    // Not a terminal and not asked: stderr stays empty.
    hvp(&["minimize", "--problem", "beale"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

#[test]
fn f32_and_a_given_start_for_a_problem() {
    let (r, code) = run_json(&[
        "minimize",
        "--problem",
        "rosenbrock",
        "--at",
        "x=[2, 2]",
        "--dtype",
        "f32",
        "--json",
    ]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["dtype"], "f32");
    let x = vec_of(&r["x"]);
    assert!(
        (x[0] - 1.0).abs() < 1e-2 && (x[1] - 1.0).abs() < 1e-2,
        "{x:?}"
    );
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["minimize", "--problem", "no-such"],
            "unknown problem 'no-such'",
        ),
        (
            &["minimize", "--problem", "rosenbrock", "--method", "bfgs"],
            "invalid value 'bfgs'",
        ),
        (
            &["minimize", "--problem", "rosenbrock", "--n", "3"],
            "n = 3 is not allowed",
        ),
        (
            &["minimize", "--problem", "extended-rosenbrock", "--n", "7"],
            "a multiple of 2",
        ),
        (
            &["minimize", "--problem", "rosenbrock", "--n", "two"],
            "invalid value 'two'",
        ),
        (
            &["minimize", "--problem", "rosenbrock", "--gtol", "0"],
            "positive",
        ),
        (
            &["minimize", "--problem", "rosenbrock", "--at", "y=1"],
            "'y' is not an input",
        ),
    ];
    for (args, msg) in cases {
        hvp(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
    hvp(&["minimize", "--expr", "x^2 +", "--at", "x=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("^"));
    hvp(&["minimize", "--problem", "rosenbrock", "--at", "x=[1, 2, 3]"])
        .assert()
        .code(2);
    hvp(&["minimize", "--expr", "x^2", "--problem", "rosenbrock"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}
