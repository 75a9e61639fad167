//! Malformed input never panics: each case gives a clear message (with
//! line, column and a caret under the problem where there is a text to
//! point into) and exit status 2.

mod common;
use common::hvp;
use std::fs;

/// Runs `args`, expects exit status 2, nothing on stdout, and every
/// `needle` in stderr.
fn fails(args: &[&str], needles: &[&str]) {
    let out = hvp(args).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} should exit 2; stderr:\n{stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    for n in needles {
        assert!(
            stderr.contains(n),
            "{args:?}: stderr lacks {n:?}:\n{stderr}"
        );
    }
}

#[test]
fn syntax_errors_point_at_the_problem() {
    let at = "x=1,y=2";
    let cases: &[(&str, &[&str])] = &[
        (
            "x^2*y +",
            &[
                "expected a value, found end of input",
                "<expr>:1:8",
                "1 | x^2*y +\n  |        ^",
            ],
        ),
        (
            "x^2*y + * y",
            &["expected a value, found '*'", "<expr>:1:9", "  |         ^"],
        ),
        ("x y", &["unexpected name 'y'", "1 | x y\n  |   ^"]),
        ("2x + y", &["malformed number '2x'", "  | ^^", "2*x"]),
        ("x $ y", &["unexpected character '$'", "  |   ^"]),
        ("x < y < 1", &["comparisons cannot be chained"]),
        ("", &["empty expression"]),
        (
            "let a = x*y",
            &["ends with a let binding", "1 | let a = x*y\n  |     ^"],
        ),
        ("x[]", &["empty index"]),
    ];
    for (expr, needles) in cases {
        fails(&["eval", "--expr", expr, "--at", at], needles);
    }
}

#[test]
fn unbalanced_brackets() {
    let cases: &[(&str, &[&str])] = &[
        (
            "x^2*y + sin(y",
            &[
                "this '(' is never closed",
                "<expr>:1:12",
                "1 | x^2*y + sin(y\n  |            ^",
            ],
        ),
        ("(x + y))", &["unmatched ')'", "<expr>:1:8", "  |        ^"]),
        (
            "(x + y]",
            &["mismatched bracket: expected ')'", "  |       ^"],
        ),
        ("sum([x, y)", &["mismatched bracket", "found ')'"]),
        ("sum([x, y] * 2", &["this '(' is never closed", "  |    ^"]),
    ];
    for (expr, needles) in cases {
        fails(&["eval", "--expr", expr, "--at", "x=1,y=2"], needles);
    }
    fails(
        &["eval", "-e", "sum(x)", "--at", "x=[1, 2"],
        &["never closed", "--> --at:1:3", "1 | x=[1, 2\n  |   ^"],
    );
}

#[test]
fn unknown_functions_and_names() {
    fails(
        &["eval", "-e", "x^2*y + sine(y)", "--at", "x=1,y=2"],
        &[
            "unknown function 'sine'",
            "<expr>:1:9",
            "1 | x^2*y + sine(y)\n  |         ^^^^",
            "did you mean 'sin'?",
        ],
    );
    fails(
        &["eval", "-e", "frobnicate(x)", "--at", "x=1"],
        &["unknown function 'frobnicate'", "hvp functions"],
    );
    fails(
        &["eval", "-e", "input x[3]; sum(xx^2)", "--at", "x=1"],
        &[
            "unknown name 'xx'",
            "did you mean 'x'?",
            "  |                 ^^",
        ],
    );
    fails(
        &["eval", "-e", "sin * x", "--at", "x=1"],
        &["'sin' is a function"],
    );
    fails(
        &["eval", "-e", "max(x, y)", "--at", "x=1,y=2"],
        &["max() takes 1 argument, got 2", "maximum(x, y)"],
    );
    fails(
        &["eval", "-e", "sum(x, axes2=0)", "--at", "x=[1,2]"],
        &["sum() has no argument named 'axes2'", "  |        ^^^^^"],
    );
}

