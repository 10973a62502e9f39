"""Shared fixtures and builders for the lakehouse test suite.

Everything here is real: envelopes are signed with `osa.ingest.signature.sign`, landing sets are written
by the deterministic generator, warehouses are DuckDB files under pytest's tmp_path or throw-away databases
in a real PostgreSQL + TimescaleDB + pgvector server (`OSA_TEST_PG_URL`, see `pg_server`).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from osa import catalog
from osa.generate import generate
from osa.ingest.intake import IntakeTables, process_intake
from osa.ingest.opal import DeliveryTables, process_deliveries
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET, sign
from osa.warehouse.base import Warehouse, migration_files
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse, redact_url
from resources import WarehouseResource

SECRET = DEVELOPMENT_WEBHOOK_SECRET
DAY = dt.date(2026, 7, 1)
RECEIVED_AT = "2026-07-01T12:00:00Z"
RECEIVED_EPOCH = int(dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC).timestamp())

# The small landing set every Dagster-level test uses: 6 workflows over 3 days (2026-07-01..03).
SMALL_WORKFLOWS = 6
SMALL_DAYS = 3
SMALL_FIRST, SMALL_LAST = "2026-07-01", "2026-07-03"

_UNSET = object()


# ---------------------------------------------------------------------------------------------- tables
def lines_table(
    lines: Sequence[str],
    *,
    event_date: dt.date = DAY,
    source_file: str = "test/batch.jsonl",
    event_dates: Sequence[dt.date] | None = None,
) -> pa.Table:
    """Raw landing lines in the shape `read_lines` produces (event_date, source_file, source_line, line)."""
    n = len(lines)
    return pa.table(
        {
            "event_date": pa.array(list(event_dates) if event_dates is not None else [event_date] * n, pa.date32()),
            "source_file": pa.array([source_file] * n, pa.string()),
            "source_line": pa.array(list(range(1, n + 1)), pa.int32()),
            "line": pa.array(list(lines), pa.large_string()),
        }
    )


def run_deliveries(
    lines: Sequence[str], *, secret: str = SECRET, known_delivery_ids: pa.Array | None = None, **table_kwargs
) -> DeliveryTables:
    return process_deliveries(lines_table(lines, **table_kwargs), secret=secret, known_delivery_ids=known_delivery_ids)


def run_intake(lines: Sequence[str], *, known_form_ids: pa.Array | None = None, **table_kwargs) -> IntakeTables:
    return process_intake(lines_table(lines, **table_kwargs), known_form_ids=known_form_ids)


def reasons(tables: DeliveryTables | IntakeTables) -> list[list[str]]:
    """Reason codes of every quarantined record, in source order."""
    return tables.quarantine["reason_codes"].to_pylist()


def assert_balanced(tables: DeliveryTables | IntakeTables) -> None:
    assert tables.records_in == tables.accepted + tables.quarantined + tables.duplicates
    accepted_rows = tables.silver if isinstance(tables, IntakeTables) else tables.agent_executions
    assert tables.accepted == accepted_rows.num_rows
    assert tables.quarantined == tables.quarantine.num_rows
    assert tables.duplicates == sum(tables.bronze["is_duplicate"].to_pylist())


# ---------------------------------------------------------------------------------------------- envelopes
def envelope(
    body: str | object,
    *,
    received_at: str | None = RECEIVED_AT,
    timestamp: int | None = None,
    secret: str = SECRET,
    header: object = _UNSET,
    headers: dict | None = None,
) -> str:
    """One delivery line. The header is `sign(body, timestamp, secret)` unless `header`/`headers` is given.

    `body` may be a non-string to build malformed envelopes; `received_at=None` leaves the field out.
    """
    if headers is None:
        if header is _UNSET:
            stamp = RECEIVED_EPOCH if timestamp is None else timestamp
            header = sign(body if isinstance(body, str) else json.dumps(body), stamp, secret)
        headers = {"X-OSA-Signature": header}
    document: dict = {"headers": headers, "body": body}
    if received_at is not None:
        document["received_at"] = received_at
    return json.dumps(document)


# ---------------------------------------------------------------------------------------------- bodies
VALID_AGENT_DATA: dict[str, dict] = {
    "content_review": {
        "content_quality_score": 72,
        "seo_optimization_score": 64.5,
        "readability_score": 81,
        "engagement_metrics": {"avg_time_on_page": 95.5, "bounce_rate": 0.42, "conversion_rate": 0.031},
        "recommendations": [
            {
                "priority": "high",
                "category": "seo",
                "description": "Rewrite meta descriptions.",
                "impact_estimate": "high",
            },
            {
                "priority": "low",
                "category": "readability",
                "description": "Shorten paragraphs.",
                "impact_estimate": "+12% organic sessions",
            },
        ],
    },
    "geo_audit": {
        "overall_geo_score": 77,
        "regions_analyzed": 5,
        "findings": [
            {
                "region": "DE",
                "issue_type": "latency",
                "severity": "high",
                "description": "P95 page load above 3.2s.",
                "affected_pages": 120,
                "recommendation": "Serve assets from a regional CDN edge.",
            }
        ],
    },
    "audience_suggester": {
        "suggested_segments": [
            {
                "segment_name": "Lapsed purchasers",
                "criteria": {"visits_30d": {"gte": 2}},
                "estimated_size": 12000,
                "confidence_score": 0.8,
                "potential_uplift": 0.12,
            }
        ],
        "personalization_opportunities": [
            {
                "segment_id": "seg_1",
                "content_type": "hero banner",
                "strategy": "Show recently viewed categories.",
                "expected_impact": 0.2,
            }
        ],
    },
    "experiment_blueprinter": {
        "experiments": [
            {
                "experiment_name": "Sticky add-to-cart",
                "hypothesis": "Less friction lifts conversion.",
                "primary_metric": "conversion_rate",
                "variations": 2,
                "traffic_allocation": 0.5,
                "min_detectable_effect": 0.02,
                "estimated_duration_days": 21,
                "required_sample_size": 40000,
                "priority": 7,
            }
        ],
    },
    "personalization_idea_generator": {
        "ideas": [
            {
                "title": "Loyalty tier greeting",
                "description": "Greet members by tier.",
                "target_segment": "VIP customers",
                "channel": "email",
                "expected_lift": 0.08,
                "effort": "low",
                "priority": 6,
                "implementation_steps": ["Define audience", "Build variation"],
            }
        ],
    },
    "roadmap_generator": {
        "total_duration_weeks": 12,
        "roadmap_items": [
            {
                "phase": 1,
                "title": "Instrument analytics",
                "description": "Tag key events.",
                "category": "technical",
                "start_week": 0,
                "duration_weeks": 4,
                "impact": "high",
                "effort": "medium",
                "dependencies": [],
                "success_metrics": ["events tracked"],
            },
            {
                "phase": 2,
                "title": "Launch testing program",
                "description": "Run the first tests.",
                "category": "experimentation",
                "start_week": 4,
                "duration_weeks": 6,
                "impact": "critical",
                "effort": "high",
                "dependencies": ["phase 1"],
                "success_metrics": ["test velocity"],
            },
        ],
    },
    "integration_health": {
        "overall_health_score": 80,
        "checks": [
            {
                "integration": "odp",
                "status": "healthy",
                "latency_ms": 120,
                "error_rate": 0.01,
                "last_sync_at": "2026-06-30T10:00:00Z",
                "message": "Sync OK",
            },
            {
                "integration": "cmp",
                "status": "down",
                "latency_ms": 2000,
                "error_rate": 0.2,
                "last_sync_at": "2026-06-29T10:00:00Z",
            },
        ],
    },
    "cmp_organizer": {
        "campaigns_analyzed": 40,
        "taxonomy_score": 55,
        "issues": [
            {
                "campaign_id": "CMP-1001",
                "issue_type": "naming",
                "severity": "medium",
                "suggestion": "Adopt one naming scheme.",
            }
        ],
    },
    "customer_journey": {
        "stages": [
            {
                "stage": "awareness",
                "touchpoints": ["search", "social"],
                "conversion_rate": 0.3,
                "drop_off_rate": 0.5,
                "avg_time_in_stage_days": 3,
            }
        ],
        "optimization_opportunities": [
            {
                "stage": "awareness",
                "title": "Referral incentive",
                "description": "Reward referrals.",
                "expected_impact": "high",
                "effort": "low",
            }
        ],
    },
}

# What each agent's valid example above must produce.
INSIGHT_TABLE = {t.agent: t.name for t in catalog.insight_tables()}  # from the catalogue
EXPECTED_INSIGHT_ROWS = {
    "content_review": 1,
    "geo_audit": 1,
    "audience_suggester": 1,
    "experiment_blueprinter": 1,
    "personalization_idea_generator": 1,
    "roadmap_generator": 2,
    "integration_health": 2,
    "cmp_organizer": 1,
    "customer_journey": 1,
}
EXPECTED_RECOMMENDATIONS = {
    "content_review": 2,
    "geo_audit": 1,
    "audience_suggester": 1,
    "experiment_blueprinter": 1,
    "personalization_idea_generator": 1,
    "roadmap_generator": 2,
    "integration_health": 1,  # healthy is skipped
    "cmp_organizer": 1,
    "customer_journey": 1,
}


def body(
    agent_id: str = "content_review",
    *,
    workflow_id: str = "wf-test-1",
    status: str = "completed",
    execution_id: str | None = None,
    agent_data: dict | None = None,
    duration_ms: int | None = 1000,
    confidence: float | None = 0.99,
    timestamp: str = "2026-07-01T11:59:30Z",
) -> dict:
    """A valid OPAL body for `agent_id` (deep-copied, safe to mutate)."""
    metadata: dict = {"timestamp": timestamp, "data_sources": ["odp", "ga4"]}
    if duration_ms is not None:
        metadata["execution_duration_ms"] = duration_ms
    if confidence is not None:
        metadata["confidence_score"] = confidence
    return {
        "workflow_id": workflow_id,
        "execution_id": execution_id or f"exec-{workflow_id}-{agent_id}-{status}",
        "execution_status": status,
        "agent_id": agent_id,
        "agent_data": copy.deepcopy(VALID_AGENT_DATA[agent_id] if agent_data is None else agent_data),
        "metadata": metadata,
        "correlation_id": f"corr-{workflow_id}-{agent_id}",
    }


def delivery(document: dict, **envelope_kwargs) -> str:
    """A correctly signed delivery line carrying `document` as its body."""
    return envelope(json.dumps(document), **envelope_kwargs)


# ---------------------------------------------------------------------------------------------- forms
VALID_FORM: dict = {
    "workflow_id": "wf-form-1",
    "submitted_at": "2026-07-01T09:15:00Z",
    "business_context": {
        "company_name": "Northwind Traders",
        "industry": "Retail",
        "goals": ["Increase online conversion rate"],
        "target_audience": "Returning shoppers aged 25-45",
        "current_challenges": ["Low test velocity"],
    },
    "optimizely_config": {
        "project_id": "12345678",
        "workspace_id": "ws-0001",
        "api_credentials": {
            "odp_key": "sk_live_ODP_SECRET_123",
            "experimentation_key": "",
            "content_recs_key": "sk_live_RECS_SECRET_456",
            "cmp_key": "",
        },
    },
    "analysis_preferences": {
        "analysis_depth": "standard",
        "focus_areas": ["content", "experimentation"],
        "timeline": "60d",
    },
    "recipients": ["jane.doe@example.com"],
    "contact_name": "Jane Doe",
}


def form(**overrides) -> dict:
    """A deep copy of the valid form with top-level `overrides` applied."""
    document = copy.deepcopy(VALID_FORM)
    document.update(overrides)
    return document


# ---------------------------------------------------------------------------------------------- landing sets
@pytest.fixture(scope="session")
def _small_landing_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing-master")
    generate(out, workflows=SMALL_WORKFLOWS, days=SMALL_DAYS)
    return out


@pytest.fixture
def small_landing(_small_landing_master: Path, tmp_path: Path) -> Path:
    """A private copy of the small generated landing set (6 workflows, 3 days), safe to modify."""
    target = tmp_path / "landing"
    shutil.copytree(_small_landing_master, target)
    return target


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every OSA/Dagster location at tmp_path so nothing touches the checkout's .osa/ or .dagster/."""
    state = tmp_path / "state"
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("OSA_STATE_DIR", str(state))
    monkeypatch.setenv("OSA_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("OSA_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("OSA_WEBHOOK_SECRET", "")  # declared but empty: the development secret applies
    monkeypatch.setenv("OSA_WEBHOOK_SECRETS", "")
    monkeypatch.delenv("OSA_ENV", raising=False)
    monkeypatch.delenv("OSA_WAREHOUSE", raising=False)
    yield tmp_path


def osa_env(root: Path) -> dict[str, str]:
    """Environment for one CLI sandbox: every state location under `root`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OSA_WEBHOOK_SECRET", "OSA_WEBHOOK_SECRETS", "OSA_ENV", "OSA_WAREHOUSE", "OSA_DATABASE_URL")
    }
    env.update(
        {
            "OSA_STATE_DIR": str(root / "state"),
            "OSA_LANDING_DIR": str(root / "landing"),
            "OSA_DUCKDB_PATH": str(root / "warehouse.duckdb"),
            "DAGSTER_HOME": str(root / "dagster_home"),
            "DAGSTER_DISABLE_TELEMETRY": "1",
        }
    )
    return env


# ---------------------------------------------------------------------------------------------- PostgreSQL
# The Postgres variants run against a real server and never skip: without one they fail with this hint.
PG_HINT = (
    "start the project's cluster and point the tests at it: "
    'export OSA_TEST_PG_URL="$(bash scripts/pg.sh start)"  (scripts/test.sh does this)'
)
BACKENDS = ("duckdb", "postgres")


def _test_server_url() -> str | None:
    return os.environ.get("OSA_TEST_PG_URL") or os.environ.get("OSA_DATABASE_URL")


def _orphaned(database: str) -> bool:
    """A per-test database (osa_test_<pid>_...) whose pytest process is gone (killed before teardown)."""
    pid = database.split("_")[2]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class PgServer:
    """The test cluster. Every test gets its own throw-away database, copied (CREATE DATABASE ... TEMPLATE)
    from a template that already holds the extensions, optionally also the schema; the template is built
    once per SQL version and reused by later sessions. Databases are dropped in the background."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._created: list[str] = []
        self._drops: list[threading.Thread] = []
        self._templates: dict[bool, str] = {}

    def url_for(self, database: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path="/" + database))

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url_for("postgres"), autocommit=True, connect_timeout=10)

    def _template(self, with_schema: bool) -> str:
        """The name of the template database (built on first use, under an advisory lock).

        A finished template has ALLOW_CONNECTIONS false and is put in place by RENAME: the rename makes
        TimescaleDB stop the database's background scheduler, and a database nobody may connect to gets
        no new one, so copying it never waits for "other users" of the template."""
        digest = hashlib.sha256(b"".join(p.read_bytes() for _, p in migration_files("postgres"))).hexdigest()[:12]
        base, schema = "osa_test_base", f"osa_test_schema_{digest}"
        with self.admin() as con:
            con.execute("SELECT pg_advisory_lock(hashtext('osa-test-templates'))")  # concurrent sessions
            try:
                existing = {r[0] for r in con.execute("SELECT datname FROM pg_database").fetchall()}
                for stale in existing:  # half-built templates, those of older SQL versions, dead sessions' dbs
                    if stale.startswith("osa_test_") and (
                        stale.endswith("_build")
                        or (stale.startswith("osa_test_schema_") and stale != schema)
                        or _orphaned(stale)
                    ):
                        con.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(stale)))
                if base not in existing:  # the URL's database has timescaledb + vector (pg.sh creates them)
                    self._copy(con, urlsplit(self.url).path.lstrip("/"), base + "_build", attempts=60)
                    self._seal(con, base + "_build", base)
                if with_schema and schema not in existing:
                    self._copy(con, base, schema + "_build")
                    PostgresWarehouse(self.url_for(schema + "_build")).apply_schema()
                    self._seal(con, schema + "_build", schema)
            finally:
                con.execute("SELECT pg_advisory_unlock(hashtext('osa-test-templates'))")
        return schema if with_schema else base

    @staticmethod
    def _copy(con: psycopg.Connection, template: str, name: str, attempts: int = 20) -> None:
        for attempt in range(attempts):
            try:
                con.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
                )
                return
            except psycopg.errors.ObjectInUse as busy:  # a session (or TimescaleDB's scheduler) is on it
                if attempt == attempts - 1:
                    pytest.fail(
                        f"cannot copy database {template!r}: {busy}. Other sessions are connected to it; "
                        "this happens once per cluster (building the test template): close them and "
                        "re-run.",
                        pytrace=False,
                    )
                time.sleep(0.5)

    @staticmethod
    def _seal(con: psycopg.Connection, build: str, name: str) -> None:
        con.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(build)))
        con.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(build), sql.Identifier(name)))

    def create_database(self, *, with_schema: bool = True, empty: bool = False) -> str:
        """A fresh database; `empty` means no extensions either (for the privilege test). Returns its URL."""
        name = f"osa_test_{os.getpid()}_{len(self._created)}_{uuid.uuid4().hex[:6]}"
        if not empty and with_schema not in self._templates:
            self._templates[with_schema] = self._template(with_schema)
        template = "template0" if empty else self._templates[with_schema]
        with self.admin() as con:
            self._copy(con, template, name)
        self._created.append(name)
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        """Drop in a background thread: DROP DATABASE waits for a checkpoint (~0.5 s) the test needn't."""
        name = urlsplit(url).path.lstrip("/")

        def drop() -> None:
            with self.admin() as con:
                con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

        thread = threading.Thread(target=drop, name=f"drop-{name}")
        thread.start()
        self._drops.append(thread)

    def wait_for_drops(self) -> None:
        for thread in self._drops:
            thread.join(timeout=120)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL test server; a missing URL or an unreachable server is a test ERROR, not a skip."""
    url = _test_server_url()
    if not url:
        pytest.fail(f"OSA_TEST_PG_URL is not set, so the PostgreSQL variants cannot run; {PG_HINT}", pytrace=False)
    server = PgServer(url)
    try:
        with server.admin() as con:
            extensions = {
                r[0]
                for r in con.execute(
                    "SELECT name FROM pg_available_extensions WHERE name IN ('timescaledb', 'vector')"
                ).fetchall()
            }
    except psycopg.OperationalError as error:
        pytest.fail(f"cannot reach PostgreSQL at {redact_url(url)} ({error}); {PG_HINT}", pytrace=False)
    if extensions != {"timescaledb", "vector"}:
        pytest.fail(
            f"{redact_url(url)} lacks timescaledb and/or vector (found {sorted(extensions)}); {PG_HINT}", pytrace=False
        )
    yield server
    server.wait_for_drops()


@pytest.fixture
def new_pg_database(pg_server: PgServer) -> Iterator[Callable[..., str]]:
    """Factory for fresh databases (see `PgServer.create_database`), all dropped after the test however it
    ends."""
    created: list[str] = []

    def create(**kwargs) -> str:
        created.append(pg_server.create_database(**kwargs))
        return created[-1]

    yield create
    for url in created:
        pg_server.drop_database(url)


@pytest.fixture
def pg_database(new_pg_database: Callable[..., str]) -> str:
    """A fresh database with the extensions and the schema applied; dropped afterwards."""
    return new_pg_database(with_schema=True)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def warehouse_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where a fresh, schema-less warehouse of `backend` lives (a DuckDB path or an empty Postgres database)."""
    if backend == "duckdb":
        yield str(tmp_path / "w.duckdb")
        return
    yield request.getfixturevalue("new_pg_database")(with_schema=False)


@pytest.fixture
def warehouse(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Warehouse:
    """A fresh warehouse of each backend with the schema applied (tests using it run once per backend)."""
    if backend == "duckdb":
        store: Warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
        store.apply_schema()
        return store
    return PostgresWarehouse(request.getfixturevalue("pg_database"))


def warehouse_resource(location: str) -> WarehouseResource:
    """The Dagster resource for a warehouse location (see `open_warehouse`), after the startup step (migrations
    and comments) has run on it, as `osa run` / `osa migrate` do before any Dagster run."""
    if location.startswith("postgresql://"):
        resource = WarehouseResource(backend="postgres", database_url=location)
    else:
        resource = WarehouseResource(backend="duckdb", duckdb_path=location)
    resource.open().prepare()
    return resource
