//! The columnar event store: one vector per field, strings interned, rows kept in
//! `(created_at, id)` order so a time window is two binary searches.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use crate::event::{EventRow, EventType, Micros};

/// An interned string: an index into the store's string table.
pub type Sym = u32;
/// The `Sym` of SQL null.
pub const NULL_SYM: Sym = u32::MAX;

/// A tri-state SQL boolean packed into two bits: 0 null, 1 false, 2 true.
const fn pack_bool(b: Option<bool>) -> u8 {
    match b {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }
}

const fn unpack_bool(bits: u8) -> Option<bool> {
    match bits & 0b11 {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

const SUCCESS_SHIFT: u8 = 0;
const CACHE_HIT_SHIFT: u8 = 2;
pub(crate) const CANARY_SHIFT: u8 = 4;
/// Set where the source held a NaN or infinite `processing_time_ms` (stored as absent).
const NON_FINITE_BIT: u8 = 1 << 6;

/// Deduplicating string table.
#[derive(Default, Debug, Clone)]
pub struct Interner {
    index: HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

impl Interner {
    /// The symbol of `s`, adding it on first sight.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.index.get(s) {
            return sym;
        }
        let sym = Sym::try_from(self.strings.len()).expect("fewer than 4 billion distinct strings");
        self.strings.push(s.into());
        self.index.insert(s.into(), sym);
        sym
    }

    /// The text of `sym`, `None` for [`NULL_SYM`].
    pub fn resolve(&self, sym: Sym) -> Option<&str> {
        self.strings.get(sym as usize).map(|s| &**s)
    }

    fn heap_bytes(&self) -> usize {
        let text: usize = self.strings.iter().map(|s| s.len()).sum();
        // Each string is stored twice (table and index) plus the index's slots.
        2 * text
            + self.strings.capacity() * std::mem::size_of::<Box<str>>()
            + self.index.capacity() * (std::mem::size_of::<(Box<str>, Sym)>() + 1)
    }
}

/// `error_type` / `error_message` of one row (sparse: only rows that have either).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorDetail {
    pub row: u32,
    pub error_type: Sym,
    pub error_message: Sym,
}

/// `failure_count` / `success_count` of one circuit-breaker row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerDetail {
    pub row: u32,
    pub failure_count: Sym,
    pub success_count: Sym,
}

/// What the loader saw in the data that is not a metric: reported, never fatal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadNotes {
    /// Rows whose `event_type` is none of SPEC §1's, by type.
    pub unknown_event_types: BTreeMap<String, u64>,
    /// Rows whose `details.canary` is present but not a boolean.
    pub canary_not_boolean: u64,
}

/// All loaded events, column by column.
#[derive(Clone, Debug)]
pub struct EventStore {
    pub(crate) id: Vec<i64>,
    pub(crate) created_at: Vec<Micros>,
    /// NaN where the row has no usable value (null, NaN or infinite in the source).
    pub(crate) processing_time_ms: Vec<f64>,
    pub(crate) event_type: Vec<u8>,
    pub(crate) flags: Vec<u8>,
    /// `details->>'endpoint'` for requests, `details->>'cache_key_prefix'` for cache events,
    /// `details->>'state'` for breaker events.
    pub(crate) label: Vec<Sym>,
    pub(crate) cache_key: Vec<Sym>,
    pub(crate) errors: Vec<ErrorDetail>,
    pub(crate) breaker: Vec<BreakerDetail>,
    pub(crate) flags_json: Vec<(u32, String)>,
    pub(crate) strings: Interner,
    pub(crate) notes: LoadNotes,
}

impl Default for EventStore {
    fn default() -> Self {
        EventStore::new()
    }
}

