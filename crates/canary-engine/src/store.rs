//! The columnar event store: one vector per field, strings interned, rows kept in
//! `(created_at, id)` order so a time window is two binary searches.

use std::collections::HashMap;
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
    /// Rows whose `event_type` is none of the known ones (docs/metrics.md#data): (type, rows),
    /// sorted by type. A batch counts its types in a hash map and merges them in when it ends,
    /// so any number of distinct types costs O(n log n), not one sorted insert each.
    pub unknown_event_types: Vec<(String, u64)>,
    /// Rows dropped because an earlier row had the same `id` (the table's primary key allows
    /// one row per id, so the data counts each id once).
    pub duplicate_ids: u64,
    /// A few of the ids that were repeated, ascending, for the note.
    pub duplicate_id_examples: Vec<i64>,
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
        let notes_before = self.notes.clone();
        Batch {
            store: self,
            start,
            unknown_types: HashMap::new(),
            notes_before,
            rereads: false,
        }
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

    /// The `id` column, in the store's `(created_at, id)` order.
    pub fn ids(&self) -> &[i64] {
        &self.id
    }

    /// The `created_at` column (µs since the epoch), ascending.
    pub fn created_at(&self) -> &[Micros] {
        &self.created_at
    }

    /// The `processing_time_ms` column: NaN where the row has no usable value.
    pub fn processing_times_ms(&self) -> &[f64] {
        &self.processing_time_ms
    }

    /// `cache_key` of one row (`None`: SQL null).
    pub fn cache_key_text(&self, row: usize) -> Option<&str> {
        self.text(self.cache_key[row])
    }

    /// The row's label: `details->>'endpoint'` of a request, `details->>'cache_key_prefix'` of a
    /// cache event, `details->>'state'` of a breaker event (`None`: SQL null).
    pub fn label_text(&self, row: usize) -> Option<&str> {
        self.text(self.label[row])
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

    /// How many distinct strings are interned: every symbol but [`NULL_SYM`] is below this.
    pub fn symbol_count(&self) -> usize {
        self.strings.strings.len()
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
    ///
    /// Held rows that sort before every appended row keep their place and only the tail from the
    /// earliest appended row on is sorted, so appending the few new rows of an incremental refresh
    /// (which belong at or near the end) costs little however many rows are held.
    fn restore_order(&mut self, start: usize) {
        let key = |s: &Self, i: usize| (s.created_at[i], s.id[i]);
        let in_order = (start.max(1)..self.len()).all(|i| key(self, i - 1) <= key(self, i));
        if in_order {
            return;
        }
        let Some(first_new) = (start..self.len()).map(|i| key(self, i)).min() else {
            return;
        };
        // Rows before `start` are in order: binary-search the first that sorts after `first_new`.
        let (mut keep, mut hi) = (0, start);
        while keep < hi {
            let mid = keep + (hi - keep) / 2;
            if key(self, mid) <= first_new {
                keep = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut order: Vec<u32> = (keep as u32..self.len() as u32).collect();
        // The shared sort (merging the runs already in order) rather than another instance of
        // the standard one: this crate is built for speed, where that costs kilobytes.
        stdx::sort::sort_by_key(&mut order, |&i| key(self, i as usize));
        // New row index of each old row in the tail, indexed by `old - keep`.
        let mut new_row_of = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_row_of[old as usize - keep] = (keep + new) as u32;
        }
        fn permute<T: Copy>(v: &mut Vec<T>, keep: usize, order: &[u32]) {
            let tail: Vec<T> = order.iter().map(|&i| v[i as usize]).collect();
            v.truncate(keep);
            v.extend(tail);
        }
        permute(&mut self.id, keep, &order);
        permute(&mut self.created_at, keep, &order);
        permute(&mut self.processing_time_ms, keep, &order);
        permute(&mut self.event_type, keep, &order);
        permute(&mut self.flags, keep, &order);
        permute(&mut self.label, keep, &order);
        permute(&mut self.cache_key, keep, &order);
        let remap = |row: &mut u32| *row = new_row_of[*row as usize - keep];
        let from = self.errors.partition_point(|e| (e.row as usize) < keep);
        self.errors[from..]
            .iter_mut()
            .for_each(|e| remap(&mut e.row));
        stdx::sort::sort_by_key(&mut self.errors[from..], |e| e.row);
        let from = self.breaker.partition_point(|b| (b.row as usize) < keep);
        self.breaker[from..]
            .iter_mut()
            .for_each(|b| remap(&mut b.row));
        stdx::sort::sort_by_key(&mut self.breaker[from..], |b| b.row);
        let from = self
            .flags_json
            .partition_point(|(row, _)| (*row as usize) < keep);
        self.flags_json[from..]
            .iter_mut()
            .for_each(|(row, _)| remap(row));
        stdx::sort::sort_by_key(&mut self.flags_json[from..], |(row, _)| *row);
    }

    /// Drops the rows with `created_at < from`: those a moving window has left, after an
    /// incremental refresh. The newest circuit-breaker transition before `from` stays, because
    /// the breaker's state carries over into the window (docs/metrics.md#metrics). Returns how
    /// many rows were dropped. Costs one move of the rows kept (no sorting, no re-reading).
    /// The space goes with the rows, so a window that moves for days holds steady memory: spare
    /// column capacity is released once it exceeds what the rows use, and the string table is
    /// rebuilt once most of its strings (cache keys, messages) belong to dropped rows.
    /// [`LoadNotes`] stay as loaded.
    pub fn retain_from(&mut self, from: Micros) -> usize {
        let cut = self.created_at.partition_point(|&t| t < from);
        let before = self.breaker.partition_point(|b| (b.row as usize) < cut);
        let keep = before.checked_sub(1).map(|i| self.breaker[i].row as usize);
        let dropped = cut - usize::from(keep.is_some());
        if dropped == 0 {
            return 0;
        }
        fn drop_prefix<T>(v: &mut Vec<T>, cut: usize, keep: Option<usize>) {
            match keep {
                Some(k) => {
                    v.drain(k + 1..cut);
                    v.drain(..k);
                }
                None => {
                    v.drain(..cut);
                }
            }
        }
        drop_prefix(&mut self.id, cut, keep);
        drop_prefix(&mut self.created_at, cut, keep);
        drop_prefix(&mut self.processing_time_ms, cut, keep);
        drop_prefix(&mut self.event_type, cut, keep);
        drop_prefix(&mut self.flags, cut, keep);
        drop_prefix(&mut self.label, cut, keep);
        drop_prefix(&mut self.cache_key, cut, keep);
        // Sparse rows: the kept transition becomes row 0, rows from `cut` on move down.
        let new_row = |row: &mut u32| {
            let old = *row as usize;
            if old >= cut {
                *row = (old - dropped) as u32;
                true
            } else if Some(old) == keep {
                *row = 0;
                true
            } else {
                false
            }
        };
        self.errors.retain_mut(|e| new_row(&mut e.row));
        self.breaker.retain_mut(|b| new_row(&mut b.row));
        self.flags_json.retain_mut(|(row, _)| new_row(row));
        if self.id.capacity() > 2 * self.id.len() + 1024 {
            self.shrink_to_fit();
        }
        self.compact_strings();
        dropped
    }

    /// Rebuilds the string table with only the strings rows still use, when fewer than half of
    /// them are (so the cost, one pass over the rows, is paid at most once per doubling).
    fn compact_strings(&mut self) {
        let count = self.strings.strings.len();
        if count < 1024 {
            return;
        }
        let mut new_sym = vec![NULL_SYM; count];
        let mut used = 0usize;
        {
            let mut mark = |sym: Sym| {
                if let Some(slot) = new_sym.get_mut(sym as usize) {
                    if *slot == NULL_SYM {
                        *slot = 0;
                        used += 1;
                    }
                }
            };
            self.label.iter().for_each(|&s| mark(s));
            self.cache_key.iter().for_each(|&s| mark(s));
            for e in &self.errors {
                mark(e.error_type);
                mark(e.error_message);
            }
            for b in &self.breaker {
                mark(b.failure_count);
                mark(b.success_count);
            }
        }
        if 2 * used > count {
            return;
        }
        let mut strings = Interner::default();
        for (old, text) in std::mem::take(&mut self.strings.strings)
            .into_iter()
            .enumerate()
        {
            if new_sym[old] != NULL_SYM {
                new_sym[old] = strings.intern(&text);
            }
        }
        self.strings = strings;
        let remap = |sym: &mut Sym| {
            if *sym != NULL_SYM {
                *sym = new_sym[*sym as usize];
            }
        };
        self.label.iter_mut().for_each(remap);
        self.cache_key.iter_mut().for_each(remap);
        for e in &mut self.errors {
            remap(&mut e.error_type);
            remap(&mut e.error_message);
        }
        for b in &mut self.breaker {
            remap(&mut b.failure_count);
            remap(&mut b.success_count);
        }
    }

    /// Removes rows from index `len` on (the rows a batch appended: they are still at the end).
    fn truncate_rows(&mut self, len: usize) {
        self.id.truncate(len);
        self.created_at.truncate(len);
        self.processing_time_ms.truncate(len);
        self.event_type.truncate(len);
        self.flags.truncate(len);
        self.label.truncate(len);
        self.cache_key.truncate(len);
        self.errors.retain(|e| (e.row as usize) < len);
        self.breaker.retain(|b| (b.row as usize) < len);
        self.flags_json.retain(|(row, _)| (*row as usize) < len);
    }

    /// Adds a batch's unknown types (sorted by name, each once) to the sorted list.
    fn merge_unknown_types(&mut self, mut counted: Vec<(String, u64)>) {
        if counted.is_empty() {
            return;
        }
        stdx::sort::sort_by(&mut counted, |a, b| a.0.cmp(&b.0));
        let held = std::mem::take(&mut self.notes.unknown_event_types);
        let mut merged = Vec::with_capacity(held.len() + counted.len());
        let (mut a, mut b) = (held.into_iter().peekable(), counted.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    let (name, n) = a.next().unwrap_or_default();
                    let (_, m) = b.next().unwrap_or_default();
                    (name, n + m)
                }
                (Some(x), Some(y)) if x.0 < y.0 => a.next().unwrap_or_default(),
                (Some(_), None) => a.next().unwrap_or_default(),
                (_, Some(_)) => b.next().unwrap_or_default(),
                (None, None) => break,
            };
            merged.push(next);
        }
        self.notes.unknown_event_types = merged;
    }

    /// Drops the rows appended from `start` on (still in input order) whose `id` an earlier
    /// row already has, keeping the first as read, and notes them, except (with `rereads`) the
    /// rows that repeat a row held before the batch: a refresh re-reads an overlap on purpose.
    /// Only ids at or above the smallest appended id can repeat one, so the cost follows the
    /// appended rows and the held rows above them, plus one scan of the held ids.
    fn drop_duplicate_ids(&mut self, start: usize, rereads: bool) {
        let new = &self.id[start..];
        let Some(new_min) = new.iter().copied().min() else {
            return;
        };
        let held_max = self.id[..start].iter().copied().max();
        if held_max.is_none_or(|m| m < new_min) && new.windows(2).all(|w| w[0] < w[1]) {
            return;
        }
        // (id, row) of every row whose id may repeat another, in (id, row) order: equal ids
        // in row order, so the second of a pair is the later row, one of this batch (earlier
        // batches were already free of duplicates).
        let mut candidates: Vec<(i64, u32)> = self.id[..start]
            .iter()
            .enumerate()
            .filter(|(_, &id)| id >= new_min)
            .chain(new.iter().enumerate().map(|(i, id)| (start + i, id)))
            .map(|(row, &id)| (id, row as u32))
            .collect();
        stdx::sort::sort_by_key(&mut candidates, |&c| c);
        let mut remove = vec![false; self.len() - start];
        let mut examples = Vec::new();
        let mut noted = 0u64;
        for pair in candidates.windows(2) {
            let ((first_id, first), (id, second)) = (pair[0], pair[1]);
            if first_id != id {
                continue;
            }
            remove[second as usize - start] = true;
            if rereads && (first as usize) < start {
                continue;
            }
            noted += 1;
            if examples.last() != Some(&id) && examples.len() < 5 {
                examples.push(id);
            }
        }
        if remove.iter().any(|&r| r) {
            self.remove_appended_rows(start, &remove);
        }
        if noted == 0 {
            return;
        }
        self.notes.duplicate_ids += noted;
        let ex = &mut self.notes.duplicate_id_examples;
        ex.extend(examples);
        stdx::sort::sort_by_key(ex, |&id| id);
        ex.dedup();
        ex.truncate(5);
    }

    /// Removes the appended rows (from `start` on) marked in `remove` (one flag per appended
    /// row), keeping the order of the rest; the rows before `start` do not move.
    fn remove_appended_rows(&mut self, start: usize, remove: &[bool]) {
        let mut new_row = vec![u32::MAX; remove.len()];
        let mut kept = start as u32;
        for (i, &gone) in remove.iter().enumerate() {
            if !gone {
                new_row[i] = kept;
                kept += 1;
            }
        }
        fn keep<T>(v: &mut Vec<T>, start: usize, remove: &[bool]) {
            let mut i = 0;
            let tail = v.split_off(start);
            v.extend(tail.into_iter().filter(|_| {
                i += 1;
                !remove[i - 1]
            }));
        }
        keep(&mut self.id, start, remove);
        keep(&mut self.created_at, start, remove);
        keep(&mut self.processing_time_ms, start, remove);
        keep(&mut self.event_type, start, remove);
        keep(&mut self.flags, start, remove);
        keep(&mut self.label, start, remove);
        keep(&mut self.cache_key, start, remove);
        let remap = |row: &mut u32| {
            let Some(i) = (*row as usize).checked_sub(start) else {
                return true;
            };
            *row = new_row[i];
            *row != u32::MAX
        };
        self.errors.retain_mut(|e| remap(&mut e.row));
        self.breaker.retain_mut(|b| remap(&mut b.row));
        self.flags_json.retain_mut(|(row, _)| remap(row));
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
    /// Rows per unknown event type seen by this batch.
    unknown_types: HashMap<String, u64>,
    /// The load notes before this batch, restored by [`Batch::discard`].
    notes_before: LoadNotes,
    /// Rows that repeat a held row are an expected re-read, not a data problem.
    rereads: bool,
}

impl Batch<'_> {
    /// Appends one row.
    pub fn push(&mut self, row: &EventRow<'_>) {
        self.store.push(row);
    }

    /// Records a row of an event type the metrics do not know (it is still stored as `Other`).
    pub fn note_unknown_type(&mut self, name: &str) {
        match self.unknown_types.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                self.unknown_types.insert(name.to_owned(), 1);
            }
        }
    }

    /// Declares that this batch re-reads rows the store may already hold (an incremental
    /// refresh reads an overlap again so that rows committed late are not missed): a row whose
    /// id a row held before the batch has is dropped without a note in
    /// [`LoadNotes::duplicate_ids`]. Ids repeated within the batch are still noted.
    pub fn expect_rereads(&mut self) {
        self.rereads = true;
    }

    /// Rows appended by this batch so far.
    pub fn pushed(&self) -> usize {
        self.store.len() - self.start
    }

    /// Removes every row this batch appended and restores the load notes, so a read that fails
    /// half-way leaves the store as it was (interned strings stay, unused). The batch stays open.
    pub fn discard(&mut self) {
        self.store.truncate_rows(self.start);
        self.store.notes = self.notes_before.clone();
        self.unknown_types.clear();
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        let counted = std::mem::take(&mut self.unknown_types)
            .into_iter()
            .collect();
        self.store.merge_unknown_types(counted);
        self.store.drop_duplicate_ids(self.start, self.rereads);
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

    /// Everything a store holds, with strings resolved (stores built differently intern
    /// differently), for comparing two stores.
    fn snapshot(store: &EventStore) -> Vec<String> {
        let text = |sym: Sym| store.text(sym).map(str::to_owned);
        let mut rows: Vec<String> = (0..store.len())
            .map(|i| {
                format!(
                    "{} {} {:?} {} {} {:?} {:?}",
                    store.id[i],
                    store.created_at[i],
                    store.processing_time_ms[i].to_bits(),
                    store.event_type[i],
                    store.flags[i],
                    text(store.label[i]),
                    text(store.cache_key[i]),
                )
            })
            .collect();
        rows.extend(store.errors.iter().map(|e| {
            format!(
                "error {} {:?} {:?}",
                store.id[e.row as usize],
                text(e.error_type),
                text(e.error_message)
            )
        }));
        rows.extend(store.breaker.iter().map(|b| {
            format!(
                "breaker {} {:?} {:?}",
                store.id[b.row as usize],
                text(b.failure_count),
                text(b.success_count)
            )
        }));
        rows.extend(
            store
                .flags_json
                .iter()
                .map(|(row, json)| format!("flags {} {json}", store.id[*row as usize])),
        );
        rows.push(format!("{:?}", store.notes));
        rows
    }

    /// Rows 1..=n, ids in order, times mostly in order with a few late ones, and sparse details.
    fn rows(n: i64) -> Vec<EventRow<'static>> {
        (1..=n)
            .map(|id| {
                // Every 7th row was logged late: its time is before its predecessors'.
                let at = if id % 7 == 0 { id * 10 - 25 } else { id * 10 };
                let mut r = row(id, at, if id % 3 == 0 { "/a" } else { "/b" });
                r.details.error_type = (id % 4 == 0).then_some(Cow::Borrowed("Timeout"));
                if id % 5 == 0 {
                    r.event_type = EventType::CircuitBreakerStateChange;
                    r.details.state = Some(Cow::Borrowed("open"));
                    r.details.failure_count = Some(Cow::Owned(id.to_string()));
                }
                if id % 11 == 0 {
                    r.event_type = EventType::FeatureFlagsLoaded;
                    r.details.flags_json = Some(format!("{{\"n\": {id}}}"));
                }
                r
            })
            .collect()
    }

    /// Appending `rows` in batches of the given sizes gives the same store as one batch.
    fn check_append(n: i64, batches: &[usize]) {
        let all = rows(n);
        let mut whole = EventStore::new();
        whole.extend(all.clone());
        let mut store = EventStore::new();
        let mut rest = all.as_slice();
        for &size in batches {
            let (now, later) = rest.split_at(size.min(rest.len()));
            store.extend(now.iter().cloned());
            rest = later;
        }
        store.extend(rest.iter().cloned());
        assert_eq!(snapshot(&store), snapshot(&whole), "batches {batches:?}");
    }

    #[test]
    fn appending_in_batches_equals_one_batch() {
        check_append(100, &[]);
        check_append(100, &[50]);
        check_append(100, &[99]);
        check_append(100, &[90, 3, 1, 1]);
        check_append(100, &[10, 10, 10, 10, 10, 10, 10, 10, 10]);
        check_append(3, &[1, 1]);
    }

    #[test]
    fn retain_from_drops_what_left_the_window() {
        let all = rows(60);
        for from in [i64::MIN, 0, 10, 95, 300, 301, 598, 600, 10_000] {
            let mut store = EventStore::new();
            store.extend(all.clone());
            // What stays: the rows from `from` on and the newest breaker transition before it.
            let prior = all
                .iter()
                .filter(|r| {
                    r.event_type == EventType::CircuitBreakerStateChange && r.created_at < from
                })
                .max_by_key(|r| (r.created_at, r.id));
            let mut kept = EventStore::new();
            kept.extend(
                all.iter()
                    .filter(|r| r.created_at >= from)
                    .chain(prior)
                    .cloned(),
            );
            let dropped = store.retain_from(from);
            assert_eq!(dropped, all.len() - kept.len(), "from {from}");
            // Notes count what was loaded; the rest must be exactly the rows kept.
            assert_eq!(snapshot(&store), snapshot(&kept), "from {from}");
            let first = usize::from(prior.is_some());
            assert_eq!(
                store.rows_in(from, i64::MAX),
                first..store.len(),
                "from {from}"
            );
        }
    }

    /// A window of `window` rows moving on for `rounds` refreshes of `step` new rows each, every
    /// row with a cache key of its own: memory once the window is full stays within `growth`
    /// of the first full window's (plus the string table's floor of 1,024 strings), and the
    /// rows and their texts are the window's.
    fn check_moving_window(window: i64, step: i64, rounds: i64, growth: f64) {
        let keyed = |id: i64| {
            let mut r = row(id, id * 10, if id % 3 == 0 { "/a" } else { "/b" });
            r.cache_key = Some(Cow::Owned(format!("key-{id}")));
            r.details.error_message = (id % 5 == 0).then(|| Cow::Owned(format!("boom {id}")));
            r
        };
        let mut store = EventStore::new();
        let mut full = None;
        let mut last = 0;
        for round in 0..rounds {
            store.extend((last + 1..=last + step).map(keyed));
            last += step;
            store.retain_from((last - window + 1) * 10);
            // The window (`window` rows) is full from round `window / step` on.
            if round == window / step {
                full = Some(store.heap_bytes());
            }
            if let Some(full) = full {
                let now = store.heap_bytes();
                assert!(
                    now as f64 <= growth * full as f64 + 128.0 * 1024.0,
                    "round {round}: {now} bytes, {full} when the window filled"
                );
                assert!(store.symbol_count() <= 2 * (2 * window as usize) + 1024 + 2);
            }
        }
        let case = format!("window {window}, step {step}, {rounds} rounds");
        assert_eq!(store.len() as i64, window, "{case}");
        assert_eq!(store.ids()[0], last - window + 1, "{case}");
        for i in 0..store.len() {
            let id = store.id[i];
            assert_eq!(
                store.cache_key_text(i),
                Some(format!("key-{id}").as_str()),
                "{case}"
            );
            let want = if id % 3 == 0 { "/a" } else { "/b" };
            assert_eq!(store.label_text(i), Some(want), "{case}");
        }
        for e in &store.errors {
            let id = store.id[e.row as usize];
            assert_eq!(
                store.text(e.error_message),
                Some(format!("boom {id}").as_str())
            );
        }
    }

    #[test]
    fn a_moving_window_frees_the_space_of_the_rows_it_drops() {
        check_moving_window(1, 1, 3_000, 2.5);
        check_moving_window(2_000, 100, 200, 2.5);
        check_moving_window(10_000, 700, 100, 2.5);
        check_moving_window(5_000, 5_000, 20, 2.5);
    }

    #[test]
    fn discard_leaves_the_store_as_it_was() {
        let mut store = EventStore::new();
        store.extend(rows(30));
        let before = snapshot(&store);
        {
            let mut batch = store.batch();
            for r in rows(45).iter().skip(30) {
                batch.push(r);
            }
            batch.note_unknown_type("weird");
            assert_eq!(batch.pushed(), 15);
            batch.discard();
            assert_eq!(batch.pushed(), 0);
        }
        assert_eq!(snapshot(&store), before);
    }

    #[test]
    fn unknown_types_are_counted_by_name_in_order() {
        let mut store = EventStore::new();
        let mut batch = store.batch();
        for name in ["weird", "Odd", "weird", "", "weird", "Odd"] {
            batch.note_unknown_type(name);
        }
        drop(batch);
        let got: Vec<(&str, u64)> = store
            .load_notes()
            .unknown_event_types
            .iter()
            .map(|(t, n)| (t.as_str(), *n))
            .collect();
        assert_eq!(got, [("", 1), ("Odd", 2), ("weird", 3)]);
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

    #[test]
    fn duplicate_ids_count_once_and_are_noted() {
        let mut store = EventStore::new();
        // Within one batch, out of order, and again in a later batch.
        store.extend([
            row(2, 20, "/a"),
            row(1, 10, "/b"),
            row(2, 25, "/c"),
            row(3, 30, "/d"),
        ]);
        assert_eq!(store.ids(), [1, 2, 3]);
        assert_eq!(store.created_at(), [10, 20, 30]);
        store.extend([row(3, 5, "/e"), row(4, 40, "/f")]);
        assert_eq!(store.ids(), [1, 2, 3, 4]);
        let notes = store.load_notes();
        assert_eq!(notes.duplicate_ids, 2);
        assert_eq!(notes.duplicate_id_examples, [2, 3]);
        // New ids above every held one (a refresh): nothing dropped.
        store.extend([row(6, 50, "/g"), row(5, 45, "/h")]);
        assert_eq!(store.len(), 6);
        assert_eq!(store.load_notes().duplicate_ids, 2);
    }

    /// A store of rows `held`, then one batch of `appended` (ids; times follow the ids), with or
    /// without `expect_rereads`: the ids kept and the duplicates noted.
    fn check_reread(held: &[i64], appended: &[i64], rereads: bool, ids: &[i64], noted: u64) {
        let mut store = EventStore::new();
        store.extend(held.iter().map(|&id| row(id, id * 10, "/a")));
        {
            let mut batch = store.batch();
            if rereads {
                batch.expect_rereads();
            }
            for &id in appended {
                batch.push(&row(id, id * 10, "/b"));
            }
        }
        let case = format!("held {held:?}, appended {appended:?}, rereads {rereads}");
        assert_eq!(store.ids(), ids, "{case}");
        assert_eq!(store.load_notes().duplicate_ids, noted, "{case}");
        // The held row wins: its label is the held one.
        for (i, id) in store.ids().iter().enumerate() {
            let want = if held.contains(id) { "/a" } else { "/b" };
            assert_eq!(store.label_text(i), Some(want), "{case}: id {id}");
        }
        // Sparse details follow their rows (row 2 has an error type).
        let error_rows: Vec<i64> = store
            .errors
            .iter()
            .map(|e| store.id[e.row as usize])
            .collect();
        let want: Vec<i64> = store.ids().iter().copied().filter(|&id| id == 2).collect();
        assert_eq!(error_rows, want, "{case}");
    }

    #[test]
    fn a_refresh_rereads_its_overlap_without_noting_duplicates() {
        // Nothing held, nothing appended, no overlap.
        check_reread(&[], &[], true, &[], 0);
        check_reread(&[1, 2, 3], &[4, 5], true, &[1, 2, 3, 4, 5], 0);
        // The overlap re-read, with a late row (4) among the new ones.
        check_reread(
            &[1, 2, 3, 5],
            &[2, 3, 4, 5, 6],
            true,
            &[1, 2, 3, 4, 5, 6],
            0,
        );
        // Out of order on the wire (streams per type).
        check_reread(&[1, 2, 3, 5], &[6, 3, 4, 2], true, &[1, 2, 3, 4, 5, 6], 0);
        // Only re-read rows: nothing new.
        check_reread(&[1, 2, 3], &[1, 2, 3], true, &[1, 2, 3], 0);
        // Without the declaration a repeated held id is a data problem, as before.
        check_reread(&[1, 2, 3, 5], &[2, 3, 4], false, &[1, 2, 3, 4, 5], 2);
        // An id repeated within the batch is one either way.
        check_reread(&[1, 2], &[3, 3, 4], true, &[1, 2, 3, 4], 1);
        check_reread(&[1, 2], &[2, 2, 4], true, &[1, 2, 4], 1);
    }

    #[test]
    fn many_distinct_unknown_types_merge_sorted() {
        let mut store = EventStore::new();
        let names: Vec<String> = (0..20_000).rev().map(|i| format!("t{i:05}")).collect();
        {
            let mut batch = store.batch();
            for n in &names {
                batch.note_unknown_type(n);
            }
        }
        {
            let mut batch = store.batch();
            batch.note_unknown_type("t00007");
        }
        let types = &store.load_notes().unknown_event_types;
        assert_eq!(types.len(), 20_000);
        assert!(types.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(types[7], ("t00007".to_owned(), 2));
    }
}
