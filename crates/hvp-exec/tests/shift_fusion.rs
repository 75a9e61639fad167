//! Slices, pads and concatenations fused into elementwise loops: random
//! stencil-like graphs against the reference evaluator, at lengths around
//! the chunk and parallel-block boundaries, and the same bits on any thread
//! count.
//!
//! Values are `[len]` or `[len, 2]` (the leading axis is the one that slices,
//! pads and concatenations act on, so the fast path applies; a pad of the
//! trailing axis mixes in a kernel). Binary operations on values of
//! different lengths first bring the second one to the first's length with
//! a slice or a pad, which is how shifted reads and zero ranges meet inside
//! one loop.

use hvp_exec::{eval_reference, Plan};
use hvp_ir::{Atom, DType, Graph, GraphBuilder, Prim, Shape};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

struct Grower {
    b: GraphBuilder,
    pool: Vec<Atom>,
    rng: StdRng,
}

impl Grower {
    fn shape(&self, a: Atom) -> Shape {
        self.b.shape(a).clone()
    }

    fn add(&mut self, p: Prim, args: &[Atom]) -> Atom {
        self.b.add(p, args).unwrap()
    }

    fn pick(&mut self) -> Atom {
        let k = self.rng.gen_range(0..self.pool.len());
        self.pool[k]
    }

    /// `x` sliced or padded along axis 0 to `len` rows.
    fn fit(&mut self, x: Atom, len: usize) -> Atom {
        let s = self.shape(x);
        let d = s[0];
        let r = s.rank();
        if d > len {
            let lo = self.rng.gen_range(0..=d - len);
            let mut start = vec![0; r];
            let mut limit = s.0.to_vec();
            start[0] = lo;
            limit[0] = lo + len;
            self.add(
                Prim::Slice {
                    start,
                    limit,
                    stride: vec![1; r],
                },
                &[x],
            )
        } else if d < len {
            let low0 = self.rng.gen_range(0..=len - d);
            let (mut low, mut high) = (vec![0; r], vec![0; r]);
            low[0] = low0;
            high[0] = len - d - low0;
            self.add(
                Prim::Pad {
                    low,
                    high,
                    interior: vec![0; r],
                },
                &[x],
            )
        } else {
            x
        }
    }

    /// A value of `x`'s shape from the pool, fitted to it.
    fn partner(&mut self, x: Atom) -> Atom {
        let s = self.shape(x);
        let same_rank: Vec<Atom> = self
            .pool
            .iter()
            .copied()
            .filter(|&a| self.shape(a).rank() == s.rank() && self.shape(a)[1..] == s[1..])
            .collect();
        let y = same_rank[self.rng.gen_range(0..same_rank.len())];
        self.fit(y, s[0])
    }

    fn step(&mut self, op: u8) {
        let x = self.pick();
        let s = self.shape(x);
        let r = s.rank();
        let out = match op % 12 {
            0 => {
                let t = self.add(Prim::Tanh, &[x]);
                self.add(Prim::Mul, &[t, Atom::lit(1.5)])
            }
            1 => self.add(Prim::Neg, &[x]),
            2 => self.add(Prim::IntPow(2), &[x]),
            3 | 4 => {
                let y = self.partner(x);
                let p = [Prim::Add, Prim::Sub, Prim::Mul, Prim::Max, Prim::Min]
                    [self.rng.gen_range(0..5)]
                .clone();
                let z = self.add(p, &[x, y]);
                // keep magnitudes bounded
                self.add(Prim::Tanh, &[z])
            }
            5 | 6 => {
                // a slice of the leading axis (possibly empty)
                let d = s[0];
                let lo = self.rng.gen_range(0..=d);
                let hi = self.rng.gen_range(lo..=d);
                let mut start = vec![0; r];
                let mut limit = s.0.to_vec();
                start[0] = lo;
                limit[0] = hi;
                self.add(
                    Prim::Slice {
                        start,
                        limit,
                        stride: vec![1; r],
                    },
                    &[x],
                )
            }
            7 | 8 => {
                let (mut low, mut high) = (vec![0; r], vec![0; r]);
                low[0] = self.rng.gen_range(0..3);
                high[0] = self.rng.gen_range(0..3);
                if r == 2 && op % 12 == 8 && self.rng.gen_bool(0.3) {
                    // the trailing axis: not flat, a kernel
                    high[1] = 1;
                }
                self.add(
                    Prim::Pad {
                        low,
                        high,
                        interior: vec![0; r],
                    },
                    &[x],
                )
            }
            9 => {
                let y = self.partner(x);
                if self.rng.gen_bool(0.5) {
                    self.add(Prim::Concat { axis: 0 }, &[x, y])
                } else {
                    self.add(Prim::Concat { axis: 0 }, &[y, x, y])
                }
            }
            10 => {
                // x[1:] - x[:-1] style differences through pads back to x's length
                let d = s[0];
                if d < 2 {
                    return;
                }
                let a = self.fit(x, d - 1);
                let sq = self.add(Prim::IntPow(2), &[a]);
                let back = self.fit(sq, d);
                self.add(Prim::Add, &[back, x])
            }
            _ => {
                // a literal broadcast joins: x * 0.5 + 0.25
                let m = self.add(Prim::Mul, &[x, Atom::lit(0.5)]);
                let c = self.add(
                    Prim::BroadcastInDim {
                        shape: s.0.to_vec(),
                        dims: vec![],
                    },
                    &[Atom::lit(0.25)],
                );
                self.add(Prim::Add, &[m, c])
            }
        };
        self.pool.push(out);
    }
}

