//! Tokens to a [`Program`]: a recursive-descent parser with one function
//! per precedence level (see the grammar in [`crate::expr`]).
//!
//! ```
//! use hvp_cli::expr::parse;
//! let p = parse("let r = x - 1\n# a comment\nr^2 + 2^-1").unwrap();
//! assert_eq!(p.stmts.len(), 1);
//! let e = parse("sin(x").unwrap_err();
//! assert!(e.message.contains("never closed"));
//! ```

use super::ast::*;
use super::diagnostic::{Diagnostic, Span};
use super::lexer::{tokenize, Tok, Token};

/// How deep an expression tree may be (operators, calls, brackets), so
/// that no input can exhaust the stack of a later stage.
pub const MAX_DEPTH: usize = 1000;

/// How deeply brackets, calls and unary operators may nest (each level is
/// a recursion of the parser).
pub const MAX_NESTING: usize = 100;

/// Parses a whole file or `--expr` string.
pub fn parse(src: &str) -> Result<Program, Diagnostic> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        nesting: 0,
    };
    p.program()
}

/// Parses a single expression (an `--at` value, for instance).
pub fn parse_expr(src: &str) -> Result<Expr, Diagnostic> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        nesting: 0,
    };
    while p.peek() == &Tok::Newline {
        p.bump();
    }
    let e = p.expr()?;
    p.skip_separators();
    p.expect_end()?;
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    nesting: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.toks[(self.pos + k).min(self.toks.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos].span
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn skip_separators(&mut self) -> bool {
        let mut any = false;
        while matches!(self.peek(), Tok::Newline | Tok::Semi) {
            self.bump();
            any = true;
        }
        any
    }

    /// Enters one recursive level (brackets, calls, unary operators).
    fn enter(&mut self, span: Span) -> Result<(), Diagnostic> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            self.nesting -= 1;
            return Err(Diagnostic::new(
                format!(
                    "expression nested too deeply (more than {MAX_NESTING} levels of brackets)"
                ),
                span,
            )
            .with_help("split it into let bindings"));
        }
        if let Err(e) = self.link(span) {
            self.nesting -= 1;
            return Err(e);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
        self.depth -= 1;
    }

    /// Adds one level to the tree's depth (a link of an operator chain).
    fn link(&mut self, span: Span) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(Diagnostic::new(
                format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
                span,
            )
            .with_help("split it into let bindings"));
        }
        Ok(())
    }

    fn unexpected(&self, what: &str) -> Diagnostic {
        let t = &self.toks[self.pos];
        let d = Diagnostic::new(format!("expected {what}, found {}", t.tok), t.span);
        match &t.tok {
            Tok::RParen | Tok::RBracket => {
                Diagnostic::new(format!("unmatched {}: expected {what}", t.tok), t.span)
            }
            Tok::Eof => d.with_help("the expression is incomplete"),
            _ => d,
        }
    }

    fn expect_end(&self) -> Result<(), Diagnostic> {
        match self.peek() {
            Tok::Eof => Ok(()),
            Tok::RParen | Tok::RBracket => Err(Diagnostic::new(
                format!("unmatched {}", self.peek()),
                self.span(),
            )
            .with_help("remove it or add the opening bracket")),
            t => Err(Diagnostic::new(
                format!("unexpected {t} after the end of the expression"),
                self.span(),
            )
            .with_help("put an operator between values, or ';' between statements")),
        }
    }

    fn program(&mut self) -> Result<Program, Diagnostic> {
        let mut stmts = Vec::new();
        self.skip_separators();
        loop {
            match self.peek() {
                Tok::Eof => {
                    let span = self.span();
                    return Err(match stmts.last() {
                        Some(Stmt::Let { name, .. }) => Diagnostic::new(
                            "the program ends with a let binding; its last line must be the expression for f",
                            name.span,
                        )
                        .with_help(format!("add a last line such as '{}'", name.name)),
                        Some(_) => Diagnostic::new(
                            "the program ends with a declaration; its last line must be the expression for f",
                            span,
                        ),
                        None => Diagnostic::new("empty expression: nothing to evaluate", span)
                            .with_help("write a function of named inputs, e.g. 'x^2*y + sin(y)'"),
                    });
                }
                Tok::Let | Tok::Input | Tok::Data => {
                    stmts.push(self.statement()?);
                    if !self.skip_separators() && self.peek() != &Tok::Eof {
                        return Err(Diagnostic::new(
                            format!("expected ';' or a new line, found {}", self.peek()),
                            self.span(),
                        ));
                    }
                }
                _ => {
                    let result = self.expr()?;
                    self.skip_separators();
                    let stray_statement = matches!(self.peek(), Tok::Let | Tok::Input | Tok::Data)
                        || matches!(self.toks[self.pos - 1].tok, Tok::Newline | Tok::Semi);
                    if !matches!(self.peek(), Tok::Eof | Tok::RParen | Tok::RBracket)
                        && stray_statement
                    {
                        return Err(Diagnostic::new(
                            "only the last statement may be a bare expression",
                            result.span,
                        )
                        .with_help("bind it with 'let name = ...' or move it to the end"));
                    }
                    self.expect_end()?;
                    return Ok(Program { stmts, result });
                }
            }
        }
    }

    fn ident(&mut self, what: &str) -> Result<Ident, Diagnostic> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.bump().span;
                Ok(Ident { name, span })
            }
            Tok::Let | Tok::Input | Tok::Data => Err(Diagnostic::new(
                format!("{} is a keyword and cannot be used as {what}", self.peek()),
                self.span(),
            )),
            _ => Err(self.unexpected(what)),
        }
    }

    fn statement(&mut self) -> Result<Stmt, Diagnostic> {
        match self.bump().tok {
            Tok::Let => {
                let name = self.ident("a name after 'let'")?;
                if !self.eat(&Tok::Assign) {
                    return Err(self.unexpected("'=' after the name in a let binding"));
                }
                let value = self.expr()?;
                Ok(Stmt::Let { name, value })
            }
            kw => {
                let kind = if kw == Tok::Data {
                    InputKind::Data
                } else {
                    InputKind::Param
                };
                let mut decls = vec![self.decl()?];
                while self.eat(&Tok::Comma) {
                    decls.push(self.decl()?);
                }
                Ok(Stmt::Declare { kind, decls })
            }
        }
    }

    fn decl(&mut self) -> Result<Decl, Diagnostic> {
        let name = self.ident("an input name")?;
        let mut shape = None;
        if self.peek() == &Tok::LBracket {
            let open = self.bump().span;
            let mut dims = Vec::new();
            while self.peek() != &Tok::RBracket {
                let t = self.bump();
                match t.tok {
                    Tok::Number(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e15 => {
                        dims.push(v as usize)
                    }
                    Tok::Eof => {
                        return Err(Diagnostic::new("this '[' is never closed", open)
                            .with_help("add ']' after the dimensions"))
                    }
                    _ => {
                        return Err(Diagnostic::new(
                            format!("expected a dimension (a whole number), found {}", t.tok),
                            t.span,
                        )
                        .with_help("declare shapes with whole numbers, e.g. 'input A[2, 3]'"))
                    }
                }
                if !self.eat(&Tok::Comma) && self.peek() != &Tok::RBracket {
                    return Err(self.unexpected("',' or ']' in the shape"));
                }
            }
            let close = self.bump().span;
            shape = Some((dims, open.to(close)));
        }
        let default = if self.eat(&Tok::Assign) {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Decl {
            name,
            shape,
            default,
        })
    }

    /// `expr = comparison`
    fn expr(&mut self) -> Result<Expr, Diagnostic> {
        self.enter(self.span())?;
        let r = self.comparison();
        self.leave();
        r
    }

    fn binary(op: BinOp, op_span: Span, lhs: Expr, rhs: Expr) -> Expr {
        let span = lhs.span.to(rhs.span);
        Expr {
            kind: ExprKind::Binary {
                op,
                op_span,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        }
    }

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let lhs = self.additive()?;
        let op = match self.peek() {
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::EqEq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            _ => return Ok(lhs),
        };
        let op_span = self.bump().span;
        let rhs = self.additive()?;
        if matches!(
            self.peek(),
            Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::EqEq | Tok::Ne
        ) {
            return Err(
                Diagnostic::new("comparisons cannot be chained", self.span())
                    .with_help("combine comparisons with '*', e.g. (a < x) * (x < b)"),
            );
        }
        Ok(Self::binary(op, op_span, lhs, rhs))
    }

    /// Left-associative chains count towards the depth limit, since they
    /// build trees as deep as they are long.
    fn chain(
        &mut self,
        next: fn(&mut Self) -> Result<Expr, Diagnostic>,
        op_of: fn(&Tok) -> Option<BinOp>,
    ) -> Result<Expr, Diagnostic> {
        let mut lhs = next(self)?;
        let mut links = 0;
        while let Some(op) = op_of(self.peek()) {
            let op_span = self.bump().span;
            if let Err(e) = self.link(op_span) {
                self.depth -= links;
                return Err(e);
            }
            links += 1;
            let rhs = next(self);
            let rhs = match rhs {
                Ok(r) => r,
                Err(e) => {
                    self.depth -= links;
                    return Err(e);
                }
            };
            lhs = Self::binary(op, op_span, lhs, rhs);
        }
        self.depth -= links;
        Ok(lhs)
    }

    fn additive(&mut self) -> Result<Expr, Diagnostic> {
        self.chain(Self::term, |t| match t {
            Tok::Plus => Some(BinOp::Add),
            Tok::Minus => Some(BinOp::Sub),
            _ => None,
        })
    }

    fn term(&mut self) -> Result<Expr, Diagnostic> {
        self.chain(Self::unary, |t| match t {
            Tok::Star => Some(BinOp::Mul),
            Tok::Slash => Some(BinOp::Div),
            Tok::At => Some(BinOp::MatMul),
            _ => None,
        })
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        let op = match self.peek() {
            Tok::Minus => UnaryOp::Neg,
            Tok::Plus => UnaryOp::Plus,
            _ => return self.power(),
        };
        let op_span = self.bump().span;
        self.enter(op_span)?;
        let operand = self.unary();
        self.leave();
        let operand = operand?;
        Ok(Expr {
            span: op_span.to(operand.span),
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
        })
    }

    /// `power = postfix [ "^" unary ]`: right-associative, and binds tighter
    /// than a unary minus on its left (`-x^2 = -(x^2)`).
    fn power(&mut self) -> Result<Expr, Diagnostic> {
        let base = self.postfix()?;
        if self.peek() != &Tok::Caret {
            return Ok(base);
        }
        let op_span = self.bump().span;
        self.enter(op_span)?;
        let exponent = self.unary();
        self.leave();
        Ok(Self::binary(BinOp::Pow, op_span, base, exponent?))
    }

    fn postfix(&mut self) -> Result<Expr, Diagnostic> {
        let mut e = self.primary()?;
        let mut links = 0;
        while self.peek() == &Tok::LBracket {
            let open = self.bump().span;
            if let Err(err) = self.link(open) {
                self.depth -= links;
                return Err(err);
            }
            links += 1;
            let r = self.indices(open);
            let (indices, close) = match r {
                Ok(v) => v,
                Err(err) => {
                    self.depth -= links;
                    return Err(err);
                }
            };
            e = Expr {
                span: e.span.to(close),
                kind: ExprKind::Index {
                    target: Box::new(e),
                    indices,
                },
            };
        }
        self.depth -= links;
        Ok(e)
    }

    fn indices(&mut self, open: Span) -> Result<(Vec<Index>, Span), Diagnostic> {
        let mut out = Vec::new();
        loop {
            if self.peek() == &Tok::RBracket {
                if out.is_empty() {
                    return Err(Diagnostic::new("empty index '[]'", open.to(self.span()))
                        .with_help("write an index such as x[0] or a slice such as x[1:]"));
                }
                break;
            }
            out.push(self.index()?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            match self.peek() {
                Tok::RBracket => break,
                Tok::Eof => {
                    return Err(Diagnostic::new("this '[' is never closed", open)
                        .with_help("add ']' after the index"))
                }
                _ => return Err(self.unexpected("',' or ']' in the index")),
            }
        }
        let close = self.bump().span;
        Ok((out, close))
    }

    fn index(&mut self) -> Result<Index, Diagnostic> {
        let first = self.span();
        let start = if self.peek() == &Tok::Colon {
            None
        } else {
            let e = self.expr()?;
            if self.peek() != &Tok::Colon {
                return Ok(Index::At(e));
            }
            Some(e)
        };
        let mut last = self.bump().span; // the colon
        let bound = |p: &mut Self| -> Result<Option<Expr>, Diagnostic> {
            if matches!(p.peek(), Tok::Colon | Tok::Comma | Tok::RBracket) {
                Ok(None)
            } else {
                p.expr().map(Some)
            }
        };
        let end = bound(self)?;
        if let Some(e) = &end {
            last = e.span;
        }
        let mut step = None;
        if self.peek() == &Tok::Colon {
            last = self.bump().span;
            step = bound(self)?;
            if let Some(e) = &step {
                last = e.span;
            }
        }
        Ok(Index::Slice {
            start,
            end,
            step,
            span: first.to(last),
        })
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let t = self.toks[self.pos].clone();
        match t.tok {
            Tok::Number(v) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Number(v),
                    span: t.span,
                })
            }
            Tok::Ident(name) => {
                self.bump();
                if self.peek() == &Tok::LParen {
                    return self.call(Ident { name, span: t.span });
                }
                Ok(Expr {
                    kind: ExprKind::Name(name),
                    span: t.span,
                })
            }
            Tok::LParen => {
                self.bump();
                if self.peek() == &Tok::RParen {
                    return Err(Diagnostic::new(
                        "empty parentheses '()'",
                        t.span.to(self.span()),
                    ));
                }
                let inner = self.expr()?;
                let close = self.close(&Tok::RParen, t.span, "')'")?;
                Ok(Expr {
                    kind: inner.kind,
                    span: t.span.to(close),
                })
            }
            Tok::LBracket => {
                self.bump();
                self.enter(t.span)?;
                let r = self.list(t.span, &Tok::RBracket, "']'", Self::expr);
                self.leave();
                let (items, close) = r?;
                Ok(Expr {
                    kind: ExprKind::Array(items),
                    span: t.span.to(close),
                })
            }
            Tok::Let | Tok::Input | Tok::Data => Err(Diagnostic::new(
                format!("{} can only start a statement", t.tok),
                t.span,
            )
            .with_help("statements go on their own line or end with ';'")),
            _ => Err(self.unexpected("a value")),
        }
    }

    /// Expects `tok` closing the bracket opened at `open`.
    fn close(&mut self, tok: &Tok, open: Span, name: &str) -> Result<Span, Diagnostic> {
        if self.peek() == tok {
            return Ok(self.bump().span);
        }
        let opener = if tok == &Tok::RParen { "'('" } else { "'['" };
        Err(match self.peek() {
            Tok::Eof | Tok::Newline | Tok::Semi => {
                Diagnostic::new(format!("this {opener} is never closed"), open)
                    .with_help(format!("add {name}"))
            }
            Tok::RParen | Tok::RBracket => Diagnostic::new(
                format!(
                    "mismatched bracket: expected {name} to close the {opener}, found {}",
                    self.peek()
                ),
                self.span(),
            ),
            t => Diagnostic::new(
                format!("expected {name} or an operator, found {t}"),
                self.span(),
            ),
        })
    }

    fn list<T>(
        &mut self,
        open: Span,
        close: &Tok,
        name: &str,
        item: fn(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<(Vec<T>, Span), Diagnostic> {
        let mut items = Vec::new();
        loop {
            if self.peek() == close {
                break;
            }
            if self.peek() == &Tok::Eof {
                let opener = if close == &Tok::RParen { "'('" } else { "'['" };
                return Err(
                    Diagnostic::new(format!("this {opener} is never closed"), open)
                        .with_help(format!("add {name}")),
                );
            }
            items.push(item(self)?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        let end = self.close(close, open, name)?;
        Ok((items, end))
    }

    fn arg(&mut self) -> Result<Arg, Diagnostic> {
        if let (Tok::Ident(name), Tok::Assign) = (self.peek().clone(), self.peek_at(1)) {
            let span = self.bump().span;
            self.bump();
            let value = self.expr()?;
            return Ok(Arg {
                name: Some(Ident { name, span }),
                value,
            });
        }
        Ok(Arg {
            name: None,
            value: self.expr()?,
        })
    }

    fn call(&mut self, func: Ident) -> Result<Expr, Diagnostic> {
        let open = self.bump().span;
        self.enter(open)?;
        let r = self.list(open, &Tok::RParen, "')'", Self::arg);
        self.leave();
        let (args, close) = r?;
        Ok(Expr {
            span: func.span.to(close),
            kind: ExprKind::Call { func, args },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact printed form, fully parenthesized, to check structure.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Number(v) => format!("{v}"),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Neg => format!("(-{})", show(operand)),
                UnaryOp::Plus => format!("(+{})", show(operand)),
            },
            ExprKind::Binary { op, lhs, rhs, .. } => {
                format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
            }
            ExprKind::Call { func, args } => {
                let a: Vec<String> = args
                    .iter()
                    .map(|a| match &a.name {
                        Some(n) => format!("{}={}", n.name, show(&a.value)),
                        None => show(&a.value),
                    })
                    .collect();
                format!("{}({})", func.name, a.join(", "))
            }
            ExprKind::Index { target, indices } => {
                let opt = |e: &Option<Expr>| e.as_ref().map(show).unwrap_or_default();
                let i: Vec<String> = indices
                    .iter()
                    .map(|i| match i {
                        Index::At(e) => show(e),
                        Index::Slice {
                            start, end, step, ..
                        } => format!("{}:{}:{}", opt(start), opt(end), opt(step)),
                    })
                    .collect();
                format!("{}[{}]", show(target), i.join(", "))
            }
            ExprKind::Array(items) => {
                let i: Vec<String> = items.iter().map(show).collect();
                format!("[{}]", i.join(", "))
            }
        }
    }

    fn p(s: &str) -> String {
        show(&parse(s).unwrap().result)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(p("x^2*y + sin(y)"), "(((x ^ 2) * y) + sin(y))");
        assert_eq!(p("-x^2"), "(-(x ^ 2))");
        assert_eq!(p("2^3^2"), "(2 ^ (3 ^ 2))");
        assert_eq!(p("2^-1"), "(2 ^ (-1))");
        assert_eq!(p("a - b - c"), "((a - b) - c)");
        assert_eq!(p("a / b * c"), "((a / b) * c)");
        assert_eq!(p("A @ x + b"), "((A @ x) + b)");
        assert_eq!(p("x < 1 + 2"), "(x < (1 + 2))");
        assert_eq!(p("x ** 2"), "(x ^ 2)");
    }

    #[test]
    fn indexing_slicing_arrays_and_calls() {
        assert_eq!(p("x[1:]"), "x[1::]");
        assert_eq!(p("x[:-1]"), "x[:(-1):]");
        assert_eq!(p("x[::2]"), "x[::2]");
        assert_eq!(p("A[0, 1:3]"), "A[0, 1:3:]");
        assert_eq!(p("[[1, 2], [3, 4]]"), "[[1, 2], [3, 4]]");
        assert_eq!(p("sum(x, axis=0)"), "sum(x, axis=0)");
        assert_eq!(p("x[1:][0]^2"), "(x[1::][0] ^ 2)");
        assert_eq!(p("[1, 2,]"), "[1, 2]");
    }

    #[test]
    fn statements_and_declarations() {
        let prog = parse("input x[3], y\ndata t[3] = 1\nlet r = x - t; sum(r^2) * y").unwrap();
        assert_eq!(prog.stmts.len(), 3);
        match &prog.stmts[0] {
            Stmt::Declare { kind, decls } => {
                assert_eq!(*kind, InputKind::Param);
                assert_eq!(decls[0].shape.as_ref().unwrap().0, vec![3]);
                assert!(decls[1].shape.is_none());
            }
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases: &[(&str, &str, usize)] = &[
            ("sin(x", "never closed", 3),
            ("(x + 1]", "mismatched bracket", 6),
            ("x + )", "unmatched ')'", 4),
            ("x + 1)", "unmatched ')'", 5),
            ("x +", "expected a value", 3),
            ("x y", "unexpected name 'y'", 2),
            ("let a = 1", "ends with a let", 4),
            ("", "empty expression", 0),
            ("x[]", "empty index", 1),
            ("x < y < z", "cannot be chained", 6),
            ("x\ny", "only the last statement", 0),
        ];
        for &(src, msg, at) in cases {
            let e = parse(src).unwrap_err();
            assert!(e.message.contains(msg), "{src:?}: {}", e.message);
            assert_eq!(e.span.start, at, "{src:?}: {e:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let s = "(".repeat(5000) + "x" + &")".repeat(5000);
        assert!(parse(&s).unwrap_err().message.contains("nested too deeply"));
        let s = vec!["x"; 5000].join(" + ");
        assert!(parse(&s).unwrap_err().message.contains("nested too deeply"));
    }
}
