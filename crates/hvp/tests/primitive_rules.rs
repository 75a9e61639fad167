//! Level 1 of the test pyramid: every primitive's JVP rule against
//! fourth-order central differences, its transpose through the dot-product
//! identity, and its second derivatives (the rules differentiated again)
//! against differences of gradients, at random points and at edges.

use hvp::ir::{Atom, CmpOp, DType, Graph, GraphBuilder, Prim, Shape};
use hvp::{Function, HvpMode, Spec};
use hvp_testkit::{central_jvp4, dot, TestRng, Tolerance};

/// How to exercise one primitive.
struct CheckSpec {
    prim: Prim,
    /// Operand shapes.
    shapes: Vec<Vec<usize>>,
    /// Sampling interval per operand.
    domain: Vec<(f64, f64)>,
    /// Operands held fixed (indices, conditions), with their values.
    fixed: Vec<Option<Vec<f64>>>,
    /// Extra points to check (one value per element, operands concatenated
    /// in order, fixed ones excluded), e.g. saturation or near-zero.
    edges: Vec<Vec<f64>>,
    /// The primitive's derivative is zero almost everywhere by definition
    /// although its values move (stop_gradient).
    zero_derivative: bool,
    /// Difference step: small where higher derivatives are large.
    fd_step: f64,
}

fn spec(prim: Prim, shapes: &[&[usize]], domain: (f64, f64)) -> CheckSpec {
    CheckSpec {
        prim,
        shapes: shapes.iter().map(|s| s.to_vec()).collect(),
        domain: vec![domain; shapes.len()],
        fixed: vec![None; shapes.len()],
        edges: vec![],
        zero_derivative: false,
        fd_step: 1e-3,
    }
}

impl CheckSpec {
    fn edges(mut self, e: &[&[f64]]) -> Self {
        self.edges = e.iter().map(|p| p.to_vec()).collect();
        self
    }
    fn fixed(mut self, i: usize, v: Vec<f64>) -> Self {
        self.fixed[i] = Some(v);
        self
    }
    fn step(mut self, h: f64) -> Self {
        self.fd_step = h;
        self
    }
    fn domains(mut self, d: &[(f64, f64)]) -> Self {
        self.domain = d.to_vec();
        self
    }
}

/// One index per variant of `Prim`; the exhaustive match makes a new
/// primitive fail to compile here until it has a check spec.
fn variant(p: &Prim) -> usize {
    match p {
        Prim::Neg => 0,
        Prim::Exp => 1,
        Prim::Log => 2,
        Prim::Log1p => 3,
        Prim::Expm1 => 4,
        Prim::Sqrt => 5,
        Prim::Sin => 6,
        Prim::Cos => 7,
        Prim::Tan => 8,
        Prim::Atan => 9,
        Prim::Tanh => 10,
        Prim::Abs => 11,
        Prim::Sign => 12,
        Prim::IntPow(_) => 13,
        Prim::StopGradient => 14,
        Prim::Add => 15,
        Prim::Sub => 16,
        Prim::Mul => 17,
        Prim::Div => 18,
        Prim::Pow => 19,
        Prim::Max => 20,
        Prim::Min => 21,
        Prim::Compare(_) => 22,
        Prim::Select => 23,
        Prim::ReduceSum { .. } => 24,
        Prim::ReduceMax { .. } => 25,
        Prim::Reshape { .. } => 26,
        Prim::Transpose { .. } => 27,
        Prim::BroadcastInDim { .. } => 28,
        Prim::Slice { .. } => 29,
        Prim::Pad { .. } => 30,
        Prim::Concat { .. } => 31,
        Prim::TakeAlongAxis { .. } => 32,
        Prim::ScatterAddAlongAxis { .. } => 33,
        Prim::MatMul { .. } => 34,
    }
}
const NUM_VARIANTS: usize = 35;

