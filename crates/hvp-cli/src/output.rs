//! Text and JSON output: numbers with a chosen number of significant
//! digits, arrays in numpy's nested notation (summarized when large),
//! labelled blocks, and JSON documents on stdout.
//!
//! ```
//! use hvp_cli::output::{fmt_array, fmt_num};
//! assert_eq!(fmt_num(-2.1, 6), "-2.1");
//! assert_eq!(fmt_num(1.0e-7, 3), "1e-7");
//! assert_eq!(fmt_array(&[1.0, 2.5, 3.0, 4.0], &[2, 2], 4), "[[1, 2.5],\n [3, 4]]");
//! ```

use serde::Serialize;
use std::io::Write;

/// Arrays with more elements than this are summarized (numpy's default).
pub const SUMMARIZE_ABOVE: usize = 1000;
/// Elements kept at each end of a summarized axis.
pub const EDGE_ITEMS: usize = 3;

/// `v` with `digits` significant digits, trailing zeros dropped; fixed
/// notation for magnitudes from 1e-4 up to 10^digits, scientific outside.
pub fn fmt_num(v: f64, digits: usize) -> String {
    let digits = digits.clamp(1, 17);
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    // Round first, so 9.99999 at 3 digits decides its exponent as 10.
    let sci = format!("{:.*e}", digits - 1, v);
    let (mantissa, exp) = sci.split_once('e').expect("scientific notation");
    let exp: i32 = exp.parse().expect("an exponent");
    if (-4..digits as i32).contains(&exp) {
        let decimals = (digits as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}"))
    } else {
        format!("{}e{exp}", trim_zeros(mantissa))
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// An array in numpy's nested notation; rows of matrices on their own
/// lines, aligned under the first; summarized with `...` when larger than
/// [`SUMMARIZE_ABOVE`] elements.
pub fn fmt_array(data: &[f64], shape: &[usize], digits: usize) -> String {
    let summarize = data.len() > SUMMARIZE_ABOVE;
    let mut out = String::new();
    nested(&mut out, data, shape, digits, summarize, 0);
    out
}

fn kept(n: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && n > 2 * EDGE_ITEMS + 1 {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

fn nested(
    out: &mut String,
    data: &[f64],
    shape: &[usize],
    digits: usize,
    summarize: bool,
    depth: usize,
) {
    match shape {
        [] => out.push_str(&fmt_num(data.first().copied().unwrap_or(f64::NAN), digits)),
        [n] => {
            out.push('[');
            let items: Vec<String> = kept(*n, summarize)
                .into_iter()
                .map(|i| i.map_or("...".into(), |i| fmt_num(data[i], digits)))
                .collect();
            out.push_str(&items.join(", "));
            out.push(']');
        }
        [n, rest @ ..] => {
            let stride: usize = rest.iter().product();
            out.push('[');
            let sep = format!(",\n{}", " ".repeat(depth + 1));
            for (k, i) in kept(*n, summarize).into_iter().enumerate() {
                if k > 0 {
                    out.push_str(&sep);
                }
                match i {
                    Some(i) => nested(
                        out,
                        &data[i * stride..(i + 1) * stride],
                        rest,
                        digits,
                        summarize,
                        depth + 1,
                    ),
                    None => out.push_str("..."),
                }
            }
            out.push(']');
        }
    }
}

/// Lines of `label  content`, the label column `width` wide, continuation
/// lines of a multi-line content indented under its first line.
pub fn block(label: &str, width: usize, content: &str) -> String {
    let mut out = String::new();
    let indent = " ".repeat(width + 1);
    for (i, line) in content.lines().enumerate() {
        if i == 0 {
            out += &format!("{label:<width$} {line}\n");
        } else {
            out += &format!("{indent}{line}\n");
        }
    }
    if content.is_empty() {
        out += &format!("{label}\n");
    }
    out
}

/// One `name = value` line per named piece, aligned, as the content of a
/// [`block`]; `pieces` are (name, flat values, shape).
pub fn named_values(pieces: &[(&str, &[f64], &[usize])], digits: usize) -> String {
    let w = pieces
        .iter()
        .map(|(n, _, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, data, shape) in pieces {
        let arr = fmt_array(data, shape, digits);
        let pad = " ".repeat(w + 3);
        for (i, line) in arr.lines().enumerate() {
            if i == 0 {
                out += &format!("{name:<w$} = {line}\n");
            } else {
                out += &format!("{pad}{line}\n");
            }
        }
    }
    out
}

/// Writes `value` as pretty JSON and a newline to stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print_text(&text)
}

/// Writes text to stdout. A reader that closed the pipe early (`| head`)
/// is not an error.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(fmt_num(1.5, 12), "1.5");
        assert_eq!(fmt_num(-0.7, 12), "-0.7");
        assert_eq!(fmt_num(2.0 / 3.0, 4), "0.6667");
        assert_eq!(fmt_num(9.99999, 3), "10");
        assert_eq!(fmt_num(123456.0, 3), "1.23e5");
        assert_eq!(fmt_num(1e-5, 3), "1e-5");
        assert_eq!(fmt_num(-1.25e-12, 12), "-1.25e-12");
        assert_eq!(fmt_num(f64::NAN, 3), "nan");
        assert_eq!(fmt_num(f64::NEG_INFINITY, 3), "-inf");
        assert_eq!(fmt_num(0.0, 3), "0");
        assert_eq!(fmt_num(100.0, 12), "100");
    }

    #[test]
    fn arrays_nest_and_summarize() {
        assert_eq!(fmt_array(&[2.0], &[], 3), "2");
        assert_eq!(fmt_array(&[1.0, 2.0], &[2], 3), "[1, 2]");
        let big: Vec<f64> = (0..2000).map(f64::from).collect();
        assert_eq!(
            fmt_array(&big, &[2000], 4),
            "[0, 1, 2, ..., 1997, 1998, 1999]"
        );
        let m: Vec<f64> = (0..8).map(f64::from).collect();
        assert_eq!(
            fmt_array(&m, &[2, 2, 2], 3),
            "[[[0, 1],\n  [2, 3]],\n [[4, 5],\n  [6, 7]]]"
        );
    }

    #[test]
    fn blocks_align_continuations() {
        let s = block("∇f", 4, "x = 1\ny = 2\n");
        assert_eq!(s, "∇f   x = 1\n     y = 2\n");
    }
}
