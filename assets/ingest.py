"""Ingest assets: one step per source turns landing files into bronze, silver and quarantine at once.

Doing verify/validate/split in one step means each raw file is read once, the accounting identity
(records in = accepted + quarantined + duplicates) is computed in one place, and all tables of a
window are replaced together. The logic lives in `osa.ingest`; this module only wires it up.
"""

import dagster as dg
import polars as pl
import pyarrow as pa

from assets.metadata import table_metadata
from assets.partitions import DAILY, SINGLE_RUN, days_in, window
from osa.ingest.intake import process_intake
from osa.ingest.landing import landing_files, read_lines
from osa.ingest.opal import process_deliveries
from osa.privacy import ProtectedRows, protect_rows, write_protected
from resources import LandingZoneResource, PrivacyResource, WarehouseResource, WebhookSecretResource

OWNERS = ["team:data-platform"]
INSIGHT_TABLES = (
    "silver_content_review_insights",
    "silver_geo_audit_findings",
    "silver_audience_segments",
    "silver_experiment_blueprints",
    "silver_personalization_ideas",
    "silver_roadmap_items",
    "silver_integration_health_checks",
    "silver_cmp_issues",
    "silver_customer_journey_stages",
)


def _spec(
    key: str, group: str, description: str, deps: list[str] | None = None, kinds: set[str] | None = None
) -> dg.AssetSpec:
    return dg.AssetSpec(
        key,
        group_name=group,
        description=description,
        deps=deps or [],
        owners=OWNERS,
        kinds=kinds or {"duckdb", "polars"},
        tags={"layer": group},
    )


AUDIT_DESCRIPTION = (
    "PII audit trail: one row per protected value (type, mode, confidence, detector, record, "
    "field path, keyed fingerprint). Never the raw value."
)
SUBJECTS_DESCRIPTION = (
    "Subject index: keyed fingerprints of identifiers (emails, phones, names, ...) to the "
    "records holding them, for data-subject access and erasure."
)


def _compliance_results(source: str, protected: list[ProtectedRows]):
    """Materializations of the audit and subject-index assets, with counts per type and mode."""
    audits = [p.audit for p in protected if p.audit is not None and p.audit.num_rows]
    subjects = sum(p.subjects.num_rows for p in protected if p.subjects is not None)
    counts: dict[str, dg.MetadataValue] = {"dagster/row_count": dg.MetadataValue.int(sum(a.num_rows for a in audits))}
    if audits:
        frame = pl.concat([pl.from_arrow(a) for a in audits], how="vertical_relaxed")
        by_type_mode = frame.group_by("pii_type", "mode").len().sort("len", descending=True)
        counts["redactions_by_type_and_mode"] = dg.MetadataValue.md(
            "| pii_type | mode | count |\n|---|---|---|\n"
            + "\n".join(f"| {t} | {m} | {n} |" for t, m, n in by_type_mode.iter_rows())
        )
        for pii_type, n in frame.group_by("pii_type").len().iter_rows():
            counts[f"redactions_{pii_type}"] = dg.MetadataValue.int(n)
    yield dg.MaterializeResult(asset_key=f"pii_audit_{source}", metadata=counts)
    yield dg.MaterializeResult(
        asset_key=f"pii_subjects_{source}", metadata={"dagster/row_count": dg.MetadataValue.int(subjects)}
    )


def _write_step(
    context: dg.AssetExecutionContext,
    store,
    source: str,
    result,
    protected: list[ProtectedRows],
    files: int,
    start,
    end,
) -> dg.MaterializeResult:
    """Write a step's tables in one transaction; report the bronze materialization with the accounting."""
    write_protected(store, protected, start, end, audit_source=source, restricted={f"bronze_{source}": result.bronze})
    accounting = {
        "records_in": result.records_in,
        "accepted": result.accepted,
        "quarantined": result.quarantined,
        "duplicates": result.duplicates,
        "unaccounted": result.records_in - result.accepted - result.quarantined - result.duplicates,
    }
    context.log.info(f"{source} {start}..{end}: {accounting}")
    return dg.MaterializeResult(
        asset_key=f"bronze_{source}", metadata={**table_metadata(result.bronze), **accounting, "files": files}
    )


def _known_ids(warehouse, table: str, column: str, start, end) -> pa.Array:
    """Digests accepted in partitions outside [start, end), so replays across days are caught whatever order
    the partitions are materialized in (a later day loaded first keeps its copy; it is never counted twice)."""
    return warehouse.query(
        f"SELECT DISTINCT {column} FROM {table} WHERE (event_date < ? OR event_date >= ?) AND NOT is_duplicate",
        [start, end],
    ).column(0)


