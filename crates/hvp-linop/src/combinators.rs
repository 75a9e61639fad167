//! Operators built from operators: `A + B`, `αA`, `A B`, `A + λI` and `Aᵀ`,
//! evaluated lazily (nothing is formed), with shapes checked when they are
//! built.
//!
//! Each combinator owns its operands; pass `&op` to borrow one instead
//! (`&A` is an operator whenever `A` is). [`LinOpExt`] gives the same
//! constructors as methods. `Sum` and `Compose` allocate one scratch vector
//! (or block) per product for the intermediate result.
//!
//! ```
//! use hvp_linop::{Dense, Diagonal, LinOp, LinOpExt};
//! let h = Dense::from_rows(&[[2.0, 1.0], [1.0, 3.0]]).unwrap();
//! // Levenberg–Marquardt damping: (H + 0.5 I), then scaled by 2.
//! let damped = (&h).shifted(0.5).unwrap().scaled(2.0);
//! assert!(damped.is_symmetric());
//! assert_eq!(damped.diagonal().unwrap(), vec![5.0, 7.0]);
//! let both = (&h).plus(Diagonal::new(vec![1.0, 1.0])).unwrap();
//! assert_eq!(both.to_dense().unwrap(), vec![3.0, 1.0, 1.0, 4.0]);
//! ```

use crate::util::{axpy, shape_err};
use crate::{check_block, check_dims, LinOp, LinOpError};
use hvp_tensor::Float;

fn dims_of<T: Float>(a: &impl LinOp<T>) -> String {
    format!("{} is {}×{}", a.name(), a.nrows(), a.ncols())
}

/// `A + B` (same shape).
#[derive(Clone, Debug)]
pub struct Sum<A, B> {
    a: A,
    b: B,
}

impl<A, B> Sum<A, B> {
    /// `A + B`; `Err` when the shapes differ.
    pub fn new<T: Float>(a: A, b: B) -> Result<Self, LinOpError>
    where
        A: LinOp<T>,
        B: LinOp<T>,
    {
        if a.nrows() != b.nrows() || a.ncols() != b.ncols() {
            return Err(shape_err(
                "sum",
                format!("operands differ in shape: {}, {}", dims_of(&a), dims_of(&b)),
            ));
        }
        Ok(Sum { a, b })
    }

    /// The operands `(A, B)`.
    pub fn parts(&self) -> (&A, &B) {
        (&self.a, &self.b)
    }
}

impl<T: Float, A: LinOp<T>, B: LinOp<T>> LinOp<T> for Sum<A, B> {
    fn nrows(&self) -> usize {
        self.a.nrows()
    }

    fn ncols(&self) -> usize {
        self.a.ncols()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("sum", self.nrows(), self.ncols(), x, y)?;
        self.a.apply(x, y)?;
        let mut t = vec![T::zero(); y.len()];
        self.b.apply(x, &mut t)?;
        axpy(T::one(), &t, y);
        Ok(())
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("sum", k, self.nrows(), self.ncols(), xs, ys)?;
        self.a.apply_many(k, xs, ys)?;
        let mut t = vec![T::zero(); ys.len()];
        self.b.apply_many(k, xs, &mut t)?;
        axpy(T::one(), &t, ys);
        Ok(())
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("sum", self.ncols(), self.nrows(), x, y)?;
        self.a.apply_transpose(x, y)?;
        let mut t = vec![T::zero(); y.len()];
        self.b.apply_transpose(x, &mut t)?;
        axpy(T::one(), &t, y);
        Ok(())
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("sum", k, self.ncols(), self.nrows(), xs, ys)?;
        self.a.apply_transpose_many(k, xs, ys)?;
        let mut t = vec![T::zero(); ys.len()];
        self.b.apply_transpose_many(k, xs, &mut t)?;
        axpy(T::one(), &t, ys);
        Ok(())
    }

    fn is_symmetric(&self) -> bool {
        self.a.is_symmetric() && self.b.is_symmetric()
    }

    fn name(&self) -> &str {
        "sum"
    }

    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let mut d = self.a.diagonal()?;
        axpy(T::one(), &self.b.diagonal()?, &mut d);
        Ok(d)
    }
}

/// `α A`.
#[derive(Clone, Debug)]
pub struct Scaled<T, A> {
    alpha: T,
    a: A,
}

impl<T: Float, A> Scaled<T, A> {
    /// `α A` (any shape).
    pub fn new(alpha: T, a: A) -> Self {
        Scaled { alpha, a }
    }

