//! Graph to plan: aliasing, dead-code removal, elementwise grouping, buffer
//! assignment by liveness and bytecode generation for the fused groups.

use super::fused::{Code, Epilogue, Fused, Op, SplatSrc, Src};
use crate::ExecError;
use hvp_ir::{verify, Atom, Graph, Prim, Var};
use hvp_tensor::kernels::MatMulDims;
use smallvec::SmallVec;
use std::collections::HashMap;

/// Most equations in one fused group (bounds the register file).
const MAX_GROUP: usize = 256;

/// Where a value lives at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// The caller's input buffer.
    Input(u32),
    /// The caller's output buffer.
    Output(u32),
    /// A workspace buffer.
    Slot(u32),
}

/// A non-fused primitive with its static parameters.
#[derive(Clone, Debug)]
pub(crate) enum Kernel {
    ReduceSum {
        shape: Vec<usize>,
        axes: Vec<usize>,
    },
    ReduceMax {
        shape: Vec<usize>,
        axes: Vec<usize>,
    },
    Permute {
        shape: Vec<usize>,
        perm: Vec<usize>,
    },
    Broadcast {
        src_shape: Vec<usize>,
        out_shape: Vec<usize>,
        dims: Vec<usize>,
    },
    Slice {
        shape: Vec<usize>,
        start: Vec<usize>,
        limit: Vec<usize>,
        stride: Vec<usize>,
    },
    Pad {
        shape: Vec<usize>,
        low: Vec<usize>,
        high: Vec<usize>,
        interior: Vec<usize>,
    },
    Concat {
        shapes: Vec<Vec<usize>>,
        axis: usize,
        out_axis: usize,
    },
    Take {
        x_shape: Vec<usize>,
        axis: usize,
        k: usize,
    },
    Scatter {
        shape: Vec<usize>,
        axis: usize,
        size: usize,
    },
    MatMul(MatMulDims),
}

/// One kernel call.
#[derive(Clone, Debug)]
pub(crate) struct KernelStep {
    pub kernel: Kernel,
    /// Buffer, element offset and length of each operand.
    pub args: SmallVec<[(Loc, usize, usize); 3]>,
    pub out: (Loc, usize),
    pub eqn: u32,
}

/// One fused group with the buffers behind its streams.
#[derive(Clone, Debug)]
pub(crate) struct FusedStep {
    pub fused: Fused,
    /// Buffer and element offset of each stream.
    pub streams: Vec<(Loc, usize)>,
}

#[derive(Clone, Debug)]
pub(crate) enum Step {
    Kernel(KernelStep),
    Fused(FusedStep),
}

/// Work after the last step: outputs that are literals, inputs or repeats.
#[derive(Clone, Debug)]
pub(crate) enum Final {
    Fill { out: u32, value: f64 },
    Copy { out: u32, from: Loc, off: usize },
}

/// Everything `Plan` needs to run.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub steps: Vec<Step>,
    pub finals: Vec<Final>,
    pub slot_offsets: Vec<usize>,
    pub arena_len: usize,
    pub consts: Vec<(u32, f64)>,
    pub max_streams: usize,
    /// Primitive name and bound variable of every equation.
    pub eqn_info: Vec<(&'static str, Var)>,
}

/// How an equation executes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    /// Its result is its operand's buffer (reshape, stop_gradient, ...),
    /// from an element offset (a contiguous slice).
    Alias(usize),
    /// A fusable elementwise op.
    Ew(Code),
    /// A broadcast of one element, fused as a splat.
    Splat,
    /// A broadcast that repeats its operand whole (`Tile`) or each of its
    /// elements (`Repeat`), fused as a load of the operand by position.
    Bcast(Code),
    /// A kernel call.
    Kernel,
}

