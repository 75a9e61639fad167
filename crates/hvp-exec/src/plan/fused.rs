//! Fused loops: a small register bytecode run chunk by chunk over the flat
//! index space of a group's output.
//!
//! A group of elementwise equations (with the slices, pads, concatenations
//! and broadcasts between them) compiles to a list of [`Instr`]s over
//! operands that are either *registers* (chunk-sized scratch arrays on the
//! stack, which stay in L1) or *streams* (the group's input and output
//! buffers). Execution is instruction-at-a-time over a chunk, so each
//! instruction is a tight loop the compiler vectorizes, and only the group's
//! live-out values ever reach memory.
//!
//! Every instruction computes one value at one *shift*: at loop index `i` it
//! produces element `i + shift` of the value, and it runs only over the loop
//! indices where that element exists (its valid range `lo..hi`). A slice is
//! thus a stream read at an offset, a pad is a range outside which the
//! value is zero, and a producer needed at two offsets (`x[1:]` and
//! `x[:-1]` of one computed `x`) is computed twice, once per shift. Only
//! the chunks that straddle a range boundary see partial ranges.
//!
//! That recomputation is needed only in a task's first chunk: later chunks
//! run a second body that computes such a value once, at its furthest-ahead
//! shift, and reads the nearer shifts back from the same register a few
//! elements behind, the elements before the chunk coming from the
//! register's *halo*, where each chunk leaves its last elements for the
//! next. Both bodies give the same bits.
//!
//! Arithmetic (`+ - ×`, negation, squares) compiles to two-step
//! instructions `g(f(a, b), c)` with scalar operands as immediates, so a
//! single-use intermediate stays in a CPU register.
//!
//! Literals and broadcast scalars are splatted into registers once per task,
//! and ops whose operands are all such constants run once per task too.
//!
//! Chunks never interact, so a large group is split over threads in fixed
//! blocks of chunks and gives the same bits on any thread count.

use hvp_ir::CmpOp;
use hvp_tensor::kernels::math;
use hvp_tensor::Float;
use rayon::prelude::*;
use smallvec::SmallVec;
use std::mem::MaybeUninit;

/// Elements of the per-task register file (32 KiB of f64).
pub(crate) const REG_ELEMS: usize = 4096;
/// Longest chunk.
pub(crate) const MAX_CHUNK: usize = 256;
/// Registers sit `chunk + PAD` elements apart: with a power-of-two stride,
/// loads from one register and stores to another two registers away hit
/// the same 4 KiB offset, and the CPU's store-forwarding check stalls on
/// them ("4K aliasing"), which measured 2x slower.
const PAD: usize = 8;
/// Elements per parallel task.
pub(crate) const PAR_BLOCK: usize = 1 << 13;
/// `n * ops` above which a group is split over threads.
const PAR_WORK: usize = 1 << 17;

/// What an op computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Code {
    Neg,
    Exp,
    Log,
    Log1p,
    Expm1,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Atan,
    Tanh,
    Abs,
    Sign,
    Square,
    IntPow(i32),
    Copy,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Max,
    Min,
    Cmp(CmpOp),
    Select,
    /// `out[i] = src[(i + pos) % period]`; the operand is a stream read
    /// from its base.
    Tile(usize),
    /// `out[i] = src[(i + pos) / repeat]`, likewise.
    Repeat(usize),
}

impl Code {
    /// Rough cost relative to an add, for capping recomputation.
    pub fn cost(self) -> usize {
        match self {
            Code::Exp
            | Code::Log
            | Code::Log1p
            | Code::Expm1
            | Code::Sin
            | Code::Cos
            | Code::Tan
            | Code::Atan
            | Code::Tanh
            | Code::Pow => 8,
            Code::IntPow(p) if !(-2..=3).contains(&p) => 4,
            Code::Div | Code::Sqrt => 2,
            _ => 1,
        }
    }
}

/// Where an operand lives during a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Src {
    /// Register `r`: `regs[r * stride..][..chunk]`, element `k` belonging
    /// to loop index `chunk start + k`.
    Reg(u16),
    /// Stream `k`: the group's `k`-th buffer, element `i` belonging to loop
    /// index `i` (the stream's base already includes its shift).
    Mem(u16),
    /// Register `r` read `d` elements behind: at loop index `i`, the value
    /// the register held for loop index `i - d`, from the register's halo
    /// (the previous chunk's last elements) where `i - d` precedes the
    /// chunk.
    Back(u16, u16),
}

/// One instruction: `out = code(args...)` over the loop indices `lo..hi`.
#[derive(Clone, Debug)]
pub(crate) struct Op {
    pub code: Code,
    pub out: Src,
    pub args: [Src; 3],
    pub lo: usize,
    pub hi: usize,
    /// Position shift of a `Tile`/`Repeat` load.
    pub pos: isize,
    /// The equation it came from, for finiteness reports.
    pub eqn: u32,
}

/// The first step of an arithmetic instruction, `t = f(a, b)`. `K`
/// variants read `b` as a scalar (element 0 of a splatted register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FOp {
    Add,
    Sub,
    Mul,
    /// `-a - b`
    NAdd,
    AddK,
    SubK,
    /// `k - a`
    RSubK,
    MulK,
    /// `-a - k`
    NAddK,
    Neg,
    Square,
    Copy,
}