    /// The factor `α`.
    pub fn alpha(&self) -> T {
        self.alpha
    }

    /// The operand `A`.
    pub fn inner(&self) -> &A {
        &self.a
    }
}

fn scale_in_place<T: Float>(alpha: T, y: &mut [T]) {
    for yi in y {
        *yi *= alpha;
    }
}

impl<T: Float, A: LinOp<T>> LinOp<T> for Scaled<T, A> {
    fn nrows(&self) -> usize {
        self.a.nrows()
    }

    fn ncols(&self) -> usize {
        self.a.ncols()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("scaled", self.nrows(), self.ncols(), x, y)?;
        self.a.apply(x, y)?;
        scale_in_place(self.alpha, y);
        Ok(())
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("scaled", k, self.nrows(), self.ncols(), xs, ys)?;
        self.a.apply_many(k, xs, ys)?;
        scale_in_place(self.alpha, ys);
        Ok(())
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("scaled", self.ncols(), self.nrows(), x, y)?;
        self.a.apply_transpose(x, y)?;
        scale_in_place(self.alpha, y);
        Ok(())
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("scaled", k, self.ncols(), self.nrows(), xs, ys)?;
        self.a.apply_transpose_many(k, xs, ys)?;
        scale_in_place(self.alpha, ys);
        Ok(())
    }

    fn is_symmetric(&self) -> bool {
        self.a.is_symmetric()
    }

    fn name(&self) -> &str {
        "scaled"
    }

    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let mut d = self.a.diagonal()?;
        scale_in_place(self.alpha, &mut d);
        Ok(d)
    }
}

/// The product `A B` (apply `B`, then `A`).
#[derive(Clone, Debug)]
pub struct Compose<A, B> {
    a: A,
    b: B,
}

impl<A, B> Compose<A, B> {
    /// `A B`; `Err` unless `A.ncols() == B.nrows()`.
    pub fn new<T: Float>(a: A, b: B) -> Result<Self, LinOpError>
    where
        A: LinOp<T>,
        B: LinOp<T>,
    {
        if a.ncols() != b.nrows() {
            return Err(shape_err(
                "compose",
                format!(
                    "A B needs A.ncols = B.nrows: {}, {}",
                    dims_of(&a),
                    dims_of(&b)
                ),
            ));
        }
        Ok(Compose { a, b })
    }

    /// The factors `(A, B)`.
    pub fn parts(&self) -> (&A, &B) {
        (&self.a, &self.b)
    }
}

impl<T: Float, A: LinOp<T>, B: LinOp<T>> LinOp<T> for Compose<A, B> {
    fn nrows(&self) -> usize {
        self.a.nrows()
    }

    fn ncols(&self) -> usize {
        self.b.ncols()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("compose", self.nrows(), self.ncols(), x, y)?;
        let mut t = vec![T::zero(); self.b.nrows()];
        self.b.apply(x, &mut t)?;
        self.a.apply(&t, y)
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("compose", k, self.nrows(), self.ncols(), xs, ys)?;
        let mut t = vec![T::zero(); k * self.b.nrows()];
        self.b.apply_many(k, xs, &mut t)?;
        self.a.apply_many(k, &t, ys)
    }

    /// `Bᵀ Aᵀ x`.
    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("compose", self.ncols(), self.nrows(), x, y)?;
        let mut t = vec![T::zero(); self.a.ncols()];
        self.a.apply_transpose(x, &mut t)?;
        self.b.apply_transpose(&t, y)
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("compose", k, self.ncols(), self.nrows(), xs, ys)?;
        let mut t = vec![T::zero(); k * self.a.ncols()];
        self.a.apply_transpose_many(k, xs, &mut t)?;
        self.b.apply_transpose_many(k, &t, ys)
    }

    /// `false`: a product of symmetric operators is symmetric only when they
    /// commute, which is not known by construction.
    fn is_symmetric(&self) -> bool {
        false
    }

    fn name(&self) -> &str {
        "compose"
    }
}

/// `A + λ I` (square `A`): damping, as every Hessian-free method adds to
/// the Hessian.
#[derive(Clone, Debug)]
pub struct Shifted<T, A> {
    lambda: T,
    a: A,
}

impl<T: Float, A> Shifted<T, A> {
    /// `A + λ I`; `Err` unless `A` is square.
    pub fn new(a: A, lambda: T) -> Result<Self, LinOpError>
    where
        A: LinOp<T>,
    {
        if a.nrows() != a.ncols() {
            return Err(shape_err(
                "shifted",
                format!("A + λI needs a square A: {}", dims_of(&a)),
            ));
        }
        Ok(Shifted { lambda, a })
    }

