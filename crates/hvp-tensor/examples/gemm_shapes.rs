//! GEMM throughput of the shapes the canonical MLP runs, median of rounds:
//! `cargo run --release -p hvp-tensor --example gemm_shapes`.
use hvp_tensor::kernels::{matmul_with, MatMulDims, MatMulOptions};
use std::time::Instant;

fn main() {
    let shapes = [
        (1, 256, 784, 256, false, false),
        (1, 784, 256, 256, true, false),
        (1, 256, 256, 256, false, false),
        (1, 256, 256, 256, true, false),
        (1, 256, 256, 256, false, true),
        (1, 4096, 256, 256, false, false),
        (1, 4096, 784, 256, false, false),
        (16, 256, 784, 256, false, false),
    ];
    let shapes = shapes
        .iter()
        .map(|&s| (s, false))
        .chain([((16, 256, 784, 256, false, false), true)]);
    for ((batch, m, k, n, tl, tr), shared) in shapes {
        let opts = MatMulOptions {
            lhs_shared: shared,
            ..Default::default()
        };
        let dims = MatMulDims {
            batch,
            m,
            k,
            n,
            transpose_lhs: tl,
            transpose_rhs: tr,
        };
        let a: Vec<f64> = (0..if shared { 1 } else { batch } * m * k)
            .map(|i| (i % 7) as f64 * 0.1)
            .collect();
        let b: Vec<f64> = (0..batch * k * n).map(|i| (i % 5) as f64 * 0.1).collect();
        let mut c = vec![0.0; batch * m * n];
        let mut t = Vec::new();
        for _ in 0..15 {
            let s = Instant::now();
            matmul_with(dims, opts, &a, &b, &mut c);
            t.push(s.elapsed().as_secs_f64());
        }
        t.sort_by(f64::total_cmp);
        let med = t[t.len() / 2];
        let gf = 2.0 * (batch * m * k * n) as f64 / med / 1e9;
        println!(
            "{batch:3}× {m:5}×{k:4}×{n:4} tl={tl:5} tr={tr:5}  {:8.1} µs  {gf:6.1} GFLOP/s",
            med * 1e6
        );
    }
}
