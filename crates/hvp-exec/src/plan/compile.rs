//! Graph to plan: aliasing, dead-code removal, elementwise grouping, buffer
//! assignment by liveness and bytecode generation for the fused groups.

use super::fused::{Arith, Code, Epilogue, FOp, Fused, GOp, Instr, Op, SplatSrc, Src, Store};
use crate::ExecError;
use hvp_ir::{verify, Atom, Eqn, Graph, Prim, Var};
use hvp_tensor::kernels::{MatMulDims, MatMulOptions};
use smallvec::SmallVec;
use std::collections::{HashMap, HashSet};

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
    /// With `accumulate`, `out = acc + A·B` where the third operand `acc`
    /// is the buffer the product accumulates into (in place when `acc`
    /// dies here); a shared operand is one matrix for the whole batch.
    MatMul(MatMulDims, MatMulOptions),
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
    /// Buffer and element offset of each stream (the offset of loop index
    /// zero, which may lie outside the buffer).
    pub streams: Vec<(Loc, isize)>,
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
    /// Per equation of the compiled graph: the index, primitive name and
    /// bound variable of the equation of the caller's graph it computes
    /// (the compiler may copy equations).
    pub eqn_info: Vec<(usize, &'static str, Var)>,
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
    /// A zero pad that maps flat ranges to flat ranges (only the outermost
    /// non-unit axis padded, no interior): the operand's elements sit at a
    /// flat offset of the result, zeros around them.
    Pad(usize),
    /// A concatenation along the outermost non-unit axis: each operand is
    /// one flat range of the result.
    Concat,
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
        Prim::Pad {
            low,
            high,
            interior,
        } => match flat_pad(&g.shape_of(inputs[0]), low, high, interior) {
            Some(l) => Class::Pad(l),
            None => Class::Kernel,
        },
        Prim::Concat { axis } => {
            if g.vars[out.index()][..*axis].iter().all(|&d| d == 1) {
                Class::Concat
            } else {
                Class::Kernel
            }
        }
        Prim::ReduceSum { .. }
        | Prim::ReduceMax { .. }
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

/// The flat offset of the operand in the result of a zero pad whose
/// operand occupies one contiguous run of the result, or `None`.
fn flat_pad(shape: &[usize], low: &[usize], high: &[usize], interior: &[usize]) -> Option<usize> {
    if interior.iter().any(|&i| i != 0) {
        return None;
    }
    let r = shape.len();
    let Some(k) = (0..r).find(|&i| low[i] + high[i] > 0) else {
        return Some(0);
    };
    // Axes outside the padded one must not interleave the operand's rows
    // with zeros: the ones before have one element, the ones after are
    // taken whole.
    if shape[..k].iter().any(|&d| d != 1) || (k + 1..r).any(|i| low[i] + high[i] > 0) {
        return None;
    }
    Some(low[k] * shape[k + 1..].iter().product::<usize>())
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
            // The operand may be a rank-2 matrix shared by the batch.
            let a = shape(0);
            let k = if *transpose_lhs {
                a[a.len() - 2]
            } else {
                a[a.len() - 1]
            };
            let r = out_shape.len();
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
        Kernel::MatMul(d, MatMulOptions::default())
    }
}

/// A live equation after aliasing, with operands resolved to their roots.
struct Node {
    eqn: usize,
    class: Class,
    args: SmallVec<[Atom; 3]>,
    /// Element offset of each operand in its root's buffer.
    offs: SmallVec<[usize; 3]>,
    /// Element count of each operand (not of its root).
    arg_n: SmallVec<[usize; 3]>,
    out: Var,
    n: usize,
    /// A `reduce_max` (for epilogues).
    reduce_max: bool,
    /// A matmul that adds its product to its third operand (the other
    /// product of a sum `A·B + C·D`).
    accumulate: bool,
}

impl Node {
    /// Flat position of operand `j`'s first element in the result: its
    /// element `k` is the result's element `place(j) + k`.
    fn place(&self, j: usize) -> isize {
        match self.class {
            Class::Pad(l) => l as isize,
            Class::Concat => self.arg_n[..j].iter().sum::<usize>() as isize,
            _ => 0,
        }
    }

    /// The loop indices at which the node, computed on `range`, reads
    /// operand `j` (whose element `i + at` it reads at loop index `i`).
    fn arg_range(&self, j: usize, at: isize, range: (usize, usize), n: usize) -> (usize, usize) {
        match self.class {
            Class::Pad(_) | Class::Concat => meet(valid(self.arg_n[j], at, n), range),
            // Elementwise operands have the result's shape (literals
            // broadcast).
            _ => range,
        }
    }

    /// Whether the node reads its operands position by position (and so
    /// may compute them in its own loop).
    fn merges_producers(&self) -> bool {
        matches!(self.class, Class::Ew(_) | Class::Pad(_) | Class::Concat)
    }

