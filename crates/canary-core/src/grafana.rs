//! The guide's "Option 3", a Grafana dashboard, generated from the console's own definitions.
//!
//! [`dashboard`] returns the classic dashboard JSON model that Grafana 10 and 11 import
//! (Dashboards → New → Import): an `__inputs` entry asks the importing user for their PostgreSQL
//! data source, and every panel queries `observability_events` directly with the guide's SQL,
//! bucketed with Grafana's `$__timeGroupAlias` and limited with `$__timeFilter`. The panels are
//! the console's main charts: latency P50/P95/P99, error rate, cache hit rate, mem0 write
//! success and the circuit breaker's state. Each rate and latency panel draws the alert rules'
//! thresholds as threshold lines, read from the rule table handed in (the console passes
//! [`crate::alerts::default_rules`]), so Grafana and the console alert at the same values.
//!
//! The SQL computes what the console computes: rates as the guide's
//! `COUNT(CASE WHEN … THEN 1 END)::float / COUNT(*) * 100`, latency percentiles as
//! `percentile_cont` over the finite latencies (the console keeps NaN and infinite values out of
//! its metrics, and SQL's `percentile_cont` would sort NaN last and count it), and the breaker's
//! state as its latest transition (closed where there is none before the range).

use serde_json::{json, Value};

use crate::alerts::{Comparator, Level, Rule, WindowedMetric};

/// The name of the dashboard's data source input; panels refer to it as `${DS_CANARY}`.
pub const DATASOURCE_INPUT: &str = "DS_CANARY";

/// The PostgreSQL data source's plugin id. Grafana 10.3 renamed the plugin to
/// `grafana-postgresql-datasource` and keeps `postgres` as its alias, so this id imports into
/// every Grafana 10 and 11.
const POSTGRES_PLUGIN: &str = "postgres";

/// The smallest bucket a panel asks for: the console's charts and alert samples are per minute.
const MIN_INTERVAL: &str = "1m";

/// One time-series panel of the dashboard.
struct PanelSpec {
    title: &'static str,
    description: &'static str,
    unit: &'static str,
    /// The rules whose thresholds are drawn as lines.
    metrics: &'static [WindowedMetric],
    sql: String,
    /// Axis limits for percentages.
    range: Option<(f64, f64)>,
}

/// The finite latencies (excludes NULL, NaN and ±Infinity: NaN compares greater than every
/// number in PostgreSQL, so it fails `< 'Infinity'`).
const FINITE_LATENCY: &str =
    "processing_time_ms > '-Infinity'::float8 AND processing_time_ms < 'Infinity'::float8";

/// A rate per bucket: `COUNT(CASE WHEN <hit> THEN 1 END)::float / COUNT(*) * 100` over one type.
fn rate_sql(event_type: &str, hit: &str, column: &str) -> String {
    format!(
        "SELECT\n  $__timeGroupAlias(created_at, $__interval),\n  \
         COUNT(CASE WHEN {hit} THEN 1 END)::float / COUNT(*) * 100 AS {column}\n\
         FROM observability_events\n\
         WHERE event_type = '{event_type}'\n  AND $__timeFilter(created_at)\n\
         GROUP BY 1\nORDER BY 1"
    )
}

fn latency_sql() -> String {
    format!(
        "SELECT\n  $__timeGroupAlias(created_at, $__interval),\n  \
         percentile_cont(0.5) WITHIN GROUP (ORDER BY processing_time_ms) AS p50_ms,\n  \
         percentile_cont(0.95) WITHIN GROUP (ORDER BY processing_time_ms) AS p95_ms,\n  \
         percentile_cont(0.99) WITHIN GROUP (ORDER BY processing_time_ms) AS p99_ms\n\
         FROM observability_events\n\
         WHERE event_type = 'request_completed'\n  AND $__timeFilter(created_at)\n  \
         AND {FINITE_LATENCY}\n\
         GROUP BY 1\nORDER BY 1"
    )
}

/// The breaker's state as a number (0 closed, 1 half open, 2 open): each transition in the
/// range, plus the state at the range's start (the latest transition before it, or closed).
fn breaker_sql() -> String {
    let state = "CASE details->>'state' WHEN 'closed' THEN 0 WHEN 'half_open' THEN 1 \
                 WHEN 'open' THEN 2 END";
    format!(
        "SELECT $__timeFrom()::timestamptz AS \"time\",\n  COALESCE((\n    SELECT {state}\n    \
         FROM observability_events\n    \
         WHERE event_type = 'circuit_breaker_state_change' AND created_at < $__timeFrom()\n    \
         ORDER BY created_at DESC, id DESC\n    LIMIT 1\n  ), 0) AS breaker_state\n\
         UNION ALL\n\
         SELECT created_at AS \"time\", {state} AS breaker_state\n\
         FROM observability_events\n\
         WHERE event_type = 'circuit_breaker_state_change'\n  AND $__timeFilter(created_at)\n\
         ORDER BY 1"
    )
}

