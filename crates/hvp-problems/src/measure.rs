//! The measurement harness of the benchmarks: interleaved timing rounds
//! with medians, and peak heap growth by a counting global allocator.
//!
//! Timing: [`interleaved`] runs each of several closures once to warm up,
//! then `rounds` times in turn, each sample the mean of `reps` calls, and
//! reports the median per closure, so a slow phase of the machine hits every
//! closure alike and ratios measured in one run stay meaningful.
//! [`time_function`] applies it to f, the gradient, the HVP in every AD
//! mode, a prepared operator's apply and its preparation.
//!
//! Memory: a binary that wants peak memory declares the counting allocator
//! as its global allocator (a library cannot do that for it):
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: hvp_problems::measure::CountingAlloc = hvp_problems::measure::CountingAlloc;
//! ```
//!
//! It forwards every call to the system allocator and counts bytes only
//! while [`peak_growth`] measures; [`measure_memory`] reports the peak
//! heap growth of the first call of each program on a freshly traced
//! function (derived graph, compiled plan, workspace and outputs). Without
//! the counting allocator, [`peak_growth`] returns `None`:
//!
//! ```
//! use hvp_problems::measure::{counting_installed, interleaved, median, peak_growth, Timed};
//! assert!(!counting_installed()); // doc-tests use the system allocator
//! assert!(peak_growth(|| vec![0u8; 1 << 20]).is_none());
//!
//! let mut n = 0u64;
//! let mut fs: Vec<Timed> = vec![("count".into(), Box::new(|| { n += 1; Ok(()) }))];
//! let t = interleaved(3, 10, &mut fs)?;
//! assert!(t[0] >= 0.0);
//! drop(fs);
//! assert_eq!(n, 1 + 3 * 10); // one warm-up call, then rounds × reps
//! assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
//! # Ok::<(), hvp::Error>(())
//! ```

use hvp::{Function, HessianOperator, HvpMode, Real};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Instant;

/// Whether allocations are being counted (only inside [`peak_growth`]).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Net bytes allocated while counting (negative when memory from before is
/// freed).
static CURRENT: AtomicIsize = AtomicIsize::new(0);
/// The largest `CURRENT` since the measurement began.
static PEAK: AtomicIsize = AtomicIsize::new(0);
/// Allocations counted, to tell whether the counting allocator is installed.
static EVENTS: AtomicUsize = AtomicUsize::new(0);
/// One measurement at a time: the counters are global.
static LOCK: Mutex<()> = Mutex::new(());

fn grew(bytes: usize) {
    if ACTIVE.load(Relaxed) {
        EVENTS.fetch_add(1, Relaxed);
        let b = bytes as isize;
        let c = CURRENT.fetch_add(b, Relaxed) + b;
        PEAK.fetch_max(c, Relaxed);
    }
}

fn shrank(bytes: usize) {
    if ACTIVE.load(Relaxed) {
        CURRENT.fetch_sub(bytes as isize, Relaxed);
    }
}

/// A global allocator that forwards to [`System`] and counts the bytes in
/// use while [`peak_growth`] measures (one relaxed load per call
/// otherwise). Install it in a binary with `#[global_allocator]`.
///
/// Every thread's allocations count, so a measurement sees the work of
/// worker threads too, and anything else running at the time.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingAlloc;

// SAFETY: every method forwards to the system allocator with the caller's
// arguments unchanged and returns its result; the counting touches only
// atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // Forwarded (not the default alloc-then-zero), so large zeroed
        // buffers keep the system's lazily zeroed pages.
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let q = unsafe { System.realloc(ptr, layout, new_size) };
        if !q.is_null() {
            // Counted as the net change; a moving realloc briefly holds both
            // blocks, which this does not see.
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        q
    }
}

/// Stops counting when a measurement ends, even by a panic.
struct Counting;

impl Drop for Counting {
    fn drop(&mut self) {
        ACTIVE.store(false, Relaxed);
    }
}

/// Runs `f` and returns the peak growth of the heap while it ran, in bytes
/// (the most bytes in use at any moment, less those in use at the start),
/// with `f`'s result; `None` (without running `f`) when the binary's global
/// allocator is not [`CountingAlloc`]. What `f` returns counts as grown if
/// it holds memory. Measurements are serialized.
pub fn peak_growth<R>(f: impl FnOnce() -> R) -> Option<(usize, R)> {
    let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let events = EVENTS.load(Relaxed);
    ACTIVE.store(true, Relaxed);
    let _stop = Counting;
    // A probe: only the counting allocator sees it.
    drop(std::hint::black_box(Box::new(0u64)));
    if EVENTS.load(Relaxed) == events {
        return None;
    }
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let r = f();
    let peak = PEAK.load(Relaxed);
    Some(((peak - base).max(0) as usize, r))
}