    /// Whether operand `j` is read at the node's own positions with equal
    /// length (no shift, no range change).
    fn plain_edge(&self, j: usize, producer_n: usize) -> bool {
        matches!(self.class, Class::Ew(_)) && self.offs[j] == 0 && producer_n == self.n
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Loop indices `lo..hi` (of a loop over `n`) at which element `i + shift`
/// of a value of `len` elements exists.
fn valid(len: usize, shift: isize, n: usize) -> (usize, usize) {
    let lo = (-shift).clamp(0, n as isize) as usize;
    let hi = (len as isize - shift).clamp(0, n as isize) as usize;
    (lo, hi.max(lo))
}

fn meet(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    let lo = a.0.max(b.0);
    (lo, a.1.min(b.1).max(lo))
}

/// Most computations of one value at different shifts in one group.
const MAX_SHIFTS: usize = 8;
/// Most instructions in one group after recomputation.
const MAX_OPS: usize = 512;

/// How one fused group runs: its loop length and, for every member, the
/// shifts it is computed at.
struct GroupPlan {
    members: Vec<usize>,
    /// Loop length: the longest value the group stores or reduces.
    n: usize,
    /// Ascending shifts of each member (empty for constants and epilogues).
    shifts: Vec<Vec<isize>>,
    /// Members whose value is the same everywhere (splats and ops on them),
    /// computed once per task.
    uniform: Vec<bool>,
    /// The shift each stored member is stored from.
    store: Vec<Option<isize>>,
    /// Roots the group reads at a shift other than zero.
    shifted_reads: SmallVec<[Var; 4]>,
    /// Whether every store is at shift zero.
    stores_aligned: bool,
}

/// Elementwise groups. A group runs where its last member stands, so a
/// node may join a group only while nothing outside the group has read one
/// of its values. A full reduction of a group value that nothing else reads
/// joins the group as its epilogue and closes it. A node never merges the
/// group of a producer it reads through a `cut` edge.
fn form_groups(
    g: &Graph,
    nodes: &[Node],
    producer: &[Option<usize>],
    uses: &[usize],
    cuts: &HashSet<(usize, usize)>,
) -> (Vec<usize>, Vec<bool>) {
    let nn = nodes.len();
    let numel = |v: Var| g.vars[v.index()].numel();
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
                    && !cuts.contains(&(i, p))
                {
                    parent[gp] = i;
                    size[i] += size[gp];
                    read_outside[i] = true;
                    epilogue[i] = true;
                    continue;
                }
            }
        }
        // A splat or a positional broadcast reads its operand before (or
        // out of step with) the loop, so that operand comes from an
        // earlier step.
        if node.merges_producers() {
            let excluded: SmallVec<[usize; 2]> = node
                .args
                .iter()
                .filter_map(|a| a.as_var().and_then(|r| producer[r.index()]))
                .filter(|&p| cuts.contains(&(i, p)))
                .map(|p| find(&mut parent, p))
                .collect();
            let mut merged: SmallVec<[usize; 4]> = SmallVec::new();
            let mut total = 1;
            for &a in &node.args {
                let Some(p) = a.as_var().and_then(|r| producer[r.index()]) else {
                    continue;
                };
                if !fusable(nodes[p].class) || epilogue[p] {
                    continue;
                }
                let gp = find(&mut parent, p);
                if !read_outside[gp]
                    && !merged.contains(&gp)
                    && !excluded.contains(&gp)
                    && total + size[gp] <= MAX_GROUP
                {
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
    let group = (0..nn).map(|i| find(&mut parent, i)).collect();
    (group, epilogue)
}

fn fusable(c: Class) -> bool {
    matches!(
        c,
        Class::Ew(_) | Class::Splat | Class::Bcast(_) | Class::Pad(_) | Class::Concat
    )
}

/// Decides a group's loop length and the shifts its members are computed
/// at. When recomputation would cost too much, returns instead the edge
/// (consumer, producer) to cut: the producer then reaches memory and the
/// consumer reads it there.
fn plan_group(
    g: &Graph,
    nodes: &[Node],
    producer: &[Option<usize>],
    group: &[usize],
    epilogue: &[bool],
    in_memory: &[bool],
    members: Vec<usize>,
) -> Result<GroupPlan, (usize, usize)> {
    let numel = |v: Var| g.vars[v.index()].numel();
    let gid = group[members[0]];
    let pos_of: HashMap<usize, usize> = members.iter().enumerate().map(|(k, &m)| (m, k)).collect();
    let inside = |a: Atom| -> Option<usize> {
        let p = producer[a.as_var()?.index()]?;
        (group[p] == gid).then(|| pos_of[&p])
    };
    let len = members.len();
    let mut uniform = vec![false; len];
    for (k, &m) in members.iter().enumerate() {
        let node = &nodes[m];
        uniform[k] = match node.class {
            Class::Splat => true,
            Class::Ew(_) => node.args.iter().all(|&a| match a {
                Atom::Lit(_) => true,
                Atom::Var(_) => inside(a).is_some_and(|p| uniform[p]),
            }),
            _ => false,
        };
    }
    // The value an epilogue reduces.
    let epi_src: Option<usize> = members
        .iter()
        .find(|&&m| epilogue[m])
        .and_then(|&m| inside(nodes[m].args[0]));
    let stored = |k: usize| in_memory[nodes[members[k]].out.index()] && !epilogue[members[k]];
    let n = (0..len)
        .filter(|&k| stored(k) || Some(k) == epi_src)
        .map(|k| nodes[members[k]].n)
        .max()
        .unwrap_or(0);

    let mut shifts: Vec<std::collections::BTreeSet<isize>> = vec![Default::default(); len];
    let propagate = |shifts: &mut Vec<std::collections::BTreeSet<isize>>| {
        for k in (0..len).rev() {
            let node = &nodes[members[k]];
            if uniform[k] || epilogue[members[k]] || !node.merges_producers() {
                continue;
            }
            let here: Vec<isize> = shifts[k].iter().copied().collect();
            for s in here {
                let r = valid(node.n, s, n);
                for (j, &a) in node.args.iter().enumerate() {
                    let Some(p) = inside(a) else { continue };
                    if uniform[p] {
                        continue;
                    }
                    let at = s - node.place(j);
                    let (lo, hi) = node.arg_range(j, at, r, n);
                    if lo >= hi {
                        continue;
                    }
                    shifts[p].insert(at + node.offs[j] as isize);
                }
            }
        }
    };
    for k in 0..len {
        if !uniform[k] && ((stored(k) && nodes[members[k]].n == n) || Some(k) == epi_src) {
            shifts[k].insert(0);
        }
    }
    propagate(&mut shifts);
    // Shorter stored values are stored from a shift already computed when
    // one covers them, else from shift zero.
    let mut store: Vec<Option<isize>> = vec![None; len];
    for k in (0..len).rev() {
        if !stored(k) {
            continue;
        }
        let vn = nodes[members[k]].n as isize;
        if uniform[k] {
            store[k] = Some(0);
            continue;
        }
        let cover = shifts[k]
            .iter()
            .copied()
            .filter(|&s| s <= 0 && s + n as isize >= vn)
            .max();
        store[k] = Some(match cover {
            Some(s) => s,
            None => {
                shifts[k].insert(0);
                propagate(&mut shifts);
                0
            }
        });
    }

    // Cap the recomputation.
    let cost = |k: usize| match nodes[members[k]].class {
        Class::Ew(c) | Class::Bcast(c) => c.cost(),
        _ => 1,
    };
    let base: usize = (0..len).filter(|&k| !uniform[k]).map(cost).sum();
    let total: usize = (0..len).map(|k| shifts[k].len() * cost(k)).sum();
    let count: usize = shifts.iter().map(|s| s.len()).sum();
    let most = shifts.iter().map(|s| s.len()).max().unwrap_or(0);
    if total > 2 * base + 8 || most > MAX_SHIFTS || count > MAX_OPS {
        // Cut the shifted edge into the most recomputed producer (the
        // latest consumer on ties).
        let mut best: Option<(usize, usize, (usize, usize))> = None;
        for (k, &m) in members.iter().enumerate() {
            let node = &nodes[m];
            if !node.merges_producers() {
                continue;
            }
            for (j, &a) in node.args.iter().enumerate() {
                let Some(p) = inside(a) else { continue };
                if uniform[p] || node.plain_edge(j, nodes[members[p]].n) {
                    continue;
                }
                let key = (shifts[p].len(), k);
                if best.is_none_or(|(c, kk, _)| (c, kk) < key) {
                    best = Some((key.0, key.1, (m, members[p])));
                }
            }
        }
        if let Some((_, _, edge)) = best {
            return Err(edge);
        }
    }

    // Streams read at a shift, and stores not at shift zero, rule out
    // computing in place.
    let mut shifted_reads: SmallVec<[Var; 4]> = SmallVec::new();
    for (k, &m) in members.iter().enumerate() {
        let node = &nodes[m];
        if uniform[k] || !node.merges_producers() {
            continue;
        }
        for &s in &shifts[k] {
            for (j, &a) in node.args.iter().enumerate() {
                let Atom::Var(v) = a else { continue };
                let at = s - node.place(j) + node.offs[j] as isize;
                if inside(a).is_none() && (at != 0 || numel(v) != n) && !shifted_reads.contains(&v)
                {
                    shifted_reads.push(v);
                }
            }
        }
    }
    let stores_aligned = store.iter().all(|s| s.is_none_or(|s| s == 0));
    Ok(GroupPlan {
        members,
        n,
        shifts: shifts
            .into_iter()
            .map(|s| s.into_iter().collect())
            .collect(),
        uniform,
        store,
        shifted_reads,
        stores_aligned,
    })
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

/// The graph with matmul operands read in place where a layout op only
/// changes how a product reads them:
/// - an operand that is a transpose of the last two axes is replaced by the
///   transpose's operand with the matching flag flipped (swapped strides,
///   no copy);
/// - an operand that is a matrix broadcast to the batch (new leading axes
///   only) is replaced by the matrix, marked shared (batch stride zero).
///
/// The layout ops nothing else reads then die. Returns the graph (whose
/// matmuls may now read rank-2 operands under a batch: only the executor
/// reads it) and, per equation, which matmul operands are shared.
fn fold_matmul_operands(g: &Graph) -> (Graph, Vec<[bool; 2]>) {
    let def = g.definitions();
    let swaps_last_two = |perm: &[usize]| {
        let r = perm.len();
        r >= 2
            && perm[r - 2] == r - 1
            && perm[r - 1] == r - 2
            && perm[..r - 2].iter().enumerate().all(|(i, &p)| i == p)
    };
    let mut out = g.clone();
    let mut shared = vec![[false; 2]; g.eqns.len()];
    for (ei, e) in out.eqns.iter_mut().enumerate() {
        let Prim::MatMul {
            transpose_lhs,
            transpose_rhs,
        } = &mut e.prim
        else {
            continue;
        };
        let out_rank = g.vars[e.out.index()].rank();
        for (i, flag) in [transpose_lhs, transpose_rhs].into_iter().enumerate() {
            while let Atom::Var(v) = e.inputs[i] {
                let Some(d) = def[v.index()] else { break };
                let t = &g.eqns[d];
                match &t.prim {
                    Prim::Transpose { perm } if swaps_last_two(perm) => {
                        e.inputs[i] = t.inputs[0];
                        *flag = !*flag;
                    }
                    Prim::BroadcastInDim { dims, .. } if !shared[ei][i] => {
                        let src = g.shape_of(t.inputs[0]);
                        let trailing = dims.len() == 2
                            && src.rank() == 2
                            && out_rank > 2
                            && dims[0] == out_rank - 2
                            && dims[1] == out_rank - 1
                            && src.0[..] == g.vars[v.index()].0[out_rank - 2..];
                        if !trailing || t.inputs[0].as_var().is_none() {
                            break;
                        }
                        e.inputs[i] = t.inputs[0];
                        shared[ei][i] = true;
                    }
                    _ => break,
                }
            }
        }
    }
    (out, shared)
}

/// Rewrites each sum of two products `add(A·B, C·D)` whose products are
/// read by nothing else into the second product accumulating onto the
/// first (`C·D` added in the first's buffer by the GEMM itself): one buffer
/// and one pass over the result fewer. Tangent and cotangent programs are
/// full of such sums (`dz = dx·W + x·dW`). Nodes are in program order, so
/// the later product accumulates onto the earlier, already computed one.
///
/// `output_roots` are the buffers the graph's outputs resolve to.
fn accumulate_product_sums(
    g: &Graph,
    output_roots: &[Var],
    nodes: &mut Vec<Node>,
    producer: &mut [Option<usize>],
) {
    let mut uses = vec![0usize; g.vars.len()];
    for node in nodes.iter() {
        for a in &node.args {
            if let Atom::Var(r) = a {
                uses[r.index()] += 1;
            }
        }
    }
    for &r in output_roots {
        // Outputs keep their own buffers.
        uses[r.index()] += 2;
    }
    let mut dropped = vec![false; nodes.len()];
    for s in 0..nodes.len() {
        let Some((first, later)) = product_sum(g, nodes, producer, &uses, &dropped, s) else {
            continue;
        };
        let out = nodes[s].out;
        let target = &mut nodes[later];
        target.args.push(Atom::Var(first));
        target.offs.push(0);
        target.arg_n.push(target.n);
        target.out = out;
        target.accumulate = true;
        dropped[s] = true;
    }
    if !dropped.contains(&true) {
        return;
    }
    let mut kept = 0;
    let old = std::mem::take(nodes);
    for (i, node) in old.into_iter().enumerate() {
        if !dropped[i] {
            nodes.push(node);
            kept += 1;
        }
    }
    debug_assert_eq!(kept, nodes.len());
    producer.iter_mut().for_each(|p| *p = None);
    for (i, node) in nodes.iter().enumerate() {
        producer[node.out.index()] = Some(i);
    }
}

/// For node `s` an `add` of two single-use plain products, the earlier
/// product's value and the later product's node.
fn product_sum(
    g: &Graph,
    nodes: &[Node],
    producer: &[Option<usize>],
    uses: &[usize],
    dropped: &[bool],
    s: usize,
) -> Option<(Var, usize)> {
    let node = &nodes[s];
    if !matches!(node.class, Class::Ew(Code::Add)) {
        return None;
    }
    let (Atom::Var(p), Atom::Var(q)) = (node.args[0], node.args[1]) else {
        return None;
    };
    if p == q || node.offs.iter().any(|&o| o != 0) || node.arg_n.iter().any(|&m| m != node.n) {
        return None;
    }
    let (pi, qi) = (producer[p.index()]?, producer[q.index()]?);
    let plain = |i: usize, v: Var| {
        matches!(g.eqns[nodes[i].eqn].prim, Prim::MatMul { .. })
            && !nodes[i].accumulate
            && !dropped[i]
            && uses[v.index()] == 1
    };
    if !plain(pi, p) || !plain(qi, q) {
        return None;
    }
    Some(if pi < qi { (p, qi) } else { (q, pi) })
}

/// Most equations one reduction's private copy may hold.
const MAX_CONE: usize = 24;

/// Gives each full reduction of a cheap elementwise value its own copy of
/// the cheap elementwise equations it reads, where those values are also
/// read elsewhere. A reduction's loop closes its fusion group, so values it
/// shares with other readers (a gradient's stencil beside the value it
/// belongs to) would be stored by that loop and read back by the others:
/// for `(f, ∇f)` of Rosenbrock, three full-length intermediates written and
/// read again. Recomputing a few additions and multiplications costs less
/// than that memory traffic; the originals stay for the other readers (and
/// die where nothing else reads them).
///
/// Returns the graph and, per equation, the original equation it copies.
fn duplicate_reduction_cones(g: &Graph) -> (Graph, Vec<usize>) {
    let identity = || (0..g.eqns.len()).collect::<Vec<_>>();
    let def = g.definitions();
    let mut uses = vec![0usize; g.vars.len()];
    for e in &g.eqns {
        for a in &e.inputs {
            if let Atom::Var(v) = a {
                uses[v.index()] += 1;
            }
        }
    }
    for a in &g.outputs {
        if let Atom::Var(v) = a {
            uses[v.index()] += 1;
        }
    }
    let cheap = |i: usize| {
        let e = &g.eqns[i];
        match classify(g, &e.prim, &e.inputs, e.out) {
            Class::Ew(code) => code.cost() <= 1,
            Class::Alias(_) => true,
            _ => false,
        }
    };
    // Per reduction equation, the sorted equations of its cone.
    let mut cones: HashMap<usize, Vec<usize>> = HashMap::new();
    for (r, e) in g.eqns.iter().enumerate() {
        let full = g.vars[e.out.index()].numel() == 1;
        let (Prim::ReduceSum { .. } | Prim::ReduceMax { .. }, Atom::Var(v)) =
            (&e.prim, e.inputs[0])
        else {
            continue;
        };
        let Some(d) = def[v.index()] else { continue };
        if !full || !cheap(d) {
            continue;
        }
        let mut cone = vec![d];
        let mut stack = vec![d];
        let mut too_big = false;
        while let Some(i) = stack.pop() {
            for a in &g.eqns[i].inputs {
                let Some(p) = a.as_var().and_then(|w| def[w.index()]) else {
                    continue;
                };
                if cheap(p) && !cone.contains(&p) {
                    cone.push(p);
                    stack.push(p);
                }
            }
            if cone.len() > MAX_CONE {
                too_big = true;
                break;
            }
        }
        let shared = cone.iter().any(|&i| uses[g.eqns[i].out.index()] > 1);
        if !too_big && shared {
            cone.sort_unstable();
            cones.insert(r, cone);
        }
    }
    if cones.is_empty() {
        return (g.clone(), identity());
    }
    let mut out = g.clone();
    out.eqns.clear();
    let mut origin = Vec::with_capacity(g.eqns.len());
    for (i, e) in g.eqns.iter().enumerate() {
        if let Some(cone) = cones.get(&i) {
            let mut renamed: HashMap<Var, Var> = HashMap::new();
            let rename = |renamed: &HashMap<Var, Var>, a: Atom| match a {
                Atom::Var(v) => Atom::Var(*renamed.get(&v).unwrap_or(&v)),
                lit => lit,
            };
            for &c in cone {
                let src = &g.eqns[c];
                let var = Var(out.vars.len() as u32);
                out.vars.push(g.vars[src.out.index()].clone());
                renamed.insert(src.out, var);
                out.eqns.push(Eqn {
                    prim: src.prim.clone(),
                    inputs: src.inputs.iter().map(|&a| rename(&renamed, a)).collect(),
                    out: var,
                });
                origin.push(c);
            }
            out.eqns.push(Eqn {
                prim: e.prim.clone(),
                inputs: e.inputs.iter().map(|&a| rename(&renamed, a)).collect(),
                out: e.out,
            });
        } else {
            out.eqns.push(e.clone());
        }
        origin.push(i);
    }
    (out, origin)
}

pub(crate) fn compile(g: &Graph) -> Result<Compiled, ExecError> {
    verify(g)?;
    let original = g;
    let (duplicated, origin) = duplicate_reduction_cones(g);
    let (folded, shared) = fold_matmul_operands(&duplicated);
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
            arg_n: e.inputs.iter().map(|&a| g.shape_of(a).numel()).collect(),
            out: e.out,
            n: numel(e.out),
            reduce_max: matches!(e.prim, Prim::ReduceMax { .. }),
            accumulate: false,
        });
    }
    let output_roots: Vec<Var> = g
        .outputs
        .iter()
        .filter_map(|&a| resolve(&root, a).as_var())
        .collect();
    accumulate_product_sums(g, &output_roots, &mut nodes, &mut producer);

    // 3. Elementwise groups, with the shifts their members are computed
    //    at; cut edges until no group recomputes too much.
    let nn = nodes.len();
    let mut uses = vec![0usize; nv];
    for node in &nodes {
        for a in &node.args {
            if let Atom::Var(r) = a {
                uses[r.index()] += 1;
            }
        }
    }
    let mut is_output_root = vec![false; nv];
    for &a in &g.outputs {
        if let Atom::Var(r) = resolve(&root, a) {
            uses[r.index()] += 1;
            is_output_root[r.index()] = true;
        }
    }
    let mut cuts: HashSet<(usize, usize)> = HashSet::new();
    let (group, epilogue, in_memory, mut plans) = loop {
        let (group, epilogue) = form_groups(g, &nodes, &producer, &uses, &cuts);
        let in_group = |i: usize| fusable(nodes[i].class) || epilogue[i];
        // Values needed in memory: read by another step or returned.
        let mut in_memory = is_output_root.clone();
        for (j, node) in nodes.iter().enumerate() {
            for &a in &node.args {
                if let Some(p) = a.as_var().and_then(|r| producer[r.index()]) {
                    if !(in_group(j) && group[p] == group[j]) {
                        in_memory[nodes[p].out.index()] = true;
                    }
                }
            }
        }
        let mut members_of: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, &gi) in group.iter().enumerate() {
            if in_group(i) {
                members_of.entry(gi).or_default().push(i);
            }
        }
        let mut plans: HashMap<usize, GroupPlan> = HashMap::new();
        let mut cut = false;
        for (gi, members) in members_of {
            match plan_group(g, &nodes, &producer, &group, &epilogue, &in_memory, members) {
                Ok(p) => {
                    plans.insert(gi, p);
                }
                Err(edge) => {
                    cuts.insert(edge);
                    cut = true;
                }
            }
        }
        if !cut {
            break (group, epilogue, in_memory, plans);
        }
    };
    let in_group = |i: usize| fusable(nodes[i].class) || epilogue[i];
    let mut last_member = vec![0usize; nn];
    for i in 0..nn {
        last_member[group[i]] = i;
    }

