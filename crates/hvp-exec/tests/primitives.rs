//! Every primitive against hand-computed values, on the reference evaluator
//! and on the compiled plan.

use hvp_exec::{eval_reference, ExecError, Plan};
use hvp_ir::{parse, Graph};
use std::f64::consts::{E, FRAC_PI_2, FRAC_PI_4, PI};

/// Both evaluators on a graph given in text form with one equation body.
fn eval_all(text: &str, inputs: &[&[f64]]) -> Vec<Vec<Vec<f64>>> {
    let g: Graph = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let reference = eval_reference(&g, inputs).unwrap();
    let mut plan = Plan::compile(&g).unwrap();
    let fast = plan.call(inputs).unwrap();
    // A second run on the same workspace must not see stale values.
    let mut ws = plan.workspace::<f64>();
    let mut outs: Vec<Vec<f64>> = fast.iter().map(|o| vec![f64::NAN; o.len()]).collect();
    for _ in 0..2 {
        let mut views: Vec<&mut [f64]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
        plan.run(&mut ws, inputs, &mut views).unwrap();
    }
    plan.set_check_finite(true);
    let any_nan = reference.iter().flatten().any(|v| !v.is_finite());
    assert_eq!(plan.call(inputs).is_err(), any_nan, "checked run\n{text}");
    vec![reference, fast, outs]
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan())
        || a.to_bits() == b.to_bits()
        || (a - b).abs() <= 1e-14 * (1.0 + b.abs())
}

#[track_caller]
fn check(text: &str, inputs: &[&[f64]], expected: &[&[f64]]) {
    for (which, got) in eval_all(text, inputs).into_iter().enumerate() {
        assert_eq!(got.len(), expected.len(), "evaluator {which}: output count");
        for (o, (g, e)) in got.iter().zip(expected).enumerate() {
            assert_eq!(g.len(), e.len(), "evaluator {which}, output {o}: length");
            for (x, y) in g.iter().zip(e.iter()) {
                assert!(
                    close(*x, *y),
                    "evaluator {which}, output {o}: got {g:?}, expected {e:?}\n{text}"
                );
            }
        }
    }
}

/// A one-equation unary program on a `[n]` input.
fn unary(prim: &str, x: &[f64], expected: &[f64]) {
    let n = x.len();
    let text = format!("graph f64 (%0: [{n}]) {{\n %1: [{n}] = {prim} %0\n return %1\n}}");
    check(&text, &[x], &[expected]);
}

fn binary(prim: &str, a: &[f64], b: &[f64], expected: &[f64]) {
    let n = a.len();
    let text =
        format!("graph f64 (%0: [{n}], %1: [{n}]) {{\n %2: [{n}] = {prim} %0, %1\n return %2\n}}");
    check(&text, &[a, b], &[expected]);
}

#[test]
fn unary_elementwise() {
    unary("neg", &[1.0, -2.0], &[-1.0, 2.0]);
    unary("exp", &[0.0, 1.0], &[1.0, E]);
    unary("log", &[1.0, E], &[0.0, 1.0]);
    unary("log1p", &[0.0, 1e-20], &[0.0, 1e-20]);
    unary("expm1", &[0.0, 1e-20], &[0.0, 1e-20]);
    unary("sqrt", &[4.0, 2.25], &[2.0, 1.5]);
    unary("sin", &[0.0, FRAC_PI_2], &[0.0, 1.0]);
    unary("cos", &[0.0, PI], &[1.0, -1.0]);
    unary("tan", &[0.0, FRAC_PI_4], &[0.0, 1.0]);
    unary("atan", &[0.0, 1.0], &[0.0, FRAC_PI_4]);
    unary("tanh", &[0.0, 1000.0, -1000.0], &[0.0, 1.0, -1.0]);
    unary("abs", &[-2.0, 3.0, -0.0], &[2.0, 3.0, 0.0]);
    unary(
        "sign",
        &[-2.0, 0.0, 3.0, f64::NAN],
        &[-1.0, 0.0, 1.0, f64::NAN],
    );
    unary("integer_pow{n=3}", &[2.0, -1.0, 0.5], &[8.0, -1.0, 0.125]);
    unary("integer_pow{n=-2}", &[2.0, -0.5], &[0.25, 4.0]);
    unary("integer_pow{n=0}", &[2.0, 0.0], &[1.0, 1.0]);
    unary("stop_gradient", &[1.5, -2.0], &[1.5, -2.0]);
}