    /// The shift `λ`.
    pub fn shift(&self) -> T {
        self.lambda
    }

    /// Changes the shift (a damping schedule adjusts it between solves).
    ///
    /// ```
    /// use hvp_linop::{Diagonal, LinOp, Shifted};
    /// let mut h = Shifted::new(Diagonal::new(vec![1.0, 2.0]), 1.0).unwrap();
    /// h.set_shift(0.5);
    /// assert_eq!(h.diagonal().unwrap(), vec![1.5, 2.5]);
    /// ```
    pub fn set_shift(&mut self, lambda: T) {
        self.lambda = lambda;
    }

    /// The operand `A`.
    pub fn inner(&self) -> &A {
        &self.a
    }
}

impl<T: Float, A: LinOp<T>> LinOp<T> for Shifted<T, A> {
    fn nrows(&self) -> usize {
        self.a.nrows()
    }

    fn ncols(&self) -> usize {
        self.a.ncols()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("shifted", self.nrows(), self.ncols(), x, y)?;
        self.a.apply(x, y)?;
        axpy(self.lambda, x, y);
        Ok(())
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("shifted", k, self.nrows(), self.ncols(), xs, ys)?;
        self.a.apply_many(k, xs, ys)?;
        axpy(self.lambda, xs, ys);
        Ok(())
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        check_dims("shifted", self.nrows(), self.ncols(), x, y)?;
        self.a.apply_transpose(x, y)?;
        axpy(self.lambda, x, y);
        Ok(())
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        check_block("shifted", k, self.nrows(), self.ncols(), xs, ys)?;
        self.a.apply_transpose_many(k, xs, ys)?;
        axpy(self.lambda, xs, ys);
        Ok(())
    }

    fn is_symmetric(&self) -> bool {
        self.a.is_symmetric()
    }

    fn name(&self) -> &str {
        "shifted"
    }

    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        let mut d = self.a.diagonal()?;
        for di in &mut d {
            *di += self.lambda;
        }
        Ok(d)
    }
}

/// `Aᵀ`, applied through `A`'s [`LinOp::apply_transpose`].
#[derive(Clone, Debug)]
pub struct Transposed<A> {
    a: A,
}

impl<A> Transposed<A> {
    /// `Aᵀ` (any shape). Applying it fails if `A` has no transpose.
    pub fn new(a: A) -> Self {
        Transposed { a }
    }

    /// The operand `A`.
    pub fn inner(&self) -> &A {
        &self.a
    }
}

impl<T: Float, A: LinOp<T>> LinOp<T> for Transposed<A> {
    fn nrows(&self) -> usize {
        self.a.ncols()
    }

    fn ncols(&self) -> usize {
        self.a.nrows()
    }

    fn apply(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        self.a.apply_transpose(x, y)
    }

    fn apply_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        self.a.apply_transpose_many(k, xs, ys)
    }

    fn apply_transpose(&self, x: &[T], y: &mut [T]) -> Result<(), LinOpError> {
        self.a.apply(x, y)
    }

    fn apply_transpose_many(&self, k: usize, xs: &[T], ys: &mut [T]) -> Result<(), LinOpError> {
        self.a.apply_many(k, xs, ys)
    }

    fn is_symmetric(&self) -> bool {
        self.a.is_symmetric()
    }

    fn name(&self) -> &str {
        "transposed"
    }

    /// `diag(Aᵀ) = diag(A)`.
    fn diagonal(&self) -> Result<Vec<T>, LinOpError> {
        self.a.diagonal()
    }
}

/// `A + B`; `Err` when the shapes differ. Same as [`Sum::new`].
///
/// ```
/// use hvp_linop::{sum, Diagonal, Identity, LinOp};
/// let s = sum(Diagonal::new(vec![1.0, 2.0]), Identity::new(2)).unwrap();
/// assert_eq!(s.diagonal().unwrap(), vec![2.0, 3.0]);
/// assert!(sum(Diagonal::new(vec![1.0]), Identity::<f64>::new(2)).is_err());
/// ```
pub fn sum<T: Float, A: LinOp<T>, B: LinOp<T>>(a: A, b: B) -> Result<Sum<A, B>, LinOpError> {
    Sum::new(a, b)
}

