//! `hvp bench`: the canonical workloads (the same definitions as
//! `crates/hvp/benches/canonical.rs`): the specification's example,
//! chained Rosenbrock at n = 10³, 10⁵, 10⁶ and a 784-256-256-10 MLP with
//! batch 256 in f64 and f32. Each workload times f, the gradient, the HVP
//! in every AD mode and a prepared operator's apply in interleaved rounds
//! (medians), and reports ratios to the gradient measured in the same run.

use crate::cli::{BenchArgs, Workload};
use crate::output::{print_json, print_text};
use anyhow::Result;
use hvp::{trace, Function, HessianOperator, HvpMode, Real, Spec, Tensor};
use serde::Serialize;
use std::time::Instant;

/// One timed operation.
#[derive(Debug, Serialize)]
pub struct Timing {
    /// What was timed.
    pub label: String,
    /// Median seconds per call.
    pub seconds: f64,
    /// `seconds` over the gradient's (`None` where there is no gradient).
    pub ratio_to_grad: Option<f64>,
}

/// One workload's measurements.
#[derive(Debug, Serialize)]
pub struct WorkloadResult {
    /// `tiny`, `rosen` or `mlp`.
    pub group: &'static str,
    /// What it is.
    pub name: String,
    /// Variables.
    pub n: usize,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// Interleaved rounds.
    pub rounds: usize,
    /// Calls per sample.
    pub reps: usize,
    /// The timings.
    pub timings: Vec<Timing>,
    /// Prepared apply over a one-off forward-over-reverse HVP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepared_over_one_off: Option<f64>,
}

/// What `hvp bench` reports.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    /// Whether `--quick` was given.
    pub quick: bool,
    /// Available hardware threads.
    pub threads: usize,
    /// Whether this binary was built with optimizations.
    pub optimized: bool,
    /// Every workload.
    pub workloads: Vec<WorkloadResult>,
}

