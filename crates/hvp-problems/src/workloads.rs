//! The canonical benchmark workloads of DESIGN.md §9, defined once for the
//! `canonical` bench (`cargo bench -p hvp-problems --bench canonical`) and
//! `hvp bench`, so their figures stay comparable with each other and with
//! earlier runs:
//!
//! - the specification's example `f(x, y) = x²y + sin y` at `(1.5, −0.7)`
//!   along `(0.3, 1.1)` ([`spec_example`], latency per call);
//! - scipy's chained Rosenbrock at `n = 10³, 10⁵, 10⁶` ([`ROSEN_SIZES`],
//!   [`rosen_function`]) at `x_i = −1.2` (even `i`) / `1` (odd `i`) along
//!   `v = 1/√n` ([`rosen_point`]), with a hand-written gradient and
//!   Hessian-vector product as the memory-bandwidth bounds
//!   ([`rosen_grad_by_hand`], [`rosen_hvp_by_hand`]);
//! - a 784-256-256-10 tanh MLP with softmax cross-entropy on a batch of 256
//!   ([`mlp_function`]), Glorot-uniform weights, zero biases, `N(0, 1)`
//!   inputs, labels uniform in `0..9` and a direction `v ~ N(0, 1)` over its
//!   269 322 parameters ([`mlp_point`] with [`MLP_SEED`]).
//!
//! [`canonical`] runs them all through the harness of [`crate::measure`]
//! and [`render`] prints the report.
//!
//! ```
//! use hvp_problems::workloads::{rosen_function, rosen_point, SPEC_POINT, spec_example};
//! let f = rosen_function(1000)?;
//! let (x, v) = rosen_point(1000);
//! // 500 terms 100(1 − 1.44)² + 2.2² = 24.2 and 499 terms 100(−1.2 − 1)² = 484
//! assert!((f.value(&x)? - 253_616.0).abs() < 1e-8);
//! assert_eq!(f.hvp(&x, &v)?.len(), 1000);
//! let (a, b) = (SPEC_POINT[0], SPEC_POINT[1]);
//! assert!((spec_example()?.value(&SPEC_POINT)? - (a * a * b + b.sin())).abs() < 1e-15);
//! # Ok::<(), hvp::Error>(())
//! ```

use crate::measure::{fmt_bytes, fmt_time, measure_memory, time_function, Plan, WorkloadResult};
use crate::rng::SplitMix64;
use hvp::{trace, DType, Function, Spec, Tensor};
use rayon::prelude::*;
use std::fmt::Write as _;

/// The point of the specification's example, `(x, y)`.
pub const SPEC_POINT: [f64; 2] = [1.5, -0.7];

/// The direction of the specification's example.
pub const SPEC_DIRECTION: [f64; 2] = [0.3, 1.1];

/// The specification's example `f(x, y) = x²y + sin y` over two scalars.
pub fn spec_example() -> hvp::Result<Function> {
    trace(
        |x| &x[0].square() * &x[1] + x[1].sin(),
        &[Spec::scalar(), Spec::scalar()],
    )
}

/// Chained Rosenbrock in scipy's form (`scipy.optimize.rosen`) on a traced
/// vector: `Σ_{i<n−1} 100 (x_{i+1} − x_i²)² + (1 − x_i)²`, written as one
/// sum (the catalog's `chained-rosenbrock` is the same function written as
/// a sum of squared residuals).
pub fn rosenbrock(x: &Tensor) -> Tensor {
    let n = x.numel();
    let head = x.slice_axis(0, 0, n - 1, 1);
    let tail = x.slice_axis(0, 1, n, 1);
    ((tail - head.square()).square() * 100.0 + (1.0 - head).square()).sum()
}

/// The chained Rosenbrock sizes of the benchmark.
pub const ROSEN_SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// [`rosenbrock`] of `n` variables, traced.
pub fn rosen_function(n: usize) -> hvp::Result<Function> {
    trace(|x| rosenbrock(&x[0]), &[Spec::vector(n)])
}

