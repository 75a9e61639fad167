//! The compiled plan against the reference evaluator on random well-typed
//! graphs, in f64 and f32.
//!
//! Graphs are grown from a random recipe with `GraphBuilder`: each step picks
//! an operation and operands from the values built so far, and steps that do
//! not type-check are skipped. Operations are composed so that values stay
//! bounded (`exp(tanh x)`, `a / (1 + b²)`, ...), and discontinuous ones
//! (`sign`, comparisons, `select` conditions) only see values that both
//! evaluators compute bit for bit (no reduction, product or vectorized
//! transcendental upstream), so the only differences are rounding from
//! summation order and the few ulp between the fused loops' vectorized
//! transcendentals and libm.

use hvp_exec::{eval_reference, Plan};
use hvp_ir::{Atom, CmpOp, DType, Graph, GraphBuilder, Prim, Shape};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

#[derive(Clone, Copy, Debug)]
struct Value {
    atom: Atom,
    /// Computed without reductions or products, so both evaluators agree
    /// bit for bit.
    exact: bool,
}

type Step = (u8, u16, u16, u16, f64);

struct Grower {
    b: GraphBuilder,
    pool: Vec<Value>,
}

impl Grower {
    fn shape(&self, a: Atom) -> Shape {
        self.b.shape(a).clone()
    }

    fn pick(&self, k: u16) -> Value {
        self.pool[k as usize % self.pool.len()]
    }

    /// A pool value of the same shape as `like`, searching from `k`.
    fn pick_same(&self, k: u16, like: Atom, exact: bool) -> Option<Value> {
        let s = self.shape(like);
        let n = self.pool.len();
        (0..n)
            .map(|i| self.pool[(k as usize + i) % n])
            .find(|v| self.shape(v.atom) == s && (!exact || v.exact))
    }

    fn add(&mut self, prim: Prim, args: &[Atom]) -> Option<Atom> {
        self.b.add(prim, args).ok()
    }

    fn push(&mut self, atom: Option<Atom>, exact: bool) {
        if let Some(atom) = atom {
            self.pool.push(Value { atom, exact });
        }
    }

    fn unary(&mut self, which: u16, x: Value) {
        // Periodic functions of a large, rounded argument amplify its error
        // without bound; squash inexact arguments first.
        let a = if x.exact || !matches!(which % 16, 1 | 2) {
            x.atom
        } else {
            match self.add(Prim::Tanh, &[x.atom]) {
                Some(t) => t,
                None => return,
            }
        };
        let lit = Atom::lit;
        let out = match which % 16 {
            0 => self.add(Prim::Neg, &[a]),
            1 => self.add(Prim::Sin, &[a]),
            2 => self.add(Prim::Cos, &[a]),
            3 => self.add(Prim::Tanh, &[a]),
            4 => self.add(Prim::Atan, &[a]),
            5 => self.add(Prim::Abs, &[a]),
            6 => self.add(Prim::IntPow(2), &[a]),
            7 => {
                let t = self.add(Prim::Tanh, &[a]);
                t.and_then(|t| self.add(Prim::Exp, &[t]))
            }
            8 => {
                let t = self.add(Prim::Abs, &[a]);
                t.and_then(|t| self.add(Prim::Log1p, &[t]))
            }
            9 => {
                let t = self.add(Prim::Abs, &[a]);
                let t = t.and_then(|t| self.add(Prim::Add, &[t, lit(0.25)]));
                t.and_then(|t| self.add(Prim::Sqrt, &[t]))
            }
            10 => {
                let t = self.add(Prim::Tanh, &[a]);
                t.and_then(|t| self.add(Prim::Tan, &[t]))
            }
            11 => {
                let t = self.add(Prim::Tanh, &[a]);
                t.and_then(|t| self.add(Prim::Expm1, &[t]))
            }
            12 => {
                let t = self.add(Prim::Abs, &[a]);
                let t = t.and_then(|t| self.add(Prim::Add, &[t, lit(1.0)]));
                let t = t.and_then(|t| self.add(Prim::Log, &[t]));
                t.and_then(|t| self.add(Prim::IntPow(-2), &[t]))
                    .and_then(|_| self.add(Prim::IntPow(3), &[a]))
            }
            13 => self.add(Prim::StopGradient, &[a]),
            14 if x.exact => self.add(Prim::Sign, &[a]),
            _ => {
                let t = self.add(Prim::IntPow(2), &[a]);
                let t = t.and_then(|t| self.add(Prim::Add, &[t, lit(1.0)]));
                t.and_then(|t| self.add(Prim::IntPow(-1), &[t]))
            }
        };
        // Transcendentals run vectorized in fused loops and through libm in
        // the reference: equal to a few ulp, not bit for bit.
        let libm_exact = !matches!(which % 16, 1 | 2 | 3 | 7 | 8 | 10 | 11 | 12);
        self.push(out, x.exact && libm_exact);
    }

