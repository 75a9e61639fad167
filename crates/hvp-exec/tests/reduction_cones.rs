//! A full reduction whose cheap elementwise operands are also read elsewhere
//! (the value beside its gradient) recomputes them in its own loop instead
//! of storing them for the other readers.

use hvp_exec::{eval_reference, ExecError, Plan};
use hvp_ir::{parse, DType, Var};

/// `(f, ∇f)` of the chained Rosenbrock function on `n` variables, in the
/// form the facade derives it.
fn rosen_value_and_grad(n: usize) -> String {
    let m = n - 1;
    format!(
        "graph f64 (%0: [{n}]) {{
  %1: [{m}] = slice{{start=[0],limit=[{m}],stride=[1]}} %0
  %2: [{m}] = slice{{start=[1],limit=[{n}],stride=[1]}} %0
  %3: [{m}] = integer_pow{{n=2}} %1
  %4: [{m}] = mul %1, 2.0
  %5: [{m}] = sub %2, %3
  %6: [{m}] = integer_pow{{n=2}} %5
  %7: [{m}] = mul %5, 2.0
  %8: [{m}] = mul %6, 100.0
  %9: [{m}] = sub 1.0, %1
  %10: [{m}] = integer_pow{{n=2}} %9
  %11: [{m}] = mul %9, 2.0
  %12: [{m}] = add %8, %10
  %13: [] = reduce_sum{{axes=[0]}} %12
  %14: [{m}] = neg %11
  %15: [{m}] = mul 100.0, %7
  %16: [{m}] = neg %15
  %17: [{m}] = mul %16, %4
  %18: [{m}] = add %14, %17
  %19: [{n}] = pad{{low=[1],high=[0],interior=[0]}} %15
  %20: [{n}] = pad{{low=[0],high=[1],interior=[0]}} %18
  %21: [{n}] = add %19, %20
  return %13, %21
}}"
    )
}

#[test]
fn value_and_gradient_store_no_intermediates() {
    let n = 1000;
    let g = parse(&rosen_value_and_grad(n)).unwrap();
    let x: Vec<f64> = (0..n).map(|i| ((i * 37) % 23) as f64 * 0.1 - 1.1).collect();
    let plan = Plan::compile(&g).unwrap();
    let fast = plan.call(&[&x]).unwrap();
    let reference = eval_reference(&g, &[&x]).unwrap();
    for (a, b) in fast.iter().flatten().zip(reference.iter().flatten()) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
    }
    // Storing the shared values would take three buffers of n - 1.
    let bytes = plan.peak_bytes(DType::F64);
    assert!(bytes < (n - 1) * 8, "{bytes} bytes of workspace");
    // Steps name the caller's equations: every one of them, once.
    let mut ws = plan.workspace::<f64>();
    let (mut f, mut grad) = (vec![0.0], vec![0.0; n]);
    let steps = plan
        .profile(&mut ws, &[&x], &mut [&mut f, &mut grad])
        .unwrap();
    let mut eqns: Vec<usize> = steps.iter().flat_map(|s| s.eqns.clone()).collect();
    eqns.sort_unstable();
    assert!(eqns.iter().all(|&e| e < g.eqns.len()), "{eqns:?}");
}

#[test]
fn errors_in_recomputed_values_name_the_callers_equation() {
    // %2 feeds the sum and another output; inf · 0 makes it NaN.
    let g = parse(
        "graph f64 (%0: [4], %1: [4]) {
  %2: [4] = mul %0, %1
  %3: [] = reduce_sum{axes=[0]} %2
  %4: [4] = add %2, 1.0
  return %3, %4
}",
    )
    .unwrap();
    let mut plan = Plan::compile(&g).unwrap();
    plan.set_check_finite(true);
    let err = plan
        .call(&[&[1.0, f64::INFINITY, 2.0, 3.0], &[1.0, 0.0, 1.0, 1.0]])
        .unwrap_err();
    match err {
        ExecError::NonFinite { eqn, prim, var, .. } => {
            assert_eq!((eqn, prim, var), (0, "mul", Var(2)));
        }
        e => panic!("{e}"),
    }
}
