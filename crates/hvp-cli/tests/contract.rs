//! The specification's example through the binary, against its analytic
//! derivatives: f(x, y) = x²y + sin y, ∇f = [2xy, x² + cos y],
//! H = [[2y, 2x], [2x, −sin y]].

mod common;
use common::{all_close, close, hvp, json, vec_of};
use predicates::prelude::*;

const X: f64 = 1.5;
const Y: f64 = -0.7;
const V: [f64; 2] = [0.3, 1.1];

fn analytic() -> (f64, [f64; 2], [f64; 2], f64) {
    let f = X * X * Y + Y.sin();
    let g = [2.0 * X * Y, X * X + Y.cos()];
    let hv = [
        2.0 * Y * V[0] + 2.0 * X * V[1],
        2.0 * X * V[0] - Y.sin() * V[1],
    ];
    let vhv = V[0] * hv[0] + V[1] * hv[1];
    (f, g, hv, vhv)
}

const CONTRACT: [&str; 8] = [
    "eval",
    "--expr",
    "x^2*y + sin(y)",
    "--at",
    "x=1.5,y=-0.7",
    "--dir",
    "x=0.3,y=1.1",
    "--json",
];

#[test]
fn the_contract_prints_one_json_object_with_the_analytic_values() {
    let j = json(&CONTRACT);
    let (f, g, hv, vhv) = analytic();
    close(j["value"].as_f64().unwrap(), f, 1e-14, "value");
    all_close(&vec_of(&j["gradient"]), &g, 1e-14, "gradient");
    all_close(&vec_of(&j["hvp"]), &hv, 1e-14, "hvp");
    close(j["vhv"].as_f64().unwrap(), vhv, 1e-14, "vhv");
    // The vectors follow the order the inputs were named: x, then y.
    let names: Vec<&str> = j["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x", "y"]);
    all_close(&vec_of(&j["direction"]), &V, 0.0, "direction");
}

#[test]
fn the_order_is_the_order_of_first_appearance_not_of_the_flags() {
    // y is named first in this expression, so vectors are (y, x).
    let j = json(&[
        "eval",
        "--expr",
        "sin(y) + y*x^2",
        "--at",
        "x=1.5,y=-0.7",
        "--dir",
        "y=1.1,x=0.3",
        "--json",
    ]);
    let (_, g, hv, _) = analytic();
    all_close(&vec_of(&j["gradient"]), &[g[1], g[0]], 1e-14, "gradient");
    all_close(&vec_of(&j["hvp"]), &[hv[1], hv[0]], 1e-14, "hvp");
}

#[test]
fn every_mode_agrees_with_the_analytic_product() {
    let (_, _, hv, _) = analytic();
    for (mode, tol) in [
        ("for", 1e-14),
        ("rof", 1e-14),
        ("ror", 1e-14),
        ("fd", 1e-6),
        ("cfd", 1e-9),
    ] {
        let mut args = CONTRACT.to_vec();
        args.extend(["--mode", mode]);
        let j = json(&args);
        all_close(&vec_of(&j["hvp"]), &hv, tol, mode);
    }
}

#[test]
fn all_modes_reports_each_mode_and_their_disagreement() {
    let mut args = CONTRACT.to_vec();
    args.push("--all-modes");
    let j = json(&args);
    let modes = j["all_modes"].as_array().unwrap();
    assert_eq!(modes.len(), 5);
    let (_, _, hv, _) = analytic();
    for m in modes {
        let name = m["mode"].as_str().unwrap();
        let tol = if name.contains("difference") {
            1e-6
        } else {
            1e-14
        };
        all_close(&vec_of(&m["hvp"]), &hv, tol, name);
        assert!(m["relative_disagreement"].as_f64().unwrap() <= tol);
    }
    assert!(j["max_relative_disagreement_ad"].as_f64().unwrap() <= 1e-14);
    let all = j["max_relative_disagreement"].as_f64().unwrap();
    assert!(
        all > 0.0 && all <= 1e-6,
        "finite differences disagree a little: {all}"
    );

    // The text form lists every mode and the summary line.
    let mut text = CONTRACT[..7].to_vec();
    text.push("--all-modes");
    hvp(&text)
        .assert()
        .success()
        .stdout(predicate::str::contains("reverse-over-reverse"))
        .stdout(predicate::str::contains("central-difference"))
        .stdout(predicate::str::contains("max relative disagreement"));
}

#[test]
fn single_precision_agrees_to_f32_accuracy() {
    let mut args = CONTRACT.to_vec();
    args.extend(["--dtype", "f32"]);
    let j = json(&args);
    assert_eq!(j["dtype"], "f32");
    let (f, g, hv, vhv) = analytic();
    close(j["value"].as_f64().unwrap(), f, 1e-6, "value");
    all_close(&vec_of(&j["gradient"]), &g, 1e-6, "gradient");
    all_close(&vec_of(&j["hvp"]), &hv, 1e-6, "hvp");
    close(j["vhv"].as_f64().unwrap(), vhv, 1e-6, "vhv");
}

#[test]
fn the_dense_hessian_is_the_analytic_one() {
    let mut args = CONTRACT.to_vec();
    args.push("--hessian");
    let j = json(&args);
    let rows: Vec<Vec<f64>> = j["hessian"]
        .as_array()
        .unwrap()
        .iter()
        .map(vec_of)
        .collect();
    all_close(&rows[0], &[2.0 * Y, 2.0 * X], 1e-14, "H row 0");
    all_close(&rows[1], &[2.0 * X, -Y.sin()], 1e-14, "H row 1");
}

#[test]
fn text_output_shows_every_quantity() {
    hvp(&CONTRACT[..7])
        .assert()
        .success()
        .stdout(predicate::str::contains("f(x, y) = x^2*y + sin(y)"))
        .stdout(predicate::str::contains("∇f"))
        .stdout(predicate::str::contains("x = -2.1"))
        .stdout(predicate::str::contains("Hv"))
        .stdout(predicate::str::contains("x = 2.88"))
        .stdout(predicate::str::contains("vᵀHv"));
}

#[test]
fn an_omitted_direction_is_random_and_seeded() {
    let args = [
        "eval",
        "-e",
        "x^2*y + sin(y)",
        "--at",
        "x=1.5,y=-0.7",
        "--json",
    ];
    let a = json(&args);
    let b = json(&args);
    assert_eq!(a["direction"], b["direction"]);
    assert_eq!(a["direction_source"], "random, seed 0");
    let mut seeded = args.to_vec();
    seeded.extend(["--seed", "7"]);
    let c = json(&seeded);
    assert_ne!(a["direction"], c["direction"]);
    // Whatever the direction, Hv is H v.
    let v = vec_of(&c["direction"]);
    let want = [
        2.0 * Y * v[0] + 2.0 * X * v[1],
        2.0 * X * v[0] - Y.sin() * v[1],
    ];
    all_close(
        &vec_of(&c["hvp"]),
        &want,
        1e-14,
        "hvp along a random direction",
    );
}
