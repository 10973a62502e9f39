"""Ingest assets: one step per source turns landing files into bronze, silver, quarantine and PII tables at once.

Doing verify/validate/split in one step means each raw file is read once, the accounting identity
(records in = accepted + quarantined + duplicates) is computed in one place, and all tables of a
window are replaced together. The tables a step writes, their descriptions and schemas come from the
catalogue (`osa.catalog`); the logic lives in `osa.ingest`; this module only wires them up.
"""

import contextlib
import datetime as dt
import os
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from assets.metadata import counts_by_day, daily_metadata, report_partitions
from assets.partitions import DAILY, SINGLE_RUN, days_in, window
from assets.specs import step_specs
from osa import catalog
from osa.compliance import audit
from osa.ingest.intake import process_intake
from osa.ingest.landing import landing_files, read_lines, vanished_files
from osa.ingest.opal import process_deliveries
from osa.privacy import ProtectedRows, protect_rows, write_protected
from resources import LandingZoneResource, PrivacyResource, WarehouseResource, WebhookSecretResource

ACCOUNTING = ("records_in", "accepted", "quarantined", "duplicates", "unaccounted")


def _accounting_by_day(lines: pa.Table, accepted: pa.Table, quarantine: pa.Table, bronze: pa.Table) -> dict:
    """Per day: records in (landing lines), accepted, quarantined, duplicates and the difference."""
    parts = {
        "records_in": counts_by_day(lines),
        "accepted": counts_by_day(accepted),
        "quarantined": counts_by_day(quarantine),
        "duplicates": counts_by_day(bronze, flag="is_duplicate"),
    }
    days = set().union(*parts.values())
    out = {}
    for day in days:
        row = {name: counts.get(day, 0) for name, counts in parts.items()}
        row["unaccounted"] = row["records_in"] - row["accepted"] - row["quarantined"] - row["duplicates"]
        out[day] = row
    return out


def _concat(parts: list[pa.Table | None]) -> pa.Table | None:
    tables = [p for p in parts if p is not None and p.num_rows]
    return pa.concat_tables(tables, promote_options="permissive") if tables else None


def _write_step(store, source: str, result, protected: list[ProtectedRows], start: dt.date, end: dt.date) -> None:
    """Write a step's tables (bronze, silver, quarantine, PII audit and subjects) in one transaction."""
    write_protected(store, protected, start, end, audit_source=source, restricted={f"bronze_{source}": result.bronze})


def _chunk_metadata(source: str, lines: pa.Table, result, accepted: pa.Table, protected: list[ProtectedRows]):
    """Per table, per day: the figures one chunk of days contributes, and its accounting per day."""
    accounting = _accounting_by_day(lines, accepted, result.quarantine, result.bronze)
    bronze = f"bronze_{source}"
    per_table = {bronze: daily_metadata(catalog.table(bronze), result.bronze)}
    for day, figures in accounting.items():
        per_table[bronze].setdefault(day, {"dagster/row_count": dg.MetadataValue.int(0)})
        per_table[bronze][day].update({name: dg.MetadataValue.int(value) for name, value in figures.items()})
    for item in protected:
        per_table[item.table] = daily_metadata(catalog.table(item.table), item.rows)
    for table, rows in (
        (f"pii_audit_{source}", _concat([p.audit for p in protected])),
        (f"pii_subjects_{source}", _concat([p.subjects for p in protected])),
    ):
        per_table[table] = daily_metadata(catalog.table(table), rows) if rows is not None else {}
    return per_table, accounting


def _report_step(context: dg.AssetExecutionContext, source: str, per_table: dict, accounting: dict, start, end):
    """Report every table's own figures per partition."""
    bronze = f"bronze_{source}"
    for table, per_day in per_table.items():
        empty = {name: dg.MetadataValue.int(0) for name in ACCOUNTING} if table == bronze else None
        report_partitions(context, table, start, end, per_day, empty=empty)
    totals = {name: sum(day[name] for day in accounting.values()) for name in ACCOUNTING}
    context.log.info(f"{source} {start}..{end}: {totals}")
    for spec in catalog.tables(step=source):
        yield dg.MaterializeResult(asset_key=spec.name)


