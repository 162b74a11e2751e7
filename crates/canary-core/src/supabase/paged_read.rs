//! One read as a state machine: requests out, response bytes in, rows into a `Batch`; keyset
//! paging that holds when the server caps pages, bounded retries, typed errors.

use super::errors::{classify, error_detail};
use super::exact::EXACT_PAGE_FUNCTION;
use super::plan::{push_select, ReadPlan, Request, Stream, Types, WireFormat, STREAMS};
use super::refresh::{COMBINED, SMALL_READ_ROWS};
use super::wire::{decode_page, event_row};
use super::{ReadWarning, SupabaseConfig, SupabaseError};
use crate::event::{EventType, Micros};
use crate::store::Batch;
use crate::time::format_rfc3339;

/// How far a read has come.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Rows appended so far.
    pub rows: u64,
    /// The server's planned row count for the whole read (`Prefer: count=planned`): an
    /// estimate from table statistics, for a progress bar, never a check.
    pub estimate: Option<u64>,
    /// Responses received (retried ones included).
    pub requests: u32,
    /// Response body bytes received.
    pub bytes: u64,
    /// Set while the last request is to be retried: the failure, and which attempt is next.
    pub retry: Option<Retry>,
    /// The read is complete.
    pub done: bool,
}

/// A retry announced by [`PagedRead::on_response`] or [`PagedRead::on_transport_error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The attempt about to be made (2 is the first retry).
    pub attempt: u32,
    pub max_attempts: u32,
    /// The wait before it (also in the next [`Request::delay_ms`]).
    pub delay_ms: u64,
    /// What failed, e.g. `503` or the transport's message.
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `limit=1` with the planned count: is anything there, and roughly how much.
    Probe,
    /// The newest circuit-breaker transition before the window: the breaker's state carries
    /// over into it (docs/metrics.md#metrics), as it does when a file holds rows before `--from`.
    PriorBreaker,
    Stream(usize),
    Done,
}

/// The stream of circuit-breaker transitions (also read for [`Phase::PriorBreaker`]).
const BREAKER_STREAM: usize = 4;

/// One read of `observability_events`: call [`next_request`](PagedRead::next_request), send
/// it, hand the answer to [`on_response`](PagedRead::on_response) (or the failure to
/// [`on_transport_error`](PagedRead::on_transport_error)), until `next_request` gives `None`.
/// See the module docs for the loop.
#[derive(Clone, Debug)]
pub struct PagedRead {
    table_url: String,
    /// `canary_exact_page`'s URL (reads with [`ReadPlan::rpc`]).
    rpc_url: String,
    headers: Vec<(&'static str, String)>,
    role: String,
    plan: ReadPlan,
    phase: Phase,
    /// Last id of the current stream.
    cursor: Option<i64>,
    /// The newest id in the read's filter when the probe ran: the bound of every stream.
    newest_id: Option<i64>,
    /// `id <= upper_id` on every stream.
    upper_id: Option<i64>,
    /// The probe's exact row count (refreshes).
    exact_total: Option<u64>,
    /// One stream of every type instead of one per type (a small read).
    pub(super) combined: bool,
    /// Rows in a full page once known: the requested limit, or the server's lower cap.
    page_rows: Option<usize>,
    /// Length of a short page whose meaning (end, or the server's cap) the next page tells.
    short_page: Option<usize>,
    /// The probe found rows in the window.
    window_has_rows: bool,
    /// Failed attempts of the current request.
    failures: u32,
    delay_ms: u64,
    progress: Progress,
    warnings: Vec<ReadWarning>,
}

impl PagedRead {
    pub fn new(config: &SupabaseConfig, plan: ReadPlan) -> PagedRead {
        let plan = ReadPlan {
            page_size: plan.page_size.max(1),
            ..plan
        };
        let mut read = PagedRead {
            table_url: config.table_url(),
            rpc_url: format!("{}/rest/v1/rpc/{EXACT_PAGE_FUNCTION}", config.project_url()),
            headers: config.auth_headers(),
            role: config.role().to_owned(),
            newest_id: None,
            phase: Phase::Probe,
            cursor: None,
            upper_id: None,
            exact_total: None,
            combined: false,
            // The function's answer is one value, which `db-max-rows` does not cap.
            page_rows: plan.rpc.then_some(plan.page_size),
            short_page: None,
            window_has_rows: false,
            failures: 0,
            delay_ms: 0,
            progress: Progress::default(),
            warnings: Vec::new(),
            plan,
        };
        if let Some(upto) = read.plan.upto_id {
            // A range fixed in advance: its bound is known, so no probe.
            read.upper_id = Some(upto);
            read.newest_id = Some(upto);
            read.window_has_rows = true;
            read.after_probe();
        }
        read
    }

