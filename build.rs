//! Makes the page's Grafana dashboard at build time, from the core's own function and the one
//! rule table the page uses, so the bundle carries the dashboard as text instead of the code
//! that assembles it (`canary_core::grafana::retitle` gives it the rollout's title).

use std::path::PathBuf;

fn main() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let text = canary_core::grafana::dashboard_json(
        canary_core::grafana::TEMPLATE_TITLE,
        &canary_core::alerts::default_rules(),
    );
    let path = out_dir.join("grafana-dashboard.json");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    println!("cargo::rerun-if-changed=build.rs");
}
