//! Runs the three Hessian-free optimizers on every catalog problem from its
//! standard start (default parameters) and prints, per problem × method:
//! `n`, status, iterations, `f` / `∇f` evaluations, Hessian preparations,
//! Hessian-vector products, the final `f`, the paper's `f*`, the final
//! `‖∇f‖` and the wall time; then the chained Rosenbrock at `n = 10⁴` from
//! `x_i = −1.2` (even `i`) / `1.0` (odd `i`) with `gtol_abs = 1e-8`.
//!
//! ```text
//! cargo run --release -p hvp-problems --example mgh_table            # a table
//! cargo run --release -p hvp-problems --example mgh_table -- --json  # one JSON object per line
//! cargo run --release -p hvp-problems --example mgh_table -- --only wood,beale --no-big
//! cargo run --release -p hvp-problems --example mgh_table -- --only none --big-n 1000
//! ```
//!
//! The large run uses `gtol_abs = 1e-8` and `max_iters = 100000` (change
//! them with `--big-n N` and `--big-max-iters K`); the catalog runs use the
//! default parameters.
//!
//! Counts are deterministic; wall times depend on the machine. The
//! comparison with scipy (`scripts/scipy_mgh.py`) is in
//! `docs/mgh-comparison.md`.

use hvp::optim::{
    continue_always, newton_cg, trust_region_cg, trust_region_lanczos, NewtonCgParams, OptimResult,
    Termination, TrustRegionParams,
};
use hvp::AdObjective;
use hvp_problems::{all, Problem};

/// The three methods, by the names the table prints.
const METHODS: [&str; 3] = ["newton-cg", "tr-cg", "tr-lanczos"];

/// One method from `x0` with `termination`, on `p`.
fn run(
    p: &Problem,
    method: &str,
    termination: Termination<f64>,
) -> Result<OptimResult<f64>, Box<dyn std::error::Error>> {
    let f = p.function()?;
    let obj = AdObjective::new(&f, &p.point(&p.x0))?;
    let tr = TrustRegionParams {
        termination,
        ..Default::default()
    };
    let res = match method {
        "newton-cg" => {
            let params = NewtonCgParams {
                termination,
                ..Default::default()
            };
            newton_cg(&obj, &p.x0, &params, continue_always)?
        }
        "tr-cg" => trust_region_cg(&obj, &p.x0, &tr, continue_always)?,
        "tr-lanczos" => trust_region_lanczos(&obj, &p.x0, &tr, continue_always)?,
        other => return Err(format!("unknown method {other}").into()),
    };
    Ok(res)
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.6e}"))
}

fn json_num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:e}"),
        _ => "null".to_string(),
    }
}

fn print_row(json: bool, p: &Problem, method: &str, r: &OptimResult<f64>) {
    let s = &r.stats;
    // f at the start, so the scipy script's transcription can be checked.
    let f0 = p
        .function()
        .ok()
        .and_then(|f| f.value(&p.point(&p.x0)).ok());
    if json {
        println!(
            "{{\"problem\":\"{}\",\"f0\":{},\"n\":{},\"m\":{},\"method\":\"{}\",\"status\":\"{}\",\
             \"iterations\":{},\"f_evals\":{},\"grad_evals\":{},\"hessian_preparations\":{},\
             \"hv_products\":{},\"f\":{},\"f_star\":{},\"grad_norm\":{},\"time_s\":{:.6}}}",
            p.name,
            json_num(f0),
            p.n,
            p.m,
            method,
            s.status.name(),
            s.iterations,
            s.f_evals,
            s.grad_evals,
            s.hessian_preparations,
            s.hv_products,
            json_num(Some(r.f)),
            json_num(p.f_star),
            json_num(Some(s.final_grad_norm)),
            s.elapsed.as_secs_f64(),
        );
    } else {
        println!(
            "{:<34} {:>5} {:<10} {:<18} {:>6} {:>6} {:>6} {:>6} {:>8} {:>13} {:>13} {:>9.2e} {:>9.3}",
            p.name,
            p.n,
            method,
            s.status.name(),
            s.iterations,
            s.f_evals,
            s.grad_evals,
            s.hessian_preparations,
            s.hv_products,
            format!("{:.6e}", r.f),
            opt(p.f_star),
            s.final_grad_norm,
            s.elapsed.as_secs_f64(),
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let no_big = args.iter().any(|a| a == "--no-big");
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|s| s.parse::<usize>().ok())
    };
    let big_n = flag("--big-n").unwrap_or(10_000);
    let big_max_iters = flag("--big-max-iters").unwrap_or(100_000);
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').map(str::to_string).collect());

    if !json {
        println!(
            "{:<34} {:>5} {:<10} {:<18} {:>6} {:>6} {:>6} {:>6} {:>8} {:>13} {:>13} {:>9} {:>9}",
            "problem",
            "n",
            "method",
            "status",
            "iters",
            "f",
            "∇f",
            "preps",
            "Hv",
            "final f",
            "f*",
            "‖∇f‖",
            "time [s]"
        );
    }
    for spec in all() {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|n| n == spec.name))
        {
            continue;
        }
        let p = spec.problem(None)?;
        for method in METHODS {
            let r = run(&p, method, Termination::default())?;
            print_row(json, &p, method, &r);
        }
    }
    if !no_big {
        // DESIGN.md §9's chained Rosenbrock at n = 10⁴ (scipy's `rosen`):
        // from this start the valley is followed one coordinate block at a
        // time, so it needs more than the default 1000 iterations.
        let p = hvp_problems::by_name("chained-rosenbrock", Some(big_n))?;
        let termination = Termination {
            gtol_abs: 1e-8,
            max_iters: big_max_iters,
            ..Default::default()
        };
        for method in METHODS {
            let r = run(&p, method, termination)?;
            print_row(json, &p, method, &r);
        }
    }
    Ok(())
}