    fn binary(&mut self, which: u16, x: Value, y: Value, lit: f64) {
        let (a, b) = (x.atom, y.atom);
        let exact = x.exact && y.exact;
        let out = match which % 11 {
            0 => self.add(Prim::Add, &[a, b]),
            1 => self.add(Prim::Sub, &[a, b]),
            2 => self.add(Prim::Mul, &[a, b]),
            3 => self.add(Prim::Max, &[a, b]),
            4 => self.add(Prim::Min, &[a, b]),
            5 => {
                let d = self.add(Prim::IntPow(2), &[b]);
                let d = d.and_then(|d| self.add(Prim::Add, &[d, Atom::lit(1.0)]));
                d.and_then(|d| self.add(Prim::Div, &[a, d]))
            }
            6 => {
                let base = self.add(Prim::Abs, &[a]);
                let base = base.and_then(|t| self.add(Prim::Add, &[t, Atom::lit(0.5)]));
                let e = self.add(Prim::Tanh, &[b]);
                base.zip(e).and_then(|(p, q)| self.add(Prim::Pow, &[p, q]))
            }
            7 if exact => {
                let op = CmpOp::ALL[(lit.to_bits() % 6) as usize];
                self.add(Prim::Compare(op), &[a, b])
            }
            8 if x.exact => {
                // select(a > 0.3, b, -b) plus a literal branch sometimes
                let c = self.add(Prim::Compare(CmpOp::Gt), &[a, Atom::lit(0.3)]);
                let nb = self.add(Prim::Neg, &[b]);
                let other = if lit > 1.0 { Some(Atom::lit(lit)) } else { nb };
                c.zip(other)
                    .and_then(|(c, o)| self.add(Prim::Select, &[c, b, o]))
            }
            9 => self.add(Prim::Mul, &[a, Atom::lit(lit)]),
            _ => self.add(Prim::Sub, &[Atom::lit(lit), a]),
        };
        let exact = match which % 11 {
            9 | 10 => x.exact,
            _ => exact,
        };
        self.push(out, exact);
    }

