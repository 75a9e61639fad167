//! The iteration loops allocate nothing: the number of heap allocations of
//! a call does not depend on how many iterations it runs (a counting
//! global allocator, per thread; operators that allocate nothing). Each
//! call is warmed up once, since the GEMM kernel sets up per-thread
//! buffers on first use.

use hvp_linop::Diagonal;
use hvp_solvers::{
    cg, hutchinson, lanczos, minres, power_iteration, slq, CgParams, LanczosParams, MinresParams,
    PowerParams, Reorthogonalization, SamplingParams, SlqParams,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(|c| c.get());
    f();
    ALLOCS.with(|c| c.get()) - before
}

/// A diagonal operator with a spread spectrum (so iterations continue).
fn op(n: usize) -> Diagonal<f64> {
    Diagonal::new((0..n).map(|i| 1.0 + (i as f64).powf(1.5)).collect())
}

#[test]
fn loops_do_not_allocate() {
    let n = 400;
    let a = op(n);
    let b: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
    let same = |name: &str, short: usize, long: usize| {
        assert_eq!(
            short, long,
            "{name}: allocations depend on the iteration count"
        );
    };

    let run_cg = |iters| {
        allocations(|| {
            let p = CgParams {
                rtol: 0.0,
                max_iters: Some(iters),
                ..Default::default()
            };
            let (_, s) = cg(&a, &b, None, None, &p).unwrap();
            assert_eq!(s.iterations, iters);
        })
    };
    same("cg", run_cg(5), run_cg(60));

    let run_minres = |iters| {
        allocations(|| {
            let p = MinresParams {
                rtol: 0.0,
                max_iters: Some(iters),
                ..Default::default()
            };
            let (_, s) = minres(&a, &b, None, None, &p).unwrap();
            assert_eq!(s.iterations, iters);
        })
    };
    same("minres", run_minres(5), run_minres(60));

    let run_lanczos = |steps, reorth| {
        allocations(|| {
            let p = LanczosParams {
                max_steps: steps,
                tol: 1e-300,
                reorth,
                ritz_vectors: false,
                ..Default::default()
            };
            let (_, s) = lanczos(&a, Some(&b), &p).unwrap();
            assert_eq!(s.iterations, steps);
        })
    };
    for reorth in [
        Reorthogonalization::None,
        Reorthogonalization::Partial,
        Reorthogonalization::Full,
    ] {
        // The final tridiagonal eigensolve allocates O(1) buffers
        // independent of the step count; the loop allocates nothing.
        eprintln!(
            "{reorth:?}: {} {} {}",
            run_lanczos(10, reorth),
            run_lanczos(30, reorth),
            run_lanczos(60, reorth)
        );
        same("lanczos", run_lanczos(10, reorth), run_lanczos(60, reorth));
    }

    let run_slq = |probes| {
        allocations(|| {
            let p = SlqParams {
                probes,
                steps: 20,
                ..Default::default()
            };
            slq(&a, &p).unwrap();
        })
    };
    // One rule (nodes, weights) per probe is the output itself.
    run_slq(2);
    assert_eq!(
        run_slq(7) - run_slq(2),
        5 * 2,
        "slq: two vectors per rule, nothing else"
    );

    let run_hutch = |samples| {
        allocations(|| {
            let p = SamplingParams {
                samples,
                block_size: 4,
                ..Default::default()
            };
            hutchinson(&a, &p).unwrap();
        })
    };
    same("hutchinson", run_hutch(8), run_hutch(400));

    let run_power = |iters| {
        allocations(|| {
            let p = PowerParams {
                tol: 0.0,
                max_iters: iters,
                nev: 2,
                ..Default::default()
            };
            power_iteration(&a, &p).unwrap();
        })
    };
    run_power(5);
    same("power", run_power(5), run_power(80));
}