    // 4. Steps in order, with the variables each reads and writes.
    struct Proto {
        members: Vec<usize>,
        reads: SmallVec<[Var; 4]>,
        writes: SmallVec<[Var; 2]>,
        /// Operands read other than position by position at shift zero
        /// (broadcasts, shifted loads), whose buffers must not take a
        /// result in place.
        unaligned_reads: SmallVec<[Var; 2]>,
        fused: bool,
        n: usize,
        /// Scratch elements the step needs while it runs.
        scratch: usize,
        /// The operand an accumulating product adds to.
        accumulator: Option<Var>,
    }
    let mut protos: Vec<Proto> = Vec::new();
    let mut group_plans: Vec<Option<GroupPlan>> = Vec::new();
    for i in 0..nn {
        let node = &nodes[i];
        if in_group(i) {
            if last_member[group[i]] != i {
                continue;
            }
            let plan = plans.remove(&group[i]).expect("every group is planned");
            let mut reads: SmallVec<[Var; 4]> = SmallVec::new();
            let mut writes: SmallVec<[Var; 2]> = SmallVec::new();
            let mut unaligned_reads: SmallVec<[Var; 2]> =
                plan.shifted_reads.iter().copied().collect();
            for &m in &plan.members {
                for &a in &nodes[m].args {
                    if let Atom::Var(r) = a {
                        let inside = producer[r.index()].is_some_and(|p| group[p] == group[i]);
                        if !inside && !reads.contains(&r) {
                            reads.push(r);
                        }
                        if matches!(nodes[m].class, Class::Splat | Class::Bcast(_)) {
                            unaligned_reads.push(r);
                        }
                    }
                }
                if in_memory[nodes[m].out.index()] {
                    writes.push(nodes[m].out);
                }
            }
            if !plan.stores_aligned {
                // A result stored at a shift must not land in a buffer the
                // loop reads.
                unaligned_reads.extend(reads.iter().copied());
            }
            let scratch = if epilogue[i] {
                Epilogue::blocks(plan.n)
            } else {
                0
            };
            protos.push(Proto {
                members: plan.members.clone(),
                reads,
                writes,
                unaligned_reads,
                fused: true,
                n: plan.n,
                scratch,
                accumulator: None,
            });
            group_plans.push(Some(plan));
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
                unaligned_reads: SmallVec::new(),
                fused: false,
                n: node.n,
                scratch: 0,
                accumulator: match node.accumulate {
                    true => node.args[2].as_var(),
                    false => None,
                },
            });
            group_plans.push(None);
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
        // Elementwise: a full-length operand read at shift zero can give
        // its buffer to a result stored at shift zero (each chunk is read
        // before it is written). Other operands are released only after
        // the results have their buffers.
        let in_place = |r: Var| p.fused && numel(r) == p.n && !p.unaligned_reads.contains(&r);
        for &(r, sl) in &dying {
            if in_place(r) {
                slots.give(sl);
            }
        }
        // An accumulating product takes over its accumulator's buffer
        // when the accumulator dies here.
        let acc_dying = match &p.accumulator {
            Some(acc) => dying.iter().find(|(r, _)| r == acc).map(|&(_, sl)| sl),
            None => None,
        };
        for &w in &p.writes {
            loc[w.index()] = Some(match (out_loc[w.index()], acc_dying) {
                (Some(j), _) => Loc::Output(j),
                (None, Some(sl)) => Loc::Slot(sl),
                (None, None) => Loc::Slot(slots.take(numel(w))),
            });
        }
        for &(r, sl) in &dying {
            let taken_over =
                acc_dying == Some(sl) && loc[p.writes[0].index()] == Some(Loc::Slot(sl));
            if !in_place(r) && !taken_over {
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
                .zip(&node.arg_n)
                .map(|((&a, &off), &n)| match a {
                    Atom::Var(r) => (loc[r.index()].expect("operand placed"), off, n),
                    Atom::Lit(l) => (const_slot(&mut slots, l.0), 0, 1),
                })
                .collect();
            let kernel = match kernel_of(g, &e.prim, &e.inputs, e.out) {
                Kernel::MatMul(d, _) => Kernel::MatMul(
                    d,
                    MatMulOptions {
                        accumulate: node.accumulate,
                        lhs_shared: shared[node.eqn][0],
                        rhs_shared: shared[node.eqn][1],
                    },
                ),
                k => k,
            };
            steps.push(Step::Kernel(KernelStep {
                kernel,
                args,
                out: (loc[node.out.index()].expect("result placed"), node.n),
                eqn: node.eqn as u32,
            }));
            continue;
        }
        let plan = group_plans[si].as_ref().expect("fused steps have plans");
        let step = fuse_group(
            plan,
            &nodes,
            &producer,
            &group,
            &epilogue,
            scratch_slot[si],
            &p.reads,
            &loc,
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
        eqn_info: origin
            .iter()
            .map(|&o| (o, original.eqns[o].prim.name(), original.eqns[o].out))
            .collect(),
    })
}