    fn step(&mut self, (op, k1, k2, k3, lit): Step, dims: [usize; 3], idx: [Atom; 2]) {
        let x = self.pick(k1);
        let xs = self.shape(x.atom);
        let r = xs.rank();
        match op % 16 {
            0..=2 => self.unary(k2, x),
            3..=5 => {
                let y = self.pick_same(k2, x.atom, false).unwrap_or(x);
                self.binary(k3, x, y, lit)
            }
            6 => {
                // sum or max over a random non-empty subset of axes
                if r == 0 {
                    return;
                }
                let mut axes: Vec<usize> = (0..r).filter(|i| (k2 >> i) & 1 == 1).collect();
                if axes.is_empty() {
                    axes.push(k2 as usize % r);
                }
                let prim = if k3 % 3 == 0 {
                    Prim::ReduceMax { axes }
                } else {
                    Prim::ReduceSum { axes }
                };
                let out = self.add(prim, &[x.atom]);
                self.push(out, false);
            }
            7 => {
                let shape = match k2 % 3 {
                    0 => vec![xs.numel()],
                    1 => xs.iter().rev().copied().collect(),
                    _ => {
                        let mut s = xs.0.to_vec();
                        s.insert(k3 as usize % (r + 1), 1);
                        s
                    }
                };
                let out = self.add(Prim::Reshape { shape }, &[x.atom]);
                self.push(out, x.exact);
            }
            8 => {
                if r < 2 {
                    return;
                }
                let mut perm: Vec<usize> = (0..r).collect();
                let mut rng = StdRng::seed_from_u64(k2 as u64);
                for i in (1..r).rev() {
                    perm.swap(i, rng.gen_range(0..=i));
                }
                let out = self.add(Prim::Transpose { perm }, &[x.atom]);
                self.push(out, x.exact);
            }
            9 => {
                // broadcast: insert one new axis, or a scalar/literal to a shape
                let (operand, shape, bdims) = if k3 % 3 == 0 {
                    let like = self.pick(k2);
                    let a = if r == 0 { x.atom } else { Atom::lit(lit) };
                    (a, self.shape(like.atom).0.to_vec(), vec![])
                } else {
                    let pos = k2 as usize % (r + 1);
                    let mut shape = xs.0.to_vec();
                    shape.insert(pos, 1 + (k3 as usize % 3));
                    let bd: Vec<usize> = (0..r).map(|j| if j < pos { j } else { j + 1 }).collect();
                    (x.atom, shape, bd)
                };
                let out = self.add(Prim::BroadcastInDim { shape, dims: bdims }, &[operand]);
                self.push(out, x.exact);
            }
            10 if k3 % 3 == 0 && r >= 1 && xs.numel() > 0 => {
                // contiguous slices: a range of the leading axis (views)
                let d = xs[0];
                let lo = k2 as usize % d;
                let hi = lo + 1 + (k2 as usize / 7) % (d - lo);
                let mut start = vec![0; r];
                let mut limit = xs.0.to_vec();
                start[0] = lo;
                limit[0] = hi;
                let out = self.add(
                    Prim::Slice {
                        start,
                        limit,
                        stride: vec![1; r],
                    },
                    &[x.atom],
                );
                self.push(out, x.exact);
            }
            10 if k3 % 3 == 1 && r >= 1 && xs.numel() > 0 => {
                // x + broadcast(one element of x): a splat read of a buffer
                // the same loop may overwrite in place
                let start: Vec<usize> = xs.iter().map(|&d| k2 as usize % d).collect();
                let limit: Vec<usize> = start.iter().map(|&s| s + 1).collect();
                let e = self.add(
                    Prim::Slice {
                        start,
                        limit,
                        stride: vec![1; r],
                    },
                    &[x.atom],
                );
                let e = e.and_then(|e| self.add(Prim::Reshape { shape: vec![] }, &[e]));
                let bshape = xs.0.to_vec();
                let e = e.and_then(|e| {
                    self.add(
                        Prim::BroadcastInDim {
                            shape: bshape,
                            dims: vec![],
                        },
                        &[e],
                    )
                });
                let out = e.and_then(|e| self.add(Prim::Add, &[x.atom, e]));
                self.push(out, x.exact);
            }
            10 => {
                let mut rng = StdRng::seed_from_u64(k2 as u64 ^ 0x5eed);
                let (mut start, mut limit, mut stride) = (vec![], vec![], vec![]);
                for &d in xs.iter() {
                    let s = rng.gen_range(0..d.max(1));
                    let l = rng.gen_range(s..=d);
                    start.push(s);
                    limit.push(l.max(s));
                    stride.push(rng.gen_range(1..3));
                }
                let out = self.add(
                    Prim::Slice {
                        start,
                        limit,
                        stride,
                    },
                    &[x.atom],
                );
                self.push(out, x.exact);
            }
            11 => {
                let mut rng = StdRng::seed_from_u64(k2 as u64 ^ 0xbad);
                let mut g = || (0..r).map(|_| rng.gen_range(0..3)).collect::<Vec<usize>>();
                let (low, high, interior) = (g(), g(), g());
                let out = self.add(
                    Prim::Pad {
                        low,
                        high,
                        interior,
                    },
                    &[x.atom],
                );
                self.push(out, x.exact);
            }
            12 => {
                if r == 0 {
                    return;
                }
                let y = self.pick_same(k2, x.atom, false).unwrap_or(x);
                let axis = k3 as usize % r;
                let out = self.add(Prim::Concat { axis }, &[x.atom, y.atom, x.atom]);
                self.push(out, x.exact && y.exact);
            }
            13 => {
                if r != 2 {
                    return;
                }
                // a with a random partner, else with itself transposed
                let n = self.pool.len();
                let partner = (0..n).map(|i| self.pool[(k2 as usize + i) % n]).find(|v| {
                    let s = self.shape(v.atom);
                    s.rank() == 2 && s[0] == xs[1]
                });
                let out = match (partner, k3 % 3) {
                    (Some(p), 0) => self.add(
                        Prim::MatMul {
                            transpose_lhs: false,
                            transpose_rhs: false,
                        },
                        &[x.atom, p.atom],
                    ),
                    (_, 1) => self.add(
                        Prim::MatMul {
                            transpose_lhs: true,
                            transpose_rhs: false,
                        },
                        &[x.atom, x.atom],
                    ),
                    _ => self.add(
                        Prim::MatMul {
                            transpose_lhs: false,
                            transpose_rhs: true,
                        },
                        &[x.atom, x.atom],
                    ),
                };
                self.push(out, false);
            }
            14 => {
                // take along axis 1 of a [d0, d1] value, or axis 0
                let target = Shape::from([dims[0], dims[1]]);
                let Some(v) = self
                    .pool
                    .iter()
                    .rev()
                    .find(|v| self.shape(v.atom) == target)
                    .copied()
                else {
                    return;
                };
                let (ix, axis) = if k2 % 2 == 0 {
                    (idx[0], 1)
                } else {
                    (idx[1], 0)
                };
                let out = self.add(Prim::TakeAlongAxis { axis }, &[v.atom, ix]);
                self.push(out, v.exact);
            }
            _ => {
                // scatter a [d0, 2] value into [d0, d1] along axis 1
                let target = Shape::from([dims[0], 2]);
                let Some(v) = self
                    .pool
                    .iter()
                    .rev()
                    .find(|v| self.shape(v.atom) == target)
                    .copied()
                else {
                    // make one by taking
                    let out = self.add(
                        Prim::TakeAlongAxis { axis: 1 },
                        &[self.pool[0].atom, idx[0]],
                    );
                    self.push(out, self.pool[0].exact);
                    return;
                };
                let out = self.add(
                    Prim::ScatterAddAlongAxis {
                        axis: 1,
                        size: dims[1],
                    },
                    &[v.atom, idx[0]],
                );
                self.push(out, false);
            }
        }
    }
}

