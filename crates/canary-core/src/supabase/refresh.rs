//! The incremental refresh: a read of the rows above a cursor, which takes one stream of every
//! type when it is small.
//!
//! The cursor is not the newest id held. Ids are handed out when a row is inserted, but a row
//! becomes visible when its transaction commits, so a row with a lower id than one already read
//! can still appear (two writers racing, or a transaction that stays open). A refresh therefore
//! reads again every row from the first held row that may have been inserted within
//! [`LATE_COMMIT_MAX`] of the previous read's start (see [`refresh_cursor`]); the store drops the
//! rows it already holds (`Batch::expect_rereads`). Every row whose transaction commits within
//! [`LATE_COMMIT_MAX`] of its insert is seen by the first refresh after its commit, however
//! long the refreshes are apart.

use super::plan::{Col, ReadPlan, Stream, Types};
use crate::event::Micros;
use crate::store::EventStore;

/// The longest a writer's transaction may stay open, from a row's insert to its commit, for
/// the row to be seen by a refresh. `created_at` must not be earlier than this before the
/// insert (the table's default, `now()`, is the transaction's start).
pub const LATE_COMMIT_MAX: Micros = 2 * 60 * 1_000_000;

/// How far the reader's clock may be ahead of the database's.
pub const CLOCK_SKEW_MAX: Micros = 60 * 1_000_000;

/// The cursor of a refresh (read the rows with an id above it) of `store`, whose last read
/// started at `last_read_started` (the reader's clock when its first request went out):
/// `Some(i64::MIN)` when every held row may be recent, `None` for an empty store (a full read).
///
/// Why it loses nothing: a row missing from the store was not yet committed when the last
/// read started (at `p`), so it was inserted after `p - LATE_COMMIT_MAX`; so was every row with
/// a higher id (ids grow with inserts), and those have `created_at >= p - 2 * LATE_COMMIT_MAX`
/// (`created_at` is at most `LATE_COMMIT_MAX` before the insert). The cursor is the highest
/// held id below every held row that recent (the clock margin added), so it is below the
/// missing row's id. A back-dated row (`created_at` far before its insert) only makes the
/// overlap larger, a future-dated one likewise.
pub fn refresh_cursor(store: &EventStore, last_read_started: Micros) -> Option<i64> {
    if store.is_empty() {
        return None;
    }
    let since = last_read_started
        .saturating_sub(2 * LATE_COMMIT_MAX)
        .saturating_sub(CLOCK_SKEW_MAX);
    let recent = store.rows_in(since, Micros::MAX);
    let ids = store.ids();
    let first_recent = ids[recent.clone()].iter().copied().min();
    let older = ids[..recent.start].iter().copied();
    let cursor = match first_recent {
        Some(first) => older.filter(|&id| id < first).max(),
        None => older.max(),
    };
    Some(cursor.unwrap_or(i64::MIN))
}

impl ReadPlan {
    /// A refresh of `store`, which holds the rows of `[from, to)` read by reads the last of
    /// which started at `last_read_started`: the rows above [`refresh_cursor`] (those held are
    /// dropped as they arrive again). Append them to the store in one batch, then
    /// `store.retain_from(from)`. An empty store gets a full read.
    pub fn refresh(
        from: Option<Micros>,
        to: Option<Micros>,
        store: &EventStore,
        last_read_started: Micros,
    ) -> ReadPlan {
        let after_id = refresh_cursor(store, last_read_started);
        ReadPlan {
            after_id,
            estimate: after_id.is_none(),
            ..ReadPlan::window(from, to)
        }
    }
}

/// A read of at most this many rows (a refresh, counted exactly by the probe) takes one
/// stream of every type with the whole `details` (parsed here as `->>` parses it) instead of a
/// stream per type: a page or two instead of seven streams' worth of requests, for bytes that
/// do not matter at that size.
pub const SMALL_READ_ROWS: u64 = 2_000;

pub(super) const COMBINED: Stream = Stream {
    types: Types::All,
    cols: &[
        Col::Id,
        Col::Type,
        Col::Success,
        Col::CacheHit,
        Col::Time,
        Col::CacheKey,
        Col::Details,
        Col::CreatedAt,
    ],
};