fn classify(g: &Graph, prim: &Prim, inputs: &[Atom], out: Var) -> Class {
    let in_numel = |i: usize| g.shape_of(inputs[i]).numel();
    let out_numel = g.vars[out.index()].numel();
    match prim {
        Prim::Neg => Class::Ew(Code::Neg),
        Prim::Exp => Class::Ew(Code::Exp),
        Prim::Log => Class::Ew(Code::Log),
        Prim::Log1p => Class::Ew(Code::Log1p),
        Prim::Expm1 => Class::Ew(Code::Expm1),
        Prim::Sqrt => Class::Ew(Code::Sqrt),
        Prim::Sin => Class::Ew(Code::Sin),
        Prim::Cos => Class::Ew(Code::Cos),
        Prim::Tan => Class::Ew(Code::Tan),
        Prim::Atan => Class::Ew(Code::Atan),
        Prim::Tanh => Class::Ew(Code::Tanh),
        Prim::Abs => Class::Ew(Code::Abs),
        Prim::Sign => Class::Ew(Code::Sign),
        // `powi(x, 2)` computes `x * x` exactly, so the cheap form is exact.
        Prim::IntPow(2) => Class::Ew(Code::Square),
        Prim::IntPow(n) => Class::Ew(Code::IntPow(*n)),
        Prim::StopGradient => match inputs[0] {
            Atom::Var(_) => Class::Alias(0),
            Atom::Lit(_) => Class::Ew(Code::Copy),
        },
        Prim::Add => Class::Ew(Code::Add),
        Prim::Sub => Class::Ew(Code::Sub),
        Prim::Mul => Class::Ew(Code::Mul),
        Prim::Div => Class::Ew(Code::Div),
        Prim::Pow => Class::Ew(Code::Pow),
        Prim::Max => Class::Ew(Code::Max),
        Prim::Min => Class::Ew(Code::Min),
        Prim::Compare(op) => Class::Ew(Code::Cmp(*op)),
        Prim::Select => Class::Ew(Code::Select),
        Prim::Reshape { .. } => Class::Alias(0),
        Prim::BroadcastInDim { .. } => {
            if in_numel(0) == out_numel {
                Class::Alias(0)
            } else if in_numel(0) == 1 {
                Class::Splat
            } else if let Prim::BroadcastInDim { shape, dims } = prim {
                match broadcast_pattern(&g.shape_of(inputs[0]), shape, dims) {
                    Some(code) => Class::Bcast(code),
                    None => Class::Kernel,
                }
            } else {
                Class::Kernel
            }
        }
        Prim::Transpose { perm } => {
            // Moving only size-1 axes keeps the row-major order.
            let shape = g.shape_of(inputs[0]);
            let big: SmallVec<[usize; 8]> =
                perm.iter().copied().filter(|&p| shape[p] != 1).collect();
            if big.windows(2).all(|w| w[0] < w[1]) {
                Class::Alias(0)
            } else {
                Class::Kernel
            }
        }
        Prim::Slice {
            start,
            limit,
            stride,
        } => match contiguous_slice(&g.shape_of(inputs[0]), start, limit, stride) {
            Some(off) => Class::Alias(off),
            None => Class::Kernel,
        },
        Prim::ReduceSum { .. }
        | Prim::ReduceMax { .. }
        | Prim::Pad { .. }
        | Prim::Concat { .. }
        | Prim::TakeAlongAxis { .. }
        | Prim::ScatterAddAlongAxis { .. }
        | Prim::MatMul { .. } => Class::Kernel,
    }
}

/// A broadcast whose operand fills the trailing (`Tile`) or leading
/// (`Repeat`) output axes, ignoring size-1 axes.
fn broadcast_pattern(src: &[usize], shape: &[usize], dims: &[usize]) -> Option<Code> {
    let mut present = vec![false; shape.len()];
    for (j, &d) in dims.iter().enumerate() {
        present[d] = src[j] != 1;
    }
    let kinds: SmallVec<[bool; 8]> = (0..shape.len())
        .filter(|&i| shape[i] != 1)
        .map(|i| present[i])
        .collect();
    let in_numel: usize = src.iter().product();
    let out_numel: usize = shape.iter().product();
    if in_numel == 0 || out_numel == 0 {
        return None;
    }
    // present axes after all broadcast ones: the operand repeats whole
    if kinds.windows(2).all(|w| w[0] <= w[1]) {
        return Some(Code::Tile(in_numel));
    }
    // present axes before all broadcast ones: each element repeats
    if kinds.windows(2).all(|w| w[0] >= w[1]) {
        return Some(Code::Repeat(out_numel / in_numel));
    }
    None
}

