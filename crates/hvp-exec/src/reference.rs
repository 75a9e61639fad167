//! The reference evaluator: the oracle the fast executor is tested against.
//!
//! Each primitive is one plain loop over multi-indices, written from the
//! semantics documented on [`hvp_ir::Prim`] and sharing no numeric code with
//! the kernels of `hvp-tensor`, so that a bug in a fast path cannot hide in
//! the oracle too. It is slow on purpose: clarity is the point.
//!
//! ```
//! use hvp_ir::{GraphBuilder, Prim, Shape, DType};
//! let mut b = GraphBuilder::new(DType::F64);
//! let x = b.input(Shape::from([3]));
//! let sq = b.add(Prim::Mul, &[x.into(), x.into()]).unwrap();
//! let s = b.add(Prim::ReduceSum { axes: vec![0] }, &[sq]).unwrap();
//! let g = b.finish(vec![s]);
//! let out = hvp_exec::eval_reference(&g, &[&[1.0, 2.0, 3.0]]).unwrap();
//! assert_eq!(out, vec![vec![14.0]]);
//! ```

use crate::{validate_call, ExecError};
use hvp_ir::{verify, Atom, Graph, Prim};
use hvp_tensor::{Float, Shape};

/// One operand of an equation: its elements, its shape and whether it is a
/// literal (which elementwise primitives broadcast).
struct Arg<T> {
    data: Vec<T>,
    shape: Shape,
    lit: bool,
}

impl<T: Float> Arg<T> {
    /// The operand's element at flat position `k` of an elementwise result.
    fn at(&self, k: usize) -> T {
        if self.lit {
            self.data[0]
        } else {
            self.data[k]
        }
    }
}

/// Evaluates `graph` on `inputs` with plain loops and returns its outputs
/// (row-major, one `Vec` per output; a literal output is a one-element
/// vector).
///
/// Errors: an invalid graph, a dtype other than `T`'s, a wrong number of
/// inputs or a wrong input length, and an index operand holding a value that
/// is not an integer in range ([`ExecError::BadIndex`]).
pub fn eval_reference<T: Float>(graph: &Graph, inputs: &[&[T]]) -> Result<Vec<Vec<T>>, ExecError> {
    verify(graph)?;
    validate_call(graph, T::DTYPE, inputs)?;
    let mut env: Vec<Option<Vec<T>>> = vec![None; graph.vars.len()];
    for (&v, x) in graph.inputs.iter().zip(inputs) {
        env[v.index()] = Some(x.to_vec());
    }
    let read = |env: &[Option<Vec<T>>], a: Atom| -> Arg<T> {
        match a {
            Atom::Var(v) => Arg {
                data: env[v.index()]
                    .clone()
                    .expect("verified graphs bind before use"),
                shape: graph.vars[v.index()].clone(),
                lit: false,
            },
            Atom::Lit(l) => Arg {
                data: vec![T::from_f64(l.0)],
                shape: Shape::scalar(),
                lit: true,
            },
        }
    };
    for (i, e) in graph.eqns.iter().enumerate() {
        let args: Vec<Arg<T>> = e.inputs.iter().map(|&a| read(&env, a)).collect();
        let out_shape = &graph.vars[e.out.index()];
        let out = eval_eqn(i, &e.prim, &args, out_shape)?;
        debug_assert_eq!(out.len(), out_shape.numel());
        env[e.out.index()] = Some(out);
    }
    Ok(graph.outputs.iter().map(|&a| read(&env, a).data).collect())
}

