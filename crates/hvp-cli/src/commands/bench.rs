//! `hvp bench`: the canonical workloads of DESIGN.md §9 — the
//! specification's example, chained Rosenbrock at n = 10³, 10⁵, 10⁶ and a
//! 784-256-256-10 MLP with batch 256 in f64 and f32 — timed and measured by
//! the harness they share with `cargo bench -p hvp-problems --bench
//! canonical` ([`hvp_problems::workloads`], [`hvp_problems::measure`]):
//! f, the gradient, the HVP in every AD mode, a prepared operator's apply
//! and its preparation in interleaved rounds (medians) with ratios to the
//! gradient measured in the same run, and the peak heap growth of each
//! program's first call with its ratio to the gradient's (the `hvp` binary
//! counts its allocations; see `main.rs`).

use crate::cli::{BenchArgs, DTypeArg, Workload};
use crate::output::{print_json, print_text};
use anyhow::Result;
use hvp::DType;
use hvp_problems::workloads::{canonical, render, Group, Options, Report};

impl From<Workload> for Group {
    fn from(w: Workload) -> Group {
        match w {
            Workload::Tiny => Group::Tiny,
            Workload::Rosen => Group::Rosen,
            Workload::Mlp => Group::Mlp,
        }
    }
}

/// Runs the chosen workloads.
pub fn measure(args: &BenchArgs) -> Result<Report> {
    let opts = Options {
        quick: args.quick,
        only: args.only.iter().map(|&w| w.into()).collect(),
        dtypes: args
            .dtype
            .iter()
            .map(|d| match d {
                DTypeArg::F32 => DType::F32,
                DTypeArg::F64 => DType::F64,
            })
            .collect(),
        mlp_seed: args.seed,
    };
    if !args.dtype.is_empty()
        && !args.dtype.contains(&DTypeArg::F64)
        && !args.only.is_empty()
        && !args.only.contains(&Workload::Mlp)
    {
        anyhow::bail!(
            "no workload to run: tiny and rosen are f64 workloads (only the MLP runs in f32)"
        );
    }
    Ok(canonical(&opts)?)
}

/// Runs `hvp bench`.
pub fn run(args: &BenchArgs) -> Result<u8> {
    if !args.json {
        eprintln!("measuring (interleaved rounds, medians; peak heap growth of first calls)...");
    }
    let r = measure(args)?;
    if args.json {
        print_json(&r)?;
    } else {
        print_text(&render(&r))?;
    }
    Ok(crate::EXIT_OK)
}