/// The element offset of a slice whose elements form one contiguous run of
/// the operand, or `None` when it must be copied.
fn contiguous_slice(
    shape: &[usize],
    start: &[usize],
    limit: &[usize],
    stride: &[usize],
) -> Option<usize> {
    let r = shape.len();
    let out: SmallVec<[usize; 8]> = (0..r)
        .map(|i| (limit[i] - start[i]).div_ceil(stride[i]))
        .collect();
    if out.iter().product::<usize>() == 0 {
        return Some(0);
    }
    // Outer axes of length 1 only shift; the first longer axis must step
    // by 1; every axis inside it must be taken whole.
    let k = out.iter().position(|&d| d > 1).unwrap_or(r);
    let whole = |i: usize| start[i] == 0 && out[i] == shape[i] && (stride[i] == 1 || out[i] == 1);
    if k < r && (stride[k] != 1 || !(k + 1..r).all(whole)) {
        return None;
    }
    let mut off = 0;
    let mut st = 1;
    for i in (0..r).rev() {
        off += start[i] * st;
        st *= shape[i];
    }
    Some(off)
}

fn kernel_of(g: &Graph, prim: &Prim, inputs: &[Atom], out: Var) -> Kernel {
    let shape = |i: usize| g.shape_of(inputs[i]).0.to_vec();
    let out_shape = g.vars[out.index()].0.to_vec();
    match prim {
        Prim::ReduceSum { axes } => Kernel::ReduceSum {
            shape: shape(0),
            axes: axes.clone(),
        },
        Prim::ReduceMax { axes } => Kernel::ReduceMax {
            shape: shape(0),
            axes: axes.clone(),
        },
        Prim::Transpose { perm } => Kernel::Permute {
            shape: shape(0),
            perm: perm.clone(),
        },
        Prim::BroadcastInDim { dims, .. } => Kernel::Broadcast {
            src_shape: shape(0),
            out_shape,
            dims: dims.clone(),
        },
        Prim::Slice {
            start,
            limit,
            stride,
        } => Kernel::Slice {
            shape: shape(0),
            start: start.clone(),
            limit: limit.clone(),
            stride: stride.clone(),
        },
        Prim::Pad {
            low,
            high,
            interior,
        } => Kernel::Pad {
            shape: shape(0),
            low: low.clone(),
            high: high.clone(),
            interior: interior.clone(),
        },
        Prim::Concat { axis } => Kernel::Concat {
            shapes: (0..inputs.len()).map(shape).collect(),
            axis: *axis,
            out_axis: out_shape[*axis],
        },
        Prim::TakeAlongAxis { axis } => Kernel::Take {
            x_shape: shape(0),
            axis: *axis,
            k: out_shape[*axis],
        },
        Prim::ScatterAddAlongAxis { axis, size } => Kernel::Scatter {
            shape: shape(0),
            axis: *axis,
            size: *size,
        },
        Prim::MatMul {
            transpose_lhs,
            transpose_rhs,
        } => {
            let a = shape(0);
            let r = a.len();
            let k = if *transpose_lhs { a[r - 2] } else { a[r - 1] };
            MatMulDims {
                batch: out_shape[..r - 2].iter().product(),
                m: out_shape[r - 2],
                k,
                n: out_shape[r - 1],
                transpose_lhs: *transpose_lhs,
                transpose_rhs: *transpose_rhs,
            }
            .into()
        }
        // `classify` sends every other primitive elsewhere.
        Prim::Neg
        | Prim::Exp
        | Prim::Log
        | Prim::Log1p
        | Prim::Expm1
        | Prim::Sqrt
        | Prim::Sin
        | Prim::Cos
        | Prim::Tan
        | Prim::Atan
        | Prim::Tanh
        | Prim::Abs
        | Prim::Sign
        | Prim::IntPow(_)
        | Prim::StopGradient
        | Prim::Add
        | Prim::Sub
        | Prim::Mul
        | Prim::Div
        | Prim::Pow
        | Prim::Max
        | Prim::Min
        | Prim::Compare(_)
        | Prim::Select
        | Prim::Reshape { .. } => unreachable!("{} is not a kernel", prim.name()),
    }
}

impl From<MatMulDims> for Kernel {
    fn from(d: MatMulDims) -> Kernel {
        Kernel::MatMul(d)
    }
}

