//! Requests and P50/P95/P99 per endpoint, sortable by any column.

use std::cmp::Ordering;
use std::sync::Arc;

use canary_core::metrics::{EndpointLatency, Metrics};
use canary_core::summary::format_percentile_ms;
use leptos::prelude::*;

use super::show_if::ShowIf;

use super::panel_helpers::key_cell;

/// A column of the endpoint table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Endpoint,
    Requests,
    P50,
    P95,
    P99,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 5] = [
        Column::Endpoint,
        Column::Requests,
        Column::P50,
        Column::P95,
        Column::P99,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Endpoint => "Endpoint",
            Column::Requests => "Requests",
            Column::P50 => "P50",
            Column::P95 => "P95",
            Column::P99 => "P99",
        }
    }

    /// The direction a first click sorts in: names A to Z, numbers largest first.
    pub fn first_direction(self) -> Direction {
        match self {
            Column::Endpoint => Direction::Ascending,
            _ => Direction::Descending,
        }
    }
}

/// A sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

impl Direction {
    /// The `aria-sort` value.
    pub fn aria(self) -> &'static str {
        match self {
            Direction::Ascending => "ascending",
            Direction::Descending => "descending",
        }
    }
}

/// The table's order: a column and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortOrder {
    pub column: Column,
    pub direction: Direction,
}

impl Default for SortOrder {
    /// The guide's order: requests, most first.
    fn default() -> SortOrder {
        SortOrder {
            column: Column::Requests,
            direction: Direction::Descending,
        }
    }
}

impl SortOrder {
    /// The order after a click on `column`'s header: the other direction on the same column,
    /// the column's first direction on another.
    pub fn clicked(self, column: Column) -> SortOrder {
        if column == self.column {
            SortOrder {
                column,
                direction: match self.direction {
                    Direction::Ascending => Direction::Descending,
                    Direction::Descending => Direction::Ascending,
                },
            }
        } else {
            SortOrder {
                column,
                direction: column.first_direction(),
            }
        }
    }
}

/// How the endpoint is shown: SQL null as "(no endpoint)".
pub fn endpoint_label(endpoint: Option<&str>) -> &str {
    endpoint.unwrap_or("(no endpoint)")
}