    /// The next request to send, `None` when the read is over (done or failed).
    pub fn next_request(&self) -> Option<Request> {
        let mut url = self.table_url.clone();
        let mut headers = self.headers.clone();
        headers.push(("Accept", self.plan.format.accept().to_owned()));
        match self.phase {
            Phase::Done => return None,
            Phase::Probe => {
                // The newest id in the read fixes its upper bound; the count sizes it.
                url.push_str("?select=i:id");
                self.push_filters(&mut url, self.plan.after_id, None);
                url.push_str("&order=id.desc&limit=1");
                if self.plan.after_id.is_some() {
                    // A refresh: few rows, counted exactly and cheaply (a primary-key range).
                    headers.push(("Prefer", "count=exact".to_owned()));
                } else if self.plan.estimate {
                    headers.push(("Prefer", "count=planned".to_owned()));
                }
            }
            Phase::PriorBreaker => {
                url.push_str("?select=");
                push_select(&mut url, STREAMS[BREAKER_STREAM].cols);
                url.push_str("&event_type=eq.circuit_breaker_state_change&created_at=lt.");
                stdx::url::push_component(
                    &mut url,
                    &format_rfc3339(self.plan.from.unwrap_or(Micros::MIN)),
                );
                url.push_str("&order=created_at.desc,id.desc&limit=1");
            }
            Phase::Stream(k) if self.plan.rpc => {
                return Some(self.rpc_request(k, headers));
            }
            Phase::Stream(k) => {
                let stream = self.stream(k);
                url.push_str("?select=");
                push_select(&mut url, stream.cols);
                match stream.types {
                    Types::Only(t) => {
                        url.push_str("&event_type=eq.");
                        url.push_str(t.as_str());
                    }
                    Types::Others => {
                        let named: Vec<&str> = STREAMS
                            .iter()
                            .filter_map(|s| s.only().map(EventType::as_str))
                            .collect();
                        url.push_str(&format!("&event_type=not.in.({})", named.join(",")));
                    }
                    Types::All => {}
                }
                self.push_filters(&mut url, self.cursor.or(self.plan.after_id), self.upper_id);
                url.push_str(&format!("&order=id.asc&limit={}", self.plan.page_size));
            }
        }
        Some(Request {
            url,
            headers,
            delay_ms: self.delay_ms,
            body: None,
        })
    }

