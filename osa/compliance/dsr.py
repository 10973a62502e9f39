"""Data-subject requests: access, export, rectification and erasure in every store.

Which columns can hold a subject's data comes from the catalogue: every text column of every table
(`Column.scanned`), with the bronze tables' raw payloads and the landing files as the raw stores. A subject's
records are found two ways, which is also how the erasure is verified:

* **fingerprint** - the subject index (`pii_subjects_*`) maps the keyed fingerprint of the identifier to
  the records that held it; from those, the bronze rows and landing lines they came from (lineage);
* **pattern** - the tokens the warehouse stores instead of the value (its pseudonym and hash token) and the
  raw value itself (case-insensitive; a phone also by its digits) searched in every text column, every
  archived part and every landing line.

The audit record of a request holds its id, type and counts: never the identifier.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from osa import catalog
from osa.catalog.model import TEXT, TEXT_LIST, Table
from osa.compliance import archive, audit
from osa.compliance.holds import active_holds
from osa.compliance.lineage import SUBJECT_TABLES, bronze_link, record_id_sql
from osa.ingest.landing import SOURCES, landing_files
from osa.pii.operators import ENC_PREFIX
from osa.warehouse.base import Warehouse

ERASED = "[erased]"
REQUEST_TYPES = ("access", "export", "rectification", "erasure")
#: tables no request reads or changes: the audit chain (never holds identifiers) and the metric store (tags only)
_EXEMPT_LAYERS = ("compliance", "metrics")
#: derived tables whose rows are deleted, not edited, when they hold the subject (re-derived on the next run)
_DERIVED = ("knowledge_items",)


class RequestRefused(RuntimeError):
    """The request cannot run as asked (unknown identifier kind, a legal hold)."""


class ErasureIncomplete(RuntimeError):
    """The verification scan still found the subject; the message names where (never the value)."""


@dataclass(frozen=True)
class Subject:
    pii_type: str
    value: str
    fingerprint: str
    tokens: tuple[str, ...]  # what the protected stores hold instead of the value

    @property
    def needles(self) -> tuple[str, ...]:
        """Lower-case forms searched in raw stores and as a leak check everywhere."""
        found = [self.value.lower()]
        if self.pii_type == "phone":
            digits = re.sub(r"\D", "", self.value)
            if len(digits) >= 7:
                found.append(digits)
        return tuple(dict.fromkeys(found))


def resolve_subject(engine, identifier: str, pii_type: str | None = None) -> Subject:
    """The identifier's type (detected when not given: the engine must find it as one whole value)."""
    value = identifier.strip()
    if not value:
        raise RequestRefused("the subject identifier is empty")
    if pii_type is None:
        whole = [f for f in engine.analyze(value) if f.start == 0 and f.end == len(value)]
        if not whole:
            raise RequestRefused("cannot tell what kind of identifier the subject is; pass --type (e.g. email)")
        pii_type = max(whole, key=lambda f: f.confidence).pii_type
    operators = engine.operators
    return Subject(
        pii_type,
        value,
        engine.fingerprint(value, pii_type),
        (operators.pseudonymize(value, pii_type), operators.hash(value, pii_type)),
    )


def _text_columns(table: Table) -> list:
    return [c for c in table.columns if c.scanned]


def _as_text(column) -> str:
    return f"array_to_string({column.name}, ' ')" if column.type == TEXT_LIST else column.name


def _mentions(table: Table, subject: Subject, backend: str, *, raw: bool) -> tuple[str, list]:
    """A condition true for rows whose text holds a token (or, with `raw`, the raw value) of the subject."""
    parts, params = [], []
    for column in _text_columns(table):
        text = _as_text(column)
        for token in subject.tokens:
            parts.append(f"strpos({text}, ?) > 0")
            params.append(token)
        if raw:
            for needle in subject.needles:
                if needle.isdigit():
                    parts.append(f"strpos(regexp_replace({text}, '[^0-9]', '', 'g'), ?) > 0")
                else:
                    parts.append(f"strpos(lower({text}), ?) > 0")
                params.append(needle)
    return " OR ".join(parts) or "1 = 0", params


def _indexed(table: Table, subject: Subject) -> tuple[str, list]:
    if not table.key:
        return "1 = 0", []
    union = " UNION ALL ".join(
        f"SELECT record_id FROM {s} WHERE table_name = ? AND fingerprint = ?" for s in SUBJECT_TABLES
    )
    return f"{record_id_sql(table, table.name)} IN ({union})", [table.name, subject.fingerprint] * len(SUBJECT_TABLES)


