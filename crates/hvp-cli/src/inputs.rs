//! Values of inputs and directions from the command line: `--at` and
//! `--dir` assignments (`x=1.5,y=-0.7`, `x=[1,2,3]`, a fill `x=-1.2` for a
//! declared shape, `x=@file.npy`, `x=@file.csv`), declared defaults, and a
//! seeded random direction when none is given.
//!
//! ```
//! use hvp_cli::inputs::{parse_assignments, Source};
//! let a = parse_assignments("--at", "x=1.5, y=[1, 2], z=@data.npy").unwrap();
//! assert_eq!(a.len(), 3);
//! assert_eq!(a[1].name, "y");
//! assert!(matches!(a[2].value, Source::File(_)));
//! ```

use crate::expr::builtins::closest;
use crate::expr::lower::{constant_value, fmt_shape, InputSlot};
use crate::expr::names::InputDecl;
use crate::expr::{ast::InputKind, parse_expr, Diagnostic, SourceError, Span};
use ndarray::{ArrayD, Dimension, IxDyn};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use std::path::{Path, PathBuf};

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A literal, evaluated (a number, an array, a range...).
    Literal(ArrayD<f64>),
    /// A `.npy` or `.csv` file (`@path`).
    File(PathBuf),
}

/// One `name=value` of an `--at` or `--dir` argument.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The input's name.
    pub name: String,
    /// Where the name is in `text`.
    pub name_span: Span,
    /// The value.
    pub value: Source,
    /// Where the value is in `text`.
    pub value_span: Span,
    /// The flag it came from (`--at`, `--dir`).
    pub flag: String,
    /// The whole argument, for error messages.
    pub text: String,
}

impl Assignment {
    fn error(&self, span: Span, message: impl Into<String>) -> SourceError {
        SourceError::new(
            self.flag.clone(),
            self.text.clone(),
            Diagnostic::new(message, span),
        )
    }
}

/// Parses one `--at`/`--dir` argument: `name=value` pairs separated by
/// commas outside brackets.
pub fn parse_assignments(flag: &str, text: &str) -> Result<Vec<Assignment>, SourceError> {
    let err = |d: Diagnostic| SourceError::new(flag, text, d);
    let mut pieces = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ',' if depth <= 0 => {
                pieces.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push((start, text.len()));
    let mut out = Vec::new();
    for (s, e) in pieces {
        let piece = &text[s..e];
        let lead = piece.len() - piece.trim_start().len();
        let (s, piece) = (s + lead, piece.trim());
        let span = Span::new(s, s + piece.len());
        let Some(eq) = piece.find('=') else {
            let d = Diagnostic::new(format!("expected name=value, found '{piece}'"), span);
            let looks_like_number = piece.trim_end_matches(']').parse::<f64>().is_ok();
            return Err(err(if looks_like_number {
                d.with_help("write arrays in brackets: x=[1, 2, 3]")
            } else {
                d.with_help("e.g. --at x=1.5,y=-0.7 or --at 'x=[1, 2, 3]'")
            }));
        };
        let name = piece[..eq].trim();
        let name_span = Span::new(s, s + name.len());
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return Err(err(Diagnostic::new(
                format!("'{name}' is not an input name"),
                if name.is_empty() { span } else { name_span },
            )));
        }
        let raw = &piece[eq + 1..];
        let vlead = raw.len() - raw.trim_start().len();
        let vstart = s + eq + 1 + vlead;
        let value_text = raw.trim();
        let value_span = Span::new(vstart, vstart + value_text.len().max(1));
        if value_text.is_empty() {
            return Err(err(Diagnostic::new(
                format!("no value after '{name}='"),
                value_span,
            )));
        }
        let value = if let Some(path) = value_text.strip_prefix('@') {
            if path.trim().is_empty() {
                return Err(err(Diagnostic::new(
                    "expected a file name after '@'",
                    value_span,
                )));
            }
            Source::File(PathBuf::from(path.trim()))
        } else {
            let expr = parse_expr(value_text).map_err(|d| err(shift(d, vstart)))?;
            let a = constant_value(&expr).map_err(|d| err(shift(d, vstart)))?;
            Source::Literal(a)
        };
        out.push(Assignment {
            name: name.to_string(),
            name_span,
            value,
            value_span,
            flag: flag.to_string(),
            text: text.to_string(),
        });
    }
    Ok(out)
}