/// The second step, `out = g(t, c)`; `K` variants read `c` as a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GOp {
    Add,
    Sub,
    /// `c - t`
    RSub,
    Mul,
    /// `-t - c`
    NAdd,
    AddK,
    SubK,
    /// `k - t`
    RSubK,
    MulK,
    /// `-t - k`
    NAddK,
    Neg,
    Square,
    /// `out = t`: a single operation.
    Copy,
}

impl FOp {
    /// Whether `b` is read (as a vector or a scalar).
    pub fn reads_b(self) -> bool {
        !matches!(self, FOp::Neg | FOp::Square | FOp::Copy)
    }

    /// Whether `b` is a scalar.
    pub fn scalar_b(self) -> bool {
        matches!(
            self,
            FOp::AddK | FOp::SubK | FOp::RSubK | FOp::MulK | FOp::NAddK
        )
    }
}

impl GOp {
    /// Whether `c` is read (as a vector or a scalar).
    pub fn reads_c(self) -> bool {
        !matches!(self, GOp::Neg | GOp::Square | GOp::Copy)
    }

    /// Whether `c` is a scalar.
    pub fn scalar_c(self) -> bool {
        matches!(
            self,
            GOp::AddK | GOp::SubK | GOp::RSubK | GOp::MulK | GOp::NAddK
        )
    }

    /// The same operation as a first step, with `t` as `a` and `c` as `b`
    /// (`None` for the reversed subtraction of two vectors).
    fn as_first(self) -> Option<FOp> {
        Some(match self {
            GOp::Add => FOp::Add,
            GOp::Sub => FOp::Sub,
            GOp::RSub => return None,
            GOp::Mul => FOp::Mul,
            GOp::NAdd => FOp::NAdd,
            GOp::NAddK => FOp::NAddK,
            GOp::AddK => FOp::AddK,
            GOp::SubK => FOp::SubK,
            GOp::RSubK => FOp::RSubK,
            GOp::MulK => FOp::MulK,
            GOp::Neg => FOp::Neg,
            GOp::Square => FOp::Square,
            GOp::Copy => FOp::Copy,
        })
    }
}

/// `out = g(f(a, b), c)` over `lo..hi` in one pass: the arithmetic of one
/// or two equations with the intermediate kept in a CPU register, and
/// scalar operands as immediates. Rounding is that of the two separate
/// operations (no FMA contraction).
#[derive(Clone, Debug)]
pub(crate) struct Arith {
    pub f: FOp,
    pub g: GOp,
    pub out: Src,
    pub a: Src,
    pub b: Src,
    pub c: Src,
    pub lo: usize,
    pub hi: usize,
    /// The equations of `f` and `g` (equal for a single operation).
    pub eqn_f: u32,
    pub eqn_g: u32,
    /// A literal each vector operand `a`, `b`, `c` is multiplied by as it
    /// is read (1 where none): a product by a literal folded into its
    /// readers, so its value never goes through a register. The same
    /// operation as the separate one, so the same bits.
    pub scale: [f64; 3],
    /// The equation of each scale, for finiteness reports.
    pub eqn_scale: [u32; 3],
}

impl Arith {
    /// Whether operand `k` (0, 1, 2 for `a`, `b`, `c`) is read scaled.
    // A scale is exactly 1 where none was folded.
    #[allow(clippy::float_cmp)]
    pub fn is_scaled(&self, k: usize) -> bool {
        self.scale[k] != 1.0
    }

    /// Whether any operand is read scaled.
    pub fn scaled(&self) -> bool {
        (0..3).any(|k| self.is_scaled(k))
    }
}

/// A fused instruction.
#[derive(Clone, Debug)]
pub(crate) enum Instr {
    Op(Op),
    Arith(Arith),
    /// A pad in place: register `reg` holds its operand on `keep`; the
    /// rest of `lo..hi` becomes zero (those elements of the operand are
    /// never read).
    Zero {
        reg: u16,
        lo: usize,
        hi: usize,
        keep: (usize, usize),
        eqn: u32,
    },
    /// `out` on `lo..hi`: each part's source on the part's range (sorted,
    /// disjoint), zero elsewhere. A concatenation, or a pad of a value that
    /// cannot be zeroed in place.
    Assemble {
        out: u16,
        lo: usize,
        hi: usize,
        parts: SmallVec<[(Src, usize, usize); 3]>,
        eqn: u32,
    },
}

/// Where a splatted register gets its value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SplatSrc {
    Lit(f64),
    /// Element 0 of stream `k`, with the equation that broadcasts it
    /// (`u32::MAX` for none).
    Mem(u16, u32),
}

/// A register copied to a stream at the end of each chunk, on `lo..hi`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Store {
    pub reg: u16,
    pub stream: u16,
    pub lo: usize,
    pub hi: usize,
}

