//! Large and deep inputs: handled, or refused with a message, never a
//! crash.

mod common;
use common::{close, hvp, json};
use predicates::prelude::*;

#[test]
fn a_long_sum_evaluates() {
    let expr = vec!["x"; 900].join(" + ");
    let j = json(&["eval", "-e", &expr, "--at", "x=2", "--dir", "x=1", "--json"]);
    close(j["value"].as_f64().unwrap(), 1800.0, 1e-14, "value");
    close(j["gradient"][0].as_f64().unwrap(), 900.0, 1e-14, "gradient");
}

#[test]
fn too_deep_nesting_is_refused() {
    let expr = "(".repeat(5000) + "x" + &")".repeat(5000);
    hvp(&["eval", "-e", &expr, "--at", "x=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nested too deeply"));
    let expr = vec!["x"; 5000].join(" + ");
    hvp(&["eval", "-e", &expr, "--at", "x=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nested too deeply"));
}

#[test]
fn huge_constants_and_shapes_are_refused() {
    for (expr, at, msg) in [
        ("sum(range(1e12)) + x", "x=1", "this range is too long"),
        (
            "sum(zeros([100000, 100000])) + x",
            "x=1",
            "this shape is too large",
        ),
        (
            "input x[100000000000, 100000000000]; sum(x)",
            "x=1",
            "too many elements",
        ),
    ] {
        hvp(&["eval", "-e", expr, "--at", at])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
}

#[test]
fn the_dense_hessian_is_for_small_problems() {
    hvp(&[
        "eval",
        "-e",
        "input x[3000]; sum(x^2)",
        "--at",
        "x=1",
        "--hessian",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("--hessian is for small problems"));
}

#[test]
fn large_arrays_are_summarized_in_text() {
    hvp(&[
        "eval",
        "-e",
        "input x[5000]; sum(x^2)",
        "--at",
        "x=1",
        "--dir",
        "x=1",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("x = [2, 2, 2, ..., 2, 2, 2]"));
}

#[test]
fn huge_problem_sizes_are_refused_before_allocating() {
    for (args, msg) in [
        (
            &[
                "eval",
                "--problem",
                "extended-rosenbrock",
                "--n",
                "100000000000",
            ][..],
            "--n 100000000000 is too large: extended-rosenbrock would hold 100000000000 variables",
        ),
        (
            &[
                "minimize",
                "--problem",
                "logistic-regression",
                "--n",
                "100000",
            ],
            "100000 variables and 100001000000 data values",
        ),
        (
            &[
                "spectrum",
                "--problem",
                "chained-rosenbrock",
                "--n",
                "18446744073709551615",
            ],
            "is too large",
        ),
        (
            &["check", "--problem", "watson", "--n", "0"],
            "n = 0 is not allowed",
        ),
    ] {
        hvp(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg))
            .stderr(predicate::str::contains("panicked").not())
            .stderr(predicate::str::contains("memory allocation").not());
    }
}