/// Compiles one group to bytecode over registers and streams.
#[allow(clippy::too_many_arguments)]
fn fuse_group(
    plan: &GroupPlan,
    nodes: &[Node],
    producer: &[Option<usize>],
    group: &[usize],
    epilogue: &[bool],
    scratch: Option<u32>,
    reads: &[Var],
    loc: &[Option<Loc>],
) -> FusedStep {
    let n = plan.n;
    let members = &plan.members;
    let gid = group[members[0]];
    let pos_of: HashMap<usize, usize> = members.iter().enumerate().map(|(k, &m)| (m, k)).collect();
    let inside = |v: Var| -> Option<usize> {
        let p = producer[v.index()]?;
        (group[p] == gid).then(|| pos_of[&p])
    };
    let mut gen = Gen {
        loc,
        streams: Vec::new(),
        stream_of: HashMap::new(),
        pinned: Vec::new(),
        konst: Vec::new(),
        splats: Vec::new(),
        lits: HashMap::new(),
    };
    // Buffers this group reads: writing one of them directly would clobber
    // a later op's operand within the same chunk.
    let read_locs: SmallVec<[Loc; 4]> = reads
        .iter()
        .map(|r| loc[r.index()].expect("operand placed"))
        .collect();

    let mut constant: HashMap<Var, u16> = HashMap::new();
    let mut value: HashMap<(Var, isize), Src> = HashMap::new();
    let mut prologue: Vec<Op> = Vec::new();
    let mut bodies: [Vec<Instr>; 2] = [Vec::new(), Vec::new()];
    let mut stores: Vec<Store> = Vec::new();
    let mut epi: Option<Epilogue> = None;

    // The member an epilogue reduces, read at shift zero.
    let epi_src: Option<usize> = members
        .iter()
        .find(|&&m| epilogue[m])
        .and_then(|&m| nodes[m].args[0].as_var())
        .and_then(inside);
    // Members computed at several nearby shifts: after a task's first
    // chunk, only the furthest-ahead shift is computed and the others read
    // it back through the register's halo (the previous chunk's tail). The
    // shifts later chunks need follow from the stored and reduced values
    // backwards, a halo member passing on only its furthest shift.
    let len = members.len();
    let mut steady: Vec<std::collections::BTreeSet<isize>> = vec![Default::default(); len];
    for (st, store) in steady.iter_mut().zip(&plan.store) {
        if let Some(s) = *store {
            st.insert(s);
        }
    }
    if let Some(k) = epi_src {
        steady[k].insert(0);
    }
    let mut halo_base: Vec<Option<isize>> = vec![None; len];
    for k in (0..len).rev() {
        let node = &nodes[members[k]];
        if plan.uniform[k] || epilogue[members[k]] || !node.merges_producers() {
            continue;
        }
        let sh: Vec<isize> = steady[k].iter().copied().collect();
        let (Some(&lo), Some(&hi)) = (sh.first(), sh.last()) else {
            continue;
        };
        if sh.len() >= 2
            && hi - lo <= HALO as isize
            && Some(k) != epi_src
            && plan.store[k].is_none_or(|s| s == hi)
        {
            halo_base[k] = Some(hi);
        }
        let from: &[isize] = if halo_base[k].is_some() {
            &sh[sh.len() - 1..]
        } else {
            &sh
        };
        for &s in from {
            let r = valid(node.n, s, n);
            for (j, &a) in node.args.iter().enumerate() {
                let Some(p) = a.as_var().and_then(inside) else {
                    continue;
                };
                if plan.uniform[p] {
                    continue;
                }
                let at = s - node.place(j);
                let (alo, ahi) = node.arg_range(j, at, r, n);
                if alo < ahi {
                    steady[p].insert(at + node.offs[j] as isize);
                }
            }
        }
    }
    let passes = if halo_base.iter().any(Option::is_some) {
        2
    } else {
        1
    };
    // Values that keep one register (or stream) in both bodies: stored,
    // reduced and halo values.
    let mut shared: HashMap<(Var, isize), Src> = HashMap::new();

    // Values held negated (`neg x` folded into its readers), and their
    // negations when a reader needs the value itself.
    let mut negated: HashSet<(Var, isize)> = HashSet::new();
    let mut mat: HashMap<(Src, usize, usize), Src> = HashMap::new();
    for (pass, body) in bodies.iter_mut().enumerate().take(passes) {
        let steady_pass = pass == 1;
        value.clear();
        negated.clear();
        mat.clear();
        for (k, &m) in members.iter().enumerate() {
            let node = &nodes[m];
            let out = node.out;
            if epilogue[m] {
                if steady_pass {
                    continue;
                }
                let Atom::Var(v) = node.args[0] else {
                    unreachable!("an epilogue reduces a variable")
                };
                let src = match constant.get(&v) {
                    Some(&r) => Src::Reg(r),
                    None => *value.get(&(v, 0)).unwrap_or(&Src::Reg(gen.lit(0.0))),
                };
                gen.streams
                    .push((Loc::Slot(scratch.expect("scratch for the epilogue")), 0));
                let partials = (gen.streams.len() - 1) as u16;
                let (lo, hi) = valid(node.arg_n[0], 0, n);
                epi = Some(Epilogue {
                    src,
                    lo,
                    hi,
                    max: node.reduce_max,
                    partials,
                    out: gen.stream(out, 0),
                    eqn: node.eqn as u32,
                });
                continue;
            }
            if plan.uniform[k] {
                if steady_pass {
                    continue;
                }
                let r = if node.class == Class::Splat {
                    match node.args[0] {
                        Atom::Lit(l) => gen.lit(l.0),
                        Atom::Var(v) => {
                            let s = gen.stream(v, node.offs[0] as isize);
                            let r = gen.const_reg();
                            gen.splats.push((r, SplatSrc::Mem(s, node.eqn as u32)));
                            r
                        }
                    }
                } else {
                    let Class::Ew(code) = node.class else {
                        unreachable!("constants are splats or elementwise")
                    };
                    let mut args = [Src::Reg(0); 3];
                    for (j, &a) in node.args.iter().enumerate() {
                        args[j] = Src::Reg(match a {
                            Atom::Lit(l) => gen.lit(l.0),
                            Atom::Var(v) => constant[&v],
                        });
                    }
                    let r = gen.const_reg();
                    let (lo, hi) = valid(node.n, 0, n);
                    prologue.push(Op {
                        code,
                        out: Src::Reg(r),
                        args,
                        lo,
                        hi,
                        pos: 0,
                        eqn: node.eqn as u32,
                    });
                    r
                };
                constant.insert(out, r);
                if plan.store[k].is_some() {
                    let (lo, hi) = valid(node.n, 0, n);
                    stores.push(Store {
                        reg: r,
                        stream: gen.stream(out, 0),
                        lo,
                        hi,
                    });
                }
                continue;
            }
            // The halo base first, so that the other shifts can read it.
            let mut order: Vec<isize> = if steady_pass {
                steady[k].iter().copied().collect()
            } else {
                plan.shifts[k].clone()
            };
            if let Some(b) = halo_base[k] {
                order.retain(|&s| s != b);
                order.insert(0, b);
            }
            for s in order {
                let (lo, hi) = valid(node.n, s, n);
                if lo >= hi {
                    // Nothing to compute (an empty value): readers see empty
                    // ranges too.
                    let r = gen.lit(0.0);
                    value.insert((out, s), Src::Reg(r));
                    continue;
                }
                if let (true, Some(b)) = (steady_pass, halo_base[k]) {
                    if s != b {
                        let d = (b - s) as u16;
                        let src = match value[&(out, b)] {
                            Src::Reg(r) => Src::Back(r, d),
                            // stored directly: read the stream behind
                            Src::Mem(_) => Src::Mem(gen.stream(out, s)),
                            Src::Back(..) => unreachable!("a halo base is computed"),
                        };
                        value.insert((out, s), src);
                        continue;
                    }
                }
                // Operand `j` at this shift: its source and the loop range on
                // which the node reads it.
                // Operand `j` at this shift: its source, the loop range on
                // which the node reads it, and whether it holds the operand
                // negated (a pending negation, see `signed_arith`).
                let operand = |gen: &mut Gen, j: usize| -> Operand {
                    let at = s - node.place(j);
                    let range = node.arg_range(j, at, (lo, hi), n);
                    match node.args[j] {
                        // Never read: the range is empty.
                        _ if range.0 >= range.1 => (Src::Reg(gen.lit(0.0)), range, false),
                        Atom::Lit(l) => (Src::Reg(gen.lit(l.0)), range, false),
                        Atom::Var(v) => {
                            let shift = at + node.offs[j] as isize;
                            match (constant.get(&v), inside(v)) {
                                (Some(&r), _) => (Src::Reg(r), range, false),
                                (None, Some(_)) => (
                                    *value
                                        .get(&(v, shift))
                                        .expect("producers are computed at every shift read"),
                                    range,
                                    negated.contains(&(v, shift)),
                                ),
                                (None, None) => (Src::Mem(gen.stream(v, shift)), range, false),
                            }
                        }
                    }
                };
                // The operand itself, negating a pending negation into a
                // register (once per value and shift).
                let plain = |gen: &mut Gen,
                             body: &mut Vec<Instr>,
                             mat: &mut HashMap<(Src, usize, usize), Src>,
                             (src, range, neg): Operand|
                 -> Src {
                    if !neg {
                        return src;
                    }
                    *mat.entry((src, range.0, range.1)).or_insert_with(|| {
                        let r = Src::Reg(gen.vreg(false));
                        body.push(Instr::Arith(Arith {
                            f: FOp::Neg,
                            g: GOp::Copy,
                            out: r,
                            a: src,
                            b: src,
                            c: src,
                            lo: range.0,
                            hi: range.1,
                            eqn_f: node.eqn as u32,
                            eqn_g: node.eqn as u32,
                            scale: [1.0; 3],
                            eqn_scale: [node.eqn as u32; 3],
                        }));
                        r
                    })
                };
                let stored_here = plan.store[k] == Some(s);
                let pin = stored_here || halo_base[k] == Some(s) || (Some(k) == epi_src && s == 0);
                // The result's register: the one of the first body when the
                // value lives across chunks or is stored.
                let fixed = shared.get(&(out, s)).copied();
                let new_reg = |gen: &mut Gen| match fixed {
                    Some(Src::Reg(r)) => r,
                    _ => gen.vreg(pin),
                };
                let result = match node.class {
                    Class::Ew(_) | Class::Bcast(_) => {
                        let mut args = [Src::Reg(0); 3];
                        let (code, pos) = match node.class {
                            Class::Bcast(code) => {
                                let Atom::Var(v) = node.args[0] else {
                                    unreachable!("broadcast loads read a variable")
                                };
                                args[0] = Src::Mem(gen.stream(v, node.offs[0] as isize));
                                (code, s)
                            }
                            Class::Ew(code) => (code, 0),
                            _ => unreachable!(),
                        };
                        let eqn = node.eqn as u32;
                        let ops: SmallVec<[Operand; 3]> = match node.class {
                            Class::Ew(_) => {
                                (0..node.args.len()).map(|j| operand(&mut gen, j)).collect()
                            }
                            _ => SmallVec::new(),
                        };
                        let signed = match ops.as_slice() {
                            [x] => signed_arith(code, (x.0, x.2), (x.0, false), &gen.konst),
                            [x, y] => signed_arith(code, (x.0, x.2), (y.0, y.2), &gen.konst),
                            _ => None,
                        };
                        // A negation or copy of a value that need not reach
                        // a register of its own is the value, relabeled.
                        if let (Some(Signed::Alias(src, neg)), false) = (signed, pin) {
                            value.insert((out, s), src);
                            if neg {
                                negated.insert((out, s));
                            }
                            continue;
                        }
                        let direct = stored_here
                            && !read_locs.contains(&loc[out.index()].expect("result placed"));
                        let dst = match (fixed, direct) {
                            (Some(f), _) => f,
                            (None, true) => Src::Mem(gen.stream(out, s)),
                            (None, false) => Src::Reg(new_reg(&mut gen)),
                        };
                        let arith = |f: FOp, out: Src, a: Src, b: Src| {
                            Instr::Arith(Arith {
                                f,
                                g: GOp::Copy,
                                out,
                                a,
                                b,
                                c: a,
                                lo,
                                hi,
                                eqn_f: eqn,
                                eqn_g: eqn,
                                scale: [1.0; 3],
                                eqn_scale: [eqn; 3],
                            })
                        };
                        match signed {
                            Some(Signed::Alias(src, neg)) => {
                                let f = if neg { FOp::Neg } else { FOp::Copy };
                                body.push(arith(f, dst, src, src));
                            }
                            // A value that reaches memory or lives across
                            // chunks is stored with its sign.
                            Some(Signed::Op(f, a, b, true)) if pin => {
                                let t = Src::Reg(gen.vreg(false));
                                body.push(arith(f, t, a, b));
                                body.push(arith(FOp::Neg, dst, t, t));
                            }
                            Some(Signed::Op(f, a, b, neg)) => {
                                body.push(arith(f, dst, a, b));
                                if neg {
                                    negated.insert((out, s));
                                }
                            }
                            None => {
                                for (j, &o) in ops.iter().enumerate() {
                                    args[j] = plain(&mut gen, body, &mut mat, o);
                                }
                                body.push(Instr::Op(Op {
                                    code,
                                    out: dst,
                                    args,
                                    lo,
                                    hi,
                                    pos,
                                    eqn,
                                }));
                            }
                        }
                        dst
                    }
                    Class::Pad(_) => {
                        let o = operand(&mut gen, 0);
                        let keep = o.1;
                        let src = plain(&mut gen, body, &mut mat, o);
                        // Later chunks start past the low zeros (chunks
                        // are at least a halo long): without high zeros
                        // the pad is the identity there.
                        if steady_pass && keep.0 <= HALO && keep.1 == hi && fixed.is_none() {
                            value.insert((out, s), src);
                            continue;
                        }
                        let whole = node.offs[0] == 0
                            && node.args[0]
                                .as_var()
                                .and_then(inside)
                                .is_some_and(|p| nodes[members[p]].n == node.arg_n[0]);
                        match src {
                            // The operand's register holds it on `keep`, and
                            // nobody reads the rest: zero it in place (never
                            // in a constant's register, which every shift
                            // shares).
                            Src::Reg(r)
                                if whole
                                    && !gen.konst[r as usize]
                                    && fixed.is_none_or(|f| f == Src::Reg(r)) =>
                            {
                                if pin {
                                    gen.pinned[r as usize] = true;
                                }
                                body.push(Instr::Zero {
                                    reg: r,
                                    lo,
                                    hi,
                                    keep,
                                    eqn: node.eqn as u32,
                                });
                                Src::Reg(r)
                            }
                            _ => {
                                let r = new_reg(&mut gen);
                                let parts = if keep.0 < keep.1 {
                                    SmallVec::from_slice(&[(src, keep.0, keep.1)])
                                } else {
                                    SmallVec::new()
                                };
                                body.push(Instr::Assemble {
                                    out: r,
                                    lo,
                                    hi,
                                    parts,
                                    eqn: node.eqn as u32,
                                });
                                Src::Reg(r)
                            }
                        }
                    }
                    Class::Concat => {
                        let mut parts = SmallVec::new();
                        for j in 0..node.args.len() {
                            let o = operand(&mut gen, j);
                            let range = o.1;
                            if range.0 < range.1 {
                                parts.push((plain(&mut gen, body, &mut mat, o), range.0, range.1));
                            }
                        }
                        let r = new_reg(&mut gen);
                        body.push(Instr::Assemble {
                            out: r,
                            lo,
                            hi,
                            parts,
                            eqn: node.eqn as u32,
                        });
                        Src::Reg(r)
                    }
                    Class::Splat | Class::Alias(_) | Class::Kernel => unreachable!("not an op"),
                };
                if !steady_pass {
                    if stored_here {
                        if let Src::Reg(r) = result {
                            stores.push(Store {
                                reg: r,
                                stream: gen.stream(out, s),
                                lo,
                                hi,
                            });
                        }
                    }
                    if pin {
                        shared.insert((out, s), result);
                    }
                }
                value.insert((out, s), result);
            }
        }
    }
    let Gen {
        streams,
        pinned,
        mut splats,
        ..
    } = gen;
    let [mut first, mut body] = bodies;
    if passes == 1 {
        std::mem::swap(&mut first, &mut body);
    } else {
        dce(&mut body, &pinned);
    }

    // Physical registers: pinned ones first (the same in both bodies), then
    // each body's temporaries.
    let mut pinned_phys: Vec<Option<u16>> = vec![None; pinned.len()];
    let mut base: u16 = 0;
    for (v, &p) in pinned.iter().enumerate() {
        if p {
            pinned_phys[v] = Some(base);
            base += 1;
        }
    }
    let mut nregs = base;
    let literal: HashMap<u16, f64> = splats
        .iter()
        .filter_map(|&(r, src)| match src {
            SplatSrc::Lit(v) => Some((r, v)),
            SplatSrc::Mem(..) => None,
        })
        .collect();
    let mut map_body = |body: &mut Vec<Instr>| {
        fold_scales(body, &pinned, &literal);
        pair_arith(body, &pinned);
        let (phys, used) = allocate(body, &pinned, &pinned_phys, base);
        nregs = nregs.max(used);
        map_regs(body, &phys);
        phys
    };
    let first = (passes == 2).then(|| {
        map_body(&mut first);
        first
    });
    let phys = map_body(&mut body);
    let reg_of = |r: u16| phys[r as usize].expect("register assigned");
    let map_op = |op: &mut Op| {
        op.out = map_src(op.out, &phys);
        let k = arity(op.code);
        for a in &mut op.args[..k] {
            *a = map_src(*a, &phys);
        }
    };
    prologue.iter_mut().for_each(map_op);
    for (r, _) in &mut splats {
        *r = reg_of(*r);
    }
    for st in &mut stores {
        st.reg = reg_of(st.reg);
    }
    if let Some(e) = &mut epi {
        e.src = map_src(e.src, &phys);
    }
    let mut halo: Vec<u16> = Vec::new();
    for (k, b) in halo_base.iter().enumerate() {
        if let Some(b) = b {
            if let Some(Src::Reg(r)) = shared.get(&(nodes[members[k]].out, *b)) {
                halo.push(reg_of(*r));
            }
        }
    }
    // Checked runs split two-step arithmetic through a spare register.
    let check_reg = nregs;
    let two_step = |b: &[Instr]| {
        b.iter()
            .any(|i| matches!(i, Instr::Arith(a) if a.g != GOp::Copy))
    };
    if two_step(&body) || first.as_deref().is_some_and(two_step) {
        nregs += 1;
    }
    let nregs = nregs as usize;
    // Two bodies need chunks at least a halo long (see the pad rule above).
    let halo_len = if passes == 2 { HALO } else { 0 };
    let (chunk, stride) = Fused::chunk_for(n, nregs, halo_len);
    let fused = Fused {
        n,
        chunk,
        stride,
        nregs,
        splats,
        prologue,
        first,
        body,
        stores,
        epilogue: epi,
        check_reg,
        halo,
        halo_len,
    };
    FusedStep { fused, streams }
}

