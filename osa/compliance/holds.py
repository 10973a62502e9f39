"""Legal holds: a workflow or a data subject whose data retention and erasure must leave alone.

A subject hold stores the keyed fingerprints of the identifier (the subject index's key), never the
identifier. A held row is one that belongs to a held workflow (its `workflow_id`), one the subject index
ties to a held subject, or a bronze row such a row came from (`osa.compliance.lineage`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

from osa import catalog
from osa.catalog.model import Table
from osa.compliance import audit
from osa.compliance.lineage import SUBJECT_TABLES, linked_tables, record_id_sql
from osa.warehouse.base import Warehouse

TABLE = "legal_holds"


@dataclass(frozen=True)
class Holds:
    """The holds in force."""

    hold_ids: tuple[str, ...] = ()
    workflows: tuple[str, ...] = ()
    fingerprints: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.workflows or self.fingerprints)


@dataclass
class Condition:
    sql: str
    params: list = field(default_factory=list)

    def negated(self) -> Condition:
        return Condition(f"NOT ({self.sql})", list(self.params))


def active_holds(warehouse: Warehouse) -> Holds:
    rows = warehouse.query(
        f"SELECT hold_id, scope, workflow_id, subject_fingerprint FROM {TABLE} WHERE released_at IS NULL"
    ).to_pylist()
    return Holds(
        hold_ids=tuple(sorted({r["hold_id"] for r in rows})),
        workflows=tuple(sorted({r["workflow_id"] for r in rows if r["scope"] == "workflow" and r["workflow_id"]})),
        fingerprints=tuple(
            sorted({r["subject_fingerprint"] for r in rows if r["scope"] == "subject" and r["subject_fingerprint"]})
        ),
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join('?' for _ in values)})"


def held(table: Table, holds: Holds) -> Condition:
    """A condition (on `table`'s unqualified columns) true for the rows a hold covers."""
    if not holds:
        return Condition("1 = 0")
    parts: list[str] = []
    params: list = []
    if holds.workflows and "workflow_id" in table.column_names:
        parts.append(_in("workflow_id", holds.workflows))
        params += holds.workflows
    if holds.fingerprints:
        if table.name in SUBJECT_TABLES:
            parts.append(_in("fingerprint", holds.fingerprints))
            params += holds.fingerprints
        elif table.key:
            subjects = " UNION ALL ".join(
                f"SELECT record_id FROM {s} WHERE table_name = ? AND {_in('fingerprint', holds.fingerprints)}"
                for s in SUBJECT_TABLES
            )
            parts.append(f"{record_id_sql(table, table.name)} IN ({subjects})")
            for _ in SUBJECT_TABLES:
                params += [table.name, *holds.fingerprints]
    if table.layer == "bronze":
        for linked, columns in linked_tables(table):
            inner = held(linked, holds)
            if inner.sql == "1 = 0":
                continue
            join = " AND ".join(f"{linked.name}.{c} = {table.name}.{c}" for c in columns)
            parts.append(f"EXISTS (SELECT 1 FROM {linked.name} WHERE {join} AND ({inner.sql}))")
            params += inner.params
    return Condition(" OR ".join(f"({p})" for p in parts) or "1 = 0", params)


def place(
    warehouse: Warehouse,
    hold_id: str,
    reason: str,
    *,
    workflow_id: str | None = None,
    fingerprints: tuple[str, ...] = (),
    actor: str = "osa",
) -> int:
    """Place a hold on a workflow or on a subject (its identifier's fingerprints); audited."""
    if (workflow_id is None) == (not fingerprints):
        raise ValueError("a legal hold covers either one workflow or one subject")
    now = dt.datetime.now(dt.UTC)
    scope = "workflow" if workflow_id else "subject"
    targets = [workflow_id] if workflow_id else list(fingerprints)
    rows = pa.Table.from_pylist(
        [
            {
                "event_date": now.date(),
                "hold_id": hold_id,
                "scope": scope,
                "workflow_id": workflow_id,
                "subject_fingerprint": None if workflow_id else target,
                "reason": reason,
                "placed_at": now,
                "released_at": None,
            }
            for target in targets
        ],
        schema=catalog.table(TABLE).arrow_schema,
    )
    with warehouse.transaction() as tx:
        tx.insert(TABLE, rows)
        audit.append(
            tx,
            [
                audit.AuditEntry(
                    "legal_hold",
                    actor,
                    target=f"hold {hold_id}",
                    details={"placed": scope, "workflow_id": workflow_id, "identifiers": len(fingerprints)},
                )
            ],
        )
    return rows.num_rows


def release(warehouse: Warehouse, hold_id: str, *, actor: str = "osa") -> int:
    with warehouse.transaction() as tx:
        released = tx.execute(
            f"UPDATE {TABLE} SET released_at = ? WHERE hold_id = ? AND released_at IS NULL",
            [dt.datetime.now(dt.UTC), hold_id],
        )
        if released:
            audit.append(tx, [audit.AuditEntry("legal_hold", actor, target=f"hold {hold_id}", details={"released": 1})])
    return released
