"""SQL that turns accepted agent outputs into the normalized recommendations table and insight tables.

Each agent's completed outputs are first materialized as ``base_<agent>`` (its ``agent_data`` parsed with
that agent's own narrow struct, leaves kept as raw JSON); every query reads those tables and the macros
from `MACROS`. Mapping choices (how each agent's
own fields become category / priority / impact / effort) are documented in docs/data-contracts.md.
"""

from __future__ import annotations

MACROS = """
CREATE OR REPLACE TEMP MACRO jstr(x) AS json_extract_string(x, '$');
CREATE OR REPLACE TEMP MACRO jnum(x) AS TRY_CAST(x AS DOUBLE);
CREATE OR REPLACE TEMP MACRO jint(x) AS TRY_CAST(TRY_CAST(x AS DOUBLE) AS BIGINT);
CREATE OR REPLACE TEMP MACRO jlist(x) AS coalesce(from_json(x, '["VARCHAR"]'), []::VARCHAR[]);
CREATE OR REPLACE TEMP MACRO impact_from_fraction(x) AS
    CASE WHEN x < 0.05 THEN 'low' WHEN x < 0.15 THEN 'medium' WHEN x < 0.30 THEN 'high' ELSE 'critical' END;
CREATE OR REPLACE TEMP MACRO impact_from_priority(p) AS
    CASE WHEN p >= 9 THEN 'critical' WHEN p >= 7 THEN 'high' WHEN p >= 4 THEN 'medium' ELSE 'low' END;
CREATE OR REPLACE TEMP MACRO priority_from_level(x) AS
    CASE x WHEN 'critical' THEN 9 WHEN 'high' THEN 7 WHEN 'medium' THEN 5 ELSE 3 END;
CREATE OR REPLACE TEMP MACRO rec_id(delivery, kind, idx) AS
    substr(sha256(delivery || '/' || kind || '/' || idx), 1, 32);
"""


# Only completed outputs: agent_data of started/running/failed executions is not validated (it carries no
# results yet), so it must never reach the normalized recommendations or the insight tables.
def base_table_sql(agent: str, structure_literal: str) -> str:
    """`base_<agent>`: that agent's completed outputs with its `agent_data` parsed by its own narrow struct
    (cheaper than storing one struct wide enough for all nine agents)."""
    return f"""
        CREATE TABLE base_{agent} AS
        SELECT event_date, delivery_id, workflow_id, agent_id, from_json(body, {structure_literal}).agent_data AS d
        FROM completed_bodies WHERE agent_id = '{agent}'
    """


def _elements(agent: str, array: str) -> str:
    """One row per element of `d.<array>` for `agent`, with its 1-based index `idx` and element `e`."""
    return f"""
        SELECT event_date, delivery_id, workflow_id, agent_id, d,
               unnest(d.{array}) AS e, generate_subscripts(d.{array}, 1) AS idx
        FROM base_{agent} WHERE d.{array} IS NOT NULL
    """


_COLUMNS = "event_date, rec_id(delivery_id, '{kind}', idx) AS recommendation_id, delivery_id, workflow_id, agent_id"

