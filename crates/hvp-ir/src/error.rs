//! Errors of the IR crate.

use hvp_tensor::Shape;

/// Something wrong with a graph or with the operands of a primitive.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IrError {
    /// A primitive got operands whose shapes it cannot take.
    #[error("{prim}: {reason} (operand shapes {shapes:?})")]
    Shape {
        /// The primitive's text name.
        prim: String,
        /// The operand shapes (`[]` for literals).
        shapes: Vec<Shape>,
        /// What is wrong.
        reason: String,
    },
    /// A graph breaks an invariant (single assignment, use before definition,
    /// a recorded shape that disagrees with inference).
    #[error("invalid graph at equation {index}: {reason}\n{window}")]
    Verify {
        /// Index of the offending equation (or the number of equations for
        /// an output problem).
        index: usize,
        /// What is wrong.
        reason: String,
        /// The equations around the offending one, in text form.
        window: String,
    },
    /// The text form could not be parsed.
    #[error("parse error at line {line}, column {column}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was expected.
        message: String,
    },
}
