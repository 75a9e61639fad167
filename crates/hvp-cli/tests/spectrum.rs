//! `hvp spectrum` on quadratics with known eigenvalues, its SVG plot, and
//! `hvp problems`.

mod common;
use common::{hvp, json, vec_of};
use predicates::prelude::*;

const QUADRATIC: &str = "input x[10]; 0.5*sum(range(1, 11)*x^2)";

#[test]
fn a_quadratic_with_eigenvalues_one_to_ten() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("density.svg");
    let plot_s = plot.to_str().unwrap();
    let r = json(&[
        "spectrum", "--expr", QUADRATIC, "--at", "x=1", "--k", "3", "--plot", plot_s, "--json",
    ]);
    assert_eq!(r["n"], 10);
    let top = vec_of(&r["largest"]["values"]);
    let bottom = vec_of(&r["smallest"]["values"]);
    for (got, want) in top.iter().zip([10.0, 9.0, 8.0]) {
        assert!((got - want).abs() < 1e-9, "largest {top:?}");
    }
    for (got, want) in bottom.iter().zip([1.0, 2.0, 3.0]) {
        assert!((got - want).abs() < 1e-9, "smallest {bottom:?}");
    }
    assert_eq!((top.len(), bottom.len()), (3, 3));
    // n = 10 < the sketch size: Hutch++ is exact up to rounding.
    let tr = r["trace"]["estimate"].as_f64().unwrap();
    assert!((tr - 55.0).abs() < 1e-8, "trace {tr}");
    let grid = vec_of(&r["density"]["grid"]);
    let dens = vec_of(&r["density"]["density"]);
    assert_eq!(grid.len(), dens.len());
    assert!(grid[0] < 1.0 && *grid.last().unwrap() > 10.0);
    // The density integrates to about 1 over the grid.
    let h = grid[1] - grid[0];
    let mass: f64 = dens.iter().sum::<f64>() * h;
    assert!((mass - 1.0).abs() < 0.05, "mass {mass}");
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("<polyline"));
    assert!(svg.contains("eigenvalue λ") && svg.contains("(n = 10)"));
    assert_eq!(r["plot"], plot_s);
}

#[test]
fn text_report_and_a_problem() {
    hvp(&["spectrum", "-e", QUADRATIC, "--at", "x=1", "--k", "2"])
        .assert()
        .success()
        .stdout(predicate::str::contains("largest    10, 9"))
        .stdout(predicate::str::contains("smallest   1, 2"))
        .stdout(predicate::str::contains("trace      55"));
    let r = json(&[
        "spectrum",
        "--problem",
        "rosenbrock",
        "--at",
        "x=1",
        "--json",
    ]);
    // Rosenbrock's Hessian at (1, 1) is [[802, -400], [-400, 200]].
    let top = vec_of(&r["largest"]["values"]);
    let disc = ((802.0f64 - 200.0).powi(2) + 4.0 * 400.0 * 400.0).sqrt();
    assert!((top[0] - (1002.0 + disc) / 2.0).abs() < 1e-8, "{top:?}");
    assert!((r["trace"]["estimate"].as_f64().unwrap() - 1002.0).abs() < 1e-8);
}

#[test]
fn spectrum_bad_input() {
    hvp(&["spectrum", "--problem", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown problem"));
    hvp(&["spectrum", "-e", QUADRATIC, "--at", "x=1", "--matvecs", "2"])
        .assert()
        .code(2);
    hvp(&[
        "spectrum",
        "-e",
        QUADRATIC,
        "--at",
        "x=1",
        "--plot",
        "/no/such/dir/p.svg",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("cannot write the plot"));
}

#[test]
fn problems_lists_the_catalog() {
    let r = json(&["problems", "--json"]);
    let list = r.as_array().unwrap();
    assert!(list.len() >= 35, "{} problems", list.len());
    let rosen = list.iter().find(|p| p["name"] == "rosenbrock").unwrap();
    assert_eq!(rosen["default_n"], 2);
    assert_eq!(rosen["f_star"], 0.0);
    assert!(rosen["description"]
        .as_str()
        .unwrap()
        .contains("Rosenbrock"));
    hvp(&["problems"])
        .assert()
        .success()
        .stdout(predicate::str::contains("helical-valley"))
        .stdout(predicate::str::contains("n >= 2, n a multiple of 2"));
}
