//! The incremental refresh: a read of the rows above the newest id held, which takes one
//! stream of every type when it is small.

use super::plan::{Col, ReadPlan, Stream, Types};
use crate::event::Micros;

impl ReadPlan {
    /// The rows of `[from, to)` newer than `newest_held` (e.g. `store.max_id()`): append them
    /// to the store, then `store.retain_from(from)`. Without a held id it is a full read.
    pub fn refresh(from: Option<Micros>, to: Option<Micros>, newest_held: Option<i64>) -> ReadPlan {
        ReadPlan {
            after_id: newest_held,
            estimate: newest_held.is_none(),
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
    use crate::supabase::ReadPlan;

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
        let plan = ReadPlan::refresh(Some(from), None, store.max_id());
        let (result, read, _) = run(&mut fake, plan, &mut store);
        let progress = result.unwrap();
        let case = format!("{events_per_day}/day, {new_minutes} min");
        assert_eq!(read.combined, combined, "{case}");
        // Counted exactly by the probe.
        assert_eq!(progress.estimate, Some(progress.rows), "{case}");
        store.retain_from(from);
        let direct = direct_store(&fake.rows, from, i64::MAX);
        assert_eq!(store.ids(), direct.ids(), "{case}");
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
        // Nothing new: one request, no warning.
        let plan = ReadPlan::refresh(Some(from), None, store.max_id());
        let (result, read, seen) = run(&mut fake, plan, &mut store);
        assert_eq!(result.unwrap().rows, 0, "{case}");
        assert_eq!(seen.len(), 1, "{case}");
        assert!(read.warnings().is_empty(), "{case}");
    }

    #[test]
    fn refresh_appends_new_rows_and_the_window_moves_on() {
        check_refresh(8_000, 30, true);
        check_refresh(8_000, 1, true);
        check_refresh(100_000, 60, false);
    }
}
