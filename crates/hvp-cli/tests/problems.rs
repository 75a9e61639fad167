//! `eval` and `check` on built-in problems (`--problem NAME [--n N]`):
//! the standard start, fills and files for `--at`, given and seeded random
//! directions, against analytic derivatives; bad names and sizes are clear
//! errors with exit status 2.

mod common;
use common::{all_close, close, hvp, json, vec_of};
use predicates::prelude::*;

/// Rosenbrock's f, ∇f and Hessian at (a, b).
fn rosenbrock(a: f64, b: f64) -> (f64, [f64; 2], [[f64; 2]; 2]) {
    let f = 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2);
    let g = [
        -400.0 * a * (b - a * a) - 2.0 * (1.0 - a),
        200.0 * (b - a * a),
    ];
    let h = [
        [1200.0 * a * a - 400.0 * b + 2.0, -400.0 * a],
        [-400.0 * a, 200.0],
    ];
    (f, g, h)
}

fn times(h: &[[f64; 2]; 2], v: &[f64]) -> Vec<f64> {
    vec![
        h[0][0] * v[0] + h[0][1] * v[1],
        h[1][0] * v[0] + h[1][1] * v[1],
    ]
}

#[test]
fn rosenbrock_from_its_standard_start_along_a_seeded_direction() {
    let j = json(&["eval", "--problem", "rosenbrock", "--json"]);
    let (f, g, h) = rosenbrock(-1.2, 1.0);
    // The oracle at the standard start, written out.
    close(f, 24.2, 1e-14, "analytic f");
    all_close(&g, &[-215.6, -88.0], 1e-14, "analytic ∇f");
    all_close(
        &h.concat(),
        &[1330.0, 480.0, 480.0, 200.0],
        1e-14,
        "analytic H",
    );
    close(j["value"].as_f64().unwrap(), 24.2, 1e-14, "value");
    all_close(&vec_of(&j["gradient"]), &[-215.6, -88.0], 1e-14, "gradient");
    let v = vec_of(&j["direction"]);
    assert_eq!(v.len(), 2);
    assert_eq!(j["direction_source"], "random, seed 0");
    let hv = times(&h, &v);
    all_close(&vec_of(&j["hvp"]), &hv, 1e-14, "hvp");
    close(
        j["vhv"].as_f64().unwrap(),
        v[0] * hv[0] + v[1] * hv[1],
        1e-14,
        "vhv",
    );
    assert_eq!(j["problem"]["name"], "rosenbrock");
    assert_eq!(j["problem"]["point"], "the standard start");
    assert_eq!(j["problem"]["f_star"], 0.0);
    all_close(&vec_of(&j["point"]), &[-1.2, 1.0], 0.0, "point");
    assert_eq!(j["inputs"][0]["name"], "x");

    // The same seed gives the same direction; another seed another one, and
    // Hv is still H v.
    assert_eq!(
        json(&["eval", "--problem", "rosenbrock", "--json"])["direction"],
        j["direction"]
    );
    let k = json(&["eval", "-p", "rosenbrock", "--seed", "11", "--json"]);
    let w = vec_of(&k["direction"]);
    assert_ne!(k["direction"], j["direction"]);
    all_close(&vec_of(&k["hvp"]), &times(&h, &w), 1e-14, "hvp, seed 11");

    // Text: the problem, its start, the analytic numbers.
    hvp(&["eval", "--problem", "rosenbrock"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rosenbrock (n = 2)"))
        .stdout(predicate::str::contains("(the standard start)"))
        .stdout(predicate::str::contains("x = [-215.6, -88]"))
        .stdout(predicate::str::contains("(random, seed 0)"));
}

#[test]
fn a_given_point_and_direction_and_the_dense_hessian() {
    let j = json(&[
        "eval",
        "--problem",
        "rosenbrock",
        "--at",
        "x=[0.5, -0.25]",
        "--dir",
        "x=[0.3, 1.1]",
        "--all-modes",
        "--hessian",
        "--json",
    ]);
    let (f, g, h) = rosenbrock(0.5, -0.25);
    close(j["value"].as_f64().unwrap(), f, 1e-14, "value");
    all_close(&vec_of(&j["gradient"]), &g, 1e-14, "gradient");
    all_close(&vec_of(&j["hvp"]), &times(&h, &[0.3, 1.1]), 1e-14, "hvp");
    assert_eq!(j["direction_source"], "given");
    assert_eq!(j["problem"]["point"], "--at");
    let rows: Vec<Vec<f64>> = j["hessian"]
        .as_array()
        .unwrap()
        .iter()
        .map(vec_of)
        .collect();
    all_close(&rows.concat(), &h.concat(), 1e-14, "H");
    assert!(j["max_relative_disagreement_ad"].as_f64().unwrap() <= 1e-14);
}

#[test]
fn a_fill_and_a_size_for_a_variable_dimension_problem() {
    // Extended Rosenbrock: n/2 independent pairs. At x = 0.5 each pair has
    // f = 100(0.5 − 0.25)² + 0.25 = 6.5, ∇f = (−51, 50) and
    // H = [[1200·0.25 − 400·0.5 + 2, −200], [−200, 200]] = [[102, −200], [−200, 200]],
    // so H·1 = (−98, 0) per pair.
    let n = 10;
    let j = json(&[
        "eval",
        "--problem",
        "extended-rosenbrock",
        "--n",
        "10",
        "--at",
        "x=0.5",
        "--dir",
        "x=1",
        "--json",
    ]);
    close(j["value"].as_f64().unwrap(), 6.5 * 5.0, 1e-14, "value");
    let pairs =
        |a: f64, b: f64| -> Vec<f64> { (0..n).map(|i| if i % 2 == 0 { a } else { b }).collect() };
    all_close(
        &vec_of(&j["gradient"]),
        &pairs(-51.0, 50.0),
        1e-14,
        "gradient",
    );
    all_close(&vec_of(&j["hvp"]), &pairs(-98.0, 0.0), 1e-14, "hvp");
    close(j["vhv"].as_f64().unwrap(), -98.0 * 5.0, 1e-14, "vhv");
    // f32 too.
    let k = json(&[
        "eval",
        "-p",
        "extended-rosenbrock",
        "--n",
        "10",
        "--at",
        "x=0.5",
        "--dir",
        "x=1",
        "--dtype",
        "f32",
        "--json",
    ]);
    assert_eq!(k["dtype"], "f32");
    all_close(&vec_of(&k["hvp"]), &pairs(-98.0, 0.0), 1e-6, "hvp f32");
}

#[test]
fn a_point_and_direction_from_npy_files() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("x0.npy");
    let v = dir.path().join("v.npy");
    ndarray_npy::write_npy(&at, &ndarray::array![0.5_f64, -0.25]).unwrap();
    ndarray_npy::write_npy(&v, &ndarray::array![0.3_f32, 1.1]).unwrap();
    let j = json(&[
        "eval",
        "--problem",
        "rosenbrock",
        "--at",
        &format!("x=@{}", at.display()),
        "--dir",
        &format!("x=@{}", v.display()),
        "--json",
    ]);
    let (f, _, h) = rosenbrock(0.5, -0.25);
    close(j["value"].as_f64().unwrap(), f, 1e-14, "value");
    let d = vec_of(&j["direction"]);
    all_close(&d, &[0.3, 1.1], 1e-7, "direction (f32 file)");
    all_close(&vec_of(&j["hvp"]), &times(&h, &d), 1e-14, "hvp");
}

#[test]
fn a_problem_with_fixed_data() {
    // Logistic regression at w = 0: f = ln 2, and every margin is 0, so
    // H = (1/N) Σ σ'(0) aᵢaᵢᵀ + λI = AᵀA/(4N) + λI with λ = 10⁻².
    let n = 3;
    let p = hvp_problems::by_name("logistic-regression", Some(n)).unwrap();
    let m = p.m;
    let a = &p.data()[..m * n];
    let v = [0.3, -1.1, 0.7];
    let av: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|k| a[i * n + k] * v[k]).sum())
        .collect();
    let hv: Vec<f64> = (0..n)
        .map(|k| (0..m).map(|i| a[i * n + k] * av[i]).sum::<f64>() / (4.0 * m as f64) + 1e-2 * v[k])
        .collect();
    let j = json(&[
        "eval",
        "--problem",
        "logistic-regression",
        "--n",
        "3",
        "--dir",
        "x=[0.3, -1.1, 0.7]",
        "--json",
    ]);
    close(j["value"].as_f64().unwrap(), 2f64.ln(), 1e-14, "value");
    all_close(&vec_of(&j["hvp"]), &hv, 1e-13, "hvp");
    assert_eq!(vec_of(&j["gradient"]).len(), n);
    let kinds: Vec<(&str, &str)> = j["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("x", "input"), ("features", "data"), ("labels", "data")]
    );
    assert_eq!(vec_of(&j["point"]).len(), n + m * n + m);
    hvp(&["eval", "-p", "logistic-regression", "--n", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "features [30, 3], labels [30] (fixed)",
        ));
    hvp(&[
        "check",
        "-p",
        "logistic-regression",
        "--n",
        "3",
        "--dtype",
        "f32",
    ])
    .assert()
    .code(0);
}

