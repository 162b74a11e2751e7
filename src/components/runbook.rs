//! The guide's troubleshooting steps beside each failing metric.
//!
//! The steps are the guide's "Troubleshooting Quick Reference", word for word; P95 latency shares
//! the P50 steps, a cache stampede the cache steps, and Redis memory gets the guide's Redis
//! health levels and its pointer to the Redis OOM runbook.

use std::sync::Arc;

use canary_core::alerts::MetricId;
use canary_core::phases::PhaseAssessment;
use leptos::prelude::*;

use canary_core::analysis::Analysis;

/// One section of the guide's troubleshooting reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunbookSection {
    Latency,
    ErrorRate,
    Cache,
    Mem0,
    CircuitBreaker,
    RedisMemory,
}

impl RunbookSection {
    /// The guide's heading of the section.
    pub fn title(self) -> &'static str {
        match self {
            RunbookSection::Latency => "If P50 Latency >500ms",
            RunbookSection::ErrorRate => "If Error Rate Increases",
            RunbookSection::Cache => "If Cache Hit Rate <95%",
            RunbookSection::Mem0 => "If mem0 Success <99%",
            RunbookSection::CircuitBreaker => "If Circuit Breaker Opens",
            RunbookSection::RedisMemory => "If Redis memory is high or keys are evicted",
        }
    }

    /// The guide's steps, in order.
    pub fn steps(self) -> &'static [&'static str] {
        match self {
            RunbookSection::Latency => &[
                "Check cache hit rate (should be >95%)",
                "Check Redis health (memory, ops/sec)",
                "Check database query time",
                "Consider: Reduce CANARY_SAMPLE_RATE to 0.05",
            ],
            RunbookSection::ErrorRate => &[
                "Check error types in logs",
                "Check circuit breaker status",
                "Check external service health (mem0, Supabase)",
                "Consider: Immediate rollback if >2%",
            ],
            RunbookSection::Cache => &[
                "Check for cache stampede patterns",
                "Check Redis memory usage",
                "Verify generation token logic",
                "Consider: Manual cache warming",
            ],
            RunbookSection::Mem0 => &[
                "Check circuit breaker status",
                "Verify MEM0_API_KEY validity",
                "Check mem0 service status",
                "Follow Circuit Breaker runbook if open",
            ],
            RunbookSection::CircuitBreaker => &[
                "IMMEDIATE ACTION REQUIRED",
                "Follow OPERATIONAL_RUNBOOKS.md → Circuit Breaker section",
                "Do NOT attempt manual reset without investigation",
                "Prepare for potential rollback",
            ],
            RunbookSection::RedisMemory => &[
                "used_memory should be <80% of maxmemory; evicted_keys should be 0",
                "Critical: Memory >80% → Plan scaling",
                "Emergency: Memory >90% or evictions >0 → Follow Redis OOM runbook (docs/OPERATIONAL_RUNBOOKS.md)",
            ],
        }
    }

    /// Whether the guide marks the section as urgent.
    pub fn urgent(self) -> bool {
        matches!(
            self,
            RunbookSection::CircuitBreaker | RunbookSection::RedisMemory
        )
    }
}

/// The guide's section for a failing metric.
pub fn section_of(metric: MetricId) -> RunbookSection {
    match metric {
        MetricId::P50Latency | MetricId::P95Latency => RunbookSection::Latency,
        MetricId::ErrorRate => RunbookSection::ErrorRate,
        MetricId::CacheHitRate | MetricId::CacheStampede => RunbookSection::Cache,
        MetricId::Mem0WriteSuccess => RunbookSection::Mem0,
        MetricId::CircuitBreaker => RunbookSection::CircuitBreaker,
        MetricId::RedisMemory => RunbookSection::RedisMemory,
    }
}

/// The sections to show for the failing metrics, each once, most urgent first (breaker, Redis),
/// then in the guide's order; each with the failing metrics that call for it.
pub fn runbook_for(failing: &[MetricId]) -> Vec<(RunbookSection, Vec<MetricId>)> {
    let mut sections: Vec<(RunbookSection, Vec<MetricId>)> = Vec::new();
    for &m in failing {
        let s = section_of(m);
        match sections.iter_mut().find(|(t, _)| *t == s) {
            Some((_, ms)) => {
                if !ms.contains(&m) {
                    ms.push(m);
                }
            }
            None => sections.push((s, vec![m])),
        }
    }
    stdx::sort::sort_by_key(&mut sections, |(s, _)| (!s.urgent(), *s));
    sections
}