#[test]
fn shape_mismatches() {
    fails(
        &["eval", "-e", "sum(x + y)", "--at", "x=[1,2],y=[1,2,3]"],
        &[
            "shapes [2] and [3] cannot be broadcast together in '+'",
            "1 | sum(x + y)\n  |       ^",
        ],
    );
    fails(
        &[
            "eval",
            "-e",
            "sum(A @ x)",
            "--at",
            "A=[[1,2],[3,4]],x=[1,2,3]",
        ],
        &[
            "cannot multiply shapes [2, 2] and [3]",
            "inner dimensions 2 and 3 differ",
            "  |       ^",
        ],
    );
    fails(
        &["eval", "-e", "x", "--at", "x=[1,2]"],
        &[
            "f must be a scalar, but this expression has shape [2]",
            "sum(...)",
        ],
    );
    fails(
        &["eval", "-e", "input x[3]; sum(x)", "--at", "x=[1,2]"],
        &[
            "the value of 'x' has shape [2] but shape [3] is needed",
            "--> --at:1:3",
            "  |   ^^^^^",
        ],
    );
    fails(
        &["eval", "-e", "x[2]", "--at", "x=[1,2]"],
        &["index 2 is out of range for an axis of length 2", "  |   ^"],
    );
    fails(
        &["eval", "-e", "sum(x, axis=1)", "--at", "x=[1,2]"],
        &["axis 1 is out of range"],
    );
    fails(
        &["eval", "-e", "sum([[1, 2], [3]] * x)", "--at", "x=1"],
        &[
            "array items must have equal shapes",
            "<expr>:1:14",
            "  |              ^^^",
        ],
    );
    fails(
        &["eval", "-e", "dot(x, y)", "--at", "x=[1,2],y=[1,2,3]"],
        &["dot() needs two equally shaped values"],
    );
}

