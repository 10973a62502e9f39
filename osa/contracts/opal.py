"""OPAL webhook contracts: the envelope, the common body and each of the nine agents' `agent_data`."""

from __future__ import annotations

from dataclasses import dataclass

from osa.contracts.spec import Contract, Field

SIGNATURE_HEADER = "X-OSA-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
EXECUTION_STATUSES = ("started", "running", "completed", "failed")
FINAL_STATUSES = ("completed", "failed")
PRIORITY_WORDS = ("high", "medium", "low")
SEVERITIES = ("low", "medium", "high", "critical")
IMPACTS = ("low", "medium", "high", "critical")
EFFORTS = ("low", "medium", "high")
RECOMMENDATION_CATEGORIES = ("content", "audience", "experimentation", "personalization", "technical")


@dataclass(frozen=True)
class AgentSla:
    max_execution_ms: int
    confidence_threshold: float


AGENT_SLAS: dict[str, AgentSla] = {
    "content_review": AgentSla(120_000, 0.80),
    "geo_audit": AgentSla(150_000, 0.85),
    "audience_suggester": AgentSla(180_000, 0.75),
    "experiment_blueprinter": AgentSla(300_000, 0.85),
    "personalization_idea_generator": AgentSla(240_000, 0.80),
    "roadmap_generator": AgentSla(360_000, 0.90),
    "integration_health": AgentSla(60_000, 0.95),
    "cmp_organizer": AgentSla(180_000, 0.80),
    "customer_journey": AgentSla(200_000, 0.80),
}
AGENT_IDS: tuple[str, ...] = tuple(AGENT_SLAS)

WORKFLOW_PAYLOAD = Contract(
    name="opal_workflow_payload",
    description="The JSON body of every OPAL webhook delivery.",
    fields=(
        Field("workflow_id", "string", min_length=1),
        Field("execution_id", "string", min_length=1),
        Field("execution_status", "string", enum=EXECUTION_STATUSES),
        Field("agent_id", "string", enum=AGENT_IDS),
        Field("agent_data", "object"),
        Field("metadata", "object"),
        Field("metadata.timestamp", "timestamp"),
        Field("metadata.execution_duration_ms", "integer", required=False, minimum=0),
        Field("metadata.confidence_score", "number", required=False, minimum=0, maximum=1),
        Field("metadata.data_sources", "string_list"),
        Field("correlation_id", "string", min_length=1),
    ),
)


def _score(path: str) -> Field:
    return Field(path, "number", minimum=0, maximum=100)


def _rate(path: str, required: bool = True) -> Field:
    return Field(path, "number", minimum=0, maximum=1, required=required)