/// The guide's troubleshooting steps beside each failing metric.
#[component]
pub fn Runbook(
    /// The window's analysis (its firing alerts).
    #[prop(into)]
    analysis: Signal<Arc<Analysis>>,
    /// The phase's assessment (its failed criteria).
    #[prop(into)]
    assessment: Signal<Option<Arc<PhaseAssessment>>>,
) -> impl IntoView {
    // Metrics failing now: firing alerts or failed criteria.
    let sections = Memo::new(move |_| {
        runbook_for(&analysis.get().failing_metrics(assessment.get().as_deref()))
    });
    let body = move || {
        let sections = sections.get();
        if sections.is_empty() {
            return view! {
                <p class="empty-state" data-testid="runbook-empty">
                    <span class="status status-ok">"OK"</span>
                    " Nothing is failing: no runbook steps needed."
                </p>
            }
            .into_any();
        }
        let intro = view! {
            <p class="panel-note runbook-intro">
                "The guide's Troubleshooting Quick Reference for each metric with a firing alert or a failed phase criterion."
            </p>
        };
        let steps = sections
            .into_iter()
            .map(|(section, metrics)| {
                let names = metrics
                    .iter()
                    .map(|m| m.label())
                    .collect::<Vec<_>>()
                    .join(", ");
                view! {
                    <article class="runbook-section" class:urgent=section.urgent() data-section=format!("{section:?}")>
                        <h3>{section.title()}</h3>
                        <p class="runbook-why">
                            <span class="status status-bad">"failing"</span>
                            " "
                            {names}
                        </p>
                        <ol>
                            {section.steps().iter().map(|s| view! { <li>{*s}</li> }).collect_view()}
                        </ol>
                    </article>
                }
            })
            .collect_view();
        view! { {intro} {steps} }.into_any()
    };
    view! {
        <section class="panel runbook" data-testid="runbook">
            <h2>"Runbook"</h2>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MetricId::*;
    use RunbookSection as S;

    fn check(failing: &[MetricId], expected: &[(RunbookSection, &[MetricId])]) {
        let got = runbook_for(failing);
        let expected: Vec<(RunbookSection, Vec<MetricId>)> =
            expected.iter().map(|(s, m)| (*s, m.to_vec())).collect();
        assert_eq!(got, expected, "{failing:?}");
    }

    #[test]
    fn runbook_mapping_table() {
        check(&[], &[]);
        check(&[P50Latency], &[(S::Latency, &[P50Latency])]);
        // P95 shares the latency steps; one section for both.
        check(
            &[P50Latency, P95Latency],
            &[(S::Latency, &[P50Latency, P95Latency])],
        );
        check(&[P95Latency], &[(S::Latency, &[P95Latency])]);
        // A stampede is a cache problem.
        check(
            &[CacheStampede, CacheHitRate],
            &[(S::Cache, &[CacheStampede, CacheHitRate])],
        );
        check(&[ErrorRate], &[(S::ErrorRate, &[ErrorRate])]);
        check(&[Mem0WriteSuccess], &[(S::Mem0, &[Mem0WriteSuccess])]);
        // Urgent sections first, then the guide's order; duplicates once.
        check(
            &[
                ErrorRate,
                RedisMemory,
                P50Latency,
                CircuitBreaker,
                ErrorRate,
            ],
            &[
                (S::CircuitBreaker, &[CircuitBreaker]),
                (S::RedisMemory, &[RedisMemory]),
                (S::Latency, &[P50Latency]),
                (S::ErrorRate, &[ErrorRate]),
            ],
        );
    }

    #[test]
    fn every_section_has_the_guides_steps() {
        for s in [
            S::Latency,
            S::ErrorRate,
            S::Cache,
            S::Mem0,
            S::CircuitBreaker,
            S::RedisMemory,
        ] {
            assert!(s.steps().len() >= 3, "{s:?}");
        }
        assert!(S::RedisMemory
            .steps()
            .iter()
            .any(|s| s.contains("Redis OOM runbook")));
    }
}
