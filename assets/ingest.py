"""Ingest assets: one step per source turns landing files into bronze, silver and quarantine at once.

Doing verify/validate/split in one step means each raw file is read once, the accounting identity
(records in = accepted + quarantined + duplicates) is computed in one place, and all tables of a
window are replaced together. The logic lives in `osa.ingest`; this module only wires it up.
"""


import dagster as dg
import pyarrow as pa

from assets.metadata import table_metadata
from assets.partitions import DAILY, SINGLE_RUN, days_in, window
from osa.ingest.intake import process_intake
from osa.ingest.landing import landing_files, read_lines
from osa.ingest.opal import process_deliveries
from osa.privacy import protect_rows, write_protected
from resources import LandingZoneResource, PrivacyResource, WarehouseResource, WebhookSecretResource

OWNERS = ["team:data-platform"]
INSIGHT_TABLES = (
    "silver_content_review_insights", "silver_geo_audit_findings", "silver_audience_segments",
    "silver_experiment_blueprints", "silver_personalization_ideas", "silver_roadmap_items",
    "silver_integration_health_checks", "silver_cmp_issues", "silver_customer_journey_stages",
)


def _spec(key: str, group: str, description: str, deps: list[str] | None = None,
          kinds: set[str] | None = None) -> dg.AssetSpec:
    return dg.AssetSpec(key, group_name=group, description=description, deps=deps or [], owners=OWNERS,
                        kinds=kinds or {"duckdb", "polars"}, tags={"layer": group})


def _accounting(records_in: int, accepted: int, quarantined: int, duplicates: int) -> dict[str, int]:
    return {"records_in": records_in, "accepted": accepted, "quarantined": quarantined, "duplicates": duplicates,
            "unaccounted": records_in - accepted - quarantined - duplicates}


def _known_ids(warehouse, table: str, column: str, start, end) -> pa.Array:
    """Digests accepted in partitions outside [start, end), so replays across days are caught whatever order
    the partitions are materialized in (a later day loaded first keeps its copy; it is never counted twice)."""
    return warehouse.query(
        f"SELECT DISTINCT {column} FROM {table} WHERE (event_date < ? OR event_date >= ?) AND NOT is_duplicate",
        [start, end]).column(0)


@dg.multi_asset(
    specs=[
        _spec("bronze_intake_forms", "bronze", "Every parsed intake form as received (credentials removed)."),
        _spec("silver_intake_forms", "silver", "Valid intake forms, typed; credentials kept only as key names.",
              deps=["bronze_intake_forms"]),
        _spec("quarantine_intake_forms", "quarantine", "Rejected intake forms with reason codes and file/line.",
              deps=["bronze_intake_forms"]),
    ],
    partitions_def=DAILY, backfill_policy=SINGLE_RUN, can_subset=False,
)
def intake_forms(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingZoneResource,
                 privacy: PrivacyResource):
    start, end = window(context)
    store, protector = warehouse.get(), privacy.protector()
    files = landing_files(landing.root, "intake_forms", days_in(start, end))
    result = process_intake(read_lines(files, landing.root),
                            known_form_ids=_known_ids(store, "bronze_intake_forms", "form_id", start, end))
    write_protected(store, [protect_rows("silver_intake_forms", result.silver, protector),
                            protect_rows("quarantine_intake_forms", result.quarantine, protector)],
                    start, end, restricted={"bronze_intake_forms": result.bronze})
    accounting = _accounting(result.records_in, result.accepted, result.quarantined, result.duplicates)
    context.log.info(f"intake forms {start}..{end}: {accounting}")
    yield dg.MaterializeResult(asset_key="bronze_intake_forms",
                               metadata={**table_metadata(result.bronze), **accounting, "files": len(files)})
    yield dg.MaterializeResult(asset_key="silver_intake_forms",
                               metadata=table_metadata(result.silver, count_by="analysis_depth"))
    yield dg.MaterializeResult(asset_key="quarantine_intake_forms",
                               metadata=table_metadata(result.quarantine, count_by="primary_reason"))


@dg.multi_asset(
    specs=[
        _spec("bronze_opal_deliveries", "bronze",
              "Signature-verified OPAL webhook deliveries (raw body); replays flagged as duplicates."),
        _spec("quarantine_opal_deliveries", "quarantine",
              "Rejected deliveries: malformed envelopes, bad/stale signatures, contract violations.",
              deps=["bronze_opal_deliveries"]),
        _spec("silver_agent_executions", "silver", "One row per valid agent output with its SLA status.",
              deps=["bronze_opal_deliveries"]),
        _spec("silver_workflow_executions", "silver",
              "Per workflow and day: agents reporting, failures, degraded flag (>half outputs invalid).",
              deps=["bronze_opal_deliveries"]),
        _spec("silver_recommendations", "silver",
              "Every agent's recommendations normalized to one schema (category, priority 1-10, impact, effort).",
              deps=["bronze_opal_deliveries"]),
        *[_spec(name, "silver", f"Agent-specific insights: {name.removeprefix('silver_').replace('_', ' ')}.",
                deps=["bronze_opal_deliveries"]) for name in INSIGHT_TABLES],
    ],
    partitions_def=DAILY, backfill_policy=SINGLE_RUN, can_subset=False,
)
def opal_deliveries(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingZoneResource,
                    webhook: WebhookSecretResource, privacy: PrivacyResource):
    start, end = window(context)
    store, protector = warehouse.get(), privacy.protector()
    files = landing_files(landing.root, "opal_deliveries", days_in(start, end))
    known = _known_ids(store, "bronze_opal_deliveries", "delivery_id", start, end)
    result = process_deliveries(read_lines(files, landing.root), secret=webhook.get(), known_delivery_ids=known)
    silver = {
        "quarantine_opal_deliveries": result.quarantine,
        "silver_agent_executions": result.agent_executions,
        "silver_workflow_executions": result.workflow_executions,
        "silver_recommendations": result.recommendations,
        **result.insights,
    }
    write_protected(store, [protect_rows(table, rows, protector) for table, rows in silver.items()],
                    start, end, restricted={"bronze_opal_deliveries": result.bronze})
    accounting = _accounting(result.records_in, result.accepted, result.quarantined, result.duplicates)
    context.log.info(f"opal deliveries {start}..{end}: {accounting}")
    yield dg.MaterializeResult(asset_key="bronze_opal_deliveries",
                               metadata={**table_metadata(result.bronze), **accounting, "files": len(files)})
    count_by = {"quarantine_opal_deliveries": "primary_reason", "silver_agent_executions": "sla_status",
                "silver_workflow_executions": "workflow_status", "silver_recommendations": "category"}
    for table, rows in silver.items():
        yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(rows, count_by=count_by.get(table)))