#[test]
fn binary_elementwise() {
    binary("add", &[1.0, 2.0], &[0.5, -3.0], &[1.5, -1.0]);
    binary("sub", &[1.0, 2.0], &[0.5, -3.0], &[0.5, 5.0]);
    binary("mul", &[1.0, 2.0], &[0.5, -3.0], &[0.5, -6.0]);
    binary("div", &[1.0, 3.0], &[0.5, -2.0], &[2.0, -1.5]);
    binary(
        "pow",
        &[2.0, 4.0, -8.0],
        &[3.0, 0.5, 0.5],
        &[8.0, 2.0, f64::NAN],
    );
    binary("max", &[1.0, 5.0], &[2.0, -1.0], &[2.0, 5.0]);
    binary("min", &[1.0, 5.0], &[2.0, -1.0], &[1.0, -1.0]);
    let a = [1.0, 2.0, 3.0];
    let b = [2.0, 2.0, 2.0];
    binary("lt", &a, &b, &[1.0, 0.0, 0.0]);
    binary("le", &a, &b, &[1.0, 1.0, 0.0]);
    binary("gt", &a, &b, &[0.0, 0.0, 1.0]);
    binary("ge", &a, &b, &[0.0, 1.0, 1.0]);
    binary("eq", &a, &b, &[0.0, 1.0, 0.0]);
    binary("ne", &a, &b, &[1.0, 0.0, 1.0]);
}

#[test]
fn literals_broadcast_in_elementwise_primitives() {
    check(
        "graph f64 (%0: [3]) {\n %1: [3] = sub 1.0, %0\n %2: [3] = mul %1, 2.5\n return %2\n}",
        &[&[1.0, 2.0, -1.0]],
        &[&[0.0, -2.5, 5.0]],
    );
    // select with a literal condition and a literal branch
    check(
        "graph f64 (%0: [2], %1: [2]) {\n %2: [2] = select %0, %1, -1.0\n %3: [2] = select 1.0, %1, %0\n return %2, %3\n}",
        &[&[0.0, f64::NAN], &[5.0, 6.0]],
        &[&[-1.0, 6.0], &[5.0, 6.0]],
    );
}

#[test]
fn select_treats_nonzero_as_true() {
    check(
        "graph f64 (%0: [4], %1: [4], %2: [4]) {\n %3: [4] = select %0, %1, %2\n return %3\n}",
        &[
            &[0.0, 1.0, -2.0, -0.0],
            &[1.0, 2.0, 3.0, 4.0],
            &[10.0, 20.0, 30.0, 40.0],
        ],
        &[&[10.0, 2.0, 3.0, 40.0]],
    );
}

#[test]
fn literal_and_input_outputs() {
    check(
        "graph f64 (%0: [2]) {\n return 2.5, %0, %0\n}",
        &[&[1.0, 2.0]],
        &[&[2.5], &[1.0, 2.0], &[1.0, 2.0]],
    );
}

#[test]
fn reductions() {
    // x[i,j,k] = 4i + 2j + k
    let x: Vec<f64> = (0..8).map(f64::from).collect();
    check(
        "graph f64 (%0: [2,2,2]) {\n %1: [2] = reduce_sum{axes=[0,2]} %0\n return %1\n}",
        &[&x],
        &[&[0.0 + 1.0 + 4.0 + 5.0, 2.0 + 3.0 + 6.0 + 7.0]],
    );
    check(
        "graph f64 (%0: [2,2,2]) {\n %1: [] = reduce_sum{axes=[0,1,2]} %0\n return %1\n}",
        &[&x],
        &[&[28.0]],
    );
    check(
        "graph f64 (%0: [2,3]) {\n %1: [2] = reduce_max{axes=[1]} %0\n %2: [3] = reduce_max{axes=[0]} %0\n return %1, %2\n}",
        &[&[1.0, -5.0, 3.0, -1.0, -2.0, -3.0]],
        &[&[3.0, -1.0], &[1.0, -2.0, 3.0]],
    );
    check(
        "graph f64 (%0: [0,3]) {\n %1: [3] = reduce_sum{axes=[0]} %0\n return %1\n}",
        &[&[]],
        &[&[0.0, 0.0, 0.0]],
    );
}

