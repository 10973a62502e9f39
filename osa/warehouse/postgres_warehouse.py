"""The production warehouse: PostgreSQL with TimescaleDB hypertables and pgvector, on psycopg 3.

Design, in short:

* Every operation opens its own short connection, so the object is safe to share with forked/spawned
  Dagster step processes; nothing is cached but catalog facts (column types, which tables are hypertables).
* A partition write (`replace_windows`) is one transaction: DELETE the [start, end) window, then
  ``COPY ... FROM STDIN (FORMAT BINARY)`` through psycopg's C dumpers (`copy.set_types` + `write_row`).
  Before touching anything it takes transaction-scoped advisory locks in one global order, so two runs
  writing the *same* days of a table serialize (no duplicates: the second DELETE sees the first's rows)
  while runs writing *different* days of the same table proceed in parallel, and no order of runs can
  deadlock.
* `query` returns Arrow with the same types DuckDB returns for the same tables (date32, timestamp[us, UTC],
  list<l: string>, int64/int32, double, bool, string, decimal128(p, s), fixed_size_list<float>[N]), so
  callers such as the gold assets never need to know the backend.
* Retention (`drop_before`) removes whole TimescaleDB chunks with `drop_chunks`; only the days before the cutoff
  in a multi-day chunk that straddles it go row by row.

The module is deliberately Dagster-free; `resources.WarehouseResource` builds it from configuration.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format

from osa.catalog.ddl import LiveColumn
from osa.warehouse.base import (
    NEAREST_COLUMNS,
    Transaction,
    VectorSearch,
    Warehouse,
    check_identifier,
    migration_files,
)
from osa.warehouse.readonly import check_pg_readonly

# Advisory-lock namespaces (first key of the two-int form). Day locks use the one-bigint form, which
# PostgreSQL keeps in a separate key space, so the two kinds can never collide.
_MIGRATION_LOCK = 0x05A0_0001
_TABLE_LOCK = 0x05A0_0002
_NAMED_LOCK = 0x05A0_0003  # `serialized(name)`: its own namespace, so it never waits on a table's writers
# Windows up to this many days lock per (table, day) so different days write in parallel; wider windows
# (backfills) take the whole table exclusively, which keeps the lock count per transaction small.
MAX_DAY_LOCKS = 31
_PG_EPOCH = dt.date(2000, 1, 1)

# DuckDB names a list's child field "l" and a fixed-size list's child ""; mirror that exactly.
_LIST_CHILD = "l"
_ARRAY_CHILD = ""


def redact_url(url: str) -> str:
    """The connection string with its password replaced by ***, for logs, errors and reprs (URL or
    libpq key=value form)."""
    if "://" not in url:
        return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url)
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparseable database URL>"
    query = re.sub(r"(password=)[^&]*", r"\1***", parts.query)
    if password is not None:
        userinfo, host = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=f"{userinfo.split(':', 1)[0]}:***@{host}")
    return urlunsplit(parts._replace(query=query))


def scrub_credentials(message: str, url: str) -> str:
    """`message` with every form of `url`'s password (raw, percent-decoded, the whole user part, the URL
    itself) replaced by ***, including when the URL is malformed and libpq quotes a piece of it back."""
    from urllib.parse import unquote

    candidates = {url}
    if "://" in url:
        rest = url.split("://", 1)[1]
        userinfo = rest.rsplit("@", 1)[0] if "@" in rest else ""
        if userinfo:
            candidates.add(userinfo)
            if ":" in userinfo:
                password = userinfo.split(":", 1)[1]
                candidates |= {password, unquote(password)}
    else:
        for match in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", url):
            candidates |= {match.group(1), match.group(1).strip("'")}
    for candidate in sorted((c for c in candidates if len(c) >= 3), key=len, reverse=True):
        message = message.replace(candidate, "***")
    return message.strip().splitlines()[0] if message.strip() else "connection failed"


def _lock_key(name: str) -> int:
    """A stable signed 32-bit key for a table name (the same in every process and on every machine)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def to_pg_placeholders(query: str) -> str:
    """Rewrite DuckDB-style ``?`` parameters as psycopg ``%s`` (and escape literal ``%``), leaving quoted
    strings, quoted identifiers, dollar-quoted bodies and comments alone. Callers write one dialect of
    placeholders whatever the backend."""
    out: list[str] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if query[end] == ch:
                    if end + 1 < n and query[end + 1] == ch:  # doubled quote inside the literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(query[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif query.startswith("--", i):
            end = query.find("\n", i)
            end = n if end < 0 else end
            out.append(query[i:end].replace("%", "%%"))
            i = end
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(query[i:end].replace("%", "%%"))
            i = end
        elif ch == "$" and (match := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", query[i:])):
            tag = match.group(0)
            end = query.find(tag, i + len(tag))
            end = n if end < 0 else end + len(tag)
            out.append(query[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ------------------------------------------------------------------------------------------ types
@dataclass(frozen=True)
class _PgType:
    """One column type as the catalog describes it: base type name, array flag and type modifier."""

    name: str  # pg_type.typname of the element for arrays (text, int8, vector, ...)
    is_array: bool
    typmod: int

    @property
    def copy_name(self) -> str:
        """The name `Copy.set_types` understands (psycopg's registry uses typnames, arrays as name[])."""
        return f"{self.name}[]" if self.is_array else self.name

    def arrow(self) -> pa.DataType:
        """The Arrow type DuckDB would return for the matching column."""
        if self.is_array:
            return pa.list_(pa.field(_LIST_CHILD, _pgtype_scalar_arrow(self.name, -1)))
        return _pgtype_scalar_arrow(self.name, self.typmod)


_SCALAR_ARROW: dict[str, pa.DataType] = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "uuid": pa.string(),
    "json": pa.string(),
    "jsonb": pa.string(),
    "date": pa.date32(),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "timestamp": pa.timestamp("us"),
    "time": pa.time64("us"),
    "bytea": pa.binary(),
    "interval": pa.duration("us"),
}


def _pgtype_scalar_arrow(name: str, typmod: int) -> pa.DataType:
    if name == "numeric":
        if typmod < 4:  # unconstrained NUMERIC (e.g. avg/sum results): no fixed scale, so DOUBLE
            return pa.float64()
        precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
        return pa.decimal128(precision, scale)
    if name == "vector":
        if typmod <= 0:
            return pa.list_(pa.field(_ARRAY_CHILD, pa.float32()))
        return pa.list_(pa.field(_ARRAY_CHILD, pa.float32()), typmod)
    return _SCALAR_ARROW.get(name, pa.string())


# Built-in OIDs (stable across PostgreSQL versions); anything else is looked up in pg_type once.
_BUILTIN_OIDS: dict[int, tuple[str, bool]] = {
    16: ("bool", False),
    17: ("bytea", False),
    19: ("name", False),
    20: ("int8", False),
    21: ("int2", False),
    23: ("int4", False),
    25: ("text", False),
    114: ("json", False),
    700: ("float4", False),
    701: ("float8", False),
    1042: ("bpchar", False),
    1043: ("varchar", False),
    1082: ("date", False),
    1083: ("time", False),
    1114: ("timestamp", False),
    1184: ("timestamptz", False),
    1186: ("interval", False),
    1700: ("numeric", False),
    2950: ("uuid", False),
    3802: ("jsonb", False),
    1000: ("bool", True),
    1005: ("int2", True),
    1007: ("int4", True),
    1016: ("int8", True),
    1009: ("text", True),
    1015: ("varchar", True),
    1021: ("float4", True),
    1022: ("float8", True),
    1182: ("date", True),
    1185: ("timestamptz", True),
}


class _VectorTextLoader(Loader):
    """pgvector text output ``[1,2,3]`` to a float32 numpy array (Arrow-friendly, no per-element objects)."""

    format = Format.TEXT

    def load(self, data) -> np.ndarray:
        text = bytes(data)[1:-1]
        return np.array(text.split(b","), dtype=np.float32) if text else np.zeros(0, np.float32)


# ------------------------------------------------------------------------------------------ arrow -> COPY
# COPY (FORMAT BINARY) sends every field in the type's binary wire format. Where building Python objects
# would dominate (tz-aware datetimes cost ~2.5 us each, psycopg's list dumper is pure Python), columns are
# encoded from the Arrow buffers with numpy instead, and handed to psycopg's C int dumpers or to a
# pass-through dumper. The bytes are exactly what psycopg's own date/timestamptz/array/numeric dumpers
# would send: DATE is int4 days and TIMESTAMPTZ int8 microseconds since 2000-01-01.
_PG_EPOCH_DAYS = 10_957  # 2000-01-01 - 1970-01-01
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86_400 * 1_000_000
_ELEMENT_OIDS = {"text": 25, "varchar": 1043}


class _PreEncoded(Dumper):
    """Passes bytes already in the column type's binary wire format through unchanged."""

    format = Format.BINARY

    def dump(self, obj) -> bytes:
        return obj


def _split(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray, valid: np.ndarray) -> list[bytes | None]:
    data = buffer.tobytes()
    return [data[a:b] if ok else None for a, b, ok in zip(starts.tolist(), ends.tolist(), valid.tolist(), strict=True)]


def _put_int32(buffer: np.ndarray, positions: np.ndarray, values: np.ndarray) -> None:
    buffer[positions[:, None] + np.arange(4)] = np.asarray(values, ">i4").view(np.uint8).reshape(-1, 4)


def _encode_text_arrays(array: pa.Array, element_oid: int) -> list[bytes | None]:
    """list<string> to PostgreSQL's binary array format (array_recv), vectorized over the whole column."""
    array = array.cast(pa.list_(pa.string()))
    n = len(array)
    offsets = array.offsets.to_numpy().astype(np.int64)
    child = array.values
    first, last = int(offsets[0]), int(offsets[-1])
    child_offsets = np.frombuffer(child.buffers()[1], np.int32, len(child) + 1, child.offset * 4).astype(np.int64)
    data = np.frombuffer(child.buffers()[2], np.uint8) if child.buffers()[2] is not None else np.zeros(0, np.uint8)
    element_valid = (
        child.is_valid().to_numpy(zero_copy_only=False)[first:last] if child.null_count else np.ones(last - first, bool)
    )
    element_len = np.where(element_valid, child_offsets[first + 1 : last + 1] - child_offsets[first:last], 0)
    counts = np.diff(offsets)
    row_of_element = np.repeat(np.arange(n), counts)
    # 20-byte header (ndim=1, has_null, element oid, length, lower bound 1); an empty array is 12 bytes (ndim=0)
    slot = 4 + element_len
    slot_end = np.cumsum(slot)
    before_row = np.concatenate([[0], slot_end])[offsets[:-1] - first]
    row_size = np.where(counts > 0, 20, 12) + np.concatenate([[0], slot_end])[offsets[1:] - first] - before_row
    row_end = np.cumsum(row_size)
    row_start = row_end - row_size
    out = np.zeros(int(row_end[-1]) if n else 0, np.uint8)
    nulls_per_row = np.bincount(row_of_element[~element_valid], minlength=n)
    has_null = (nulls_per_row > 0).astype(np.int32)
    _put_int32(out, row_start, (counts > 0).astype(np.int32))
    _put_int32(out, row_start + 4, has_null)
    _put_int32(out, row_start + 8, np.full(n, element_oid))
    full = counts > 0
    _put_int32(out, row_start[full] + 12, counts[full])
    _put_int32(out, row_start[full] + 16, np.ones(int(full.sum()), np.int32))
    element_pos = row_start[row_of_element] + 20 + (slot_end - slot) - before_row[row_of_element]
    _put_int32(out, element_pos, np.where(element_valid, element_len, -1))
    if element_len.sum():
        byte_element = np.repeat(np.arange(last - first), element_len)
        source = child_offsets[first:last][byte_element] + (
            np.arange(len(byte_element)) - np.repeat(np.cumsum(element_len) - element_len, element_len)
        )
        out[element_pos[byte_element] + 4 + (source - child_offsets[first:last][byte_element])] = data[source]
    valid = array.is_valid().to_numpy(zero_copy_only=False) if array.null_count else np.ones(n, bool)
    return _split(out, row_start, row_end, valid)


def _encode_vectors(array: pa.Array, dim: int) -> list[bytes | None]:
    """fixed_size_list<float> (or list<float>) to pgvector's binary input: int16 dim, int16 0, float4 BE."""
    if not pa.types.is_fixed_size_list(array.type):
        array = array.cast(pa.list_(pa.float32(), dim))
    values = array.flatten().cast(pa.float32()).to_numpy(zero_copy_only=False)
    size = array.type.list_size
    valid = array.is_valid().to_numpy(zero_copy_only=False) if array.null_count else np.ones(len(array), bool)
    if array.null_count:  # flatten() skips null slots; put rows back in place
        full = np.zeros((len(array), size), np.float32)
        full[valid] = values.reshape(-1, size)
        values = full
    body = values.reshape(len(array), size).astype(">f4").view(np.uint8).reshape(len(array), 4 * size)
    header = np.frombuffer(struct.pack(">HH", size, 0), np.uint8)
    out = np.concatenate([np.broadcast_to(header, (len(array), 4)), body], axis=1).reshape(-1)
    starts = np.arange(len(array)) * (4 + 4 * size)
    return _split(out, starts, starts + 4 + 4 * size, valid)


def _encode_numeric(array: pa.Array, dumper: Dumper) -> list[bytes | None]:
    """NUMERIC via psycopg's numeric dumper, once per distinct value (metric thresholds repeat a lot).
    Floats bound for an unconstrained NUMERIC go through their shortest exact decimal text."""
    encoded = array.dictionary_encode()
    values = encoded.dictionary.to_pylist()
    if pa.types.is_floating(array.type):
        values = [decimal.Decimal(repr(v)) for v in values]
    dictionary = [dumper.dump(value) for value in values]
    return [None if i is None else dictionary[i] for i in encoded.indices.to_pylist()]


@dataclass
class _CopyColumn:
    """How one column goes over COPY: the type name for `set_types` and the values for `write_row`."""

    copy_type: str
    values: list


def _encode_column(column: pa.Array, pg_type: _PgType, numeric_dumper: Dumper) -> _CopyColumn:
    """One Arrow column as COPY values, cast to the target type first (a string column bound for DATE is
    parsed or rejected, like DuckDB's implicit cast on INSERT)."""
    target = pg_type.arrow()
    if pg_type.name == "vector" and not pg_type.is_array:
        return _CopyColumn(
            "vector",
            _encode_vectors(
                column, target.list_size if pa.types.is_fixed_size_list(target) else len(column[0].as_py() or [])
            ),
        )
    if not column.type.equals(target):
        column = pc.cast(column, target)
    if pg_type.is_array and pg_type.name in _ELEMENT_OIDS:
        return _CopyColumn(pg_type.copy_name, _encode_text_arrays(column, _ELEMENT_OIDS[pg_type.name]))
    if pg_type.is_array:
        return _CopyColumn(pg_type.copy_name, column.to_pylist())
    if pg_type.name == "date":
        return _CopyColumn("int4", pc.subtract(column.cast(pa.int32()), _PG_EPOCH_DAYS).to_pylist())
    if pg_type.name in ("timestamptz", "timestamp"):
        return _CopyColumn("int8", pc.subtract(column.cast(pa.int64()), _PG_EPOCH_US).to_pylist())
    if pg_type.name == "numeric":
        return _CopyColumn("numeric", _encode_numeric(column, numeric_dumper))
    return _CopyColumn(pg_type.copy_name, column.to_pylist())


def _to_arrow(values: list, pg_type: _PgType) -> pa.Array:
    target = pg_type.arrow()
    if pg_type.name == "vector" and not pg_type.is_array:
        dim = target.list_size if pa.types.is_fixed_size_list(target) else None
        present = [v for v in values if v is not None]
        if dim is None and present:  # an unconstrained vector column: take the size from the data
            dim = len(present[0])
            target = pa.list_(pa.field(_ARRAY_CHILD, pa.float32()), dim)
        if dim is None:
            return pa.array(values, target)
        flat = np.zeros((len(values), dim), np.float32)
        mask = np.array([v is None for v in values], dtype=bool)
        for i, v in enumerate(values):
            if v is not None:
                flat[i] = v
        return pa.FixedSizeListArray.from_arrays(
            pa.array(flat.reshape(-1)), type=target, mask=pa.array(mask) if mask.any() else None
        )
    if pa.types.is_floating(target) and any(isinstance(v, decimal.Decimal) for v in values):
        values = [None if v is None else float(v) for v in values]
    elif pa.types.is_string(target) and not all(v is None or isinstance(v, str) for v in values):
        values = [None if v is None else str(v) for v in values]  # types without an Arrow mapping: as text
    return pa.array(values, target)


# ------------------------------------------------------------------------------------------ warehouse
class PostgresWarehouse(Warehouse):
    """PostgreSQL + TimescaleDB + pgvector. `url` is a libpq URL; its password never appears in reprs."""

    backend = "postgres"

    def __init__(self, url: str, *, connect_timeout_s: int = 10, application_name: str = "osa-lakehouse") -> None:
        if not url:
            raise ValueError("PostgresWarehouse needs a database URL (OSA_DATABASE_URL)")
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.application_name = application_name
        self._columns: dict[str, list[tuple[str, _PgType]]] = {}
        self._types_by_oid: dict[int, tuple[str, bool]] = dict(_BUILTIN_OIDS)
        self._vector_oid: int | None = None
        self._hypertables: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"PostgresWarehouse({redact_url(self.url)!r})"

    # ---------------------------------------------------------------- connections
    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False, autocommit: bool = False) -> Iterator[psycopg.Connection]:
        """A short-lived connection; the caller commits (or uses `con.transaction()`)."""
        try:
            con = psycopg.connect(
                self.url,
                autocommit=autocommit,
                connect_timeout=self.connect_timeout_s,
                application_name=self.application_name,
            )
        except psycopg.Error as error:  # libpq echoes parts of a malformed URL: scrub them all
            raise psycopg.OperationalError(
                f"cannot connect to the warehouse at {redact_url(self.url)}: {scrub_credentials(str(error), self.url)}"
            ) from None
        try:
            if read_only:
                con.read_only = True
            self._register_vector(con)
            yield con
        finally:
            con.close()

    def _register_vector(self, con: psycopg.Connection) -> None:
        """Teach this connection pgvector's type (its OID differs per database, so it is looked up once)."""
        if self._vector_oid is None:
            row = con.execute("SELECT oid FROM pg_type WHERE typname = 'vector' AND pg_type_is_visible(oid)").fetchone()
            if not con.autocommit:
                con.rollback()  # leave no transaction open behind the caller's back
            if row is None:
                return
            self._vector_oid = int(row[0])
            self._types_by_oid[self._vector_oid] = ("vector", False)
        info = psycopg.types.TypeInfo("vector", self._vector_oid, 0)
        info.register(con)
        con.adapters.register_loader(self._vector_oid, _VectorTextLoader)

    # ---------------------------------------------------------------- schema
    def apply_schema(self) -> list[str]:
        migrations = migration_files(self.backend)
        wanted = {version for version, _ in migrations}
        with self.connect(autocommit=True) as con:
            if wanted <= self._applied_versions(con):
                return []  # the common case: every step calls this, so it costs one round trip
            # Concurrent appliers (several step processes starting at once) queue here; the lock is
            # per schema so test databases/schemas don't block each other.
            con.execute("SELECT pg_advisory_lock(%s, hashtext(current_schema()))", (_MIGRATION_LOCK,))
            try:
                con.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, "
                    "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                applied: list[str] = []
                for version, path in migrations:
                    if version in self._applied_versions(con):
                        continue
                    try:
                        with con.transaction():
                            con.execute(path.read_text())
                            con.execute(
                                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, path.name)
                            )
                    except psycopg.errors.InsufficientPrivilege as error:
                        raise PermissionError(
                            f"{path.name} needs a privilege the warehouse role lacks ({error}). Extensions "
                            f"such as vector must be created once by a superuser: CREATE EXTENSION vector;"
                        ) from error
                    applied.append(version)
            finally:
                con.execute("SELECT pg_advisory_unlock(%s, hashtext(current_schema()))", (_MIGRATION_LOCK,))
        if applied:
            self._columns.clear()
            self._hypertables.clear()
            self._vector_oid = None
        return applied

    @staticmethod
    def _applied_versions(con: psycopg.Connection) -> set[str]:
        if con.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
            return set()
        return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}

    def _table_columns(self, con: psycopg.Connection, table: str) -> list[tuple[str, _PgType]]:
        if table not in self._columns:
            rows = con.execute(
                """
                SELECT a.attname, coalesce(e.typname, t.typname), e.oid IS NOT NULL, a.atttypmod
                FROM pg_attribute a
                JOIN pg_type t ON t.oid = a.atttypid
                LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
                WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum""",
                (table,),
            ).fetchall()
            if not rows:
                raise psycopg.errors.UndefinedTable(f'relation "{table}" does not exist')
            self._columns[table] = [
                (name, _PgType(typname, is_array, typmod)) for name, typname, is_array, typmod in rows
            ]
        return self._columns[table]

    def is_hypertable(self, table: str) -> bool:
        """Whether `table` is a TimescaleDB hypertable (retention then drops chunks)."""
        check_identifier(table)
        if table not in self._hypertables:
            with self.connect(read_only=True) as con:
                self._hypertables[table] = self._hypertable(con, table)
        return self._hypertables[table]

    @staticmethod
    def _hypertable(con: psycopg.Connection, table: str) -> bool:
        return bool(
            con.execute(
                "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables "
                "WHERE hypertable_schema = current_schema() AND hypertable_name = %s)",
                (table,),
            ).fetchone()[0]
        )

    # ---------------------------------------------------------------- writes
    def replace_windows(
        self, tables: dict[str, pa.Table], start: dt.date, end: dt.date, date_column: str = "event_date"
    ) -> int:
        check_identifier(date_column)
        for table in tables:
            check_identifier(table)
        names = sorted(tables)  # one global order for locks and writes: no lock-order deadlocks
        written = 0
        with self.connect() as con, con.transaction():
            self._lock_windows(con, names, start, end)
            for table in names:
                rows = tables[table]
                con.execute(
                    sql.SQL("DELETE FROM {t} WHERE {c} >= %s AND {c} < %s").format(
                        t=sql.Identifier(table), c=sql.Identifier(date_column)
                    ),
                    (start, end),
                )
                written += self._copy(con, table, rows)
        return written

    def _lock_windows(self, con: psycopg.Connection, tables: list[str], start: dt.date, end: dt.date) -> None:
        """Serialize writers of the same (table, day); let different days of one table write concurrently."""
        days = (end - start).days
        table_keys = [_lock_key(t) for t in tables]
        if 0 < days <= MAX_DAY_LOCKS:
            con.execute(
                "SELECT count(pg_advisory_xact_lock_shared(%s, k)) FROM unnest(%s::int4[]) AS k",
                (_TABLE_LOCK, table_keys),
            )
            first = (start - _PG_EPOCH).days
            day_keys = [(key << 32) | ((first + i) & 0xFFFFFFFF) for key in table_keys for i in range(days)]
            con.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::int8[]) AS k", (day_keys,))
        else:
            con.execute(
                "SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(%s::int4[]) AS k", (_TABLE_LOCK, table_keys)
            )

    def _copy(self, con: psycopg.Connection, table: str, rows: pa.Table) -> int:
        if rows.num_rows == 0:
            return 0
        catalog = dict(self._table_columns(con, table))
        unknown = [name for name in rows.column_names if name not in catalog]
        if unknown:
            raise ValueError(f"{table} has no column(s) {', '.join(unknown)}")
        types = [catalog[name] for name in rows.column_names]
        # psycopg's own numeric dumper encodes each distinct DECIMAL; the pass-through dumpers then take
        # over the oids whose values arrive pre-encoded (this connection only lives for this write).
        numeric_dumper = con.adapters.get_dumper_by_oid(1700, Format.BINARY)(decimal.Decimal, con)
        for pg_type in types:
            if pg_type.name in ("numeric", "vector") or (pg_type.is_array and pg_type.name in _ELEMENT_OIDS):
                oid = con.adapters.types.get_oid(pg_type.copy_name)
                con.adapters.register_dumper(None, type("PreEncoded", (_PreEncoded,), {"oid": oid}))
        statement = sql.SQL("COPY {t} ({cols}) FROM STDIN (FORMAT BINARY)").format(
            t=sql.Identifier(table), cols=sql.SQL(", ").join(map(sql.Identifier, rows.column_names))
        )
        with con.cursor().copy(statement) as copy:
            set_types = False
            for batch in rows.to_batches(max_chunksize=65_536):
                columns = [_encode_column(batch.column(i), types[i], numeric_dumper) for i in range(batch.num_columns)]
                if not set_types:
                    copy.set_types([column.copy_type for column in columns])
                    set_types = True
                for row in zip(*(column.values for column in columns), strict=True):
                    copy.write_row(row)
        return rows.num_rows

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self.connect() as con, con.transaction():
            yield _PostgresTransaction(self, con)

    @contextlib.contextmanager
    def serialized(self, name: str) -> Iterator[None]:
        """A transaction-scoped advisory lock on a connection of its own, held while the block runs (ended,
        and so released, when it leaves; a process that dies releases it with its connection). Table writes
        inside the block use their own connections and locks, which never wait on this one."""
        with self.connect() as con:  # not autocommit: the lock lives in the transaction this statement opens
            con.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_NAMED_LOCK, _lock_key(check_identifier(name))))
            try:
                yield
            finally:
                # Ending the transaction releases the lock. If the server went away, the lock went with the session,
                # and psycopg's transaction block would log a second error line ("error ignored in rollback").
                with contextlib.suppress(psycopg.Error):
                    con.rollback()

    # ---------------------------------------------------------------- schema maintenance
    def execute(self, statements: list[str]) -> None:
        with self.connect() as con, con.transaction():
            for statement in statements:
                con.execute(statement)

    def live_columns(self) -> list[LiveColumn]:
        with self.connect(read_only=True) as con:
            rows = con.execute(
                """
                SELECT c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
                       col_description(c.oid, a.attnum)
                FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0
                  AND NOT a.attisdropped AND c.relname <> 'schema_migrations'
                ORDER BY c.relname, a.attnum"""
            ).fetchall()
        return [LiveColumn(*row) for row in rows]

    def table_comments(self) -> dict[str, str | None]:
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'schema_migrations'"
            ).fetchall()
        return dict(rows)

    def view_comments(self) -> dict[str, str | None]:
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'v'"
            ).fetchall()
        return dict(rows)

    def applied_migrations(self) -> set[str]:
        with self.connect(read_only=True) as con:
            return self._applied_versions(con)

    # ---------------------------------------------------------------- reads
    def query(self, sql_text: str, params: list | None = None) -> pa.Table:
        with self.connect(read_only=True) as con, con.cursor() as cur:
            if params:
                cur.execute(to_pg_placeholders(sql_text), params)
            else:
                cur.execute(sql_text)
            return self._arrow_result(con, cur)

    #: HNSW candidates per search (pgvector's default is 40): recall@10 vs exact search measured in bench/.
    HNSW_EF_SEARCH = 100

    @contextlib.contextmanager
    def vector_search(self) -> Iterator[VectorSearch]:
        import numpy as np
        from pgvector.psycopg import register_vector

        with self.connect(read_only=True) as con:
            register_vector(con)  # the pgvector package adapts numpy arrays to `vector`
            # pgvector's cost estimate grows with ef_search, and the planner then picked a parallel seq scan (~1 s
            # at 100k rows, bench/vector_search.py): the index is the only sensible plan for these queries. With a
            # filter, iterative scans keep reading the index until k rows pass it (pgvector >= 0.8). Session
            # settings: this connection runs nothing else and is closed at the end.
            con.execute(f"SET hnsw.ef_search = {int(self.HNSW_EF_SEARCH)}")
            con.execute("SET enable_seqscan = off")
            con.execute("SET hnsw.iterative_scan = strict_order")
            con.commit()

            def search(vector, k: int, *, where: str = "", params: list | None = None) -> pa.Table:
                query = np.asarray(vector, dtype=np.float32)
                with con.transaction(), con.cursor() as cur:
                    cur.execute(
                        to_pg_placeholders(
                            f"SELECT {NEAREST_COLUMNS}, 1 - (embedding <=> ?) AS similarity FROM knowledge_items "
                            f"WHERE is_active {('AND ' + where) if where else ''} ORDER BY embedding <=> ? LIMIT ?"
                        ),
                        [query, *(params or []), query, k],
                        prepare=True,
                    )
                    return self._arrow_result(con, cur)

            yield search

    # The role `osa query` switches to (sql/postgres/V005): the one named after this database, else (a
    # database copied from another, e.g. a test template) another NOLOGIN reader role granted to us.
    _READER_ROLE_SQL = """
        SELECT r.rolname FROM pg_roles r
        WHERE r.rolname LIKE '%\\_reader' AND NOT r.rolcanlogin AND NOT r.rolsuper AND NOT r.rolcreaterole
          AND NOT r.rolcreatedb AND NOT r.rolbypassrls AND NOT r.rolreplication
          AND pg_has_role(current_user, r.oid, 'MEMBER') AND NOT pg_has_role(r.oid, current_user, 'MEMBER')
          AND has_schema_privilege(r.oid, current_schema(), 'USAGE')
        ORDER BY r.rolname = current_database() || '_reader' DESC, r.rolname
        LIMIT 1"""

    def reader_role(self) -> str | None:
        """The read-only role `query_readonly` runs as, or None where the migration could not create it."""
        with self.connect(read_only=True) as con:
            row = con.execute(self._READER_ROLE_SQL).fetchone()
        return row[0] if row else None

    def query_readonly(self, sql_text: str, timeout_s: float) -> pa.Table:
        """See `osa.warehouse.readonly` for the layers: lexical check, one prepared statement, a read-only
        transaction that is always rolled back, the reader role and a statement timeout."""
        check_pg_readonly(sql_text)
        with self.connect(read_only=True) as con:  # BEGIN READ ONLY on the first statement
            try:
                with con.cursor() as cur:
                    # Taking the snapshot here means the transaction can no longer be made read-write.
                    cur.execute(
                        "SELECT set_config('statement_timeout', %s, true), "
                        "set_config('standard_conforming_strings', 'on', true), "
                        "set_config('lock_timeout', %s, true)",
                        (f"{max(1, round(timeout_s * 1000))}ms", f"{max(1, round(timeout_s * 1000))}ms"),
                    )
                    role = cur.execute(self._READER_ROLE_SQL).fetchone()
                    if role:
                        cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role[0])))
                    try:
                        cur.execute(sql_text, prepare=True)  # a prepared statement holds one command only
                    except psycopg.errors.QueryCanceled as error:
                        raise TimeoutError(
                            f"the query ran longer than {timeout_s:g}s and was cancelled ({error})"
                        ) from None
                    return self._arrow_result(con, cur)
            finally:
                con.rollback()  # whatever the statement did (lo_create, ...), none of it stays

    def _arrow_result(self, con: psycopg.Connection, cur: psycopg.Cursor) -> pa.Table:
        result = cur.pgresult
        if result is None or cur.description is None:
            return pa.table({})
        types = [self._result_type(con, result.ftype(i), result.fmod(i)) for i in range(result.nfields)]
        names = [column.name for column in cur.description]
        rows = cur.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        return pa.table(
            [_to_arrow(list(values), pg_type) for values, pg_type in zip(columns, types, strict=True)], names=names
        )

    def _result_type(self, con: psycopg.Connection, oid: int, typmod: int) -> _PgType:
        if oid not in self._types_by_oid:
            row = con.execute(
                "SELECT coalesce(e.typname, t.typname), e.oid IS NOT NULL FROM pg_type t "
                "LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' WHERE t.oid = %s",
                (oid,),
            ).fetchone()
            self._types_by_oid[oid] = (row[0], bool(row[1])) if row else ("text", False)
        name, is_array = self._types_by_oid[oid]
        return _PgType(name, is_array, typmod)

    # ---------------------------------------------------------------- retention
    def drop_before(self, table: str, cutoff: dt.date, date_column: str = "event_date") -> int:
        """Hypertables lose whole chunks that end on or before `cutoff` (`drop_chunks`), then the rows before
        `cutoff` left in a chunk that straddles it (tables with `chunk_days` > 1); a plain table (the embeddings
        table, which needs one global vector index) falls back to a DELETE."""
        check_identifier(table)
        check_identifier(date_column)
        with self.connect() as con, con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_TABLE_LOCK, _lock_key(table)))
            delete = sql.SQL("DELETE FROM {t} WHERE {c} < %s").format(
                t=sql.Identifier(table), c=sql.Identifier(date_column)
            )
            if not self._hypertable(con, table):
                return con.execute(delete, (cutoff,)).rowcount
            chunks = [
                row[0]
                for row in con.execute(
                    "SELECT show_chunks(%s::regclass, older_than => %s::date)::text", (table, cutoff)
                ).fetchall()
            ]
            removed = 0
            if chunks:
                counts = sql.SQL(" + ").join(
                    sql.SQL("(SELECT count(*) FROM {})").format(sql.SQL(chunk)) for chunk in chunks
                )  # chunk names come from the catalog
                removed = int(con.execute(sql.SQL("SELECT ") + counts).fetchone()[0])
                con.execute("SELECT drop_chunks(%s::regclass, older_than => %s::date)", (table, cutoff))
            # A chunk of several days (`Table.chunk_days`) can straddle the cutoff: its days before it go by DELETE.
            return removed + con.execute(delete, (cutoff,)).rowcount


class _PostgresTransaction:
    def __init__(self, warehouse: PostgresWarehouse, con: psycopg.Connection) -> None:
        self.warehouse = warehouse
        self.con = con

    def query(self, sql_text: str, params: list | None = None) -> pa.Table:
        with self.con.cursor() as cur:
            if params:
                cur.execute(to_pg_placeholders(sql_text), params)
            else:
                cur.execute(sql_text)
            return self.warehouse._arrow_result(self.con, cur)

    def execute(self, sql_text: str, params: list | None = None) -> int:
        if params:
            return self.con.execute(to_pg_placeholders(sql_text), params).rowcount
        return self.con.execute(sql_text).rowcount

    def insert(self, table: str, rows: pa.Table) -> int:
        check_identifier(table)
        return self.warehouse._copy(self.con, table, rows)

    def lock(self, table: str) -> None:
        """Every writer of `table` waits here; readers are not blocked (an advisory lock, not LOCK TABLE)."""
        self.con.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_TABLE_LOCK, _lock_key(check_identifier(table))))
