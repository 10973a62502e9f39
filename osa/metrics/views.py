"""The dashboard views: stable SQL views over the rollups, declared once for both warehouses.

A view is a name, the question it answers, what it reads, its columns (name -> meaning) and one SQL template;
`{tag:NAME}` in the template becomes the dialect's JSON extraction of a tag. `view_statements`
renders them for a backend (the warehouse's `prepare()` runs them), `docs/dashboards.md` is generated from
the same declarations (`python -m osa.metrics.docs`), and tests run every view on both backends.
Dashboards (Grafana panels, `osa dashboard`, the report asset) query these views only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Quarantine reasons explained in words (by the code before ':'), for the data-quality view.
REASON_WORDS = {
    "missing": "a required field is missing",
    "wrong_type": "a field has the wrong type",
    "too_short": "a value is too short (or a list too small)",
    "not_allowed": "a value is not one of the allowed values",
    "out_of_range": "a number is outside its allowed range",
    "bad_format": "a value does not have the required format",
    "invalid_timestamp": "a timestamp is not RFC 3339",
    "invalid_json": "the line is not valid JSON",
    "invalid_utf8": "the line is not valid UTF-8",
    "body_not_object": "the webhook body is not a JSON object",
    "form_not_object": "the form is not a JSON object",
    "malformed_envelope": "the webhook envelope is malformed",
    "missing_signature": "the webhook carries no signature",
    "malformed_signature": "the signature header is malformed",
    "bad_signature": "the HMAC signature does not match",
    "unknown_key_id": "the signature names a webhook key id that is not configured",
    "key_outside_window": "the signing key was not valid at the signature time (outside its window)",
    "stale_signature": "the signature timestamp is too far from receipt (possible replay)",
    "no_api_credentials": "the form asks for analysis without API credentials",
}


@dataclass(frozen=True)
class View:
    name: str
    question: str
    reads: str
    columns: dict[str, str]
    sql: str


def _reason_kind(column: str) -> str:
    """The reason's rule in words (the code before ':'), e.g. 'a required field is missing'."""
    whens = " ".join(f"WHEN '{code}' THEN '{words}'" for code, words in REASON_WORDS.items())
    return f"CASE split_part({column}, ':', 1) {whens} ELSE 'other: ' || split_part({column}, ':', 1) END"


def _reason_explanation(column: str) -> str:
    """The rule in words plus the field or detail after ':', e.g. 'a required field is missing: correlation_id'."""
    detail = f"split_part({column}, ':', 2)"
    return f"{_reason_kind(column)} || CASE WHEN {detail} = '' THEN '' ELSE ': ' || {detail} END"


EMBEDDING_METRICS = ("embedding.texts_embedded", "embedding.requests", "embedding.input_tokens", "embedding.cost_usd")


def _tagged(metrics: str | tuple[str, ...], **tags: str) -> str:
    """The daily rollup rows of `metrics` with the named tags as columns (alias=tag name), as a subquery.

    Each distinct tag set is parsed once and joined back: a rollup table repeats the same few hundred tag
    sets every day, and parsing the JSON text per row (Postgres casts it to jsonb) cost ~190 ms on 48,600
    rows where this costs ~40 ms (bench/dashboards.py, 120 days). `OFFSET 0` keeps Postgres from pulling the
    extraction up above the join (where it would run per row again).
    """
    names = (metrics,) if isinstance(metrics, str) else metrics
    wanted = ", ".join(f"'{name}'" for name in names)
    extracted = ", ".join(f"{{tag:{tag}}} AS {alias}" for alias, tag in tags.items())
    picked = ", ".join(f"k.{alias}" for alias in tags)
    return (
        f"(SELECT r.event_date, r.metric_name, r.count, r.sum, r.avg, r.min, r.max, r.p50, r.p95, {picked}"
        f" FROM metric_rollups_daily r JOIN (SELECT tags, {extracted} FROM (SELECT DISTINCT tags"
        f" FROM metric_rollups_daily WHERE metric_name IN ({wanted})) d OFFSET 0) k ON k.tags = r.tags"
        f" WHERE r.metric_name IN ({wanted}))"
    )