#[test]
fn check_passes_on_mgh_problems() {
    for args in [
        &["check", "--problem", "helical-valley"][..],
        &["check", "--problem", "watson", "--n", "9", "--seed", "3"],
        &[
            "check",
            "--problem",
            "extended-rosenbrock",
            "--n",
            "100",
            "--mode",
            "ror",
        ],
        &[
            "check",
            "--problem",
            "beale",
            "--at",
            "x=[1, 1]",
            "--dtype",
            "f32",
        ],
    ] {
        hvp(args)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("all 5 checks passed"))
            .stdout(predicate::str::contains("FAIL").not());
    }
    let j = json(&["check", "--problem", "helical-valley", "--json"]);
    assert_eq!(j["passed"], true);
    assert_eq!(j["problem"]["name"], "helical-valley");
    assert_eq!(j["problem"]["n"], 3);
    hvp(&["check", "--problem", "helical-valley"])
        .assert()
        .stdout(predicate::str::contains(
            "self-checks of the Hessian of helical-valley (n = 3) at the standard start",
        ));
}

#[test]
fn check_passes_where_the_gradient_dwarfs_the_hessian() {
    // Brown's badly scaled function (gradient 2e6 against Hv = 4v: rounding),
    // Meyer's and Osborne's fits (large truncation at the standard step):
    // the difference check is held to the differences' estimated error.
    for p in ["brown-badly-scaled", "meyer", "osborne-1"] {
        for mode in ["for", "rof", "ror"] {
            hvp(&["check", "--problem", p, "--mode", mode])
                .assert()
                .code(0)
                .stdout(predicate::str::contains("all 5 checks passed"))
                .stdout(predicate::str::contains("truncation"));
        }
        let j = json(&["check", "--problem", p, "--json"]);
        assert_eq!(j["passed"], true, "{j}");
        let checks = j["checks"].as_array().unwrap();
        let fd = checks.last().unwrap();
        assert_eq!(fd["name"], "forward-over-reverse vs central differences");
        assert_eq!(fd["inconclusive"], false);
        let parts = &fd["tolerance_parts"];
        let get = |k: &str| parts[k].as_f64().unwrap_or_else(|| panic!("{k} in {fd}"));
        let rebuilt = get("operator") + get("safety") * (get("truncation") + get("rounding"));
        let tol = fd["tolerance"].as_f64().unwrap();
        assert!((tol - rebuilt).abs() <= 1e-12 * tol, "{fd}");
        assert!(get("step") > 0.0);
        assert!(fd["discrepancy"].as_f64().unwrap() <= tol, "{fd}");
        // The other checks have fixed tolerances: no parts.
        assert!(checks[1].get("tolerance_parts").is_none(), "{}", checks[1]);
    }
    // In f32 the rounding of Brown's 2e6 gradient swamps the differences at
    // the nominal step; the check takes a larger one and passes, loosely.
    hvp(&["check", "--problem", "brown-badly-scaled", "--dtype", "f32"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "PASS  forward-over-reverse vs central differences",
        ))
        .stdout(predicate::str::contains("(nominal "))
        .stdout(predicate::str::contains("all 5 checks passed"));
    // Meyer's and Osborne's steep exponentials in f32: at the nominal step
    // the differences do not settle (truncation as large as Hv); smaller
    // steps settle them.
    for p in ["meyer", "osborne-1"] {
        for seed in ["0", "1", "2", "3"] {
            hvp(&["check", "--problem", p, "--dtype", "f32", "--seed", seed])
                .assert()
                .code(0)
                .stdout(predicate::str::contains("all 5 checks passed"));
        }
    }
    // Where no step helps (a 1e12 gradient hides the quadratic part in
    // f32), the check is inconclusive, shown as SKIP, not a failure.
    let f = [
        "check",
        "-e",
        "1e12*sum(x) + sum(x^2)",
        "--at",
        "x=[1, -0.5]",
        "--dtype",
        "f32",
    ];
    hvp(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "SKIP  forward-over-reverse vs central differences",
        ))
        .stdout(predicate::str::contains("rounding in gradients"))
        .stdout(predicate::str::contains(
            "4 of 5 checks passed, 1 inconclusive",
        ));
    let j = json(&[&f[..], &["--json"]].concat());
    assert_eq!(j["passed"], true);
    let fd = j["checks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(fd["inconclusive"], true, "{fd}");
    assert_eq!(fd["passed"], false, "{fd}");
    assert!(fd["note"].as_str().unwrap().contains("rounding"), "{fd}");
    let parts = &fd["tolerance_parts"];
    assert!(parts["step"].as_f64().unwrap() > parts["nominal_step"].as_f64().unwrap());
}

