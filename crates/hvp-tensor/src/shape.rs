//! Shapes, strides and broadcasting.

use smallvec::SmallVec;
use std::fmt;

/// The dimensions of a tensor, outermost first (row-major). A scalar has the
/// empty shape.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Shape(pub SmallVec<[usize; 4]>);

/// Two shapes that do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shapes {lhs} and {rhs} cannot be broadcast together")]
pub struct ShapeError {
    /// Left shape.
    pub lhs: Shape,
    /// Right shape.
    pub rhs: Shape,
}

impl Shape {
    /// The shape of a scalar.
    pub fn scalar() -> Self {
        Shape(SmallVec::new())
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// The dimensions as a slice.
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Row-major strides in elements.
    pub fn strides(&self) -> Vec<usize> {
        let mut s = vec![1; self.rank()];
        for i in (0..self.rank().saturating_sub(1)).rev() {
            s[i] = s[i + 1] * self.0[i + 1];
        }
        s
    }

    /// The numpy broadcast of two shapes (trailing dimensions aligned, size-1
    /// dimensions stretched).
    pub fn broadcast(&self, other: &Shape) -> Result<Shape, ShapeError> {
        let rank = self.rank().max(other.rank());
        let mut out = SmallVec::with_capacity(rank);
        for i in 0..rank {
            let a = dim_from_end(self, rank - 1 - i);
            let b = dim_from_end(other, rank - 1 - i);
            let d = match (a, b) {
                (a, b) if a == b => a,
                (1, b) => b,
                (a, 1) => a,
                _ => {
                    return Err(ShapeError {
                        lhs: self.clone(),
                        rhs: other.clone(),
                    })
                }
            };
            out.push(d);
        }
        Ok(Shape(out))
    }
}

fn dim_from_end(s: &Shape, k: usize) -> usize {
    if k < s.rank() {
        s.0[s.rank() - 1 - k]
    } else {
        1
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Self {
        Shape(d.iter().copied().collect())
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Self {
        Shape(d.iter().copied().collect())
    }
}

impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Self {
        Shape(d.into_iter().collect())
    }
}

impl std::ops::Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.0
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ",")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, "]")
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        let a = Shape::from([3, 1]);
        let b = Shape::from([4]);
        assert_eq!(a.broadcast(&b).unwrap(), Shape::from([3, 4]));
        assert!(Shape::from([3]).broadcast(&Shape::from([4])).is_err());
        assert_eq!(Shape::scalar().broadcast(&a).unwrap(), a);
    }
}
