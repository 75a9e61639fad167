//! `Plan::run` does not allocate once the workspace exists (checked with a
//! counting global allocator, on graphs without matmul, whose GEMM crate
//! manages its own packing memory).
//!
//! The runs happen inside a one-thread rayon pool: when work is split across
//! threads, rayon's job injector allocates a queue block now and then
//! (amortized, one per several dozen jobs), which is the scheduler's memory,
//! not the plan's, and made this count flaky under load.

use hvp_exec::Plan;
use hvp_ir::parse;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn run_does_not_allocate() {
    let texts = [
        "graph f64 (%0: [], %1: []) {\n  %2: [] = mul %0, %0\n  %3: [] = mul %2, %1\n  %4: [] = sin %1\n  %5: [] = add %3, %4\n  return %5, %2, 1.5, %0\n}",
        "graph f64 (%0: [300,40], %1: [40]) {\n  %2: [300,40] = broadcast_in_dim{shape=[300,40],dims=[1]} %1\n  %3: [300,40] = mul %0, %2\n  %4: [300] = reduce_sum{axes=[1]} %3\n  %5: [40,300] = transpose{perm=[1,0]} %3\n  %6: [40,150] = slice{start=[0,0],limit=[40,300],stride=[1,2]} %5\n  %7: [40,150] = tanh %6\n  %8: [] = reduce_sum{axes=[0,1]} %7\n  return %4, %8\n}",
    ];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| check_no_allocation(&texts));
}

fn check_no_allocation(texts: &[&str]) {
    for &text in texts {
        let g = parse(text).unwrap();
        let plan = Plan::compile(&g).unwrap();
        let mut ws = plan.workspace::<f64>();
        let inputs: Vec<Vec<f64>> = plan
            .input_shapes()
            .iter()
            .map(|s| (0..s.numel()).map(|i| i as f64 * 0.01).collect())
            .collect();
        let views: Vec<&[f64]> = inputs.iter().map(|v| v.as_slice()).collect();
        let mut outs: Vec<Vec<f64>> = plan
            .output_shapes()
            .iter()
            .map(|s| vec![0.0; s.numel()])
            .collect();
        let mut out_views: Vec<&mut [f64]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
        plan.run(&mut ws, &views, &mut out_views).unwrap();
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..10 {
            plan.run(&mut ws, &views, &mut out_views).unwrap();
        }
        assert_eq!(ALLOCS.load(Ordering::Relaxed), before, "{text}");
    }
}