VIEWS: tuple[View, ...] = (
    View(
        "dash_agent_sla_daily",
        "How does each OPAL agent perform against its SLA, day by day?",
        "metric_rollups_daily (agent.executions, agent.execution.duration_ms)",
        {
            "day": "the day (UTC)",
            "agent_id": "the OPAL agent",
            "executions": "final executions",
            "successes": "completed executions",
            "failures": "failed executions",
            "timeouts": "executions slower than the SLA",
            "sla_met": "executions that met the SLA (time and confidence)",
            "sla_compliance": "sla_met / executions",
            "avg_duration_ms": "mean execution time",
            "p95_duration_ms": "95th percentile execution time",
        },
        f"""
        WITH runs AS (
            SELECT event_date, agent_id, status, sla, sum AS n
            FROM {_tagged("agent.executions", agent_id="agent_id", status="status", sla="sla")} t),
        per_agent AS (
            SELECT event_date, agent_id, sum(n) AS executions,
                   sum(CASE WHEN status = 'success' THEN n ELSE 0 END) AS successes,
                   sum(CASE WHEN status = 'failure' THEN n ELSE 0 END) AS failures,
                   sum(CASE WHEN status = 'timeout' THEN n ELSE 0 END) AS timeouts,
                   sum(CASE WHEN sla = 'met' THEN n ELSE 0 END) AS sla_met
            FROM runs GROUP BY event_date, agent_id),
        durations AS (
            SELECT event_date, agent_id, avg AS avg_duration_ms, p95 AS p95_duration_ms
            FROM {_tagged("agent.execution.duration_ms", agent_id="agent_id")} t)
        SELECT p.event_date AS day, p.agent_id, CAST(p.executions AS BIGINT) AS executions,
               CAST(p.successes AS BIGINT) AS successes, CAST(p.failures AS BIGINT) AS failures,
               CAST(p.timeouts AS BIGINT) AS timeouts, CAST(p.sla_met AS BIGINT) AS sla_met,
               CAST(p.sla_met / p.executions AS NUMERIC(12, 4)) AS sla_compliance,
               d.avg_duration_ms, d.p95_duration_ms
        FROM per_agent p LEFT JOIN durations d ON d.event_date = p.event_date AND d.agent_id = p.agent_id
        """,
    ),
    View(
        "dash_workflow_funnel_daily",
        "Of the workflows triggered each day, how many completed, failed or degraded?",
        "metric_rollups_daily (workflow.executions)",
        {
            "day": "the day (UTC)",
            "triggered": "workflows with any agent output that day",
            "completed": "workflows whose agents all completed",
            "failed": "workflows with a failed agent",
            "degraded": "workflows completed with degraded (late or low-confidence) outputs",
            "other": "workflows still in progress or partial",
            "completion_rate": "completed / triggered",
        },
        f"""
        WITH s AS (SELECT event_date, status, sum AS n FROM {_tagged("workflow.executions", status="status")} t)
        SELECT event_date AS day, CAST(sum(n) AS BIGINT) AS triggered,
               CAST(sum(CASE WHEN status = 'completed' THEN n ELSE 0 END) AS BIGINT) AS completed,
               CAST(sum(CASE WHEN status = 'failed' THEN n ELSE 0 END) AS BIGINT) AS failed,
               CAST(sum(CASE WHEN status = 'degraded' THEN n ELSE 0 END) AS BIGINT) AS degraded,
               CAST(sum(CASE WHEN status NOT IN ('completed', 'failed', 'degraded') THEN n ELSE 0 END) AS BIGINT)
                   AS other,
               CAST(sum(CASE WHEN status = 'completed' THEN n ELSE 0 END) / sum(n) AS NUMERIC(12, 4))
                   AS completion_rate
        FROM s GROUP BY event_date
        """,
    ),
    View(
        "dash_recommendation_mix_daily",
        "Which recommendations do the agents make: by agent, category, impact and confidence band?",
        "metric_rollups_daily (recommendations.received)",
        {
            "day": "the day (UTC)",
            "agent_id": "the agent that made them",
            "category": "recommendation category",
            "impact": "expected impact",
            "confidence_band": "the agent output's confidence: high >= 0.8, medium >= 0.6, low",
            "recommendations": "recommendations received",
        },
        f"""
        SELECT event_date AS day, agent_id, category, impact, confidence_band, CAST(sum AS BIGINT) AS recommendations
        FROM {
            _tagged(
                "recommendations.received",
                agent_id="agent_id",
                category="category",
                impact="impact",
                confidence_band="confidence_band",
            )
        } t
        """,
    ),
    View(
        "dash_recommendation_industry_daily",
        "Which recommendation categories does each industry get?",
        "gold_recommendation_mix_daily is per category only; this reads workflow_recommendations (gold) with "
        "the industry of the workflow's intake form from knowledge_items",
        {
            "day": "the day (UTC)",
            "industry": "the workflow's industry (from its intake form), 'unknown' without a form",
            "category": "recommendation category",
            "recommendations": "ranked (merged) recommendations",
        },
        """
        WITH industries AS (SELECT workflow_id, min(industry) AS industry FROM knowledge_items
                            WHERE knowledge_type = 'intake_form' GROUP BY workflow_id)
        SELECT r.event_date AS day, coalesce(i.industry, 'unknown') AS industry, r.category,
               count(*) AS recommendations
        FROM workflow_recommendations r LEFT JOIN industries i USING (workflow_id)
        GROUP BY r.event_date, coalesce(i.industry, 'unknown'), r.category
        """,
    ),
    View(
        "dash_pii_activity_daily",
        "How much personal data did the choke point protect, of which types, in which modes?",
        "metric_rollups_daily (pii.operations)",
        {
            "day": "the day (UTC)",
            "source": "intake_forms or opal_deliveries",
            "pii_type": "the kind of personal data",
            "mode": "what was done (pseudonymize, encrypt, redact, ...)",
            "values_protected": "values protected",
        },
        f"""
        SELECT event_date AS day, source, pii_type, mode, CAST(sum AS BIGINT) AS values_protected
        FROM {_tagged("pii.operations", source="source", pii_type="pii_type", mode="mode")} t
        """,
    ),
    View(
        "dash_data_quality_daily",
        "What share of each day's records was quarantined, and why (in words)?",
        "metric_rollups_daily (quarantine.records, pipeline.rows of the bronze tables)",
        {
            "day": "the day (UTC)",
            "source": "intake_forms or opal_deliveries",
            "stage": "where it was stopped (envelope, contract, ...)",
            "reason": "the primary reason code",
            "reason_kind": "the reason's rule in words",
            "explanation": "the reason in words, with the field it concerns",
            "quarantined": "records quarantined for this reason",
            "received": "records received from this source that day (bronze rows)",
            "quarantine_rate": "quarantined / received",
        },
        f"""
        WITH q AS (SELECT event_date, source, stage, reason, sum AS n
                   FROM {_tagged("quarantine.records", source="source", stage="stage", reason="reason")} t),
        received AS (SELECT event_date, replace(table_name, 'bronze_', '') AS source, sum AS n
                     FROM {_tagged("pipeline.rows", table_name="table")} t
                     WHERE starts_with(table_name, 'bronze_'))
        SELECT q.event_date AS day, q.source, q.stage, q.reason, {_reason_kind("q.reason")} AS reason_kind,
               {_reason_explanation("q.reason")} AS explanation,
               CAST(q.n AS BIGINT) AS quarantined, CAST(r.n AS BIGINT) AS received,
               CAST(q.n / nullif(r.n, 0) AS NUMERIC(12, 4)) AS quarantine_rate
        FROM q LEFT JOIN received r ON r.event_date = q.event_date AND r.source = q.source
        """,
    ),
    View(
        "dash_embedding_usage_daily",
        "How many texts were embedded (cache misses), in how many API requests and tokens, at what estimated "
        "cost, per model each day?",
        "metric_rollups_daily (embedding.texts_embedded, embedding.requests, embedding.input_tokens, "
        "embedding.cost_usd)",
        {
            "day": "the day (UTC)",
            "model": "provider/model",
            "texts_embedded": "distinct texts embedded for the first time",
            "requests": "embedding API requests (0 for the offline provider)",
            "input_tokens": "tokens sent",
            "cost_usd": "estimated USD from the price list (0 for the offline provider)",
        },
        f"""
        SELECT event_date AS day, model,
               CAST(sum(CASE WHEN metric_name = 'embedding.texts_embedded' THEN sum ELSE 0 END) AS BIGINT)
                   AS texts_embedded,
               CAST(sum(CASE WHEN metric_name = 'embedding.requests' THEN sum ELSE 0 END) AS BIGINT) AS requests,
               CAST(sum(CASE WHEN metric_name = 'embedding.input_tokens' THEN sum ELSE 0 END) AS BIGINT)
                   AS input_tokens,
               CAST(sum(CASE WHEN metric_name = 'embedding.cost_usd' THEN sum ELSE 0 END) AS DOUBLE PRECISION)
                   AS cost_usd
        FROM {_tagged(EMBEDDING_METRICS, model="model")} t
        GROUP BY 1, 2
        """,
    ),
    View(
        "dash_pipeline_rows_daily",
        "How many rows did each table get per day?",
        "metric_rollups_daily (pipeline.rows)",
        {"day": "the day (UTC)", "table_name": "warehouse table", "row_count": "rows that day"},
        f"""
        SELECT event_date AS day, table_name, CAST(max AS BIGINT) AS row_count
        FROM {_tagged("pipeline.rows", table_name="table")} t
        """,
    ),
    View(
        "dash_pipeline_runtime_daily",
        "How long did each pipeline step take in the run that computed the day?",
        "metric_rollups_daily (pipeline.step_seconds)",
        {"day": "the day (UTC)", "step": "Dagster step", "seconds": "the step's run time (whole ranged run)"},
        f"""
        SELECT event_date AS day, step, max AS seconds FROM {_tagged("pipeline.step_seconds", step="step")} t
        """,
    ),
    View(
        "dash_freshness",
        "Is every table current: which is its latest day with rows?",
        "metric_rollups_daily (pipeline.rows)",
        {"table_name": "warehouse table", "latest_day": "the latest day with rows", "rows_that_day": "its rows"},
        f"""
        WITH r AS (SELECT event_date, table_name, max AS n FROM {_tagged("pipeline.rows", table_name="table")} t
                   WHERE max > 0),
        latest AS (SELECT table_name, max(event_date) AS latest_day FROM r GROUP BY table_name)
        SELECT l.table_name, l.latest_day, CAST(r.n AS BIGINT) AS rows_that_day
        FROM latest l JOIN r ON r.table_name = l.table_name AND r.event_date = l.latest_day
        """,
    ),
)

