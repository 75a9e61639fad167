//! Results that do not depend on the thread count, buffer reuse, and every
//! error a caller can provoke (none of which panics).

use hvp_exec::{ExecError, Plan};
use hvp_ir::{parse, Atom, DType, Graph, GraphBuilder, Prim, Shape};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn bits(v: &[Vec<f64>]) -> Vec<Vec<u64>> {
    v.iter()
        .map(|o| o.iter().map(|x| x.to_bits()).collect())
        .collect()
}

/// Large reductions, a large fused group with transcendentals, a large
/// transpose and a matmul, each well above the parallel thresholds.
fn big_graph() -> (Graph, Vec<Vec<f64>>) {
    let (r, c) = (700, 1500);
    let mut b = GraphBuilder::new(DType::F64);
    let x: Atom = b.input(Shape::from([r, c])).into();
    let m: Atom = b.input(Shape::from([160, 170])).into();
    let mut add = |p: Prim, a: &[Atom]| b.add(p, a).unwrap();
    let s = add(Prim::Sin, &[x]);
    let e = add(Prim::Exp, &[s]);
    let t = add(Prim::Mul, &[e, x]);
    let u = add(Prim::Sub, &[t, Atom::lit(0.5)]);
    let rows = add(Prim::ReduceSum { axes: vec![1] }, &[u]);
    let cols = add(Prim::ReduceSum { axes: vec![0] }, &[u]);
    let all = add(Prim::ReduceSum { axes: vec![0, 1] }, &[u]);
    let mx = add(Prim::ReduceMax { axes: vec![0] }, &[u]);
    let tr = add(Prim::Transpose { perm: vec![1, 0] }, &[u]);
    let mm = add(
        Prim::MatMul {
            transpose_lhs: false,
            transpose_rhs: true,
        },
        &[m, m],
    );
    let g = b.finish(vec![rows, cols, all, mx, tr, u, mm]);
    let xs: Vec<f64> = (0..r * c)
        .map(|i| ((i as f64) * 0.7548776662).sin())
        .collect();
    let ms: Vec<f64> = (0..160 * 170).map(|i| ((i as f64) * 0.31).cos()).collect();
    (g, vec![xs, ms])
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (g, inputs) = big_graph();
    let plan = Plan::compile(&g).unwrap();
    let views: Vec<&[f64]> = inputs.iter().map(|v| v.as_slice()).collect();
    let one = pool(1).install(|| plan.call(&views).unwrap());
    let two = pool(2).install(|| plan.call(&views).unwrap());
    let five = pool(5).install(|| plan.call(&views).unwrap());
    assert_eq!(bits(&one), bits(&two));
    assert_eq!(bits(&one), bits(&five));
    // and the fast results agree with the oracle
    let reference = hvp_exec::eval_reference(&g, &views).unwrap();
    for (r, f) in reference.iter().zip(&one) {
        let scale = r.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (a, b) in r.iter().zip(f) {
            assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b}");
        }
    }
}

#[test]
fn fused_reductions_do_not_depend_on_the_thread_count() {
    let n = 3_000_017;
    for prim in [
        Prim::ReduceSum { axes: vec![0] },
        Prim::ReduceMax { axes: vec![0] },
    ] {
        let mut b = GraphBuilder::new(DType::F64);
        let x: Atom = b.input(Shape::from([n])).into();
        let s = b.add(Prim::Sin, &[x]).unwrap();
        let t = b.add(Prim::Mul, &[s, x]).unwrap();
        let r = b.add(prim, &[t]).unwrap();
        let g = b.finish(vec![r]);
        let plan = Plan::compile(&g).unwrap();
        // the reduction is folded into the loop
        assert_eq!((plan.stats().fused_groups, plan.stats().kernels), (1, 0));
        let xs: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.618).cos()).collect();
        let one = pool(1).install(|| plan.call(&[&xs]).unwrap());
        let three = pool(3).install(|| plan.call(&[&xs]).unwrap());
        assert_eq!(bits(&one), bits(&three));
        let reference = hvp_exec::eval_reference(&g, &[&xs]).unwrap();
        let scale = n as f64;
        assert!((one[0][0] - reference[0][0]).abs() <= 1e-13 * scale);
    }
}

