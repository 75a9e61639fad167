//! The canonical workloads of DESIGN.md §9, with ratios measured in one run.
//!
//! `cargo bench -p hvp --bench canonical [-- quick] [-- only=rosen|mlp|tiny]`
//!
//! For each workload it times f, the gradient and the HVP in every AD mode
//! (interleaved rounds, medians), reports HVP / gradient ratios, and the
//! peak heap growth of the first call of each program on a fresh function
//! (plan workspace plus outputs) measured by a counting allocator.

use hvp::{trace, Function, HessianOperator, HvpMode, Real, Spec, Tensor};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let c = CURRENT.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(c, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        CURRENT.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Peak heap growth while running `f`, in bytes.
fn peak_growth(f: impl FnOnce()) -> usize {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - base
}

/// A labelled timed closure.
type Timed<'a> = (&'a str, Box<dyn FnMut() + 'a>);

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times each closure `rounds` times, interleaved, each sample the mean of
/// `reps` calls; returns the median seconds per call of each.
fn interleaved(rounds: usize, reps: usize, fs: &mut [Timed<'_>]) -> Vec<f64> {
    for (_, f) in fs.iter_mut() {
        f(); // warm up: compile, allocate workspaces, fault pages in
    }
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in fs.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            samples[i].push(t.elapsed().as_secs_f64() / reps as f64);
        }
    }
    samples.iter_mut().map(|s| median(s)).collect()
}

fn fmt_time(s: f64) -> String {
    if s < 1e-6 {
        format!("{:8.1} ns", s * 1e9)
    } else if s < 1e-3 {
        format!("{:8.2} µs", s * 1e6)
    } else {
        format!("{:8.3} ms", s * 1e3)
    }
}

fn fmt_bytes(b: usize) -> String {
    format!("{:8.2} MiB", b as f64 / (1024.0 * 1024.0))
}

fn rosenbrock(x: &Tensor) -> Tensor {
    let n = x.numel();
    let head = x.slice_axis(0, 0, n - 1, 1);
    let tail = x.slice_axis(0, 1, n, 1);
    ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
}

/// The bandwidth bound: one single-threaded pass over x computing the
/// gradient, each g[i] from x[i-1], x[i], x[i+1] (vectorizable; no carried
/// state).
fn rosen_grad_by_hand(x: &[f64], g: &mut [f64]) {
    let n = x.len();
    g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
    for (gi, w) in g[1..n - 1].iter_mut().zip(x.windows(3)) {
        let (a, b, c) = (w[0], w[1], w[2]);
        *gi = 200.0 * (b - a * a) - 400.0 * b * (c - b * b) - 2.0 * (1.0 - b);
    }
    g[n - 1] = 200.0 * (x[n - 1] - x[n - 2] * x[n - 2]);
}

const MODES: [HvpMode; 3] = [
    HvpMode::ForwardOverReverse,
    HvpMode::ReverseOverForward,
    HvpMode::ReverseOverReverse,
];

#[allow(clippy::too_many_arguments)]
fn report_function<T: Real>(
    name: &str,
    f: &Function,
    x: &[T],
    v: &[T],
    rounds: usize,
    reps: usize,
    batched: bool,
    hand: Option<&mut dyn FnMut()>,
) {
    let mut g = vec![T::zero(); f.num_params()];
    let mut hv: Vec<Vec<T>> = (0..MODES.len())
        .map(|_| vec![T::zero(); f.num_params()])
        .collect();
    let op = HessianOperator::new(f, x).unwrap();
    let mut ha = vec![T::zero(); f.num_params()];
    let k = 16;
    let vs: Vec<T> = (0..k).flat_map(|_| v.iter().copied()).collect();
    let mut outs = vec![T::zero(); k * f.num_params()];
    let mut fs: Vec<Timed> = Vec::new();
    fs.push((
        "f",
        Box::new(|| {
            std::hint::black_box(f.value(x).unwrap());
        }),
    ));
    fs.push(("grad", Box::new(|| f.grad_into(x, &mut g).unwrap())));
    for (m, out) in MODES.iter().zip(hv.iter_mut()) {
        let m = *m;
        fs.push((
            m.name(),
            Box::new(move || f.hvp_into(x, v, m, out).unwrap()),
        ));
    }
    fs.push((
        "prepared apply",
        Box::new(|| op.apply_hvp(v, &mut ha).unwrap()),
    ));
    fs.push((
        "prepare (f, ∇f, residuals)",
        Box::new(|| {
            std::hint::black_box(HessianOperator::new(f, x).unwrap());
        }),
    ));
    if batched {
        fs.push((
            "apply_many k=16, per vector",
            Box::new(|| op.apply_hvp_many(k, &vs, &mut outs).unwrap()),
        ));
    }
    if let Some(h) = hand {
        fs.push(("hand-written gradient", Box::new(h)));
    }
    let mut t = interleaved(rounds, reps, &mut fs);
    for ((label, _), ti) in fs.iter().zip(t.iter_mut()) {
        if label.starts_with("apply_many") {
            *ti /= k as f64;
        }
    }
    println!("{name}");
    let tg = t[1];
    for ((label, _), ti) in fs.iter().zip(&t) {
        println!("  {label:<28} {}   {:5.2}× grad", fmt_time(*ti), ti / tg);
    }
    let ta = t[2 + MODES.len()];
    println!(
        "  prepared apply / one-off forward-over-reverse HVP: {:.2}",
        ta / t[2]
    );
    let mem = op.memory().unwrap();
    println!(
        "  operator memory: residuals {}  apply workspace {}",
        fmt_bytes(mem.residual_bytes),
        fmt_bytes(mem.apply_workspace_bytes)
    );
}