/// The benchmark's point `(−1.2, 1, −1.2, 1, …)` and direction `1/√n` in
/// every entry.
pub fn rosen_point(n: usize) -> (Vec<f64>, Vec<f64>) {
    let x = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    (x, vec![1.0 / (n as f64).sqrt(); n])
}

/// Entries per parallel block of the hand-written loops: large enough that
/// a block's two boundary entries cost nothing, small enough to spread
/// `n = 10⁵` over the cores.
const HAND_BLOCK: usize = 1 << 14;

/// Sets every interior entry `0 < i < n − 1` of `out` to
/// `row([x_i−1, x_i, x_i+1], [v_i−1, v_i, v_i+1])`, in parallel blocks; `v`
/// may be empty (then its entries read as zero). The loop body is branch-free, so it
/// vectorizes.
fn interior_rows(
    x: &[f64],
    v: &[f64],
    out: &mut [f64],
    row: impl Fn([f64; 3], [f64; 3]) -> f64 + Sync,
) {
    let n = x.len();
    let inner = &mut out[1..n - 1];
    inner
        .par_chunks_mut(HAND_BLOCK)
        .enumerate()
        .for_each(|(b, block)| {
            let lo = b * HAND_BLOCK;
            let xs = x[lo..lo + block.len() + 2].windows(3);
            if v.is_empty() {
                for (o, w) in block.iter_mut().zip(xs) {
                    *o = row([w[0], w[1], w[2]], [0.0; 3]);
                }
            } else {
                let vs = v[lo..lo + block.len() + 2].windows(3);
                for ((o, w), u) in block.iter_mut().zip(xs).zip(vs) {
                    *o = row([w[0], w[1], w[2]], [u[0], u[1], u[2]]);
                }
            }
        });
}

/// The chained Rosenbrock gradient by hand into `g`: one pass over `x` in
/// parallel blocks, each `g[i]` from `x[i−1], x[i], x[i+1]` (vectorizable,
/// no carried state), the memory-bandwidth bound a gradient can hope for.
/// `x` and `g` have the same length, at least 2.
pub fn rosen_grad_by_hand(x: &[f64], g: &mut [f64]) {
    let n = x.len();
    g[0] = -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]);
    if n > 2 {
        interior_rows(x, &[], g, |[a, b, c], _| {
            200.0 * (b - a * a) - 400.0 * b * (c - b * b) - 2.0 * (1.0 - b)
        });
    }
    g[n - 1] = 200.0 * (x[n - 1] - x[n - 2] * x[n - 2]);
}

/// The chained Rosenbrock Hessian-vector product by hand into `out`: one
/// pass over `x` and `v` in parallel blocks, row `i` of the tridiagonal
/// Hessian (diagonal `1200 x_i² − 400 x_{i+1} + 2 (+ 200)`, off-diagonals
/// `−400 x_i`) times `v`. The bound for a prepared apply, which must read
/// `v` as well as `x`: a third more memory traffic than the gradient.
/// All three have the same length, at least 2.
pub fn rosen_hvp_by_hand(x: &[f64], v: &[f64], out: &mut [f64]) {
    let n = x.len();
    // The part of row `i` from the term coupling `x_i` and `x_{i+1}`.
    let ahead =
        |a: f64, b: f64, va: f64, vb: f64| (1200.0 * a * a - 400.0 * b + 2.0) * va - 400.0 * a * vb;
    out[0] = ahead(x[0], x[1], v[0], v[1]);
    if n > 2 {
        interior_rows(x, v, out, |[p, a, b], [vp, va, vb]| {
            ahead(a, b, va, vb) + 200.0 * va - 400.0 * p * vp
        });
    }
    out[n - 1] = 200.0 * v[n - 1] - 400.0 * x[n - 2] * v[n - 2];
}

/// The MLP's layer widths, input to output.
pub const MLP_LAYERS: [usize; 4] = [784, 256, 256, 10];

/// The MLP's batch size.
pub const MLP_BATCH: usize = 256;

/// The MLP's number of parameters (weights and biases of its three layers).
pub const MLP_PARAMS: usize = 269_322;

/// The seed of the benchmark's MLP data.
pub const MLP_SEED: u64 = 42;