/// A compiled fused group.
#[derive(Clone, Debug)]
pub(crate) struct Fused {
    /// Loop length.
    pub n: usize,
    pub chunk: usize,
    /// Distance between registers in elements.
    pub stride: usize,
    pub nregs: usize,
    pub splats: Vec<(u16, SplatSrc)>,
    /// Ops over splatted registers only, run once per task on whole
    /// registers (their results are constant too).
    pub prologue: Vec<Op>,
    /// The body for the first chunk of a task, when it differs: it
    /// computes every value at every shift, where later chunks read values
    /// at nearby shifts back from the halo of the furthest-ahead one.
    pub first: Option<Vec<Instr>>,
    pub body: Vec<Instr>,
    /// Register values copied to streams at the end of each chunk (values
    /// whose buffer is also an input of this group, or constants).
    pub stores: Vec<Store>,
    /// A full reduction of one value, folded into the loop.
    pub epilogue: Option<Epilogue>,
    /// A register for the intermediate of two-step arithmetic in checked
    /// runs, which check each step.
    pub check_reg: u16,
    /// Registers whose last `halo_len` elements are carried to the next
    /// chunk (in front of the register) for `Src::Back` reads.
    pub halo: Vec<u16>,
    pub halo_len: usize,
}

/// A sum or maximum of all elements of one group value, computed as the
/// chunks go by instead of storing the value and reducing it afterwards.
///
/// Each block of `PAR_BLOCK` loop indices folds into `LANES` accumulators
/// (lane = position within the chunk's part of the value modulo `LANES`)
/// combined by a fixed tree; block results land in a scratch stream and are
/// folded in block order. Sequential and parallel runs use the same blocks
/// and chunks, so the bits do not depend on the thread count.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Epilogue {
    pub src: Src,
    /// Loop indices where the reduced value lives.
    pub lo: usize,
    pub hi: usize,
    pub max: bool,
    /// Scratch stream of `n.div_ceil(PAR_BLOCK)` block results.
    pub partials: u16,
    /// One-element result stream.
    pub out: u16,
    pub eqn: u32,
}

/// Accumulators of a fused reduction.
const LANES: usize = 16;

/// The maximum of the `max` primitive: NaN if either operand is NaN, else
/// the larger, the first on ties (as numpy's `maximum`).
#[inline(always)]
pub(crate) fn nan_max<T: Float>(a: T, b: T) -> T {
    if a >= b || a.is_nan() {
        a
    } else {
        b
    }
}

/// The minimum of the `min` primitive, likewise.
#[inline(always)]
pub(crate) fn nan_min<T: Float>(a: T, b: T) -> T {
    if a <= b || a.is_nan() {
        a
    } else {
        b
    }
}

impl Epilogue {
    /// The number of block results a group of `n` elements needs.
    pub fn blocks(n: usize) -> usize {
        n.div_ceil(PAR_BLOCK).max(1)
    }

    #[inline(always)]
    fn identity<T: Float>(&self) -> T {
        if self.max {
            T::neg_infinity()
        } else {
            T::zero()
        }
    }

    #[inline(always)]
    fn combine<T: Float>(&self, a: T, b: T) -> T {
        if self.max {
            nan_max(a, b)
        } else {
            a + b
        }
    }

    #[inline(always)]
    fn accumulate<T: Float>(&self, acc: &mut [T; LANES], v: &[T]) {
        let mut it = v.chunks_exact(LANES);
        if self.max {
            for c in &mut it {
                for k in 0..LANES {
                    acc[k] = nan_max(acc[k], c[k]);
                }
            }
        } else {
            for c in &mut it {
                for k in 0..LANES {
                    acc[k] += c[k];
                }
            }
        }
        for (k, &x) in it.remainder().iter().enumerate() {
            acc[k] = self.combine(acc[k], x);
        }
    }

    fn finish<T: Float>(&self, mut acc: [T; LANES]) -> T {
        let mut w = LANES / 2;
        while w > 0 {
            for k in 0..w {
                acc[k] = self.combine(acc[k], acc[k + w]);
            }
            w /= 2;
        }
        acc[0]
    }
}

/// A non-finite value found by a checked run: the equation and the value.
pub(crate) type Found = Option<(u32, f64)>;