/// Whether this binary's global allocator is [`CountingAlloc`].
pub fn counting_installed() -> bool {
    peak_growth(|| ()).is_some()
}

/// A labelled closure to time; an error ends the measurement.
pub type Timed<'a> = (String, Box<dyn FnMut() -> hvp::Result<()> + 'a>);

/// The median of `v` (the upper one of an even count); sorts `v`. `v` must
/// not be empty.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times each closure `rounds` times, interleaved, each sample the mean of
/// `reps` calls, after one warm-up call each (compiling, allocating
/// workspaces, faulting pages in); returns the median seconds per call of
/// each, in order.
pub fn interleaved(rounds: usize, reps: usize, fs: &mut [Timed<'_>]) -> hvp::Result<Vec<f64>> {
    let (rounds, reps) = (rounds.max(1), reps.max(1));
    for (_, f) in fs.iter_mut() {
        f()?;
    }
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in fs.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..reps {
                f()?;
            }
            samples[i].push(t.elapsed().as_secs_f64() / reps as f64);
        }
    }
    Ok(samples.iter_mut().map(|s| median(s)).collect())
}

/// Seconds in fixed-width human units (ns, µs, ms).
pub fn fmt_time(s: f64) -> String {
    if s < 1e-6 {
        format!("{:8.1} ns", s * 1e9)
    } else if s < 1e-3 {
        format!("{:8.2} µs", s * 1e6)
    } else {
        format!("{:8.3} ms", s * 1e3)
    }
}

/// Bytes in fixed-width binary units (B, KiB, MiB, GiB).
pub fn fmt_bytes(b: usize) -> String {
    const K: f64 = 1024.0;
    let x = b as f64;
    if b < 1024 {
        format!("{b:8} B  ")
    } else if x < K * K {
        format!("{:8.2} KiB", x / K)
    } else if x < K * K * K {
        format!("{:8.2} MiB", x / (K * K))
    } else {
        format!("{:8.2} GiB", x / (K * K * K))
    }
}

/// The AD modes the harness times and measures.
pub const MODES: [HvpMode; 3] = [
    HvpMode::ForwardOverReverse,
    HvpMode::ReverseOverForward,
    HvpMode::ReverseOverReverse,
];

/// How many directions the batched apply (`apply_hvp_many`) takes.
pub const BATCH: usize = 16;

/// A hand-written program timed beside the AD ones.
pub type HandWritten<'a> = Box<dyn FnMut() -> hvp::Result<()> + 'a>;

/// How one function workload is timed.
pub struct Plan<'a> {
    /// The group it belongs to (`tiny`, `rosen`, `mlp`).
    pub group: &'static str,
    /// What it is, for the report.
    pub name: String,
    /// Interleaved rounds.
    pub rounds: usize,
    /// Calls per sample.
    pub reps: usize,
    /// Also time `apply_hvp_many` with [`BATCH`] directions (reported per
    /// direction).
    pub batched: bool,
    /// Hand-written programs to time beside the AD programs, with their
    /// labels (the hardware bounds of the gradient and the product).
    pub hand: Vec<(&'static str, HandWritten<'a>)>,
}

/// One timed program.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Timing {
    /// What was timed.
    pub label: String,
    /// Median seconds per call.
    pub seconds: f64,
    /// `seconds` over the gradient's, measured in the same run.
    pub ratio_to_grad: f64,
}

/// The bytes a prepared forward-over-reverse operator holds and computes
/// in ([`hvp::OperatorMemory`]).
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OperatorBytes {
    /// Residuals kept between preparation and the products.
    pub residual_bytes: usize,
    /// The point and gradient kept by the operator.
    pub state_bytes: usize,
    /// Workspace of the preparation program.
    pub prepare_workspace_bytes: usize,
    /// Workspace of one product.
    pub apply_workspace_bytes: usize,
}

impl From<hvp::OperatorMemory> for OperatorBytes {
    fn from(m: hvp::OperatorMemory) -> OperatorBytes {
        OperatorBytes {
            residual_bytes: m.residual_bytes,
            state_bytes: m.state_bytes,
            prepare_workspace_bytes: m.prepare_workspace_bytes,
            apply_workspace_bytes: m.apply_workspace_bytes,
        }
    }
}