@dg.multi_asset(
    specs=[
        _spec("bronze_intake_forms", "bronze", "Every parsed intake form as received (credentials removed)."),
        _spec(
            "silver_intake_forms",
            "silver",
            "Valid intake forms, typed; credentials kept only as key names.",
            deps=["bronze_intake_forms"],
        ),
        _spec(
            "quarantine_intake_forms",
            "quarantine",
            "Rejected intake forms with reason codes and file/line.",
            deps=["bronze_intake_forms"],
        ),
        _spec("pii_audit_intake_forms", "pii", AUDIT_DESCRIPTION, deps=["bronze_intake_forms"]),
        _spec("pii_subjects_intake_forms", "pii", SUBJECTS_DESCRIPTION, deps=["bronze_intake_forms"]),
    ],
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    can_subset=False,
)
def intake_forms(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingZoneResource,
    privacy: PrivacyResource,
):
    start, end = window(context)
    store, protector = warehouse.get(), privacy.protector()
    files = landing_files(landing.root, "intake_forms", days_in(start, end))
    result = process_intake(
        read_lines(files, landing.root), known_form_ids=_known_ids(store, "bronze_intake_forms", "form_id", start, end)
    )
    protected = [
        protect_rows("silver_intake_forms", result.silver, protector),
        protect_rows("quarantine_intake_forms", result.quarantine, protector),
    ]
    yield _write_step(context, store, "intake_forms", result, protected, len(files), start, end)
    yield dg.MaterializeResult(
        asset_key="silver_intake_forms", metadata=table_metadata(result.silver, count_by="analysis_depth")
    )
    yield dg.MaterializeResult(
        asset_key="quarantine_intake_forms", metadata=table_metadata(result.quarantine, count_by="primary_reason")
    )
    yield from _compliance_results("intake_forms", protected)


@dg.multi_asset(
    specs=[
        _spec(
            "bronze_opal_deliveries",
            "bronze",
            "Signature-verified OPAL webhook deliveries (raw body); replays flagged as duplicates.",
        ),
        _spec(
            "quarantine_opal_deliveries",
            "quarantine",
            "Rejected deliveries: malformed envelopes, bad/stale signatures, contract violations.",
            deps=["bronze_opal_deliveries"],
        ),
        _spec(
            "silver_agent_executions",
            "silver",
            "One row per valid agent output with its SLA status.",
            deps=["bronze_opal_deliveries"],
        ),
        _spec(
            "silver_workflow_executions",
            "silver",
            "Per workflow and day: agents reporting, failures, degraded flag (>half outputs invalid).",
            deps=["bronze_opal_deliveries"],
        ),
        _spec(
            "silver_recommendations",
            "silver",
            "Every agent's recommendations normalized to one schema (category, priority 1-10, impact, effort).",
            deps=["bronze_opal_deliveries"],
        ),
        *[
            _spec(
                name,
                "silver",
                f"Agent-specific insights: {name.removeprefix('silver_').replace('_', ' ')}.",
                deps=["bronze_opal_deliveries"],
            )
            for name in INSIGHT_TABLES
        ],
        _spec("pii_audit_opal_deliveries", "pii", AUDIT_DESCRIPTION, deps=["bronze_opal_deliveries"]),
        _spec("pii_subjects_opal_deliveries", "pii", SUBJECTS_DESCRIPTION, deps=["bronze_opal_deliveries"]),
    ],
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    can_subset=False,
)
def opal_deliveries(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingZoneResource,
    webhook: WebhookSecretResource,
    privacy: PrivacyResource,
):
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
    protected = [protect_rows(table, rows, protector) for table, rows in silver.items()]
    yield _write_step(context, store, "opal_deliveries", result, protected, len(files), start, end)
    count_by = {
        "quarantine_opal_deliveries": "primary_reason",
        "silver_agent_executions": "sla_status",
        "silver_workflow_executions": "workflow_status",
        "silver_recommendations": "category",
    }
    for item in protected:  # metadata from the protected rows: figures and schema only, never values
        yield dg.MaterializeResult(
            asset_key=item.table, metadata=table_metadata(item.rows, count_by=count_by.get(item.table))
        )
    yield from _compliance_results("opal_deliveries", protected)