fn earlier(a: Found, b: Found) -> Found {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.0 < x.0 { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Base pointers of a group's streams, shareable across threads.
#[derive(Clone, Copy)]
pub(crate) struct Streams<'a, T> {
    pub ptrs: &'a [usize],
    pub _t: std::marker::PhantomData<*mut T>,
}

// SAFETY: the pointers address buffers that the running plan owns for the
// duration of the call; threads touch disjoint chunk ranges of the output
// streams and only read the input streams.
unsafe impl<T> Send for Streams<'_, T> {}
unsafe impl<T> Sync for Streams<'_, T> {}

impl Fused {
    /// Chunk length and register stride for a group needing `nregs`
    /// registers, each with `halo` elements in front, over `n` loop
    /// indices.
    pub fn chunk_for(n: usize, nregs: usize, halo: usize) -> (usize, usize) {
        let nregs = nregs.max(1);
        let c = (REG_ELEMS / nregs)
            .saturating_sub(PAD + halo)
            .min(MAX_CHUNK);
        let c = if c >= 16 { c & !7 } else { c.max(1) };
        // A halo needs chunks at least as long as itself.
        let c = c.max(halo).min(n.max(1));
        // Without room for the padding (hundreds of registers), pack them.
        let stride = if nregs * (c + PAD + halo) <= REG_ELEMS {
            c + PAD + halo
        } else {
            c + halo
        };
        (c, stride)
    }

    /// Instructions run per chunk (after a task's first) and once per task,
    /// for statistics.
    pub fn op_count(&self) -> usize {
        self.prologue.len() + self.body.len()
    }

    /// The equations the group computes (unsorted, with repeats).
    pub fn eqns(&self) -> Vec<usize> {
        let mut e: Vec<usize> = self.prologue.iter().map(|o| o.eqn as usize).collect();
        for ins in self.first.as_ref().unwrap_or(&self.body) {
            match ins {
                Instr::Op(o) => e.push(o.eqn as usize),
                Instr::Arith(a) => {
                    e.extend([a.eqn_f as usize, a.eqn_g as usize]);
                    for k in 0..3 {
                        if a.is_scaled(k) {
                            e.push(a.eqn_scale[k] as usize);
                        }
                    }
                }
                Instr::Assemble { eqn, .. } => e.push(*eqn as usize),
                Instr::Zero { eqn, .. } => e.push(*eqn as usize),
            }
        }
        if let Some(epi) = &self.epilogue {
            e.push(epi.eqn as usize);
        }
        e
    }

    /// Runs the group; with `check`, returns the first (lowest equation)
    /// non-finite value produced.
    ///
    /// # Safety
    /// Every stream pointer, offset by any loop index inside the valid
    /// range of an instruction that uses it, must address a valid element;
    /// output streams must not overlap any other stream at the same loop
    /// index in another chunk, nor at another loop index of the same chunk
    /// (the compiler only writes a stream directly when that holds, and
    /// routes the rest through `stores`).
    pub unsafe fn run<T: Float>(&self, s: Streams<'_, T>, check: bool) -> Found {
        let work = self.n.saturating_mul(self.body.len().max(1));
        let parallel = !check
            && work >= PAR_WORK
            && self.n >= 2 * PAR_BLOCK
            && rayon::current_num_threads() > 1;
        let Some(epi) = self.epilogue else {
            if self.n == 0 {
                return None;
            }
            if parallel {
                let blocks = self.n.div_ceil(PAR_BLOCK);
                (0..blocks).into_par_iter().for_each(|b| {
                    let lo = b * PAR_BLOCK;
                    let hi = (lo + PAR_BLOCK).min(self.n);
                    // SAFETY: blocks are disjoint ranges inside `0..n`.
                    unsafe { self.run_range(s, lo, hi, false) };
                });
                return None;
            }
            // SAFETY: forwarded from the caller.
            return unsafe { self.run_range(s, 0, self.n, check).0 };
        };
        let blocks = self.n.div_ceil(PAR_BLOCK);
        let block = |b: usize| -> Found {
            let partials = s.ptrs[epi.partials as usize] as *mut T;
            let lo = b * PAR_BLOCK;
            let hi = (lo + PAR_BLOCK).min(self.n);
            // SAFETY: blocks are disjoint ranges inside `0..n`, and each
            // writes only its own slot of the scratch stream.
            unsafe {
                let (found, part) = self.run_range(s, lo, hi, check);
                *partials.add(b) = part;
                found
            }
        };
        let mut found = None;
        if parallel {
            (0..blocks).into_par_iter().for_each(|b| {
                block(b);
            });
        } else {
            for b in 0..blocks {
                found = earlier(found, block(b));
            }
        }
        let partials = s.ptrs[epi.partials as usize] as *const T;
        let mut total = epi.identity::<T>();
        for b in 0..blocks {
            // SAFETY: every block wrote its slot above.
            total = epi.combine(total, unsafe { *partials.add(b) });
        }
        // SAFETY: the result stream holds one element.
        unsafe { *(s.ptrs[epi.out as usize] as *mut T) = total };
        if check && !total.is_finite() {
            found = earlier(found, Some((epi.eqn, total.to_f64())));
        }
        found
    }

    /// Runs loop indices `lo..hi` chunk by chunk on this thread, with AVX2
    /// code where the CPU has it. Only the vector width differs (no FMA
    /// contraction), so both paths give the same bits.
    unsafe fn run_range<T: Float>(
        &self,
        s: Streams<'_, T>,
        lo: usize,
        hi: usize,
        check: bool,
    ) -> (Found, T) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2; the rest is forwarded.
            return unsafe { self.run_range_avx2(s, lo, hi, check) };
        }
        // SAFETY: forwarded.
        unsafe { self.run_range_impl(s, lo, hi, check) }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_range_avx2<T: Float>(
        &self,
        s: Streams<'_, T>,
        lo: usize,
        hi: usize,
        check: bool,
    ) -> (Found, T) {
        // SAFETY: forwarded.
        unsafe { self.run_range_impl(s, lo, hi, check) }
    }

    #[inline(always)]
    unsafe fn run_range_impl<T: Float>(
        &self,
        s: Streams<'_, T>,
        lo: usize,
        hi: usize,
        check: bool,
    ) -> (Found, T) {
        debug_assert!(self.nregs * self.stride <= REG_ELEMS);
        let mut file = RegFile::<T>([MaybeUninit::uninit(); REG_ELEMS]);
        let regs = file.0.as_mut_ptr() as *mut T;
        let c = self.chunk;
        let rs = self.stride;
        let h = self.halo_len;
        let mut found: Found = None;
        let reg = |r: u16| -> *mut T {
            // SAFETY: register `r`, after its halo, lies inside the file
            // (nregs * stride <= REG_ELEMS).
            unsafe { regs.add(r as usize * rs + h) }
        };
        let stream = |k: u16| s.ptrs[k as usize] as *mut T;
        for &(r, src) in &self.splats {
            let v = match src {
                SplatSrc::Lit(v) => T::from_f64(v),
                // SAFETY: streams read by splats hold at least one element.
                SplatSrc::Mem(k, eqn) => {
                    let v = unsafe { *stream(k) };
                    if check && !v.is_finite() && eqn != u32::MAX {
                        found = earlier(found, Some((eqn, v.to_f64())));
                    }
                    v
                }
            };
            // SAFETY: inside the register file.
            unsafe { std::slice::from_raw_parts_mut(reg(r), c) }.fill(v);
        }
        for op in &self.prologue {
            let at = |src: Src| match src {
                Src::Reg(r) => reg(r),
                Src::Mem(_) | Src::Back(..) => unreachable!("prologue ops read registers"),
            };
            // SAFETY: whole registers, the output distinct from the operands.
            unsafe {
                exec(
                    op.code,
                    at(op.out),
                    at(op.args[0]),
                    at(op.args[1]),
                    at(op.args[2]),
                    c,
                )
            };
            if check && op.lo < op.hi {
                // SAFETY: just written.
                let out = unsafe { std::slice::from_raw_parts(at(op.out), c) };
                if let Some(v) = out.iter().find(|v| !v.is_finite()) {
                    found = earlier(found, Some((op.eqn, Float::to_f64(*v))));
                }
            }
        }
        let mut acc = [match &self.epilogue {
            Some(e) => e.identity::<T>(),
            None => T::zero(),
        }; LANES];
        let mut start = lo;
        while start < hi {
            let end = (start + c).min(hi);
            // Address of operand `src` at loop index `i` of this chunk.
            let at = |src: Src, i: usize| -> *mut T {
                match src {
                    // SAFETY: `i - start < c`, inside the register.
                    Src::Reg(r) => unsafe { reg(r).add(i - start) },
                    // SAFETY: `d <= halo_len`, so at worst the halo's start.
                    Src::Back(r, d) => unsafe { reg(r).add(i - start).sub(d as usize) },
                    // Streams are addressed by loop index; the pointer is
                    // dereferenced only inside valid ranges.
                    Src::Mem(k) => stream(k).wrapping_add(i),
                }
            };
            let body = match &self.first {
                Some(first) if start == lo => first,
                _ => &self.body,
            };
            for ins in body {
                match ins {
                    Instr::Op(op) => {
                        let a = start.max(op.lo);
                        let b = end.min(op.hi);
                        if a >= b {
                            continue;
                        }
                        let len = b - a;
                        if let (Code::Tile(_) | Code::Repeat(_), Src::Mem(k)) =
                            (op.code, op.args[0])
                        {
                            // SAFETY: positions `a + pos..b + pos` lie in
                            // the broadcast's result, whose operand the
                            // stream holds; the output holds `len`.
                            unsafe {
                                let out = std::slice::from_raw_parts_mut(at(op.out, a), len);
                                let p = (a as isize + op.pos) as usize;
                                broadcast_load(op.code, stream(k), p, out);
                            }
                        } else {
                            // SAFETY: operands and the output are valid on
                            // the op's range and the output overlaps no
                            // operand.
                            unsafe {
                                exec(
                                    op.code,
                                    at(op.out, a),
                                    at(op.args[0], a),
                                    at(op.args[1], a),
                                    at(op.args[2], a),
                                    len,
                                )
                            };
                        }
                        if check {
                            // SAFETY: just written, `len` elements.
                            let out = unsafe { std::slice::from_raw_parts(at(op.out, a), len) };
                            if let Some(v) = out.iter().find(|v| !v.is_finite()) {
                                found = earlier(found, Some((op.eqn, Float::to_f64(*v))));
                            }
                        }
                    }
                    Instr::Arith(ar) => {
                        let a = start.max(ar.lo);
                        let b = end.min(ar.hi);
                        if a >= b {
                            continue;
                        }
                        let len = b - a;
                        // Scalars are element 0 of a splatted register.
                        let scalar = |src: Src| match src {
                            // SAFETY: splatted registers are filled.
                            Src::Reg(r) => unsafe { *reg(r) },
                            Src::Mem(_) | Src::Back(..) => {
                                unreachable!("scalars live in registers")
                            }
                        };
                        let kb = if ar.f.scalar_b() {
                            scalar(ar.b)
                        } else {
                            T::zero()
                        };
                        let kc = if ar.g.scalar_c() {
                            scalar(ar.c)
                        } else {
                            T::zero()
                        };
                        let vec =
                            |src: Src, used: bool| if used { at(src, a) } else { at(ar.a, a) };
                        let pa = at(ar.a, a);
                        let pb = vec(ar.b, ar.f.reads_b() && !ar.f.scalar_b());
                        let pc = vec(ar.c, ar.g.reads_c() && !ar.g.scalar_c());
                        let po = at(ar.out, a);
                        let sc = ar.scale.map(T::from_f64);
                        if check && ar.scaled() {
                            // The folded products, each checked as the
                            // equation it was.
                            for (k, p) in [pa, pb, pc].into_iter().enumerate() {
                                if !ar.is_scaled(k) {
                                    continue;
                                }
                                // SAFETY: a scaled operand is a vector
                                // operand, valid for `len` reads.
                                let v = unsafe { std::slice::from_raw_parts(p, len) };
                                if let Some(x) =
                                    v.iter().map(|&x| x * sc[k]).find(|x| !x.is_finite())
                                {
                                    found =
                                        earlier(found, Some((ar.eqn_scale[k], Float::to_f64(x))));
                                }
                            }
                        }
                        if check && ar.g != GOp::Copy {
                            // Each step on its own, through a scratch
                            // register, so that each equation is checked.
                            let t = at(Src::Reg(self.check_reg), a);
                            // SAFETY: as below; the scratch register is
                            // distinct from every operand.
                            let one = T::one();
                            unsafe {
                                let s1 = [sc[0], sc[1], one];
                                arith(ar.f, GOp::Copy, t, pa, pb, pa, kb, kc, s1, len);
                                let v = std::slice::from_raw_parts(t, len);
                                if let Some(v) = v.iter().find(|v| !v.is_finite()) {
                                    found = earlier(found, Some((ar.eqn_f, Float::to_f64(*v))));
                                }
                                match ar.g.as_first() {
                                    Some(f2) => {
                                        let s2 = [one, sc[2], one];
                                        arith(f2, GOp::Copy, po, t, pc, t, kc, kc, s2, len)
                                    }
                                    None => {
                                        let s2 = [sc[2], one, one];
                                        arith(FOp::Sub, GOp::Copy, po, pc, t, pc, kc, kc, s2, len)
                                    }
                                }
                            }
                        } else {
                            // SAFETY: operands and the output are valid on
                            // the range and the output overlaps no operand.
                            unsafe { arith(ar.f, ar.g, po, pa, pb, pc, kb, kc, sc, len) };
                        }
                        if check {
                            // SAFETY: just written, `len` elements.
                            let out = unsafe { std::slice::from_raw_parts(po, len) };
                            if let Some(v) = out.iter().find(|v| !v.is_finite()) {
                                found = earlier(found, Some((ar.eqn_g, Float::to_f64(*v))));
                            }
                        }
                    }
                    &Instr::Zero {
                        reg: r,
                        lo: zlo,
                        hi: zhi,
                        keep,
                        ..
                    } => {
                        for (x, y) in [(zlo, keep.0), (keep.1, zhi)] {
                            let (a, b) = (start.max(x), end.min(y));
                            if a < b {
                                // SAFETY: inside the register.
                                unsafe {
                                    std::slice::from_raw_parts_mut(at(Src::Reg(r), a), b - a)
                                }
                                .fill(T::zero());
                            }
                        }
                    }
                    Instr::Assemble {
                        out,
                        lo: alo,
                        hi: ahi,
                        parts,
                        eqn,
                    } => {
                        let (a, b) = (start.max(*alo), end.min(*ahi));
                        if a >= b {
                            continue;
                        }
                        let o = Src::Reg(*out);
                        let mut i = a;
                        let zero = |from: usize, to: usize| {
                            if from < to {
                                // SAFETY: inside the register.
                                unsafe { std::slice::from_raw_parts_mut(at(o, from), to - from) }
                                    .fill(T::zero());
                            }
                        };
                        for &(src, plo, phi) in parts {
                            let (pa, pb) = (a.max(plo), b.min(phi));
                            if pa >= pb {
                                continue;
                            }
                            zero(i, pa);
                            // SAFETY: the part's source is valid on its
                            // range; the output is another register.
                            unsafe {
                                std::ptr::copy_nonoverlapping(at(src, pa), at(o, pa), pb - pa)
                            };
                            i = pb;
                        }
                        zero(i, b);
                        if check {
                            // SAFETY: just written.
                            let v = unsafe { std::slice::from_raw_parts(at(o, a), b - a) };
                            if let Some(v) = v.iter().find(|v| !v.is_finite()) {
                                found = earlier(found, Some((*eqn, Float::to_f64(*v))));
                            }
                        }
                    }
                }
            }
            if let Some(epi) = &self.epilogue {
                let (a, b) = (start.max(epi.lo), end.min(epi.hi));
                if a < b {
                    // SAFETY: the reduced value is valid on its range.
                    let v = unsafe { std::slice::from_raw_parts(at(epi.src, a), b - a) };
                    epi.accumulate(&mut acc, v);
                }
            }
            for st in &self.stores {
                let (a, b) = (start.max(st.lo), end.min(st.hi));
                if a < b {
                    // SAFETY: register and stream ranges are valid and distinct.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            at(Src::Reg(st.reg), a),
                            at(Src::Mem(st.stream), a),
                            b - a,
                        )
                    };
                }
            }
            if end - start == c && end < hi {
                for &r in &self.halo {
                    // SAFETY: the chunk's last `h <= c` elements go to the
                    // halo in front of the same register.
                    unsafe { std::ptr::copy_nonoverlapping(reg(r).add(c - h), reg(r).sub(h), h) };
                }
            }
            start = end;
        }
        let part = match &self.epilogue {
            Some(epi) => epi.finish(acc),
            None => T::zero(),
        };
        (found, part)
    }
}

