//! The canonical workloads are the ones earlier figures were measured on:
//! analytic values at the benchmark points, the MLP's shapes and data
//! distribution, and pinned fingerprints of its seeded data (drawn by the
//! code that ran the benchmarks before it moved here).

use hvp_problems::workloads::{
    mlp_function, mlp_point, rosen_function, rosen_point, spec_example, MLP_BATCH, MLP_PARAMS,
    MLP_SEED, ROSEN_SIZES, SPEC_DIRECTION, SPEC_POINT,
};

/// Bit-for-bit equality: the data must be exactly the data of before.
fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|a| a.to_bits()).collect()
}

fn close(a: f64, b: f64, rel: f64, what: &str) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1.0),
        "{what}: got {a:e}, want {b:e}"
    );
}

#[test]
fn the_spec_example_has_its_analytic_derivatives() {
    let f = spec_example().unwrap();
    let ([x, y], [a, b]) = (SPEC_POINT, SPEC_DIRECTION);
    assert_eq!((x, y, a, b), (1.5, -0.7, 0.3, 1.1));
    close(
        f.value(&SPEC_POINT).unwrap(),
        x * x * y + y.sin(),
        1e-15,
        "f",
    );
    let hv = f.hvp(&SPEC_POINT, &SPEC_DIRECTION).unwrap();
    close(hv[0], 2.0 * y * a + 2.0 * x * b, 1e-15, "Hv[0]");
    close(hv[1], 2.0 * x * a - y.sin() * b, 1e-15, "Hv[1]");
}

#[test]
fn rosenbrock_at_the_benchmark_points() {
    assert_eq!(ROSEN_SIZES, [1_000, 100_000, 1_000_000]);
    for n in ROSEN_SIZES {
        let f = rosen_function(n).unwrap();
        let (x, v) = rosen_point(n);
        assert_eq!((x.len(), v.len(), f.num_params()), (n, n, n));
        let want_x: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect();
        assert_eq!(bits(&x), bits(&want_x));
        assert_eq!(bits(&v), bits(&vec![1.0 / (n as f64).sqrt(); n]));
        // n/2 terms (from even i) 100(1 − 1.44)² + 2.2² = 24.2 and n/2 − 1
        // terms (from odd i) 100(−1.2 − 1)² = 484.
        let want = (n / 2) as f64 * 24.2 + (n / 2 - 1) as f64 * 484.0;
        close(f.value(&x).unwrap(), want, 1e-13, "f at the start");
    }
}

#[test]
fn the_mlp_and_its_data() {
    let f = mlp_function().unwrap();
    assert_eq!(f.num_params(), MLP_PARAMS);
    assert_eq!(
        MLP_PARAMS,
        784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    );
    let (x, v) = mlp_point(MLP_SEED);
    assert_eq!(x.len(), MLP_PARAMS + MLP_BATCH * 784 + MLP_BATCH);
    assert_eq!(v.len(), MLP_PARAMS);
    // Glorot-uniform weights within their limits, zero biases.
    let mut o = 0;
    for (i, out) in [(784, 256), (256, 256), (256, 10)] {
        let lim = (6.0 / (i + out) as f64).sqrt();
        let w = &x[o..o + i * out];
        assert!(w.iter().all(|a| a.abs() <= lim));
        assert!(w.iter().map(|a| a.abs()).fold(0.0, f64::max) > 0.99 * lim);
        o += i * out;
        assert!(x[o..o + out].iter().all(|&b| b == 0.0));
        o += out;
    }
    // Inputs N(0, 1): mean and variance of 200 704 draws.
    let inputs = &x[o..o + MLP_BATCH * 784];
    let mean = inputs.iter().sum::<f64>() / inputs.len() as f64;
    let var = inputs.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / inputs.len() as f64;
    assert!(
        mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
        "{mean} {var}"
    );
    // Labels: whole numbers in 0..9, every class present.
    let labels = &x[o + MLP_BATCH * 784..];
    assert!(labels
        .iter()
        .all(|&l| l.fract() == 0.0 && (0.0..=9.0).contains(&l)));
    for c in 0..10 {
        assert!(labels.contains(&(c as f64)), "class {c} missing");
    }
    // At Glorot weights the loss is near ln 10.
    let loss = f.value(&x).unwrap();
    assert!((loss - 10f64.ln()).abs() < 0.5, "{loss}");

    // Fingerprints of the seeded data and the loss, as measured before.
    close(x.iter().sum::<f64>(), 7.462100658280299e2, 1e-12, "Σx");
    close(
        x.iter().map(|a| a * a).sum::<f64>(),
        2.0766285341438488e5,
        1e-12,
        "Σx²",
    );
    close(v.iter().sum::<f64>(), 3.2667396006119344e2, 1e-12, "Σv");
    assert_eq!(
        bits(&x[..3]),
        bits(&[
            0.03669633936555285,
            -0.05166332002043412,
            -0.03363290268276751
        ])
    );
    assert_eq!(
        bits(&v[..2]),
        bits(&[-0.9588574001229485, -0.13259954748782943])
    );
    close(loss, 2.5142750753377237, 1e-12, "loss");
}