/// One program's peak heap growth.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PeakMemory {
    /// The program (the labels of the timings).
    pub label: String,
    /// Peak heap growth of its first call on a fresh function, in bytes.
    pub peak_bytes: usize,
    /// `peak_bytes` over the gradient's.
    pub ratio_to_grad: f64,
}

/// Peak heap growth of every program of a workload.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MemoryResult {
    /// f, grad, the HVP in each AD mode, the preparation of an operator
    /// (which keeps its residuals) and a prepared apply.
    pub programs: Vec<PeakMemory>,
    /// The forward-over-reverse HVP's peak over the gradient's.
    pub hvp_over_grad: f64,
}

/// One workload's measurements.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct WorkloadResult {
    /// The group (`tiny`, `rosen`, `mlp`).
    pub group: &'static str,
    /// What it is.
    pub name: String,
    /// Variables (differentiable entries).
    pub n: usize,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// Interleaved rounds.
    pub rounds: usize,
    /// Calls per sample.
    pub reps: usize,
    /// Every timed program: f, grad, `hvp <mode>` for each AD mode,
    /// prepared apply, preparation, preparation in place
    /// ([`HessianOperator::prepare_at`]), then the batched apply and the
    /// hand-written programs where the plan asks for them.
    pub timings: Vec<Timing>,
    /// Prepared apply over a one-off forward-over-reverse HVP.
    pub prepared_over_one_off: f64,
    /// The batched apply's time per vector over a single prepared apply,
    /// where the plan runs it.
    pub batched_over_single: Option<f64>,
    /// What a prepared operator holds and computes in.
    pub operator_memory: OperatorBytes,
    /// Peak heap growth per program, when the binary counts allocations
    /// (filled by [`measure_memory`]).
    pub memory: Option<MemoryResult>,
}

/// The label of the HVP in `mode`.
fn hvp_label(mode: HvpMode) -> String {
    format!("hvp {}", mode.name())
}

const PREPARED: &str = "prepared apply";
const PREPARE: &str = "prepare (f, ∇f, residuals)";
const REPREPARE: &str = "prepare again, in place";

/// Times f, ∇f, the HVP in every AD mode, a prepared operator's apply and
/// its preparation (plus the batched apply and hand-written programs where
/// `plan` asks) on `f` at the full point `x` along `v`, in interleaved
/// rounds; ratios are to the gradient of the same run.
///
/// ```
/// use hvp_problems::measure::{time_function, Plan};
/// let f = hvp_problems::workloads::spec_example()?;
/// let plan = Plan { group: "tiny", name: "example".into(), rounds: 3, reps: 10, batched: false, hand: Vec::new() };
/// let r = time_function(plan, &f, &[1.5, -0.7], &[0.3, 1.1])?;
/// assert_eq!(r.timings[1].label, "grad");
/// assert!((r.timings[1].ratio_to_grad - 1.0).abs() < 1e-12);
/// # Ok::<(), hvp::Error>(())
/// ```
pub fn time_function<T: Real>(
    plan: Plan<'_>,
    f: &Function,
    x: &[T],
    v: &[T],
) -> hvp::Result<WorkloadResult> {
    let n = f.num_params();
    let mut g = vec![T::zero(); n];
    let mut hv: Vec<Vec<T>> = (0..MODES.len()).map(|_| vec![T::zero(); n]).collect();
    let op = HessianOperator::new(f, x)?;
    let mut op_again = HessianOperator::new(f, x)?;
    let operator_memory = op.memory()?.into();
    let mut ha = vec![T::zero(); n];
    let k = BATCH;
    let vs: Vec<T> = if plan.batched {
        (0..k).flat_map(|_| v.iter().copied()).collect()
    } else {
        Vec::new()
    };
    let mut outs = vec![T::zero(); if plan.batched { k * n } else { 0 }];
    let mut fs: Vec<Timed> = vec![
        (
            "f".into(),
            Box::new(|| {
                std::hint::black_box(f.value(x)?);
                Ok(())
            }),
        ),
        ("grad".into(), Box::new(|| f.grad_into(x, &mut g))),
    ];
    for (&m, out) in MODES.iter().zip(hv.iter_mut()) {
        fs.push((hvp_label(m), Box::new(move || f.hvp_into(x, v, m, out))));
    }
    fs.push((PREPARED.into(), Box::new(|| op.apply_hvp(v, &mut ha))));
    fs.push((
        PREPARE.into(),
        Box::new(|| {
            std::hint::black_box(HessianOperator::new(f, x)?);
            Ok(())
        }),
    ));
    fs.push((REPREPARE.into(), Box::new(|| op_again.prepare_at(x))));
    if plan.batched {
        fs.push((
            format!("apply_many k={k}, per vector"),
            Box::new(|| op.apply_hvp_many(k, &vs, &mut outs)),
        ));
    }
    for (label, h) in plan.hand {
        fs.push((label.into(), h));
    }
    let mut t = interleaved(plan.rounds, plan.reps, &mut fs)?;
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
            ratio_to_grad: s / tg,
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
        prepared_over_one_off: t[2 + MODES.len()] / t[2],
        batched_over_single: fs
            .iter()
            .position(|(label, _)| label.starts_with("apply_many"))
            .map(|i| t[i] / t[2 + MODES.len()]),
        operator_memory,
        memory: None,
    })
}