fn specs() -> Vec<CheckSpec> {
    let v = &[5usize][..];
    let m23 = &[2usize, 3][..];
    let mut out = vec![
        spec(Prim::Neg, &[v], (-2.0, 2.0)),
        spec(Prim::Exp, &[v], (-3.0, 3.0)).edges(&[&[0.0, -30.0, 10.0, 1e-9, -1e-9]]),
        spec(Prim::Log, &[v], (0.2, 5.0))
            .edges(&[&[1.0, 0.1, 1e3, 2.0, 0.5]])
            .step(2e-4),
        spec(Prim::Log1p, &[v], (-0.5, 3.0))
            .edges(&[&[0.0, 1e-10, -1e-10, -0.9, 1e4]])
            .step(2e-4),
        spec(Prim::Expm1, &[v], (-3.0, 3.0)).edges(&[&[0.0, 1e-10, -1e-10, -20.0, 5.0]]),
        spec(Prim::Sqrt, &[v], (0.1, 4.0))
            .edges(&[&[0.1, 1.0, 1e4, 0.25, 9.0]])
            .step(2e-4),
        spec(Prim::Sin, &[v], (-4.0, 4.0)).edges(&[&[
            0.0,
            std::f64::consts::FRAC_PI_2,
            1e3,
            -3.0,
            1e-8,
        ]]),
        spec(Prim::Cos, &[v], (-4.0, 4.0)).edges(&[&[0.0, std::f64::consts::PI, 1e3, -3.0, 1e-8]]),
        spec(Prim::Tan, &[v], (-1.2, 1.2))
            .edges(&[&[0.0, 1.4, -1.4, 1e-8, 0.7]])
            .step(2e-4),
        spec(Prim::Atan, &[v], (-3.0, 3.0)).edges(&[&[0.0, 1e3, -1e3, 1e-8, 1.0]]),
        spec(Prim::Tanh, &[v], (-3.0, 3.0)).edges(&[&[0.0, 20.0, -20.0, 400.0, -400.0]]),
        spec(Prim::Abs, &[v], (0.1, 3.0))
            .edges(&[&[-1.0, 2.0, -1e-2, 1e-2, -5.0]])
            .step(2e-4),
        spec(Prim::Sign, &[v], (0.1, 3.0))
            .edges(&[&[-1.0, 2.0, -1e-2, 1e-2, -5.0]])
            .step(2e-4),
        spec(Prim::IntPow(3), &[v], (-2.0, 2.0)).edges(&[&[0.0, 1.0, -1.0, 10.0, 1e-5]]),
        spec(Prim::IntPow(-2), &[v], (0.5, 2.0))
            .edges(&[&[-1.0, 1.0, -0.7, 3.0, 0.6]])
            .step(2e-4),
        spec(Prim::IntPow(0), &[v], (-2.0, 2.0)),
        spec(Prim::IntPow(2), &[v], (-2.0, 2.0)).edges(&[&[0.0, 1.0, -1.0, 1e3, 1e-5]]),
        CheckSpec {
            zero_derivative: true,
            ..spec(Prim::StopGradient, &[v], (-2.0, 2.0))
        },
        spec(Prim::Add, &[v, v], (-2.0, 2.0)),
        spec(Prim::Sub, &[v, v], (-2.0, 2.0)),
        spec(Prim::Mul, &[v, v], (-2.0, 2.0)),
        spec(Prim::Div, &[v, v], (0.5, 2.0)).domains(&[(-2.0, 2.0), (0.5, 2.0)]),
        spec(Prim::Pow, &[v, v], (0.3, 2.0)).domains(&[(0.3, 3.0), (-2.0, 2.5)]),
        spec(Prim::Max, &[v, v], (-2.0, 2.0)),
        spec(Prim::Min, &[v, v], (-2.0, 2.0)),
        spec(Prim::Select, &[v, v, v], (-2.0, 2.0)).fixed(0, vec![1.0, 0.0, 0.0, 2.0, -1.0]),
        spec(Prim::ReduceSum { axes: vec![1] }, &[m23], (-2.0, 2.0)),
        spec(Prim::ReduceSum { axes: vec![0, 1] }, &[m23], (-2.0, 2.0)),
        spec(Prim::ReduceMax { axes: vec![1] }, &[m23], (-2.0, 2.0)),
        spec(Prim::ReduceMax { axes: vec![0] }, &[m23], (-2.0, 2.0)),
        spec(Prim::Reshape { shape: vec![3, 2] }, &[m23], (-2.0, 2.0)),
        spec(
            Prim::Transpose {
                perm: vec![2, 0, 1],
            },
            &[&[2, 3, 4]],
            (-2.0, 2.0),
        ),
        spec(
            Prim::BroadcastInDim {
                shape: vec![2, 3],
                dims: vec![1],
            },
            &[&[3]],
            (-2.0, 2.0),
        ),
        spec(
            Prim::BroadcastInDim {
                shape: vec![4, 2, 3],
                dims: vec![1, 2],
            },
            &[&[1, 3]],
            (-2.0, 2.0),
        ),
        spec(
            Prim::Slice {
                start: vec![0, 1],
                limit: vec![3, 7],
                stride: vec![2, 3],
            },
            &[&[4, 7]],
            (-2.0, 2.0),
        ),
        spec(
            Prim::Pad {
                low: vec![1, 0],
                high: vec![0, 2],
                interior: vec![1, 2],
            },
            &[m23],
            (-2.0, 2.0),
        ),
        spec(Prim::Concat { axis: 1 }, &[m23, &[2, 1], m23], (-2.0, 2.0)),
        spec(
            Prim::TakeAlongAxis { axis: 1 },
            &[&[3, 4], &[3, 2]],
            (-2.0, 2.0),
        )
        .fixed(1, vec![0.0, 3.0, 2.0, 2.0, 1.0, 0.0]),
        spec(
            Prim::ScatterAddAlongAxis { axis: 0, size: 4 },
            &[&[3, 2], &[3, 2]],
            (-2.0, 2.0),
        )
        .fixed(1, vec![0.0, 3.0, 0.0, 1.0, 3.0, 3.0]),
    ];
    for op in CmpOp::ALL {
        out.push(spec(Prim::Compare(op), &[v, v], (-2.0, 2.0)));
    }
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a: &[usize] = if ta { &[2, 4, 3] } else { &[2, 3, 4] };
        let b: &[usize] = if tb { &[2, 5, 4] } else { &[2, 4, 5] };
        out.push(spec(
            Prim::MatMul {
                transpose_lhs: ta,
                transpose_rhs: tb,
            },
            &[a, b],
            (-2.0, 2.0),
        ));
    }
    out
}

