//! Source text to tokens.
//!
//! Newlines end statements, except inside brackets and after a token that
//! cannot end an expression (a binary operator, `=`, `,`), so long
//! expressions may be broken after an operator or inside parentheses.
//! `#` starts a comment that runs to the end of the line.
//!
//! ```
//! use hvp_cli::expr::lexer::{tokenize, Tok};
//! let toks = tokenize("let a = x^2 # square\na").unwrap();
//! let kinds: Vec<_> = toks.iter().map(|t| t.tok.clone()).collect();
//! assert_eq!(kinds, vec![
//!     Tok::Let, Tok::Ident("a".into()), Tok::Assign, Tok::Ident("x".into()), Tok::Caret,
//!     Tok::Number(2.0), Tok::Newline, Tok::Ident("a".into()), Tok::Eof,
//! ]);
//! ```

use super::diagnostic::{Diagnostic, Span};
use std::fmt;

/// A token kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A number literal (`2`, `1.5`, `.5`, `1e-3`).
    Number(f64),
    /// A name: an input, a let binding, a constant or a function.
    Ident(String),
    /// `let`
    Let,
    /// `input`
    Input,
    /// `data`
    Data,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `^` or `**`
    Caret,
    /// `@`
    At,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `;`
    Semi,
    /// `=`
    Assign,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// A statement-ending newline.
    Newline,
    /// The end of the text.
    Eof,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Tok::Number(v) => return write!(f, "number {v}"),
            Tok::Ident(n) => return write!(f, "name '{n}'"),
            Tok::Let => "'let'",
            Tok::Input => "'input'",
            Tok::Data => "'data'",
            Tok::Plus => "'+'",
            Tok::Minus => "'-'",
            Tok::Star => "'*'",
            Tok::Slash => "'/'",
            Tok::Caret => "'^'",
            Tok::At => "'@'",
            Tok::LParen => "'('",
            Tok::RParen => "')'",
            Tok::LBracket => "'['",
            Tok::RBracket => "']'",
            Tok::Comma => "','",
            Tok::Colon => "':'",
            Tok::Semi => "';'",
            Tok::Assign => "'='",
            Tok::EqEq => "'=='",
            Tok::Ne => "'!='",
            Tok::Lt => "'<'",
            Tok::Le => "'<='",
            Tok::Gt => "'>'",
            Tok::Ge => "'>='",
            Tok::Newline => "end of line",
            Tok::Eof => "end of input",
        };
        f.write_str(s)
    }
}

impl Tok {
    /// Whether a newline right after this token continues the expression.
    fn continues(&self) -> bool {
        matches!(
            self,
            Tok::Plus
                | Tok::Minus
                | Tok::Star
                | Tok::Slash
                | Tok::Caret
                | Tok::At
                | Tok::Comma
                | Tok::Colon
                | Tok::Assign
                | Tok::EqEq
                | Tok::Ne
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::LParen
                | Tok::LBracket
        )
    }
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The kind.
    pub tok: Tok,
    /// Its bytes in the source.
    pub span: Span,
}