/// A live equation after aliasing, with operands resolved to their roots.
struct Node {
    eqn: usize,
    class: Class,
    args: SmallVec<[Atom; 3]>,
    /// Element offset of each operand in its root's buffer.
    offs: SmallVec<[usize; 3]>,
    out: Var,
    n: usize,
    /// A `reduce_max` (for epilogues).
    reduce_max: bool,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The pool of workspace buffers.
#[derive(Default)]
struct Slots {
    cap: Vec<usize>,
    free: Vec<u32>,
}

impl Slots {
    /// A buffer for `n` elements: the smallest free one that fits, else the
    /// largest free one grown to fit, else a new one.
    fn take(&mut self, n: usize) -> u32 {
        let fit = self
            .free
            .iter()
            .enumerate()
            .filter(|(_, &s)| self.cap[s as usize] >= n)
            .min_by_key(|(_, &s)| self.cap[s as usize])
            .map(|(i, _)| i);
        let pick = fit.or_else(|| {
            self.free
                .iter()
                .enumerate()
                .max_by_key(|(_, &s)| self.cap[s as usize])
                .map(|(i, _)| i)
        });
        match pick {
            Some(i) => {
                let s = self.free.swap_remove(i);
                let c = &mut self.cap[s as usize];
                *c = (*c).max(n);
                s
            }
            None => {
                self.cap.push(n);
                (self.cap.len() - 1) as u32
            }
        }
    }