fn panel_specs() -> Vec<PanelSpec> {
    vec![
        PanelSpec {
            title: "Latency P50 / P95 / P99",
            description: "percentile_cont of processing_time_ms over request_completed, per bucket",
            unit: "ms",
            metrics: &[WindowedMetric::P50Latency, WindowedMetric::P95Latency],
            sql: latency_sql(),
            range: None,
        },
        PanelSpec {
            title: "Error rate",
            description: "Failed requests (success = false) of all request_completed, per bucket",
            unit: "percent",
            metrics: &[WindowedMetric::ErrorRate],
            sql: rate_sql("request_completed", "success = false", "error_rate_pct"),
            range: Some((0.0, 100.0)),
        },
        PanelSpec {
            title: "Cache hit rate",
            description: "Hits (cache_hit = true) of all cache_access events, per bucket",
            unit: "percent",
            metrics: &[WindowedMetric::CacheHitRate],
            sql: rate_sql("cache_access", "cache_hit = true", "hit_rate_pct"),
            range: Some((0.0, 100.0)),
        },
        PanelSpec {
            title: "mem0 write success",
            description: "Successful (success = true) of all mem0_write events, per bucket",
            unit: "percent",
            metrics: &[WindowedMetric::Mem0WriteSuccess],
            sql: rate_sql("mem0_write", "success = true", "success_rate_pct"),
            range: Some((0.0, 100.0)),
        },
    ]
}

/// Grafana's colour for an alert level.
fn level_colour(level: Level) -> &'static str {
    match level {
        Level::Warning => "yellow",
        Level::Critical => "red",
        Level::Emergency => "purple",
    }
}

/// The threshold steps of `rules` (all of one direction per metric): Grafana colours a value with
/// the last step at or below it, so rules that breach above a threshold add their colour from
/// the threshold up over a green base, and rules that breach below one colour from the threshold
/// down (the base takes the most severe rule's colour, each threshold the next milder one's).
fn threshold_steps(rules: &[&Rule]) -> Vec<Value> {
    let mut above: Vec<&Rule> = rules
        .iter()
        .copied()
        .filter(|r| r.comparator == Comparator::Above)
        .collect();
    let mut below: Vec<&Rule> = rules
        .iter()
        .copied()
        .filter(|r| r.comparator == Comparator::Below)
        .collect();
    above.sort_by(|a, b| a.threshold.total_cmp(&b.threshold));
    below.sort_by(|a, b| a.threshold.total_cmp(&b.threshold));
    let mut steps = Vec::new();
    if below.is_empty() {
        steps.push(json!({ "color": "green", "value": null }));
    } else {
        steps.push(json!({ "color": level_colour(below[0].level), "value": null }));
        for (i, rule) in below.iter().enumerate() {
            let colour = below.get(i + 1).map_or("green", |r| level_colour(r.level));
            steps.push(json!({ "color": colour, "value": rule.threshold }));
        }
    }
    for rule in above {
        steps.push(json!({ "color": level_colour(rule.level), "value": rule.threshold }));
    }
    steps
}

fn datasource() -> Value {
    json!({ "type": POSTGRES_PLUGIN, "uid": format!("${{{DATASOURCE_INPUT}}}") })
}

fn target(sql: &str) -> Value {
    json!({
        "refId": "A",
        "datasource": datasource(),
        "editorMode": "code",
        "format": "time_series",
        "rawQuery": true,
        "rawSql": sql,
    })
}

fn grid(index: usize) -> Value {
    json!({ "h": 9, "w": 12, "x": (index % 2) * 12, "y": (index / 2) * 9 })
}