def _scope(table: Table, subject: Subject, backend: str) -> tuple[str, list]:
    """Rows of `table` tied to the subject: by the subject index, by lineage (bronze), by pattern."""
    mentions, params = _mentions(table, subject, backend, raw=True)
    parts, all_params = [f"({mentions})"], list(params)
    if table.name in SUBJECT_TABLES:
        parts.append("fingerprint = ?")
        all_params.append(subject.fingerprint)
    elif table.layer != "bronze":
        indexed, indexed_params = _indexed(table, subject)
        parts.append(f"({indexed})")
        all_params += indexed_params
    else:
        for linked in catalog.TABLES:
            link = bronze_link(linked) if linked.layer in ("silver", "quarantine") else None
            if not link or link[0].name != table.name:
                continue
            inner, inner_params = _indexed(linked, subject)
            if inner == "1 = 0":
                continue
            join = " AND ".join(f"{linked.name}.{c} = {table.name}.{c}" for c in link[1])
            parts.append(f"EXISTS (SELECT 1 FROM {linked.name} WHERE {join} AND ({inner}))")
            all_params += inner_params
    return " OR ".join(parts), all_params


def _tables() -> list[Table]:
    return [t for t in catalog.TABLES if t.layer not in _EXEMPT_LAYERS and _text_columns(t)]


@dataclass
class Findings:
    """Everything tied to the subject, per store."""

    rows: dict[str, pa.Table] = field(default_factory=dict)  # table -> rows
    archived: dict[str, list[dict]] = field(default_factory=dict)  # part file -> rows
    landing: list[dict] = field(default_factory=list)  # {file, line, text}

    def counts(self) -> dict[str, int]:
        found = {t: rows.num_rows for t, rows in self.rows.items() if rows.num_rows}
        archived = sum(len(r) for r in self.archived.values())
        return {
            **found,
            **({"archive": archived} if archived else {}),
            **({"landing": len(self.landing)} if self.landing else {}),
        }


def locate(warehouse: Warehouse, subject: Subject, *, archive_root: Path, landing_root: Path) -> Findings:
    findings = Findings()
    for table in _tables():
        condition, params = _scope(table, subject, warehouse.backend)
        rows = warehouse.query(f"SELECT * FROM {table.name} WHERE {condition}", params)
        if rows.num_rows:
            findings.rows[table.name] = rows
    for part in archive.parts(archive_root):
        table = catalog.CATALOG.get(archive.table_of(part))
        if table is None or table.layer in _EXEMPT_LAYERS:
            continue
        condition, params = _mentions(table, subject, "duckdb", raw=True)
        with duckdb.connect() as con:
            con.execute("SET TimeZone = 'UTC'")
            rows = con.execute(
                f"SELECT * FROM read_parquet(?) WHERE {condition}", [str(part), *params]
            ).to_arrow_table()
        if rows.num_rows:
            findings.archived[str(part)] = rows.to_pylist()
    bronze_lines = {
        (row["source_file"], row["source_line"])
        for table in catalog.tables(layer="bronze")
        for row in findings.rows.get(table.name, pa.table({"source_file": [], "source_line": []}))
        .select(["source_file", "source_line"])
        .to_pylist()
    }
    findings.landing = _landing_lines(landing_root, subject, bronze_lines)
    return findings


def _landing_lines(root: Path, subject: Subject, wanted: set[tuple[str, int]]) -> list[dict]:
    needles = [n.encode() for n in (*subject.needles, *(t.lower() for t in subject.tokens)) if not n.isdigit()]
    found = []
    for source in SOURCES:
        for landing_file in landing_files(root, source):
            relative = str(landing_file.path.relative_to(root))
            data = landing_file.path.read_bytes()
            lowered = data.lower()
            wanted_here = {line for file, line in wanted if file == relative}
            if not wanted_here and not any(n in lowered for n in needles):
                continue
            for number, line in enumerate(data.split(b"\n"), start=1):
                if (number in wanted_here or any(n in line.lower() for n in needles)) and line.strip():
                    found.append({"file": relative, "line": number, "text": line.decode("utf-8", "replace")})
    return found


