"""The nightly compliance scan: raw personal data where only protected data may be, raw data kept past its
30 days, and secrets stored anywhere - in every warehouse table, the archive and the landing zone.

A violation names where (store, table and column or file, row key) and what kind, never the value.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from osa import catalog
from osa.catalog.model import Table
from osa.compliance import archive
from osa.compliance.holds import active_holds, held
from osa.compliance.policies import policies_from_env
from osa.ingest.landing import SOURCES, landing_files
from osa.privacy import engine_names
from osa.warehouse.base import Warehouse

#: where raw personal data is allowed (for 30 days): the restricted raw zone
RAW_LAYERS = ("bronze",)
#: environment variables whose values must never be stored (lists are split on "," and ":")
SECRET_VARIABLES = (
    "OSA_WEBHOOK_SECRET",
    "OSA_WEBHOOK_SECRETS",
    "OSA_PII_HMAC_KEY",
    "OSA_PII_ENCRYPTION_KEYS",
    "OPENAI_API_KEY",
)
MIN_SECRET_LENGTH = 12  # shorter parts of a list variable are key ids, not secrets


@dataclass(frozen=True)
class Violation:
    kind: str  # raw_pii | expired_raw_data | secret
    store: str  # warehouse | archive | landing
    location: str  # table.column[path], or a file
    row_key: str | None
    detail: str  # the PII type, the age, which secret variable - never a value


def configured_secrets() -> dict[str, str]:
    """Secret values from the environment (name -> value), including each key of a key list."""
    found: dict[str, str] = {}
    for name in SECRET_VARIABLES:
        raw = os.environ.get(name, "")
        for part in [raw, *raw.replace(":", ",").split(",")]:
            part = part.strip()
            if len(part) >= MIN_SECRET_LENGTH:
                found.setdefault(part, name)
    return {value: name for value, name in found.items()}


def _record_ids(table: Table, frame: pl.DataFrame) -> pl.Series:
    if not table.key:
        return pl.Series("record_id", [None] * frame.height, pl.String)
    return frame.select(
        pl.concat_str([pl.col(k).cast(pl.String) for k in table.key], separator="/", ignore_nulls=True)
    ).to_series()


def _pii_in(table: Table, rows: pa.Table, engine, store: str, where: str) -> list[Violation]:
    frame = pl.from_arrow(rows)
    if not isinstance(frame, pl.DataFrame) or frame.height == 0:
        return []
    text = [c.name for c in table.columns if c.scanned and c.name in frame.columns]
    aliases = {k: v for k, v in engine_names(table.name).items() if k in text}  # organisation names: not people
    located = engine.locate_frame(
        frame.select(text).rename(aliases), json_columns=[c for c in table.json_columns if c in text]
    )
    if located.height == 0:
        return []
    for name, alias in aliases.items():
        located = located.with_columns(pl.col("field_path").str.replace(f"^{alias}", name))
    ids = _record_ids(table, frame)
    return [
        Violation("raw_pii", store, f"{where}.{r['field_path']}", ids[r["row"]], r["pii_type"])
        for r in located.unique(["row", "field_path", "pii_type"]).sort("row").iter_rows(named=True)
    ]


def _secrets_in(warehouse: Warehouse, table: Table, secrets: dict[str, str]) -> list[Violation]:
    found = []
    for column in (c for c in table.columns if c.scanned):
        text = f"array_to_string({column.name}, ' ')" if column.type.polars == pl.List(pl.String) else column.name
        for value, name in secrets.items():
            n = warehouse.scalar(f"SELECT count(*) FROM {table.name} WHERE strpos({text}, ?) > 0", [value])
            if n:
                found.append(
                    Violation("secret", "warehouse", f"{table.name}.{column.name}", None, f"{name} ({n} rows)")
                )
    return found


def scan(
    warehouse: Warehouse,
    engine,
    as_of: dt.date,
    *,
    archive_root: Path | None = None,
    landing_root: Path | None = None,
    secrets: dict[str, str] | None = None,
    dagster_home: Path | None = None,
) -> list[Violation]:
    """Every violation in the warehouse, the archive and the landing zone as of `as_of`; with `dagster_home`,
    also a secret stored in Dagster's local storage (run config, event logs, compute logs)."""
    from osa.config import default_landing_dir

    archive_root = archive_root or archive.default_archive_dir()
    landing_root = landing_root or default_landing_dir()
    secrets = configured_secrets() if secrets is None else secrets
    cutoff = policies_from_env()["pii_data"].cutoff(as_of)
    holds = active_holds(warehouse)
    violations: list[Violation] = []
    for table in catalog.TABLES:
        if not any(c.scanned for c in table.columns):
            continue
        violations += _secrets_in(warehouse, table, secrets)
        if table.layer in RAW_LAYERS:
            if table.retention == "pii_data" and cutoff is not None:
                condition = held(table, holds).negated()
                old = warehouse.query(
                    f"SELECT count(*) AS n, min(event_date) AS oldest FROM {table.name} "
                    f"WHERE event_date < ? AND {condition.sql}",
                    [cutoff, *condition.params],
                ).to_pylist()[0]
                if old["n"]:
                    violations.append(
                        Violation(
                            "expired_raw_data",
                            "warehouse",
                            table.name,
                            None,
                            f"{old['n']} rows older than 30 days (oldest {old['oldest']})",
                        )
                    )
            continue
        if table.layer in ("metrics", "compliance"):
            continue
        violations += _pii_in(table, warehouse.query(f"SELECT * FROM {table.name}"), engine, "warehouse", table.name)
    for part in archive.parts(archive_root):
        table = catalog.CATALOG.get(archive.table_of(part))
        if table is None:
            continue
        with duckdb.connect() as con:
            rows = con.execute("SELECT * FROM read_parquet(?)", [str(part)]).to_arrow_table()
        where = str(part.relative_to(archive_root))
        violations += _pii_in(table, rows, engine, "archive", where)
        violations += _secrets_in_rows(rows, secrets, where)  # the file is compressed: search the values
    for source in SOURCES:
        for landing_file in landing_files(landing_root, source):
            where = str(landing_file.path.relative_to(landing_root))
            if cutoff is not None and landing_file.day < cutoff:
                violations.append(Violation("expired_raw_data", "landing", where, None, f"day {landing_file.day}"))
            violations += _secrets_in_file("landing", landing_root, landing_file.path, secrets)
    for path in sorted(dagster_home.rglob("*")) if dagster_home and dagster_home.is_dir() else []:
        if path.is_file():
            violations += _secrets_in_file("dagster", dagster_home, path, secrets)
    return violations