/// The graph `inputs -> prim(inputs)` and the specs marking fixed operands
/// as data.
fn primitive_function(s: &CheckSpec) -> (Function, Vec<Spec>) {
    let mut b = GraphBuilder::new(DType::F64);
    let mut specs = Vec::new();
    let ins: Vec<Atom> = s
        .shapes
        .iter()
        .zip(&s.fixed)
        .map(|(sh, f)| {
            specs.push(if f.is_some() {
                Spec::data(sh)
            } else {
                Spec::new(sh)
            });
            b.input(Shape::from(sh.as_slice())).into()
        })
        .collect();
    let y = b
        .add(s.prim.clone(), &ins)
        .expect("check spec is well typed");
    let g = b.finish(vec![y]);
    (Function::from_graph(g, &specs).unwrap(), specs)
}

/// `inputs, w -> sum(w * prim(inputs))`, a scalar whose Hessian exercises
/// the derivative of every JVP rule.
fn weighted_sum(s: &CheckSpec) -> Function {
    let mut b = GraphBuilder::new(DType::F64);
    let mut specs = Vec::new();
    let ins: Vec<Atom> = s
        .shapes
        .iter()
        .zip(&s.fixed)
        .map(|(sh, f)| {
            specs.push(if f.is_some() {
                Spec::data(sh)
            } else {
                Spec::new(sh)
            });
            b.input(Shape::from(sh.as_slice())).into()
        })
        .collect();
    let y = b.add(s.prim.clone(), &ins).unwrap();
    let ys = b.shape(y).clone();
    specs.push(Spec::data(&ys));
    let w = b.input(ys);
    let p = b.mul(y, w.into()).unwrap();
    let out = b.sum_all(p).unwrap();
    let g: Graph = b.finish(vec![out]);
    Function::from_graph(g, &specs).unwrap()
}

/// Assembles a full point from the free values and the fixed operands.
fn point(s: &CheckSpec, free: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut k = 0;
    for (sh, f) in s.shapes.iter().zip(&s.fixed) {
        let n: usize = sh.iter().product();
        match f {
            Some(v) => out.extend_from_slice(v),
            None => {
                out.extend_from_slice(&free[k..k + n]);
                k += n;
            }
        }
    }
    out
}

fn free_points(s: &CheckSpec, rng: &mut TestRng) -> Vec<Vec<f64>> {
    let mut pts: Vec<Vec<f64>> = (0..3)
        .map(|_| {
            s.shapes
                .iter()
                .zip(&s.fixed)
                .zip(&s.domain)
                .filter(|((_, f), _)| f.is_none())
                .flat_map(|((sh, _), &(lo, hi))| {
                    let n: usize = sh.iter().product();
                    (0..n).map(|_| rng.uniform(lo, hi)).collect::<Vec<_>>()
                })
                .collect()
        })
        .collect();
    pts.extend(s.edges.iter().cloned());
    pts
}

