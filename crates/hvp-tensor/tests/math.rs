//! Accuracy, special values and determinism of `kernels::math`, checked
//! against `std` (the platform libm).
//!
//! `f64` results are compared with `std`'s `f64` functions in ulps (integer
//! distance between the two doubles). `f32` results are compared with `std`'s
//! `f64` function at the same input, so the reference is exact to far better
//! than an `f32` ulp and the error is measured in fractions of an `f32` ulp.

use hvp_tensor::kernels::math;

type K32 = fn(&[f32], &mut [f32]);
type K64 = fn(&[f64], &mut [f64]);

/// One function under test.
struct Func {
    name: &'static str,
    f32: K32,
    f64: K64,
    f32_in_place: fn(&mut [f32]),
    f64_in_place: fn(&mut [f64]),
    reference: fn(f64) -> f64,
    /// Largest accepted `f64` distance from `std`, in ulps.
    tol64: u64,
    /// Largest accepted `f32` error, in `f32` ulps of the exact result.
    tol32: f64,
}

const FUNCS: [Func; 7] = [
    Func {
        name: "exp",
        f32: math::exp,
        f64: math::exp,
        f32_in_place: math::exp_in_place,
        f64_in_place: math::exp_in_place,
        reference: f64::exp,
        tol64: 2,
        tol32: 2.0,
    },
    Func {
        name: "expm1",
        f32: math::expm1,
        f64: math::expm1,
        f32_in_place: math::expm1_in_place,
        f64_in_place: math::expm1_in_place,
        reference: f64::exp_m1,
        tol64: 2,
        tol32: 2.0,
    },
    Func {
        name: "ln",
        f32: math::ln,
        f64: math::ln,
        f32_in_place: math::ln_in_place,
        f64_in_place: math::ln_in_place,
        reference: f64::ln,
        tol64: 2,
        tol32: 2.0,
    },
    Func {
        name: "ln_1p",
        f32: math::ln_1p,
        f64: math::ln_1p,
        f32_in_place: math::ln_1p_in_place,
        f64_in_place: math::ln_1p_in_place,
        reference: f64::ln_1p,
        tol64: 2,
        tol32: 2.0,
    },
    Func {
        name: "tanh",
        f32: math::tanh,
        f64: math::tanh,
        f32_in_place: math::tanh_in_place,
        f64_in_place: math::tanh_in_place,
        reference: f64::tanh,
        tol64: 2,
        tol32: 2.0,
    },
    Func {
        name: "sin",
        f32: math::sin,
        f64: math::sin,
        f32_in_place: math::sin_in_place,
        f64_in_place: math::sin_in_place,
        reference: f64::sin,
        tol64: 2,
        tol32: 2.0,
    },
    Func {
        name: "cos",
        f32: math::cos,
        f64: math::cos,
        f32_in_place: math::cos_in_place,
        f64_in_place: math::cos_in_place,
        reference: f64::cos,
        tol64: 2,
        tol32: 2.0,
    },
];

fn func(name: &str) -> &'static Func {
    FUNCS.iter().find(|f| f.name == name).unwrap()
}

/// Maps a double to an integer that is monotonic in its value (`-0` and `+0`
/// adjacent), so ulp distances are differences.
fn ordered(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    if b < 0 {
        i64::MIN - b
    } else {
        b
    }
}

/// Distance in ulps between two doubles; NaN only matches NaN.
fn ulps64(a: f64, b: f64) -> u64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => 0,
        (false, false) => ordered(a).abs_diff(ordered(b)),
        _ => u64::MAX,
    }
}

