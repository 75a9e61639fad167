//! Per-step timings of one derived program of the canonical MLP, median of
//! several runs: `cargo run --release -p hvp --example profile_program --
//! grad|hvp|prepare|apply|apply16 [f32]`. `applyK` is the prepared apply
//! batched over `K` directions.
use hvp::{trace, Program, Spec};
use hvp_exec::Plan;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("grad");
    let f32 = args.iter().any(|a| a == "f32");
    let f = trace(
        |p| {
            let h1 = (p[6].matmul(&p[0]) + &p[1]).tanh();
            let h2 = (h1.matmul(&p[2]) + &p[3]).tanh();
            (h2.matmul(&p[4]) + &p[5]).cross_entropy(&p[7])
        },
        &[
            Spec::matrix(784, 256),
            Spec::vector(256),
            Spec::matrix(256, 256),
            Spec::vector(256),
            Spec::matrix(256, 10),
            Spec::vector(10),
            Spec::data(&[256, 784]),
            Spec::data(&[256]),
        ],
    )
    .unwrap();
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
    let plan = Plan::compile(&g).unwrap();
    if f32 {
        run::<f32>(&plan, &g);
    } else {
        run::<f64>(&plan, &g);
    }
}

fn run<T: hvp::Real>(plan: &Plan, g: &hvp::ir::Graph) {
    // Labels (a data input of shape [256]) must be valid classes; other
    // inputs of that shape (biases) take the same integers, harmlessly.
    let inputs: Vec<Vec<T>> = g
        .input_shapes()
        .iter()
        .map(|s| {
            let labels = s.dims() == [256];
            (0..s.numel())
                .map(|i| match labels {
                    true => T::from_f64((i % 10) as f64),
                    false => T::from_f64(((i * 7919) % 10) as f64 / 10.0 - 0.45),
                })
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
