//! Measures the vectorized elementwise math kernels against `std`'s scalar
//! loop on in-cache 4096-element slices, in ns per element:
//! `cargo run --release -p hvp-tensor --example math_speed [function]`.
use hvp_tensor::kernels::math;
use hvp_tensor::Float;
use std::hint::black_box;
use std::time::Instant;

const N: usize = 4096;
const REPS: usize = 100;

/// Deterministic inputs spread over `[lo, hi]`.
fn inputs<T: Float>(lo: f64, hi: f64) -> Vec<T> {
    let mut s = 0x2545_F491_4F6C_DD1D_u64;
    (0..N)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            T::from_f64(lo + (hi - lo) * (s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// Best-of-31 ns per element of `f` over `REPS` calls on `x`.
fn time<T: Float>(x: &[T], out: &mut [T], f: &dyn Fn(&[T], &mut [T])) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..31 {
        let t = Instant::now();
        for _ in 0..REPS {
            f(black_box(x), black_box(&mut *out));
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    best * 1e9 / (REPS * x.len()) as f64
}

type Kernel<T> = fn(&[T], &mut [T]);

fn row<T: Float>(name: &str, lo: f64, hi: f64, simd: Kernel<T>, scalar: fn(T) -> T) {
    if let Some(only) = std::env::args().nth(1) {
        if only != name {
            return;
        }
    }
    let x = inputs::<T>(lo, hi);
    let mut out = vec![T::zero(); N];
    let ours = time(&x, &mut out, &|x, o| simd(x, o));
    let theirs = time(&x, &mut out, &|x, o| {
        for (o, &v) in o.iter_mut().zip(x) {
            *o = scalar(v);
        }
    });
    println!(
        "{:<6} {:<4} [{lo:>6}, {hi:>6}]  ours {ours:6.3} ns/elem   std {theirs:6.3} ns/elem   x{:5.1}",
        name,
        format!("{:?}", T::DTYPE),
        theirs / ours
    );
}

fn table<T: Float>() {
    row::<T>("exp", -10.0, 10.0, math::exp, T::exp);
    row::<T>("expm1", -5.0, 5.0, math::expm1, T::exp_m1);
    row::<T>("ln", 1e-3, 1e3, math::ln, T::ln);
    row::<T>("ln_1p", -0.9, 10.0, math::ln_1p, T::ln_1p);
    row::<T>("tanh", -3.0, 3.0, math::tanh, T::tanh);
    row::<T>("sin", -10.0, 10.0, math::sin, T::sin);
    row::<T>("cos", -10.0, 10.0, math::cos, T::cos);
}

fn main() {
    println!("{N}-element slices, best of 31 x {REPS} calls");
    table::<f32>();
    table::<f64>();
}