#[test]
fn max_and_min_propagate_nan() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let a = [nan, 1.0, nan, inf, -inf, 2.0];
    let b = [1.0, nan, nan, nan, 3.0, 2.0];
    binary("max", &a, &b, &[nan, nan, nan, nan, 3.0, 2.0]);
    binary("min", &a, &b, &[nan, nan, nan, nan, -inf, 2.0]);
    // with a literal operand (a splatted register in fused loops)
    let text =
        "graph f64 (%0: [3]) {\n %1: [3] = max %0, 0.0\n %2: [3] = min 0.0, %0\n return %1, %2\n}";
    check(
        text,
        &[&[nan, -1.0, 2.0]],
        &[&[nan, 0.0, 2.0], &[nan, -1.0, 0.0]],
    );
    // reductions: a kernel over one axis, and a full reduction fused into
    // the loop that computes its operand, with NaN in early and late chunks
    let text = "graph f64 (%0: [2,3]) {\n %1: [2] = reduce_max{axes=[1]} %0\n %2: [3] = reduce_max{axes=[0]} %0\n return %1, %2\n}";
    check(
        text,
        &[&[1.0, nan, 3.0, -1.0, -2.0, -3.0]],
        &[&[nan, -1.0], &[1.0, nan, 3.0]],
    );
    for at in [0usize, 5, 700, 999] {
        let mut x: Vec<f64> = (0..1000).map(|i| f64::from(i % 17)).collect();
        x[at] = nan;
        let text = "graph f64 (%0: [1000]) {\n %1: [1000] = mul %0, 2.0\n %2: [] = reduce_max{axes=[0]} %1\n return %2\n}";
        check(text, &[&x], &[&[nan]]);
        x[at] = 1.0;
        check(text, &[&x], &[&[32.0]]);
    }
}

#[test]
fn reshape_and_transpose() {
    let x: Vec<f64> = (0..6).map(f64::from).collect();
    check(
        "graph f64 (%0: [2,3]) {\n %1: [3,2] = reshape{shape=[3,2]} %0\n return %1\n}",
        &[&x],
        &[&x],
    );
    check(
        "graph f64 (%0: [2,3]) {\n %1: [3,2] = transpose{perm=[1,0]} %0\n return %1\n}",
        &[&x],
        &[&[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]],
    );
    // out[i,j,k] = x[j,k,i] with x of shape [2,1,3]
    check(
        "graph f64 (%0: [2,1,3]) {\n %1: [3,2,1] = transpose{perm=[2,0,1]} %0\n return %1\n}",
        &[&x],
        &[&[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]],
    );
}

#[test]
fn broadcast_in_dim() {
    check(
        "graph f64 (%0: [3]) {\n %1: [2,3] = broadcast_in_dim{shape=[2,3],dims=[1]} %0\n return %1\n}",
        &[&[1.0, 2.0, 3.0]],
        &[&[1.0, 2.0, 3.0, 1.0, 2.0, 3.0]],
    );
    check(
        "graph f64 (%0: [2,1]) {\n %1: [2,3] = broadcast_in_dim{shape=[2,3],dims=[0,1]} %0\n return %1\n}",
        &[&[1.0, 2.0]],
        &[&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]],
    );
    check(
        "graph f64 (%0: []) {\n %1: [2,2] = broadcast_in_dim{shape=[2,2],dims=[]} %0\n %2: [3] = broadcast_in_dim{shape=[3],dims=[]} 7.0\n return %1, %2\n}",
        &[&[4.0]],
        &[&[4.0; 4], &[7.0; 3]],
    );
}

#[test]
fn slice_pad_concat() {
    let x: Vec<f64> = (0..12).map(f64::from).collect(); // [3,4]
    check(
        "graph f64 (%0: [3,4]) {\n %1: [2,2] = slice{start=[1,0],limit=[3,4],stride=[1,3]} %0\n return %1\n}",
        &[&x],
        &[&[4.0, 7.0, 8.0, 11.0]],
    );
    check(
        "graph f64 (%0: [2]) {\n %1: [6] = pad{low=[1],high=[2],interior=[1]} %0\n return %1\n}",
        &[&[5.0, 6.0]],
        &[&[0.0, 5.0, 0.0, 6.0, 0.0, 0.0]],
    );
    check(
        "graph f64 (%0: [1,2]) {\n %1: [3,3] = pad{low=[1,0],high=[1,0],interior=[0,1]} %0\n return %1\n}",
        &[&[5.0, 6.0]],
        &[&[0.0, 0.0, 0.0, 5.0, 0.0, 6.0, 0.0, 0.0, 0.0]],
    );
    check(
        "graph f64 (%0: [2,1], %1: [2,2]) {\n %2: [2,3] = concat{axis=1} %0, %1\n %3: [4,2] = concat{axis=0} %1, %1\n return %2, %3\n}",
        &[&[1.0, 2.0], &[3.0, 4.0, 5.0, 6.0]],
        &[
            &[1.0, 3.0, 4.0, 2.0, 5.0, 6.0],
            &[3.0, 4.0, 5.0, 6.0, 3.0, 4.0, 5.0, 6.0],
        ],
    );
}