/// Longest distance between the shifts of a value that the halo serves.
const HALO: usize = 8;

/// Physical registers for a body's temporaries, recycled after their last
/// read (an instruction's result never shares a register with its
/// operands, as it is assigned before they are released). Returns the map
/// of every virtual register the body uses and the register count.
fn allocate(
    body: &[Instr],
    pinned: &[bool],
    pinned_phys: &[Option<u16>],
    base: u16,
) -> (Vec<Option<u16>>, u16) {
    let nv = pinned.len();
    let mut last = vec![usize::MAX; nv];
    for (i, ins) in body.iter().enumerate() {
        for_each_read(ins, |r| last[r as usize] = i);
    }
    let mut phys = pinned_phys.to_vec();
    let mut nregs = base;
    let mut free: Vec<u16> = Vec::new();
    for (i, ins) in body.iter().enumerate() {
        let def = match ins {
            Instr::Op(Op {
                out: Src::Reg(r), ..
            })
            | Instr::Arith(Arith {
                out: Src::Reg(r), ..
            })
            | Instr::Assemble { out: r, .. } => Some(*r),
            _ => None,
        };
        if let Some(r) = def {
            if phys[r as usize].is_none() {
                phys[r as usize] = Some(free.pop().unwrap_or_else(|| {
                    nregs += 1;
                    nregs - 1
                }));
            }
        }
        let mut dying: SmallVec<[u16; 4]> = SmallVec::new();
        for_each_read(ins, |r| {
            if last[r as usize] == i && !pinned[r as usize] && !dying.contains(&r) {
                dying.push(r);
            }
        });
        for r in dying {
            free.push(phys[r as usize].expect("read after written"));
        }
    }
    (phys, nregs)
}