/// Error of an `f32` result against an exact(ish) `f64` reference, in `f32`
/// ulps of the reference (subnormal spacing below the normal range). Results
/// that must be exact (infinite, zero, NaN) count as 0 or infinitely wrong.
fn ulps32(y: f32, reference: f64) -> f64 {
    if reference.is_nan() || y.is_nan() {
        return if reference.is_nan() && y.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let rounded = reference as f32;
    if rounded.is_infinite() || y.is_infinite() {
        return if y.to_bits() == rounded.to_bits() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let a = reference.abs().max(f32::MIN_POSITIVE as f64);
    let ulp = 2f64.powi(a.log2().floor() as i32 - 23);
    (y as f64 - reference).abs() / ulp
}

/// `n` points evenly spaced on `[lo, hi]`.
fn linear(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..n).map(move |i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
}

/// `n` points log-spaced on `[lo, hi]` (both positive), each with both signs.
fn log_both(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..n / 2).flat_map(move |i| {
        let x = (a + (b - a) * i as f64 / (n / 2 - 1) as f64).exp();
        [x, -x]
    })
}

/// `n` points log-spaced on `[lo, hi]` (both positive).
fn log_pos(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..n).map(move |i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
}

/// Roughly a million inputs per function over its interesting ranges:
/// linear sweeps and log-spaced sweeps of both signs.
fn sweep(name: &str) -> Vec<f64> {
    let v: Vec<f64> = match name {
        "exp" => linear(-746.0, 710.0, 400_000)
            .chain(linear(-1.0, 1.0, 200_000))
            .chain(log_both(1e-20, 746.0, 400_000))
            .collect(),
        "expm1" => linear(-40.0, 710.0, 400_000)
            .chain(linear(-1.0, 1.0, 200_000))
            .chain(log_both(1e-20, 710.0, 400_000))
            .collect(),
        "ln" => log_pos(1e-320, 1e308, 500_000)
            .chain(linear(0.5, 2.0, 300_000))
            .chain(linear(1.0 - 1e-4, 1.0 + 1e-4, 200_000))
            .collect(),
        "ln_1p" => linear(-1.0, 1.0, 400_000)
            .chain(log_pos(1e-20, 1e308, 300_000))
            .chain(log_pos(1e-20, 1.0, 300_000).map(|x| -x))
            .collect(),
        "tanh" => linear(-20.0, 20.0, 400_000)
            .chain(linear(-1.0, 1.0, 200_000))
            .chain(log_both(1e-20, 400.0, 400_000))
            .collect(),
        "sin" | "cos" => linear(-10.0, 10.0, 300_000)
            .chain(linear(-1e5, 1e5, 300_000))
            .chain(log_both(1e-20, 1e10, 300_000))
            // Next to multiples of pi/2, where the reduction loses the most.
            .chain((1..50_000).flat_map(|k| {
                let x = (k * 13_577) as f64 * std::f64::consts::FRAC_PI_2;
                [x, -x]
            }))
            .collect(),
        _ => unreachable!(),
    };
    assert!(v.len() >= 999_000, "{name}: {}", v.len());
    v
}

#[test]
fn f64_sweeps_against_std() {
    for f in &FUNCS {
        let x = sweep(f.name);
        let mut y = vec![0.0; x.len()];
        (f.f64)(&x, &mut y);
        let (mut worst, mut at) = (0, 0.0);
        for (&x, &y) in x.iter().zip(&y) {
            let d = ulps64(y, (f.reference)(x));
            if d > worst {
                (worst, at) = (d, x);
            }
        }
        println!("f64 {:<6} max {worst} ulp from std (at {at:e})", f.name);
        assert!(
            worst <= f.tol64,
            "f64 {}: {worst} ulp from std at x = {at:e}",
            f.name
        );
    }
}

#[test]
fn f32_sweeps_against_std() {
    for f in &FUNCS {
        // The f64 sweep's points rounded to f32, limited to where f32 has
        // interesting results (the rest saturates, tested separately).
        let x: Vec<f32> = sweep(f.name)
            .into_iter()
            .map(|v| v as f32)
            .filter(|v| v.is_finite())
            .collect();
        let mut y = vec![0.0; x.len()];
        (f.f32)(&x, &mut y);
        let (mut worst, mut at) = (0.0_f64, 0.0);
        for (&x, &y) in x.iter().zip(&y) {
            let e = ulps32(y, (f.reference)(x as f64));
            if e > worst {
                (worst, at) = (e, x);
            }
        }
        println!("f32 {:<6} max {worst:.3} ulp (at {at:e})", f.name);
        assert!(
            worst <= f.tol32,
            "f32 {}: {worst} ulp at x = {at:e}",
            f.name
        );
    }
}

/// Every `f32` in `[lo, hi]` (by bit pattern), in chunks.
fn all_f32_between(lo: f32, hi: f32, mut check: impl FnMut(&[f32])) {
    assert!(lo >= 0.0 && hi >= lo);
    let (a, b) = (lo.to_bits(), hi.to_bits());
    let mut chunk = Vec::with_capacity(1 << 16);
    for bits in a..=b {
        chunk.push(f32::from_bits(bits));
        if chunk.len() == chunk.capacity() {
            check(&chunk);
            chunk.clear();
        }
    }
    check(&chunk);
}

/// Every `f32` (both signs) around the points where the algorithms switch
/// formulas or ranges: `tanh`'s two regions, `expm1`'s first reduction step,
/// `ln`'s and `ln_1p`'s `sqrt(2)` split, the first quadrant switch of
/// `sin`/`cos`. (The whole `f32` line was checked offline; see the module
/// docs of `kernels::math`.)
#[test]
fn f32_exhaustive_on_critical_ranges() {
    let cases: [(&str, f32, f32); 7] = [
        ("tanh", 0.53, 0.57),
        ("expm1", 0.32, 0.36),
        ("ln", 0.69, 0.72),
        ("ln", 1.40, 1.43),
        ("ln_1p", 0.40, 0.43),
        ("sin", 0.77, 0.80),
        ("cos", 0.77, 0.80),
    ];
    for (name, lo, hi) in cases {
        let f = func(name);
        let mut worst = 0.0_f64;
        all_f32_between(lo, hi, |x| {
            let neg: Vec<f32> = x.iter().map(|v| -v).collect();
            for x in [x, &neg[..]] {
                let mut y = vec![0.0; x.len()];
                (f.f32)(x, &mut y);
                for (&x, &y) in x.iter().zip(&y) {
                    let e = ulps32(y, (f.reference)(x as f64));
                    assert!(e <= f.tol32, "f32 {name}: {e} ulp at x = {x:e}");
                    worst = worst.max(e);
                }
            }
        });
        println!("f32 {name:<6} on ±[{lo}, {hi}]: max {worst:.3} ulp");
    }
}

/// Runs `name` on one `f64` value.
fn one64(name: &str, x: f64) -> f64 {
    let mut y = [0.0];
    (func(name).f64)(&[x], &mut y);
    y[0]
}

/// Runs `name` on one `f32` value.
fn one32(name: &str, x: f32) -> f32 {
    let mut y = [0.0];
    (func(name).f32)(&[x], &mut y);
    y[0]
}

/// Asserts a bit-exact `f64` result (NaN matches any NaN).
fn exact64(name: &str, x: f64, want: f64) {
    let got = one64(name, x);
    assert!(
        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
        "f64 {name}({x:e}) = {got:e}, want {want:e}"
    );
}

/// Asserts bit-exact results (NaN matches any NaN) for both dtypes, the
/// `f32` ones for `x` and `want` rounded to `f32`.
fn exact(name: &str, x: f64, want: f64) {
    exact64(name, x, want);
    let got = one32(name, x as f32);
    let want = want as f32;
    assert!(
        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
        "f32 {name}({x:e}) = {got:e}, want {want:e}"
    );
}

const SUB64: f64 = 5e-324;
const SUB32: f32 = 1.4e-45;

#[test]
fn exp_special_values() {
    let inf = f64::INFINITY;
    exact("exp", 0.0, 1.0);
    exact("exp", -0.0, 1.0);
    exact("exp", inf, inf);
    exact("exp", -inf, 0.0);
    exact("exp", f64::NAN, f64::NAN);
    exact("exp", SUB64, 1.0);
    exact("exp", -SUB64, 1.0);
    exact("exp", 1e-300, 1.0);
    exact("exp", 1000.0, inf);
    exact("exp", -1000.0, 0.0);
    exact("exp", f64::MAX, inf);
    exact("exp", f64::MIN, 0.0);
    // Overflow and underflow exactly where the correctly rounded result does
    // (within the last ulp before it), including gradual underflow.
    for (x, step) in [
        (709.782712893384, 1e-13),
        (-745.1332191019411, 1e-13),
        (-708.3964185322641, 1e-13),
    ] {
        for i in -2000..2000 {
            let x = x + i as f64 * step;
            let (got, want) = (one64("exp", x), x.exp());
            assert!(ulps64(got, want) <= 1, "exp({x:e}) = {got:e}, std {want:e}");
            assert_eq!(got.is_infinite(), want.is_infinite(), "exp({x:e})");
        }
    }
    for (x, step) in [
        (88.72283_f32, 1e-5_f32),
        (-103.97208, 1e-5),
        (-87.33655, 1e-5),
    ] {
        for i in -2000..2000 {
            let x = x + i as f32 * step;
            let (got, want) = (one32("exp", x), (x as f64).exp());
            assert!(
                ulps32(got, want) <= 1.0,
                "exp({x:e}) = {got:e}, exact {want:e}"
            );
        }
    }
}

#[test]
fn expm1_special_values() {
    let inf = f64::INFINITY;
    exact("expm1", 0.0, 0.0);
    exact("expm1", -0.0, -0.0);
    exact("expm1", inf, inf);
    exact("expm1", -inf, -1.0);
    exact("expm1", f64::NAN, f64::NAN);
    exact("expm1", SUB64, SUB64);
    exact("expm1", -SUB64, -SUB64);
    exact("expm1", 1e-300, 1e-300);
    exact("expm1", -1e-300, -1e-300);
    exact("expm1", -50.0, -1.0);
    exact("expm1", 1000.0, inf);
    exact("expm1", f64::MAX, inf);
    exact("expm1", f64::MIN, -1.0);
    // Relative accuracy near 0: no cancellation.
    for x in log_both(1e-300, 1e-3, 20_000) {
        assert!(ulps64(one64("expm1", x), x.exp_m1()) <= 1, "expm1({x:e})");
        assert!(
            ulps32(one32("expm1", x as f32), (x as f32 as f64).exp_m1()) <= 1.5,
            "f32 expm1({x:e})"
        );
    }
    for i in -1000..1000 {
        let x = 709.782712893384 + i as f64 * 1e-13;
        let (got, want) = (one64("expm1", x), x.exp_m1());
        assert!(
            ulps64(got, want) <= 1 && got.is_infinite() == want.is_infinite(),
            "expm1({x:e})"
        );
    }
}

#[test]
fn ln_special_values() {
    let inf = f64::INFINITY;
    exact("ln", 1.0, 0.0);
    exact("ln", 0.0, -inf);
    exact("ln", -0.0, -inf);
    exact("ln", -1.0, f64::NAN);
    exact64("ln", -SUB64, f64::NAN);
    exact("ln", -1.4e-45, f64::NAN);
    exact("ln", -inf, f64::NAN);
    exact("ln", inf, inf);
    exact("ln", f64::NAN, f64::NAN);
    // Subnormals, extremes.
    for x in [
        SUB64,
        1e-310,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE * 0.999,
        f64::MAX,
        1e-300,
    ] {
        assert!(ulps64(one64("ln", x), x.ln()) <= 1, "ln({x:e})");
    }
    for x in [SUB32, 1e-40, f32::MIN_POSITIVE, f32::MAX] {
        assert!(
            ulps32(one32("ln", x), (x as f64).ln()) <= 1.0,
            "f32 ln({x:e})"
        );
    }
    for x in log_pos(SUB64, 1e-300, 10_000) {
        assert!(ulps64(one64("ln", x), x.ln()) <= 1, "ln({x:e})");
    }
}

#[test]
fn ln_1p_special_values() {
    let inf = f64::INFINITY;
    exact("ln_1p", 0.0, 0.0);
    exact("ln_1p", -0.0, -0.0);
    exact("ln_1p", -1.0, -inf);
    exact("ln_1p", -1.5, f64::NAN);
    exact("ln_1p", -inf, f64::NAN);
    exact("ln_1p", inf, inf);
    exact("ln_1p", f64::NAN, f64::NAN);
    exact("ln_1p", SUB64, SUB64);
    exact("ln_1p", -SUB64, -SUB64);
    exact("ln_1p", 1e-300, 1e-300);
    for x in [
        f64::MAX,
        1e300,
        2f64.powi(1000) * 1.5,
        -1.0 + f64::EPSILON / 2.0,
        -0.9999,
    ] {
        assert!(ulps64(one64("ln_1p", x), x.ln_1p()) <= 1, "ln_1p({x:e})");
    }
    for x in [f32::MAX, 1e30, -1.0 + f32::EPSILON / 2.0] {
        assert!(
            ulps32(one32("ln_1p", x), (x as f64).ln_1p()) <= 1.0,
            "f32 ln_1p({x:e})"
        );
    }
    // Relative accuracy near 0: no cancellation.
    for x in log_both(1e-300, 1e-3, 20_000) {
        assert!(ulps64(one64("ln_1p", x), x.ln_1p()) <= 1, "ln_1p({x:e})");
        assert!(
            ulps32(one32("ln_1p", x as f32), (x as f32 as f64).ln_1p()) <= 1.5,
            "f32 ln_1p({x:e})"
        );
    }
}

#[test]
fn tanh_special_values() {
    let inf = f64::INFINITY;
    exact("tanh", 0.0, 0.0);
    exact("tanh", -0.0, -0.0);
    exact("tanh", inf, 1.0);
    exact("tanh", -inf, -1.0);
    exact("tanh", f64::NAN, f64::NAN);
    exact("tanh", SUB64, SUB64);
    exact("tanh", -SUB64, -SUB64);
    exact("tanh", 1e-300, 1e-300);
    for x in [20.0, 400.0, 1e300, f64::MAX] {
        exact("tanh", x, 1.0);
        exact("tanh", -x, -1.0);
    }
    // Saturation and oddness; never NaN for a non-NaN input.
    for x in log_both(1e-30, f64::MAX, 100_000) {
        let y = one64("tanh", x);
        assert!(!y.is_nan() && y.abs() <= 1.0, "tanh({x:e}) = {y:e}");
        assert_eq!(
            one64("tanh", -x).to_bits(),
            (-y).to_bits(),
            "tanh odd at {x:e}"
        );
        let y = one32("tanh", x as f32);
        assert!(!y.is_nan() && y.abs() <= 1.0, "f32 tanh({x:e}) = {y:e}");
    }
    // Relative accuracy near 0.
    for x in log_both(1e-300, 1e-3, 20_000) {
        assert!(ulps64(one64("tanh", x), x.tanh()) <= 1, "tanh({x:e})");
        assert!(
            ulps32(one32("tanh", x as f32), (x as f32 as f64).tanh()) <= 1.0,
            "f32 tanh({x:e})"
        );
    }
}

#[test]
fn sin_cos_special_values() {
    let inf = f64::INFINITY;
    exact("sin", 0.0, 0.0);
    exact("sin", -0.0, -0.0);
    exact("cos", 0.0, 1.0);
    exact("cos", -0.0, 1.0);
    for name in ["sin", "cos"] {
        exact(name, inf, f64::NAN);
        exact(name, -inf, f64::NAN);
        exact(name, f64::NAN, f64::NAN);
    }
    exact("sin", SUB64, SUB64);
    exact("sin", -SUB64, -SUB64);
    exact("sin", 1e-300, 1e-300);
    exact("cos", 1e-300, 1.0);
    // Beyond the in-line reduction range: std's result (whatever it is).
    for x in [1073741825.0, 1e10, 1e22, 1e300, f64::MAX, -1e22] {
        exact64("sin", x, x.sin());
        exact64("cos", x, x.cos());
    }
    for x in [131073.0_f32, 1e10, 1e30, f32::MAX] {
        assert_eq!(
            one32("sin", x).to_bits(),
            x.sin().to_bits(),
            "f32 sin({x:e})"
        );
        assert_eq!(
            one32("cos", x).to_bits(),
            x.cos().to_bits(),
            "f32 cos({x:e})"
        );
    }
    // Odd / even bit for bit.
    for x in log_both(1e-10, 1e6, 20_000) {
        assert_eq!(one64("sin", -x).to_bits(), (-one64("sin", x)).to_bits());
        assert_eq!(one64("cos", -x).to_bits(), one64("cos", x).to_bits());
    }
    // The doubles nearest to multiples of pi/2 up to the reduction limit:
    // results of about 1e-17 with full relative accuracy.
    let mut j = 1.0;
    while j < 6e8 {
        let x = j * std::f64::consts::FRAC_PI_2;
        for name in ["sin", "cos"] {
            let want = (func(name).reference)(x);
            assert!(ulps64(one64(name, x), want) <= 1, "{name}({x:e})");
        }
        j = (j * 1.37_f64).floor() + 1.0;
    }
}

/// Inputs that exercise every path: ordinary values, values that send a
/// vector down the rare paths, and special values.
fn mixed_inputs() -> Vec<f64> {
    let specials = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        SUB64,
        -SUB64,
        1e-310,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        -1.0,
        -1.5,
        1.0,
        709.9,
        -745.5,
        -720.0,
        88.9,
        -104.0,
        -90.0,
        2e9,
        2e5,
        1e300,
        0.5493,
        0.5494,
    ];
    let mut s = 0x1234_5678_9ABC_DEF0_u64;
    let mut v = Vec::new();
    for i in 0..3000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let u = (s >> 11) as f64 / (1u64 << 53) as f64;
        v.push(match i % 5 {
            0 => specials[(s % specials.len() as u64) as usize],
            1 => (u - 0.5) * 20.0,
            2 => (u - 0.5) * 2000.0,
            3 => f64::from_bits(s),
            _ => u * 3.0 - 1.0,
        });
    }
    v
}