#[cfg(test)]
mod tests {
    use crate::demo::{rows as demo_rows, DemoConfig};
    use crate::event::{EventRow, Micros, MICROS_PER_HOUR};
    use crate::metrics::Window;
    use crate::store::EventStore;
    use crate::supabase::plan::STREAMS;
    use crate::supabase::test_support::{direct_store, metrics_json, run, Fake};
    use crate::supabase::{refresh_cursor, ReadPlan};

    /// A full read of two hours, then a refresh after `new_minutes` more with the window moved
    /// 30 minutes on; `combined`: whether the refresh should take the one-stream path.
    fn check_refresh(events_per_day: usize, new_minutes: i64, combined: bool) {
        let config = DemoConfig {
            duration: 4 * MICROS_PER_HOUR,
            ..DemoConfig::with_events(events_per_day)
        };
        let rows: Vec<EventRow<'static>> = demo_rows(&config).collect();
        let start = rows[0].created_at;
        let (hour, minute) = (MICROS_PER_HOUR, MICROS_PER_HOUR / 60);
        let until = |t: Micros| rows.iter().filter(|r| r.created_at < t).cloned().collect();
        let mut fake = Fake::new(until(start + 2 * hour));
        let mut store = EventStore::new();
        let (result, read, _) = run(&mut fake, ReadPlan::window(Some(start), None), &mut store);
        result.unwrap();
        assert_eq!(read.newest_id(), store.max_id());
        fake.rows = until(start + 2 * hour + new_minutes * minute);
        let from = start + hour / 2;
        let before = fake.seen;
        let plan = ReadPlan::refresh(Some(from), None, &store, start + 2 * hour);
        let (result, read, _) = run(&mut fake, plan, &mut store);
        let progress = result.unwrap();
        let case = format!("{events_per_day}/day, {new_minutes} min");
        assert_eq!(read.combined, combined, "{case}");
        // Counted exactly by the probe.
        assert_eq!(progress.estimate, Some(progress.rows), "{case}");
        store.retain_from(from);
        let direct = direct_store(&fake.rows, from, i64::MAX);
        assert_eq!(store.ids(), direct.ids(), "{case}");
        // The overlap read again is not a data problem.
        assert_eq!(store.load_notes(), direct.load_notes(), "{case}");
        let window = Window::whole(&direct);
        assert_eq!(
            metrics_json(&store, window),
            metrics_json(&direct, window),
            "{case}"
        );
        let requests = fake.seen - before;
        if combined {
            // The probe and one page.
            assert_eq!(requests, 2, "{case}");
        } else {
            // The probe and a page or two per stream.
            let pages = progress.rows as u32 / 1000;
            assert!(
                requests <= 1 + pages + 2 * STREAMS.len() as u32,
                "{case}: {requests}"
            );
        }
        // Nothing new: only the overlap comes again, and nothing changes.
        let held = store.clone();
        let now = start + 2 * hour + new_minutes * minute;
        let plan = ReadPlan::refresh(Some(from), None, &store, now);
        let (result, read, _) = run(&mut fake, plan, &mut store);
        let overlap = direct.rows_in(now - 5 * minute, Micros::MAX).len() as u64;
        assert!(result.unwrap().rows >= overlap, "{case}");
        assert_eq!(store.ids(), held.ids(), "{case}");
        assert_eq!(store.load_notes(), held.load_notes(), "{case}");
        assert!(read.warnings().is_empty(), "{case}");
    }

    /// The cursor of a store holding `(id, created_at in minutes)` rows whose last read
    /// started at minute `started`.
    fn check_cursor(rows: &[(i64, i64)], started: i64, expected: Option<i64>) {
        let minute = MICROS_PER_HOUR / 60;
        let mut store = EventStore::new();
        store.extend(rows.iter().map(|&(id, at)| {
            let mut r = demo_rows(&DemoConfig::with_events(1_000)).next().unwrap();
            r.id = id;
            r.created_at = at * minute;
            r
        }));
        assert_eq!(
            refresh_cursor(&store, started * minute),
            expected,
            "{rows:?} at {started}"
        );
    }