    fn give(&mut self, s: u32) {
        self.free.push(s);
    }
}

/// The graph with every matmul operand that is a transpose of the last two
/// axes replaced by the transpose's operand and the matching flag flipped:
/// the product reads the operand with swapped strides instead of copying
/// it. A transpose nothing else reads then dies.
fn fold_transposes(g: &Graph) -> Graph {
    let def = g.definitions();
    let swaps_last_two = |perm: &[usize]| {
        let r = perm.len();
        r >= 2
            && perm[r - 2] == r - 1
            && perm[r - 1] == r - 2
            && perm[..r - 2].iter().enumerate().all(|(i, &p)| i == p)
    };
    let mut out = g.clone();
    for e in &mut out.eqns {
        let Prim::MatMul {
            transpose_lhs,
            transpose_rhs,
        } = &mut e.prim
        else {
            continue;
        };
        for (i, flag) in [transpose_lhs, transpose_rhs].into_iter().enumerate() {
            let Atom::Var(v) = e.inputs[i] else { continue };
            let Some(d) = def[v.index()] else { continue };
            let t = &g.eqns[d];
            if let Prim::Transpose { perm } = &t.prim {
                if swaps_last_two(perm) {
                    e.inputs[i] = t.inputs[0];
                    *flag = !*flag;
                }
            }
        }
    }
    out
}

pub(crate) fn compile(g: &Graph) -> Result<Compiled, ExecError> {
    verify(g)?;
    let folded = fold_transposes(g);
    let g = &folded;
    let nv = g.vars.len();
    let numel = |v: Var| g.vars[v.index()].numel();

    // 1. Aliases: a reshape-like equation's value is its operand's buffer.
    let mut root: Vec<Atom> = (0..nv).map(|i| Atom::Var(Var(i as u32))).collect();
    let mut offset = vec![0usize; nv];
    let resolve = |root: &[Atom], a: Atom| match a {
        Atom::Var(v) => root[v.index()],
        lit => lit,
    };
    let off_of = |offset: &[usize], a: Atom| match a {
        Atom::Var(v) => offset[v.index()],
        Atom::Lit(_) => 0,
    };
    let classes: Vec<Class> = g
        .eqns
        .iter()
        .map(|e| classify(g, &e.prim, &e.inputs, e.out))
        .collect();
    for (e, &c) in g.eqns.iter().zip(&classes) {
        if let Class::Alias(off) = c {
            root[e.out.index()] = resolve(&root, e.inputs[0]);
            offset[e.out.index()] = off_of(&offset, e.inputs[0]) + off;
        }
    }
    let is_alias = |c: Class| matches!(c, Class::Alias(_));

    // 2. Dead equations are dropped.
    let mut needed = vec![false; nv];
    for &a in &g.outputs {
        if let Atom::Var(r) = resolve(&root, a) {
            needed[r.index()] = true;
        }
    }
    for (e, &c) in g.eqns.iter().zip(&classes).rev() {
        if !is_alias(c) && needed[e.out.index()] {
            for &a in &e.inputs {
                if let Atom::Var(r) = resolve(&root, a) {
                    needed[r.index()] = true;
                }
            }
        }
    }
    let mut nodes: Vec<Node> = Vec::new();
    let mut producer: Vec<Option<usize>> = vec![None; nv];
    for (i, (e, &c)) in g.eqns.iter().zip(&classes).enumerate() {
        if is_alias(c) || !needed[e.out.index()] {
            continue;
        }
        producer[e.out.index()] = Some(nodes.len());
        nodes.push(Node {
            eqn: i,
            class: c,
            args: e.inputs.iter().map(|&a| resolve(&root, a)).collect(),
            offs: e.inputs.iter().map(|&a| off_of(&offset, a)).collect(),
            out: e.out,
            n: numel(e.out),
            reduce_max: matches!(e.prim, Prim::ReduceMax { .. }),
        });
    }
    let fusable = |c: Class| matches!(c, Class::Ew(_) | Class::Splat | Class::Bcast(_));

    // 3. Elementwise groups. A group runs where its last member stands, so
    //    a node may join a group only while nothing outside the group has
    //    read one of its values.
    //    A full reduction of a group value that nothing else reads joins
    //    the group as its epilogue and closes it.
    let nn = nodes.len();
    let mut uses = vec![0usize; nv];
    for node in &nodes {
        for a in &node.args {
            if let Atom::Var(r) = a {
                uses[r.index()] += 1;
            }
        }
    }
    for &a in &g.outputs {
        if let Atom::Var(r) = resolve(&root, a) {
            uses[r.index()] += 1;
        }
    }
    let mut parent: Vec<usize> = (0..nn).collect();
    let mut size = vec![1usize; nn];
    let mut read_outside = vec![false; nn];
    let mut epilogue = vec![false; nn];
    for i in 0..nn {
        let node = &nodes[i];
        let e = &g.eqns[node.eqn];
        if let (Prim::ReduceSum { .. } | Prim::ReduceMax { .. }, Atom::Var(v)) =
            (&e.prim, node.args[0])
        {
            let whole = node.offs[0] == 0 && g.shape_of(e.inputs[0]).numel() == numel(v);
            if let Some(p) = producer[v.index()] {
                let gp = find(&mut parent, p);
                if node.n == 1
                    && whole
                    && uses[v.index()] == 1
                    && matches!(nodes[p].class, Class::Ew(_))
                    && nodes[p].n == numel(v)
                    && !read_outside[gp]
                {
                    parent[gp] = i;
                    size[i] += size[gp];
                    read_outside[i] = true;
                    epilogue[i] = true;
                    continue;
                }
            }
        }
        let mut merged: SmallVec<[usize; 4]> = SmallVec::new();
        // A splat reads its operand's first element before any chunk runs,
        // so that operand must come from an earlier step.
        if matches!(node.class, Class::Ew(_)) {
            let mut total = 1;
            for &a in &node.args {
                let Some(p) = a.as_var().and_then(|r| producer[r.index()]) else {
                    continue;
                };
                if !fusable(nodes[p].class) || nodes[p].n != node.n || epilogue[p] {
                    continue;
                }
                let gp = find(&mut parent, p);
                if !read_outside[gp] && !merged.contains(&gp) && total + size[gp] <= MAX_GROUP {
                    total += size[gp];
                    merged.push(gp);
                }
            }
            for &gp in &merged {
                parent[gp] = i;
                size[i] += size[gp];
            }
        }
        let gi = find(&mut parent, i);
        for &a in &nodes[i].args {
            if let Some(p) = a.as_var().and_then(|r| producer[r.index()]) {
                if fusable(nodes[p].class) {
                    let gp = find(&mut parent, p);
                    if gp != gi {
                        read_outside[gp] = true;
                    }
                }
            }
        }
    }
    let group: Vec<usize> = (0..nn).map(|i| find(&mut parent, i)).collect();
    let in_group = |i: usize| fusable(nodes[i].class) || epilogue[i];
    let mut last_member = vec![0usize; nn];
    for i in 0..nn {
        last_member[group[i]] = i;
    }

    // Values needed in memory: read by another step or returned.
    let mut is_output_root = vec![false; nv];
    for &a in &g.outputs {
        if let Atom::Var(r) = resolve(&root, a) {
            is_output_root[r.index()] = true;
        }
    }
    let mut in_memory = vec![false; nv];
    for (j, node) in nodes.iter().enumerate() {
        for &a in &node.args {
            if let Some(p) = a.as_var().and_then(|r| producer[r.index()]) {
                if !(in_group(j) && group[p] == group[j]) {
                    in_memory[nodes[p].out.index()] = true;
                }
            }
        }
    }
    for v in 0..nv {
        in_memory[v] |= is_output_root[v];
    }

    // 4. Steps in order, with the variables each reads and writes.
    struct Proto {
        members: Vec<usize>,
        reads: SmallVec<[Var; 4]>,
        writes: SmallVec<[Var; 2]>,
        /// Operands read by broadcasts (not position by position), whose
        /// buffers must not take a result in place.
        splat_reads: SmallVec<[Var; 2]>,
        fused: bool,
        n: usize,
        /// Scratch elements the step needs while it runs.
        scratch: usize,
    }
    let mut members_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &gi) in group.iter().enumerate() {
        if in_group(i) {
            members_of.entry(gi).or_default().push(i);
        }
    }
    let mut protos: Vec<Proto> = Vec::new();
    for i in 0..nn {
        let node = &nodes[i];
        if in_group(i) {
            if last_member[group[i]] != i {
                continue;
            }
            let members = members_of.remove(&group[i]).unwrap_or_default();
            let mut reads: SmallVec<[Var; 4]> = SmallVec::new();
            let mut writes: SmallVec<[Var; 2]> = SmallVec::new();
            let mut splat_reads: SmallVec<[Var; 2]> = SmallVec::new();
            for &m in &members {
                for &a in &nodes[m].args {
                    if let Atom::Var(r) = a {
                        let inside = producer[r.index()].is_some_and(|p| group[p] == group[i]);
                        if !inside && !reads.contains(&r) {
                            reads.push(r);
                        }
                        if matches!(nodes[m].class, Class::Splat | Class::Bcast(_)) {
                            splat_reads.push(r);
                        }
                    }
                }
                if in_memory[nodes[m].out.index()] {
                    writes.push(nodes[m].out);
                }
            }
            // The first member is an elementwise op (an epilogue comes last).
            let n = nodes[members[0]].n;
            let scratch = if epilogue[i] { Epilogue::blocks(n) } else { 0 };
            protos.push(Proto {
                members,
                reads,
                writes,
                splat_reads,
                fused: true,
                n,
                scratch,
            });
        } else {
            let mut reads: SmallVec<[Var; 4]> = SmallVec::new();
            for &a in &node.args {
                if let Atom::Var(r) = a {
                    if !reads.contains(&r) {
                        reads.push(r);
                    }
                }
            }
            protos.push(Proto {
                members: vec![i],
                reads,
                writes: SmallVec::from_slice(&[node.out]),
                splat_reads: SmallVec::new(),
                fused: false,
                n: node.n,
                scratch: 0,
            });
        }
    }