_RECOMMENDATION_PARTS = {
    "content_review": (
        "recommendations",
        """
        'content', CASE jstr(e.priority) WHEN 'high' THEN 8 WHEN 'medium' THEN 5 ELSE 2 END,
        'Improve ' || jstr(e.category), jstr(e.description),
        CASE WHEN lower(jstr(e.impact_estimate)) IN ('low', 'medium', 'high', 'critical')
             THEN lower(jstr(e.impact_estimate)) ELSE 'medium' END,
        'medium', []::VARCHAR[], []::VARCHAR[], []::VARCHAR[], NULL""",
    ),
    "geo_audit": (
        "findings",
        """
        CASE WHEN jstr(e.issue_type) IN ('localization', 'content_gap', 'seo') THEN 'content' ELSE 'technical' END,
        priority_from_level(jstr(e.severity)),
        replace(jstr(e.issue_type), '_', ' ') || ' issue in ' || jstr(e.region),
        jstr(e.description) || ' ' || jstr(e.recommendation), jstr(e.severity),
        CASE WHEN jint(e.affected_pages) > 50 THEN 'high' WHEN jint(e.affected_pages) > 10 THEN 'medium'
             ELSE 'low' END,
        [jstr(e.recommendation)], ['pages affected in ' || jstr(e.region)], []::VARCHAR[], NULL""",
    ),
    "audience_suggester": (
        "personalization_opportunities",
        """
        'audience', CAST(least(10, greatest(1, round(jnum(e.expected_impact) * 40))) AS INTEGER),
        jstr(e.content_type) || ' for segment ' || jstr(e.segment_id), jstr(e.strategy),
        impact_from_fraction(jnum(e.expected_impact)), 'medium',
        []::VARCHAR[], ['uplift in segment ' || jstr(e.segment_id)], []::VARCHAR[], NULL""",
    ),
    "experiment_blueprinter": (
        "experiments",
        """
        'experimentation', CAST(jint(e.priority) AS INTEGER), jstr(e.experiment_name), jstr(e.hypothesis),
        impact_from_priority(jint(e.priority)),
        CASE WHEN jint(e.estimated_duration_days) <= 14 THEN 'low'
             WHEN jint(e.estimated_duration_days) <= 35 THEN 'medium' ELSE 'high' END,
        ['build ' || jint(e.variations) || ' variations', 'allocate ' ||
         CAST(round(jnum(e.traffic_allocation) * 100) AS INTEGER) || '% of traffic'],
        [jstr(e.primary_metric)], []::VARCHAR[], jint(e.estimated_duration_days) || ' days'""",
    ),
    "personalization_idea_generator": (
        "ideas",
        """
        'personalization', CAST(jint(e.priority) AS INTEGER), jstr(e.title), jstr(e.description),
        impact_from_fraction(jnum(e.expected_lift)), jstr(e.effort), jlist(e.implementation_steps),
        ['lift on ' || jstr(e.channel)], []::VARCHAR[], NULL""",
    ),
    "roadmap_generator": (
        "roadmap_items",
        """
        jstr(e.category), CAST(10 - 2 * (jint(e.phase) - 1) AS INTEGER), jstr(e.title), jstr(e.description),
        jstr(e.impact), jstr(e.effort), []::VARCHAR[], jlist(e.success_metrics), jlist(e.dependencies),
        jint(e.duration_weeks) || ' weeks'""",
    ),
    "integration_health": (
        "checks",
        """
        'technical', CASE jstr(e.status) WHEN 'down' THEN 9 ELSE 6 END,
        CASE jstr(e.status) WHEN 'down' THEN 'Restore ' ELSE 'Stabilize ' END || jstr(e.integration)
            || ' integration',
        coalesce(jstr(e.message), jstr(e.integration) || ' is ' || jstr(e.status)),
        CASE jstr(e.status) WHEN 'down' THEN 'critical' ELSE 'medium' END, 'medium',
        []::VARCHAR[], ['error rate below 1%'], []::VARCHAR[], NULL""",
    ),
    "cmp_organizer": (
        "issues",
        """
        'content', priority_from_level(jstr(e.severity)),
        'Fix ' || jstr(e.issue_type) || ' in campaign ' || jstr(e.campaign_id), jstr(e.suggestion),
        jstr(e.severity), 'low', []::VARCHAR[], []::VARCHAR[], []::VARCHAR[], NULL""",
    ),
    "customer_journey": (
        "optimization_opportunities",
        """
        'personalization', priority_from_level(jstr(e.expected_impact)), jstr(e.title), jstr(e.description),
        jstr(e.expected_impact), jstr(e.effort), []::VARCHAR[], ['conversion in ' || jstr(e.stage)],
        []::VARCHAR[], NULL""",
    ),
}

_TARGET = (
    "category, priority, title, description, impact_estimate, effort_estimate, implementation_steps, "
    "success_metrics, dependencies, estimated_timeline"
)


def _recommendations_query() -> str:
    parts = []
    for agent, (array, mapping) in _RECOMMENDATION_PARTS.items():
        where = " WHERE jstr(e.status) <> 'healthy'" if agent == "integration_health" else ""
        parts.append(f"SELECT {_COLUMNS.format(kind=array)}, {mapping} FROM ({_elements(agent, array)}){where}")
    union = "\nUNION ALL\n".join(parts)
    return f"""
        WITH recs AS (SELECT * FROM ({union}) AS u(event_date, recommendation_id, delivery_id, workflow_id, agent_id,
                                             {_TARGET}))
        SELECT * FROM recs ORDER BY event_date, workflow_id, agent_id, recommendation_id
    """


RECOMMENDATIONS_QUERY = _recommendations_query()


