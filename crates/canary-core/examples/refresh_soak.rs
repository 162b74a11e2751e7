//! Soak benchmark of a live window: hours of one-minute refreshes with inserts, done the way
//! the page does them (copy the store, append the new rows and the overlap the refresh cursor
//! reads again, drop what left the window), measuring the heap after every refresh.
//!
//! ```text
//! cargo run --release -p canary-core --example refresh_soak            # 48 h at 1M events/day
//! cargo run --release -p canary-core --example refresh_soak -- 72 500000
//! ```
//!
//! Arguments: simulated hours (default 48) and events per day (default 1,000,000); the window
//! is the last 24 hours. It prints, every four simulated hours, the rows held, the store's own
//! count of its heap bytes and the process's live heap (a counting allocator), then the live
//! heap's spread once the window was full. The network is left out: rows arrive as a
//! PostgREST answer would bring them, the overlap included.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use canary_core::demo::{rows as demo_rows, DemoConfig};
use canary_core::event::{EventRow, Micros, MICROS_PER_HOUR};
use canary_core::supabase::refresh_cursor;
use canary_core::EventStore;

/// The system allocator, counting the bytes live and the most ever live.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MINUTE: Micros = MICROS_PER_HOUR / 60;
const WINDOW: Micros = 24 * MICROS_PER_HOUR;

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let mut args = std::env::args().skip(1);
    let hours: i64 = args.next().map_or(48, |a| a.parse().expect("hours"));
    let per_day: usize = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("events per day"));
    let config = DemoConfig {
        duration: hours * MICROS_PER_HOUR,
        ..DemoConfig::with_events(per_day)
    };
    let start = config.start;
    let mut rows = demo_rows(&config).peekable();
    // The last minutes of rows, for the overlap a refresh reads again.
    let mut recent: VecDeque<EventRow<'static>> = VecDeque::new();
    let mut store = EventStore::new();
    let mut last_started = start;
    let mut full_window: Vec<usize> = Vec::new();
    let (mut fetched, mut reread) = (0u64, 0u64);
    println!("[soak] {hours} h of one-minute refreshes, {per_day} events/day, 24 h window");
    println!("[soak] hour   rows held   store heap MB   live heap MB   peak MB");
    for minute in 1..=hours * 60 {
        let now = start + minute * MINUTE;
        // What the server has now.
        while let Some(row) = rows.next_if(|r| r.created_at < now) {
            recent.push_back(row);
        }
        while recent
            .front()
            .is_some_and(|r| r.created_at < now - 10 * MINUTE)
        {
            recent.pop_front();
        }
        // The refresh: a copy of the store shown, the rows above the cursor appended (the
        // held ones among them dropped), the window moved on; then the old copy goes.
        let cursor = refresh_cursor(&store, last_started);
        let mut next = store.clone();
        let mut answer = 0;
        {
            let mut batch = next.batch();
            batch.expect_rereads();
            for row in recent.iter().filter(|r| cursor.is_none_or(|c| r.id > c)) {
                batch.push(row);
                answer += 1;
            }
        }
        fetched += answer;
        reread += answer - (next.len() - store.len()) as u64;
        next.retain_from(now - WINDOW);
        store = next;
        last_started = now;
        assert_eq!(store.load_notes().duplicate_ids, 0);
        let live = LIVE.load(Relaxed);
        if minute * MINUTE > WINDOW + MICROS_PER_HOUR {
            full_window.push(live);
        }
        if minute % (4 * 60) == 0 {
            println!(
                "[soak] {:>4}   {:>9}   {:>13.1}   {:>12.1}   {:>7.1}",
                minute / 60,
                store.len(),
                mb(store.heap_bytes()),
                mb(live),
                mb(PEAK.load(Relaxed))
            );
        }
    }
    if let (Some(lo), Some(hi)) = (full_window.iter().min(), full_window.iter().max()) {
        println!(
            "[soak] live heap once the window was full ({} refreshes): {:.1} to {:.1} MB",
            full_window.len(),
            mb(*lo),
            mb(*hi)
        );
    }
    println!(
        "[soak] rows fetched {fetched}, of which read again by the overlap {reread} ({:.0} per refresh)",
        reread as f64 / (hours * 60) as f64
    );
}
