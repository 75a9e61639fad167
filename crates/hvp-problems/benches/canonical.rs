//! The canonical workloads of DESIGN.md §9, with ratios measured in one run.
//!
//! `cargo bench -p hvp-problems --bench canonical [-- quick] [-- only=rosen|mlp|tiny]
//! [-- dtype=f32|f64]`
//!
//! For each workload it times f, the gradient, the HVP in every AD mode, a
//! prepared operator's apply and its preparation (interleaved rounds,
//! medians), reports the ratios to the gradient, and the peak heap growth
//! of the first call of each program on a fresh function (derived graph,
//! plan, workspace and outputs) with its ratio to the gradient's, counted
//! by the allocator below. The workloads and the harness are
//! `hvp_problems::workloads` and `hvp_problems::measure`, which `hvp bench`
//! runs too.

use hvp::DType;
use hvp_problems::measure::CountingAlloc;
use hvp_problems::workloads::{canonical, render, Group, Options};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn main() -> ExitCode {
    let mut opts = Options::default();
    for a in std::env::args().skip(1) {
        if a == "quick" {
            opts.quick = true;
        } else if let Some(list) = a.strip_prefix("only=") {
            for name in list.split(',') {
                match Group::from_name(name.trim()) {
                    Some(g) => opts.only.push(g),
                    None => {
                        eprintln!(
                            "canonical: unknown workload {name:?} in {a:?} (tiny, rosen, mlp)"
                        );
                        return ExitCode::from(2);
                    }
                }
            }
        } else if let Some(d) = a.strip_prefix("dtype=") {
            match d {
                "f32" => opts.dtypes.push(DType::F32),
                "f64" => opts.dtypes.push(DType::F64),
                _ => {
                    eprintln!("canonical: unknown dtype {d:?} (f32, f64)");
                    return ExitCode::from(2);
                }
            }
        } else if !a.starts_with("--") {
            // cargo passes --bench (and libtest-style flags); words are ours.
            eprintln!(
                "canonical: ignoring {a:?} (arguments: quick, only=tiny|rosen|mlp, dtype=f32|f64)"
            );
        }
    }
    match canonical(&opts) {
        Ok(r) => {
            print!("{}", render(&r));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("canonical: {e}");
            ExitCode::FAILURE
        }
    }
}