/// The peak heap growth of the first call of each program (f, ∇f, the HVP
/// in every AD mode, an operator's preparation, a prepared apply), each on
/// a fresh function from `build` so its derived graph, compiled plan,
/// workspace and outputs all count; `None` when the binary does not count
/// allocations ([`CountingAlloc`]). A prepared apply is measured after its
/// preparation, which is not counted.
pub fn measure_memory<T: Real>(
    build: impl Fn() -> hvp::Result<Function>,
    x: &[T],
    v: &[T],
) -> hvp::Result<Option<MemoryResult>> {
    /// A program measured on a fresh function.
    type Program<'a> = Box<dyn Fn(&Function) -> hvp::Result<()> + 'a>;
    let mut programs: Vec<(String, Program)> = vec![
        (
            "f".into(),
            Box::new(|f| {
                std::hint::black_box(f.value(x)?);
                Ok(())
            }),
        ),
        (
            "grad".into(),
            Box::new(|f| f.grad(x).map(|g| drop(std::hint::black_box(g)))),
        ),
    ];
    for m in MODES {
        programs.push((
            hvp_label(m),
            Box::new(move |f| f.hvp_with(x, v, m).map(|h| drop(std::hint::black_box(h)))),
        ));
    }
    programs.push((
        PREPARE.into(),
        Box::new(|f| HessianOperator::new(f, x).map(|op| drop(std::hint::black_box(op)))),
    ));
    let mut peaks: Vec<(String, usize)> = Vec::new();
    for (label, run) in &programs {
        let f = build()?;
        let Some((bytes, r)) = peak_growth(|| run(&f)) else {
            return Ok(None);
        };
        r?;
        peaks.push((label.clone(), bytes));
    }
    // The prepared apply: prepare outside the measurement, then its first
    // product (compiling the product program, its workspace, the output).
    let f = build()?;
    let op = HessianOperator::new(&f, x)?;
    let Some((bytes, r)) = peak_growth(|| {
        let mut out = vec![T::zero(); f.num_params()];
        op.apply_hvp(v, &mut out)
            .map(|()| drop(std::hint::black_box(out)))
    }) else {
        return Ok(None);
    };
    r?;
    peaks.push((PREPARED.into(), bytes));
    let grad = peaks[1].1.max(1) as f64;
    let hvp = peaks[2].1 as f64;
    Ok(Some(MemoryResult {
        programs: peaks
            .into_iter()
            .map(|(label, peak_bytes)| PeakMemory {
                label,
                peak_bytes,
                ratio_to_grad: peak_bytes as f64 / grad,
            })
            .collect(),
        hvp_over_grad: hvp / grad,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(fmt_bytes(16), "      16 B  ");
        assert_eq!(fmt_bytes(1536), "    1.50 KiB");
        assert_eq!(fmt_bytes(3 << 20), "    3.00 MiB");
        assert_eq!(fmt_time(2.5e-7), "   250.0 ns");
        assert_eq!(fmt_time(2.5e-5), "   25.00 µs");
        assert_eq!(fmt_time(0.25), " 250.000 ms");
    }

    #[test]
    fn medians_and_errors() {
        assert_eq!(median(&mut [5.0, 1.0, 4.0, 2.0]).to_bits(), 4f64.to_bits());
        let mut calls = 0;
        let mut fs: Vec<Timed> = vec![(
            "fails on the third call".into(),
            Box::new(|| {
                calls += 1;
                if calls == 3 {
                    Err(hvp::Error::Length {
                        what: "test",
                        expected: 1,
                        got: 2,
                    })
                } else {
                    Ok(())
                }
            }),
        )];
        assert!(interleaved(5, 1, &mut fs).is_err());
    }
}
