//! Help that teaches by example, the version, and the function listing.

mod common;
use common::{hvp, json};
use hvp_cli::expr::builtins::FUNCTIONS;
use predicates::prelude::*;

#[test]
fn each_subcommand_shows_real_invocations() {
    for sub in ["eval", "check"] {
        hvp(&[sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"))
            .stdout(predicate::str::contains(format!("hvp {sub} --expr")))
            .stdout(predicate::str::contains(format!("hvp {sub} --problem")))
            .stdout(predicate::str::contains("--problem <NAME>"))
            .stdout(predicate::str::contains("--json"))
            .stdout(predicate::str::contains("--dtype <DTYPE>"))
            .stdout(predicate::str::contains("--seed <SEED>"))
            .stdout(predicate::str::contains("--at <NAME=VALUE,...>"));
    }
    hvp(&["eval", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--mode <MODE>"))
        .stdout(predicate::str::contains("cfd"))
        .stdout(predicate::str::contains("--all-modes"));
    hvp(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "hvp eval --expr 'x^2*y + sin(y)' --at x=1.5,y=-0.7",
        ))
        .stdout(predicate::str::contains("Exit status"));
}

#[test]
fn the_examples_in_the_help_run() {
    hvp(&[
        "eval",
        "--expr",
        "input x[4]; sum(100*(x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)",
        "--at",
        "x=-1.2",
        "--all-modes",
        "--hessian",
    ])
    .assert()
    .success();
    for args in [
        &["eval", "--problem", "rosenbrock", "--hessian"][..],
        &[
            "eval",
            "--problem",
            "extended-rosenbrock",
            "--n",
            "1000",
            "--at",
            "x=0.5",
            "--dir",
            "x=1",
            "--json",
        ],
        &["check", "--problem", "watson", "--n", "9", "--seed", "3"],
    ] {
        hvp(args).assert().success();
    }
    hvp(&[
        "check",
        "--expr",
        "logsumexp(A @ w)",
        "--at",
        "A=[[1,2],[3,4],[5,6]],w=[0.1,-0.2]",
        "--json",
    ])
    .assert()
    .success();
}

#[test]
fn every_subcommand_has_json_and_examples() {
    for sub in [
        "eval",
        "check",
        "minimize",
        "spectrum",
        "problems",
        "functions",
        "bench",
        "demo",
    ] {
        hvp(&[sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("--json"))
            .stdout(predicate::str::contains("Examples:"));
    }
    // Where randomness is involved, a seed; where f is computed, a dtype.
    for sub in ["eval", "check", "minimize", "spectrum"] {
        hvp(&[sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("--seed <SEED>"))
            .stdout(predicate::str::contains("--dtype <DTYPE>"))
            .stdout(predicate::str::contains("--problem <NAME>"));
    }
}

#[test]
fn version_prints() {
    hvp(&["--version"])
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn functions_lists_every_function() {
    let text = hvp(&["functions"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    for f in FUNCTIONS {
        assert!(text.contains(f.usage), "{} missing", f.usage);
    }
    assert!(text.contains("Syntax"));
    let j = json(&["functions", "--json"]);
    assert_eq!(j["functions"].as_array().unwrap().len(), FUNCTIONS.len());
    assert_eq!(j["constants"][0]["name"], "pi");
}