def _known_ids(warehouse, table: str, column: str, start, end) -> pa.Array:
    """Digests accepted in partitions outside [start, end), so replays across days are caught whatever order
    the partitions are materialized in (a later day loaded first keeps its copy; it is never counted twice)."""
    return warehouse.query(
        f"SELECT DISTINCT {column} FROM {table} WHERE (event_date < ? OR event_date >= ?) AND NOT is_duplicate",
        [start, end],
    ).column(0)


@contextlib.contextmanager
def _decided(store, source: str, column: str, start: dt.date, end: dt.date, decide):
    """`decide(known ids)`'s outcome, kept true until the block (the step's write) ends.

    Whether a record replays another day depends on what the other partitions hold, and a run of another day
    in another process can change that between this step's read and its write: two days ingested at the same
    moment would both accept a record they share. So every ingest step of a source reads the known ids that
    decide and writes under one mutex per source (`Warehouse.serialized`). The work (validation, PII
    protection) is done first, outside it; under it the known ids are read again and the work is redone only
    if they changed for this window's own ids. The mutex is held for one read and the write (rarely the work
    again): other days' work runs in parallel, and other sources, gold steps and readers never wait on it.
    """
    table = f"bronze_{source}"
    known = _known_ids(store, table, column, start, end)
    result, protected = decide(known)
    with store.serialized(f"ingest_{source}"):
        now = _known_ids(store, table, column, start, end)
        if not _same_replays(result.bronze[column], known, now):
            result, protected = decide(now)
        yield result, protected


