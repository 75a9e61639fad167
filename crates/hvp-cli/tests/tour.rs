//! `hvp demo` and `hvp bench`, and the help of the new commands.

mod common;
use common::{close, hvp, json};
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
fn bench_reports_peak_memory_per_program() {
    let r = json(&["bench", "--quick", "--only", "tiny", "--json"]);
    assert_eq!(
        r["memory_measured"], true,
        "the hvp binary counts allocations"
    );
    let w = &r["workloads"][0];
    let m = &w["memory"];
    let programs = m["programs"].as_array().unwrap();
    let labels: Vec<&str> = programs
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "f",
            "grad",
            "hvp forward-over-reverse",
            "hvp reverse-over-forward",
            "hvp reverse-over-reverse",
            "prepare (f, ∇f, residuals)",
            "prepared apply",
        ]
    );
    let peak = |l: &str| {
        programs.iter().find(|p| p["label"] == l).unwrap()["peak_bytes"]
            .as_u64()
            .unwrap() as f64
    };
    // Every first call holds at least its outputs: f64 scalars and
    // 2-vectors.
    for p in programs {
        assert!(p["peak_bytes"].as_u64().unwrap() >= 16, "{p}");
        let ratio = p["ratio_to_grad"].as_f64().unwrap();
        close(
            ratio,
            peak(p["label"].as_str().unwrap()) / peak("grad"),
            1e-12,
            "ratio",
        );
    }
    close(
        m["hvp_over_grad"].as_f64().unwrap(),
        peak("hvp forward-over-reverse") / peak("grad"),
        1e-12,
        "hvp_over_grad",
    );
    // The operator of the spec example keeps its residuals: a few f64s.
    assert!(w["operator_memory"]["residual_bytes"].as_u64().unwrap() >= 8);
    hvp(&["bench", "--quick", "--only", "tiny"])
        .assert()
        .success()
        .stdout(predicate::str::contains("peak heap growth, first call"))
        .stdout(predicate::str::contains("HVP peak / gradient peak"));
}

#[test]
fn bench_chooses_precisions_and_the_mlp_seed() {
    let r = json(&[
        "bench", "--quick", "--only", "mlp", "--dtype", "f32", "--seed", "7", "--json",
    ]);
    let w = r["workloads"].as_array().unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["dtype"], "f32");
    assert_eq!(w[0]["n"], 269_322);
    assert_eq!(r["mlp_seed"], 7);
    // The MLP's f32 peaks hold at least the f32 gradient and HVP outputs.
    let programs = w[0]["memory"]["programs"].as_array().unwrap();
    for p in &programs[1..] {
        assert!(p["peak_bytes"].as_u64().unwrap() >= 4 * 269_322, "{p}");
    }
    hvp(&["bench", "--only", "tiny,rosen", "--dtype", "f32"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tiny and rosen are f64 workloads"));
    hvp(&["bench", "--dtype", "f16"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'f16'"));
}

#[test]
fn demo_json_holds_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let r = json(&[
        "demo",
        "--quick",
        "--json",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ]);
    let s = &r["spec_example"];
    close(
        s["value"].as_f64().unwrap(),
        s["value_analytic"].as_f64().unwrap(),
        1e-14,
        "f",
    );
    let modes = s["modes"].as_array().unwrap();
    assert_eq!(modes.len(), 5);
    for m in modes {
        assert!(m["error"].as_f64().unwrap() < 1e-6, "{m}");
    }
    let b = &r["rosenbrock"];
    assert_eq!(b["n"], 10_000);
    close(
        b["hv_row"].as_f64().unwrap(),
        b["hv_row_analytic"].as_f64().unwrap(),
        1e-12,
        "Hv row",
    );
    assert_eq!(r["solve"]["converged"], true);
    let sp = &r["spectrum"];
    let tr = sp["report"]["trace"]["estimate"].as_f64().unwrap();
    let exact = sp["trace_exact"].as_f64().unwrap();
    assert!((tr - exact).abs() < 0.05 * exact, "trace {tr} vs {exact}");
    assert!(std::path::Path::new(r["plot"].as_str().unwrap()).exists());
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