/// The register file, on cache-line boundaries: vector loads and stores of
/// registers that straddle two lines measured 20-30 % slower.
#[repr(C, align(64))]
struct RegFile<T>([MaybeUninit<T>; REG_ELEMS]);

/// Fills `out` with positions `start..` of a tiled or repeated operand.
///
/// # Safety
/// `src` holds the operand: `period` elements for `Tile`, and for `Repeat`
/// at least `(start + out.len() - 1) / repeat + 1`.
unsafe fn broadcast_load<T: Float>(code: Code, src: *const T, start: usize, out: &mut [T]) {
    match code {
        Code::Tile(p) => {
            let mut pos = start % p;
            let mut done = 0;
            while done < out.len() {
                let m = (p - pos).min(out.len() - done);
                // SAFETY: `pos + m <= p`.
                let s = unsafe { std::slice::from_raw_parts(src.add(pos), m) };
                out[done..done + m].copy_from_slice(s);
                done += m;
                pos = 0;
            }
        }
        Code::Repeat(r) => {
            let mut i = start;
            let mut done = 0;
            while done < out.len() {
                let m = (r - i % r).min(out.len() - done);
                // SAFETY: `i / r` is inside the operand.
                out[done..done + m].fill(unsafe { *src.add(i / r) });
                done += m;
                i += m;
            }
        }
        _ => unreachable!("not a broadcast load"),
    }
}