impl EventStore {
    /// An empty store.
    pub fn new() -> EventStore {
        EventStore {
            id: Vec::new(),
            created_at: Vec::new(),
            processing_time_ms: Vec::new(),
            event_type: Vec::new(),
            flags: Vec::new(),
            label: Vec::new(),
            cache_key: Vec::new(),
            errors: Vec::new(),
            breaker: Vec::new(),
            flags_json: Vec::new(),
            strings: Interner::default(),
            notes: LoadNotes::default(),
        }
    }

    /// Opens a batch of appends; the store is put back in time order when the batch ends.
    pub fn batch(&mut self) -> Batch<'_> {
        let start = self.len();
        Batch { store: self, start }
    }

    /// Appends rows as one batch.
    pub fn extend<'a>(&mut self, rows: impl IntoIterator<Item = EventRow<'a>>) {
        let mut batch = self.batch();
        for row in rows {
            batch.push(&row);
        }
    }

    /// Number of rows held.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// What the loader noticed in the data.
    pub fn load_notes(&self) -> &LoadNotes {
        &self.notes
    }

    /// The earliest and latest `created_at`, `None` when empty.
    pub fn time_span(&self) -> Option<(Micros, Micros)> {
        Some((*self.created_at.first()?, *self.created_at.last()?))
    }

    /// The largest `id` held (the cursor of an incremental refresh).
    pub fn max_id(&self) -> Option<i64> {
        self.id.iter().copied().max()
    }

    /// Rows with `from <= created_at < to`.
    pub fn rows_in(&self, from: Micros, to: Micros) -> Range<usize> {
        let lo = self.created_at.partition_point(|&t| t < from);
        let hi = self.created_at.partition_point(|&t| t < to).max(lo);
        lo..hi
    }

    /// The text of an interned string.
    pub fn text(&self, sym: Sym) -> Option<&str> {
        self.strings.resolve(sym)
    }

    /// Heap bytes held by the store (capacities, not lengths), for the memory benchmark.
    pub fn heap_bytes(&self) -> usize {
        fn vec_bytes<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        vec_bytes(&self.id)
            + vec_bytes(&self.created_at)
            + vec_bytes(&self.processing_time_ms)
            + vec_bytes(&self.event_type)
            + vec_bytes(&self.flags)
            + vec_bytes(&self.label)
            + vec_bytes(&self.cache_key)
            + vec_bytes(&self.errors)
            + vec_bytes(&self.breaker)
            + vec_bytes(&self.flags_json)
            + self
                .flags_json
                .iter()
                .map(|(_, s)| s.capacity())
                .sum::<usize>()
            + self.strings.heap_bytes()
    }

    /// Releases spare capacity (after a bulk load).
    pub fn shrink_to_fit(&mut self) {
        self.id.shrink_to_fit();
        self.created_at.shrink_to_fit();
        self.processing_time_ms.shrink_to_fit();
        self.event_type.shrink_to_fit();
        self.flags.shrink_to_fit();
        self.label.shrink_to_fit();
        self.cache_key.shrink_to_fit();
        self.errors.shrink_to_fit();
        self.breaker.shrink_to_fit();
        self.flags_json.shrink_to_fit();
    }

    pub(crate) fn kind(&self, row: usize) -> EventType {
        EventType::from_u8(self.event_type[row])
    }

    pub(crate) fn success(&self, row: usize) -> Option<bool> {
        unpack_bool(self.flags[row] >> SUCCESS_SHIFT)
    }

    pub(crate) fn cache_hit(&self, row: usize) -> Option<bool> {
        unpack_bool(self.flags[row] >> CACHE_HIT_SHIFT)
    }

    /// `details.canary` of a request: `None` where absent or not a JSON boolean (untagged).
    pub(crate) fn canary(&self, row: usize) -> Option<bool> {
        unpack_bool(self.flags[row] >> CANARY_SHIFT)
    }

    pub(crate) fn processing_time_non_finite(&self, row: usize) -> bool {
        self.flags[row] & NON_FINITE_BIT != 0
    }

    /// Sparse breaker details of the rows in `rows`.
    pub(crate) fn breaker_in(&self, rows: &Range<usize>) -> &[BreakerDetail] {
        sparse_range(&self.breaker, rows, |b| b.row)
    }

    /// The error detail of one row, if it has one.
    pub(crate) fn error_of(&self, row: usize) -> Option<&ErrorDetail> {
        let i = self
            .errors
            .binary_search_by_key(&(row as u32), |e| e.row)
            .ok()?;
        Some(&self.errors[i])
    }

    /// `feature_flags_loaded` payloads as JSON text, oldest first, with their time.
    pub fn feature_flags(&self) -> impl Iterator<Item = (Micros, &str)> {
        self.flags_json
            .iter()
            .map(|(row, json)| (self.created_at[*row as usize], json.as_str()))
    }

    fn intern_opt(&mut self, s: Option<&str>) -> Sym {
        s.map_or(NULL_SYM, |s| self.strings.intern(s))
    }

    fn push(&mut self, row: &EventRow<'_>) {
        let index = u32::try_from(self.len()).expect("fewer than 4 billion rows");
        let d = &row.details;
        let label = match row.event_type {
            EventType::RequestCompleted => d.endpoint.as_deref(),
            EventType::CacheAccess | EventType::CacheMiss => d.cache_key_prefix.as_deref(),
            EventType::CircuitBreakerStateChange => d.state.as_deref(),
            _ => None,
        };
        let (processing_time_ms, non_finite) = match row.processing_time_ms {
            Some(v) if v.is_finite() => (v, false),
            Some(_) => (f64::NAN, true),
            None => (f64::NAN, false),
        };
        let mut flags = pack_bool(row.success) << SUCCESS_SHIFT
            | pack_bool(row.cache_hit) << CACHE_HIT_SHIFT
            | pack_bool(d.canary) << CANARY_SHIFT;
        if non_finite {
            flags |= NON_FINITE_BIT;
        }
        let label = self.intern_opt(label);
        let cache_key = self.intern_opt(row.cache_key.as_deref());
        if d.error_type.is_some() || d.error_message.is_some() {
            let error_type = self.intern_opt(d.error_type.as_deref());
            let error_message = self.intern_opt(d.error_message.as_deref());
            self.errors.push(ErrorDetail {
                row: index,
                error_type,
                error_message,
            });
        }
        if row.event_type == EventType::CircuitBreakerStateChange {
            let failure_count = self.intern_opt(d.failure_count.as_deref());
            let success_count = self.intern_opt(d.success_count.as_deref());
            self.breaker.push(BreakerDetail {
                row: index,
                failure_count,
                success_count,
            });
        }
        if row.event_type == EventType::FeatureFlagsLoaded {
            if let Some(json) = &d.flags_json {
                self.flags_json.push((index, json.clone()));
            }
        }
        if d.canary_not_bool {
            self.notes.canary_not_boolean += 1;
        }
        self.id.push(row.id);
        self.created_at.push(row.created_at);
        self.processing_time_ms.push(processing_time_ms);
        self.event_type.push(row.event_type as u8);
        self.flags.push(flags);
        self.label.push(label);
        self.cache_key.push(cache_key);
    }

    /// Restores `(created_at, id)` order after rows from `start` on were appended.
    fn restore_order(&mut self, start: usize) {
        let key = |s: &Self, i: usize| (s.created_at[i], s.id[i]);
        let in_order = (start.max(1)..self.len()).all(|i| key(self, i - 1) <= key(self, i));
        if in_order {
            return;
        }
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_by_key(|&i| key(self, i as usize));
        let mut new_row_of = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_row_of[old as usize] = new as u32;
        }
        fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
            *v = order.iter().map(|&i| v[i as usize]).collect();
        }
        permute(&mut self.id, &order);
        permute(&mut self.created_at, &order);
        permute(&mut self.processing_time_ms, &order);
        permute(&mut self.event_type, &order);
        permute(&mut self.flags, &order);
        permute(&mut self.label, &order);
        permute(&mut self.cache_key, &order);
        for e in &mut self.errors {
            e.row = new_row_of[e.row as usize];
        }
        self.errors.sort_by_key(|e| e.row);
        for b in &mut self.breaker {
            b.row = new_row_of[b.row as usize];
        }
        self.breaker.sort_by_key(|b| b.row);
        for (row, _) in &mut self.flags_json {
            *row = new_row_of[*row as usize];
        }
        self.flags_json.sort_by_key(|(row, _)| *row);
    }

    pub(crate) fn note_unknown_type(&mut self, name: &str) {
        *self
            .notes
            .unknown_event_types
            .entry(name.to_owned())
            .or_default() += 1;
    }
}

