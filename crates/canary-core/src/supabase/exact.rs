//! The exact read through `sql/006_exact_read.sql`: one question for the window's extent (the
//! lowest and highest id and the row count), then the id range split in parts that a transport
//! may read at the same time, each a [`PagedRead`](super::PagedRead) of
//! `canary_exact_page` POSTs (one URL, so a browser's CORS preflight is asked once and cached;
//! pages of [`EXACT_PAGE_ROWS`] rows instead of the project's `db-max-rows`). A project without
//! the migration answers the extent question with "no such function": the caller reads the
//! table as before.

use serde_json::Value;

use super::errors::classify;
use super::keys::json_from_bytes;
use super::plan::ReadPlan;
use super::{Request, SupabaseConfig, SupabaseError};
use crate::event::Micros;
use crate::time::format_rfc3339;

/// The migration that adds the exact read's functions.
pub const EXACT_MIGRATION: &str = "sql/006_exact_read.sql";
/// The function that answers one page of one stream.
pub const EXACT_PAGE_FUNCTION: &str = "canary_exact_page";
/// Rows per page of the exact read: about 0.6 MB of CSV before compression, well within a
/// statement timeout of seconds.
pub const EXACT_PAGE_ROWS: usize = 10_000;
/// Rows per part at least: fewer, larger parts for small windows.
const MIN_PART_ROWS: u64 = 50_000;

/// The window's rows as `canary_exact_extent` counted them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExactExtent {
    /// Lowest and highest id in the window (`None`: no rows).
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Rows in the window (exact, under the caller's Row Level Security).
    pub rows: u64,
}

/// `POST <project>/rest/v1/rpc/canary_exact_extent` for `[from, to)`.
pub fn exact_extent_request(
    config: &SupabaseConfig,
    from: Option<Micros>,
    to: Option<Micros>,
) -> Request {
    let time =
        |t: Option<Micros>| t.map_or("null".to_owned(), |t| format!("\"{}\"", format_rfc3339(t)));
    let mut headers = config.auth_headers();
    headers.push(("Accept", "application/json".to_owned()));
    headers.push(("Content-Type", "application/json".to_owned()));
    Request {
        url: format!("{}/rest/v1/rpc/canary_exact_extent", config.project_url()),
        headers,
        delay_ms: 0,
        body: Some(format!(
            "{{\"p_from\":{},\"p_to\":{}}}",
            time(from),
            time(to)
        )),
    }
}

