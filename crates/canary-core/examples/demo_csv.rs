//! Writes the demo data set scaled to N events (a day) as the table's CSV, for loading into
//! PostgreSQL with `\copy observability_events from … with (format csv, header true)` (the
//! page's Supabase benchmark in scripts/bench-browser.sh):
//!
//! ```text
//! cargo run --release -p canary-core --example demo_csv -- 1000000 > events.csv
//! ```

use std::io::Write as _;

use canary_core::demo::{rows, DemoConfig};
use canary_core::read::{csv_header, write_csv_row};

fn main() {
    let events: usize = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().expect("a number of events"));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut text = csv_header();
    for row in rows(&DemoConfig::with_events(events)) {
        write_csv_row(&mut text, &row);
        if text.len() > 1 << 20 {
            out.write_all(text.as_bytes()).expect("stdout");
            text.clear();
        }
    }
    out.write_all(text.as_bytes()).expect("stdout");
}
