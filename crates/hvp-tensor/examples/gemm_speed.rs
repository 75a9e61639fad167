//! Measures the GEMM kernel on the MLP's shapes (f32 and f64, all transpose
//! flags): `cargo run --release -p hvp-tensor --example gemm_speed`.
use hvp_tensor::kernels::{matmul, MatMulDims};
use hvp_tensor::Float;
use std::time::Instant;

fn bench<T: Float>(m: usize, k: usize, n: usize, ta: bool, tb: bool) -> f64 {
    let a = vec![T::from_f64(0.5); m * k];
    let b = vec![T::from_f64(0.25); k * n];
    let mut c = vec![T::zero(); m * n];
    let d = MatMulDims {
        batch: 1,
        m,
        k,
        n,
        transpose_lhs: ta,
        transpose_rhs: tb,
    };
    matmul(d, &a, &b, &mut c);
    let mut best = f64::MAX;
    for _ in 0..20 {
        let t = Instant::now();
        matmul(d, &a, &b, &mut c);
        best = best.min(t.elapsed().as_secs_f64());
    }
    2.0 * (m * k * n) as f64 / best / 1e9
}

fn main() {
    for &(m, k, n) in &[
        (256, 784, 256),
        (256, 256, 256),
        (784, 256, 256),
        (256, 256, 10),
        (256, 10, 256),
    ] {
        for &(ta, tb) in &[(false, false), (true, false), (false, true)] {
            println!(
                "{m}x{k}x{n} ta={ta} tb={tb}: f32 {:6.1} GFLOP/s  f64 {:6.1} GFLOP/s",
                bench::<f32>(m, k, n, ta, tb),
                bench::<f64>(m, k, n, ta, tb)
            );
        }
    }
}