/// Splits `src` into tokens ending with [`Tok::Eof`].
pub fn tokenize(src: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut out: Vec<Token> = Vec::new();
    let mut depth: usize = 0;
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let offset = |k: usize| chars.get(k).map_or(src.len(), |&(i, _)| i);
    let mut k = 0;
    while k < chars.len() {
        let (start, c) = chars[k];
        if c == '\n' {
            let continues = out.last().is_some_and(|t| t.tok.continues());
            let after_newline = out.last().is_none_or(|t| t.tok == Tok::Newline);
            if depth == 0 && !continues && !after_newline {
                out.push(Token {
                    tok: Tok::Newline,
                    span: Span::new(start, start + 1),
                });
            }
            k += 1;
            continue;
        }
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if c == '#' {
            while k < chars.len() && chars[k].1 != '\n' {
                k += 1;
            }
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && at(k + 1).is_some_and(|d| d.is_ascii_digit())) {
            let mut j = k;
            while at(j).is_some_and(|d| d.is_ascii_digit()) {
                j += 1;
            }
            if at(j) == Some('.') {
                j += 1;
                while at(j).is_some_and(|d| d.is_ascii_digit()) {
                    j += 1;
                }
            }
            if matches!(at(j), Some('e' | 'E')) {
                let mut e = j + 1;
                if matches!(at(e), Some('+' | '-')) {
                    e += 1;
                }
                if at(e).is_some_and(|d| d.is_ascii_digit()) {
                    j = e;
                    while at(j).is_some_and(|d| d.is_ascii_digit()) {
                        j += 1;
                    }
                }
            }
            let end = offset(j);
            let text = &src[start..end];
            let span = Span::new(start, end);
            if at(j).is_some_and(|d| d.is_alphabetic() || d == '_') {
                let mut e = j;
                while at(e).is_some_and(|d| d.is_alphanumeric() || d == '_') {
                    e += 1;
                }
                return Err(Diagnostic::new(
                    format!("malformed number '{}'", &src[start..offset(e)]),
                    Span::new(start, offset(e)),
                )
                .with_help("write products with '*', e.g. 2*x"));
            }
            let v: f64 = text
                .parse()
                .map_err(|_| Diagnostic::new(format!("malformed number '{text}'"), span))?;
            out.push(Token {
                tok: Tok::Number(v),
                span,
            });
            k = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = k;
            while at(j).is_some_and(|d| d.is_alphanumeric() || d == '_') {
                j += 1;
            }
            let end = offset(j);
            let word = &src[start..end];
            let tok = match word {
                "let" => Tok::Let,
                "input" => Tok::Input,
                "data" => Tok::Data,
                _ => Tok::Ident(word.to_string()),
            };
            out.push(Token {
                tok,
                span: Span::new(start, end),
            });
            k = j;
            continue;
        }
        let next = at(k + 1);
        let (tok, len) = match (c, next) {
            ('*', Some('*')) => (Tok::Caret, 2),
            ('=', Some('=')) => (Tok::EqEq, 2),
            ('!', Some('=')) => (Tok::Ne, 2),
            ('<', Some('=')) => (Tok::Le, 2),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('*', _) => (Tok::Star, 1),
            ('/', _) => (Tok::Slash, 1),
            ('^', _) => (Tok::Caret, 1),
            ('@', _) => (Tok::At, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            (',', _) => (Tok::Comma, 1),
            (':', _) => (Tok::Colon, 1),
            (';', _) => (Tok::Semi, 1),
            ('=', _) => (Tok::Assign, 1),
            ('<', _) => (Tok::Lt, 1),
            ('>', _) => (Tok::Gt, 1),
            _ => {
                let span = Span::new(start, offset(k + 1));
                let help = match c {
                    '{' | '}' => Some("use '[...]' for arrays and '(...)' for grouping"),
                    '|' => Some("use abs(x) for absolute values and norm(x) for norms"),
                    '%' => Some("there is no remainder operator"),
                    '\'' | '"' => {
                        Some("quote the whole expression for your shell, not parts of it")
                    }
                    '!' => Some("comparisons are <, <=, >, >=, == and !="),
                    _ => None,
                };
                let d = Diagnostic::new(format!("unexpected character '{c}'"), span);
                return Err(match help {
                    Some(h) => d.with_help(h),
                    None => d,
                });
            }
        };
        match tok {
            Tok::LParen | Tok::LBracket => depth += 1,
            Tok::RParen | Tok::RBracket => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(Token {
            tok,
            span: Span::new(start, offset(k + len)),
        });
        k += len;
    }
    // A trailing newline is not a statement.
    while out.last().is_some_and(|t| t.tok == Tok::Newline) {
        out.pop();
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(src.len(), src.len()),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_in_every_form() {
        assert_eq!(
            kinds("1 1.5 .5 1e-3 2E+2 3."),
            vec![
                Tok::Number(1.0),
                Tok::Number(1.5),
                Tok::Number(0.5),
                Tok::Number(1e-3),
                Tok::Number(200.0),
                Tok::Number(3.0),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn newlines_inside_brackets_and_after_operators_continue() {
        assert_eq!(
            kinds("(x\n+ 1) +\n y\nz"),
            vec![
                Tok::LParen,
                Tok::Ident("x".into()),
                Tok::Plus,
                Tok::Number(1.0),
                Tok::RParen,
                Tok::Plus,
                Tok::Ident("y".into()),
                Tok::Newline,
                Tok::Ident("z".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn double_star_is_power_and_comments_vanish() {
        assert_eq!(
            kinds("x ** 2 # comment ** )\n\n"),
            vec![
                Tok::Ident("x".into()),
                Tok::Caret,
                Tok::Number(2.0),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn juxtaposed_number_and_name_is_an_error_with_a_hint() {
        let e = tokenize("2x + 1").unwrap_err();
        assert!(e.message.contains("2x"));
        assert_eq!(e.span, Span::new(0, 2));
        assert!(e.help.unwrap().contains("2*x"));
    }
}