fn map_src(s: Src, phys: &[Option<u16>]) -> Src {
    let p = |r: u16| phys[r as usize].expect("register assigned");
    match s {
        Src::Reg(r) => Src::Reg(p(r)),
        Src::Back(r, d) => Src::Back(p(r), d),
        Src::Mem(k) => Src::Mem(k),
    }
}

/// Rewrites a body's virtual registers to physical ones.
fn map_regs(body: &mut [Instr], phys: &[Option<u16>]) {
    for ins in body {
        match ins {
            Instr::Op(op) => {
                op.out = map_src(op.out, phys);
                let k = arity(op.code);
                for a in &mut op.args[..k] {
                    *a = map_src(*a, phys);
                }
            }
            Instr::Arith(ar) => {
                ar.out = map_src(ar.out, phys);
                ar.a = map_src(ar.a, phys);
                ar.b = if ar.f.reads_b() {
                    map_src(ar.b, phys)
                } else {
                    ar.a
                };
                ar.c = if ar.g.reads_c() {
                    map_src(ar.c, phys)
                } else {
                    ar.a
                };
            }
            Instr::Zero { reg, .. } => *reg = phys[*reg as usize].expect("register assigned"),
            Instr::Assemble { out, parts, .. } => {
                *out = phys[*out as usize].expect("register assigned");
                for (s, _, _) in parts.iter_mut() {
                    *s = map_src(*s, phys);
                }
            }
        }
    }
}