def _secrets_in_file(store: str, root: Path, path: Path, secrets: dict[str, str]) -> list[Violation]:
    blob = path.read_bytes()
    where = str(path.relative_to(root))
    return [Violation("secret", store, where, None, name) for value, name in secrets.items() if value.encode() in blob]


def _secrets_in_rows(rows: pa.Table, secrets: dict[str, str], where: str) -> list[Violation]:
    frame = pl.from_arrow(rows)
    if not isinstance(frame, pl.DataFrame) or not secrets:
        return []
    text = [
        pl.col(c).list.join(" ") if dtype == pl.List(pl.String) else pl.col(c)
        for c, dtype in frame.schema.items()
        if dtype in (pl.String, pl.List(pl.String))
    ]
    found = []
    for value, name in secrets.items():
        hits = (
            frame.select(pl.any_horizontal([t.str.contains(value, literal=True) for t in text]).sum()).item()
            if text
            else 0
        )
        if hits:
            found.append(Violation("secret", "archive", where, None, f"{name} ({hits} rows)"))
    return found


def summary(violations: list[Violation]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in violations:
        counts[v.kind] = counts.get(v.kind, 0) + 1
    return counts


def as_dicts(violations: list[Violation]) -> list[dict]:
    return [asdict(v) for v in violations]