    // 5. Buffers by liveness.
    let mut last_use = vec![usize::MAX; nv];
    for (s, p) in protos.iter().enumerate() {
        for &r in &p.reads {
            last_use[r.index()] = s;
        }
    }
    let mut loc: Vec<Option<Loc>> = vec![None; nv];
    for (k, &v) in g.inputs.iter().enumerate() {
        loc[v.index()] = Some(Loc::Input(k as u32));
    }
    let mut out_loc: Vec<Option<u32>> = vec![None; nv];
    for (j, &a) in g.outputs.iter().enumerate() {
        if let Atom::Var(r) = resolve(&root, a) {
            let whole = off_of(&offset, a) == 0 && g.shape_of(a).numel() == numel(r);
            if whole && loc[r.index()].is_none() && out_loc[r.index()].is_none() {
                out_loc[r.index()] = Some(j as u32);
            }
        }
    }
    let mut slots = Slots::default();
    let mut scratch_slot: Vec<Option<u32>> = vec![None; protos.len()];
    for (s, p) in protos.iter().enumerate() {
        // Scratch is taken before any operand is released, so it never
        // shares a buffer with something the step reads or writes.
        scratch_slot[s] = (p.scratch > 0).then(|| slots.take(p.scratch));
        let dying: SmallVec<[(Var, u32); 4]> = p
            .reads
            .iter()
            // Outputs read at the end (views of a buffer) stay alive.
            .filter(|r| last_use[r.index()] == s && !is_output_root[r.index()])
            .filter_map(|&r| match loc[r.index()] {
                Some(Loc::Slot(sl)) => Some((r, sl)),
                _ => None,
            })
            .collect();
        // Elementwise: a full-length operand's buffer can take a result in
        // place (each chunk is read before it is written). Other operands
        // are released only after the results have their buffers.
        let in_place = |r: Var| p.fused && numel(r) == p.n && !p.splat_reads.contains(&r);
        for &(r, sl) in &dying {
            if in_place(r) {
                slots.give(sl);
            }
        }
        for &w in &p.writes {
            loc[w.index()] = Some(match out_loc[w.index()] {
                Some(j) => Loc::Output(j),
                None => Loc::Slot(slots.take(numel(w))),
            });
        }
        for &(r, sl) in &dying {
            if !in_place(r) {
                slots.give(sl);
            }
        }
        if let Some(sl) = scratch_slot[s] {
            slots.give(sl);
        }
    }