def _insight(agent: str, array: str | None, select: str) -> str:
    source = _elements(agent, array) if array else f"SELECT *, NULL AS e, 1 AS idx FROM base_{agent}"
    return f"""
        SELECT event_date, delivery_id, workflow_id, idx AS item_index, {select}
        FROM ({source}) AS src ORDER BY event_date, delivery_id, idx
    """


INSIGHT_QUERIES: dict[str, str] = {
    "silver_content_review_insights": _insight(
        "content_review",
        None,
        """
        jnum(src.d.content_quality_score) AS content_quality_score, jnum(src.d.seo_optimization_score) AS seo_score,
        jnum(src.d.readability_score) AS readability_score,
        jnum(src.d.engagement_metrics.avg_time_on_page) AS avg_time_on_page_s,
        jnum(src.d.engagement_metrics.bounce_rate) AS bounce_rate,
        jnum(src.d.engagement_metrics.conversion_rate) AS conversion_rate,
        len(src.d.recommendations) AS recommendation_count""",
    ),
    "silver_geo_audit_findings": _insight(
        "geo_audit",
        "findings",
        """
        jnum(src.d.overall_geo_score) AS overall_geo_score, jstr(e.region) AS region, jstr(e.issue_type) AS issue_type,
        jstr(e.severity) AS severity, jint(e.affected_pages) AS affected_pages, jstr(e.description) AS description""",
    ),
    "silver_audience_segments": _insight(
        "audience_suggester",
        "suggested_segments",
        """
        jstr(e.segment_name) AS segment_name, CAST(e.criteria AS VARCHAR) AS criteria_json,
        jint(e.estimated_size) AS estimated_size, jnum(e.confidence_score) AS confidence_score,
        jnum(e.potential_uplift) AS potential_uplift""",
    ),
    "silver_experiment_blueprints": _insight(
        "experiment_blueprinter",
        "experiments",
        """
        jstr(e.experiment_name) AS experiment_name, jstr(e.hypothesis) AS hypothesis,
        jstr(e.primary_metric) AS primary_metric, jint(e.variations) AS variations,
        jnum(e.traffic_allocation) AS traffic_allocation, jnum(e.min_detectable_effect) AS min_detectable_effect,
        jint(e.estimated_duration_days) AS estimated_duration_days,
        jint(e.required_sample_size) AS required_sample_size, jint(e.priority) AS priority""",
    ),
    "silver_personalization_ideas": _insight(
        "personalization_idea_generator",
        "ideas",
        """
        jstr(e.title) AS title, jstr(e.target_segment) AS target_segment, jstr(e.channel) AS channel,
        jnum(e.expected_lift) AS expected_lift, jstr(e.effort) AS effort, jint(e.priority) AS priority""",
    ),
    "silver_roadmap_items": _insight(
        "roadmap_generator",
        "roadmap_items",
        """
        jint(src.d.total_duration_weeks) AS total_duration_weeks, jint(e.phase) AS phase, jstr(e.title) AS title,
        jstr(e.category) AS category, jint(e.start_week) AS start_week, jint(e.duration_weeks) AS duration_weeks,
        jstr(e.impact) AS impact, jstr(e.effort) AS effort""",
    ),
    "silver_integration_health_checks": _insight(
        "integration_health",
        "checks",
        """
        jnum(src.d.overall_health_score) AS overall_health_score, jstr(e.integration) AS integration,
        jstr(e.status) AS status, jint(e.latency_ms) AS latency_ms, jnum(e.error_rate) AS error_rate,
        TRY_CAST(jstr(e.last_sync_at) AS TIMESTAMPTZ) AS last_sync_at""",
    ),
    "silver_cmp_issues": _insight(
        "cmp_organizer",
        "issues",
        """
        jint(src.d.campaigns_analyzed) AS campaigns_analyzed, jnum(src.d.taxonomy_score) AS taxonomy_score,
        jstr(e.campaign_id) AS campaign_id, jstr(e.issue_type) AS issue_type, jstr(e.severity) AS severity,
        jstr(e.suggestion) AS suggestion""",
    ),
    "silver_customer_journey_stages": _insight(
        "customer_journey",
        "stages",
        """
        jstr(e.stage) AS stage, jlist(e.touchpoints) AS touchpoints, jnum(e.conversion_rate) AS conversion_rate,
        jnum(e.drop_off_rate) AS drop_off_rate, jnum(e.avg_time_in_stage_days) AS avg_time_in_stage_days""",
    ),
}