/// A labelled timed closure.
type Timed<'a> = (String, Box<dyn FnMut() + 'a>);

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times each closure `rounds` times, interleaved, each sample the mean of
/// `reps` calls, after one warm-up call each; returns the median seconds
/// per call of each.
pub fn interleaved(rounds: usize, reps: usize, fs: &mut [Timed<'_>]) -> Vec<f64> {
    for (_, f) in fs.iter_mut() {
        f();
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

/// Chained Rosenbrock (scipy's `rosen`) on a traced vector.
pub fn rosenbrock(x: &Tensor) -> Tensor {
    let n = x.numel();
    let head = x.slice_axis(0, 0, n - 1, 1);
    let tail = x.slice_axis(0, 1, n, 1);
    ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
}

/// The chained Rosenbrock gradient by hand, one pass (the bandwidth bound).
pub fn rosen_grad_by_hand(x: &[f64], g: &mut [f64]) {
    let n = x.len();
    g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
    for (gi, w) in g[1..n - 1].iter_mut().zip(x.windows(3)) {
        let (a, b, c) = (w[0], w[1], w[2]);
        *gi = 200.0 * (b - a * a) - 400.0 * b * (c - b * b) - 2.0 * (1.0 - b);
    }
    g[n - 1] = 200.0 * (x[n - 1] - x[n - 2] * x[n - 2]);
}

/// The AD modes timed.
pub const MODES: [HvpMode; 3] = [
    HvpMode::ForwardOverReverse,
    HvpMode::ReverseOverForward,
    HvpMode::ReverseOverReverse,
];

/// How one function workload is run.
pub struct Plan<'a> {
    /// The group.
    pub group: &'static str,
    /// Its name.
    pub name: String,
    /// Rounds.
    pub rounds: usize,
    /// Calls per sample.
    pub reps: usize,
    /// Also time `apply_hvp_many` with 16 vectors.
    pub batched: bool,
    /// A hand-written gradient to compare with.
    pub hand: Option<Box<dyn FnMut() + 'a>>,
}

/// Times f, ∇f, every AD mode's HVP, a prepared apply and a preparation.
pub fn time_function<T: Real>(
    plan: Plan<'_>,
    f: &Function,
    x: &[T],
    v: &[T],
) -> Result<WorkloadResult> {
    let n = f.num_params();
    let mut g = vec![T::zero(); n];
    let mut hv: Vec<Vec<T>> = (0..MODES.len()).map(|_| vec![T::zero(); n]).collect();
    let op = HessianOperator::new(f, x)?;
    let mut ha = vec![T::zero(); n];
    let k = 16;
    let vs: Vec<T> = if plan.batched {
        (0..k).flat_map(|_| v.iter().copied()).collect()
    } else {
        Vec::new()
    };
    let mut outs = vec![T::zero(); if plan.batched { k * n } else { 0 }];
    // Errors were ruled out by the calls above; a failure inside the timed
    // loop would be a bug.
    let mut fs: Vec<Timed> = vec![
        (
            "f".into(),
            Box::new(|| {
                std::hint::black_box(f.value(x).expect("f"));
            }),
        ),
        (
            "grad".into(),
            Box::new(|| f.grad_into(x, &mut g).expect("grad")),
        ),
    ];
    for (m, out) in MODES.iter().zip(hv.iter_mut()) {
        let m = *m;
        fs.push((
            format!("hvp {}", m.name()),
            Box::new(move || f.hvp_into(x, v, m, out).expect("hvp")),
        ));
    }
    fs.push((
        "prepared apply".into(),
        Box::new(|| op.apply_hvp(v, &mut ha).expect("apply")),
    ));
    fs.push((
        "prepare (f, ∇f, residuals)".into(),
        Box::new(|| {
            std::hint::black_box(HessianOperator::new(f, x).expect("prepare"));
        }),
    ));
    if plan.batched {
        fs.push((
            "apply_many k=16, per vector".into(),
            Box::new(|| op.apply_hvp_many(k, &vs, &mut outs).expect("apply_many")),
        ));
    }
    if let Some(h) = plan.hand {
        fs.push(("hand-written gradient".into(), h));
    }
    let mut t = interleaved(plan.rounds, plan.reps, &mut fs);
    for ((label, _), ti) in fs.iter().zip(t.iter_mut()) {
        if label.starts_with("apply_many") {
            *ti /= k as f64;
        }
    }
    let tg = t[1];
    let timings = fs
        .iter()
        .zip(&t)
        .map(|((label, _), &s)| Timing {
            label: label.clone(),
            seconds: s,
            ratio_to_grad: Some(s / tg),
        })
        .collect();
    Ok(WorkloadResult {
        group: plan.group,
        name: plan.name,
        n,
        dtype: T::DTYPE.name(),
        rounds: plan.rounds,
        reps: plan.reps,
        timings,
        prepared_over_one_off: Some(t[2 + MODES.len()] / t[2]),
    })
}

/// The specification's example `f(x, y) = x²y + sin y`, traced.
pub fn spec_example() -> hvp::Result<Function> {
    trace(
        |x| &x[0].square() * &x[1] + x[1].sin(),
        &[Spec::scalar(), Spec::scalar()],
    )
}

fn tiny(quick: bool) -> Result<WorkloadResult> {
    let f = spec_example()?;
    let x = [1.5_f64, -0.7];
    let v = [0.3_f64, 1.1];
    let reps = if quick { 2_000 } else { 20_000 };
    let rounds = if quick { 5 } else { 21 };
    let plan = Plan {
        group: "tiny",
        name: "spec example f(x, y) = x²y + sin y, latency per call (compiled once)".into(),
        rounds,
        reps,
        batched: false,
        hand: None,
    };
    time_function(plan, &f, &x, &v)
}

/// The chained Rosenbrock sizes.
pub const ROSEN_SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// The chained Rosenbrock function of `n` variables, traced.
pub fn rosen_function(n: usize) -> hvp::Result<Function> {
    trace(|x| rosenbrock(&x[0]), &[Spec::vector(n)])
}

/// The standard point (−1.2, 1, −1.2, 1, ...) and the direction 1/√n.
pub fn rosen_point(n: usize) -> (Vec<f64>, Vec<f64>) {
    let x = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    (x, vec![1.0 / (n as f64).sqrt(); n])
}

fn rosen(quick: bool, out: &mut Vec<WorkloadResult>) -> Result<()> {
    for &n in &ROSEN_SIZES {
        let f = rosen_function(n)?;
        let (x, v) = rosen_point(n);
        let mut gh = vec![0.0; n];
        let xr = &x;
        let hand: Box<dyn FnMut()> = Box::new(move || rosen_grad_by_hand(xr, &mut gh));
        out.push(time_function(
            Plan {
                group: "rosen",
                name: format!("chained Rosenbrock n = {n} (f64)"),
                rounds: if quick { 5 } else { 15 },
                reps: (1_000_000 / n).clamp(1, 200),
                batched: false,
                hand: Some(hand),
            },
            &f,
            &x,
            &v,
        )?);
    }
    Ok(())
}

/// MLP 784-256-256-10, tanh, softmax cross-entropy, batch 256.
pub fn mlp_function() -> hvp::Result<Function> {
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
}

/// SplitMix64: a fixed, dependency-free stream so every run measures the
/// same data.
pub struct Rng(pub u64);

impl Rng {
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Glorot-uniform weights, zero biases, N(0, 1) inputs, labels uniform in
/// 0..9 (the full point), and a direction over the 269 322 parameters.
pub fn mlp_point(seed: u64) -> (Vec<f64>, Vec<f64>) {
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

fn mlp(quick: bool, out: &mut Vec<WorkloadResult>) -> Result<()> {
    let f = mlp_function()?;
    let (x, v) = mlp_point(42);
    let rounds = if quick { 3 } else { 11 };
    let plan = |dtype: &str| Plan {
        group: "mlp",
        name: format!("MLP 784-256-256-10, batch 256 ({dtype})"),
        rounds,
        reps: 1,
        batched: true,
        hand: None,
    };
    out.push(time_function(plan("f64"), &f, &x, &v)?);
    let x32: Vec<f32> = x.iter().map(|&a| a as f32).collect();
    let v32: Vec<f32> = v.iter().map(|&a| a as f32).collect();
    out.push(time_function(plan("f32"), &f, &x32, &v32)?);
    Ok(())
}

/// Time in fixed-width human units.
pub fn fmt_time(s: f64) -> String {
    if s < 1e-6 {
        format!("{:8.1} ns", s * 1e9)
    } else if s < 1e-3 {
        format!("{:8.2} µs", s * 1e6)
    } else {
        format!("{:8.3} ms", s * 1e3)
    }
}

/// Runs the chosen workloads.
pub fn measure(args: &BenchArgs) -> Result<BenchReport> {
    let want = |w: Workload| args.only.is_empty() || args.only.contains(&w);
    let mut workloads = Vec::new();
    if want(Workload::Tiny) {
        workloads.push(tiny(args.quick)?);
    }
    if want(Workload::Rosen) {
        rosen(args.quick, &mut workloads)?;
    }
    if want(Workload::Mlp) {
        mlp(args.quick, &mut workloads)?;
    }
    Ok(BenchReport {
        quick: args.quick,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        optimized: !cfg!(debug_assertions),
        workloads,
    })
}

/// The text form of a report.
pub fn render(r: &BenchReport) -> String {
    let mut out = format!(
        "threads: {}{}\n",
        r.threads,
        if r.optimized {
            ""
        } else {
            "   (an unoptimized build: build with --release for meaningful times)"
        }
    );
    for w in &r.workloads {
        out += &format!(
            "{}\n  ({} rounds × {} calls, medians)\n",
            w.name, w.rounds, w.reps
        );
        for t in &w.timings {
            out += &format!(
                "  {:<28} {}   {:5.2}× grad\n",
                t.label,
                fmt_time(t.seconds),
                t.ratio_to_grad.unwrap_or(f64::NAN)
            );
        }
        if let Some(p) = w.prepared_over_one_off {
            out += &format!("  prepared apply / one-off forward-over-reverse HVP: {p:.2}\n");
        }
    }
    out
}

/// Runs `hvp bench`.
pub fn run(args: &BenchArgs) -> Result<u8> {
    if !args.json {
        eprintln!("measuring (interleaved rounds, medians)...");
    }
    let r = measure(args)?;
    if args.json {
        print_json(&r)?;
    } else {
        print_text(&render(&r))?;
    }
    Ok(crate::EXIT_OK)
}
