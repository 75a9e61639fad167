//! The Rosenbrock gradient and Hessian-vector product as compiled plans,
//! against hand-written single-pass loops.
//!
//! `cargo bench -p hvp-exec --bench rosen [-- n=1000000] [-- threads=1]`
//!
//! With `threads=1` the figures are this thread's CPU time, robust to other
//! load on the machine; otherwise wall time. With `cold` the caches are
//! evicted before each call (data from DRAM, as in an interleaved
//! benchmark).
//!
//! The graphs are the ones the facade derives for the chained Rosenbrock
//! function (`grad` and forward-over-reverse `hvp`), pasted in text form so
//! that this crate needs no transforms. Each figure is the best of several
//! batches; nothing here asserts a time.

use hvp_exec::Plan;
use hvp_ir::parse;
use std::hint::black_box;
use std::time::Instant;

fn grad_graph(n: usize) -> String {
    let m = n - 1;
    format!(
        "graph f64 (%0: [{n}]) {{\n  %1: [{m}] = slice{{start=[0],limit=[{m}],stride=[1]}} %0\n  %2: [{m}] = slice{{start=[1],limit=[{n}],stride=[1]}} %0\n  %3: [{m}] = integer_pow{{n=2}} %1\n  %4: [{m}] = sub %2, %3\n  %7: [{m}] = sub 1.0, %1\n  %11: [{m}] = mul %1, 2.0\n  %12: [{m}] = mul %4, 2.0\n  %13: [{m}] = mul %7, 2.0\n  %15: [{m}] = neg %13\n  %17: [{m}] = mul 100.0, %12\n  %18: [{m}] = neg %17\n  %19: [{m}] = mul %18, %11\n  %20: [{m}] = add %15, %19\n  %21: [{n}] = pad{{low=[1],high=[0],interior=[0]}} %17\n  %22: [{n}] = pad{{low=[0],high=[1],interior=[0]}} %20\n  %23: [{n}] = add %21, %22\n  return %23\n}}"
    )
}

fn hvp_graph(n: usize) -> String {
    let m = n - 1;
    format!(
        "graph f64 (%0: [{n}], %1: [{n}]) {{\n  %2: [{m}] = slice{{start=[0],limit=[{m}],stride=[1]}} %0\n  %3: [{m}] = slice{{start=[0],limit=[{m}],stride=[1]}} %1\n  %4: [{m}] = slice{{start=[1],limit=[{n}],stride=[1]}} %0\n  %5: [{m}] = slice{{start=[1],limit=[{n}],stride=[1]}} %1\n  %6: [{m}] = integer_pow{{n=2}} %2\n  %7: [{m}] = mul %2, 2.0\n  %8: [{m}] = mul %3, %7\n  %9: [{m}] = sub %4, %6\n  %10: [{m}] = neg %8\n  %11: [{m}] = add %5, %10\n  %13: [{m}] = neg %3\n  %14: [{m}] = mul %3, 2.0\n  %15: [{m}] = mul %9, 2.0\n  %16: [{m}] = mul %11, 2.0\n  %18: [{m}] = mul %13, 2.0\n  %20: [{m}] = neg %18\n  %21: [{m}] = mul 100.0, %15\n  %22: [{m}] = mul %16, 100.0\n  %23: [{m}] = neg %21\n  %24: [{m}] = neg %22\n  %26: [{m}] = mul %24, %7\n  %27: [{m}] = mul %14, %23\n  %28: [{m}] = add %26, %27\n  %30: [{m}] = add %20, %28\n  %32: [{n}] = pad{{low=[1],high=[0],interior=[0]}} %22\n  %34: [{n}] = pad{{low=[0],high=[1],interior=[0]}} %30\n  %36: [{n}] = add %32, %34\n  return %36\n}}"
    )
}

/// The gradient in one vectorizable pass.
fn grad_by_hand(x: &[f64], g: &mut [f64]) {
    let n = x.len();
    let (a, b) = (x[0], x[1]);
    g[0] = -400.0 * a * (b - a * a) - 2.0 * (1.0 - a);
    for (gi, w) in g[1..n - 1].iter_mut().zip(x.windows(3)) {
        let (p, a, b) = (w[0], w[1], w[2]);
        *gi = 200.0 * (a - p * p) - 400.0 * a * (b - a * a) - 2.0 * (1.0 - a);
    }
    g[n - 1] = 200.0 * (x[n - 1] - x[n - 2] * x[n - 2]);
}

/// The Hessian-vector product in one vectorizable pass: the tridiagonal
/// Hessian's rows, each reading `x` and `v` at `i - 1, i, i + 1`.
fn hvp_by_hand(x: &[f64], v: &[f64], out: &mut [f64]) {
    let n = x.len();
    let row_first =
        |a: f64, b: f64, va: f64, vb: f64| (1200.0 * a * a - 400.0 * b + 2.0) * va - 400.0 * a * vb;
    out[0] = row_first(x[0], x[1], v[0], v[1]);
    for (i, o) in out[1..n - 1].iter_mut().enumerate() {
        let (p, a, b) = (x[i], x[i + 1], x[i + 2]);
        let (vp, va, vb) = (v[i], v[i + 1], v[i + 2]);
        *o = row_first(a, b, va, vb) + 200.0 * va - 400.0 * p * vp;
    }
    out[n - 1] = 200.0 * v[n - 1] - 400.0 * x[n - 2] * v[n - 2];
}

