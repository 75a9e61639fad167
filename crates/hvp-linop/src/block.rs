//! Block-diagonal operators: independent blocks side by side, as in a
//! layer-wise curvature approximation (one block per parameter tensor).
//!
//! **Layout.** Block `b` is `m_b × n_b`. The input vector is the
//! concatenation of the blocks' inputs (entries `c_b .. c_b + n_b` feed block
//! `b`, with `c_b = n_0 + … + n_{b−1}`), and the output the concatenation of
//! their outputs (rows `r_b .. r_b + m_b`). Blocks may be rectangular, so
//! the row and column offsets of a block may differ.
//!
//! ```
//! use hvp_linop::{BlockDiagonal, Dense, Diagonal, LinOp, LinOpExt};
//! let blocks: Vec<Box<dyn LinOp<f64>>> = vec![
//!     Diagonal::new(vec![2.0]).boxed(),
//!     Dense::from_rows(&[[1.0, 1.0]]).unwrap().boxed(),
//! ];
//! let a = BlockDiagonal::new(blocks).unwrap();
//! assert_eq!((a.nrows(), a.ncols()), (2, 3));
//! let mut y = [0.0; 2];
//! a.apply(&[1.0, 3.0, 4.0], &mut y).unwrap();
//! assert_eq!(y, [2.0, 7.0]);
//! ```

use crate::util::shape_err;
use crate::{check_block, check_dims, LinOp, LinOpError};
use hvp_tensor::Float;

const NAME: &str = "block_diagonal";

/// `diag(A_0, A_1, …)` over operators of one type `A` (use
/// `Box<dyn LinOp<T>>` to mix kinds). See the [module docs](self) for the
/// layout.
#[derive(Clone, Debug)]
pub struct BlockDiagonal<A> {
    blocks: Vec<A>,
    /// `row_offsets[b]` is the first output row of block `b`; one extra
    /// entry holds the total.
    row_offsets: Vec<usize>,
    /// `col_offsets[b]` is the first input entry of block `b`, plus the total.
    col_offsets: Vec<usize>,
}

impl<A> BlockDiagonal<A> {
    /// The block-diagonal operator of `blocks` (any number, including none).
    /// `Err` only when the total size overflows `usize`.
    pub fn new<T: Float>(blocks: Vec<A>) -> Result<Self, LinOpError>
    where
        A: LinOp<T>,
    {
        let mut row_offsets = Vec::with_capacity(blocks.len() + 1);
        let mut col_offsets = Vec::with_capacity(blocks.len() + 1);
        let (mut r, mut c) = (0usize, 0usize);
        row_offsets.push(0);
        col_offsets.push(0);
        for (b, block) in blocks.iter().enumerate() {
            r = r
                .checked_add(block.nrows())
                .ok_or_else(|| shape_err(NAME, format!("row count overflows at block {b}")))?;
            c = c
                .checked_add(block.ncols())
                .ok_or_else(|| shape_err(NAME, format!("column count overflows at block {b}")))?;
            row_offsets.push(r);
            col_offsets.push(c);
        }
        Ok(BlockDiagonal {
            blocks,
            row_offsets,
            col_offsets,
        })
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[A] {
        &self.blocks
    }

    /// First output row of each block, then the total row count.
    pub fn row_offsets(&self) -> &[usize] {
        &self.row_offsets
    }

    /// First input entry of each block, then the total column count.
    pub fn col_offsets(&self) -> &[usize] {
        &self.col_offsets
    }

    /// The blocks, consuming the operator.
    pub fn into_blocks(self) -> Vec<A> {
        self.blocks
    }

    /// Applies each block (or its transpose) to its slice of a block of `k`
    /// vectors; for the transpose the roles of row and column offsets swap.
    /// With one vector or one block the slices are used in place; otherwise
    /// each block's entries are gathered into a contiguous `k × n_b` buffer,
    /// so every block sees one `apply_many`, not `k` applies.
    fn for_each_block<T: Float>(
        &self,
        k: usize,
        xs: &[T],
        ys: &mut [T],
        transpose: bool,
    ) -> Result<(), LinOpError>
    where
        A: LinOp<T>,
    {
        let (in_off, out_off) = if transpose {
            (&self.row_offsets, &self.col_offsets)
        } else {
            (&self.col_offsets, &self.row_offsets)
        };
        let n = *in_off.last().unwrap_or(&0);
        let m = *out_off.last().unwrap_or(&0);
        let run = |block: &A, k: usize, x: &[T], y: &mut [T]| match (transpose, k) {
            (false, 1) => block.apply(x, y),
            (false, _) => block.apply_many(k, x, y),
            (true, 1) => block.apply_transpose(x, y),
            (true, _) => block.apply_transpose_many(k, x, y),
        };
        if let [only] = self.blocks.as_slice() {
            return run(only, k, xs, ys);
        }
        if k == 1 {
            for (b, block) in self.blocks.iter().enumerate() {
                let x = &xs[in_off[b]..in_off[b + 1]];
                run(block, 1, x, &mut ys[out_off[b]..out_off[b + 1]])?;
            }
            return Ok(());
        }
        let widest_in = in_off.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let widest_out = out_off.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let mut xb = vec![T::zero(); k * widest_in];
        let mut yb = vec![T::zero(); k * widest_out];
        for (b, block) in self.blocks.iter().enumerate() {
            let (i0, i1, o0, o1) = (in_off[b], in_off[b + 1], out_off[b], out_off[b + 1]);
            let (nb, mb) = (i1 - i0, o1 - o0);
            let (xb, yb) = (&mut xb[..k * nb], &mut yb[..k * mb]);
            for v in 0..k {
                xb[v * nb..(v + 1) * nb].copy_from_slice(&xs[v * n + i0..v * n + i1]);
            }
            run(block, k, xb, yb)?;
            for v in 0..k {
                ys[v * m + o0..v * m + o1].copy_from_slice(&yb[v * mb..(v + 1) * mb]);
            }
        }
        Ok(())
    }
}

impl<T: Float, A: LinOp<T>> LinOp<T> for BlockDiagonal<A> {
    fn nrows(&self) -> usize {
        *self.row_offsets.last().unwrap_or(&0)
    }