fn eval_eqn<T: Float>(
    eqn: usize,
    prim: &Prim,
    args: &[Arg<T>],
    out_shape: &Shape,
) -> Result<Vec<T>, ExecError> {
    let n = out_shape.numel();
    let un = |f: &dyn Fn(T) -> T| (0..n).map(|k| f(args[0].at(k))).collect::<Vec<T>>();
    let bin = |f: &dyn Fn(T, T) -> T| {
        (0..n)
            .map(|k| f(args[0].at(k), args[1].at(k)))
            .collect::<Vec<T>>()
    };
    let one = |b: bool| if b { T::one() } else { T::zero() };
    Ok(match prim {
        Prim::Neg => un(&|a| -a),
        Prim::Exp => un(&|a| a.exp()),
        Prim::Log => un(&|a| a.ln()),
        Prim::Log1p => un(&|a| a.ln_1p()),
        Prim::Expm1 => un(&|a| a.exp_m1()),
        Prim::Sqrt => un(&|a| a.sqrt()),
        Prim::Sin => un(&|a| a.sin()),
        Prim::Cos => un(&|a| a.cos()),
        Prim::Tan => un(&|a| a.tan()),
        Prim::Atan => un(&|a| a.atan()),
        Prim::Tanh => un(&|a| a.tanh()),
        Prim::Abs => un(&|a| a.abs()),
        Prim::Sign => un(&|a| {
            if a > T::zero() {
                T::one()
            } else if a < T::zero() {
                -T::one()
            } else {
                a
            }
        }),
        Prim::IntPow(p) => un(&|a| a.powi(*p)),
        Prim::StopGradient => un(&|a| a),
        Prim::Add => bin(&|a, b| a + b),
        Prim::Sub => bin(&|a, b| a - b),
        Prim::Mul => bin(&|a, b| a * b),
        Prim::Div => bin(&|a, b| a / b),
        Prim::Pow => bin(&|a, b| a.powf(b)),
        Prim::Max => bin(&max),
        Prim::Min => bin(&|a, b| {
            if a.is_nan() || b.is_nan() {
                T::nan()
            } else if b < a {
                b
            } else {
                a
            }
        }),
        Prim::Compare(op) => bin(&|a, b| one(op.holds(a.to_f64(), b.to_f64()))),
        Prim::Select => (0..n)
            .map(|k| {
                if args[0].at(k).is_zero() {
                    args[2].at(k)
                } else {
                    args[1].at(k)
                }
            })
            .collect(),
        Prim::ReduceSum { axes } => reduce(&args[0], axes, out_shape, T::zero(), |a, b| a + b),
        Prim::ReduceMax { axes } => reduce(&args[0], axes, out_shape, T::neg_infinity(), max),
        Prim::Reshape { .. } => args[0].data.clone(),
        Prim::Transpose { perm } => {
            let x = &args[0];
            let mut src = vec![0; perm.len()];
            (0..n)
                .map(|k| {
                    let idx = unravel(k, out_shape);
                    for (i, &p) in perm.iter().enumerate() {
                        src[p] = idx[i];
                    }
                    x.data[ravel(&src, &x.shape)]
                })
                .collect()
        }
        Prim::BroadcastInDim { dims, .. } => {
            let x = &args[0];
            let mut src = vec![0; dims.len()];
            (0..n)
                .map(|k| {
                    let idx = unravel(k, out_shape);
                    for (j, &d) in dims.iter().enumerate() {
                        src[j] = if x.shape[j] == 1 { 0 } else { idx[d] };
                    }
                    x.data[ravel(&src, &x.shape)]
                })
                .collect()
        }
        Prim::Slice { start, stride, .. } => {
            let x = &args[0];
            (0..n)
                .map(|k| {
                    let idx = unravel(k, out_shape);
                    let src: Vec<usize> = (0..idx.len())
                        .map(|i| start[i] + idx[i] * stride[i])
                        .collect();
                    x.data[ravel(&src, &x.shape)]
                })
                .collect()
        }
        Prim::Pad { low, interior, .. } => {
            let x = &args[0];
            let mut out = vec![T::zero(); n];
            for (k, &v) in x.data.iter().enumerate() {
                let idx = unravel(k, &x.shape);
                let dst: Vec<usize> = (0..idx.len())
                    .map(|i| low[i] + idx[i] * (interior[i] + 1))
                    .collect();
                out[ravel(&dst, out_shape)] = v;
            }
            out
        }
        Prim::Concat { axis } => {
            let mut out = vec![T::zero(); n];
            let mut offset = 0;
            for x in args {
                for (k, &v) in x.data.iter().enumerate() {
                    let mut idx = unravel(k, &x.shape);
                    idx[*axis] += offset;
                    out[ravel(&idx, out_shape)] = v;
                }
                offset += x.shape[*axis];
            }
            out
        }
        Prim::TakeAlongAxis { axis } => {
            let (x, ix) = (&args[0], &args[1]);
            let size = x.shape[*axis];
            let mut out = Vec::with_capacity(n);
            for k in 0..n {
                let mut idx = unravel(k, out_shape);
                idx[*axis] = as_index(eqn, prim, k, ix.at(k), size)?;
                out.push(x.data[ravel(&idx, &x.shape)]);
            }
            out
        }
        Prim::ScatterAddAlongAxis { axis, size } => {
            let (u, ix) = (&args[0], &args[1]);
            let mut out = vec![T::zero(); n];
            for k in 0..u.shape.numel() {
                let mut idx = unravel(k, &u.shape);
                idx[*axis] = as_index(eqn, prim, k, ix.at(k), *size)?;
                out[ravel(&idx, out_shape)] += u.data[k];
            }
            out
        }
        Prim::MatMul {
            transpose_lhs,
            transpose_rhs,
        } => {
            let (a, b) = (&args[0], &args[1]);
            let r = a.shape.rank();
            let (m, n_cols) = (out_shape[r - 2], out_shape[r - 1]);
            let k_dim = if *transpose_lhs {
                a.shape[r - 2]
            } else {
                a.shape[r - 1]
            };
            let batch: usize = out_shape[..r - 2].iter().product();
            let mut out = vec![T::zero(); n];
            for bt in 0..batch {
                let a0 = bt * m * k_dim;
                let b0 = bt * k_dim * n_cols;
                for i in 0..m {
                    for j in 0..n_cols {
                        let mut s = T::zero();
                        for p in 0..k_dim {
                            let av = if *transpose_lhs {
                                a.data[a0 + p * m + i]
                            } else {
                                a.data[a0 + i * k_dim + p]
                            };
                            let bv = if *transpose_rhs {
                                b.data[b0 + j * k_dim + p]
                            } else {
                                b.data[b0 + p * n_cols + j]
                            };
                            s += av * bv;
                        }
                        out[bt * m * n_cols + i * n_cols + j] = s;
                    }
                }
            }
            out
        }
    })
}