/// The MLP 784-256-256-10 (tanh, tanh, softmax cross-entropy over 10
/// classes) on a batch of 256, traced. Inputs: `W1 [784, 256]`, `b1 [256]`,
/// `W2 [256, 256]`, `b2 [256]`, `W3 [256, 10]`, `b3 [10]`, then the data
/// `X [256, 784]` and the labels `[256]` (class indices as floats).
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

/// The MLP's full point and a direction, drawn from SplitMix64 seeded with
/// `seed` in this order: each layer's Glorot-uniform weights
/// (`U(−l, l)`, `l = √(6 / (fan_in + fan_out))`) then its zero biases; the
/// inputs `N(0, 1)`, row by row; the labels uniform in `0..9`; then the
/// direction `N(0, 1)` over the [`MLP_PARAMS`] parameters.
pub fn mlp_point(seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SplitMix64(seed);
    let mut x = Vec::new();
    for w in MLP_LAYERS.windows(2) {
        let (i, o) = (w[0], w[1]);
        let lim = (6.0 / (i + o) as f64).sqrt();
        x.extend((0..i * o).map(|_| lim * (2.0 * rng.uniform() - 1.0)));
        x.extend(std::iter::repeat_n(0.0, o));
    }
    x.extend((0..MLP_BATCH * MLP_LAYERS[0]).map(|_| rng.normal()));
    x.extend((0..MLP_BATCH).map(|_| (rng.uniform() * 10.0).floor().min(9.0)));
    let v = (0..MLP_PARAMS).map(|_| rng.normal()).collect();
    (x, v)
}

/// A group of workloads, as `only=` (the bench) and `--only` (`hvp bench`)
/// name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// The specification's example: latency per call.
    Tiny,
    /// Chained Rosenbrock at every size of [`ROSEN_SIZES`].
    Rosen,
    /// The MLP in f64 and f32.
    Mlp,
}

impl Group {
    /// Every group, in the order they run.
    pub const ALL: [Group; 3] = [Group::Tiny, Group::Rosen, Group::Mlp];

    /// `tiny`, `rosen` or `mlp`.
    pub fn name(self) -> &'static str {
        match self {
            Group::Tiny => "tiny",
            Group::Rosen => "rosen",
            Group::Mlp => "mlp",
        }
    }

    /// The group called `name`.
    pub fn from_name(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Fewer rounds and calls per sample: a rough measurement in seconds.
    pub quick: bool,
    /// The groups to run; empty means all.
    pub only: Vec<Group>,
    /// The precisions to run; empty means both. The specification's
    /// example and Rosenbrock are f64 workloads, the MLP runs in each.
    pub dtypes: Vec<DType>,
    /// The seed of the MLP's data and direction ([`MLP_SEED`] by default:
    /// figures from other seeds are not comparable with earlier runs).
    pub mlp_seed: u64,
}

impl Default for Options {
    /// Every workload in both precisions, full rounds, the canonical seed.
    fn default() -> Options {
        Options {
            quick: false,
            only: Vec::new(),
            dtypes: Vec::new(),
            mlp_seed: MLP_SEED,
        }
    }
}

/// Every measured workload of one run.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    /// Whether the run was quick.
    pub quick: bool,
    /// Available hardware threads.
    pub threads: usize,
    /// Whether the measuring binary was built with optimizations.
    pub optimized: bool,
    /// Whether peak heap growth was measured (the binary installed
    /// [`crate::measure::CountingAlloc`] as its global allocator).
    pub memory_measured: bool,
    /// The seed of the MLP's data.
    pub mlp_seed: u64,
    /// Every workload, in the order run.
    pub workloads: Vec<WorkloadResult>,
}