/// Drops instructions whose results nobody reads (the recomputations a
/// halo replaced), to a fixed point.
fn dce(body: &mut Vec<Instr>, pinned: &[bool]) {
    loop {
        let mut reads = vec![0usize; pinned.len()];
        for ins in body.iter() {
            if !matches!(ins, Instr::Zero { .. }) {
                for_each_read(ins, |r| reads[r as usize] += 1);
            }
        }
        let dead = |r: u16| !pinned[r as usize] && reads[r as usize] == 0;
        let before = body.len();
        body.retain(|ins| match ins {
            Instr::Op(Op {
                out: Src::Reg(r), ..
            })
            | Instr::Arith(Arith {
                out: Src::Reg(r), ..
            })
            | Instr::Assemble { out: r, .. }
            | Instr::Zero { reg: r, .. } => !dead(*r),
            _ => true,
        });
        if body.len() == before {
            return;
        }
    }
}

/// Streams and virtual registers of a group being compiled.
struct Gen<'a> {
    loc: &'a [Option<Loc>],
    streams: Vec<(Loc, isize)>,
    stream_of: HashMap<(Var, isize), u16>,
    /// Per virtual register: whether it lives for the whole task (constants,
    /// stored and reduced values).
    pinned: Vec<bool>,
    /// Per virtual register: whether it holds one value splatted (literals,
    /// broadcast scalars and ops on them).
    konst: Vec<bool>,
    splats: Vec<(u16, SplatSrc)>,
    lits: HashMap<u64, u16>,
}

impl Gen<'_> {
    /// The stream of `v`'s buffer whose loop index zero is element `off`.
    fn stream(&mut self, v: Var, off: isize) -> u16 {
        let Gen {
            loc,
            streams,
            stream_of,
            ..
        } = self;
        *stream_of.entry((v, off)).or_insert_with(|| {
            streams.push((loc[v.index()].expect("operand placed"), off));
            (streams.len() - 1) as u16
        })
    }

    fn vreg(&mut self, pin: bool) -> u16 {
        self.pinned.push(pin);
        self.konst.push(false);
        (self.pinned.len() - 1) as u16
    }

    /// A register holding a constant for the whole task.
    fn const_reg(&mut self) -> u16 {
        let r = self.vreg(true);
        self.konst[r as usize] = true;
        r
    }

    /// The register splatted with literal `v`.
    fn lit(&mut self, v: f64) -> u16 {
        if let Some(&r) = self.lits.get(&v.to_bits()) {
            return r;
        }
        let r = self.const_reg();
        self.splats.push((r, SplatSrc::Lit(v)));
        self.lits.insert(v.to_bits(), r);
        r
    }
}

/// An operand of a fused op: its source, the loop range on which it is
/// read, and whether the source holds it negated.
type Operand = (Src, (usize, usize), bool);

/// An elementwise op as arithmetic on operands that may be held negated.
#[derive(Clone, Copy)]
enum Signed {
    /// No instruction: the value is this operand, negated or not.
    Alias(Src, bool),
    /// One instruction `f(a, b)`, whose result is the value negated or not.
    Op(FOp, Src, Src, bool),
}

/// The arithmetic instruction for an op on operands `(src, negated)`, if it
/// is arithmetic. Negations fold into their readers exactly: `a + (-b)` is
/// `a - b` and `(-a)(b)` is `-(ab)` by IEEE 754's definitions, and
/// `(-a) + (-b)` has its own instruction `-a - b` (the form `-(a + b)`
/// differs in the sign of an exact zero). Splatted operands become scalar
/// immediates.
fn signed_arith(code: Code, x: (Src, bool), y: (Src, bool), konst: &[bool]) -> Option<Signed> {
    let k = |s: Src| matches!(s, Src::Reg(r) if konst[r as usize]);
    let ((a, na), (b, nb)) = (x, y);
    Some(match code {
        Code::Neg => Signed::Alias(a, !na),
        Code::Copy => Signed::Alias(a, na),
        Code::Square => Signed::Op(FOp::Square, a, a, false),
        // Addition and multiplication commute exactly.
        Code::Mul if k(b) => Signed::Op(FOp::MulK, a, b, na),
        Code::Mul if k(a) => Signed::Op(FOp::MulK, b, a, nb),
        Code::Mul => Signed::Op(FOp::Mul, a, b, na != nb),
        Code::Add | Code::Sub => {
            // x - y = x + (-y)
            let nb = nb != (code == Code::Sub);
            let f = |p: bool, q: bool, k_second: bool| match (p, q, k_second) {
                (false, false, false) => FOp::Add,
                (false, true, false) => FOp::Sub,
                (true, true, false) => FOp::NAdd,
                (false, false, true) => FOp::AddK,
                (false, true, true) => FOp::SubK,
                (true, false, true) => FOp::RSubK,
                (true, true, true) => FOp::NAddK,
                (true, false, false) => unreachable!("reordered below"),
            };
            if k(b) {
                Signed::Op(f(na, nb, true), a, b, false)
            } else if k(a) {
                Signed::Op(f(nb, na, true), b, a, false)
            } else if na && !nb {
                // -a + b = b - a
                Signed::Op(FOp::Sub, b, a, false)
            } else {
                Signed::Op(f(na, nb, false), a, b, false)
            }
        }
        _ => return None,
    })
}