/// Builds a graph and its inputs (as f64) from a recipe.
fn grow(dims: [usize; 3], steps: &[Step], n_out: usize, seed: u64) -> (Graph, Vec<Vec<f64>>) {
    let [d0, d1, d2] = dims;
    let mut b = GraphBuilder::new(DType::F64);
    let x = b.input(Shape::from([d0, d1]));
    let y = b.input(Shape::from([d1, d2]));
    let z = b.input(Shape::from([d0]));
    let s = b.input(Shape::scalar());
    let i1 = b.input(Shape::from([d0, 2])); // indices into axis 1 of [d0, d1]
    let i0 = b.input(Shape::from([2, d1])); // indices into axis 0 of [d0, d1]
    let mut rng = StdRng::seed_from_u64(seed);
    let mut val = |n: usize| {
        (0..n)
            .map(|_| rng.gen_range(-1.5..1.5))
            .collect::<Vec<f64>>()
    };
    let mut inputs = vec![val(d0 * d1), val(d1 * d2), val(d0), val(1)];
    let mut rng = StdRng::seed_from_u64(seed ^ 1);
    inputs.push((0..d0 * 2).map(|_| rng.gen_range(0..d1) as f64).collect());
    inputs.push((0..2 * d1).map(|_| rng.gen_range(0..d0) as f64).collect());
    let exact = |v| Value {
        atom: Atom::Var(v),
        exact: true,
    };
    let mut gr = Grower {
        b,
        pool: vec![exact(x), exact(y), exact(z), exact(s)],
    };
    for &st in steps {
        gr.step(st, dims, [i1.into(), i0.into()]);
    }
    let mut outputs: Vec<Atom> = gr.pool.iter().rev().take(n_out).map(|v| v.atom).collect();
    if seed % 7 == 1 {
        outputs.push(Atom::lit(0.5));
    }
    if seed % 5 == 1 {
        outputs.push(x.into());
    }
    (gr.b.finish(outputs), inputs)
}