/// Reads the extent answer: `Ok(None)` when the project lacks the functions (the caller reads
/// the table instead) or is busy (the table read retries and reports for itself); the errors a
/// read would give for the same key or token otherwise.
pub fn read_exact_extent(
    config: &SupabaseConfig,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Option<ExactExtent>, SupabaseError> {
    if (200..300).contains(&status) {
        // Read through `Value` rather than a derived visitor: the bundle has its code already.
        let extent = json_from_bytes(body).and_then(|answer| {
            let id = |key: &str| match answer.get(key)? {
                Value::Null => Some(None),
                v => v.as_i64().map(Some),
            };
            Some(ExactExtent {
                first: id("first")?,
                last: id("last")?,
                rows: answer.get("rows")?.as_u64()?,
            })
        });
        return match extent {
            Some(extent) => Ok(Some(extent)),
            None => Err(SupabaseError::Malformed {
                detail: "canary_exact_extent did not answer {first, last, rows}".to_owned(),
            }),
        };
    }
    if status == 404 || status == 429 || status >= 500 {
        return Ok(None);
    }
    Err(classify(
        status,
        content_type,
        body,
        config.role(),
        &config.table_url(),
    ))
}

impl ExactExtent {
    /// The plans of a read of `[from, to)` in at most `parts` id ranges of about equal size
    /// (ids grow with inserts, so equal id spans hold about equal rows), each through
    /// `canary_exact_page`. The first range carries the breaker's state from before the window;
    /// together they cover `(first - 1, last]`, each id once. No rows: no plans.
    pub fn plans(&self, from: Option<Micros>, to: Option<Micros>, parts: usize) -> Vec<ReadPlan> {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return Vec::new();
        };
        let wanted = self.rows.div_ceil(MIN_PART_ROWS).max(1);
        let parts = (parts.max(1) as u64).min(wanted) as i128;
        let (lo, hi) = (i128::from(first) - 1, i128::from(last));
        let bound = |i: i128| (lo + (hi - lo) * i / parts) as i64;
        (0..parts)
            .map(|i| ReadPlan {
                after_id: (i > 0).then(|| bound(i)),
                upto_id: Some(bound(i + 1)),
                rpc: true,
                page_size: EXACT_PAGE_ROWS,
                estimate: false,
                ..ReadPlan::window(from, to)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supabase::test_support::config;

    fn check_plans(
        extent: (Option<i64>, Option<i64>, u64),
        parts: usize,
        want: &[(Option<i64>, i64)],
    ) {
        let extent = ExactExtent {
            first: extent.0,
            last: extent.1,
            rows: extent.2,
        };
        let got: Vec<(Option<i64>, i64)> = extent
            .plans(Some(5), None, parts)
            .iter()
            .map(|p| (p.after_id, p.upto_id.unwrap()))
            .collect();
        assert_eq!(got, want, "{extent:?} in {parts}");
    }

    #[test]
    fn the_id_range_splits_into_parts_that_cover_it_once() {
        check_plans((None, None, 0), 4, &[]);
        check_plans((Some(7), Some(7), 1), 4, &[(None, 7)]);
        // Small windows stay whole.
        check_plans((Some(1), Some(40_000), 40_000), 4, &[(None, 40_000)]);
        check_plans(
            (Some(1), Some(1_000_000), 1_000_000),
            4,
            &[
                (None, 250_000),
                (Some(250_000), 500_000),
                (Some(500_000), 750_000),
                (Some(750_000), 1_000_000),
            ],
        );
        check_plans(
            (Some(101), Some(200_100), 120_000),
            8,
            &[
                (None, 66_766),
                (Some(66_766), 133_433),
                (Some(133_433), 200_100),
            ],
        );
        // Ids at the ends of the range.
        check_plans(
            (Some(i64::MIN + 1), Some(i64::MAX), u64::MAX),
            2,
            &[(None, -1), (Some(-1), i64::MAX)],
        );
        check_plans(
            (Some(1), Some(1_000_000), 1_000_000),
            0,
            &[(None, 1_000_000)],
        );
    }

    #[test]
    fn the_extent_answer_or_a_fallback() {
        let c = config();
        let ok = read_exact_extent(
            &c,
            200,
            Some("application/json"),
            br#"{"first":3,"last":9,"rows":5}"#,
        );
        assert_eq!(
            ok.unwrap(),
            Some(ExactExtent {
                first: Some(3),
                last: Some(9),
                rows: 5
            })
        );
        let empty = read_exact_extent(&c, 200, None, br#"{"first":null,"last":null,"rows":0}"#);
        assert_eq!(empty.unwrap().unwrap().rows, 0);
        // Without the migration, or busy: read the table instead.
        let missing = br#"{"code":"PGRST202","message":"Could not find the function public.canary_exact_extent"}"#;
        assert_eq!(
            read_exact_extent(&c, 404, Some("application/json"), missing).unwrap(),
            None
        );
        assert_eq!(read_exact_extent(&c, 503, None, b"").unwrap(), None);
        // What a read would say for the same key.
        let expired = br#"{"code":"PGRST301","message":"JWT expired"}"#;
        let e = read_exact_extent(&c, 401, Some("application/json"), expired).unwrap_err();
        assert!(matches!(e, SupabaseError::JwtExpired { .. }), "{e:?}");
        let e = read_exact_extent(&c, 200, None, b"[]").unwrap_err();
        assert!(matches!(e, SupabaseError::Malformed { .. }), "{e:?}");
        let request = exact_extent_request(&c, Some(0), None);
        assert_eq!(
            request.url,
            "https://abc.supabase.co/rest/v1/rpc/canary_exact_extent"
        );
        assert_eq!(
            request.body.as_deref(),
            Some(r#"{"p_from":"1970-01-01T00:00:00Z","p_to":null}"#)
        );
    }
}
