//! The measurement harness with the counting allocator installed: peak heap
//! growth of known allocations, and of the workloads' programs against the
//! buffers they must hold. One test function, so no other test allocates
//! while a measurement counts.

use hvp::{Function, HessianOperator};
use hvp_problems::measure::{counting_installed, measure_memory, peak_growth, CountingAlloc};
use hvp_problems::workloads::{canonical, rosen_function, rosen_point, Group, Options};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const MIB: usize = 1 << 20;
/// Slack for what the measured code allocates besides the buffers named.
const SLACK: usize = 64 << 10;

fn within(got: usize, want: usize, what: &str) {
    assert!(
        got >= want && got <= want + SLACK,
        "{what}: {got} bytes, want {want} (+ at most {SLACK})"
    );
}

#[test]
fn peak_growth_counts_what_is_in_use_at_once() {
    assert!(counting_installed());

    // One buffer, kept by the result.
    let (b, v) = peak_growth(|| vec![1u8; MIB]).unwrap();
    within(b, MIB, "one buffer");
    drop(v);

    // Freed before the next: the peak is the larger, not the sum.
    let (b, ()) = peak_growth(|| {
        drop(std::hint::black_box(vec![1u8; MIB]));
        drop(std::hint::black_box(vec![1u8; MIB / 4]));
    })
    .unwrap();
    within(b, MIB, "two buffers in turn");

    // Both alive at once: the sum.
    let (b, ()) = peak_growth(|| {
        let a = std::hint::black_box(vec![1u8; MIB]);
        let c = std::hint::black_box(vec![1u8; MIB / 4]);
        drop((a, c));
    })
    .unwrap();
    within(b, MIB + MIB / 4, "two buffers together");

    // Zeroed allocations and growth by realloc count too.
    let (b, ()) = peak_growth(|| {
        let mut z = std::hint::black_box(vec![0u64; MIB / 8]);
        z.reserve_exact(MIB / 8 + MIB / 16);
        std::hint::black_box(&z);
    })
    .unwrap();
    within(b, 2 * MIB + MIB / 2, "zeroed, then grown");

    // Memory from before the measurement freed inside it is no growth.
    let before = vec![1u8; 4 * MIB];
    let (b, ()) = peak_growth(|| drop(before)).unwrap();
    assert!(b <= SLACK, "freeing old memory grew the heap by {b}");

    // The programs of a workload hold at least their outputs, and an
    // operator's preparation at least the residuals and state it keeps.
    let n = 100_000;
    let (x, v) = rosen_point(n);
    let m = measure_memory(|| rosen_function(n), &x, &v)
        .unwrap()
        .expect("counted");
    let labels: Vec<&str> = m.programs.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "f",
            "grad",
            "hvp forward-over-reverse",
            "hvp reverse-over-forward",
            "hvp reverse-over-reverse",
            "prepare (f, ∇f, residuals)",
            "prepared apply",
        ]
    );
    let peak = |l: &str| m.programs.iter().find(|p| p.label == l).unwrap().peak_bytes;
    for l in &labels[1..] {
        assert!(peak(l) >= 8 * n, "{l}: {} bytes < the output's", peak(l));
    }
    let f: Function = rosen_function(n).unwrap();
    let kept = HessianOperator::new(&f, &x).unwrap().memory().unwrap();
    assert!(peak("prepare (f, ∇f, residuals)") >= kept.residual_bytes + kept.state_bytes);
    let ratio = peak("hvp forward-over-reverse") as f64 / peak("grad") as f64;
    assert!((m.hvp_over_grad - ratio).abs() < 1e-12);
    for p in &m.programs {
        assert!((p.ratio_to_grad - p.peak_bytes as f64 / peak("grad") as f64).abs() < 1e-12);
    }

    // The suite measures memory in a counting binary.
    let r = canonical(&Options {
        quick: true,
        only: vec![Group::Tiny],
        ..Options::default()
    })
    .unwrap();
    assert!(r.memory_measured);
    let mem = r.workloads[0].memory.as_ref().expect("measured");
    assert_eq!(mem.programs.len(), 7);
    assert!(mem.programs.iter().all(|p| p.peak_bytes > 0));
}