    #[test]
    fn the_cursor_reaches_back_past_every_row_that_may_be_late() {
        // Recent: created at or after minute 100 - 2 * 2 - 1 = 95.
        check_cursor(&[], 100, None);
        check_cursor(&[(1, 10), (2, 20), (3, 30)], 100, Some(3));
        check_cursor(&[(1, 10), (2, 94), (3, 95), (4, 99)], 100, Some(2));
        // On the boundary: 95 is recent, just before it is not.
        check_cursor(&[(1, 10), (2, 95)], 100, Some(1));
        // Everything recent: read it all again.
        check_cursor(&[(5, 96), (6, 99)], 100, Some(i64::MIN));
        // A back-dated row (id 9, created long ago) does not move the cursor past the recent
        // rows with lower ids; a future-dated one (id 2) only widens the overlap.
        check_cursor(&[(1, 10), (3, 20), (4, 96), (9, 30)], 100, Some(3));
        check_cursor(&[(1, 10), (2, 5_000), (3, 20), (4, 96)], 100, Some(1));
        // Ids out of time order among the old rows: the highest below the first recent one.
        check_cursor(&[(7, 10), (3, 11), (8, 97), (5, 12)], 100, Some(7));
        // Times at the ends of the range do not overflow.
        check_cursor(
            &[(1, 10)],
            i64::MIN / (MICROS_PER_HOUR / 60),
            Some(i64::MIN),
        );
    }

    /// Rows whose transactions commit late, around refreshes: `(id, created minute, committed
    /// minute)`; reads start at the given minutes. Every committed row must be held after each
    /// refresh, and the overlap must not count as duplicates.
    #[test]
    fn late_commits_are_read_by_the_next_refresh() {
        let minute = MICROS_PER_HOUR / 60;
        let template = demo_rows(&DemoConfig::with_events(1_000)).next().unwrap();
        let make = |id: i64, at: i64| {
            let mut r = template.clone();
            r.id = id;
            r.created_at = at * minute;
            r
        };
        // Steady rows every minute, committed at once; and late ones: id 205 inserted at
        // minute 101, committed at 102.9 (open across two refreshes); id 210 at 104, committed
        // at 105.5; id 215 at 103 committed at 104.5 when refreshes are 10 minutes apart.
        let mut rows: Vec<(i64, i64, f64)> = (0..200).map(|i| (i, i / 2, (i / 2) as f64)).collect();
        rows.extend((200..240).map(|i| (i, 100 + (i - 200) / 5, (100 + (i - 200) / 5) as f64)));
        for (id, at, commit) in [(205, 101, 102.9), (210, 102, 105.5), (215, 103, 104.5)] {
            rows.retain(|r| r.0 != id);
            rows.push((id, at, commit));
        }
        let visible = |t: f64| -> Vec<EventRow<'static>> {
            rows.iter()
                .filter(|r| r.2 <= t)
                .map(|&(id, at, _)| make(id, at))
                .collect()
        };
        for reads in [
            &[100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0][..],
            &[102.5, 112.5],
            &[100.5, 104.0, 120.0],
        ] {
            let mut store = EventStore::new();
            let mut fake = Fake::new(visible(reads[0]));
            let (result, _, _) = run(&mut fake, ReadPlan::window(None, None), &mut store);
            result.unwrap();
            for pair in reads.windows(2) {
                fake.rows = visible(pair[1]);
                let plan = ReadPlan::refresh(None, None, &store, (pair[0] * minute as f64) as i64);
                let (result, _, _) = run(&mut fake, plan, &mut store);
                result.unwrap();
                let mut want: Vec<i64> = fake.rows.iter().map(|r| r.id).collect();
                want.sort_unstable();
                let mut held = store.ids().to_vec();
                held.sort_unstable();
                assert_eq!(held, want, "reads {reads:?}, after the one at {}", pair[1]);
                assert_eq!(store.load_notes().duplicate_ids, 0, "reads {reads:?}");
            }
        }
    }

    #[test]
    fn refresh_appends_new_rows_and_the_window_moves_on() {
        check_refresh(8_000, 30, true);
        check_refresh(8_000, 1, true);
        check_refresh(100_000, 60, false);
    }
}