    /// The POST of stream `k`'s next page to `canary_exact_page` (`sql/006_exact_read.sql`):
    /// always the same URL, the cursor in the body, so a browser's CORS preflight is cached.
    fn rpc_request(&self, k: usize, mut headers: Vec<(&'static str, String)>) -> Request {
        headers.retain(|(name, _)| *name != "Accept");
        headers.push(("Accept", "application/json".to_owned()));
        headers.push(("Content-Type", "application/json".to_owned()));
        let id = |v: Option<i64>| v.map_or("null".to_owned(), |v| v.to_string());
        let time = |t: Option<Micros>| {
            t.map_or("null".to_owned(), |t| format!("\"{}\"", format_rfc3339(t)))
        };
        let body = format!(
            "{{\"p_stream\":{k},\"p_after\":{},\"p_upto\":{},\"p_from\":{},\"p_to\":{},\"p_limit\":{}}}",
            id(self.cursor.or(self.plan.after_id)),
            id(self.upper_id),
            time(self.plan.from),
            time(self.plan.to),
            self.plan.page_size
        );
        Request {
            url: self.rpc_url.clone(),
            headers,
            delay_ms: self.delay_ms,
            body: Some(body),
        }
    }

    /// The stream of phase `Stream(k)`.
    fn stream(&self, k: usize) -> &'static Stream {
        if self.combined {
            &COMBINED
        } else {
            &STREAMS[k]
        }
    }

    fn stream_count(&self) -> usize {
        if self.combined {
            1
        } else {
            STREAMS.len()
        }
    }

    fn push_filters(&self, url: &mut String, after_id: Option<i64>, upper_id: Option<i64>) {
        if let Some(from) = self.plan.from {
            url.push_str("&created_at=gte.");
            stdx::url::push_component(url, &format_rfc3339(from));
        }
        if let Some(to) = self.plan.to {
            url.push_str("&created_at=lt.");
            stdx::url::push_component(url, &format_rfc3339(to));
        }
        if let Some(id) = after_id {
            url.push_str(&format!("&id=gt.{id}"));
        }
        if let Some(id) = upper_id {
            url.push_str(&format!("&id=lte.{id}"));
        }
    }