#[test]
fn buffers_are_reused_along_a_chain_of_kernels() {
    // x -> pad -> strided slice -> pad -> strided slice ...: only a couple
    // of buffers are alive at any time.
    let n = 1000;
    let mut b = GraphBuilder::new(DType::F64);
    let mut v: Atom = b.input(Shape::from([n])).into();
    for _ in 0..10 {
        let p = b
            .add(
                Prim::Pad {
                    low: vec![1],
                    high: vec![1],
                    interior: vec![1],
                },
                &[v],
            )
            .unwrap();
        let s = b
            .add(
                Prim::Slice {
                    start: vec![1],
                    limit: vec![2 * n],
                    stride: vec![2],
                },
                &[p],
            )
            .unwrap();
        v = b.add(Prim::Sin, &[s]).unwrap();
    }
    let g = b.finish(vec![v]);
    let plan = Plan::compile(&g).unwrap();
    let largest = (2 * n + 1) * 8;
    assert!(
        plan.peak_bytes(DType::F64) <= 3 * (largest + 64),
        "{} bytes for {:?}",
        plan.peak_bytes(DType::F64),
        plan.stats()
    );
    let x: Vec<f64> = (0..n).map(|i| i as f64 * 1e-3).collect();
    let out: Vec<Vec<f64>> = plan.call(&[&x]).unwrap();
    let reference = hvp_exec::eval_reference(&g, &[&x]).unwrap();
    // `sin` is vectorized in fused loops: within a few ulp of libm
    for (a, r) in out[0].iter().zip(&reference[0]) {
        assert!((a - r).abs() <= 1e-15, "{a} vs {r}");
    }
}

fn small() -> Graph {
    parse("graph f64 (%0: [3], %1: [2]) {\n  %2: [2] = take_along_axis{axis=0} %0, %1\n  %3: [2] = mul %2, 2.0\n  return %3\n}").unwrap()
}

#[test]
fn call_errors_are_reported_not_panicked() {
    let plan = Plan::compile(&small()).unwrap();
    let mut ws = plan.workspace::<f64>();
    let mut out = [0.0; 2];
    let x = [1.0, 2.0, 3.0];
    let i = [0.0, 2.0];
    assert_eq!(
        plan.run(&mut ws, &[&x], &mut [&mut out]),
        Err(ExecError::InputCount {
            expected: 2,
            got: 1
        })
    );
    let e = plan
        .run(&mut ws, &[&x[..2], &i], &mut [&mut out])
        .unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::InputLength {
                index: 0,
                got: 2,
                ..
            }
        ),
        "{e}"
    );
    let e = plan.run(&mut ws, &[&x, &i], &mut []).unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::OutputCount {
                expected: 1,
                got: 0
            }
        ),
        "{e}"
    );
    let mut short = [0.0; 1];
    let e = plan.run(&mut ws, &[&x, &i], &mut [&mut short]).unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::OutputLength {
                index: 0,
                got: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = plan
        .call::<f32>(&[&[1.0, 2.0, 3.0], &[0.0, 1.0]])
        .unwrap_err();
    assert!(matches!(e, ExecError::DTypeMismatch { .. }), "{e}");
    let other = Plan::compile(&small()).unwrap();
    let mut other_ws = other.workspace::<f64>();
    let e = plan
        .run(&mut other_ws, &[&x, &i], &mut [&mut out])
        .unwrap_err();
    assert_eq!(e, ExecError::WorkspaceMismatch);
    // and the same workspace still works afterwards
    plan.run(&mut ws, &[&x, &i], &mut [&mut out]).unwrap();
    assert_eq!(out.map(f64::to_bits), [2.0f64, 6.0].map(f64::to_bits));
}

