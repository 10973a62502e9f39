"""Gold assets: daily metrics for dashboards, computed from the silver window they cover."""

from collections.abc import Callable

import dagster as dg
import pyarrow as pa

from assets.metadata import preview, table_metadata
from assets.partitions import DAILY, SINGLE_RUN, window
from osa import gold
from osa.privacy import protect_rows, write_protected
from resources import PrivacyResource, WarehouseResource

OWNERS = ["team:analytics"]


def _gold_asset(name: str, source: str, compute: Callable[[pa.Table], pa.Table], description: str):
    @dg.asset(
        name=name,
        deps=[source],
        group_name="gold",
        description=description,
        owners=OWNERS,
        kinds={"duckdb"},
        tags={"layer": "gold"},
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
    )
    def _asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, privacy: PrivacyResource
    ) -> dg.MaterializeResult:
        start, end = window(context)
        store = warehouse.get()
        silver = store.query(f"SELECT * FROM {source} WHERE event_date >= ? AND event_date < ?", [start, end])
        rows = compute(silver)
        write_protected(store, [protect_rows(name, rows, privacy.protector())], start, end, audit_source=None)
        return dg.MaterializeResult(metadata={**table_metadata(rows), "preview": preview(rows)})

    return _asset


gold_agent_performance_daily = _gold_asset(
    "gold_agent_performance_daily",
    "silver_agent_executions",
    gold.agent_performance,
    "Per day and agent: executions, failures, SLA timeouts, low-confidence outputs, compliance rate, latency.",
)
gold_workflow_completion_daily = _gold_asset(
    "gold_workflow_completion_daily",
    "silver_workflow_executions",
    gold.workflow_completion,
    "Per day: workflows completed, failed, degraded and partial; completion rate.",
)
gold_recommendation_mix_daily = _gold_asset(
    "gold_recommendation_mix_daily",
    "silver_recommendations",
    gold.recommendation_mix,
    "Per day: recommendations by category and impact with priority figures.",
)