#[test]
fn the_graph_of_a_problem_prints() {
    hvp(&["eval", "--problem", "rosenbrock", "--dump-ir"])
        .assert()
        .success()
        .stdout(predicate::str::contains("graph f64 (%0: [2])"));
}

#[test]
fn bad_problems_are_clear_errors_with_exit_2() {
    for sub in ["eval", "check"] {
        let cases: [(&[&str], &[&str]); 9] = [
            (
                &["--problem", "rosenbrok"],
                &[
                    "unknown problem 'rosenbrok'",
                    "did you mean 'rosenbrock'?",
                    "hvp problems",
                ],
            ),
            (
                &["--problem", "no-such-problem"],
                &["unknown problem 'no-such-problem'"],
            ),
            (
                &["--problem", "rosenbrock", "--n", "3"],
                &["n = 3 is not allowed (n = 2)"],
            ),
            (
                &["--problem", "extended-rosenbrock", "--n", "7"],
                &["a multiple of 2"],
            ),
            (
                &["--problem", "rosenbrock", "--at", "y=1"],
                &["'y' is not an input", "--> --at:1:1"],
            ),
            (
                &["--problem", "rosenbrock", "--at", "x=[1, 2, 3]"],
                &["has shape [3] but shape [2] is needed"],
            ),
            (
                &["--problem", "rosenbrock", "--at", "x=inf"],
                &["non-finite"],
            ),
            (
                &["--problem", "rosenbrock", "--expr", "x^2"],
                &["cannot be used with"],
            ),
            (
                &["--expr", "x^2", "--at", "x=1", "--n", "3"],
                &["--n 3 sizes a built-in problem"],
            ),
        ];
        for (args, needles) in cases {
            let mut all = vec![sub];
            all.extend_from_slice(args);
            let out = hvp(&all).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{all:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{all:?} printed to stdout");
            assert!(!stderr.contains("panicked"), "{all:?}: {stderr}");
            for n in needles {
                assert!(stderr.contains(n), "{all:?}: stderr lacks {n:?}:\n{stderr}");
            }
        }
    }
    // A name far from every problem gets no hint (`foo` is not `wood`).
    for name in ["foo", "xyz", "quux"] {
        hvp(&["check", "--problem", name])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "unknown problem '{name}'"
            )))
            .stderr(predicate::str::contains("did you mean").not());
    }
    hvp(&["eval", "--problem", "rosenbrock", "--dir", "y=1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the direction's inputs are x"));
    hvp(&["eval", "--problem", "rosenbrock", "--dir", "x=[1, 2, 3]"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the direction of 'x' has shape [3]",
        ));
    hvp(&[
        "eval",
        "--problem",
        "rosenbrock",
        "--at",
        "x=@/nonexistent/x0.npy",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains(
        "cannot read '/nonexistent/x0.npy'",
    ));
}
