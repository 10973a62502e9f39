"""The local Dagster instance's SQLite storage, made cheap per event: pooled engines, WAL with NORMAL sync.

Dagster's `SqliteEventLogStorage` builds a new engine for every read and write, opens a new sqlite3
connection, commits with a full fsync (WAL, `synchronous=FULL`) and closes it again; closing the last
connection to a WAL database checkpoints it (another fsync). `osa run` records about 4,500 planned and 4,500
materialized partition events, so on this machine that bookkeeping took longer than the pipeline's work
(cProfile: SQLite commit 22 s, close 16 s, statement compilation 17 s of a 95 s profiled run).

This storage keeps Dagster's files, schema and lock, and changes three things for the event-log databases:
- one engine per database, kept (SQLAlchemy's compiled-statement cache lives on the engine), at most
  `MAX_ENGINES` of them (least recently used disposed first, so a long-lived webserver reading many runs does
  not keep a file open per run);
- a small pool (one connection kept open per database), so a use neither opens nor checkpoints the file;
  Dagster's per-storage lock already serializes uses, so a connection is never used by two threads at once;
- `synchronous=NORMAL`, SQLite's recommended setting for WAL: a commit is durable against a crash of the
  process, and an operating-system crash or power loss can lose the last transactions but never corrupts
  the database. For a local development instance that is the right trade; production uses Postgres
  (`dagster.prod.yaml`).

Measured: `osa run` on the seed data, whole process, same machine and load: Dagster's storage 65.2 s, engine
reuse alone 53.1 s; at load ~4.4 (tests running): 115.4 s with engine reuse only, 73.2 s with all three.

`dagster.yaml` selects it with `storage: custom:` and `base_dir: {env: DAGSTER_HOME}`: the instance's directory
in every entry point (the CLI sets it, `dagster dev` needs it). The layout is Dagster's default (`history/`,
`schedules/`), so an existing instance keeps its runs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.schedules import SqliteScheduleStorage
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool


class EngineCachingSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with a kept, pooled engine per database and `synchronous=NORMAL` (see above)."""

    MAX_ENGINES = 16

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # before super(): its __init__ already connects
        super().__init__(base_dir, inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=2,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _normal_sync)
        self._engines[shard] = engine
        while len(self._engines) > self.MAX_ENGINES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def _normal_sync(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class EngineCachingSqliteStorage(DagsterSqliteStorage):
    """Dagster's default local storage layout, with `EngineCachingSqliteEventLogStorage` for events."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = EngineCachingSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: dict[str, Any]
    ) -> EngineCachingSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @property
    def event_storage_data(self) -> ConfigurableClassData:
        return ConfigurableClassData(
            __name__,
            EngineCachingSqliteEventLogStorage.__name__,
            yaml.dump({"base_dir": _event_logs_directory(self.base_dir)}, default_flow_style=False),
        )