fn report_memory<T: Real>(build: impl Fn() -> Function, x: &[T], v: &[T]) {
    let f = build();
    let g = peak_growth(|| {
        std::hint::black_box(f.grad(x).unwrap());
    });
    let f = build();
    let h = peak_growth(|| {
        std::hint::black_box(f.hvp(x, v).unwrap());
    });
    println!(
        "  peak heap growth, first call: grad {}   HVP {}   ratio {:.2}",
        fmt_bytes(g),
        fmt_bytes(h),
        h as f64 / g as f64
    );
}

fn tiny(quick: bool) {
    let f = trace(
        |x| &x[0].square() * &x[1] + x[1].sin(),
        &[Spec::scalar(), Spec::scalar()],
    )
    .unwrap();
    let x = [1.5_f64, -0.7];
    let v = [0.3_f64, 1.1];
    let mut out = [0.0_f64; 2];
    let mut g = [0.0_f64; 2];
    let reps = if quick { 2_000 } else { 20_000 };
    let mut fs: Vec<Timed> = vec![
        ("grad", Box::new(|| f.grad_into(&x, &mut g).unwrap())),
        (
            "hvp (forward-over-reverse)",
            Box::new(|| {
                f.hvp_into(&x, &v, HvpMode::ForwardOverReverse, &mut out)
                    .unwrap()
            }),
        ),
    ];
    let t = interleaved(if quick { 5 } else { 21 }, reps, &mut fs);
    println!("spec example f(x, y) = x²y + sin y, latency per call (compiled once)");
    for ((label, _), ti) in fs.iter().zip(&t) {
        println!("  {label:<28} {}", fmt_time(*ti));
    }
}

fn rosen(quick: bool) {
    for &n in &[1_000usize, 100_000, 1_000_000] {
        let build = || trace(|x| rosenbrock(&x[0]), &[Spec::vector(n)]).unwrap();
        let f = build();
        let x: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect();
        let v = vec![1.0 / (n as f64).sqrt(); n];
        let mut gh = vec![0.0; n];
        let mut hand = || rosen_grad_by_hand(&x, &mut gh);
        let reps = (1_000_000 / n).clamp(1, 200);
        let rounds = if quick { 5 } else { 15 };
        report_function(
            &format!("chained Rosenbrock n = {n} (f64)"),
            &f,
            &x,
            &v,
            rounds,
            reps,
            false,
            Some(&mut hand),
        );
        report_memory(build, &x, &v);
    }
}

/// MLP 784-256-256-10, tanh, softmax cross-entropy, batch 256.
fn mlp_function() -> Function {
    trace(
        |p| {
            let h1 = (p[6].matmul(&p[0]) + &p[1]).tanh();
            let h2 = (h1.matmul(&p[2]) + &p[3]).tanh();
            let logits = h2.matmul(&p[4]) + &p[5];
            logits.cross_entropy(&p[7])
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
    .unwrap()
}

/// SplitMix64: a fixed, dependency-free stream so every run measures the
/// same data.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Box–Muller.
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Glorot-uniform weights, zero biases, N(0, 1) inputs, labels uniform in
/// 0..9, and a direction v ~ N(0, 1).
fn mlp_point(seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rng(seed);
    let mut x = Vec::new();
    for &(i, o) in &[(784usize, 256usize), (256, 256), (256, 10)] {
        let lim = (6.0 / (i + o) as f64).sqrt();
        x.extend((0..i * o).map(|_| lim * (2.0 * rng.uniform() - 1.0)));
        x.extend(std::iter::repeat_n(0.0, o));
    }
    x.extend((0..256 * 784).map(|_| rng.normal()));
    x.extend((0..256).map(|_| (rng.uniform() * 10.0).floor().min(9.0)));
    let v = (0..269_322).map(|_| rng.normal()).collect();
    (x, v)
}

fn mlp(quick: bool) {
    let f = mlp_function();
    assert_eq!(f.num_params(), 269_322);
    let (x, v) = mlp_point(42);
    let rounds = if quick { 3 } else { 11 };
    report_function(
        "MLP 784-256-256-10, batch 256 (f64)",
        &f,
        &x,
        &v,
        rounds,
        1,
        true,
        None,
    );
    report_memory(mlp_function, &x, &v);
    let x32: Vec<f32> = x.iter().map(|&a| a as f32).collect();
    let v32: Vec<f32> = v.iter().map(|&a| a as f32).collect();
    report_function(
        "MLP 784-256-256-10, batch 256 (f32)",
        &f,
        &x32,
        &v32,
        rounds,
        1,
        true,
        None,
    );
    report_memory(mlp_function, &x32, &v32);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let only = args
        .iter()
        .find_map(|a| a.strip_prefix("only="))
        .map(str::to_string);
    let want = |w: &str| only.as_deref().is_none_or(|o| o == w);
    println!("threads: {}", rayon_threads());
    if want("tiny") {
        tiny(quick);
    }
    if want("rosen") {
        rosen(quick);
    }
    if want("mlp") {
        mlp(quick);
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
