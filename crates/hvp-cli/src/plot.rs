//! A line plot written as SVG by hand: no fonts, no system libraries; text
//! is SVG `<text>` the viewer renders.
//!
//! ```
//! let svg = hvp_cli::plot::line_svg(&hvp_cli::plot::LinePlot {
//!     title: "density".into(),
//!     x_label: "λ".into(),
//!     y_label: "ρ(λ)".into(),
//!     x: vec![0.0, 1.0, 2.0],
//!     y: vec![0.0, 1.0, 0.0],
//!     markers: vec![],
//! });
//! assert!(svg.starts_with("<?xml") && svg.contains("<polyline"));
//! ```

use crate::output::fmt_num;
use std::fmt::Write;

/// What to draw.
#[derive(Clone, Debug)]
pub struct LinePlot {
    /// The title above the plot.
    pub title: String,
    /// Under the horizontal axis.
    pub x_label: String,
    /// Beside the vertical axis.
    pub y_label: String,
    /// Abscissae, increasing.
    pub x: Vec<f64>,
    /// Ordinates.
    pub y: Vec<f64>,
    /// Vertical marker lines (position, label), e.g. extreme eigenvalues.
    pub markers: Vec<(f64, String)>,
}

/// About `count` round tick positions covering `[lo, hi]`.
pub fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater)
        || !lo.is_finite()
        || !hi.is_finite()
    {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The plot as an SVG document.
pub fn line_svg(p: &LinePlot) -> String {
    let (w, h) = (800.0, 500.0);
    let (ml, mr, mt, mb) = (80.0, 30.0, 50.0, 60.0);
    let (pw, ph) = (w - ml - mr, h - mt - mb);
    let finite = |v: &&f64| v.is_finite();
    let mut xlo =
        p.x.iter()
            .filter(finite)
            .copied()
            .fold(f64::INFINITY, f64::min);
    let mut xhi =
        p.x.iter()
            .filter(finite)
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
    if !xlo.is_finite() || !xhi.is_finite() {
        (xlo, xhi) = (0.0, 1.0);
    }
    if xhi <= xlo {
        (xlo, xhi) = (xlo - 0.5, xhi + 0.5);
    }
    let yhi = p.y.iter().filter(finite).copied().fold(0.0, f64::max);
    let yhi = if yhi > 0.0 { yhi * 1.05 } else { 1.0 };
    let sx = |x: f64| ml + (x - xlo) / (xhi - xlo) * pw;
    let sy = |y: f64| mt + ph - (y.max(0.0) / yhi) * ph;
    let mut s = String::new();
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="28" text-anchor="middle" font-size="18">{}</text>"#,
        w / 2.0,
        escape(&p.title)
    );
    // Grid and ticks.
    for t in ticks(xlo, xhi, 8) {
        let x = sx(t);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.2}" y1="{mt}" x2="{x:.2}" y2="{:.2}" stroke="#e5e5e5"/><text x="{x:.2}" y="{:.2}" text-anchor="middle" font-size="12">{}</text>"##,
            mt + ph,
            mt + ph + 18.0,
            fmt_num(t, 4)
        );
    }
    for t in ticks(0.0, yhi, 5) {
        let y = sy(t);
        let _ = writeln!(
            s,
            r##"<line x1="{ml}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#e5e5e5"/><text x="{:.2}" y="{:.2}" text-anchor="end" font-size="12">{}</text>"##,
            ml + pw,
            ml - 6.0,
            y + 4.0,
            fmt_num(t, 3)
        );
    }
    // The curve, filled below.
    let pts: Vec<String> =
        p.x.iter()
            .zip(&p.y)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(&x, &y)| format!("{:.2},{:.2}", sx(x), sy(y)))
            .collect();
    if let (Some(first), Some(last)) = (pts.first(), pts.last()) {
        let x0 = first.split(',').next().unwrap_or("0");
        let x1 = last.split(',').next().unwrap_or("0");
        let base = mt + ph;
        let _ = writeln!(
            s,
            r##"<path d="M{x0},{base:.2} L{} L{x1},{base:.2} Z" fill="#4c78a8" fill-opacity="0.25" stroke="none"/>"##,
            pts.join(" L")
        );
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#2b5c8a" stroke-width="1.8"/>"##,
            pts.join(" ")
        );
    }
    for (x, label) in &p.markers {
        if x.is_finite() && *x >= xlo && *x <= xhi {
            let px = sx(*x);
            let _ = writeln!(
                s,
                r##"<line x1="{px:.2}" y1="{mt}" x2="{px:.2}" y2="{:.2}" stroke="#d62728" stroke-dasharray="4 3"/><text x="{:.2}" y="{:.2}" font-size="11" fill="#d62728">{}</text>"##,
                mt + ph,
                px + 3.0,
                mt + 12.0,
                escape(label)
            );
        }
    }
    // Axes and labels.
    let _ = writeln!(
        s,
        r##"<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="middle" font-size="14">{}</text>"#,
        ml + pw / 2.0,
        h - 15.0,
        escape(&p.x_label)
    );
    let _ = writeln!(
        s,
        r#"<text x="20" y="{:.2}" text-anchor="middle" font-size="14" transform="rotate(-90 20 {:.2})">{}</text>"#,
        mt + ph / 2.0,
        mt + ph / 2.0,
        escape(&p.y_label)
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(1.0, 1.0, 5), vec![1.0]);
    }

    #[test]
    fn escapes_text() {
        let svg = line_svg(&LinePlot {
            title: "a < b & c".into(),
            x_label: String::new(),
            y_label: String::new(),
            x: vec![1.0],
            y: vec![f64::NAN],
            markers: vec![],
        });
        assert!(svg.contains("a &lt; b &amp; c"));
    }
}
