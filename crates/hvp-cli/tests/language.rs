//! The expression language's semantics through the library: each
//! construct's value and gradient against hand-computed ones.

use clap::Parser;
use hvp_cli::cli::{Cli, Command};
use hvp_cli::session::Session;

/// `(f, ∇f)` of `src` at `at`.
fn eval(src: &str, at: &str) -> (f64, Vec<f64>) {
    let mut args = vec!["hvp", "eval", "-e", src];
    if !at.is_empty() {
        args.extend(["--at", at]);
    }
    let Command::Eval(a) = Cli::try_parse_from(args).unwrap().command else {
        unreachable!()
    };
    let s = Session::open(&a.target).unwrap_or_else(|e| panic!("{src}: {e:#}"));
    let f = s.function();
    let x = s.point::<f64>();
    let (v, g) = f.value_and_grad(&x).unwrap();
    (v, g)
}

fn error(src: &str, at: &str) -> String {
    let args = vec!["hvp", "eval", "-e", src, "--at", at];
    let Command::Eval(a) = Cli::try_parse_from(args).unwrap().command else {
        unreachable!()
    };
    format!("{:#}", Session::open(&a.target).unwrap_err())
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

fn assert_fg(src: &str, at: &str, f: f64, g: &[f64]) {
    let (v, gr) = eval(src, at);
    assert!(near(v, f), "{src}: value {v}, want {f}");
    assert_eq!(gr.len(), g.len(), "{src}: gradient length");
    for (i, (a, b)) in gr.iter().zip(g).enumerate() {
        assert!(near(*a, *b), "{src}: gradient[{i}] {a}, want {b}");
    }
}

#[test]
fn precedence_unary_minus_and_right_associative_power() {
    assert_fg("-x^2", "x=3", -9.0, &[-6.0]);
    assert_fg("(-x)^2", "x=3", 9.0, &[6.0]);
    assert_fg("2^x^2", "x=1", 2.0, &[2.0 * 2.0f64.ln() * 2.0]);
    assert_fg("x^-1", "x=2", 0.5, &[-0.25]);
    assert_fg("x - 1 - 2", "x=5", 2.0, &[1.0]);
    assert_fg("x / 2 * 4", "x=1", 2.0, &[2.0]);
    assert_fg("x ** 3", "x=2", 8.0, &[12.0]);
    assert_fg("x^1.5", "x=4", 8.0, &[3.0]);
    assert_fg("+x", "x=4", 4.0, &[1.0]);
}

#[test]
fn constants_lets_and_comments() {
    assert_fg(
        "pi * x + e",
        "x=2",
        2.0 * std::f64::consts::PI + std::f64::consts::E,
        &[std::f64::consts::PI],
    );
    assert_fg(
        "let a = 2 * x; let b = a^2 # b = 4x²\nb + a",
        "x=1",
        6.0,
        &[10.0],
    );
    // let bindings shadow constants; a scalar let folds into slice bounds.
    assert_fg("let e = 3; x * e", "x=1", 3.0, &[3.0]);
    assert_fg(
        "let n = 2; sum(x[n-1:])",
        "x=[1,2,3]",
        5.0,
        &[0.0, 1.0, 1.0],
    );
}

#[test]
fn every_elementwise_function_has_its_derivative() {
    let x: f64 = 0.7;
    let sig = 1.0 / (1.0 + (-x).exp());
    let cases: &[(&str, f64, f64)] = &[
        ("exp(x)", x.exp(), x.exp()),
        ("ln(x)", x.ln(), 1.0 / x),
        ("log(x)", x.ln(), 1.0 / x),
        ("log1p(x)", x.ln_1p(), 1.0 / (1.0 + x)),
        ("ln_1p(x)", x.ln_1p(), 1.0 / (1.0 + x)),
        ("expm1(x)", x.exp_m1(), x.exp()),
        ("exp_m1(x)", x.exp_m1(), x.exp()),
        ("sqrt(x)", x.sqrt(), 0.5 / x.sqrt()),
        ("sin(x)", x.sin(), x.cos()),
        ("cos(x)", x.cos(), -x.sin()),
        ("tan(x)", x.tan(), 1.0 / x.cos().powi(2)),
        ("atan(x)", x.atan(), 1.0 / (1.0 + x * x)),
        ("tanh(x)", x.tanh(), 1.0 - x.tanh().powi(2)),
        ("abs(-x)", x, 1.0),
        ("sign(x) * x", x, 1.0),
        ("square(x)", x * x, 2.0 * x),
        ("sigmoid(x)", sig, sig * (1.0 - sig)),
        ("softplus(x)", x.exp().ln_1p(), sig),
        ("relu(x)", x, 1.0),
        ("relu(-x)", 0.0, 0.0),
        ("stop_gradient(x) * x", x * x, x),
        ("pow(x, 3)", x.powi(3), 3.0 * x * x),
        ("pow(2, x)", 2f64.powf(x), 2f64.powf(x) * 2f64.ln()),
        ("maximum(x, 0.5)", x, 1.0),
        ("minimum(x, 0.5)", 0.5, 0.0),
        ("where(x > 0.5, x^2, -x)", x * x, 2.0 * x),
        ("where(x < 0.5, x^2, -x)", -x, -1.0),
        (
            "(x >= 0.7) + (x == 0.7) + (x != 0.7) + (x <= 0.6)",
            2.0,
            0.0,
        ),
    ];
    for (src, f, g) in cases {
        assert_fg(src, "x=0.7", *f, &[*g]);
    }
}

#[test]
fn reductions_over_all_or_some_axes() {
    let a = "A=[[1, 2, 3], [4, 5, 6]]";
    assert_fg("sum(A)", a, 21.0, &[1.0; 6]);
    assert_fg(
        "sum(sum(A, axis=0)^2)",
        a,
        25.0 + 49.0 + 81.0,
        &[10.0, 14.0, 18.0, 10.0, 14.0, 18.0],
    );
    assert_fg(
        "sum(sum(A, axis=-1)^2)",
        a,
        36.0 + 225.0,
        &[12.0, 12.0, 12.0, 30.0, 30.0, 30.0],
    );
    assert_fg("sum(A, axis=[0, 1])", a, 21.0, &[1.0; 6]);
    assert_fg("mean(A)", a, 3.5, &[1.0 / 6.0; 6]);
    assert_fg("sum(mean(A, axis=1))", a, 7.0, &[1.0 / 3.0; 6]);
    assert_fg("max(A)", a, 6.0, &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert_fg(
        "sum(max(A, axis=0))",
        a,
        15.0,
        &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    );
    assert_fg("min(A)", a, 1.0, &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_fg(
        "sum(min(A, axis=1))",
        a,
        5.0,
        &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    );
    assert_fg("prod(x)", "x=[2, 3, 4]", 24.0, &[12.0, 8.0, 6.0]);
    let lse = (1f64.exp() + 2f64.exp()).ln();
    assert_fg(
        "logsumexp(x)",
        "x=[1, 2]",
        lse,
        &[(1.0 - lse).exp(), (2.0 - lse).exp()],
    );
    assert_fg("norm(x)", "x=[3, 4]", 5.0, &[0.6, 0.8]);
    assert_fg(
        "sum(norm(A, axis=1))",
        "A=[[3, 4], [0, 5]]",
        10.0,
        &[0.6, 0.8, 0.0, 1.0],
    );
    assert_fg("sum(softmax(x))", "x=[1, 2, 3]", 1.0, &[0.0; 3]);
    let p = [1f64, 2.0].map(|v| (v - lse).exp());
    assert_fg(
        "sum(log_softmax(x, axis=0) * [1, 0])",
        "x=[1, 2]",
        1.0 - lse,
        &[1.0 - p[0], -p[1]],
    );
    assert_fg("mse(x, [1, 1])", "x=[2, 3]", 2.5, &[1.0, 2.0]);
}

#[test]
fn slicing_and_indexing() {
    let x = "x=[1, 2, 3, 4, 5]";
    assert_fg("sum(x[1:])", x, 14.0, &[0.0, 1.0, 1.0, 1.0, 1.0]);
    assert_fg("sum(x[:-1])", x, 10.0, &[1.0, 1.0, 1.0, 1.0, 0.0]);
    assert_fg("sum(x[::2])", x, 9.0, &[1.0, 0.0, 1.0, 0.0, 1.0]);
    assert_fg("sum(x[1:3])", x, 5.0, &[0.0, 1.0, 1.0, 0.0, 0.0]);
    assert_fg("sum(x[1::3])", x, 7.0, &[0.0, 1.0, 0.0, 0.0, 1.0]);
    assert_fg("x[0] * x[-1]", x, 5.0, &[5.0, 0.0, 0.0, 0.0, 1.0]);
    assert_fg("sum(x[-2:])", x, 9.0, &[0.0, 0.0, 0.0, 1.0, 1.0]);
    let a = "A=[[1, 2, 3], [4, 5, 6]]";
    assert_fg("sum(A[0, 1:])", a, 5.0, &[0.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
    assert_fg("A[1, 2]", a, 6.0, &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    assert_fg("sum(A[:, 0])", a, 5.0, &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    assert_fg("sum(A[1])", a, 15.0, &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    assert_fg("A[1][0]", a, 4.0, &[0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn literals_ranges_stacking_and_products() {
    assert_fg(
        "dot([1.5, 2.25, 2.625], x)",
        "x=[1, 1, 1]",
        6.375,
        &[1.5, 2.25, 2.625],
    );
    assert_fg("sum([[1, 2], [3, 4]] @ x)", "x=[1, 1]", 10.0, &[4.0, 6.0]);
    assert_fg("x @ [[1, 2], [3, 4]] @ x", "x=[1, 1]", 10.0, &[7.0, 13.0]);
    assert_fg("sum(range(1, 11) * x)", "x=1", 55.0, &[55.0]);
    assert_fg("sum(range(3) + x)", "x=1", 6.0, &[3.0]);
    assert_fg("sum(range(0, 1, 0.25)) + 0*x", "x=0", 1.5, &[0.0]);
    assert_fg("sum([x, 2*x, x^2])", "x=3", 18.0, &[9.0]);
    assert_fg("sum([[x, 1], [2, x]])", "x=3", 9.0, &[2.0]);
    assert_fg(
        "sum(stack(x, x^2) * [[1], [10]])",
        "x=[1, 2]",
        53.0,
        &[21.0, 41.0],
    );
    assert_fg(
        "sum(stack([x, y], axis=1)[:, 1])",
        "x=[1, 2],y=[3, 4]",
        7.0,
        &[0.0, 0.0, 1.0, 1.0],
    );
    assert_fg(
        "sum(concat(x, y) * range(1, 5))",
        "x=[1, 2],y=[3, 4]",
        30.0,
        &[1.0, 2.0, 3.0, 4.0],
    );
    assert_fg(
        "sum(concat([A, B], axis=1))",
        "A=[[1],[2]],B=[[3],[4]]",
        10.0,
        &[1.0; 4],
    );
    assert_fg(
        "sum(outer(x, y))",
        "x=[1, 2],y=[3, 4]",
        21.0,
        &[7.0, 7.0, 3.0, 3.0],
    );
    assert_fg(
        "sum(transpose(A)[0])",
        "A=[[1, 2], [3, 4]]",
        4.0,
        &[1.0, 0.0, 1.0, 0.0],
    );
    assert_fg(
        "sum(reshape(x, [2, -1])[1])",
        "x=[1, 2, 3, 4]",
        7.0,
        &[0.0, 0.0, 1.0, 1.0],
    );
    assert_fg("sum(broadcast_to(x, [3, 2]))", "x=[1, 2]", 9.0, &[3.0, 3.0]);
    assert_fg(
        "sum(zeros([2]) + ones(2) * x + full([2], 3))",
        "x=1",
        8.0,
        &[2.0],
    );
    assert_fg("sum(linspace(0, 1, 3) * x)", "x=2", 3.0, &[1.5]);
    assert_fg("matmul(x, x)", "x=[1, 2]", 5.0, &[2.0, 4.0]);
    assert_fg(
        "cross_entropy([[0, 0]] + x, [1])",
        "x=[0, 0]",
        2f64.ln(),
        &[0.5, -0.5],
    );
}

#[test]
fn declared_data_inputs_are_not_differentiated() {
    // f = sum((X w - y)²); ∇_w = 2 Xᵀ (X w - y).
    let (v, g) = eval(
        "data X[2, 2], y[2]; input w[2]; sum((X @ w - y)^2)",
        "X=[[1, 0], [1, 1]], y=[1, 2], w=[0.5, 0.5]",
    );
    assert!(near(v, 0.25 + 1.0));
    assert_eq!(g.len(), 2);
    assert!(near(g[0], 2.0 * (-0.5 - 1.0)) && near(g[1], -2.0), "{g:?}");
}

#[test]
fn errors_name_the_construct() {
    assert!(error("sum(x[::-1])", "x=[1, 2]").contains("negative slice steps"));
    assert!(error("prod(x, axis=0)", "x=[1, 2]").contains("prod() reduces over all elements"));
    assert!(error("sum(range(5, 1)) + x", "x=1").contains("this range is empty"));
    assert!(error("sum(reshape(x, [3]))", "x=[1, 2]").contains("cannot reshape [2]"));
    assert!(error("x[y]", "x=[1, 2],y=0").contains("must be a constant"));
    assert!(error("x[0.5]", "x=[1, 2]").contains("whole number"));
    assert!(error("transpose(x)", "x=[1, 2]").contains("at least 2 axes"));
    assert!(error("sum(concat(x, y))", "x=[1, 2],y=[[1]]").contains("cannot join"));
    assert!(error("cross_entropy(x, [1])", "x=[1, 2]").contains("logits [batch, classes]"));
    assert!(error("sum(x, axis=[0, 0])", "x=[1, 2]").contains("repeated"));
}
