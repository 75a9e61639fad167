//! Products by a literal folded into their readers as operand scales: the
//! same values, bit for bit, in fewer instructions, and finiteness errors
//! still name the product's own equation.

use hvp_exec::{eval_reference, ExecError, Plan};
use hvp_ir::{parse, Var};

/// `t = 3x` read by two instructions: `t z + t` (and `t` again under a
/// pad-free shift-zero read).
const GRAPH: &str = "graph f64 (%0: [300], %1: [300]) {
  %2: [300] = mul %0, 3.0
  %3: [300] = mul %2, %1
  %4: [300] = add %3, %2
  %5: [300] = mul 0.5, %4
  %6: [300] = sub %5, %2
  return %6
}";

#[test]
fn folded_products_give_the_reference_bits_in_fewer_instructions() {
    let g = parse(GRAPH).unwrap();
    let plan = Plan::compile(&g).unwrap();
    // Without folding: t, t·z + t (paired), ·0.5 − t (paired) = 3; with
    // it, t lives in its readers' scales.
    assert_eq!(plan.stats().fused_ops, 2, "{:?}", plan.stats());
    let x: Vec<f64> = (0..300).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
    let z: Vec<f64> = (0..300).map(|i| (i as f64 * 0.11).cos() - 0.5).collect();
    let got = plan.call(&[&x, &z]).unwrap();
    let want = eval_reference(&g, &[&x, &z]).unwrap();
    assert_eq!(got[0].len(), 300);
    for (a, b) in got[0].iter().zip(&want[0]) {
        assert_eq!(a.to_bits(), b.to_bits(), "{a} vs {b}");
    }
}

#[test]
fn an_overflowing_folded_product_is_reported_as_itself() {
    let g = parse(GRAPH).unwrap();
    let mut plan = Plan::compile(&g).unwrap();
    plan.set_check_finite(true);
    let mut x = vec![1.0; 300];
    x[123] = f64::MAX; // 3x overflows in %2 first
    let z = vec![1.0; 300];
    match plan.call(&[&x, &z]).unwrap_err() {
        ExecError::NonFinite {
            eqn,
            prim,
            var,
            value,
        } => {
            assert_eq!((eqn, prim, var), (0, "mul", Var(2)));
            assert!(value.is_infinite());
        }
        e => panic!("{e}"),
    }
}