/// This thread's CPU time in seconds (Linux x86-64; elsewhere wall time),
/// which a busy machine perturbs far less than wall time.
fn cpu_time() -> f64 {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        let mut ts = [0i64; 2];
        let ret: i64;
        // SAFETY: clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) writes
        // two words into `ts` and touches nothing else.
        unsafe {
            std::arch::asm!(
                "syscall",
                inlateout("rax") 228i64 => ret,
                in("rdi") 3i64,
                in("rsi") ts.as_mut_ptr(),
                lateout("rcx") _,
                lateout("r11") _,
            );
        }
        if ret == 0 {
            return ts[0] as f64 + ts[1] as f64 * 1e-9;
        }
    }
    START.with(|s| s.elapsed().as_secs_f64())
}

thread_local! {
    static START: Instant = Instant::now();
}

/// Best of `reps` batches of `iters` calls, in seconds per call: wall time,
/// or this thread's CPU time with `cpu` (meaningful on one thread only).
/// With `cold`, every call is a batch of its own after `evict`.
fn best(
    reps: usize,
    iters: usize,
    cpu: bool,
    cold: Option<&mut dyn FnMut()>,
    mut f: impl FnMut(),
) -> f64 {
    let now = || {
        if cpu {
            cpu_time()
        } else {
            START.with(|s| s.elapsed().as_secs_f64())
        }
    };
    if let Some(evict) = cold {
        let mut t = Vec::with_capacity(reps * iters);
        for _ in 0..reps * iters {
            evict();
            let t0 = now();
            f();
            t.push(now() - t0);
        }
        return t.into_iter().fold(f64::INFINITY, f64::min);
    }
    (0..reps)
        .map(|_| {
            let t = now();
            for _ in 0..iters {
                f();
            }
            (now() - t) / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |k: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(k))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let n = arg("n=").unwrap_or(1_000_000);
    let threads = arg("threads=");
    // `cold`: evict the caches before every call (a 64 MiB sweep, not
    // timed), as when other work runs between calls.
    let cold = args.iter().any(|a| a == "cold");
    let mut junk = if cold {
        vec![0u8; 64 << 20]
    } else {
        Vec::new()
    };
    let mut evict = move || {
        for (i, b) in junk.iter_mut().enumerate().step_by(64) {
            *b = b.wrapping_add(i as u8);
        }
        black_box(&junk);
    };
    // On one thread, CPU time is the robust measure.
    let cpu = threads == Some(1);
    if let Some(t) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .unwrap();
    }
    let x: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let v = vec![1.0 / (n as f64).sqrt(); n];
    let mut out = vec![0.0; n];
    let iters = (20_000_000 / n).clamp(1, 2000);
    let hand = best(
        9,
        iters,
        cpu,
        cold.then_some(&mut evict as &mut dyn FnMut()),
        || {
            grad_by_hand(black_box(&x), &mut out);
            black_box(&out);
        },
    );
    let expected = out.clone();
    let hand_hvp = best(
        9,
        iters,
        cpu,
        cold.then_some(&mut evict as &mut dyn FnMut()),
        || {
            hvp_by_hand(black_box(&x), black_box(&v), &mut out);
            black_box(&out);
        },
    );
    let expected_hvp = out.clone();
    let grad = Plan::compile(&parse(&grad_graph(n)).unwrap()).unwrap();
    let hvp = Plan::compile(&parse(&hvp_graph(n)).unwrap()).unwrap();
    let mut wg = grad.workspace::<f64>();
    let mut wh = hvp.workspace::<f64>();
    let tg = best(
        9,
        iters,
        cpu,
        cold.then_some(&mut evict as &mut dyn FnMut()),
        || {
            grad.run(&mut wg, &[&x], &mut [&mut out]).unwrap();
            black_box(&out);
        },
    );
    let err = out
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let th = best(
        9,
        iters,
        cpu,
        cold.then_some(&mut evict as &mut dyn FnMut()),
        || {
            hvp.run(&mut wh, &[&x, &v], &mut [&mut out]).unwrap();
            black_box(&out);
        },
    );
    println!(
        "rosenbrock n = {n}, {} threads ({} time); grad {:?}; hvp {:?}",
        rayon::current_num_threads(),
        if cpu { "CPU" } else { "wall" },
        grad.stats(),
        hvp.stats()
    );
    println!("  hand-written gradient {:9.1} us", hand * 1e6);
    println!(
        "  plan gradient         {:9.1} us   {:.2}x hand   (max |diff| {err:.1e})",
        tg * 1e6,
        tg / hand
    );
    let err_hvp = out
        .iter()
        .zip(&expected_hvp)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f64::max);
    println!(
        "  hand-written hvp      {:9.1} us   {:.2}x hand gradient",
        hand_hvp * 1e6,
        hand_hvp / hand
    );
    println!(
        "  plan hvp              {:9.1} us   {:.2}x plan gradient   {:.2}x hand hvp   (max rel diff {err_hvp:.1e})",
        th * 1e6,
        th / tg,
        th / hand_hvp
    );
}
