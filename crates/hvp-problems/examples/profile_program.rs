//! Per-step timings of one derived program of the canonical MLP on its
//! benchmark data, median of 15 runs: `cargo run --release -p hvp-problems
//! --example profile_program -- grad|hvp|prepare|apply|applyK [f32] [print]`.
//! `applyK` is the prepared apply batched over `K` directions (its inputs
//! other than the point are the direction repeated); `print` prints the
//! graph first.
use hvp::Program;
use hvp_exec::Plan;
use hvp_problems::workloads;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("grad");
    let f32 = args.iter().any(|a| a == "f32");
    let f = workloads::mlp_function().unwrap();
    let (program, k) = match what {
        "hvp" => (
            Program::Hvp(hvp::transforms::HvpMode::ForwardOverReverse),
            0,
        ),
        "prepare" => (Program::Prepare, 0),
        "apply" => (Program::PreparedApply, 0),
        w if w.starts_with("apply") => (Program::PreparedApply, w[5..].parse().unwrap()),
        _ => (Program::Grad, 0),
    };
    let g = f.derived_graph(program).unwrap();
    let g = if k > 0 {
        let n_dirs = 6;
        let mut mask = vec![false; g.inputs.len() - n_dirs];
        mask.extend(std::iter::repeat_n(true, n_dirs));
        hvp::transforms::batch(g, &mask, k).unwrap()
    } else {
        g.clone()
    };
    if args.iter().any(|a| a == "print") {
        println!("{g}");
    }
    let g = if f32 {
        g.with_dtype(hvp::DType::F32)
    } else {
        g
    };
    let plan = Plan::compile(&g).unwrap();
    if f32 {
        run::<f32>(&plan, &g);
    } else {
        run::<f64>(&plan, &g);
    }
}

fn run<T: hvp::Real>(plan: &Plan, g: &hvp::ir::Graph) {
    // The point's inputs first (weights, data, labels), then whatever the
    // program takes (residuals, directions): filled with the direction's
    // values, cycled, which exercise the same code at the same sizes.
    let (x, v) = workloads::mlp_point(workloads::MLP_SEED);
    let mut at = 0;
    let inputs: Vec<Vec<T>> = g
        .input_shapes()
        .iter()
        .map(|s| {
            let from_point = at + s.numel() <= x.len();
            let src = if from_point { &x[at..] } else { &v[..] };
            at += s.numel();
            src.iter()
                .cycle()
                .take(s.numel())
                .map(|&e| T::from_f64(e))
                .collect()
        })
        .collect();
    let views: Vec<&[T]> = inputs.iter().map(|v| v.as_slice()).collect();
    let mut outs: Vec<Vec<T>> = g
        .output_shapes()
        .iter()
        .map(|s| vec![T::zero(); s.numel()])
        .collect();
    let mut ws = plan.workspace::<T>();
    let mut all = Vec::new();
    for _ in 0..15 {
        let mut refs: Vec<&mut [T]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        all.push(plan.profile(&mut ws, &views, &mut refs).unwrap());
    }
    let mut total = 0.0;
    for s in 0..all[0].len() {
        let mut t: Vec<f64> = all.iter().map(|r| r[s].time.as_secs_f64()).collect();
        t.sort_by(f64::total_cmp);
        let med = t[t.len() / 2];
        total += med;
        println!("{:4} {:>9.1} µs  {}", s, med * 1e6, all[0][s].what);
    }
    println!("total of medians {:.3} ms", total * 1e3);
}