#[test]
fn missing_files() {
    fails(
        &["eval", "--file", "/nonexistent/f.hvp"],
        &["cannot read the file '/nonexistent/f.hvp'"],
    );
    fails(
        &["eval", "-e", "sum(x^2)", "--at", "x=@/nonexistent/x.npy"],
        &[
            "cannot read '/nonexistent/x.npy'",
            "--> --at:1:3",
            "  |   ^^^^^^^^^^^^^^^^^^^",
        ],
    );
    fails(
        &["eval", "-e", "sum(x^2)", "--at", "x=@/nonexistent/x.csv"],
        &["cannot read '/nonexistent/x.csv'"],
    );
    fails(
        &["eval", "-e", "sum(x^2)", "--at", "x=@data.json"],
        &["use a .npy or .csv file"],
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    fs::write(&bad, "1,2\n3,oops\n").unwrap();
    fails(
        &[
            "eval",
            "-e",
            "sum(x^2)",
            "--at",
            &format!("x=@{}", bad.display()),
        ],
        &["line 2, column 2: 'oops' is not a number"],
    );
    let ragged = dir.path().join("ragged.csv");
    fs::write(&ragged, "1,2\n3\n").unwrap();
    fails(
        &[
            "eval",
            "-e",
            "sum(x^2)",
            "--at",
            &format!("x=@{}", ragged.display()),
        ],
        &["cannot read"],
    );
    let junk = dir.path().join("junk.npy");
    fs::write(&junk, "not an npy file").unwrap();
    fails(
        &[
            "eval",
            "-e",
            "sum(x^2)",
            "--at",
            &format!("x=@{}", junk.display()),
        ],
        &["as a .npy array of numbers"],
    );
    // A file with a syntax error is rendered with its name and line.
    let f = dir.path().join("f.hvp");
    fs::write(&f, "# comment\nlet a = x^2\na + sinn(x)\n").unwrap();
    fails(
        &["eval", "--file", f.to_str().unwrap(), "--at", "x=1"],
        &[
            "unknown function 'sinn'",
            "f.hvp:3:5",
            "3 | a + sinn(x)\n  |     ^^^^",
        ],
    );
}

#[test]
fn non_finite_values() {
    fails(
        &["eval", "-e", "x^2*y", "--at", "x=nan,y=1"],
        &[
            "the value of 'x' contains a non-finite number (NaN)",
            "1 | x=nan,y=1\n  |   ^^^",
        ],
    );
    fails(
        &["eval", "-e", "sum(x)", "--at", "x=[1, inf, 3]"],
        &["non-finite number (inf at index [1])"],
    );
    fails(&["eval", "-e", "x", "--at", "x=1/0"], &["non-finite"]);
    fails(
        &["eval", "-e", "x^2", "--at", "x=1", "--dir", "x=-inf"],
        &["the direction of 'x' contains a non-finite number"],
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    ndarray_npy::write_npy(&p, &ndarray::array![1.0_f64, f64::NAN]).unwrap();
    fails(
        &[
            "eval",
            "-e",
            "sum(x^2)",
            "--at",
            &format!("x=@{}", p.display()),
        ],
        &["non-finite number (NaN at index [1])"],
    );
}

#[test]
fn wrong_names_in_at_and_dir() {
    fails(
        &["eval", "-e", "x^2*y + sin(y)", "--at", "x=1.5,z=-0.7"],
        &[
            "'z' is not an input of f",
            "the inputs are x, y",
            "1 | x=1.5,z=-0.7\n  |       ^",
        ],
    );
    fails(
        &["eval", "-e", "x^2*y + sin(y)", "--at", "x=1.5"],
        &[
            "no value for input 'y'",
            "1 | x^2*y + sin(y)\n  |     ^",
            "--at y=",
        ],
    );
    fails(
        &["eval", "-e", "x^2*y", "--at", "x=1,x=2,y=1"],
        &["'x' is given twice"],
    );
    fails(
        &["eval", "-e", "x^2", "--at", "x=1,2,3"],
        &["expected name=value", "brackets"],
    );
    fails(
        &["eval", "-e", "x^2", "--at", "3x=1"],
        &["'3x' is not an input name"],
    );
    fails(
        &["eval", "-e", "x^2*y", "--at", "x=1,y=1", "--dir", "x=1"],
        &["--dir gives no value for y", "y=0"],
    );
    fails(
        &["eval", "-e", "x^2*y", "--at", "x=1,y=1", "--dir", "x=1,w=2"],
        &["'w' is not an input of f", "--> --dir:1:5"],
    );
    fails(
        &[
            "eval",
            "-e",
            "data t; input x; x*t",
            "--at",
            "x=1,t=2",
            "--dir",
            "t=1,x=1",
        ],
        &["'t' is data"],
    );
    fails(
        &["eval", "-e", "x^2", "--at", "x=sin(y)"],
        &["unknown name 'y'"],
    );
}

#[test]
fn usage_errors_also_exit_2() {
    fails(&["eval"], &["--expr"]);
    fails(
        &["eval", "-e", "x", "--at", "x=1", "--mode", "newton"],
        &["invalid value 'newton'"],
    );
    fails(
        &["eval", "-e", "x", "--file", "f.hvp"],
        &["cannot be used with"],
    );
    fails(&["frobnicate"], &["unrecognized subcommand"]);
}

#[test]
fn every_function_command_refuses_bad_input_alike() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.hvp");
    let missing = missing.to_str().unwrap();
    // One case of each kind of the table above, through every command that
    // takes a function: they share the front half, so each must give the
    // same clear message and exit status 2.
    let cases: [(&[&str], &str); 7] = [
        (
            &["-e", "x^2*y +", "--at", "x=1,y=2"],
            "expected a value, found end of input",
        ),
        (&["-e", "sine(x)", "--at", "x=1"], "did you mean 'sin'?"),
        (
            &["-e", "sum(x + y)", "--at", "x=[1,2],y=[1,2,3]"],
            "cannot be broadcast together",
        ),
        (&["--file", missing], "cannot read the file"),
        (
            &["-e", "sum(x^2)", "--at", "x=[1, nan]"],
            "non-finite number",
        ),
        (
            &["-e", "x^2*y", "--at", "x=1,z=2"],
            "'z' is not an input of f",
        ),
        (&["--problem", "rosenbrok"], "did you mean 'rosenbrock'?"),
    ];
    for sub in ["eval", "check", "minimize", "spectrum"] {
        for (args, needle) in cases {
            let mut all = vec![sub];
            all.extend_from_slice(args);
            fails(&all, &[needle]);
        }
    }
}
