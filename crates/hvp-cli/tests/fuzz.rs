//! Robustness: no input text makes any stage panic. Arbitrary strings go
//! through the lexer, parser and `--at` parser; token soups (random
//! sequences of the language's own tokens, far likelier to parse) go
//! through the whole pipeline: names, lowering, tracing and evaluation.

use hvp_cli::expr::lower::{lower, InputSlot};
use hvp_cli::expr::{names, parse, Diagnostic};
use hvp_cli::inputs::parse_assignments;
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "x",
    "y",
    "A",
    "pi",
    "e",
    "0",
    "1",
    "2",
    "-1",
    "0.5",
    "1e300",
    "3",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "@",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ";",
    "\n",
    "=",
    "<",
    "==",
    "let",
    "input",
    "data",
    "a",
    "sum(",
    "mean(",
    "max(",
    "prod(",
    "logsumexp(",
    "norm(",
    "softmax(",
    "sin(",
    "exp(",
    "sqrt(",
    "ln(",
    "where(",
    "dot(",
    "matmul(",
    "outer(",
    "transpose(",
    "reshape(",
    "broadcast_to(",
    "concat(",
    "stack(",
    "range(",
    "linspace(",
    "zeros(",
    "ones(",
    "full(",
    "cross_entropy(",
    "mse(",
    "maximum(",
    "pow(",
    "axis=",
    "x[",
    "A[",
    "[1, 2, 3]",
    "[[1, 2], [3, 4]]",
    "#",
    "x[1:]",
    "x[:-1]",
    "x[::2]",
    "A[0, 1:]",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 1..24).prop_map(|t| t.join(" "))
}

/// Syntactically valid expressions built from the grammar, mixing shapes
/// freely, so that lowering, shape checks and the core see many programs.
fn grammatical() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(
        &[
            "x",
            "y",
            "A",
            "2",
            "0.5",
            "-1",
            "pi",
            "[1, 2, 3]",
            "[[1, 2, 3], [4, 5, 6]]",
            "range(3)",
            "linspace(0, 1, 3)",
            "ones([2, 3])",
        ][..],
    )
    .prop_map(str::to_string);
    leaf.prop_recursive(5, 48, 3, |inner| {
        let two = (inner.clone(), inner.clone());
        prop_oneof![
            (
                two.clone(),
                prop::sample::select(&["+", "-", "*", "/", "^", "@", "<", "=="][..])
            )
                .prop_map(|((a, b), op)| format!("({a} {op} {b})")),
            (
                inner.clone(),
                prop::sample::select(
                    &[
                        "sin",
                        "exp",
                        "sqrt",
                        "tanh",
                        "abs",
                        "relu",
                        "softplus",
                        "sum",
                        "mean",
                        "max",
                        "min",
                        "prod",
                        "norm",
                        "logsumexp",
                        "softmax",
                        "transpose",
                        "square",
                        "-",
                    ][..]
                )
            )
                .prop_map(|(a, f)| format!("{f}({a})")),
            (
                inner.clone(),
                prop::sample::select(&["sum", "mean", "max", "logsumexp", "norm"][..]),
                -2i32..3
            )
                .prop_map(|(a, f, k)| format!("{f}({a}, axis={k})")),
            (
                inner.clone(),
                prop::sample::select(
                    &["[0]", "[1:]", "[:-1]", "[::2]", "[0, 1:]", "[-1]", "[:, 0]"][..]
                )
            )
                .prop_map(|(a, i)| format!("({a}){i}")),
            (
                two.clone(),
                prop::sample::select(
                    &["dot", "matmul", "outer", "maximum", "pow", "mse", "concat", "stack"][..]
                )
            )
                .prop_map(|((a, b), f)| format!("{f}({a}, {b})")),
            (inner.clone(), two).prop_map(|(c, (a, b))| format!("where({c}, {a}, {b})")),
            (
                inner.clone(),
                prop::sample::select(&["[6]", "[3, 2]", "[-1]", "[2, 3]"][..])
            )
                .prop_map(|(a, s)| format!("reshape({a}, {s})")),
            inner.prop_map(|a| format!("let t = {a}\nsum(t) + t[0]")),
        ]
    })
    .prop_map(|e| format!("sum({e})"))
}