/// Same bits for a value wherever it sits: alone, in the vector body, in the
/// padded tail, at any offset and length, next to special values, in place.
#[test]
fn results_do_not_depend_on_position() {
    let x64 = mixed_inputs();
    let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
    for f in &FUNCS {
        let mut full64 = vec![0.0; x64.len()];
        (f.f64)(&x64, &mut full64);
        let mut full32 = vec![0.0; x32.len()];
        (f.f32)(&x32, &mut full32);
        for i in 0..x64.len() {
            assert_eq!(
                one64(f.name, x64[i]).to_bits(),
                full64[i].to_bits(),
                "f64 {} of {:e}",
                f.name,
                x64[i]
            );
            assert_eq!(
                one32(f.name, x32[i]).to_bits(),
                full32[i].to_bits(),
                "f32 {} of {:e}",
                f.name,
                x32[i]
            );
        }
        for start in 0..11 {
            for len in [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1001] {
                let r = start..start + len;
                let mut y64 = vec![0.0; len];
                (f.f64)(&x64[r.clone()], &mut y64);
                let mut y32 = vec![0.0; len];
                (f.f32)(&x32[r.clone()], &mut y32);
                for k in 0..len {
                    assert_eq!(
                        y64[k].to_bits(),
                        full64[start + k].to_bits(),
                        "f64 {} at {start}+{k}",
                        f.name
                    );
                    assert_eq!(
                        y32[k].to_bits(),
                        full32[start + k].to_bits(),
                        "f32 {} at {start}+{k}",
                        f.name
                    );
                }
            }
        }
        let mut ip64 = x64.clone();
        (f.f64_in_place)(&mut ip64);
        let mut ip32 = x32.clone();
        (f.f32_in_place)(&mut ip32);
        for i in 0..x64.len() {
            assert_eq!(
                ip64[i].to_bits(),
                full64[i].to_bits(),
                "f64 {} in place",
                f.name
            );
            assert_eq!(
                ip32[i].to_bits(),
                full32[i].to_bits(),
                "f32 {} in place",
                f.name
            );
        }
    }
}

#[test]
fn empty_slices_and_generic_entry() {
    for f in &FUNCS {
        (f.f64)(&[], &mut []);
        (f.f32)(&[], &mut []);
    }
    fn generic<T: hvp_tensor::Float>(x: &[T]) -> Vec<T> {
        let mut y = vec![T::zero(); x.len()];
        math::tanh(x, &mut y);
        y
    }
    assert_eq!(generic(&[0.0_f64, 30.0])[1].to_bits(), 1.0_f64.to_bits());
    assert_eq!(generic(&[0.0_f32, 30.0])[1].to_bits(), 1.0_f32.to_bits());
}

#[test]
#[should_panic(expected = "length mismatch")]
fn length_mismatch_panics() {
    math::exp(&[1.0_f64, 2.0], &mut [0.0]);
}