def _same_replays(ids: pa.ChunkedArray, known: pa.ChunkedArray, now: pa.ChunkedArray) -> bool:
    """Whether the same of `ids` are in `known` as in `now` (the rest of either cannot change a decision)."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    marks = [pc.is_in(ids, value_set=ks.combine_chunks().cast(ids.type)) for ks in (known, now)]
    return marks[0].equals(marks[1])


def _read_window(store, landing: LandingZoneResource, source: str, start: dt.date, end: dt.date) -> pa.Table:
    """The window's landing lines, refused if a file that stored rows came from is gone: the window would
    otherwise be replaced without them, deleting committed rows with every check green."""
    committed = store.query(
        f"SELECT source_file FROM bronze_{source} WHERE event_date >= ? AND event_date < ?"
        f" UNION SELECT source_file FROM quarantine_{source} WHERE event_date >= ? AND event_date < ?",
        [start, end, start, end],
    ).column(0)
    gone = vanished_files(landing.root, committed.to_pylist())
    if gone:
        more = f" and {len(gone) - 1} more" if len(gone) > 1 else ""
        raise dg.Failure(
            f"landing file {gone[0]}{more} is gone since its rows were stored; restore it, or restage its source "
            "with `osa ingest` to change a day on purpose (the stored rows are kept until then)"
        )
    return read_lines(landing_files(landing.root, source, days_in(start, end)), landing.root)


#: Landing megabytes an ingest step processes at once. A ranged run (a backfill) goes through its window in
#: chunks of consecutive days holding up to this many MB of landing files (a bigger day is a chunk of its own),
#: so memory follows one chunk, not the window (issue 13: 30,000 workflows in one batch needed 2.4 GB). Chunks of
#: one day each were measured 15x slower on 141 days: every chunk pays the known-ids query and a transaction.
CHUNK_MB_ENV = "OSA_INGEST_CHUNK_MB"


def chunks_of(root: Path, source: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """[start, end) cut into consecutive windows of about OSA_INGEST_CHUNK_MB (default 32) MB of landing files."""
    raw = os.environ.get(CHUNK_MB_ENV, "32")
    try:
        budget = float(raw) * (1 << 20)
    except ValueError:
        budget = 0
    if not budget > 0:
        raise dg.Failure(f"{CHUNK_MB_ENV} must be a number of megabytes above 0, not {raw!r}")
    sizes: dict[dt.date, int] = {}
    for file in landing_files(root, source, days_in(start, end)):
        sizes[file.day] = sizes.get(file.day, 0) + file.path.stat().st_size
    out: list[tuple[dt.date, dt.date]] = []
    chunk_start, used = start, 0
    for day in days_in(start, end):
        size = sizes.get(day, 0)
        if used and used + size > budget:
            out.append((chunk_start, day))
            chunk_start, used = day, 0
        used += size
    out.append((chunk_start, end))
    return out


def _ingest(
    store, landing: LandingZoneResource, source: str, column: str, start: dt.date, end: dt.date, process, accepted_of
):
    """Ingest [start, end) chunk by chunk: `process(lines, known ids)` -> (result, protected tables);
    `accepted_of(result)` is the accepted rows the accounting counts.

    Each chunk is read, decided, protected and written on its own, in date order, then dropped, keeping only
    its figures and the ids it accepted. Replays are decided as one pass over the window would: the known ids
    are those accepted outside the whole window plus those the earlier chunks of this run accepted (the
    window's old rows are being replaced, so they do not count). Returns the figures per table and day, the
    accounting per day and the deliveries verified per webhook key id."""
    per_table: dict[str, dict] = {}
    accounting: dict[str, dict] = {}
    accepted_here: list[pa.Array] = []
    verified_by_key: dict[str, int] = {}
    for chunk_start, chunk_end in chunks_of(landing.root, source, start, end):
        lines = _read_window(store, landing, source, chunk_start, chunk_end)

        def decide(known: pa.ChunkedArray, lines=lines):
            earlier = [chunk.cast(pa.string()) for chunk in known.chunks]
            return process(lines, pa.chunked_array([*earlier, *accepted_here], type=pa.string()))

        with _decided(store, source, column, start, end, decide) as (result, protected):
            _write_step(store, source, result, protected, chunk_start, chunk_end)
        accepted = accepted_of(result)
        bronze = result.bronze
        accepted_here.append(
            pc.filter(bronze[column], pc.invert(bronze["is_duplicate"])).combine_chunks().cast(pa.string())
        )
        chunk_tables, chunk_accounting = _chunk_metadata(source, lines, result, accepted, protected)
        for table, per_day in chunk_tables.items():
            per_table.setdefault(table, {}).update(per_day)
        accounting.update(chunk_accounting)
        for key_id, count in (getattr(result, "verified_by_key", None) or {}).items():
            verified_by_key[key_id] = verified_by_key.get(key_id, 0) + count
        del lines, result, protected, accepted, bronze
    return per_table, accounting, verified_by_key


@dg.multi_asset(
    specs=step_specs("intake_forms", process_intake),
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

    def process(lines: pa.Table, known: pa.ChunkedArray):
        result = process_intake(lines, known_form_ids=known)
        protected = [
            protect_rows("silver_intake_forms", result.silver, protector),
            protect_rows("quarantine_intake_forms", result.quarantine, protector),
        ]
        return result, protected

    per_table, accounting, _ = _ingest(
        store, landing, "intake_forms", "form_id", start, end, process, lambda result: result.silver
    )
    yield from _report_step(context, "intake_forms", per_table, accounting, start, end)


@dg.multi_asset(
    specs=step_specs("opal_deliveries", process_deliveries),
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
    keyring = webhook.keyring()

    def process(lines: pa.Table, known: pa.ChunkedArray):
        result = process_deliveries(lines, secret=keyring, known_delivery_ids=known)
        silver = {
            "quarantine_opal_deliveries": result.quarantine,
            "silver_agent_executions": result.agent_executions,
            "silver_workflow_executions": result.workflow_executions,
            "silver_recommendations": result.recommendations,
            **result.insights,
        }
        return result, [protect_rows(table, rows, protector) for table, rows in silver.items()]

    states = "SELECT event_date, workflow_id, workflow_status FROM silver_workflow_executions"
    before = store.query(f"{states} WHERE event_date >= ? AND event_date < ?", [start, end])
    per_table, accounting, verified_by_key = _ingest(
        store, landing, "opal_deliveries", "delivery_id", start, end, process, lambda result: result.agent_executions
    )
    if verified_by_key:  # during a rotation: which keys senders still sign with
        context.log.info(f"verified deliveries per webhook key id: {verified_by_key}")
    yield from _report_step(context, "opal_deliveries", per_table, accounting, start, end)
    after = store.query(f"{states} WHERE event_date >= ? AND event_date < ?", [start, end])
    entry = audit.workflow_state_changes(before, after, "opal_deliveries", f"{start}..{end}")
    if entry is not None:  # the audit log's record of workflow state changes (none on an identical re-run)
        audit.record(store, entry)