/// `α A`. Same as [`Scaled::new`].
///
/// ```
/// use hvp_linop::{scale, Diagonal, LinOp};
/// assert_eq!(scale(-2.0, Diagonal::new(vec![1.0, 3.0])).diagonal().unwrap(), vec![-2.0, -6.0]);
/// ```
pub fn scale<T: Float, A: LinOp<T>>(alpha: T, a: A) -> Scaled<T, A> {
    Scaled::new(alpha, a)
}

/// `A B`; `Err` unless `A.ncols() == B.nrows()`. Same as [`Compose::new`].
///
/// ```
/// use hvp_linop::{compose, Dense, LinOp};
/// let a = Dense::from_rows(&[[1.0, 2.0]]).unwrap(); // 1 × 2
/// let b = Dense::from_rows(&[[1.0], [1.0]]).unwrap(); // 2 × 1
/// assert_eq!(compose(&a, &b).unwrap().to_dense().unwrap(), vec![3.0]);
/// assert_eq!(compose(&b, &a).unwrap().nrows(), 2);
/// assert!(compose(&a, &a).is_err());
/// ```
pub fn compose<T: Float, A: LinOp<T>, B: LinOp<T>>(
    a: A,
    b: B,
) -> Result<Compose<A, B>, LinOpError> {
    Compose::new(a, b)
}

/// `A + λ I`; `Err` unless `A` is square. Same as [`Shifted::new`].
///
/// ```
/// use hvp_linop::{shift, Diagonal, LinOp};
/// assert_eq!(shift(Diagonal::new(vec![1.0, 3.0]), 0.5).unwrap().diagonal().unwrap(), vec![1.5, 3.5]);
/// ```
pub fn shift<T: Float, A: LinOp<T>>(a: A, lambda: T) -> Result<Shifted<T, A>, LinOpError> {
    Shifted::new(a, lambda)
}

/// `Aᵀ`. Same as [`Transposed::new`].
///
/// ```
/// use hvp_linop::{transpose, Dense, LinOp};
/// let a = Dense::from_rows(&[[1.0, 2.0, 3.0]]).unwrap();
/// let t = transpose(&a);
/// assert_eq!((t.nrows(), t.ncols()), (3, 1));
/// assert_eq!(t.to_dense().unwrap(), vec![1.0, 2.0, 3.0]);
/// ```
pub fn transpose<T: Float, A: LinOp<T>>(a: A) -> Transposed<A> {
    Transposed::new(a)
}

/// The combinators as methods on every operator.
///
/// Methods take `self`; call them on `&op` to keep `op`.
///
/// ```
/// use hvp_linop::{Dense, LinOp, LinOpExt};
/// let a = Dense::<f64>::from_rows(&[[1.0, 2.0], [0.0, 1.0]]).unwrap();
/// // Aᵀ A + 0.1 I, the damped Gauss-Newton matrix of a linear model.
/// let g = (&a).transposed().compose(&a).unwrap().shifted(0.1).unwrap();
/// let d = g.to_dense().unwrap();
/// assert!((d[0] - 1.1).abs() < 1e-12 && (d[1] - 2.0).abs() < 1e-12 && (d[3] - 5.1).abs() < 1e-12);
/// ```
pub trait LinOpExt<T: Float>: LinOp<T> + Sized {
    /// `self + b` ([`Sum`]).
    fn plus<B: LinOp<T>>(self, b: B) -> Result<Sum<Self, B>, LinOpError> {
        Sum::new(self, b)
    }

    /// `alpha · self` ([`Scaled`]).
    fn scaled(self, alpha: T) -> Scaled<T, Self> {
        Scaled::new(alpha, self)
    }

    /// `self · b`, i.e. apply `b` first ([`Compose`]).
    fn compose<B: LinOp<T>>(self, b: B) -> Result<Compose<Self, B>, LinOpError> {
        Compose::new(self, b)
    }

    /// `self + lambda · I` ([`Shifted`]).
    fn shifted(self, lambda: T) -> Result<Shifted<T, Self>, LinOpError> {
        Shifted::new(self, lambda)
    }

    /// `selfᵀ` ([`Transposed`]).
    fn transposed(self) -> Transposed<Self> {
        Transposed::new(self)
    }

    /// The operator as a trait object, to mix kinds (e.g. in a
    /// [`BlockDiagonal`](crate::BlockDiagonal)).
    fn boxed<'a>(self) -> Box<dyn LinOp<T> + 'a>
    where
        Self: 'a,
    {
        Box::new(self)
    }
}

impl<T: Float, A: LinOp<T>> LinOpExt<T> for A {}