    /// Digests one HTTP response to the last request. Rows go into `batch` (use one batch for
    /// the whole read). On an error the read stops and every row it appended is discarded from
    /// the batch; on 429 or 5xx the same request is offered again after a delay, a bounded
    /// number of times. `headers` are the response's (any case; at least `Content-Range`,
    /// `Content-Type` and `Retry-After` where present).
    pub fn on_response(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        batch: &mut Batch<'_>,
    ) -> Result<Progress, SupabaseError> {
        if self.phase == Phase::Done {
            return Ok(self.progress.clone());
        }
        self.progress.requests += 1;
        self.progress.bytes += body.len() as u64;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        if status == 429 || (500..=599).contains(&status) {
            let retry_after_ms = header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| s.saturating_mul(1000));
            let detail = error_detail(header("content-type"), body);
            return self.retry(status.to_string(), retry_after_ms, batch, |attempts| {
                SupabaseError::RetriesExhausted {
                    status,
                    attempts,
                    detail,
                }
            });
        }
        if !(200..300).contains(&status) {
            let error = classify(
                status,
                header("content-type"),
                body,
                &self.role,
                &self.table_url,
            );
            return self.fail(batch, error);
        }
        self.failures = 0;
        self.delay_ms = 0;
        self.progress.retry = None;
        if header("content-type").is_some_and(|t| t.to_ascii_lowercase().contains("text/html"))
            || body.trim_ascii_start().starts_with(b"<")
        {
            return self.fail(
                batch,
                SupabaseError::Malformed {
                    detail: "a web page (HTML) came back".into(),
                },
            );
        }
        let text = match std::str::from_utf8(body) {
            Ok(text) => text,
            Err(e) => {
                let detail = format!("the body is not UTF-8 (byte {})", e.valid_up_to());
                return self.fail(batch, SupabaseError::Malformed { detail });
            }
        };
        match self.phase {
            Phase::Probe => {
                let mut newest = None;
                let decoded = decode_page(self.plan.format, text, &mut |wire| {
                    newest = wire.id;
                    Ok(())
                });
                if let Err(detail) = decoded {
                    return self.fail(batch, SupabaseError::Malformed { detail });
                }
                let total = header("content-range").and_then(range_total);
                if self.plan.after_id.is_some() {
                    self.exact_total = total;
                    self.combined = total.is_some_and(|n| n <= SMALL_READ_ROWS);
                }
                if self.plan.estimate || self.exact_total.is_some() {
                    self.progress.estimate = total;
                }
                // Every stream reads up to the newest id seen now: rows committed later are
                // left whole to the next refresh, never half read by some streams only.
                self.upper_id = newest;
                if newest.is_some() {
                    self.newest_id = newest;
                }
                self.window_has_rows = newest.is_some();
                self.after_probe();
            }
            Phase::PriorBreaker => {
                let decoded = decode_page(self.plan.format, text, &mut |wire| {
                    let (row, _) = event_row(Some(EventType::CircuitBreakerStateChange), wire)?;
                    batch.push(&row);
                    Ok(())
                });
                if let Err(detail) = decoded {
                    return self.fail(batch, SupabaseError::Malformed { detail });
                }
                self.after_probe();
            }
            Phase::Stream(k) => {
                if self.plan.after_id.is_some() && self.plan.upto_id.is_none() {
                    // A refresh reads an overlap again (see `refresh_cursor`).
                    batch.expect_rereads();
                }
                // The function's answer: one JSON string holding the page as CSV.
                let csv: String;
                let (format, text) = if self.plan.rpc {
                    csv = match serde_json::from_str(text) {
                        Ok(csv) => csv,
                        Err(e) => {
                            let detail =
                                format!("{EXACT_PAGE_FUNCTION} did not answer a JSON string ({e})");
                            return self.fail(batch, SupabaseError::Malformed { detail });
                        }
                    };
                    (WireFormat::Csv, csv.as_str())
                } else {
                    (self.plan.format, text)
                };
                let only = self.stream(k).only();
                let mut last = None;
                let decoded = decode_page(format, text, &mut |wire| {
                    let (row, unknown) = event_row(only, wire)?;
                    if let Some(name) = unknown {
                        batch.note_unknown_type(&name);
                    }
                    last = Some(last.map_or(row.id, |l: i64| l.max(row.id)));
                    batch.push(&row);
                    Ok(())
                });
                let rows = match decoded {
                    Ok(n) => n,
                    Err(detail) => return self.fail(batch, SupabaseError::Malformed { detail }),
                };
                self.progress.rows += rows as u64;
                if let Some(last) = last {
                    self.cursor = Some(last);
                }
                // Counted exactly: once every row is in, no stream has more.
                let all_in = self.exact_total.is_some_and(|n| self.progress.rows >= n);
                if all_in {
                    self.finish();
                } else if self.stream_ended(rows) {
                    self.cursor = None;
                    self.short_page = None;
                    if k + 1 < self.stream_count() {
                        self.phase = Phase::Stream(k + 1);
                    } else {
                        self.finish();
                    }
                }
            }
            Phase::Done => {}
        }
        Ok(self.progress.clone())
    }

    /// Moves on after the probe: to the breaker's state before the window (full reads with a
    /// start; a refresh's store already holds it, see `EventStore::retain_from`), then to the
    /// streams if the window has rows.
    fn after_probe(&mut self) {
        if self.phase == Phase::Probe && self.plan.from.is_some() && self.plan.after_id.is_none() {
            self.phase = Phase::PriorBreaker;
        } else if self.window_has_rows {
            self.phase = Phase::Stream(0);
        } else {
            self.finish();
        }
    }

    /// Whether a page of `rows` rows ends its stream. A page shorter than the limit asked for
    /// ends it only once the server's page size is known: `db-max-rows` may cap pages below
    /// the limit, and then a short page is a full one. An ambiguous short page is settled by
    /// the next: empty (the end) or not (the server's cap, remembered for every later page).
    fn stream_ended(&mut self, rows: usize) -> bool {
        if rows == 0 {
            return true;
        }
        if let Some(short) = self.short_page.take() {
            self.page_rows = Some(short);
        }
        match self.page_rows {
            Some(full) => rows < full,
            None if rows >= self.plan.page_size => {
                self.page_rows = Some(self.plan.page_size);
                false
            }
            None => {
                self.short_page = Some(rows);
                false
            }
        }
    }

