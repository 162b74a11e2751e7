//! Chart drawing: one module per chart, each generic over the plotters backend, plus a helper
//! that renders to an SVG string for the DOM. Pure code: no leptos, testable natively.

pub mod latency;

/// Why a chart could not be drawn.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("No data to chart in this window.")]
    NoData,
    #[error("The chart could not be drawn: {0}")]
    Draw(String),
}

/// Splits `(x, Option<y>)` points into runs without gaps, so a missing bucket breaks the line
/// instead of being drawn as 0.
pub fn segments(points: impl IntoIterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (x, y) in points {
        match y {
            Some(y) if y.is_finite() => current.push((x, y)),
            _ => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(points: &[(f64, Option<f64>)], expected: &[&[(f64, f64)]]) {
        let got = segments(points.iter().copied());
        let want: Vec<Vec<(f64, f64)>> = expected.iter().map(|s| s.to_vec()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn segments_table() {
        check(&[], &[]);
        check(&[(0.0, None)], &[]);
        check(&[(0.0, Some(1.0))], &[&[(0.0, 1.0)]]);
        check(
            &[
                (0.0, Some(1.0)),
                (1.0, None),
                (2.0, Some(2.0)),
                (3.0, Some(f64::NAN)),
                (4.0, Some(3.0)),
            ],
            &[&[(0.0, 1.0)], &[(2.0, 2.0)], &[(4.0, 3.0)]],
        );
    }
}