AGENT_DATA: dict[str, Contract] = {
    "content_review": Contract(
        "content_review",
        (
            _score("content_quality_score"),
            _score("seo_optimization_score"),
            _score("readability_score"),
            Field("engagement_metrics", "object"),
            Field("engagement_metrics.avg_time_on_page", "number", minimum=0),
            _rate("engagement_metrics.bounce_rate"),
            _rate("engagement_metrics.conversion_rate"),
            Field("recommendations", "object_list"),
            Field("recommendations[].priority", "string", enum=PRIORITY_WORDS),
            Field("recommendations[].category", "string", min_length=1),
            Field("recommendations[].description", "string", min_length=1),
            Field("recommendations[].impact_estimate", "string", min_length=1),
        ),
        "Content quality, SEO and readability scores with prioritized recommendations.",
    ),
    "geo_audit": Contract(
        "geo_audit",
        (
            _score("overall_geo_score"),
            Field("regions_analyzed", "integer", minimum=0),
            Field("findings", "object_list"),
            Field("findings[].region", "string", pattern=r"[A-Z]{2}"),
            Field(
                "findings[].issue_type", "string", enum=("latency", "localization", "compliance", "seo", "content_gap")
            ),
            Field("findings[].severity", "string", enum=SEVERITIES),
            Field("findings[].description", "string", min_length=1),
            Field("findings[].affected_pages", "integer", minimum=0),
            Field("findings[].recommendation", "string", min_length=1),
        ),
        "Regional (country-level) delivery, localization and compliance findings.",
    ),
    "audience_suggester": Contract(
        "audience_suggester",
        (
            Field("suggested_segments", "object_list"),
            Field("suggested_segments[].segment_name", "string", min_length=1),
            Field("suggested_segments[].criteria", "object"),
            Field("suggested_segments[].estimated_size", "integer", minimum=0),
            _rate("suggested_segments[].confidence_score"),
            Field("suggested_segments[].potential_uplift", "number", minimum=0),
            Field("personalization_opportunities", "object_list"),
            Field("personalization_opportunities[].segment_id", "string", min_length=1),
            Field("personalization_opportunities[].content_type", "string", min_length=1),
            Field("personalization_opportunities[].strategy", "string", min_length=1),
            Field("personalization_opportunities[].expected_impact", "number", minimum=0),
        ),
        "Audience segments with size and uplift, and personalization opportunities per segment.",
    ),
    "experiment_blueprinter": Contract(
        "experiment_blueprinter",
        (
            Field("experiments", "object_list"),
            Field("experiments[].experiment_name", "string", min_length=1),
            Field("experiments[].hypothesis", "string", min_length=1),
            Field("experiments[].primary_metric", "string", min_length=1),
            Field("experiments[].variations", "integer", minimum=2),
            _rate("experiments[].traffic_allocation"),
            _rate("experiments[].min_detectable_effect"),
            Field("experiments[].estimated_duration_days", "integer", minimum=1),
            Field("experiments[].required_sample_size", "integer", minimum=1),
            Field("experiments[].priority", "integer", minimum=1, maximum=10),
        ),
        "A/B test blueprints: hypothesis, metric, power inputs and duration.",
    ),
    "personalization_idea_generator": Contract(
        "personalization_idea_generator",
        (
            Field("ideas", "object_list"),
            Field("ideas[].title", "string", min_length=1),
            Field("ideas[].description", "string", min_length=1),
            Field("ideas[].target_segment", "string", min_length=1),
            Field("ideas[].channel", "string", enum=("web", "email", "mobile", "ads")),
            Field("ideas[].expected_lift", "number", minimum=0, maximum=1),
            Field("ideas[].effort", "string", enum=EFFORTS),
            Field("ideas[].priority", "integer", minimum=1, maximum=10),
            Field("ideas[].implementation_steps", "string_list", required=False),
        ),
        "Personalization ideas per channel with expected lift and effort.",
    ),
    "roadmap_generator": Contract(
        "roadmap_generator",
        (
            Field("total_duration_weeks", "integer", minimum=1),
            Field("roadmap_items", "object_list"),
            Field("roadmap_items[].phase", "integer", minimum=1, maximum=4),
            Field("roadmap_items[].title", "string", min_length=1),
            Field("roadmap_items[].description", "string", min_length=1),
            Field("roadmap_items[].category", "string", enum=RECOMMENDATION_CATEGORIES),
            Field("roadmap_items[].start_week", "integer", minimum=0),
            Field("roadmap_items[].duration_weeks", "integer", minimum=1),
            Field("roadmap_items[].impact", "string", enum=IMPACTS),
            Field("roadmap_items[].effort", "string", enum=EFFORTS),
            Field("roadmap_items[].dependencies", "string_list", required=False),
            Field("roadmap_items[].success_metrics", "string_list", required=False),
        ),
        "A phased implementation roadmap.",
    ),
    "integration_health": Contract(
        "integration_health",
        (
            _score("overall_health_score"),
            Field("checks", "object_list"),
            Field(
                "checks[].integration",
                "string",
                enum=("odp", "experimentation", "content_recs", "cmp", "cms", "analytics"),
            ),
            Field("checks[].status", "string", enum=("healthy", "degraded", "down")),
            Field("checks[].latency_ms", "integer", minimum=0),
            _rate("checks[].error_rate"),
            Field("checks[].last_sync_at", "timestamp"),
            Field("checks[].message", "string", required=False),
        ),
        "Health checks of the customer's Optimizely and marketing-stack integrations.",
    ),
    "cmp_organizer": Contract(
        "cmp_organizer",
        (
            Field("campaigns_analyzed", "integer", minimum=0),
            _score("taxonomy_score"),
            Field("issues", "object_list"),
            Field("issues[].campaign_id", "string", min_length=1),
            Field("issues[].issue_type", "string", enum=("naming", "tagging", "ownership", "duplicate", "stale")),
            Field("issues[].severity", "string", enum=SEVERITIES),
            Field("issues[].suggestion", "string", min_length=1),
        ),
        "Content Marketing Platform organisation: taxonomy score and campaign hygiene issues.",
    ),
    "customer_journey": Contract(
        "customer_journey",
        (
            Field("stages", "object_list"),
            Field(
                "stages[].stage", "string", enum=("awareness", "consideration", "conversion", "retention", "advocacy")
            ),
            Field("stages[].touchpoints", "string_list"),
            _rate("stages[].conversion_rate"),
            _rate("stages[].drop_off_rate"),
            Field("stages[].avg_time_in_stage_days", "number", minimum=0),
            Field("optimization_opportunities", "object_list"),
            Field("optimization_opportunities[].stage", "string", min_length=1),
            Field("optimization_opportunities[].title", "string", min_length=1),
            Field("optimization_opportunities[].description", "string", min_length=1),
            Field("optimization_opportunities[].expected_impact", "string", enum=IMPACTS),
            Field("optimization_opportunities[].effort", "string", enum=EFFORTS),
        ),
        "Journey stages with conversion and drop-off, plus optimization opportunities.",
    ),
}

assert tuple(AGENT_DATA) == tuple(sorted(AGENT_DATA, key=AGENT_IDS.index))