#[test]
fn bad_indices_name_the_equation() {
    let plan = Plan::compile(&small()).unwrap();
    for bad in [3.0, -1.0, 0.5, f64::NAN] {
        let e = plan.call(&[&[1.0, 2.0, 3.0], &[0.0, bad]]).unwrap_err();
        match &e {
            ExecError::BadIndex {
                eqn: 0,
                prim: "take_along_axis",
                position: 1,
                size: 3,
                ..
            } => {}
            other => panic!("{bad}: {other:?}"),
        }
        assert!(e.to_string().contains("take_along_axis"), "{e}");
    }
    let g = parse("graph f64 (%0: [2], %1: [2]) {\n  %2: [4] = scatter_add_along_axis{axis=0,size=4} %0, %1\n  return %2\n}").unwrap();
    let e = Plan::compile(&g)
        .unwrap()
        .call(&[&[1.0, 2.0], &[1.0, 4.0]])
        .unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::BadIndex {
                position: 1,
                size: 4,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn invalid_graphs_are_rejected_at_compile_time() {
    let g = parse("graph f64 (%0: [3]) {\n  %1: [2] = exp %0\n  return %1\n}").unwrap();
    assert!(matches!(Plan::compile(&g), Err(ExecError::InvalidGraph(_))));
}

#[test]
fn checked_runs_name_the_first_non_finite_equation() {
    // eqn 0 (log) gives -inf at element 900 (a late chunk); eqn 2 (sqrt)
    // gives NaN at element 0: the report names eqn 0, the earlier one.
    let g = parse(
        "graph f64 (%0: [1000]) {\n  %1: [1000] = log %0\n  %2: [1000] = mul %0, -1.0\n  %3: [1000] = sqrt %2\n  %4: [1000] = add %1, %3\n  return %4\n}",
    )
    .unwrap();
    let mut plan = Plan::compile(&g).unwrap();
    assert_eq!(plan.stats().fused_groups, 1);
    let mut x = vec![1.0f64; 1000];
    x[900] = 0.0;
    // unchecked: runs and returns non-finite values
    let out: Vec<Vec<f64>> = plan.call(&[&x]).unwrap();
    assert!(out[0][0].is_nan());
    plan.set_check_finite(true);
    let e = plan.call(&[&x]).unwrap_err();
    match &e {
        ExecError::NonFinite {
            eqn: 0,
            prim: "log",
            var,
            value,
        } => {
            assert_eq!(var.0, 1);
            assert!(value.is_infinite());
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("equation 0 (log)"), "{e}");
    // with finite inputs everywhere the checked run succeeds
    let ok: Vec<f64> = vec![-0.0; 1000];
    assert!(plan.call(&[&ok]).is_err()); // log(-0) = -inf
    let g2 = parse("graph f64 (%0: [4]) {\n  %1: [4] = mul %0, %0\n  %2: [] = reduce_sum{axes=[0]} %1\n  %3: [] = div 1.0, %2\n  return %3\n}").unwrap();
    let mut plan2 = Plan::compile(&g2).unwrap();
    plan2.set_check_finite(true);
    assert!(plan2.call(&[&[1.0, 2.0, 3.0, 4.0]]).is_ok());
    let e = plan2.call(&[&[0.0; 4]]).unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::NonFinite {
                eqn: 2,
                prim: "div",
                ..
            }
        ),
        "{e}"
    );
    let e = plan2.call(&[&[1e200, 0.0, 0.0, 0.0]]).unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::NonFinite {
                eqn: 0,
                prim: "mul",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn checked_kernels_report_too() {
    let g = parse("graph f64 (%0: [2,2]) {\n  %1: [2] = reduce_sum{axes=[1]} %0\n  %2: [2] = sin %1\n  return %2\n}").unwrap();
    let mut plan = Plan::compile(&g).unwrap();
    plan.set_check_finite(true);
    let e = plan.call(&[&[1e308, 1e308, 0.0, 0.0]]).unwrap_err();
    assert!(
        matches!(
            e,
            ExecError::NonFinite {
                eqn: 0,
                prim: "reduce_sum",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn bias_and_row_broadcasts_are_fused_loads() {
    // y = x + bias[None, :] - rowmax[:, None], with sizes over several chunks
    let (r, c) = (37, 301);
    let g = parse(&format!(
        "graph f64 (%0: [{r},{c}], %1: [{c}]) {{\n  %2: [{r},{c}] = broadcast_in_dim{{shape=[{r},{c}],dims=[1]}} %1\n  %3: [{r},{c}] = add %0, %2\n  %4: [{r}] = reduce_max{{axes=[1]}} %0\n  %5: [{r},{c}] = broadcast_in_dim{{shape=[{r},{c}],dims=[0]}} %4\n  %6: [{r},{c}] = sub %3, %5\n  %7: [{r},1,{c}] = broadcast_in_dim{{shape=[{r},1,{c}],dims=[0,2]}} %6\n  %8: [2,{r},3,{c}] = broadcast_in_dim{{shape=[2,{r},3,{c}],dims=[1,2,3]}} %7\n  %9: [2,{r},3,{c}] = exp %8\n  return %6, %9\n}}"
    ))
    .unwrap();
    let plan = Plan::compile(&g).unwrap();
    // the reduce_max and the middle-axis broadcast remain kernels
    assert_eq!(plan.stats().kernels, 2, "{:?}", plan.stats());
    let x: Vec<f64> = (0..r * c)
        .map(|i| ((i * 7919) % 1000) as f64 * 1e-3)
        .collect();
    let b: Vec<f64> = (0..c).map(|i| i as f64 * 0.01).collect();
    let fast = plan.call(&[&x, &b]).unwrap();
    let reference = hvp_exec::eval_reference(&g, &[&x, &b]).unwrap();
    // the sums are exact; `exp` is vectorized, within a few ulp of libm
    assert_eq!(bits(&fast[..1]), bits(&reference[..1]));
    for (a, r) in fast[1].iter().zip(&reference[1]) {
        assert!((a - r).abs() <= 4.0 * f64::EPSILON * r.abs(), "{a} vs {r}");
    }
    let one = pool(1).install(|| plan.call(&[&x, &b]).unwrap());
    assert_eq!(bits(&one), bits(&fast));
}

#[test]
fn transposed_matmul_operands_are_not_copied() {
    let g = parse("graph f64 (%0: [3,2], %1: [3,4]) {\n  %2: [2,3] = transpose{perm=[1,0]} %0\n  %3: [2,4] = matmul{transpose_lhs=false,transpose_rhs=false} %2, %1\n  %4: [4,3] = transpose{perm=[1,0]} %1\n  %5: [2,4] = matmul{transpose_lhs=false,transpose_rhs=true} %2, %4\n  return %3, %5\n}").unwrap();
    let plan = Plan::compile(&g).unwrap();
    // two products and no transpose
    assert_eq!(plan.stats().kernels, 2, "{:?}", plan.stats());
    let a: Vec<f64> = (0..6).map(f64::from).collect();
    let b: Vec<f64> = (0..12).map(|i| f64::from(i) * 0.5 - 2.0).collect();
    let fast = plan.call(&[&a, &b]).unwrap();
    let reference = hvp_exec::eval_reference(&g, &[&a, &b]).unwrap();
    assert_eq!(bits(&fast), bits(&reference));
}

#[test]
fn checked_runs_see_both_steps_of_merged_arithmetic() {
    // x * 1e300 overflows (eqn 0) before `* 0` or `x - _` (eqn 1) turns it
    // into NaN or -inf: the first step of the merged instruction is named.
    for second in ["mul %1, 0.0", "sub %0, %1", "add %1, %0"] {
        let g = parse(&format!(
            "graph f64 (%0: [300]) {{\n  %1: [300] = mul %0, 1e300\n  %2: [300] = {second}\n  return %2\n}}"
        ))
        .unwrap();
        let mut plan = Plan::compile(&g).unwrap();
        assert_eq!(
            plan.stats().fused_ops,
            1,
            "{second}: one merged instruction"
        );
        let mut x = vec![1.0f64; 300];
        x[299] = 1e10;
        let fast = plan.call(&[&x]).unwrap();
        let reference = hvp_exec::eval_reference(&g, &[&x]).unwrap();
        assert_eq!(bits(&fast), bits(&reference), "{second}");
        plan.set_check_finite(true);
        let e = plan.call(&[&x]).unwrap_err();
        assert!(
            matches!(
                e,
                ExecError::NonFinite {
                    eqn: 0,
                    prim: "mul",
                    ..
                }
            ),
            "{second}: {e}"
        );
        x[299] = 1.0;
        assert_eq!(
            bits(&plan.call(&[&x]).unwrap()),
            bits(&hvp_exec::eval_reference(&g, &[&x]).unwrap())
        );
    }
}

#[test]
fn profile_times_every_step_and_computes_what_run_computes() {
    let (g, inputs) = big_graph();
    let plan = Plan::compile(&g).unwrap();
    let views: Vec<&[f64]> = inputs.iter().map(|v| v.as_slice()).collect();
    let expected = plan.call(&views).unwrap();
    let mut outs: Vec<Vec<f64>> = expected.iter().map(|o| vec![0.0; o.len()]).collect();
    let mut ws = plan.workspace::<f64>();
    let mut o: Vec<&mut [f64]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
    let steps = plan.profile(&mut ws, &views, &mut o).unwrap();
    assert_eq!(bits(&outs), bits(&expected));
    let s = plan.stats();
    let kernels = steps
        .iter()
        .filter(|t| t.kind == hvp_exec::StepKind::Kernel)
        .count();
    let fused = steps
        .iter()
        .filter(|t| t.kind == hvp_exec::StepKind::Fused)
        .count();
    assert_eq!((kernels, fused), (s.kernels, s.fused_groups));
    assert!(steps
        .iter()
        .any(|t| t.what.starts_with("matmul 160×170×160 rhsᵀ")));
    assert!(steps
        .iter()
        .any(|t| t.what.starts_with("transpose [700,1500]")));
    let fused = steps
        .iter()
        .find(|t| t.kind == hvp_exec::StepKind::Fused)
        .unwrap();
    assert!(fused.what.contains("× 1050000"), "{fused}");
    assert!(fused.eqns.len() >= 4, "{fused:?}");
    // the equations of all steps cover the graph's live equations
    let mut covered: Vec<usize> = steps.iter().flat_map(|t| t.eqns.clone()).collect();
    covered.sort_unstable();
    covered.dedup();
    assert_eq!(covered, (0..g.eqns.len()).collect::<Vec<_>>());
    // errors come back as from run
    assert!(plan.profile(&mut ws, &views[..1], &mut []).is_err());
}