fn rate_panel(id: usize, spec: &PanelSpec, rules: &[Rule]) -> Value {
    let mine: Vec<&Rule> = rules
        .iter()
        .filter(|r| spec.metrics.contains(&r.metric))
        .collect();
    let lines: Vec<String> = mine.iter().map(|r| r.describe()).collect();
    let description = if lines.is_empty() {
        spec.description.to_owned()
    } else {
        format!(
            "{}. Threshold lines: {} ({} level).",
            spec.description,
            lines.join("; "),
            mine.iter()
                .map(|r| r.level.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut defaults = json!({
        "unit": spec.unit,
        "decimals": 2,
        "color": { "mode": "palette-classic" },
        "thresholds": { "mode": "absolute", "steps": threshold_steps(&mine) },
        "custom": {
            "drawStyle": "line",
            "lineWidth": 1,
            "spanNulls": false,
            "showPoints": "never",
            "thresholdsStyle": { "mode": if mine.is_empty() { "off" } else { "line" } },
        },
    });
    if let Some((min, max)) = spec.range {
        defaults["min"] = json!(min);
        defaults["max"] = json!(max);
    }
    json!({
        "id": id,
        "type": "timeseries",
        "title": spec.title,
        "description": description,
        "datasource": datasource(),
        "interval": MIN_INTERVAL,
        "gridPos": grid(id - 1),
        "fieldConfig": { "defaults": defaults, "overrides": [] },
        "options": {
            "legend": { "displayMode": "list", "placement": "bottom", "showLegend": true },
            "tooltip": { "mode": "multi", "sort": "none" },
        },
        "targets": [target(&spec.sql)],
    })
}

fn breaker_panel(id: usize) -> Value {
    let mapping = |value: &str, text: &str, colour: &str, index: usize| json!({ value: { "text": text, "color": colour, "index": index } });
    let mut options = serde_json::Map::new();
    for (i, (value, text, colour)) in [
        ("0", "closed", "green"),
        ("1", "half_open", "yellow"),
        ("2", "open", "red"),
    ]
    .into_iter()
    .enumerate()
    {
        if let Value::Object(entry) = mapping(value, text, colour, i) {
            options.extend(entry);
        }
    }
    json!({
        "id": id,
        "type": "timeseries",
        "title": "Circuit breaker state",
        "description": "The breaker's state after each transition (0 closed, 1 half_open, 2 open); the console warns when it leaves closed and is critical while it is open.",
        "datasource": datasource(),
        "interval": MIN_INTERVAL,
        "gridPos": grid(id - 1),
        "fieldConfig": {
            "defaults": {
                "min": 0,
                "max": 2,
                "decimals": 0,
                "mappings": [{ "type": "value", "options": options }],
                "color": { "mode": "thresholds" },
                "thresholds": { "mode": "absolute", "steps": [
                    { "color": "green", "value": null },
                    { "color": "yellow", "value": 1 },
                    { "color": "red", "value": 2 },
                ] },
                "custom": {
                    "drawStyle": "line",
                    "lineInterpolation": "stepAfter",
                    "lineWidth": 2,
                    "showPoints": "always",
                    "spanNulls": true,
                    "thresholdsStyle": { "mode": "off" },
                },
            },
            "overrides": [],
        },
        "options": {
            "legend": { "displayMode": "list", "placement": "bottom", "showLegend": false },
            "tooltip": { "mode": "single", "sort": "none" },
        },
        "targets": [target(&breaker_sql())],
    })
}

/// The dashboard titled `title`, with threshold lines from `rules`.
pub fn dashboard(title: &str, rules: &[Rule]) -> Value {
    let mut panels: Vec<Value> = panel_specs()
        .iter()
        .enumerate()
        .map(|(i, spec)| rate_panel(i + 1, spec, rules))
        .collect();
    panels.push(breaker_panel(panels.len() + 1));
    json!({
        "__inputs": [{
            "name": DATASOURCE_INPUT,
            "label": "PostgreSQL with observability_events",
            "description": "The database the service logs its events to (a read-only role is enough)",
            "type": "datasource",
            "pluginId": POSTGRES_PLUGIN,
            "pluginName": "PostgreSQL",
        }],
        "__requires": [
            { "type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0" },
            { "type": "datasource", "id": POSTGRES_PLUGIN, "name": "PostgreSQL", "version": "1.0.0" },
            { "type": "panel", "id": "timeseries", "name": "Time series", "version": "" },
        ],
        "id": null,
        "uid": "canary-console",
        "title": title,
        "description": "Canary Console's main panels over observability_events, with the alert thresholds of the console's rule table",
        "tags": ["canary"],
        "editable": true,
        "graphTooltip": 1,
        "timezone": "utc",
        "time": { "from": "now-24h", "to": "now" },
        "refresh": "1m",
        "schemaVersion": 39,
        "version": 1,
        "annotations": { "list": [] },
        "templating": { "list": [] },
        "links": [],
        "panels": panels,
    })
}

/// [`dashboard`] as the pretty-printed JSON a user saves and imports.
pub fn dashboard_json(title: &str, rules: &[Rule]) -> String {
    let mut text = serde_json::to_string_pretty(&dashboard(title, rules))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// The title of a dashboard made ahead of time, to be given its real title by [`retitle`].
pub const TEMPLATE_TITLE: &str = "Canary Console";

/// [`dashboard_json`]'s text made with [`TEMPLATE_TITLE`], with `title` in its place instead:
/// equal to `dashboard_json(title, rules)`. The page ships the dashboard of its one rule table
/// as text made when it is built, so none of the code that assembles it is in the bundle.
pub fn retitle(template: &str, title: &str) -> String {
    // Top-level keys are indented two spaces; the panels' titles are nested deeper.
    let line = |t: &str| format!("\n  \"title\": {},\n", serde_json::Value::from(t));
    template.replacen(&line(TEMPLATE_TITLE), &line(title), 1)
}

/// The dashboard's title for a rollout `name`.
pub fn dashboard_title(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let name = name.trim();
    if name.is_empty() {
        TEMPLATE_TITLE.to_owned()
    } else {
        format!("Canary Console: {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::default_rules;

    fn steps_of(panel: &Value) -> Vec<(Option<f64>, String)> {
        panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["value"].as_f64(), s["color"].as_str().unwrap().to_owned()))
            .collect()
    }

    fn check(title: &str, expected: &[(Option<f64>, &str)]) {
        let d = dashboard("t", &default_rules());
        let panel = d["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == title)
            .unwrap_or_else(|| panic!("no panel {title}"));
        let expected: Vec<(Option<f64>, String)> = expected
            .iter()
            .map(|(v, c)| (*v, (*c).to_owned()))
            .collect();
        assert_eq!(steps_of(panel), expected, "{title}");
    }

    #[test]
    fn thresholds_come_from_the_rule_table() {
        check(
            "Latency P50 / P95 / P99",
            &[
                (None, "green"),
                (Some(400.0), "yellow"),
                (Some(500.0), "red"),
                (Some(1000.0), "purple"),
                (Some(1500.0), "red"),
            ],
        );
        check(
            "Error rate",
            &[
                (None, "green"),
                (Some(1.0), "yellow"),
                (Some(2.0), "red"),
                (Some(5.0), "purple"),
            ],
        );
        check(
            "Cache hit rate",
            &[(None, "red"), (Some(90.0), "yellow"), (Some(95.0), "green")],
        );
        check(
            "mem0 write success",
            &[
                (None, "purple"),
                (Some(90.0), "red"),
                (Some(95.0), "yellow"),
                (Some(99.0), "green"),
            ],
        );
    }

    #[test]
    fn a_changed_rule_moves_its_line() {
        let mut rules = default_rules();
        for r in rules
            .iter_mut()
            .filter(|r| r.metric == WindowedMetric::ErrorRate && r.level == Level::Warning)
        {
            r.threshold = 1.5;
        }
        let d = dashboard("t", &rules);
        let steps = steps_of(&d["panels"][1]);
        assert_eq!(steps[1], (Some(1.5), "yellow".to_owned()));
        // No rules: no lines.
        let d = dashboard("t", &[]);
        assert_eq!(
            d["panels"][1]["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"],
            "off"
        );
    }

    #[test]
    fn a_template_retitled_equals_the_dashboard_made_with_the_title() {
        let rules = default_rules();
        let template = dashboard_json(TEMPLATE_TITLE, &rules);
        for name in [
            "",
            "mem0-redis",
            "Canary Console",
            "quote \" backslash \\ slash /",
            "tab\tnewline\n\u{7}bell",
            "\u{202e}bidi ünïcødé 🚦",
            "\"title\": \"x\",",
        ] {
            let title = dashboard_title(name);
            assert_eq!(
                retitle(&template, &title),
                dashboard_json(&title, &rules),
                "{title:?}"
            );
        }
    }

    #[test]
    fn every_panel_queries_the_chosen_data_source() {
        let d = dashboard(&dashboard_title("mem0-redis"), &default_rules());
        assert_eq!(d["title"], "Canary Console: mem0-redis");
        assert_eq!(d["__inputs"][0]["name"], DATASOURCE_INPUT);
        let panels = d["panels"].as_array().unwrap();
        assert_eq!(panels.len(), 5);
        for p in panels {
            assert_eq!(p["datasource"]["uid"], "${DS_CANARY}");
            let target = &p["targets"][0];
            assert_eq!(target["datasource"]["uid"], "${DS_CANARY}");
            assert_eq!(target["format"], "time_series");
            let sql = target["rawSql"].as_str().unwrap();
            assert!(sql.contains("$__timeFilter(created_at)"), "{sql}");
        }
        assert_eq!(dashboard_title(" \n"), "Canary Console");
    }
}