/// Runs the chosen workloads: timings (interleaved rounds, medians) and,
/// when the binary counts allocations, peak heap growth per program.
///
/// ```
/// use hvp_problems::workloads::{canonical, render, Group, Options};
/// let opts = Options { quick: true, only: vec![Group::Tiny], ..Options::default() };
/// let r = canonical(&opts)?;
/// assert_eq!(r.workloads.len(), 1);
/// assert_eq!(r.workloads[0].n, 2);
/// // This doc-test does not count allocations, so memory is not measured.
/// assert!(!r.memory_measured && r.workloads[0].memory.is_none());
/// assert!(render(&r).contains("prepared apply"));
/// # Ok::<(), hvp::Error>(())
/// ```
pub fn canonical(opts: &Options) -> hvp::Result<Report> {
    let want = |g: Group| opts.only.is_empty() || opts.only.contains(&g);
    let precision = |d: DType| opts.dtypes.is_empty() || opts.dtypes.contains(&d);
    let memory_measured = crate::measure::counting_installed();
    let mut workloads = Vec::new();
    if want(Group::Tiny) && precision(DType::F64) {
        workloads.push(tiny(opts.quick, memory_measured)?);
    }
    if want(Group::Rosen) && precision(DType::F64) {
        for &n in &ROSEN_SIZES {
            workloads.push(rosen(n, opts.quick, memory_measured)?);
        }
    }
    if want(Group::Mlp) {
        let m = Mlp {
            quick: opts.quick,
            memory: memory_measured,
            seed: opts.mlp_seed,
            f64: precision(DType::F64),
            f32: precision(DType::F32),
        };
        mlp(&m, &mut workloads)?;
    }
    Ok(Report {
        quick: opts.quick,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        optimized: !cfg!(debug_assertions),
        memory_measured,
        mlp_seed: opts.mlp_seed,
        workloads,
    })
}

fn tiny(quick: bool, memory: bool) -> hvp::Result<WorkloadResult> {
    let f = spec_example()?;
    let plan = Plan {
        group: Group::Tiny.name(),
        name: "spec example f(x, y) = x²y + sin y, latency per call (compiled once)".into(),
        rounds: if quick { 5 } else { 21 },
        reps: if quick { 2_000 } else { 20_000 },
        batched: true,
        hand: Vec::new(),
    };
    let mut r = time_function(plan, &f, &SPEC_POINT, &SPEC_DIRECTION)?;
    if memory {
        r.memory = measure_memory(spec_example, &SPEC_POINT, &SPEC_DIRECTION)?;
    }
    Ok(r)
}

fn rosen(n: usize, quick: bool, memory: bool) -> hvp::Result<WorkloadResult> {
    let f = rosen_function(n)?;
    let (x, v) = rosen_point(n);
    let (mut gh, mut hh) = (vec![0.0; n], vec![0.0; n]);
    let (xr, vr) = (&x, &v);
    let plan = Plan {
        group: Group::Rosen.name(),
        name: format!("chained Rosenbrock n = {n} (f64)"),
        rounds: if quick { 5 } else { 15 },
        reps: (1_000_000 / n).clamp(1, 200),
        batched: true,
        hand: vec![
            (
                "hand-written gradient",
                Box::new(move || {
                    rosen_grad_by_hand(xr, &mut gh);
                    Ok(())
                }),
            ),
            (
                "hand-written HVP",
                Box::new(move || {
                    rosen_hvp_by_hand(xr, vr, &mut hh);
                    Ok(())
                }),
            ),
        ],
    };
    let mut r = time_function(plan, &f, &x, &v)?;
    if memory {
        r.memory = measure_memory(|| rosen_function(n), &x, &v)?;
    }
    Ok(r)
}

/// How the MLP workload runs.
struct Mlp {
    quick: bool,
    memory: bool,
    seed: u64,
    f64: bool,
    f32: bool,
}

fn mlp(m: &Mlp, out: &mut Vec<WorkloadResult>) -> hvp::Result<()> {
    let f = mlp_function()?;
    let (x, v) = mlp_point(m.seed);
    let plan = |dtype: &str| Plan {
        group: Group::Mlp.name(),
        name: format!("MLP 784-256-256-10, batch 256 ({dtype})"),
        rounds: if m.quick { 3 } else { 11 },
        reps: 1,
        batched: true,
        hand: Vec::new(),
    };
    if m.f64 {
        let mut r = time_function(plan("f64"), &f, &x, &v)?;
        if m.memory {
            r.memory = measure_memory(mlp_function, &x, &v)?;
        }
        out.push(r);
    }
    if m.f32 {
        let x32: Vec<f32> = x.iter().map(|&a| a as f32).collect();
        let v32: Vec<f32> = v.iter().map(|&a| a as f32).collect();
        let mut r = time_function(plan("f32"), &f, &x32, &v32)?;
        if m.memory {
            r.memory = measure_memory(mlp_function, &x32, &v32)?;
        }
        out.push(r);
    }
    Ok(())
}