/// Folds each product of a value by a literal, `t = a * k`, into every
/// instruction that reads `t`, as a scale on that operand, where all its
/// readers are arithmetic over the same range, read it unshifted and do not
/// already scale it: the product then never goes through a register (a
/// store and a load per element saved). Derivative programs are full of
/// them (`2x`, `100 (x₁ − x₀²)`). Works on virtual registers, before
/// pairing: the value `a` simply lives a little longer.
fn fold_scales(body: &mut Vec<Instr>, pinned: &[bool], literal: &HashMap<u16, f64>) {
    // Registers a pad zeroes in place hold two values over time: reading
    // one later is not reading it at the product.
    let zeroed: HashSet<u16> = body
        .iter()
        .filter_map(|ins| match ins {
            Instr::Zero { reg, .. } => Some(*reg),
            _ => None,
        })
        .collect();
    let mut gone = vec![false; body.len()];
    for i in 0..body.len() {
        let Instr::Arith(x) = &body[i] else { continue };
        let (Src::Reg(t), FOp::MulK, GOp::Copy, Src::Reg(kr)) = (x.out, x.f, x.g, x.b) else {
            continue;
        };
        let Some(&k) = literal.get(&kr) else { continue };
        let in_place = matches!(x.a, Src::Reg(r) if zeroed.contains(&r));
        if pinned[t as usize] || x.is_scaled(0) || matches!(x.a, Src::Back(..)) || in_place {
            continue;
        }
        let (a, range, eqn) = (x.a, (x.lo, x.hi), x.eqn_f);
        // Every read of `t`: a vector operand of an arithmetic instruction
        // over the same range, unscaled.
        let mut readers = Vec::new();
        let mut foldable = true;
        for (j, ins) in body.iter().enumerate().skip(i + 1) {
            let mut reads_t = false;
            for_each_read(ins, |r| reads_t |= r == t);
            if !reads_t {
                continue;
            }
            match ins {
                Instr::Arith(y) if (y.lo, y.hi) == range => {
                    for (pos, src, used) in vector_operands(y) {
                        if !used {
                            continue;
                        }
                        match src {
                            Src::Reg(r) if r == t && !y.is_scaled(pos) => readers.push((j, pos)),
                            Src::Back(r, _) if r == t => foldable = false,
                            Src::Reg(r) if r == t => foldable = false,
                            _ => {}
                        }
                    }
                }
                _ => foldable = false,
            }
        }
        if !foldable || readers.is_empty() {
            continue;
        }
        for (j, pos) in readers {
            let Instr::Arith(y) = &mut body[j] else {
                unreachable!("an arithmetic reader")
            };
            match pos {
                0 => y.a = a,
                1 => y.b = a,
                _ => y.c = a,
            }
            y.scale[pos] = k;
            y.eqn_scale[pos] = eqn;
        }
        gone[i] = true;
    }
    let mut n = 0;
    body.retain(|_| {
        n += 1;
        !gone[n - 1]
    });
}

/// The vector operands of an arithmetic instruction: position, source and
/// whether it is read.
fn vector_operands(y: &Arith) -> [(usize, Src, bool); 3] {
    [
        (0, y.a, true),
        (1, y.b, y.f.reads_b() && !y.f.scalar_b()),
        (2, y.c, y.g.reads_c() && !y.g.scalar_c()),
    ]
}

/// Merges each single arithmetic instruction whose result only one other
/// single arithmetic instruction reads, over the same range, into that
/// reader: `g(f(a, b), c)` in one pass. Works on virtual registers, before
/// allocation, so the first step's operands simply live a little longer.
fn pair_arith(body: &mut Vec<Instr>, pinned: &[bool]) {
    let mut uses = vec![0usize; pinned.len()];
    for ins in body.iter() {
        for_each_read(ins, |r| uses[r as usize] += 1);
    }
    let mut def: Vec<Option<usize>> = vec![None; pinned.len()];
    for (i, ins) in body.iter().enumerate() {
        if let Instr::Arith(Arith {
            out: Src::Reg(r), ..
        }) = ins
        {
            def[*r as usize] = Some(i);
        }
    }
    let mut gone = vec![false; body.len()];
    for j in 0..body.len() {
        let Instr::Arith(y) = &body[j] else { continue };
        if y.g != GOp::Copy {
            continue;
        }
        let vector_b = y.f.reads_b() && !y.f.scalar_b();
        let candidates = [(y.a, true), (y.b, false)];
        for (t, first) in candidates {
            if !first && !vector_b {
                continue;
            }
            let Src::Reg(r) = t else { continue };
            let r = r as usize;
            if pinned[r] || uses[r] != 1 {
                continue;
            }
            let Some(i) = def[r] else { continue };
            let Instr::Arith(x) = &body[i] else { continue };
            // The intermediate stays in a CPU register: it cannot be read
            // scaled.
            let t_pos = if first { 0 } else { 1 };
            if gone[i] || x.g != GOp::Copy || (x.lo, x.hi) != (y.lo, y.hi) || y.is_scaled(t_pos) {
                continue;
            }
            let (g, c) = if first {
                let g = match y.f {
                    FOp::Add => GOp::Add,
                    FOp::Sub => GOp::Sub,
                    FOp::Mul => GOp::Mul,
                    FOp::NAdd => GOp::NAdd,
                    FOp::AddK => GOp::AddK,
                    FOp::SubK => GOp::SubK,
                    FOp::RSubK => GOp::RSubK,
                    FOp::MulK => GOp::MulK,
                    FOp::NAddK => GOp::NAddK,
                    FOp::Neg => GOp::Neg,
                    FOp::Square => GOp::Square,
                    FOp::Copy => GOp::Copy,
                };
                (g, y.b)
            } else {
                // `a + t`, `a - t`, `a * t`, `-a - t` with `t` second:
                // addition and multiplication commute exactly.
                let g = match y.f {
                    FOp::Add => GOp::Add,
                    FOp::Sub => GOp::RSub,
                    FOp::Mul => GOp::Mul,
                    FOp::NAdd => GOp::NAdd,
                    _ => unreachable!("a vector second operand"),
                };
                (g, y.a)
            };
            let other = 1 - t_pos;
            let merged = Arith {
                f: x.f,
                g,
                out: y.out,
                a: x.a,
                b: x.b,
                c,
                lo: y.lo,
                hi: y.hi,
                eqn_f: x.eqn_f,
                eqn_g: y.eqn_g,
                scale: [x.scale[0], x.scale[1], y.scale[other]],
                eqn_scale: [x.eqn_scale[0], x.eqn_scale[1], y.eqn_scale[other]],
            };
            body[j] = Instr::Arith(merged);
            gone[i] = true;
            break;
        }
    }
    let mut k = 0;
    body.retain(|_| {
        k += 1;
        !gone[k - 1]
    });
}

/// The number of operands an op reads (a broadcast load reads a stream by
/// position, so none as such).
fn arity(code: Code) -> usize {
    match code {
        Code::Tile(_) | Code::Repeat(_) => 0,
        Code::Select => 3,
        Code::Neg
        | Code::Exp
        | Code::Log
        | Code::Log1p
        | Code::Expm1
        | Code::Sqrt
        | Code::Sin
        | Code::Cos
        | Code::Tan
        | Code::Atan
        | Code::Tanh
        | Code::Abs
        | Code::Sign
        | Code::Square
        | Code::IntPow(_)
        | Code::Copy => 1,
        Code::Add
        | Code::Sub
        | Code::Mul
        | Code::Div
        | Code::Pow
        | Code::Max
        | Code::Min
        | Code::Cmp(_) => 2,
    }
}

/// Calls `f` on every register an instruction reads.
fn for_each_read(ins: &Instr, mut f: impl FnMut(u16)) {
    match ins {
        Instr::Op(op) => {
            for a in &op.args[..arity(op.code)] {
                if let Src::Reg(r) | Src::Back(r, _) = a {
                    f(*r);
                }
            }
        }
        Instr::Arith(ar) => {
            for (s, used) in [(ar.a, true), (ar.b, ar.f.reads_b()), (ar.c, ar.g.reads_c())] {
                if let (Src::Reg(r) | Src::Back(r, _), true) = (s, used) {
                    f(r);
                }
            }
        }
        Instr::Zero { reg, .. } => f(*reg),
        Instr::Assemble { parts, .. } => {
            for (s, _, _) in parts {
                if let Src::Reg(r) | Src::Back(r, _) = s {
                    f(*r);
                }
            }
        }
    }
}
