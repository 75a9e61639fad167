//! Functions from files and values from .npy and CSV files.

mod common;
use common::{all_close, close, hvp, json, vec_of};
use ndarray::array;
use predicates::prelude::*;
use std::fs;

const ROSENBROCK: &str = "\
# The chained Rosenbrock function (scipy.optimize.rosen)
input x[4] = [-1.2, 1, -1.2, 1]   # a default starting point

let head = x[:-1]          # x_0 .. x_{n-2}
let tail = x[1:]           # x_1 .. x_{n-1}
let a = 1; let b = 100     # two bindings on one line

sum(b*(tail - head^2)^2
    + (a - head)^2)        # continued inside the parentheses
";

/// Analytic Rosenbrock gradient and Hessian-vector product.
fn rosen(x: &[f64], v: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    let n = x.len();
    let mut f = 0.0;
    let mut g = vec![0.0; n];
    let mut hv = vec![0.0; n];
    for i in 0..n - 1 {
        let r = x[i + 1] - x[i] * x[i];
        f += 100.0 * r * r + (1.0 - x[i]).powi(2);
        g[i] += -400.0 * x[i] * r - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * r;
        // Hessian of the i-th term on (x_i, x_{i+1}).
        let h00 = 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        let h01 = -400.0 * x[i];
        hv[i] += h00 * v[i] + h01 * v[i + 1];
        hv[i + 1] += h01 * v[i] + 200.0 * v[i + 1];
    }
    (f, g, hv)
}

#[test]
fn a_file_with_lets_comments_and_a_default_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rosen.hvp");
    fs::write(&path, ROSENBROCK).unwrap();
    let p = path.to_str().unwrap();
    let j = json(&["eval", "--file", p, "--dir", "x=[1, 0, -1, 0.5]", "--json"]);
    let x = [-1.2, 1.0, -1.2, 1.0];
    let v = [1.0, 0.0, -1.0, 0.5];
    let (f, g, hv) = rosen(&x, &v);
    close(j["value"].as_f64().unwrap(), f, 1e-14, "value");
    all_close(&vec_of(&j["gradient"]), &g, 1e-13, "gradient");
    all_close(&vec_of(&j["hvp"]), &hv, 1e-13, "hvp");

    // --at overrides the default; a scalar fills the declared shape.
    let j = json(&["eval", "-f", p, "--at", "x=0.5", "--dir", "x=1", "--json"]);
    let (f, g, hv) = rosen(&[0.5; 4], &[1.0; 4]);
    close(j["value"].as_f64().unwrap(), f, 1e-14, "value at the fill");
    all_close(&vec_of(&j["gradient"]), &g, 1e-13, "gradient at the fill");
    all_close(&vec_of(&j["hvp"]), &hv, 1e-13, "hvp at the fill");

    // Text output names the file.
    hvp(&["eval", "-f", p])
        .assert()
        .success()
        .stdout(predicate::str::contains("from "))
        .stdout(predicate::str::contains("(random, seed 0)"));
}

#[test]
fn npy_inputs_in_any_float_or_integer_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("A.npy");
    let x32 = dir.path().join("x.npy");
    let v64 = dir.path().join("v.npy");
    let labels = dir.path().join("k.npy");
    ndarray_npy::write_npy(&a, &array![[2.0_f64, 1.0], [1.0, 3.0]]).unwrap();
    ndarray_npy::write_npy(&x32, &array![0.5_f32, -1.0]).unwrap();
    ndarray_npy::write_npy(&v64, &array![1.0_f64, 2.0]).unwrap();
    ndarray_npy::write_npy(&labels, &array![3_i64]).unwrap();
    let at = format!(
        "A=@{},x=@{},k=@{}",
        a.display(),
        x32.display(),
        labels.display()
    );
    let dirarg = format!("x=@{}", v64.display());
    // f = ½ xᵀAx · k with A and k held fixed: H = k A.
    let j = json(&[
        "eval",
        "-e",
        "data A[2, 2], k[1]; input x[2]; 0.5 * (x @ A @ x) * sum(k)",
        "--at",
        &at,
        "--dir",
        &dirarg,
        "--json",
    ]);
    all_close(&vec_of(&j["hvp"]), &[3.0 * 4.0, 3.0 * 7.0], 1e-14, "k A v");
    all_close(
        &vec_of(&j["gradient"]),
        &[3.0 * 0.0, 3.0 * -2.5],
        1e-14,
        "k A x",
    );
    assert_eq!(j["inputs"][0]["kind"], "data");
}

#[test]
fn csv_inputs_with_and_without_headers() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.csv");
    let col = dir.path().join("col.csv");
    fs::write(&m, "a,b,c\n1, 2, 3\n4, 5, 6\n").unwrap();
    fs::write(&col, "# a column\n0.5\n-1\n2\n").unwrap();
    let at = format!("W=@{},b=@{}", m.display(), col.display());
    // f = sum((W b)^2): ∇_b = 2 Wᵀ W b.
    let j = json(&[
        "eval",
        "-e",
        "sum((W @ b)^2)",
        "--at",
        &at,
        "--dir",
        "W=0,b=[1,0,0]",
        "--json",
    ]);
    let shapes: Vec<Vec<f64>> = j["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| vec_of(&i["shape"]))
        .collect();
    assert_eq!(shapes, [vec![2.0, 3.0], vec![3.0]]);
    let w = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let b = [0.5, -1.0, 2.0];
    let wb: Vec<f64> = w
        .iter()
        .map(|r| r.iter().zip(&b).map(|(p, q)| p * q).sum())
        .collect();
    close(
        j["value"].as_f64().unwrap(),
        wb.iter().map(|v| v * v).sum(),
        1e-14,
        "value",
    );
    let g = vec_of(&j["gradient"]);
    let gb: Vec<f64> = (0..3)
        .map(|k| 2.0 * (w[0][k] * wb[0] + w[1][k] * wb[1]))
        .collect();
    all_close(&g[6..], &gb, 1e-14, "gradient wrt b");

    // A declared shape reshapes a file's values when the counts agree.
    let j = json(&[
        "eval",
        "-e",
        "input W[3, 2]; sum(W^2)",
        "--at",
        &format!("W=@{}", m.display()),
        "--json",
    ]);
    assert_eq!(vec_of(&j["inputs"][0]["shape"]), [3.0, 2.0]);
    all_close(
        &vec_of(&j["point"]),
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        0.0,
        "row-major",
    );
}

#[test]
fn values_in_every_literal_form() {
    let j = json(&[
        "eval",
        "-e",
        "input x[3], A[2, 2], s; sum(x) + sum(A) + s",
        "--at",
        "x=range(1, 4), A=[[1, 2], [3, 4]]",
        "--at",
        "s=2*pi",
        "--json",
    ]);
    close(
        j["value"].as_f64().unwrap(),
        6.0 + 10.0 + 2.0 * std::f64::consts::PI,
        1e-14,
        "value",
    );
    let j = json(&[
        "eval",
        "-e",
        "sum(x^2)",
        "--at",
        "x=linspace(0, 1, 5)",
        "--json",
    ]);
    all_close(
        &vec_of(&j["point"]),
        &[0.0, 0.25, 0.5, 0.75, 1.0],
        1e-15,
        "linspace",
    );
}