fn shift(mut d: Diagnostic, offset: usize) -> Diagnostic {
    d.span = d.span.shift(offset);
    d
}

/// Reads a `.npy` (any float or integer dtype) or `.csv` file of numbers.
///
/// A CSV file is a matrix of its rows (a first row that is not numeric is
/// a header and skipped); a single row or column is a vector, a single
/// number a scalar.
pub fn load_file(path: &Path) -> Result<ArrayD<f64>, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("npy") => load_npy(path),
        Some("csv" | "txt" | "tsv") => load_csv(path),
        _ => Err(format!(
            "cannot tell the format of '{}': use a .npy or .csv file",
            path.display()
        )),
    }
}

fn load_npy(path: &Path) -> Result<ArrayD<f64>, String> {
    use ndarray_npy::{read_npy, ReadNpyError};
    let first = match read_npy::<_, ArrayD<f64>>(path) {
        Ok(a) => return Ok(a),
        Err(e) => e,
    };
    if matches!(first, ReadNpyError::Io(_)) {
        return Err(format!("cannot read '{}': {first}", path.display()));
    }
    if let Ok(a) = read_npy::<_, ArrayD<f32>>(path) {
        return Ok(a.mapv(f64::from));
    }
    if let Ok(a) = read_npy::<_, ArrayD<i64>>(path) {
        return Ok(a.mapv(|v| v as f64));
    }
    if let Ok(a) = read_npy::<_, ArrayD<i32>>(path) {
        return Ok(a.mapv(f64::from));
    }
    Err(format!(
        "cannot read '{}' as a .npy array of numbers: {first}",
        path.display()
    ))
}

fn load_csv(path: &Path) -> Result<ArrayD<f64>, String> {
    let shown = path.display();
    let delimiter = if path.extension().is_some_and(|e| e == "tsv") {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_path(path)
        .map_err(|e| format!("cannot read '{shown}': {}", csv_message(&e)))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("cannot read '{shown}': {}", csv_message(&e)))?;
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let parsed: Result<Vec<f64>, String> = rec
            .iter()
            .enumerate()
            .map(|(j, f)| {
                f.parse::<f64>().map_err(|_| {
                    format!(
                        "'{shown}' line {}, column {}: '{f}' is not a number",
                        i + 1,
                        j + 1
                    )
                })
            })
            .collect();
        match parsed {
            Ok(r) => rows.push(r),
            // A non-numeric first row is a header.
            Err(_) if i == 0 => continue,
            Err(e) => return Err(e),
        }
    }
    if rows.is_empty() {
        return Err(format!("'{shown}' holds no numbers"));
    }
    let cols = rows[0].len();
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
        return Err(format!(
            "'{shown}': row {} has {} values, the first row has {cols}",
            i + 1,
            r.len()
        ));
    }
    let n = rows.len();
    let shape: Vec<usize> = match (n, cols) {
        (1, 1) => vec![],
        (1, c) => vec![c],
        (r, 1) => vec![r],
        (r, c) => vec![r, c],
    };
    let data: Vec<f64> = rows.into_iter().flatten().collect();
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("rows × cols values"))
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    }
}

/// Loads an assignment's value.
fn load(a: &Assignment) -> Result<(ArrayD<f64>, bool), SourceError> {
    match &a.value {
        Source::Literal(v) => Ok((v.clone(), false)),
        Source::File(p) => load_file(p)
            .map(|v| (v, true))
            .map_err(|m| a.error(a.value_span, m)),
    }
}

/// Fits `value` to the `declared` shape: a scalar fills it; a file's
/// values reshape to it when the counts agree.
fn fit(
    value: ArrayD<f64>,
    declared: Option<&[usize]>,
    from_file: bool,
) -> Result<ArrayD<f64>, String> {
    let Some(shape) = declared else {
        return Ok(value);
    };
    if value.shape() == shape {
        return Ok(value);
    }
    if value.ndim() == 0 {
        let v = value.iter().next().copied().unwrap_or(0.0);
        return Ok(ArrayD::from_elem(IxDyn(shape), v));
    }
    if from_file && value.len() == shape.iter().product::<usize>() {
        let data: Vec<f64> = value.iter().copied().collect();
        return Ok(ArrayD::from_shape_vec(IxDyn(shape), data).expect("equal counts"));
    }
    Err(format!(
        "has shape {} but shape {} is needed",
        fmt_shape(value.shape()),
        fmt_shape(shape)
    ))
}