    // Literal operands of kernels live in constant buffers.
    let mut consts: Vec<(u32, f64)> = Vec::new();
    let mut const_slot = |slots: &mut Slots, v: f64| -> Loc {
        if let Some(&(s, _)) = consts.iter().find(|(_, c)| c.to_bits() == v.to_bits()) {
            return Loc::Slot(s);
        }
        slots.cap.push(1);
        let s = (slots.cap.len() - 1) as u32;
        consts.push((s, v));
        Loc::Slot(s)
    };

    // 6. Concrete steps.
    let mut steps = Vec::with_capacity(protos.len());
    let mut max_streams = 0;
    for (si, p) in protos.iter().enumerate() {
        if !p.fused {
            let node = &nodes[p.members[0]];
            let e = &g.eqns[node.eqn];
            let args = node
                .args
                .iter()
                .zip(&node.offs)
                .zip(&e.inputs)
                .map(|((&a, &off), &orig)| match a {
                    Atom::Var(r) => (
                        loc[r.index()].expect("operand placed"),
                        off,
                        g.shape_of(orig).numel(),
                    ),
                    Atom::Lit(l) => (const_slot(&mut slots, l.0), 0, 1),
                })
                .collect();
            steps.push(Step::Kernel(KernelStep {
                kernel: kernel_of(g, &e.prim, &e.inputs, e.out),
                args,
                out: (loc[node.out.index()].expect("result placed"), node.n),
                eqn: node.eqn as u32,
            }));
            continue;
        }
        let step = fuse_group(
            p.n,
            &p.members,
            &nodes,
            &epilogue,
            scratch_slot[si],
            &p.reads,
            &loc,
            &in_memory,
        );
        max_streams = max_streams.max(step.streams.len());
        steps.push(Step::Fused(step));
    }

    // 7. Outputs that no step wrote in place.
    let mut finals = Vec::new();
    for (j, &a) in g.outputs.iter().enumerate() {
        match resolve(&root, a) {
            Atom::Lit(l) => finals.push(Final::Fill {
                out: j as u32,
                value: l.0,
            }),
            Atom::Var(r) => {
                let from = loc[r.index()].expect("output placed");
                if from != Loc::Output(j as u32) {
                    finals.push(Final::Copy {
                        out: j as u32,
                        from,
                        off: off_of(&offset, a),
                    });
                }
            }
        }
    }

    let mut slot_offsets = Vec::with_capacity(slots.cap.len());
    let mut arena_len = 0;
    for &c in &slots.cap {
        slot_offsets.push(arena_len);
        // 64-byte alignment for f64 keeps vector loads on one cache line.
        arena_len += c.div_ceil(8) * 8;
    }
    Ok(Compiled {
        steps,
        finals,
        slot_offsets,
        arena_len,
        consts,
        max_streams,
        eqn_info: g.eqns.iter().map(|e| (e.prim.name(), e.out)).collect(),
    })
}