/// The text form of a report: per workload its times with ratios to the
/// gradient, the operator's memory and the peak heap growth per program
/// with ratios to the gradient's.
pub fn render(r: &Report) -> String {
    let mut out = format!(
        "threads: {}{}\n",
        r.threads,
        if r.optimized {
            ""
        } else {
            "   (an unoptimized build: build with --release for meaningful times)"
        }
    );
    if !r.memory_measured {
        out += "peak memory: not measured (this binary does not count its allocations)\n";
    }
    if r.mlp_seed != MLP_SEED && r.workloads.iter().any(|w| w.group == Group::Mlp.name()) {
        let _ = writeln!(
            out,
            "MLP data seed {} (the canonical figures use {MLP_SEED})",
            r.mlp_seed
        );
    }
    for w in &r.workloads {
        let _ = writeln!(
            out,
            "{}\n  ({} rounds × {} calls, medians)",
            w.name, w.rounds, w.reps
        );
        for t in &w.timings {
            let _ = writeln!(
                out,
                "  {:<28} {}   {:5.2}× grad",
                t.label,
                fmt_time(t.seconds),
                t.ratio_to_grad
            );
        }
        let _ = writeln!(
            out,
            "  prepared apply / one-off forward-over-reverse HVP: {:.2}",
            w.prepared_over_one_off
        );
        if let Some(b) = w.batched_over_single {
            let _ = writeln!(
                out,
                "  apply_many per vector / single prepared apply: {b:.2}"
            );
        }
        let _ = writeln!(
            out,
            "  operator memory: residuals {}  apply workspace {}",
            fmt_bytes(w.operator_memory.residual_bytes).trim(),
            fmt_bytes(w.operator_memory.apply_workspace_bytes).trim()
        );
        if let Some(m) = &w.memory {
            out += "  peak heap growth, first call on a fresh function:\n";
            for p in &m.programs {
                let _ = writeln!(
                    out,
                    "    {:<26} {}   {:5.2}× grad",
                    p.label,
                    fmt_bytes(p.peak_bytes),
                    p.ratio_to_grad
                );
            }
            let _ = writeln!(
                out,
                "  HVP peak / gradient peak: {:.2} (forward-over-reverse)",
                m.hvp_over_grad
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_written_gradient_is_the_traced_one() {
        for n in [2, 3, 10, 1001, 2 * HAND_BLOCK + 5] {
            let f = rosen_function(n).unwrap();
            let x: Vec<f64> = (0..n).map(|i| ((i * 7 % 11) as f64) / 5.0 - 1.0).collect();
            let mut g = vec![0.0; n];
            rosen_grad_by_hand(&x, &mut g);
            let ad = f.grad(&x).unwrap();
            for (i, (a, b)) in g.iter().zip(&ad).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "n {n} g[{i}]: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn the_hand_written_hvp_is_the_traced_one() {
        // Sizes across the parallel blocks' boundaries.
        for n in [2, 3, 10, 1001, 2 * HAND_BLOCK + 5] {
            let f = rosen_function(n).unwrap();
            let x: Vec<f64> = (0..n).map(|i| ((i * 7 % 11) as f64) / 5.0 - 1.0).collect();
            let v: Vec<f64> = (0..n).map(|i| ((i * 5 % 13) as f64) / 6.0 - 1.0).collect();
            let mut hv = vec![0.0; n];
            rosen_hvp_by_hand(&x, &v, &mut hv);
            let ad = f.hvp(&x, &v).unwrap();
            for (i, (a, b)) in hv.iter().zip(&ad).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "n {n} hv[{i}]: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn group_names_round_trip() {
        for g in Group::ALL {
            assert_eq!(Group::from_name(g.name()), Some(g));
        }
        assert_eq!(Group::from_name("gpu"), None);
    }
}