    /// Reports that the last request got no HTTP response (connection refused, DNS, TLS,
    /// timeout; in a browser also CORS). Retried like a 5xx, then [`SupabaseError::Network`].
    pub fn on_transport_error(
        &mut self,
        message: &str,
        batch: &mut Batch<'_>,
    ) -> Result<Progress, SupabaseError> {
        if self.phase == Phase::Done {
            return Ok(self.progress.clone());
        }
        let url = self.table_url.clone();
        let detail = message.to_owned();
        self.retry(message.to_owned(), None, batch, move |_| {
            SupabaseError::Network { url, detail }
        })
    }

    fn retry(
        &mut self,
        reason: String,
        retry_after_ms: Option<u64>,
        batch: &mut Batch<'_>,
        exhausted: impl FnOnce(u32) -> SupabaseError,
    ) -> Result<Progress, SupabaseError> {
        self.failures += 1;
        match self.plan.backoff.delay_ms(self.failures, retry_after_ms) {
            Some(delay_ms) => {
                self.delay_ms = delay_ms;
                self.progress.retry = Some(Retry {
                    attempt: self.failures + 1,
                    max_attempts: self.plan.backoff.max_attempts,
                    delay_ms,
                    reason,
                });
                Ok(self.progress.clone())
            }
            None => {
                let attempts = self.failures;
                self.fail(batch, exhausted(attempts))
            }
        }
    }

    fn fail(
        &mut self,
        batch: &mut Batch<'_>,
        error: SupabaseError,
    ) -> Result<Progress, SupabaseError> {
        batch.discard();
        self.phase = Phase::Done;
        self.progress.rows = 0;
        self.progress.retry = None;
        Err(error)
    }

    fn finish(&mut self) {
        self.phase = Phase::Done;
        self.progress.done = true;
        self.progress.retry = None;
        if self.plan.after_id.is_none() && self.progress.rows == 0 {
            let hint = if self.role == "anon" {
                "sql/001_observability_events.sql lets only signed-in users read: sign in as a user of the project"
            } else {
                "check the table's select policies for this role"
            };
            self.warnings.push(ReadWarning::NoRows {
                role: self.role.clone(),
                hint,
            });
        }
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// What the user should know about a finished read (e.g. no rows: RLS may hide them).
    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }

    /// The newest id the read covers (fixed by its first request: rows committed later are
    /// left whole to the next refresh), `None` when it found no rows.
    pub fn newest_id(&self) -> Option<i64> {
        self.newest_id
    }

    /// The role the requests run as.
    pub fn role(&self) -> &str {
        &self.role
    }
}

