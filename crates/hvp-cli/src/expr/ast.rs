//! The syntax tree of an expression file.
//!
//! A [`Program`] is a list of statements (`let` bindings and `input` /
//! `data` declarations) followed by the expression that defines `f`. Every
//! node carries its [`Span`] so later stages can point at it.

use super::diagnostic::Span;

/// A parsed file or `--expr` string.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Statements in source order.
    pub stmts: Vec<Stmt>,
    /// The last expression: the function's value.
    pub result: Expr,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `let name = value`
    Let {
        /// The bound name.
        name: Ident,
        /// Its value.
        value: Expr,
    },
    /// `input x[3], y` or `data labels[4]`.
    Declare {
        /// Parameters (`input`) or fixed data (`data`).
        kind: InputKind,
        /// The declared names.
        decls: Vec<Decl>,
    },
}

/// Whether a declared input is differentiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// `input`: a parameter; gradients, Hessians and directions include it.
    Param,
    /// `data`: held fixed (a data set, labels); never part of a direction.
    Data,
}

/// One declared input: `x`, `x[3]`, `A[2, 3] = 0.5`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// The name.
    pub name: Ident,
    /// The declared shape (`[]` for a scalar) and its span; `None` when the
    /// shape comes from the input's value.
    pub shape: Option<(Vec<usize>, Span)>,
    /// A default value (a constant), used when `--at` gives none.
    pub default: Option<Expr>,
}

/// A name and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*` (elementwise)
    Mul,
    /// `/`
    Div,
    /// `^` or `**` (elementwise power)
    Pow,
    /// `@` (matrix product)
    MatMul,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::MatMul => "@",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
        }
    }
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Number(f64),
    /// A name: an input, a let binding or a constant.
    Name(String),
    /// `-x`, `+x`
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `a op b`
    Binary {
        /// The operator.
        op: BinOp,
        /// Where the operator is written.
        op_span: Span,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `f(a, b, axis=0)`
    Call {
        /// The function name.
        func: Ident,
        /// The arguments.
        args: Vec<Arg>,
    },
    /// `x[1:, 0]`
    Index {
        /// The indexed value.
        target: Box<Expr>,
        /// One entry per indexed axis.
        indices: Vec<Index>,
    },
    /// `[a, b, c]`
    Array(Vec<Expr>),
}

/// A call argument, positional or named (`axis=0`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// The keyword, for a named argument.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
}

/// One entry of an index expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Index {
    /// `x[i]`: picks one element along the axis and removes the axis.
    At(Expr),
    /// `x[start:end:step]`, each part optional.
    Slice {
        /// First index (default 0).
        start: Option<Expr>,
        /// One past the last index (default the axis length).
        end: Option<Expr>,
        /// Stride (default 1).
        step: Option<Expr>,
        /// The whole slice.
        span: Span,
    },
}

impl Index {
    /// Where this index is written.
    pub fn span(&self) -> Span {
        match self {
            Index::At(e) => e.span,
            Index::Slice { span, .. } => *span,
        }
    }
}