#[inline(always)]
unsafe fn un<T: Float>(o: *mut T, a: *const T, n: usize, f: impl Fn(T) -> T) {
    // SAFETY: the caller guarantees validity and non-overlap for `n` elements.
    let (o, a) = unsafe {
        (
            std::slice::from_raw_parts_mut(o, n),
            std::slice::from_raw_parts(a, n),
        )
    };
    un_slices(o, a, f)
}

/// A vectorized transcendental of `hvp_tensor::kernels::math` (pure per
/// element, so results do not depend on a chunk's position or length).
///
/// # Safety
/// As for [`exec`].
#[inline(always)]
unsafe fn vector<T: Float>(o: *mut T, a: *const T, n: usize, f: fn(&[T], &mut [T])) {
    // SAFETY: the caller guarantees validity and non-overlap for `n` elements.
    let (o, a) = unsafe {
        (
            std::slice::from_raw_parts_mut(o, n),
            std::slice::from_raw_parts(a, n),
        )
    };
    f(a, o)
}

// Slices as parameters carry `noalias` into the inlined loop, which keeps
// the output pointer in a register instead of reloading it after every
// store.
#[inline(always)]
fn un_slices<T: Float>(o: &mut [T], a: &[T], f: impl Fn(T) -> T) {
    for (o, &a) in o.iter_mut().zip(a) {
        *o = f(a);
    }
}