fn check_finite(value: &ArrayD<f64>) -> Result<(), String> {
    match value.indexed_iter().find(|(_, v)| !v.is_finite()) {
        None => Ok(()),
        Some((ix, v)) => {
            let at = if value.ndim() == 0 {
                String::new()
            } else {
                format!(" at index {:?}", ix.slice())
            };
            Err(format!("contains a non-finite number ({v}{at})"))
        }
    }
}

/// The program text, for errors that point into it.
#[derive(Clone, Debug)]
pub struct Program<'a> {
    /// What the text is called (`<expr>`, a file name).
    pub name: &'a str,
    /// The text.
    pub text: &'a str,
}

impl Program<'_> {
    fn error(&self, d: Diagnostic) -> SourceError {
        SourceError::new(self.name, self.text, d)
    }
}

fn all_names(decls: &[InputDecl]) -> String {
    decls
        .iter()
        .map(|d| d.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The inputs' shapes and values from the assignments of `--at` and the
/// declarations' defaults.
pub fn resolve_point(
    decls: &[InputDecl],
    at: &[Assignment],
    program: &Program<'_>,
) -> Result<(Vec<InputSlot>, Vec<ArrayD<f64>>), SourceError> {
    let mut given: Vec<Option<&Assignment>> = vec![None; decls.len()];
    for a in at {
        let Some(k) = decls.iter().position(|d| d.name == a.name) else {
            let msg = format!("'{}' is not an input of f", a.name);
            let help = match closest(&a.name, decls.iter().map(|d| d.name.as_str())) {
                Some(s) => format!("did you mean '{s}'? the inputs are {}", all_names(decls)),
                None => format!("the inputs are {}", all_names(decls)),
            };
            return Err(SourceError::new(
                a.flag.clone(),
                a.text.clone(),
                Diagnostic::new(msg, a.name_span).with_help(help),
            ));
        };
        if given[k].is_some() {
            return Err(a.error(a.name_span, format!("'{}' is given twice", a.name)));
        }
        given[k] = Some(a);
    }
    let mut slots = Vec::new();
    let mut values = Vec::new();
    for (d, a) in decls.iter().zip(given) {
        let declared = d.shape.as_ref().map(|(s, _)| s.as_slice());
        let value = match a {
            Some(a) => {
                let (v, from_file) = load(a)?;
                check_finite(&v)
                    .map_err(|m| a.error(a.value_span, format!("the value of '{}' {m}", a.name)))?;
                fit(v, declared, from_file)
                    .map_err(|m| a.error(a.value_span, format!("the value of '{}' {m}", a.name)))?
            }
            None => match &d.default {
                Some(e) => {
                    let v = constant_value(e).map_err(|x| program.error(x))?;
                    check_finite(&v).map_err(|m| {
                        program.error(Diagnostic::new(
                            format!("the default of '{}' {m}", d.name),
                            e.span,
                        ))
                    })?;
                    fit(v, declared, false).map_err(|m| {
                        program.error(Diagnostic::new(
                            format!("the default of '{}' {m}", d.name),
                            e.span,
                        ))
                    })?
                }
                None => {
                    let example = match declared {
                        Some(s) if !s.is_empty() => {
                            format!("{}=0.5 (filling shape {})", d.name, fmt_shape(s))
                        }
                        _ => format!("{}=0.5", d.name),
                    };
                    return Err(program.error(
                        Diagnostic::new(format!("no value for input '{}'", d.name), d.span)
                            .with_help(format!("give one with --at {example}")),
                    ));
                }
            },
        };
        let value = value.as_standard_layout().into_owned();
        if value.is_empty() {
            return Err(program.error(Diagnostic::new(
                format!("input '{}' has no elements", d.name),
                d.span,
            )));
        }
        slots.push(InputSlot {
            name: d.name.clone(),
            shape: value.shape().to_vec(),
            differentiable: d.kind == InputKind::Param,
        });
        values.push(value);
    }
    Ok((slots, values))
}

/// How the direction was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectionSource {
    /// From `--dir`.
    Given,
    /// Standard normal entries from a seeded generator.
    Random {
        /// The seed.
        seed: u64,
    },
}

/// A direction, one array per differentiable input, from `--dir`
/// assignments, or standard normal entries drawn with `seed` when none are
/// given.
pub fn resolve_direction(
    slots: &[InputSlot],
    dir: &[Assignment],
    seed: u64,
) -> Result<(Vec<ArrayD<f64>>, DirectionSource), SourceError> {
    let params: Vec<&InputSlot> = slots.iter().filter(|s| s.differentiable).collect();
    if dir.is_empty() {
        let mut rng = StdRng::seed_from_u64(seed);
        let v = params
            .iter()
            .map(|s| {
                ArrayD::from_shape_simple_fn(IxDyn(&s.shape), || StandardNormal.sample(&mut rng))
            })
            .collect();
        return Ok((v, DirectionSource::Random { seed }));
    }
    let mut given: Vec<Option<&Assignment>> = vec![None; params.len()];
    for a in dir {
        let Some(k) = params.iter().position(|s| s.name == a.name) else {
            let names: Vec<&str> = params.iter().map(|s| s.name.as_str()).collect();
            let msg = if slots.iter().any(|s| s.name == a.name) {
                format!(
                    "'{}' is data (declared with 'data'); a direction covers only the inputs",
                    a.name
                )
            } else {
                format!("'{}' is not an input of f", a.name)
            };
            return Err(a
                .error(a.name_span, msg)
                .with_help(format!("the direction's inputs are {}", names.join(", "))));
        };
        if given[k].is_some() {
            return Err(a.error(a.name_span, format!("'{}' is given twice", a.name)));
        }
        given[k] = Some(a);
    }
    let missing: Vec<&str> = params
        .iter()
        .zip(&given)
        .filter(|(_, g)| g.is_none())
        .map(|(s, _)| s.name.as_str())
        .collect();
    if let Some(a) = dir.last() {
        if !missing.is_empty() {
            let end = Span::new(a.text.len(), a.text.len());
            return Err(a
                .error(end, format!("--dir gives no value for {}", missing.join(", ")))
                .with_help(format!(
                    "give every input a direction, e.g. {}=0 for none along it; or omit --dir for a random direction",
                    missing[0]
                )));
        }
    }
    let mut out = Vec::new();
    for (s, a) in params.iter().zip(given) {
        let a = a.expect("checked above");
        let (v, from_file) = load(a)?;
        check_finite(&v)
            .map_err(|m| a.error(a.value_span, format!("the direction of '{}' {m}", a.name)))?;
        let v = fit(v, Some(&s.shape), from_file)
            .map_err(|m| a.error(a.value_span, format!("the direction of '{}' {m}", a.name)))?;
        out.push(v.as_standard_layout().into_owned());
    }
    Ok((out, DirectionSource::Given))
}

trait WithHelp {
    fn with_help(self, help: String) -> Self;
}

impl WithHelp for SourceError {
    fn with_help(mut self, help: String) -> Self {
        self.diagnostic.help = Some(help);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_split_outside_brackets() {
        let a = parse_assignments("--at", "x=[1, 2, 3], y = -0.7 ,A=[[1,2],[3,4]]").unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[1].name, "y");
        match &a[2].value {
            Source::Literal(v) => assert_eq!(v.shape(), &[2, 2]),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            &a[1].text[a[1].value_span.start..a[1].value_span.end],
            "-0.7"
        );
    }

    #[test]
    fn malformed_assignments_point_into_the_argument() {
        let e = parse_assignments("--at", "x=1,2,3").unwrap_err();
        assert!(e.diagnostic.message.contains("expected name=value"));
        assert!(e.diagnostic.help.unwrap().contains("brackets"));
        let e = parse_assignments("--at", "x=[1, 2").unwrap_err();
        assert!(e.diagnostic.message.contains("never closed"), "{e}");
        assert_eq!(e.diagnostic.span.start, 2);
        let e = parse_assignments("--at", "x=sin(y)").unwrap_err();
        assert!(e.diagnostic.message.contains("unknown name 'y'"), "{e}");
        assert_eq!(e.diagnostic.span.start, 6);
    }

    #[test]
    fn fits_fill_and_reshape() {
        let fill = fit(ArrayD::from_elem(IxDyn(&[]), 2.0), Some(&[3]), false).unwrap();
        assert_eq!(fill.as_slice().unwrap(), &[2.0, 2.0, 2.0]);
        let v = ArrayD::from_shape_vec(IxDyn(&[4]), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!(fit(v.clone(), Some(&[2, 2]), false).is_err());
        assert_eq!(fit(v, Some(&[2, 2]), true).unwrap().shape(), &[2, 2]);
    }
}