_TAG = re.compile(r"\{tag:([a-z_]+)\}")


def render(view: View, backend: str) -> str:
    """The view's SELECT in `backend`'s dialect."""

    def tag(match: re.Match) -> str:
        name = match.group(1)
        if backend == "postgres":
            return f"(tags::jsonb ->> '{name}')"
        return f"json_extract_string(tags, '$.{name}')"

    return _TAG.sub(tag, view.sql).strip()


def view_comment(view: View, backend: str) -> str:
    """The view's question and a fingerprint of its rendered SQL: `create_views` recreates a view when it differs."""
    digest = hashlib.sha256(render(view, backend).encode()).hexdigest()[:12]
    return f"{view.question} [sql {digest}]"


def view_statements(views: Iterable[View], backend: str) -> list[str]:
    """Drop and create each view with its comment (Postgres cannot CREATE OR REPLACE a view whose columns
    changed)."""
    statements = []
    for view in views:
        comment = view_comment(view, backend).replace("'", "''")
        statements += [
            f"DROP VIEW IF EXISTS {view.name}",
            f"CREATE VIEW {view.name} AS {render(view, backend)}",
            f"COMMENT ON VIEW {view.name} IS '{comment}'",
        ]
    return statements


def view(name: str) -> View:
    return next(v for v in VIEWS if v.name == name)