# ------------------------------------------------------------------------------------------ access / export
def _reveal(value, subject: Subject, engine):
    """What the subject gets back: their own tokens as the value, encrypted values decrypted (only here)."""
    if isinstance(value, str):
        for token in subject.tokens:
            value = value.replace(token, subject.value)
        if ENC_PREFIX + ":" in value:
            value = engine.reveal(value)
        return value
    if isinstance(value, list):
        return [_reveal(v, subject, engine) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def bundle(findings: Findings, subject: Subject, engine, request_id: str) -> dict:
    """The JSON bundle of everything tied to the subject (access and export)."""
    data_categories = {}
    records = {}
    for name, rows in findings.rows.items():
        table = catalog.table(name)
        data_categories[name] = sorted({c.privacy for c in table.columns if c.personal} | {"system.operations"})
        records[name] = [
            {k: _reveal(v, subject, engine) for k, v in row.items() if not k.startswith("embedding")}
            for row in rows.to_pylist()
        ]
    return {
        "request_id": request_id,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "subject": {"type": subject.pii_type, "value": subject.value},
        "data_categories": data_categories,
        "records": records,
        "archived": {
            path: [{k: _reveal(v, subject, engine) for k, v in row.items() if k != "embedding"} for row in rows]
            for path, rows in findings.archived.items()
        },
        "landing": findings.landing,
    }


def write_bundle(content: dict, path: Path) -> Path:
    """Write the bundle readable by its owner only (it holds the subject's raw data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(content, out, indent=2, ensure_ascii=False, default=str)
    return path


# ------------------------------------------------------------------------------------------ erasure / rectification
def _replace_sql(column, backend: str, pairs: list[tuple[str, str]]) -> tuple[str, list]:
    """An expression: the column with each (old, new) pair replaced (lists element-wise)."""
    expression, params = (
        "x" if column.type == TEXT_LIST else column.name,
        [],
    )
    for old, new in pairs:
        expression = f"replace({expression}, ?, ?)"
        params += [old, new]
    if column.type == TEXT_LIST:
        if backend == "postgres":
            return (
                f"(SELECT array_agg({expression} ORDER BY i) FROM unnest({column.name}) WITH ORDINALITY AS u(x, i))",
                params,
            )
        return f"list_transform({column.name}, lambda x: {expression})", params
    return expression, params


def _raw_replace_sql(column, backend: str, pairs: list[tuple[str, str]]) -> tuple[str, list]:
    """Case-insensitive replacement of raw values (regular expressions, the same flags in both dialects)."""
    expression, params = column.name, []
    for old, new in pairs:
        expression = f"regexp_replace({expression}, ?, ?, 'gi')"
        params += [re.escape(old), new]
    return expression, params


@dataclass
class RequestResult:
    request_id: str
    request_type: str
    found: dict[str, int]
    changed: dict[str, int] = field(default_factory=dict)
    bundle_path: Path | None = None
    verified: bool | None = None
    audit_seq: int | None = None

    def details(self) -> dict:
        return {
            "request_id": self.request_id,
            "found": self.found,
            "changed": self.changed,
            "verified": self.verified,
        }


def _check_holds(warehouse: Warehouse, subject: Subject, findings: Findings) -> None:
    holds = active_holds(warehouse)
    if subject.fingerprint in holds.fingerprints:
        raise RequestRefused("the subject is under a legal hold; erasure and rectification are blocked")
    workflows = {
        w
        for rows in findings.rows.values()
        if "workflow_id" in rows.column_names
        for w in rows.column("workflow_id").to_pylist()
        if w
    }
    held = sorted(workflows & set(holds.workflows))
    if held:
        raise RequestRefused(f"{len(held)} of the subject's workflows are under a legal hold; erasure is blocked")


def _change_table(tx, table: Table, subject: Subject, backend: str, new: Subject | None) -> int:
    """Erase (new None) or rectify the subject in the rows of `table` tied to it; returns rows changed."""
    condition, params = _scope(table, subject, backend)
    if table.name in SUBJECT_TABLES:
        if new is None:
            return tx.execute(f"DELETE FROM {table.name} WHERE fingerprint = ?", [subject.fingerprint])
        return tx.execute(
            f"UPDATE {table.name} SET fingerprint = ? WHERE fingerprint = ?", [new.fingerprint, subject.fingerprint]
        )
    if table.name in _DERIVED:
        hashes = tx.query(f"SELECT content_hash FROM {table.name} WHERE {condition}", params).column(0).to_pylist()
        removed = tx.execute(f"DELETE FROM {table.name} WHERE {condition}", params)
        if hashes:
            marks = ", ".join("?" for _ in hashes)
            tx.execute(f"DELETE FROM embedding_cache WHERE content_hash IN ({marks})", hashes)
        return removed
    replacement_tokens = new.tokens if new else (ERASED,) * len(subject.tokens)
    replacement_raw = new.value if new else ERASED
    assignments, assignment_params = [], []
    for column in _text_columns(table):
        if table.layer == "bronze" and column.personal:
            if new is None:  # the raw payload: the whole value goes, whatever spelling of the subject it holds
                assignments.append(f"{column.name} = NULL")
                continue
            expression, extra = _raw_replace_sql(column, backend, [(subject.value, replacement_raw)])
        else:
            pairs = list(zip(subject.tokens, replacement_tokens, strict=True))
            expression, extra = _replace_sql(column, backend, pairs)
            if column.name not in table.key and column.type != TEXT_LIST:  # free text may hold the raw value
                expression = f"regexp_replace({expression}, ?, ?, 'gi')"
                extra += [re.escape(subject.value), replacement_raw]
        assignments.append(f"{column.name} = {expression}")
        assignment_params += extra
    if not assignments:
        return 0
    changed = tx.execute(
        f"UPDATE {table.name} SET {', '.join(assignments)} WHERE {condition}", [*assignment_params, *params]
    )
    if table.layer == "pii" and table.name not in SUBJECT_TABLES and "fingerprint" in table.column_names:
        changed += tx.execute(
            f"UPDATE {table.name} SET fingerprint = ? WHERE fingerprint = ?",
            [new.fingerprint if new else ERASED, subject.fingerprint],
        )
    return changed


def _change_archives(findings: Findings, subject: Subject, new: Subject | None) -> int:
    import pyarrow.parquet as pq

    changed = 0
    for path_text in findings.archived:
        path = Path(path_text)
        table = catalog.table(archive.table_of(path))
        rows = pq.read_table(path, partitioning=None)
        with duckdb.connect() as con:
            con.execute("SET TimeZone = 'UTC'")
            con.register("part", rows)
            if table.name in _DERIVED or new is None and table.layer == "bronze":
                condition, params = _mentions(table, subject, "duckdb", raw=True)
                kept = con.execute(f"SELECT * FROM part WHERE NOT ({condition})", params).to_arrow_table()
            else:
                selects, params = [], []
                for column in table.columns:
                    if column.scanned:
                        tokens = new.tokens if new else (ERASED,) * len(subject.tokens)
                        expression, extra = _replace_sql(
                            column, "duckdb", list(zip(subject.tokens, tokens, strict=True))
                        )
                        if column.type == TEXT:
                            expression = f"regexp_replace({expression}, ?, ?, 'gi')"
                            extra += [re.escape(subject.value), new.value if new else ERASED]
                        selects.append(f"{expression} AS {column.name}")
                        params += extra
                    else:
                        selects.append(column.name)
                kept = con.execute(f"SELECT {', '.join(selects)} FROM part", params).to_arrow_table()
        archive.replace_part(path, kept.cast(table.arrow_schema))
        changed += len(findings.archived[path_text])
    return changed


def _change_landing(root: Path, findings: Findings, new: Subject | None, subject: Subject) -> int:
    """Erasure removes the subject's lines; rectification rewrites intake-form lines (deliveries are signed
    by their sender: a changed line would fail its signature, so those stay and are reported)."""
    by_file: dict[str, set[int]] = {}
    for hit in findings.landing:
        by_file.setdefault(hit["file"], set()).add(hit["line"])
    changed = 0
    for relative, numbers in by_file.items():
        path = root / relative
        if new is not None and not relative.startswith("intake_forms/"):
            continue
        lines = path.read_bytes().split(b"\n")
        if new is None:
            kept = [line for number, line in enumerate(lines, start=1) if number not in numbers]
        else:
            pattern = re.compile(re.escape(subject.value.encode()), re.IGNORECASE)
            kept = [
                pattern.sub(new.value.encode(), line) if number in numbers else line
                for number, line in enumerate(lines, start=1)
            ]
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(b"\n".join(kept))
        os.replace(temporary, path)
        changed += len(numbers)
    return changed


def verify_erased(warehouse: Warehouse, subject: Subject, *, archive_root: Path, landing_root: Path) -> list[str]:
    """Where the subject can still be found, by fingerprint and by pattern, in every store (empty: erased).
    Locations only: table and column, file and line, never the value."""
    remaining = []
    for name in SUBJECT_TABLES:
        n = warehouse.scalar(f"SELECT count(*) FROM {name} WHERE fingerprint = ?", [subject.fingerprint])
        if n:
            remaining.append(f"{name}: {n} index entries")
    for table in catalog.TABLES:
        if "fingerprint" in table.column_names and table.name not in SUBJECT_TABLES:
            n = warehouse.scalar(f"SELECT count(*) FROM {table.name} WHERE fingerprint = ?", [subject.fingerprint])
            if n:
                remaining.append(f"{table.name}.fingerprint: {n} rows")
        for column in _text_columns(table):
            single = Table(table.name, table.layer, table.step, "", "", "", table.retention, (column,))
            condition, params = _mentions(single, subject, warehouse.backend, raw=True)
            n = warehouse.scalar(f"SELECT count(*) FROM {table.name} WHERE {condition}", params)
            if n:
                remaining.append(f"{table.name}.{column.name}: {n} rows")
    for part in archive.parts(archive_root):
        table = catalog.CATALOG.get(archive.table_of(part))
        if table is None:
            continue
        condition, params = _mentions(table, subject, "duckdb", raw=True)
        with duckdb.connect() as con:
            n = con.execute(f"SELECT count(*) FROM read_parquet(?) WHERE {condition}", [str(part), *params]).fetchone()[
                0
            ]
        if n:
            remaining.append(f"archive {part.relative_to(archive_root)}: {n} rows")
    for hit in _landing_lines(landing_root, subject, set()):
        remaining.append(f"landing {hit['file']} line {hit['line']}")
    return remaining


def run_request(
    warehouse: Warehouse,
    engine,
    request_type: str,
    identifier: str,
    *,
    pii_type: str | None = None,
    new_value: str | None = None,
    archive_root: Path | None = None,
    landing_root: Path | None = None,
    bundle_dir: Path | None = None,
    actor: str = "dsr_job",
    request_id: str | None = None,
) -> RequestResult:
    """Run one data-subject request end to end and audit it (the audit row never holds the identifier)."""
    from osa.config import STATE_DIR, default_landing_dir

    if request_type not in REQUEST_TYPES:
        raise RequestRefused(f"unknown request type {request_type!r}; expected one of {', '.join(REQUEST_TYPES)}")
    archive_root = archive_root or archive.default_archive_dir()
    landing_root = landing_root or default_landing_dir()
    request_id = request_id or f"dsr-{uuid.uuid4().hex[:12]}"
    subject = resolve_subject(engine, identifier, pii_type)
    new = None
    if request_type == "rectification":
        if not new_value:
            raise RequestRefused("rectification needs the corrected value (--value)")
        new = resolve_subject(engine, new_value, subject.pii_type)
    findings = locate(warehouse, subject, archive_root=archive_root, landing_root=landing_root)
    result = RequestResult(request_id, request_type, findings.counts())
    if request_type in ("access", "export"):
        result.bundle_path = write_bundle(
            bundle(findings, subject, engine, request_id),
            (bundle_dir or STATE_DIR / "dsr") / f"{request_id}.json",
        )
    else:
        _check_holds(warehouse, subject, findings)
        with warehouse.transaction() as tx:
            for table in _tables():
                if table.name in findings.rows or table.name in SUBJECT_TABLES or table.layer == "pii":
                    n = _change_table(tx, table, subject, warehouse.backend, new)
                    if n:
                        result.changed[table.name] = n
        archived = _change_archives(findings, subject, new)
        if archived:
            result.changed["archive"] = archived
        landing = _change_landing(landing_root, findings, new, subject)
        if landing:
            result.changed["landing"] = landing
        if request_type == "erasure":
            remaining = verify_erased(warehouse, subject, archive_root=archive_root, landing_root=landing_root)
            result.verified = not remaining
    action = {"access": "dsr_access", "export": "dsr_export", "rectification": "dsr_rectification"}.get(
        request_type, "dsr_erasure"
    )
    result.audit_seq = audit.record(
        warehouse,
        audit.AuditEntry(action, actor, target=request_id, details={**result.details(), "pii_type": subject.pii_type}),
        archive_root=archive_root,
    )[0]
    if result.verified is False:
        raise ErasureIncomplete(
            f"request {request_id}: the subject is still present after erasure in: " + "; ".join(remaining[:10])
        )
    return result
