"""Metric observations derived from a window of the warehouse (issue 11, spec INF-007's metric_event).

Each metric is one declaration: a name, a type, what it measures and one SQL query over the window's source
tables that yields `time, value, tags`. Tags are a DuckDB STRUCT with its keys written in sorted order, so
`to_json` gives the canonical JSON text (sorted keys, no spaces) rollups group by (tests/test_metrics.py
checks it). The queries run in an in-process DuckDB over Arrow tables, so both warehouses get identical rows,
and the same inputs give the same observations: re-running a day replaces it with the same rows.

Counters without a time of their own (quarantine, PII operations, embeddings, row counts) are one row per day
and tag set, stamped 00:00 UTC of their day, with the day's count as the value.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from osa import catalog


@dataclass(frozen=True)
class Metric:
    name: str
    type: str  # counter | gauge | histogram | summary
    unit: str
    description: str
    sources: tuple[str, ...]  # catalogue tables the query reads
    sql: str  # SELECT time, value, tags (a STRUCT), optionally metadata (JSON text)


_AGENT_STATUS = "CASE WHEN is_timeout THEN 'timeout' WHEN execution_status = 'failed' THEN 'failure' ELSE 'success' END"
_MIDNIGHT = "CAST(event_date AS TIMESTAMPTZ)"

METRICS: tuple[Metric, ...] = (
    Metric(
        "agent.executions",
        "counter",
        "executions",
        "Final agent executions (1 each), by agent, status (success|failure|timeout) and SLA outcome "
        "(met|low_confidence|timeout|failed).",
        ("silver_agent_executions",),
        f"""SELECT received_at AS time, 1.0 AS value,
                   {{'agent_id': agent_id, 'sla': sla_status, 'status': {_AGENT_STATUS}}} AS tags
            FROM silver_agent_executions WHERE is_final""",
    ),
    Metric(
        "agent.execution.duration_ms",
        "histogram",
        "ms",
        "Execution time of each final agent execution, by agent (percentiles per agent and day).",
        ("silver_agent_executions",),
        """SELECT received_at AS time, CAST(execution_duration_ms AS DOUBLE) AS value, {'agent_id': agent_id} AS tags
           FROM silver_agent_executions WHERE is_final AND execution_duration_ms IS NOT NULL""",
    ),
    Metric(
        "agent.execution.confidence",
        "histogram",
        "score 0-1",
        "Confidence score of each final agent execution, by agent.",
        ("silver_agent_executions",),
        """SELECT received_at AS time, CAST(confidence_score AS DOUBLE) AS value, {'agent_id': agent_id} AS tags
           FROM silver_agent_executions WHERE is_final AND confidence_score IS NOT NULL""",
    ),
    Metric(
        "workflow.executions",
        "counter",
        "workflows",
        "Workflows seen that day (1 each), by status (completed|failed|degraded|...).",
        ("silver_workflow_executions",),
        """SELECT coalesce(last_output_at, CAST(event_date AS TIMESTAMPTZ)) AS time, 1.0 AS value,
                  {'status': workflow_status} AS tags
           FROM silver_workflow_executions""",
    ),
    Metric(
        "workflow.duration_ms",
        "histogram",
        "ms",
        "First to last agent output of each workflow, by status.",
        ("silver_workflow_executions",),
        """SELECT last_output_at AS time,
                  CAST(epoch_ms(last_output_at) - epoch_ms(first_output_at) AS DOUBLE) AS value,
                  {'status': workflow_status} AS tags
           FROM silver_workflow_executions WHERE first_output_at IS NOT NULL AND last_output_at IS NOT NULL""",
    ),
    Metric(
        "recommendations.received",
        "counter",
        "recommendations",
        "Recommendations received, by agent, category, impact and confidence band of the agent's output "
        "(high >= 0.8, medium >= 0.6, low).",
        ("silver_recommendations", "silver_agent_executions"),
        """SELECT min(e.received_at) AS time, CAST(count(*) AS DOUBLE) AS value,
                  {'agent_id': r.agent_id, 'category': r.category,
                   'confidence_band': CASE WHEN e.confidence_score >= 0.8 THEN 'high'
                                           WHEN e.confidence_score >= 0.6 THEN 'medium'
                                           WHEN e.confidence_score IS NULL THEN 'unknown' ELSE 'low' END,
                   'impact': coalesce(r.impact_estimate, 'unknown')} AS tags
           FROM silver_recommendations r
           LEFT JOIN silver_agent_executions e USING (event_date, delivery_id)
           GROUP BY r.event_date, tags""",
    ),
    Metric(
        "quarantine.records",
        "counter",
        "records",
        "Records quarantined, by source, stage and primary reason.",
        ("quarantine_intake_forms", "quarantine_opal_deliveries"),
        f"""SELECT {_MIDNIGHT} AS time, CAST(count(*) AS DOUBLE) AS value,
                   {{'reason': primary_reason, 'source': source, 'stage': stage}} AS tags
            FROM (SELECT 'intake_forms' AS source, * FROM quarantine_intake_forms
                  UNION ALL BY NAME SELECT 'opal_deliveries' AS source, * FROM quarantine_opal_deliveries)
            GROUP BY event_date, tags""",
    ),
    Metric(
        "pii.operations",
        "counter",
        "values",
        "Personal data values protected, by source, PII type and mode (pseudonymize, encrypt, redact, ...).",
        ("pii_audit_intake_forms", "pii_audit_opal_deliveries"),
        f"""SELECT {_MIDNIGHT} AS time, CAST(count(*) AS DOUBLE) AS value,
                   {{'mode': mode, 'pii_type': pii_type, 'source': source}} AS tags
            FROM (SELECT 'intake_forms' AS source, * FROM pii_audit_intake_forms
                  UNION ALL BY NAME SELECT 'opal_deliveries' AS source, * FROM pii_audit_opal_deliveries)
            GROUP BY event_date, tags""",
    ),
    Metric(
        "embedding.texts_embedded",
        "counter",
        "texts",
        "Distinct texts embedded for the first time that day (cache misses), by model and dimensions.",
        ("embedding_cache",),
        f"""SELECT {_MIDNIGHT} AS time, CAST(count(*) AS DOUBLE) AS value,
                   {{'dimensions': CAST(dimensions AS VARCHAR), 'model': model}} AS tags
            FROM embedding_cache GROUP BY event_date, tags""",
    ),
    Metric(
        "compliance.violations",
        "counter",
        "violations",
        "Violations the nightly compliance scan found, by kind (raw_pii, expired_raw_data, secret) and 'all' "
        "(0 on a clean night), from the scan's audit record.",
        ("audit_log",),
        """WITH scans AS (
                SELECT recorded_at, CAST(json_extract(details, '$.violations') AS MAP(VARCHAR, BIGINT)) AS found
                FROM audit_log WHERE action = 'compliance_scan')
            SELECT recorded_at AS time, CAST(e.value AS DOUBLE) AS value, {'kind': e.key} AS tags
            FROM (SELECT recorded_at, unnest(map_entries(found)) AS e FROM scans)
            UNION ALL
            SELECT recorded_at, CAST(coalesce(list_sum(map_values(found)), 0) AS DOUBLE), {'kind': 'all'}
            FROM scans""",
    ),
    Metric(
        "jobs.failures",
        "counter",
        "runs",
        "Nightly job runs that failed after their retries (the run-failure sensor's audit record), by job.",
        ("audit_log",),
        """SELECT recorded_at AS time, 1.0 AS value, {'job': target} AS tags
           FROM audit_log WHERE action = 'job_failure'""",
    ),
    Metric(
        "dsr.requests",
        "counter",
        "requests",
        "Data-subject requests handled, by type (access, export, rectification, erasure).",
        ("audit_log",),
        """SELECT recorded_at AS time, 1.0 AS value, {'type': replace(action, 'dsr_', '')} AS tags
           FROM audit_log WHERE action LIKE 'dsr_%'""",
    ),
)
ROW_COUNT_METRIC = "pipeline.rows"
STEP_SECONDS_METRIC = "pipeline.step_seconds"
#: what the embedding step reports per day (its partition metadata) -> metric, unit
EMBEDDING_USAGE_METRICS = {
    "requests": ("embedding.requests", "API requests"),
    "input_tokens": ("embedding.input_tokens", "tokens"),
    "cost_usd": ("embedding.cost_usd", "USD (estimated from the price list; none for the offline provider)"),
}
METRIC_NAMES = (
    *(m.name for m in METRICS),
    *(name for name, _ in EMBEDDING_USAGE_METRICS.values()),
    ROW_COUNT_METRIC,
    STEP_SECONDS_METRIC,
)
SOURCE_TABLES = tuple(dict.fromkeys(s for m in METRICS for s in m.sources))


def compute_events(
    inputs: dict[str, pa.Table],
    *,
    row_counts: dict[str, dict[dt.date, int]] | None = None,
    step_seconds: dict[str, float] | None = None,
    window_days: list[dt.date] | None = None,
    run_id: str | None = None,
    embedding_usage: dict[dt.date, dict] | None = None,
) -> pa.Table:
    """Every metric's observations for the window the inputs cover, in metric_events' schema.

    `row_counts` (table -> day -> rows) become `pipeline.rows` gauges; `step_seconds` (Dagster step -> seconds
    of the run that computed the window) become `pipeline.step_seconds` gauges on each of `window_days`;
    `embedding_usage` (day -> the embedding step's figures: provider, model, requests, input_tokens, cost_usd)
    become `embedding.requests` / `embedding.input_tokens` / `embedding.cost_usd` counters by provider and model."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name in SOURCE_TABLES:
            con.register(name, inputs[name])
        parts = []
        for metric in METRICS:
            parts.append(
                f"SELECT CAST(time AS DATE) AS event_date, CAST(time AS TIMESTAMPTZ) AS time, "
                f"'{metric.name}' AS metric_name, '{metric.type}' AS metric_type, value, "
                f"CAST(to_json(tags) AS VARCHAR) AS tags, CAST(NULL AS VARCHAR) AS metadata FROM ({metric.sql})"
            )
        rows = con.sql(" UNION ALL ".join(parts)).to_arrow_table()
    finally:
        con.close()
    extra: list[dict] = []
    for table, per_day in (row_counts or {}).items():
        for day, n in per_day.items():
            extra.append(_gauge(ROW_COUNT_METRIC, day, float(n), {"table": table}, None))
    metadata = json.dumps({"run_id": run_id, "window_days": len(window_days or [])}, sort_keys=True)
    for step, seconds in (step_seconds or {}).items():
        for day in window_days or []:
            extra.append(_gauge(STEP_SECONDS_METRIC, day, seconds, {"step": step}, metadata))
    for day, figures in (embedding_usage or {}).items():
        tags = {"model": figures.get("model"), "provider": figures.get("provider")}
        for figure, (name, _unit) in EMBEDDING_USAGE_METRICS.items():
            if figures.get(figure) is not None:
                extra.append({**_gauge(name, day, float(figures[figure]), tags, None), "metric_type": "counter"})
    if extra:
        rows = pa.concat_tables([rows, pa.Table.from_pylist(extra, schema=rows.schema)])
    return _in_schema(rows)


def _gauge(name: str, day: dt.date, value: float, tags: dict, metadata: str | None) -> dict:
    return {
        "event_date": day,
        "time": dt.datetime.combine(day, dt.time(), dt.UTC),
        "metric_name": name,
        "metric_type": "gauge",
        "value": value,
        "tags": json.dumps(tags, sort_keys=True, separators=(",", ":")),  # canonical, as to_json
        "metadata": metadata,
    }


def _in_schema(rows: pa.Table) -> pa.Table:
    schema = catalog.table("metric_events").arrow_schema
    ordered = rows.select(schema.names).cast(schema)
    return ordered.sort_by([("event_date", "ascending"), ("metric_name", "ascending"), ("time", "ascending"),
                            ("tags", "ascending"), ("value", "ascending")])  # fmt: skip
