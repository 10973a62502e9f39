"""Gold metrics computed from silver tables, in a private in-memory DuckDB.

Computing here (not inside the warehouse) means DuckDB and PostgreSQL backends receive identical
numbers: the warehouse only stores them.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

AGENT_PERFORMANCE_SQL = """
    SELECT event_date, agent_id,
        count(*) AS executions,
        count(*) FILTER (WHERE execution_status = 'completed') AS completed,
        count(*) FILTER (WHERE execution_status = 'failed') AS failed,
        count(*) FILTER (WHERE is_timeout) AS timeouts,
        count(*) FILTER (WHERE is_low_confidence) AS low_confidence,
        count(*) FILTER (WHERE sla_status = 'met') AS sla_met,
        round(count(*) FILTER (WHERE sla_status = 'met') / count(*), 4) AS sla_compliance_rate,
        round(avg(execution_duration_ms), 1) AS avg_duration_ms,
        CAST(quantile_disc(execution_duration_ms, 0.95) AS BIGINT) AS p95_duration_ms,
        round(avg(confidence_score), 4) AS avg_confidence,
        max(sla_max_execution_ms) AS sla_max_execution_ms,
        max(sla_confidence_threshold) AS sla_confidence_threshold
    FROM silver_agent_executions WHERE is_final
    GROUP BY event_date, agent_id ORDER BY event_date, agent_id
"""

WORKFLOW_COMPLETION_SQL = """
    SELECT event_date,
        count(*) AS workflows,
        count(*) FILTER (WHERE workflow_status = 'completed') AS completed,
        count(*) FILTER (WHERE workflow_status = 'failed') AS failed,
        count(*) FILTER (WHERE workflow_status = 'degraded') AS degraded,
        count(*) FILTER (WHERE workflow_status = 'partial') AS partial,
        round(count(*) FILTER (WHERE workflow_status = 'completed') / count(*), 4) AS completion_rate,
        round(avg(agents_reporting), 2) AS avg_agents_reporting
    FROM silver_workflow_executions GROUP BY event_date ORDER BY event_date
"""

RECOMMENDATION_MIX_SQL = """
    SELECT event_date, category, impact_estimate,
        count(*) AS recommendations,
        count(*) FILTER (WHERE priority >= 8) AS high_priority,
        round(avg(priority), 2) AS avg_priority,
        count(DISTINCT workflow_id) AS workflows
    FROM silver_recommendations GROUP BY event_date, category, impact_estimate
    ORDER BY event_date, category, impact_estimate
"""


# One query per gold table of the catalogue, reading its `depends_on` silver table by name. A new gold metric
# is a catalogue entry (osa/catalog/tables.py) plus its query here; the asset, checks and docs follow.
GOLD_QUERIES: dict[str, str] = {
    "gold_agent_performance_daily": AGENT_PERFORMANCE_SQL,
    "gold_workflow_completion_daily": WORKFLOW_COMPLETION_SQL,
    "gold_recommendation_mix_daily": RECOMMENDATION_MIX_SQL,
}


def compute(table: str, **inputs: pa.Table) -> pa.Table:
    """The gold table `table` from its input tables (named as in the catalogue), in a private DuckDB."""
    con = duckdb.connect()
    try:
        for name, rows in inputs.items():
            con.register(name, rows)
        return con.sql(GOLD_QUERIES[table]).to_arrow_table()
    finally:
        con.close()
