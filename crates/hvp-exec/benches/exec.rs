//! Per-call overhead and fused-loop throughput of compiled plans.
//!
//! `cargo bench -p hvp-exec --bench exec` prints, in one run: the time of
//! one `Plan::run` of a ~20-equation scalar graph, and the throughput of the
//! fused Rosenbrock chain over 10^6 f64 (with and without the final sum),
//! beside a plain `copy_from_slice` of the same size as the machine's
//! bandwidth reference. Benchmarks measure; nothing here asserts a time.

use hvp_exec::Plan;
use hvp_ir::{Atom, DType, Graph, GraphBuilder, Prim, Shape};
use std::hint::black_box;
use std::time::Instant;

/// A scalar program of about 20 equations in two inputs.
fn scalar_graph() -> Graph {
    let mut b = GraphBuilder::new(DType::F64);
    let x: Atom = b.input(Shape::scalar()).into();
    let y: Atom = b.input(Shape::scalar()).into();
    let mut add = |p: Prim, a: &[Atom]| b.add(p, a).unwrap();
    let x2 = add(Prim::IntPow(2), &[x]);
    let x2y = add(Prim::Mul, &[x2, y]);
    let sy = add(Prim::Sin, &[y]);
    let f = add(Prim::Add, &[x2y, sy]);
    let two_x = add(Prim::Mul, &[x, Atom::lit(2.0)]);
    let gx = add(Prim::Mul, &[two_x, y]);
    let cy = add(Prim::Cos, &[y]);
    let gy = add(Prim::Add, &[x2, cy]);
    let v0 = add(Prim::Mul, &[gx, Atom::lit(0.3)]);
    let v1 = add(Prim::Mul, &[gy, Atom::lit(1.1)]);
    let h0 = add(Prim::Mul, &[y, Atom::lit(0.6)]);
    let h1 = add(Prim::Mul, &[x, Atom::lit(2.2)]);
    let h2 = add(Prim::Add, &[h0, h1]);
    let h3 = add(Prim::Mul, &[x, Atom::lit(0.6)]);
    let h4 = add(Prim::Mul, &[sy, Atom::lit(-1.1)]);
    let h5 = add(Prim::Add, &[h3, h4]);
    let e = add(Prim::Exp, &[v0]);
    let t = add(Prim::Tanh, &[v1]);
    let r = add(Prim::Add, &[e, t]);
    let q = add(Prim::Div, &[r, h5]);
    let out = add(Prim::Sub, &[q, f]);
    b.finish(vec![out, h2, f])
}

/// `Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])²`, optionally without the sum.
fn rosenbrock(n: usize, sum: bool) -> Graph {
    let mut b = GraphBuilder::new(DType::F64);
    let x: Atom = b.input(Shape::from([n])).into();
    let mut add = |p: Prim, a: &[Atom]| b.add(p, a).unwrap();
    let sl = |s: usize, l: usize| Prim::Slice {
        start: vec![s],
        limit: vec![l],
        stride: vec![1],
    };
    let x0 = add(sl(0, n - 1), &[x]);
    let x1 = add(sl(1, n), &[x]);
    let sq = add(Prim::IntPow(2), &[x0]);
    let t = add(Prim::Sub, &[x1, sq]);
    let t2 = add(Prim::IntPow(2), &[t]);
    let a = add(Prim::Mul, &[t2, Atom::lit(100.0)]);
    let u = add(Prim::Sub, &[Atom::lit(1.0), x0]);
    let u2 = add(Prim::IntPow(2), &[u]);
    let s = add(Prim::Add, &[a, u2]);
    let out = if sum {
        add(Prim::ReduceSum { axes: vec![0] }, &[s])
    } else {
        s
    };
    b.finish(vec![out])
}

/// Best time of `reps` batches of `iters` calls, in seconds per call.
fn best(reps: usize, iters: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let g = scalar_graph();
    let plan = Plan::compile(&g).unwrap();
    let mut ws = plan.workspace::<f64>();
    let (mut o0, mut o1, mut o2) = ([0.0], [0.0], [0.0]);
    let t = best(7, 200_000, || {
        plan.run(
            &mut ws,
            &[&[1.5], &[-0.7]],
            &mut [&mut o0, &mut o1, &mut o2],
        )
        .unwrap();
        black_box(&o0);
    });
    println!(
        "scalar graph: {} equations, {:?}, {:.0} ns per run",
        g.eqns.len(),
        plan.stats(),
        t * 1e9
    );

    let n = 1_000_000;
    let x: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let mut y = vec![0.0; n];
    let t = best(7, 50, || {
        y.copy_from_slice(black_box(&x));
        black_box(&y);
    });
    let copy_gbs = 16.0 * n as f64 / t / 1e9;
    println!(
        "copy_from_slice 10^6 f64: {:.1} us, {:.1} GB/s (read + write)",
        t * 1e6,
        copy_gbs
    );

    for (sum, label) in [(false, "chain"), (true, "chain + sum")] {
        let g = rosenbrock(n, sum);
        let plan = Plan::compile(&g).unwrap();
        let mut ws = plan.workspace::<f64>();
        let mut out = vec![0.0; if sum { 1 } else { n - 1 }];
        let t = best(7, 50, || {
            plan.run(&mut ws, &[&x], &mut [&mut out]).unwrap();
            black_box(&out);
        });
        // Minimal traffic: read x once, write the n-1 results (chain only).
        let bytes = 8.0 * n as f64 + if sum { 0.0 } else { 8.0 * (n - 1) as f64 };
        println!(
            "rosenbrock {label} 10^6 f64: {:?}, peak {} B, {:.1} us per run, {:.1} GB/s of minimal traffic, {:.2} ns/element",
            plan.stats(),
            plan.peak_bytes(DType::F64),
            t * 1e6,
            bytes / t / 1e9,
            t * 1e9 / n as f64
        );
    }
}
