//! The Supabase client's page readers (the per-type CSV streams, and JSON): every answer of a
//! paged read is the fuzzer's body, as PostgREST would send it with a 200 status.
#![no_main]

use canary_core::supabase::{PagedRead, ReadPlan, SupabaseConfig, WireFormat};
use canary_core::EventStore;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let format = if first & 1 == 0 { WireFormat::Csv } else { WireFormat::Json };
    let Ok(config) = SupabaseConfig::new("https://abc.supabase.co", "sb_publishable_fuzz") else {
        return;
    };
    let mut plan = ReadPlan::window(None, None);
    plan.format = format;
    let content_type = match format {
        WireFormat::Csv => "text/csv",
        WireFormat::Json => "application/json",
    };
    let mut read = PagedRead::new(&config, plan);
    let mut store = EventStore::new();
    let mut batch = store.batch();
    // Full pages ask for the next one: a few answers are enough to reach every reader.
    for _ in 0..12 {
        if read.next_request().is_none() {
            break;
        }
        let headers = [("Content-Type", content_type), ("Content-Range", "0-0/*")];
        if read.on_response(200, &headers, body, &mut batch).is_err() {
            break;
        }
    }
});