fn sparse_range<'a, T>(items: &'a [T], rows: &Range<usize>, row_of: impl Fn(&T) -> u32) -> &'a [T] {
    let lo = items.partition_point(|x| (row_of(x) as usize) < rows.start);
    let hi = items.partition_point(|x| (row_of(x) as usize) < rows.end);
    &items[lo..hi.max(lo)]
}

/// An open batch of appends (see [`EventStore::batch`]).
pub struct Batch<'s> {
    store: &'s mut EventStore,
    start: usize,
}

impl Batch<'_> {
    /// Appends one row.
    pub fn push(&mut self, row: &EventRow<'_>) {
        self.store.push(row);
    }

    /// Records a row of an event type the metrics do not know (it is still stored as `Other`).
    pub fn note_unknown_type(&mut self, name: &str) {
        self.store.note_unknown_type(name);
    }

    /// Rows appended by this batch so far.
    pub fn pushed(&self) -> usize {
        self.store.len() - self.start
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.store.restore_order(self.start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Details;
    use std::borrow::Cow;

    fn row(id: i64, at: Micros, endpoint: &str) -> EventRow<'static> {
        EventRow {
            id,
            event_type: EventType::RequestCompleted,
            success: Some(true),
            cache_hit: None,
            processing_time_ms: Some(id as f64),
            cache_key: None,
            details: Details {
                endpoint: Some(Cow::Owned(endpoint.to_owned())),
                error_type: (id == 2).then_some(Cow::Borrowed("Timeout")),
                ..Details::default()
            },
            created_at: at,
        }
    }

    #[test]
    fn batches_out_of_order_are_sorted_with_their_sparse_details() {
        let mut store = EventStore::new();
        store.extend([row(1, 30, "/a"), row(2, 10, "/b")]);
        store.extend([row(3, 20, "/c")]);
        assert_eq!(store.id, vec![2, 3, 1]);
        assert_eq!(store.created_at, vec![10, 20, 30]);
        assert_eq!(store.text(store.label[1]), Some("/c"));
        assert_eq!(store.errors.len(), 1);
        assert_eq!(store.errors[0].row, 0);
        assert_eq!(store.rows_in(15, 30), 1..2);
        assert_eq!(store.rows_in(30, 10), 2..2);
    }

    #[test]
    fn ties_on_time_are_ordered_by_id() {
        let mut store = EventStore::new();
        store.extend([row(9, 5, "/a"), row(4, 5, "/a")]);
        assert_eq!(store.id, vec![4, 9]);
    }

    #[test]
    fn non_finite_latency_is_absent_and_flagged() {
        let mut store = EventStore::new();
        let mut r = row(1, 0, "/a");
        r.processing_time_ms = Some(f64::NAN);
        let mut s = row(2, 1, "/a");
        s.processing_time_ms = None;
        store.extend([r, s]);
        assert!(store.processing_time_ms[0].is_nan());
        assert!(store.processing_time_non_finite(0));
        assert!(!store.processing_time_non_finite(1));
        assert_eq!(store.success(0), Some(true));
        assert_eq!(store.cache_hit(0), None);
    }
}