#[inline(always)]
fn bin_slices<T: Float>(o: &mut [T], a: &[T], b: &[T], f: impl Fn(T, T) -> T) {
    for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
        *o = f(a, b);
    }
}

#[inline(always)]
unsafe fn bin<T: Float>(o: *mut T, a: *const T, b: *const T, n: usize, f: impl Fn(T, T) -> T) {
    // SAFETY: as in `un`.
    let (o, a, b) = unsafe {
        (
            std::slice::from_raw_parts_mut(o, n),
            std::slice::from_raw_parts(a, n),
            std::slice::from_raw_parts(b, n),
        )
    };
    bin_slices(o, a, b, f)
}

#[inline(always)]
fn lp3<T: Float>(o: &mut [T], a: &[T], b: &[T], c: &[T], h: impl Fn(T, T, T) -> T) {
    for (((o, &a), &b), &c) in o.iter_mut().zip(a).zip(b).zip(c) {
        *o = h(a, b, c);
    }
}

/// `out = g(f(x, y), z)` for each second step, given `f` as an expression
/// in the element names `x`, `y`, `z` (the operands' current elements).
macro_rules! with_g {
    ($lp:ident [$($extra:expr),*], $g:expr, $kc:expr, $o:expr, $a:expr, $b:expr, $c:expr, |$x:ident, $y:ident, $z:ident| $fe:expr) => {{
        let kc = $kc;
        match $g {
            GOp::Copy => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| $fe),
            GOp::Add => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, $z| ($fe) + $z),
            GOp::Sub => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, $z| ($fe) - $z),
            GOp::RSub => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, $z| $z - ($fe)),
            GOp::Mul => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, $z| ($fe) * $z),
            GOp::NAdd => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, $z| -($fe) - $z),
            GOp::NAddK => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| -($fe) - kc),
            GOp::AddK => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| ($fe) + kc),
            GOp::SubK => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| ($fe) - kc),
            GOp::RSubK => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| kc - ($fe)),
            GOp::MulK => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| ($fe) * kc),
            GOp::Neg => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| -($fe)),
            GOp::Square => $lp($o, $a, $b, $c, $($extra,)* |$x, $y, _| {
                let t = $fe;
                t * t
            }),
        }
    }};
}

/// All `f` steps under one `with_g!`, through loop `$lp`.
macro_rules! with_f {
    ($lp:ident [$($extra:expr),*], $f:expr, $g:expr, $kb:expr, $kc:expr, $o:expr, $a:expr, $b:expr, $c:expr) => {{
        let kb = $kb;
        match $f {
            FOp::Add => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x + y),
            FOp::Sub => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x - y),
            FOp::Mul => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x * y),
            FOp::NAdd => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| -x - y),
            FOp::NAddK => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| -x - kb),
            FOp::AddK => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x + kb),
            FOp::SubK => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x - kb),
            FOp::RSubK => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| kb - x),
            FOp::MulK => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x * kb),
            FOp::Neg => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| -x),
            FOp::Square => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x * x),
            FOp::Copy => with_g!($lp [$($extra),*], $g, $kc, $o, $a, $b, $c, |x, y, z| x),
        }
    }};
}