fn fd_tolerance() -> Tolerance {
    Tolerance {
        abs: 1e-7,
        rel: 1e-7,
    }
}

#[test]
fn every_primitive_has_a_check_spec() {
    let mut seen = [false; NUM_VARIANTS];
    for s in specs() {
        seen[variant(&s.prim)] = true;
    }
    let missing: Vec<usize> = (0..NUM_VARIANTS).filter(|&i| !seen[i]).collect();
    assert!(
        missing.is_empty(),
        "primitives without a check spec: {missing:?}"
    );
}

#[test]
fn jvp_rules_match_central_differences() {
    let mut rng = TestRng::new(7);
    for s in specs() {
        let (f, _) = primitive_function(&s);
        let n = f.num_params();
        for free in free_points(&s, &mut rng) {
            let x = point(&s, &free);
            let t = rng.vec(n, -1.0, 1.0);
            let (_, jt) = f.jvp(&x, &t).unwrap();
            let ad = jt[0].data().to_vec();
            let fd = if s.zero_derivative {
                vec![0.0; ad.len()]
            } else {
                let h = s.fd_step;
                central_jvp4(
                    |y: &[f64]| f.call(&point(&s, y)).unwrap()[0].data().to_vec(),
                    &free,
                    &t,
                    h,
                )
            };
            assert!(
                fd_tolerance().close_vec(&ad, &fd),
                "{} at {free:?}: jvp {ad:?} vs differences {fd:?}",
                s.prim.name()
            );
        }
    }
}

#[test]
fn transposes_satisfy_the_dot_product_identity() {
    let mut rng = TestRng::new(11);
    for s in specs() {
        let (f, _) = primitive_function(&s);
        for free in free_points(&s, &mut rng) {
            let x = point(&s, &free);
            let t = rng.vec(f.num_params(), -1.0, 1.0);
            let (y, jt) = f.jvp(&x, &t).unwrap();
            let ct = rng.vec(y[0].data().len(), -1.0, 1.0);
            let (_, jtct) = f.vjp(&x, &ct).unwrap();
            let lhs = dot(&ct, jt[0].data());
            let rhs = dot(&jtct, &t);
            assert!(
                Tolerance::AD_F64.close(lhs, rhs),
                "{}: <ct, J t> = {lhs} but <J^T ct, t> = {rhs}",
                s.prim.name()
            );
        }
    }
}

#[test]
fn second_derivatives_match_differences_of_gradients_in_every_mode() {
    let mut rng = TestRng::new(13);
    for s in specs() {
        let f = weighted_sum(&s);
        let n = f.num_params();
        let (fp, _) = primitive_function(&s);
        let n_out = fp.call(&point(&s, &free_points(&s, &mut rng)[0])).unwrap()[0]
            .data()
            .len();
        for free in free_points(&s, &mut rng) {
            let w = rng.vec(n_out, -1.0, 1.0);
            let mut x = point(&s, &free);
            x.extend_from_slice(&w);
            let v = rng.vec(n, -1.0, 1.0);
            let fd = if s.zero_derivative {
                vec![0.0; n]
            } else {
                let h = s.fd_step;
                central_jvp4(
                    |y: &[f64]| {
                        let mut p = point(&s, y);
                        p.extend_from_slice(&w);
                        f.grad(&p).unwrap()
                    },
                    &free,
                    &v,
                    h,
                )
            };
            let mut first: Option<Vec<f64>> = None;
            for mode in [
                HvpMode::ForwardOverReverse,
                HvpMode::ReverseOverForward,
                HvpMode::ReverseOverReverse,
            ] {
                let hv = f.hvp_with(&x, &v, mode).unwrap();
                assert!(
                    fd_tolerance().close_vec(&hv, &fd),
                    "{} {mode:?} at {free:?}: {hv:?} vs differences {fd:?}",
                    s.prim.name()
                );
                if let Some(f0) = &first {
                    assert!(
                        Tolerance::AD_F64.close_vec(f0, &hv),
                        "{}: modes disagree: {f0:?} vs {hv:?}",
                        s.prim.name()
                    );
                } else {
                    first = Some(hv);
                }
            }
        }
    }
}
