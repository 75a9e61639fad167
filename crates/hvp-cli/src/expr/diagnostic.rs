//! Errors that point into source text: a message, the byte span of the
//! problem, and a rendering with line, column and a caret line under it.
//!
//! ```
//! use hvp_cli::expr::{Diagnostic, Span};
//! let d = Diagnostic::new("unknown function 'sine'", Span::new(8, 12)).with_help("did you mean 'sin'?");
//! let text = d.render("<expr>", "x^2*y + sine(y)");
//! assert!(text.contains("<expr>:1:9"));
//! assert!(text.contains("        ^^^^"));
//! ```

use std::fmt;

/// A half-open byte range `start..end` in a source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte (`start` for an empty span, e.g. at the end).
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The same span moved right by `offset` bytes.
    pub fn shift(self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }
}

/// A problem found in a source text, with where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// What is wrong, as one sentence.
    pub message: String,
    /// Where.
    pub span: Span,
    /// An optional hint printed after the caret line.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a hint.
    pub fn new(message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            help: None,
        }
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        line_col(source, self.span.start)
    }

    /// Renders the message, `name:line:col`, the source line and a caret
    /// line under the span, in the style of rustc.
    pub fn render(&self, name: &str, source: &str) -> String {
        let start = clamp_to_boundary(source, self.span.start);
        let end = clamp_to_boundary(source, self.span.end).max(start);
        let (line, col) = line_col(source, start);
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = &source[line_start..line_end];
        // Tabs become one space each so the caret lines up.
        let shown: String = text
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let width = source[start..end.min(line_end)].chars().count().max(1);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let mut out = format!("error: {}\n", self.message);
        out += &format!("{pad}--> {name}:{line}:{col}\n");
        out += &format!("{pad} |\n");
        out += &format!("{line} | {}\n", shown.trim_end());
        out += &format!("{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width));
        if let Some(h) = &self.help {
            out += &format!("\n{pad} = help: {h}");
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// A diagnostic together with the text it points into, ready to print.
#[derive(Clone, Debug)]
pub struct SourceError {
    /// What the text is called in the message (`<expr>`, a file name, `--at`).
    pub name: String,
    /// The text.
    pub source: String,
    /// The problem.
    pub diagnostic: Diagnostic,
}

impl SourceError {
    /// Binds a diagnostic to its text.
    pub fn new(name: impl Into<String>, source: impl Into<String>, diagnostic: Diagnostic) -> Self {
        SourceError {
            name: name.into(),
            source: source.into(),
            diagnostic,
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The rendering carries its own "error: " prefix.
        f.write_str(
            self.diagnostic
                .render(&self.name, &self.source)
                .trim_start_matches("error: "),
        )
    }
}

impl std::error::Error for SourceError {}

fn clamp_to_boundary(source: &str, mut i: usize) -> usize {
    i = i.min(source.len());
    while !source.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = clamp_to_boundary(source, offset);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_second_line_with_its_caret() {
        let src = "let a = x\n  + sinn(y)";
        let d = Diagnostic::new("unknown function 'sinn'", Span::new(14, 18));
        let r = d.render("f.hvp", src);
        assert!(r.contains("f.hvp:2:5"), "{r}");
        assert!(r.contains("2 |   + sinn(y)\n  |     ^^^^"), "{r}");
    }

    #[test]
    fn a_span_at_the_end_gets_one_caret() {
        let src = "sin(x";
        let r = Diagnostic::new("unclosed", Span::new(5, 5)).render("<expr>", src);
        assert!(r.ends_with("  |      ^"), "{r}");
    }

    #[test]
    fn spans_inside_multibyte_characters_do_not_panic() {
        let src = "θ + φ";
        for s in 0..=src.len() + 2 {
            let _ = Diagnostic::new("m", Span::new(s, s + 1)).render("x", src);
        }
    }
}
