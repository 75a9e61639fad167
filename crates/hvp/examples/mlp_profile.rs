//! Runs the MLP value/grad/HVP in a loop for profiling:
//! `cargo run --release -p hvp --example mlp_profile -- grad f32`.
use hvp::{trace, HvpMode, Spec};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map(String::as_str).unwrap_or("grad");
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
    let mut x: Vec<f32> = (0..f.point_len())
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let np = f.num_params();
    for l in x[np + 256 * 784..].iter_mut() {
        *l = 3.0;
    }
    let v: Vec<f32> = (0..np)
        .map(|i| ((i * 31) % 100) as f32 / 100.0 - 0.5)
        .collect();
    let mut out = vec![0.0f32; np];
    let t = std::time::Instant::now();
    for _ in 0..200 {
        match what {
            "f" => {
                std::hint::black_box(f.value(&x).unwrap());
            }
            "hvp" => f
                .hvp_into(&x, &v, HvpMode::ForwardOverReverse, &mut out)
                .unwrap(),
            _ => f.grad_into(&x, &mut out).unwrap(),
        }
    }
    println!(
        "{what}: {:.3} ms per call",
        t.elapsed().as_secs_f64() / 200.0 * 1e3
    );
}
