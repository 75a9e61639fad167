//! Helpers shared by the integration tests: run the binary, read its JSON.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

/// The `hvp` binary with `args`.
pub fn hvp(args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("hvp").expect("the hvp binary is built");
    c.args(args);
    c
}

/// Runs `hvp args`, expects success and one JSON object on stdout.
pub fn json(args: &[&str]) -> Value {
    let out = hvp(args).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).expect("utf-8");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not one JSON object ({e}):\n{text}"))
}

/// A JSON array of numbers as a vector.
pub fn vec_of(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

/// `|a - b| <= tol * (1 + |b|)`, with a message.
pub fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{what}: got {a}, want {b} (tolerance {tol})"
    );
}

/// Elementwise [`close`].
pub fn all_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        close(*x, *y, tol, &format!("{what}[{i}]"));
    }
}