/// Renders a diagnostic (which must not panic either).
fn render(d: &Diagnostic, src: &str) -> String {
    d.render("<fuzz>", src)
}

/// The whole pipeline short of printing: every input gets a shape (x a
/// 3-vector, A a 2×3 matrix, the rest scalars) and a value, then f, ∇f and
/// Hv are computed if it traces.
fn pipeline(src: &str) {
    let program = match parse(src) {
        Ok(p) => p,
        Err(d) => {
            render(&d, src);
            return;
        }
    };
    let decls = match names::inputs(&program) {
        Ok(d) => d,
        Err(d) => {
            render(&d, src);
            return;
        }
    };
    let mut slots = Vec::new();
    for d in &decls {
        let shape = match (&d.shape, d.name.as_str()) {
            (Some((s, _)), _) if s.iter().product::<usize>() <= 64 => s.clone(),
            // Huge declared shapes are refused by the CLI's size checks;
            // the fuzzer does not allocate them.
            (Some(_), _) => return,
            (None, "x") => vec![3],
            (None, "A") => vec![2, 3],
            (None, _) => vec![],
        };
        slots.push(InputSlot {
            name: d.name.clone(),
            shape,
            differentiable: d.kind == hvp_cli::expr::ast::InputKind::Param,
        });
    }
    let lowered = match lower(&program, &slots) {
        Ok(l) => l,
        Err(d) => {
            render(&d, src);
            return;
        }
    };
    let f = &lowered.function;
    let mut x: Vec<f64> = slots
        .iter()
        .flat_map(|s| (0..s.numel()).map(|i| 0.3 + 0.1 * i as f64))
        .collect();
    x.extend(lowered.constants.iter().flat_map(|c| c.iter().copied()));
    let v = vec![0.7; f.num_params()];
    let _ = f.value(&x);
    let _ = f.grad(&x);
    let _ = f.hvp(&x, &v);
    let _ = f.hvp_with(&x, &v, hvp::HvpMode::ReverseOverReverse);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics_the_parser(src in "\\PC{0,64}") {
        if let Err(d) = parse(&src) {
            prop_assert!(!render(&d, &src).is_empty());
        }
        let _ = parse_assignments("--at", &src);
    }

    #[test]
    fn arbitrary_ascii_with_brackets_never_panics(src in "[-+*/^@()\\[\\],:;=<>!#.0-9a-z \\n]{0,48}") {
        pipeline(&src);
        let _ = parse_assignments("--dir", &src);
    }

    #[test]
    fn token_soups_never_panic_the_pipeline(src in soup()) {
        pipeline(&src);
    }


    #[test]
    fn assignment_soups_never_panic(src in prop::collection::vec(prop::sample::select(&[
        "x", "=", ",", "[", "]", "1", "-2.5", "@", "range(1, 4)", "nan", "y", "(", ")", "1e999",
    ][..]), 0..12).prop_map(|t| t.concat())) {
        let _ = parse_assignments("--at", &src);
    }
}

proptest! {
    // Only about one program in ten traces (the rest are rejected with a
    // message, which is also under test), so this one runs more cases.
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn grammatical_programs_never_panic_the_pipeline(src in grammatical()) {
        pipeline(&src);
    }
}

#[test]
fn known_tricky_inputs() {
    for src in [
        "x[::2][::2][::2]",
        "sum(x[1:][1:][1:])",
        "sum(A[0, :][1:])",
        "prod(x) ^ 1e300",
        "sum(reshape(A, [-1]))",
        "sum(range(1, 2, 1e-300))",
        "sum(zeros([1e15]))",
        "input x[100000000000000000]; sum(x)",
        "sum(stack(x))",
        "sum(concat(x))",
        "softmax(y)",
        "sum(x @ A)",
        "A @ x",
        "sum(linspace(0, 1, 1))",
        "(x > 1) * 0 + y",
        "θ^2 + φ",
        "let a = [[1, 2], [3, 4]]; sum(a @ a) + y",
        "sum(full([2, 2], nan)) + y",
    ] {
        pipeline(src);
    }
}