/// A random graph over `x: [len]` and `y: [len, 2]`, with its inputs.
fn grow(len: usize, ops: &[u8], n_out: usize, sum: bool, seed: u64) -> (Graph, Vec<Vec<f64>>) {
    let mut b = GraphBuilder::new(DType::F64);
    let x: Atom = b.input(Shape::from([len])).into();
    let y: Atom = b.input(Shape::from([len, 2])).into();
    let mut g = Grower {
        b,
        pool: vec![x, y],
        rng: StdRng::seed_from_u64(seed),
    };
    for &op in ops {
        g.step(op);
    }
    let mut outputs: Vec<Atom> = g.pool.iter().rev().take(n_out).copied().collect();
    if sum {
        let last = *g.pool.last().unwrap();
        let r = g.shape(last).rank();
        let s = g.add(
            Prim::ReduceSum {
                axes: (0..r).collect(),
            },
            &[last],
        );
        outputs.push(s);
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 7);
    let mut val = |n: usize| {
        (0..n)
            .map(|_| rng.gen_range(-1.5..1.5))
            .collect::<Vec<f64>>()
    };
    let inputs = vec![val(len), val(2 * len)];
    (g.b.finish(outputs), inputs)
}

fn check(g: &Graph, inputs: &[Vec<f64>], sum: bool) -> Result<(), TestCaseError> {
    let views: Vec<&[f64]> = inputs.iter().map(|v| v.as_slice()).collect();
    let reference = eval_reference(g, &views).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let plan = Plan::compile(g).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let run = |threads: usize| pool(threads).install(|| plan.call(&views));
    let one = run(1).map_err(|e| TestCaseError::fail(e.to_string()))?;
    // A sum (the last output when `sum`, of output 0) differs by summation
    // order, in proportion to the sum of its terms' magnitudes.
    let terms: f64 = reference[0].iter().map(|v| v.abs()).sum();
    let tol = 1e-13;
    for (k, (r, f)) in reference.iter().zip(&one).enumerate() {
        let mut scale = r.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        if sum && k + 1 == reference.len() {
            scale = scale.max(terms * reference[0].len() as f64 * f64::EPSILON / tol);
        }
        for (i, (a, b)) in r.iter().zip(f).enumerate() {
            prop_assert!(
                (a - b).abs() <= tol * scale,
                "output {k}[{i}]: reference {a}, plan {b}\n{g}"
            );
        }
    }
    for threads in [2, 3] {
        let other = run(threads).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (a, b) in one.iter().zip(&other) {
            prop_assert!(
                a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{threads} threads differ\n{g}"
            );
        }
    }
    Ok(())
}

fn recipe() -> impl Strategy<Value = (usize, Vec<u8>, usize, bool, u64)> {
    (
        prop::sample::select(vec![1usize, 2, 3, 7, 247, 255, 256, 257, 513, 1000]),
        prop::collection::vec(any::<u8>(), 1..14),
        1usize..4,
        any::<bool>(),
        any::<u64>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn shifted_fusion_matches_reference((len, ops, n_out, sum, seed) in recipe()) {
        let (g, inputs) = grow(len, &ops, n_out, sum, seed);
        check(&g, &inputs, sum)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Long enough to be split over threads in several blocks.
    #[test]
    fn large_shifted_fusion_matches_reference(
        len in prop::sample::select(vec![16_385usize, 40_001]),
        ops in prop::collection::vec(any::<u8>(), 4..12),
        seed in any::<u64>(),
    ) {
        let (g, inputs) = grow(len, &ops, 2, true, seed);
        check(&g, &inputs, true)?;
    }
}

/// The chained Rosenbrock gradient: one loop reading `x` and writing `g`.
#[test]
fn rosenbrock_gradient_is_one_loop() {
    for n in [2usize, 3, 255, 256, 257, 20_000] {
        let m = n - 1;
        let text = format!(
            "graph f64 (%0: [{n}]) {{
  %1: [{m}] = slice{{start=[0],limit=[{m}],stride=[1]}} %0
  %2: [{m}] = slice{{start=[1],limit=[{n}],stride=[1]}} %0
  %3: [{m}] = integer_pow{{n=2}} %1
  %4: [{m}] = mul %1, 2.0
  %5: [{m}] = sub %2, %3
  %6: [{m}] = mul %5, 200.0
  %7: [{m}] = sub 1.0, %1
  %8: [{m}] = mul %7, -2.0
  %9: [{m}] = mul %6, %4
  %10: [{m}] = sub %8, %9
  %11: [{n}] = pad{{low=[1],high=[0],interior=[0]}} %6
  %12: [{n}] = pad{{low=[0],high=[1],interior=[0]}} %10
  %13: [{n}] = add %11, %12
  return %13
}}"
        );
        let g = hvp_ir::parse(&text).unwrap();
        let plan = Plan::compile(&g).unwrap();
        let s = plan.stats();
        assert_eq!((s.steps, s.fused_groups, s.buffers), (1, 1, 0), "{s:?}");
        let x: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect();
        let fast = plan.call(&[&x]).unwrap();
        let reference = eval_reference(&g, &[&x]).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fast[0]), bits(&reference[0]));
        // by hand
        let mut expect = vec![0.0; n];
        for i in 0..n - 1 {
            let (a, b) = (x[i], x[i + 1]);
            expect[i] += -400.0 * a * (b - a * a) - 2.0 * (1.0 - a);
            expect[i + 1] += 200.0 * (b - a * a);
        }
        for (e, f) in expect.iter().zip(&fast[0]) {
            assert!((e - f).abs() <= 1e-12 * e.abs().max(1.0), "{e} vs {f}");
        }
    }
}
