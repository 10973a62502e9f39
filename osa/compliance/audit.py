"""The tamper-evident audit log: one append-only table whose rows form a hash chain.

row_hash = SHA-256(prev_hash + "\\n" + canonical JSON of the row), prev_hash = the previous row's row_hash
(64 zeros for the first). Editing a row breaks its own hash; deleting or inserting one breaks the next
row's prev_hash and the sequence. Archived rows (Parquet, see `osa.compliance.archive`) stay part of the
chain: `verify` walks the archive first, then the hot table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from osa import catalog
from osa.compliance import archive
from osa.warehouse.base import Transaction, Warehouse

TABLE = "audit_log"
GENESIS = "0" * 64
_HASHED = ("seq", "event_date", "recorded_at", "action", "actor", "target", "details")


@dataclass(frozen=True)
class AuditEntry:
    """What to record. `details` is JSON-able and never holds personal data (counts, tables, ids)."""

    action: str
    actor: str
    target: str | None = None
    details: dict | None = None


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def row_hash(prev_hash: str, row: dict) -> str:
    """The chain link of `row` (its seq, day, time, action, actor, target and details) after `prev_hash`."""
    body = {name: row[name] for name in _HASHED}
    body["event_date"] = str(body["event_date"])
    body["recorded_at"] = _timestamp(body["recorded_at"])
    return hashlib.sha256(f"{prev_hash}\n{canonical(body)}".encode()).hexdigest()


def _head(tx: Transaction, archive_root: Path | None) -> tuple[int, str]:
    last = tx.query(f"SELECT seq, row_hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").to_pylist()
    if last:
        return int(last[0]["seq"]), last[0]["row_hash"]
    archived = archive.read_table(archive_root, TABLE) if archive_root else None
    if archived is not None and archived.num_rows:  # every hot row archived: the chain goes on from there
        rows = sorted(archived.select(["seq", "row_hash"]).to_pylist(), key=lambda r: r["seq"])
        return int(rows[-1]["seq"]), rows[-1]["row_hash"]
    return 0, GENESIS


def append(
    tx: Transaction, entries: Sequence[AuditEntry], *, archive_root: Path | None = None, now: dt.datetime | None = None
) -> list[int]:
    """Append `entries` to the chain inside `tx` (the caller's transaction, so the audit row commits with
    the change it records); returns their seq numbers. Writers are serialized on the table."""
    if not entries:
        return []
    tx.lock(TABLE)
    seq, previous = _head(tx, archive_root or archive.default_archive_dir())
    when = now or dt.datetime.now(dt.UTC)
    rows = []
    for entry in entries:
        seq += 1
        row = {
            "event_date": when.astimezone(dt.UTC).date(),
            "seq": seq,
            "recorded_at": when,
            "action": entry.action,
            "actor": entry.actor,
            "target": entry.target,
            "details": canonical(entry.details) if entry.details is not None else None,
        }
        row["prev_hash"] = previous
        row["row_hash"] = previous = row_hash(row["prev_hash"], row)
        rows.append(row)
    tx.insert(TABLE, pa.Table.from_pylist(rows, schema=catalog.table(TABLE).arrow_schema))
    return [r["seq"] for r in rows]


def record(warehouse: Warehouse, *entries: AuditEntry, archive_root: Path | None = None) -> list[int]:
    """Append `entries` in a transaction of their own."""
    with warehouse.transaction() as tx:
        return append(tx, entries, archive_root=archive_root)


def workflow_state_changes(before: pa.Table, after: pa.Table, actor: str, window: str) -> AuditEntry | None:
    """The audit entry for workflow status changes between two versions of `silver_workflow_executions`' rows
    (event_date, workflow_id, workflow_status) of one window; None when nothing changed (a re-run)."""
    key = ("event_date", "workflow_id")
    old = {tuple(r[k] for k in key): r["workflow_status"] for r in before.select([*key, "workflow_status"]).to_pylist()}
    new = {tuple(r[k] for k in key): r["workflow_status"] for r in after.select([*key, "workflow_status"]).to_pylist()}
    transitions: dict[str, int] = {}
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    for k in changed:
        name = f"{old.get(k) or 'none'}->{new.get(k) or 'removed'}"
        transitions[name] = transitions.get(name, 0) + 1
    if not changed:
        return None
    details = {"changes": len(changed), "transitions": transitions, "workflows": [f"{d}/{w}" for d, w in changed[:200]]}
    return AuditEntry("workflow_state", actor, target=window, details=details)


@dataclass(frozen=True)
class ChainReport:
    rows: int
    archived_rows: int
    broken_at: int | None  # seq of the first broken link
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    def line(self) -> str:
        if self.intact:
            return f"audit chain intact: {self.rows} rows ({self.archived_rows} archived)"
        return f"audit chain broken at seq {self.broken_at}: {self.reason}"


def walk(rows: Iterable[dict]) -> tuple[int, int | None, str]:
    """Check links in seq order; (rows checked, first broken seq or None, why)."""
    expected_seq, previous, checked = 1, GENESIS, 0
    for row in rows:
        seq = int(row["seq"])
        if seq != expected_seq:
            if seq > expected_seq:
                return checked, expected_seq, f"seq {expected_seq} is missing (a row was deleted)"
            return checked, seq, f"seq {seq} appears twice (a row was inserted)"
        if row["prev_hash"] != previous:
            return checked, seq, "prev_hash does not match the row before (a row before it was changed or replaced)"
        if row_hash(row["prev_hash"], row) != row["row_hash"]:
            return checked, seq, "row_hash does not match the row's contents (the row was edited)"
        previous, expected_seq, checked = row["row_hash"], seq + 1, checked + 1
    return checked, None, ""


def verify(warehouse: Warehouse, archive_root: Path | None = None) -> ChainReport:
    """Walk the archived rows, then the hot table, and report the first broken link."""
    archived = archive.read_table(archive_root or archive.default_archive_dir(), TABLE)
    cold = sorted(archived.to_pylist(), key=lambda r: r["seq"]) if archived is not None else []
    hot = warehouse.query(f"SELECT * FROM {TABLE} ORDER BY seq").to_pylist()
    archived_hashes = {(r["seq"], r["row_hash"]) for r in cold}
    # a crash between archiving and deleting leaves a row in both places: the same row counts once
    rows = cold + [r for r in hot if (r["seq"], r["row_hash"]) not in archived_hashes]
    _, broken, reason = walk(rows)
    return ChainReport(rows=len(rows), archived_rows=len(cold), broken_at=broken, reason=reason)