/// Compares two optional values with missing ones (null endpoint, no percentile) always last.
fn missing_last<T>(
    a: Option<T>,
    b: Option<T>,
    direction: Direction,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => match direction {
            Direction::Ascending => cmp(&a, &b),
            Direction::Descending => cmp(&b, &a),
        },
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// `rows` in `order`; ties keep the given order (requests descending), missing values go last
/// in both directions.
pub fn sorted(rows: &[EndpointLatency], order: SortOrder) -> Vec<EndpointLatency> {
    let mut rows = rows.to_vec();
    let dir = order.direction;
    let float = |a: &f64, b: &f64| a.total_cmp(b);
    stdx::sort::sort_by(&mut rows, |a, b| match order.column {
        Column::Endpoint => {
            missing_last(a.endpoint.as_deref(), b.endpoint.as_deref(), dir, |x, y| {
                x.cmp(y)
            })
        }
        Column::Requests => missing_last(Some(a.requests), Some(b.requests), dir, u64::cmp),
        Column::P50 => missing_last(a.p50_ms, b.p50_ms, dir, float),
        Column::P95 => missing_last(a.p95_ms, b.p95_ms, dir, float),
        Column::P99 => missing_last(a.p99_ms, b.p99_ms, dir, float),
    });
    rows
}

/// Requests and P50/P95/P99 per endpoint, sortable by clicking (or pressing Enter or Space
/// on) any column header.
#[component]
pub fn EndpointTable(
    /// The window's metrics (only this panel's part is read).
    #[prop(into)]
    metrics: Signal<Arc<Metrics>>,
) -> impl IntoView {
    let order = RwSignal::new(SortOrder::default());
    // Latency by endpoint (requests descending), read through the one metrics signal every
    // data panel shares.
    let shown = Memo::new(move |_| sorted(&metrics.get().latency_by_endpoint, order.get()));
    let header = move |column: Column| {
        let numeric = column != Column::Endpoint;
        let aria_sort = move || {
            let o = order.get();
            if o.column == column {
                o.direction.aria()
            } else {
                "none"
            }
        };
        let arrow = move || {
            let o = order.get();
            match (o.column == column, o.direction) {
                (false, _) => "↕",
                (true, Direction::Ascending) => "▲",
                (true, Direction::Descending) => "▼",
            }
        };
        view! {
            <th scope="col" class:num=numeric aria-sort=aria_sort>
                <button
                    type="button"
                    class="sort-button"
                    data-column=column.title()
                    on:click=move |_| order.update(|o| *o = o.clicked(column))
                >
                    {column.title()}
                    <span class="sort-arrow" aria-hidden="true">{arrow}</span>
                </button>
            </th>
        }
    };
    view! {
        <section class="panel data-panel" data-testid="endpoint-table">
            <h2>"Latency by endpoint"</h2>
            <ShowIf
                when=move || !metrics.get().latency_by_endpoint.is_empty()
                fallback=|| view! { <p class="empty-note">"No requests in this window."</p> }
            >
                <div class="table-scroll" role="region" aria-label="Latency by endpoint" tabindex="0">
                    <table class="data-table">
                        <caption class="visually-hidden">
                            "Requests and latency percentiles per endpoint; the column buttons sort the table."
                        </caption>
                        <thead>
                            <tr>{Vec::from(Column::ALL.map(header))}</tr>
                        </thead>
                        <tbody>
                            {move || {
                                // Percentiles from the rollups carry their bound.
                                let bound = metrics.with(|m| m.window.percentile_relative_error);
                                let ms = move |v| format_percentile_ms(v, bound);
                                shown
                                    .get()
                                    .into_iter()
                                    .map(|row| {
                                        view! {
                                            <tr>
                                                {key_cell(row.endpoint, endpoint_label(None))}
                                                <td class="num">{row.requests}</td>
                                                <td class="num">{ms(row.p50_ms)}</td>
                                                <td class="num">{ms(row.p95_ms)}</td>
                                                <td class="num">{ms(row.p99_ms)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </tbody>
                    </table>
                </div>
            </ShowIf>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(endpoint: Option<&str>, requests: u64, p50: Option<f64>) -> EndpointLatency {
        EndpointLatency {
            endpoint: endpoint.map(str::to_owned),
            requests,
            p50_ms: p50,
            p95_ms: p50.map(|v| v * 2.0),
            p99_ms: p50.map(|v| 1000.0 - v),
        }
    }

    fn rows() -> Vec<EndpointLatency> {
        vec![
            row(Some("/api/chat"), 300, Some(250.0)),
            row(None, 200, Some(90.0)),
            row(Some("/health"), 100, Some(5.0)),
            row(Some("/api/appointments"), 100, None),
        ]
    }

    fn check(order: SortOrder, expected: &[&str]) {
        let got: Vec<&str> = sorted(&rows(), order)
            .iter()
            .map(|r| match r.endpoint.as_deref() {
                Some(e) => match e {
                    "/api/chat" => "chat",
                    "/health" => "health",
                    _ => "appointments",
                },
                None => "null",
            })
            .collect();
        assert_eq!(got, expected, "{order:?}");
    }

    #[test]
    fn sort_table() {
        use Column::*;
        use Direction::*;
        let by = |column, direction| SortOrder { column, direction };
        check(
            SortOrder::default(),
            &["chat", "null", "health", "appointments"],
        );
        // Ties keep the given order.
        check(
            by(Requests, Ascending),
            &["health", "appointments", "null", "chat"],
        );
        // Missing values last in both directions.
        check(
            by(Endpoint, Ascending),
            &["appointments", "chat", "health", "null"],
        );
        check(
            by(Endpoint, Descending),
            &["health", "chat", "appointments", "null"],
        );
        check(
            by(P50, Descending),
            &["chat", "null", "health", "appointments"],
        );
        check(
            by(P50, Ascending),
            &["health", "null", "chat", "appointments"],
        );
        check(
            by(P95, Ascending),
            &["health", "null", "chat", "appointments"],
        );
        check(
            by(P99, Ascending),
            &["chat", "null", "health", "appointments"],
        );
    }

    #[test]
    fn clicks_table() {
        let start = SortOrder::default();
        // Same column: flips; another column: its first direction.
        let flipped = start.clicked(Column::Requests);
        assert_eq!(flipped.direction, Direction::Ascending);
        assert_eq!(flipped.clicked(Column::Requests), start);
        assert_eq!(
            start.clicked(Column::Endpoint),
            SortOrder {
                column: Column::Endpoint,
                direction: Direction::Ascending
            }
        );
        assert_eq!(
            start.clicked(Column::P95),
            SortOrder {
                column: Column::P95,
                direction: Direction::Descending
            }
        );
    }

    #[test]
    fn null_endpoint_has_a_label() {
        assert_eq!(endpoint_label(None), "(no endpoint)");
        assert_eq!(endpoint_label(Some("/health")), "/health");
    }
}