fn compare<T: hvp_tensor::Float>(
    g: &Graph,
    inputs: &[Vec<T>],
    tol: f64,
) -> Result<(), TestCaseError> {
    let views: Vec<&[T]> = inputs.iter().map(|v| v.as_slice()).collect();
    let reference = eval_reference(g, &views).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut outs: Vec<Vec<T>> = reference.iter().map(|o| vec![T::nan(); o.len()]).collect();
    let fast = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let plan = Plan::compile(g)?;
        let mut ws = plan.workspace::<T>();
        // Twice on one workspace: reused buffers must not leak state.
        for _ in 0..2 {
            let mut o: Vec<&mut [T]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
            plan.run(&mut ws, &views, &mut o)?;
        }
        Ok::<(), hvp_exec::ExecError>(())
    }));
    match fast {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(TestCaseError::fail(format!("{e}\n{g}"))),
        Err(_) => return Err(TestCaseError::fail(format!("the plan panicked on\n{g}"))),
    }
    for (k, (r, f)) in reference.iter().zip(&outs).enumerate() {
        let scale = r
            .iter()
            .map(|&v| hvp_tensor::Float::to_f64(v).abs())
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max);
        for (i, (a, b)) in r.iter().zip(f).enumerate() {
            let (a, b) = (hvp_tensor::Float::to_f64(*a), hvp_tensor::Float::to_f64(*b));
            let ok = (a.is_nan() && b.is_nan())
                || a.to_bits() == b.to_bits()
                || (a - b).abs() <= tol * scale;
            prop_assert!(ok, "output {k}[{i}]: reference {a}, plan {b}\n{g}");
        }
    }
    Ok(())
}

fn recipe() -> impl Strategy<Value = ([usize; 3], Vec<Step>, usize, u64)> {
    let dim = prop::sample::select(vec![1usize, 2, 3, 4, 7, 33]);
    (
        (
            dim.clone(),
            dim,
            prop::sample::select(vec![1usize, 2, 3, 5]),
        ),
        prop::collection::vec(
            (
                any::<u8>(),
                any::<u16>(),
                any::<u16>(),
                any::<u16>(),
                -2.0f64..2.0,
            ),
            1..28,
        ),
        1usize..4,
        any::<u64>(),
    )
        .prop_map(|((a, b, c), s, n, seed)| ([a, b, c], s, n, seed))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn plan_matches_reference_f64((dims, steps, n_out, seed) in recipe()) {
        let (g, inputs) = grow(dims, &steps, n_out, seed);
        compare::<f64>(&g, &inputs, 1e-12)?;
    }

    #[test]
    fn plan_matches_reference_f32((dims, steps, n_out, seed) in recipe()) {
        let (g, inputs) = grow(dims, &steps, n_out, seed);
        let g = g.with_dtype(DType::F32);
        let inputs: Vec<Vec<f32>> = inputs.iter().map(|v| v.iter().map(|&x| x as f32).collect()).collect();
        compare::<f32>(&g, &inputs, 1e-5)?;
    }
}
