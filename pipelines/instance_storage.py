"""The local Dagster instance's SQLite storage, with one SQLAlchemy engine per event-log database.

Dagster's `SqliteEventLogStorage` builds a new engine for every read and write and disposes of it, so
SQLAlchemy's compiled-statement cache (which lives on the engine) is always empty: `osa run` records about
4,000 partition materializations, and compiling the same INSERT statements again and again plus creating the
engines took about a fifth of the whole run. This storage keeps Dagster's behaviour otherwise: `NullPool`
(a fresh sqlite3 connection for each use, nothing shared between threads or processes), the same files
and schema, the same lock. Only the engine objects are reused.

`dagster.yaml` selects it with `storage: custom:` and `base_dir: {env: DAGSTER_HOME}`: the instance's directory
in every entry point (the CLI sets it, `dagster dev` needs it). The layout is Dagster's default (`history/`,
`schedules/`), so an existing instance keeps its runs.
The production instance (`dagster.prod.yaml`) uses Postgres storage, which pools connections already.
"""

from __future__ import annotations

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
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool


class EngineCachingSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that creates each shard's engine once instead of on every call."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: dict[str, Engine] = {}  # before super(): its __init__ already connects
        super().__init__(base_dir, inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=NullPool,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                self._engines[shard] = engine
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


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
