//! `hvp demo` and `hvp bench`, and the help of the new commands.

mod common;
use common::{hvp, json};
use predicates::prelude::*;

#[test]
fn demo_runs_and_writes_its_plot() {
    let dir = tempfile::tempdir().unwrap();
    hvp(&["demo", "--quick", "--out-dir", dir.path().to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("forward-over-reverse"))
        .stdout(predicate::str::contains("central-difference"))
        .stdout(predicate::str::contains("analytic"))
        .stdout(predicate::str::contains("converged"))
        .stdout(predicate::str::contains("hvp-demo-spectrum.svg"));
    let svg = std::fs::read_to_string(dir.path().join("hvp-demo-spectrum.svg")).unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<polyline"));
}

#[test]
fn bench_quick_tiny_reports_ratios() {
    let r = json(&["bench", "--quick", "--only", "tiny", "--json"]);
    let w = r["workloads"].as_array().unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["group"], "tiny");
    let timings = w[0]["timings"].as_array().unwrap();
    for label in ["f", "grad", "hvp forward-over-reverse", "prepared apply"] {
        let t = timings
            .iter()
            .find(|t| t["label"] == label)
            .unwrap_or_else(|| panic!("no {label}"));
        assert!(t["seconds"].as_f64().unwrap() > 0.0);
        assert!(t["ratio_to_grad"].as_f64().unwrap() > 0.0);
    }
    assert!(w[0]["prepared_over_one_off"].as_f64().unwrap() > 0.0);
    hvp(&["bench", "--only", "gpu"]).assert().code(2);
}

#[test]
fn new_commands_teach_by_example() {
    for sub in ["minimize", "spectrum", "problems", "bench", "demo"] {
        hvp(&[sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"))
            .stdout(predicate::str::contains(format!("hvp {sub}")));
    }
}

#[test]
fn the_help_examples_of_minimize_and_spectrum_run() {
    hvp(&[
        "minimize",
        "--expr",
        "sum((x - range(1, 6))^2) + prod(x)^2/1e4",
        "--at",
        "x=0",
        "--method",
        "tr-lanczos",
        "--max-iters",
        "50",
        "--json",
    ])
    .assert()
    .success();
    hvp(&["minimize", "--problem", "watson", "--n", "9", "-q"])
        .assert()
        .success();
}