/// Compiles one group to bytecode over registers and streams.
#[allow(clippy::too_many_arguments)]
fn fuse_group(
    n: usize,
    members: &[usize],
    nodes: &[Node],
    epilogue: &[bool],
    scratch: Option<u32>,
    reads: &[Var],
    loc: &[Option<Loc>],
    in_memory: &[bool],
) -> FusedStep {
    let mut streams: Vec<(Loc, usize)> = Vec::new();
    let mut stream_of: HashMap<(Var, usize), u16> = HashMap::new();
    let mut stream = |streams: &mut Vec<(Loc, usize)>, v: Var, off: usize| -> u16 {
        *stream_of.entry((v, off)).or_insert_with(|| {
            streams.push((loc[v.index()].expect("operand placed"), off));
            (streams.len() - 1) as u16
        })
    };
    // Buffers this group reads: writing one of them directly would clobber
    // a later op's operand within the same chunk.
    let read_locs: SmallVec<[Loc; 4]> = reads
        .iter()
        .map(|r| loc[r.index()].expect("operand placed"))
        .collect();

    // Last member reading each value, to recycle registers.
    let mut last_read: HashMap<Var, usize> = HashMap::new();
    for (k, &m) in members.iter().enumerate() {
        for a in &nodes[m].args {
            if let Atom::Var(r) = a {
                last_read.insert(*r, k);
            }
        }
    }

    let mut nregs: u16 = 0;
    let mut free: Vec<u16> = Vec::new();
    let mut splats: Vec<(u16, SplatSrc)> = Vec::new();
    let mut lit_reg: HashMap<u64, u16> = HashMap::new();
    let mut value: HashMap<Var, Src> = HashMap::new();
    let mut ops: Vec<Op> = Vec::new();
    let mut stores: Vec<(u16, u16)> = Vec::new();
    let mut pinned: Vec<u16> = Vec::new();

    // Splatted registers are filled once per task, before the first chunk,
    // so they never come from (or return to) the pool of op registers.
    let mut fresh_reg = || -> u16 {
        nregs += 1;
        nregs - 1
    };

    let mut epi: Option<Epilogue> = None;
    for (k, &m) in members.iter().enumerate() {
        let node = &nodes[m];
        if epilogue[m] {
            let Atom::Var(v) = node.args[0] else {
                unreachable!("an epilogue reduces a variable")
            };
            streams.push((Loc::Slot(scratch.expect("scratch for the epilogue")), 0));
            let partials = (streams.len() - 1) as u16;
            epi = Some(Epilogue {
                src: value[&v],
                max: node.reduce_max,
                partials,
                out: stream(&mut streams, node.out, 0),
                eqn: node.eqn as u32,
            });
            continue;
        }
        let mut args = [Src::Reg(0); 3];
        if node.class == Class::Splat {
            let r = match node.args[0] {
                Atom::Lit(l) => *lit_reg.entry(l.0.to_bits()).or_insert_with(|| {
                    let r = fresh_reg();
                    splats.push((r, SplatSrc::Lit(l.0)));
                    r
                }),
                Atom::Var(v) => {
                    let s = stream(&mut streams, v, node.offs[0]);
                    let r = fresh_reg();
                    splats.push((r, SplatSrc::Mem(s, node.eqn as u32)));
                    r
                }
            };
            pinned.push(r);
            value.insert(node.out, Src::Reg(r));
            if in_memory[node.out.index()] {
                let s = stream(&mut streams, node.out, 0);
                stores.push((r, s));
            }
            continue;
        }
        for (i, &a) in node.args.iter().enumerate() {
            args[i] = match a {
                Atom::Lit(l) => Src::Reg(*lit_reg.entry(l.0.to_bits()).or_insert_with(|| {
                    let r = fresh_reg();
                    splats.push((r, SplatSrc::Lit(l.0)));
                    pinned.push(r);
                    r
                })),
                Atom::Var(v) => match value.get(&v) {
                    Some(&s) => s,
                    None => Src::Mem(stream(&mut streams, v, node.offs[i])),
                },
            };
        }
        let code = match node.class {
            Class::Ew(c) | Class::Bcast(c) => c,
            Class::Alias(_) | Class::Splat | Class::Kernel => unreachable!("not an op"),
        };
        let out_loc = loc[node.out.index()];
        let out = if in_memory[node.out.index()]
            && !read_locs.contains(&out_loc.expect("result placed"))
        {
            Src::Mem(stream(&mut streams, node.out, 0))
        } else {
            let r = free.pop().unwrap_or_else(&mut fresh_reg);
            if in_memory[node.out.index()] {
                let s = stream(&mut streams, node.out, 0);
                stores.push((r, s));
                pinned.push(r);
            }
            Src::Reg(r)
        };
        value.insert(node.out, out);
        ops.push(Op {
            code,
            out,
            args,
            eqn: node.eqn as u32,
        });
        // Registers whose value is dead after this op return to the pool
        // (after the output took its own, so an op never overwrites its
        // operand).
        for a in &node.args {
            if let Atom::Var(v) = a {
                if last_read.get(v) == Some(&k) {
                    if let Some(&Src::Reg(r)) = value.get(v) {
                        if !pinned.contains(&r) && !free.contains(&r) {
                            free.push(r);
                        }
                    }
                }
            }
        }
        // A result nobody reads (only stored) frees nothing; one never read
        // and not stored would be dead code, which was removed.
    }
    let nregs = nregs as usize;
    let fused = Fused {
        n,
        chunk: Fused::chunk_for(n, nregs),
        nregs,
        splats,
        ops,
        stores,
        epilogue: epi,
    };
    FusedStep { fused, streams }
}