/// The `max` primitive: NaN when either operand is, else the larger (the
/// first of equals).
fn max<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || b.is_nan() {
        T::nan()
    } else if b > a {
        b
    } else {
        a
    }
}

/// Folds `x` over `axes` into `out_shape`, visiting elements in row-major
/// order.
fn reduce<T: Float>(
    x: &Arg<T>,
    axes: &[usize],
    out_shape: &Shape,
    init: T,
    f: impl Fn(T, T) -> T,
) -> Vec<T> {
    let mut out = vec![init; out_shape.numel()];
    for (k, &v) in x.data.iter().enumerate() {
        let idx = unravel(k, &x.shape);
        let kept: Vec<usize> = idx
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect();
        let o = ravel(&kept, out_shape);
        out[o] = f(out[o], v);
    }
    out
}

/// The index a float element holds, or `BadIndex` when it is not an integer
/// in `0..size`.
fn as_index<T: Float>(
    eqn: usize,
    prim: &Prim,
    position: usize,
    v: T,
    size: usize,
) -> Result<usize, ExecError> {
    let f = v.to_f64();
    if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < size as f64 {
        Ok(f as usize)
    } else {
        Err(ExecError::BadIndex {
            eqn,
            prim: prim.name(),
            position,
            value: f,
            size,
        })
    }
}

/// The multi-index of flat row-major position `k` in `shape`.
fn unravel(mut k: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for i in (0..shape.len()).rev() {
        idx[i] = k % shape[i];
        k /= shape[i];
    }
    idx
}

/// The flat row-major position of multi-index `idx` in `shape`.
fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}
