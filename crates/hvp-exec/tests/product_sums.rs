//! Sums of matrix products (`A·B + C·D`, everywhere in tangent and
//! cotangent programs) run as one product accumulating onto the other:
//! checked against the reference evaluator and a plain triple loop, with
//! the rewrite applied exactly where it is safe.

use hvp_exec::{eval_reference, Plan};
use hvp_ir::parse;

/// `op(a)·op(b)` by a triple loop, for `a` stored `m×k` (`k×m` when
/// transposed) and `b` stored `k×n` (`n×k`).
fn product(a: &[f64], b: &[f64], (m, k, n): (usize, usize, usize), ta: bool, tb: bool) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            for p in 0..k {
                let x = if ta { a[p * m + i] } else { a[i * k + p] };
                let y = if tb { b[j * k + p] } else { b[p * n + j] };
                c[i * n + j] += x * y;
            }
        }
    }
    c
}

fn values(len: usize, seed: usize) -> Vec<f64> {
    (0..len)
        .map(|i| ((i * 7 + seed * 13) % 11) as f64 * 0.5 - 2.0)
        .collect()
}

/// Runs `text` on the plan (twice on one workspace, to catch stale
/// accumulators) and the reference; returns the plan's outputs and the
/// plan's step descriptions.
fn run(text: &str, inputs: &[&[f64]]) -> (Vec<Vec<f64>>, Vec<String>) {
    let g = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let reference = eval_reference(&g, inputs).unwrap();
    let plan = Plan::compile(&g).unwrap();
    let mut ws = plan.workspace::<f64>();
    let mut outs: Vec<Vec<f64>> = reference.iter().map(|o| vec![f64::NAN; o.len()]).collect();
    let mut steps = Vec::new();
    for _ in 0..2 {
        let mut views: Vec<&mut [f64]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        steps = plan.profile(&mut ws, inputs, &mut views).unwrap();
    }
    for (o, r) in outs.iter().zip(&reference) {
        for (x, y) in o.iter().zip(r) {
            assert!(
                (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
                "{x} vs {y}\n{text}"
            );
        }
    }
    (outs, steps.into_iter().map(|s| s.what).collect())
}

fn accumulating(steps: &[String]) -> usize {
    steps.iter().filter(|s| s.starts_with("matmul +=")).count()
}

const MM: &str = "matmul{transpose_lhs=false,transpose_rhs=false}";

#[test]
fn sum_of_two_products_accumulates_in_place() {
    let (a, b, c, d) = (values(12, 1), values(20, 2), values(15, 3), values(25, 4));
    let text = format!(
        "graph f64 (%0: [3,4], %1: [4,5], %2: [3,5], %3: [5,5]) {{\n  %4: [3,5] = {MM} %0, %1\n  %5: [3,5] = {MM} %2, %3\n  %6: [3,5] = add %4, %5\n  %7: [3,5] = tanh %6\n  return %7\n}}"
    );
    let (outs, steps) = run(&text, &[&a, &b, &c, &d]);
    let (p, q) = (
        product(&a, &b, (3, 4, 5), false, false),
        product(&c, &d, (3, 5, 5), false, false),
    );
    for ((o, x), y) in outs[0].iter().zip(&p).zip(&q) {
        assert!((o - (x + y).tanh()).abs() < 1e-14);
    }
    assert_eq!(accumulating(&steps), 1, "{steps:?}");
    // No separate addition: the only fused step is the tanh.
    assert_eq!(steps.len(), 3, "{steps:?}");
    // The second product needs no buffer of its own: a difference of
    // products (not rewritten) needs one more.
    let plain = text.replace("= add %4, %5", "= sub %4, %5");
    let g1 = parse(&text).unwrap();
    let g2 = parse(&plain).unwrap();
    let (p1, p2) = (Plan::compile(&g1).unwrap(), Plan::compile(&g2).unwrap());
    assert!(
        p1.peak_bytes(hvp_ir::DType::F64) < p2.peak_bytes(hvp_ir::DType::F64),
        "{} vs {}",
        p1.peak_bytes(hvp_ir::DType::F64),
        p2.peak_bytes(hvp_ir::DType::F64)
    );
}

#[test]
fn products_read_elsewhere_or_returned_are_left_alone() {
    let (a, b, c, d) = (values(12, 5), values(20, 6), values(15, 7), values(25, 8));
    // %4 is also returned, %5 also feeds a sine: neither may be overwritten.
    for ret in ["return %6, %4", "return %6, %8"] {
        let text = format!(
            "graph f64 (%0: [3,4], %1: [4,5], %2: [3,5], %3: [5,5]) {{\n  %4: [3,5] = {MM} %0, %1\n  %5: [3,5] = {MM} %2, %3\n  %6: [3,5] = add %4, %5\n  %8: [3,5] = sin %5\n  {ret}\n}}"
        );
        let (outs, steps) = run(&text, &[&a, &b, &c, &d]);
        assert_eq!(accumulating(&steps), 0, "{ret}: {steps:?}");
        let (p, q) = (
            product(&a, &b, (3, 4, 5), false, false),
            product(&c, &d, (3, 5, 5), false, false),
        );
        for ((o, x), y) in outs[0].iter().zip(&p).zip(&q) {
            assert!((o - (x + y)).abs() < 1e-13);
        }
    }
}

#[test]
fn returned_sums_transposes_batches_and_chains() {
    // Transposed operands, a batch of 2, operands of the add in reverse
    // program order, and the sum itself returned (copied into the output,
    // then accumulated there).
    let (a, b, c, d) = (
        values(24, 9),
        values(40, 10),
        values(30, 11),
        values(50, 12),
    );
    let text = format!(
        "graph f64 (%0: [2,4,3], %1: [2,5,4], %2: [2,3,5], %3: [2,5,5]) {{\n  %4: [2,3,5] = matmul{{transpose_lhs=true,transpose_rhs=true}} %0, %1\n  %5: [2,3,5] = {MM} %2, %3\n  %6: [2,3,5] = add %5, %4\n  return %6\n}}"
    );
    let (outs, steps) = run(&text, &[&a, &b, &c, &d]);
    assert_eq!(accumulating(&steps), 1, "{steps:?}");
    for bt in 0..2 {
        let p = product(&a[bt * 12..], &b[bt * 20..], (3, 4, 5), true, true);
        let q = product(&c[bt * 15..], &d[bt * 25..], (3, 5, 5), false, false);
        for j in 0..15 {
            assert!((outs[0][bt * 15 + j] - (p[j] + q[j])).abs() < 1e-13);
        }
    }
    // Three products: the first sum accumulates; the second adds a sum
    // (no longer a plain product) and so stays an addition or accumulates
    // the third product onto nothing it may not own.
    let (e, f) = (values(12, 13), values(20, 14));
    let text = format!(
        "graph f64 (%0: [3,4], %1: [4,5], %2: [3,5], %3: [5,5], %4: [3,4], %5: [4,5]) {{\n  %6: [3,5] = {MM} %0, %1\n  %7: [3,5] = {MM} %2, %3\n  %8: [3,5] = {MM} %4, %5\n  %9: [3,5] = add %6, %7\n  %10: [3,5] = add %9, %8\n  return %10\n}}"
    );
    let (outs, steps) = run(&text, &[&a[..12], &b[..20], &c[..15], &d[..25], &e, &f]);
    assert_eq!(accumulating(&steps), 1, "{steps:?}");
    let p = product(&a[..12], &b[..20], (3, 4, 5), false, false);
    let q = product(&c[..15], &d[..25], (3, 5, 5), false, false);
    let r = product(&e, &f, (3, 4, 5), false, false);
    for j in 0..15 {
        assert!((outs[0][j] - (p[j] + q[j] + r[j])).abs() < 1e-13);
    }
}

#[test]
fn matrices_broadcast_over_a_batch_are_read_in_place() {
    let (a, b) = (values(12, 15), values(40, 16));
    // lhs [3,4] broadcast to [2,3,4]; the broadcast is also returned once
    // (it must still be materialized for that), once not.
    for ret in ["return %3", "return %3, %2"] {
        let text = format!(
            "graph f64 (%0: [3,4], %1: [2,4,5]) {{\n  %2: [2,3,4] = broadcast_in_dim{{shape=[2,3,4],dims=[1,2]}} %0\n  %3: [2,3,5] = {MM} %2, %1\n  {ret}\n}}"
        );
        let (outs, steps) = run(&text, &[&a, &b]);
        assert!(steps.iter().any(|s| s.contains("lhs shared")), "{steps:?}");
        let materialized = ret.contains("%2");
        assert_eq!(steps.len(), 1 + materialized as usize, "{steps:?}");
        for bt in 0..2 {
            let p = product(&a, &b[bt * 20..], (3, 4, 5), false, false);
            assert_eq!(&outs[0][bt * 15..(bt + 1) * 15], &p[..]);
        }
    }
    // A transposed broadcast on the right, and a broadcast transpose.
    let text = format!(
        "graph f64 (%0: [2,3,4], %1: [5,4]) {{\n  %2: [2,5,4] = broadcast_in_dim{{shape=[2,5,4],dims=[1,2]}} %1\n  %3: [2,4,5] = transpose{{perm=[0,2,1]}} %2\n  %4: [2,3,5] = {MM} %0, %3\n  %5: [4,5] = transpose{{perm=[1,0]}} %1\n  %6: [2,4,5] = broadcast_in_dim{{shape=[2,4,5],dims=[1,2]}} %5\n  %7: [2,3,5] = {MM} %0, %6\n  return %4, %7\n}}"
    );
    let (c, d) = (values(24, 17), values(20, 18));
    let (outs, steps) = run(&text, &[&c, &d]);
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(
        steps.iter().all(|s| s.contains("rhsᵀ rhs shared")),
        "{steps:?}"
    );
    for bt in 0..2 {
        let p = product(&c[bt * 12..], &d, (3, 4, 5), false, true);
        for o in &outs {
            assert_eq!(&o[bt * 15..(bt + 1) * 15], &p[..]);
        }
    }
}