/// `lp3` with each operand multiplied by its scale as it is read.
#[inline(always)]
fn lp3_scaled<T: Float>(
    o: &mut [T],
    a: &[T],
    b: &[T],
    c: &[T],
    [sa, sb, sc]: [T; 3],
    h: impl Fn(T, T, T) -> T,
) {
    for (((o, &a), &b), &c) in o.iter_mut().zip(a).zip(b).zip(c) {
        *o = h(a * sa, b * sb, c * sc);
    }
}

/// One arithmetic instruction over `n` elements, its vector operands
/// multiplied by `scale` as they are read (skipped where all are 1).
///
/// # Safety
/// `o` is valid for `n` writes; `a`, `b` and `c` for `n` reads (a vector
/// operand the instruction does not read may be any readable pointer, such
/// as `a`); `o` overlaps none of them.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
#[allow(unused_variables)]
unsafe fn arith<T: Float>(
    f: FOp,
    g: GOp,
    o: *mut T,
    a: *const T,
    b: *const T,
    c: *const T,
    kb: T,
    kc: T,
    scale: [T; 3],
    n: usize,
) {
    // SAFETY: forwarded from the caller.
    let (o, a, b, c) = unsafe {
        (
            std::slice::from_raw_parts_mut(o, n),
            std::slice::from_raw_parts(a, n),
            std::slice::from_raw_parts(b, n),
            std::slice::from_raw_parts(c, n),
        )
    };
    if scale == [T::one(); 3] {
        with_f!(lp3[], f, g, kb, kc, o, a, b, c)
    } else {
        with_f!(lp3_scaled[scale], f, g, kb, kc, o, a, b, c)
    }
}

#[inline(always)]
fn flag<T: Float>(b: bool) -> T {
    if b {
        T::one()
    } else {
        T::zero()
    }
}

/// One op over `n` elements.
///
/// # Safety
/// `o` is valid for `n` writes, the operands the code reads for `n` reads,
/// and `o` overlaps none of them.
#[inline(always)]
unsafe fn exec<T: Float>(code: Code, o: *mut T, a: *const T, b: *const T, c: *const T, n: usize) {
    // SAFETY: forwarded from the caller throughout.
    unsafe {
        match code {
            Code::Neg => un(o, a, n, |x| -x),
            Code::Exp => vector(o, a, n, math::exp),
            Code::Log => vector(o, a, n, math::ln),
            Code::Log1p => vector(o, a, n, math::ln_1p),
            Code::Expm1 => vector(o, a, n, math::expm1),
            Code::Sqrt => un(o, a, n, |x| x.sqrt()),
            Code::Sin => vector(o, a, n, math::sin),
            Code::Cos => vector(o, a, n, math::cos),
            Code::Tan => un(o, a, n, |x| x.tan()),
            Code::Atan => un(o, a, n, |x| x.atan()),
            Code::Tanh => vector(o, a, n, math::tanh),
            Code::Abs => un(o, a, n, |x| x.abs()),
            Code::Sign => un(o, a, n, |x| {
                if x > T::zero() {
                    T::one()
                } else if x < T::zero() {
                    -T::one()
                } else {
                    x
                }
            }),
            Code::Square => un(o, a, n, |x| x * x),
            Code::IntPow(p) => un(o, a, n, |x| x.powi(p)),
            Code::Copy => un(o, a, n, |x| x),
            Code::Add => bin(o, a, b, n, |x, y| x + y),
            Code::Sub => bin(o, a, b, n, |x, y| x - y),
            Code::Mul => bin(o, a, b, n, |x, y| x * y),
            Code::Div => bin(o, a, b, n, |x, y| x / y),
            Code::Pow => bin(o, a, b, n, |x, y| x.powf(y)),
            Code::Max => bin(o, a, b, n, nan_max),
            Code::Min => bin(o, a, b, n, nan_min),
            Code::Cmp(CmpOp::Lt) => bin(o, a, b, n, |x, y| flag(x < y)),
            Code::Cmp(CmpOp::Le) => bin(o, a, b, n, |x, y| flag(x <= y)),
            Code::Cmp(CmpOp::Gt) => bin(o, a, b, n, |x, y| flag(x > y)),
            Code::Cmp(CmpOp::Ge) => bin(o, a, b, n, |x, y| flag(x >= y)),
            #[allow(clippy::float_cmp)] // exact equality is the primitive's meaning
            Code::Cmp(CmpOp::Eq) => bin(o, a, b, n, |x, y| flag(x == y)),
            #[allow(clippy::float_cmp)]
            Code::Cmp(CmpOp::Ne) => bin(o, a, b, n, |x, y| flag(x != y)),
            Code::Tile(_) | Code::Repeat(_) => unreachable!("loads run in the chunk loop"),
            Code::Select => {
                let (o, cnd, x, y) = (
                    std::slice::from_raw_parts_mut(o, n),
                    std::slice::from_raw_parts(a, n),
                    std::slice::from_raw_parts(b, n),
                    std::slice::from_raw_parts(c, n),
                );
                for (((o, c), &x), &y) in o.iter_mut().zip(cnd).zip(x).zip(y) {
                    *o = if c.is_zero() { y } else { x };
                }
            }
        }
    }
}