    fn ncols(&self) -> usize {
        *self.col_offsets.last().unwrap_or(&0)
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.nrows(), self.ncols(), x, y)?;
        self.for_each_block(1, x, y, false)
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.nrows(), self.ncols(), xs, ys)?;
        self.for_each_block(k, xs, ys, false)
    }

    /// `diag(A_0ᵀ, A_1ᵀ, …)`; `Err` if a block has no transpose.
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims(NAME, self.ncols(), self.nrows(), x, y)?;
        self.for_each_block(1, x, y, true)
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block(NAME, k, self.ncols(), self.nrows(), xs, ys)?;
        self.for_each_block(k, xs, ys, true)
    }

    /// Symmetric when every block is (which makes every block square, so
    /// row and column offsets agree).
    fn is_symmetric(&self) -> bool {
        self.blocks.iter().all(|b| b.is_symmetric())
    }

    fn name(&self) -> &str {
        NAME
    }

    /// Square blocks (more generally, blocks whose row and column offsets
    /// agree) contribute their own `diagonal()`; where rectangular blocks
    /// shift the offsets, the global diagonal runs through a block
    /// off its own diagonal and those entries are probed with unit vectors.
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let len = self.nrows().min(self.ncols());
        let mut d = vec![T::zero(); len];
        for (b, block) in self.blocks.iter().enumerate() {
            let (r0, r1) = (self.row_offsets[b], self.row_offsets[b + 1]);
            let (c0, c1) = (self.col_offsets[b], self.col_offsets[b + 1]);
            // Global indices i with row i and column i both inside block b.
            let (lo, hi) = (r0.max(c0), r1.min(c1).min(len));
            if lo >= hi {
                continue;
            }
            if r0 == c0 {
                let db = block.diagonal()?;
                d[lo..hi].copy_from_slice(&db[..hi - lo]);
            } else {
                let mut e = vec![T::zero(); c1 - c0];
                let mut col = vec![T::zero(); r1 - r0];
                for i in lo..hi {
                    e[i - c0] = T::one();
                    block.apply(&e, &mut col)?;
                    e[i - c0] = T::zero();
                    d[i] = col[i - r0];
                }
            }
        }
        Ok(d)
    }
}