/// The total after the slash of a `Content-Range` (`0-999/201538`, `*/0`); `*` is unknown.
fn range_total(value: &str) -> Option<u64> {
    value.rsplit_once('/')?.1.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::event::{Details, EventRow};
    use crate::metrics::{compute, Window};
    use crate::store::EventStore;
    use crate::supabase::plan::WireFormat;
    use crate::supabase::test_support::{
        config, demo_sample, direct_store, metrics_json, run, sample_rows, Fake,
    };
    use crate::time::parse_timestamp;

    #[test]
    fn requests_select_per_type_with_encoded_window_and_keyset() {
        let from = parse_timestamp("2025-10-16T18:35:00.175522Z").unwrap();
        let to = parse_timestamp("2025-10-17T00:00:00Z").unwrap();
        let mut read = PagedRead::new(&config(), ReadPlan::window(Some(from), Some(to)));
        let probe = read.next_request().unwrap();
        assert_eq!(
            probe.url,
            "https://abc.supabase.co/rest/v1/observability_events?select=i:id&created_at=gte.2025-10-16T18%3A35%3A00.175522Z&created_at=lt.2025-10-17T00%3A00%3A00Z&order=id.desc&limit=1"
        );
        assert!(probe
            .headers
            .contains(&("Prefer", "count=planned".to_owned())));
        assert!(probe.headers.contains(&("Accept", "text/csv".to_owned())));
        read.phase = Phase::Stream(0);
        read.cursor = Some(41);
        assert_eq!(
            read.next_request().unwrap().url,
            "https://abc.supabase.co/rest/v1/observability_events?select=i%3Aid,s%3Asuccess,p%3Aprocessing_time_ms,e%3Adetails-%3E%3Eendpoint,et%3Adetails-%3E%3Eerror_type,em%3Adetails-%3E%3Eerror_message,c%3Adetails-%3Ecanary,a%3Acreated_at&event_type=eq.request_completed&created_at=gte.2025-10-16T18%3A35%3A00.175522Z&created_at=lt.2025-10-17T00%3A00%3A00Z&id=gt.41&order=id.asc&limit=1000"
        );
        read.phase = Phase::Stream(6);
        read.cursor = None;
        read.plan.after_id = Some(7);
        assert!(read.next_request().unwrap().url.contains(
            "&event_type=not.in.(request_completed,cache_access,cache_miss,mem0_write,circuit_breaker_state_change,feature_flags_loaded)&created_at=gte."
        ));
    }

    #[test]
    fn paged_reads_equal_the_rows_whatever_the_server_cap() {
        let rows = sample_rows();
        let (first, last) = (
            rows[0].created_at,
            rows.iter().map(|r| r.created_at).max().unwrap(),
        );
        let window = Window::new(first + 600_000_000, last - 600_000_000).unwrap();
        let direct = direct_store(&rows, window.from, window.to);
        let want = metrics_json(&direct, Some(window));
        // (page size, server cap, format)
        let cases = [
            (1000, None, WireFormat::Csv),
            (1000, Some(1000), WireFormat::Csv),
            (1000, Some(300), WireFormat::Csv),
            (250, Some(1000), WireFormat::Json),
            (2500, Some(1000), WireFormat::Json),
            (5, Some(3), WireFormat::Csv),
        ];
        for (page_size, cap, format) in cases {
            let mut fake = Fake::new(rows.clone());
            fake.cap = cap;
            let plan = ReadPlan {
                page_size,
                format,
                ..ReadPlan::window(Some(window.from), Some(window.to))
            };
            let mut store = EventStore::new();
            let (result, read, seen) = run(&mut fake, plan, &mut store);
            let progress = result.unwrap();
            let case = format!("page {page_size}, cap {cap:?}, {format:?}");
            assert!(progress.done, "{case}");
            assert_eq!(store.len(), direct.len(), "{case}");
            assert_eq!(progress.estimate, Some(progress.rows), "{case}");
            assert_eq!(metrics_json(&store, Some(window)), want, "{case}");
            assert_eq!(store.load_notes(), direct.load_notes(), "{case}");
            assert_eq!(read.newest_id(), direct.max_id(), "{case}");
            assert!(read.warnings().is_empty(), "{case}");
            // Pages of the server's size, plus at most one empty page per stream to settle a
            // short page whose meaning was not yet known.
            let page = page_size.min(cap.unwrap_or(usize::MAX));
            let bound = 1 + direct.len() / page + 2 * STREAMS.len();
            assert!(
                seen.len() <= bound,
                "{case}: {} requests > {bound}",
                seen.len()
            );
            assert!(seen.windows(2).all(|w| w[0].rows <= w[1].rows), "{case}");
        }
    }

    #[test]
    fn the_breaker_state_before_the_window_carries_over() {
        let breaker = |id, at, state: &'static str| EventRow {
            id,
            event_type: EventType::CircuitBreakerStateChange,
            success: None,
            cache_hit: None,
            processing_time_ms: None,
            cache_key: None,
            details: Details {
                state: Some(Cow::Borrowed(state)),
                failure_count: Some(Cow::Borrowed("5")),
                ..Details::default()
            },
            created_at: at,
        };
        let mut rows = vec![breaker(1, 10, "half_open"), breaker(2, 20, "open")];
        rows.extend(demo_sample().into_iter().take(300).map(|mut r| {
            r.id += 10;
            r
        }));
        let from = rows[2].created_at;
        let mut store = EventStore::new();
        let (result, _, seen) = run(
            &mut Fake::new(rows.clone()),
            ReadPlan::window(Some(from), None),
            &mut store,
        );
        assert_eq!(result.unwrap().rows, 300);
        assert!(seen.len() >= 3);
        let window = Window::new(from, i64::MAX);
        let m = compute(&store, window);
        assert_eq!(m.circuit_breaker.current_state, "open");
        assert_eq!(m.window.events, 300);
        assert_eq!(
            metrics_json(&store, window),
            metrics_json(&direct_store(&rows, from, i64::MAX), window)
        );
        // The window moves on: the state is still known.
        store.retain_from(from + 1);
        assert_eq!(
            compute(&store, Window::new(from + 1, i64::MAX))
                .circuit_breaker
                .current_state,
            "open"
        );
    }

    #[test]
    fn an_empty_read_warns_that_rls_may_hide_rows() {
        let mut store = EventStore::new();
        let (result, read, seen) = run(
            &mut Fake::new(Vec::new()),
            ReadPlan::window(None, None),
            &mut store,
        );
        assert!(result.unwrap().done);
        assert_eq!(seen.len(), 1);
        assert_eq!(
            read.warnings()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["no rows in the window for the role \"anon\": either observability_events has none there, or Row Level Security hides them from this role (sql/001_observability_events.sql lets only signed-in users read: sign in as a user of the project)"]
        );
    }

    #[test]
    fn failures_are_retried_with_backoff_and_then_reported() {
        let rows = sample_rows();
        let direct = direct_store(&rows, i64::MIN, i64::MAX);
        // Every third request fails twice, then succeeds.
        let mut fake = Fake::new(rows.clone());
        fake.fail_every = 3;
        fake.fail_first = 2;
        let mut store = EventStore::new();
        let (result, _, seen) = run(&mut fake, ReadPlan::window(None, None), &mut store);
        assert!(result.unwrap().done);
        assert_eq!(store.len(), direct.len());
        let delays: Vec<u64> = seen
            .iter()
            .filter_map(|p| p.retry.as_ref().map(|r| r.delay_ms))
            .take(2)
            .collect();
        assert_eq!(delays, [500, 1000]);
        // Failing for good: the error says so, and the store is as it was.
        let mut fake = Fake::new(rows);
        fake.fail_every = 3;
        fake.fail_first = 99;
        let mut store = EventStore::new();
        store.extend([sample_rows()[0].clone()]);
        let (result, _, _) = run(&mut fake, ReadPlan::window(None, None), &mut store);
        assert_eq!(
            result.unwrap_err().to_string(),
            "the server answered 503 4 times in a row (upstream): Supabase is unavailable; try again in a minute"
        );
        assert_eq!(store.len(), 1);
        // No answer at all, four times.
        let mut read = PagedRead::new(&config(), ReadPlan::window(None, None));
        let mut store = EventStore::new();
        let mut batch = store.batch();
        let mut outcomes = Vec::new();
        while let Some(request) = read.next_request() {
            outcomes.push(request.delay_ms);
            if let Err(e) = read.on_transport_error("connection refused", &mut batch) {
                outcomes.push(0);
                assert_eq!(e.to_string(), "could not reach https://abc.supabase.co/rest/v1/observability_events (connection refused): check the project URL and the network connection; in a browser a blocked request (CORS, an ad blocker, offline) fails the same way");
            }
        }
        assert_eq!(outcomes, [0, 500, 1000, 2000, 0]);
    }
}