#[test]
fn take_and_scatter_along_axis() {
    // x: [2,3], idx: [2,2] along axis 1
    check(
        "graph f64 (%0: [2,3], %1: [2,2]) {\n %2: [2,2] = take_along_axis{axis=1} %0, %1\n return %2\n}",
        &[&[10.0, 11.0, 12.0, 20.0, 21.0, 22.0], &[2.0, 0.0, 1.0, 1.0]],
        &[&[12.0, 10.0, 21.0, 21.0]],
    );
    check(
        "graph f64 (%0: [2,3], %1: [1,3]) {\n %2: [1,3] = take_along_axis{axis=0} %0, %1\n return %2\n}",
        &[&[10.0, 11.0, 12.0, 20.0, 21.0, 22.0], &[1.0, 0.0, 1.0]],
        &[&[20.0, 11.0, 22.0]],
    );
    // duplicates accumulate
    check(
        "graph f64 (%0: [2,2], %1: [2,2]) {\n %2: [2,3] = scatter_add_along_axis{axis=1,size=3} %0, %1\n return %2\n}",
        &[&[1.0, 2.0, 3.0, 4.0], &[2.0, 2.0, 0.0, 1.0]],
        &[&[0.0, 0.0, 3.0, 3.0, 4.0, 0.0]],
    );
}

#[test]
fn matmul_with_every_transpose_flag() {
    // A = [[1,2],[3,4],[5,6]] (3x2), B = [[1,0,2],[0,1,3]] (2x3)
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let at = [1.0, 3.0, 5.0, 2.0, 4.0, 6.0];
    let b = [1.0, 0.0, 2.0, 0.0, 1.0, 3.0];
    let bt = [1.0, 0.0, 0.0, 1.0, 2.0, 3.0];
    let c = [1.0, 2.0, 8.0, 3.0, 4.0, 18.0, 5.0, 6.0, 28.0];
    for (tl, tr, sa, sb, xa, xb) in [
        (false, false, "[3,2]", "[2,3]", &a, &b),
        (true, false, "[2,3]", "[2,3]", &at, &b),
        (false, true, "[3,2]", "[3,2]", &a, &bt),
        (true, true, "[2,3]", "[3,2]", &at, &bt),
    ] {
        let text = format!(
            "graph f64 (%0: {sa}, %1: {sb}) {{\n %2: [3,3] = matmul{{transpose_lhs={tl},transpose_rhs={tr}}} %0, %1\n return %2\n}}"
        );
        check(&text, &[xa, xb], &[&c]);
    }
    // batched: two 1x2 times 2x1
    check(
        "graph f64 (%0: [2,1,2], %1: [2,2,1]) {\n %2: [2,1,1] = matmul{transpose_lhs=false,transpose_rhs=false} %0, %1\n return %2\n}",
        &[&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0]],
        &[&[17.0, 53.0]],
    );
}

fn bad_index_graph() -> Graph {
    parse(
        "graph f64 (%0: [3], %1: [2]) {\n %2: [2] = take_along_axis{axis=0} %0, %1\n return %2\n}",
    )
    .unwrap()
}

#[test]
fn bad_indices_are_errors() {
    let g = bad_index_graph();
    for bad in [1.5, -1.0, 3.0, f64::NAN, f64::INFINITY] {
        let r = eval_reference(&g, &[&[1.0, 2.0, 3.0], &[0.0, bad]]);
        match r {
            Err(ExecError::BadIndex {
                eqn: 0,
                position: 1,
                size: 3,
                ..
            }) => {}
            other => panic!("{bad}: {other:?}"),
        }
    }
    let g = parse("graph f64 (%0: [2], %1: [2]) {\n %2: [3] = scatter_add_along_axis{axis=0,size=3} %0, %1\n return %2\n}").unwrap();
    let r = eval_reference(&g, &[&[1.0, 2.0], &[3.0, 0.0]]);
    assert!(
        matches!(r, Err(ExecError::BadIndex { position: 0, .. })),
        "{r:?}"
    );
}

#[test]
fn call_errors_are_reported() {
    let g = bad_index_graph();
    assert_eq!(
        eval_reference::<f64>(&g, &[&[1.0, 2.0, 3.0]]),
        Err(ExecError::InputCount {
            expected: 2,
            got: 1
        })
    );
    let e = eval_reference::<f64>(&g, &[&[1.0, 2.0], &[0.0, 0.0]]).unwrap_err();
    assert!(matches!(
        e,
        ExecError::InputLength {
            index: 0,
            got: 2,
            ..
        }
    ));
    assert!(
        e.to_string().contains("input 0 should have shape [3]"),
        "{e}"
    );
    let e = eval_reference::<f32>(&g, &[&[1.0, 2.0, 3.0], &[0.0, 0.0]]).unwrap_err();
    assert!(matches!(e, ExecError::DTypeMismatch { .. }), "{e}");
    let bad = parse("graph f64 (%0: [3]) {\n %1: [2] = exp %0\n return %1\n}").unwrap();
    let e = eval_reference::<f64>(&bad, &[&[1.0, 2.0, 3.0]]).unwrap_err();
    assert!(matches!(e, ExecError::InvalidGraph(_)), "{e}");
}
