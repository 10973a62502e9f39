"""Dagster's own storage on PostgreSQL: the production instance file (dagster.prod.yaml) copied into a fresh
DAGSTER_HOME, pointed by environment variables at a fresh database of the test cluster, runs the real
lakehouse job (warehouse on Postgres too, configured as production is: OSA_WAREHOUSE + OSA_DATABASE_URL);
a second instance reads the runs, events and materializations back; the retention job trims history
without losing what the asset catalog needs."""

import datetime as dt
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import psycopg
import pytest

from osa.config import PROJECT_ROOT
from osa.warehouse import configured_warehouse
from pipelines import lakehouse
from pipelines.definitions import build_resources, defs
from pipelines.lakehouse import range_tags
from pipelines.maintenance import purge_run_history
from tests.conftest import SMALL_FIRST, SMALL_LAST

SMALL_DAYS = ["2026-07-01", "2026-07-02", "2026-07-03"]
GOLD = dg.AssetKey("gold_workflow_completion_daily")


def parts_db(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@pytest.fixture(scope="module")
def prod_instance(tmp_path_factory, pg_server, _small_landing_master):
    """Two runs stored in Postgres through dagster.prod.yaml: one gold asset for 2026-07-02 alone, then the
    whole job as one ranged run over all three days (which supersedes the first)."""
    root = tmp_path_factory.mktemp("prod")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.prod.yaml", home / "dagster.yaml")
    dagster_url = pg_server.create_database(empty=True)  # Dagster needs no extensions
    with psycopg.connect(dagster_url, autocommit=True) as con:  # a throw-away database: no need to wait for
        con.execute(f"ALTER DATABASE {parts_db(dagster_url)} SET synchronous_commit = off")  # fsync per event
    warehouse_url = pg_server.create_database(with_schema=False)
    parts = urlsplit(dagster_url)
    with pytest.MonkeyPatch.context() as env:
        for key, value in {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_HOST": parts.hostname,
            "DAGSTER_PG_PORT": str(parts.port),
            "DAGSTER_PG_USER": parts.username,
            "DAGSTER_PG_PASSWORD": parts.password,
            "DAGSTER_PG_DB": parts.path.lstrip("/"),
            "DAGSTER_MAX_CONCURRENT_RUNS": "4",
            "OSA_WAREHOUSE": "postgres",
            "OSA_DATABASE_URL": warehouse_url,
            "OSA_LANDING_DIR": str(_small_landing_master),
            "OSA_STATE_DIR": str(root / "state"),
        }.items():
            env.setenv(key, value)
        for key in ("OSA_WEBHOOK_SECRET", "OSA_ENV", "OSA_DUCKDB_PATH"):
            env.delenv(key, raising=False)
        configured_warehouse().prepare()  # the deployment's startup step (compose: warehouse-migrate)
        # the code location as the deployment loads it: resources bound from the environment (EnvVar)
        located = dg.Definitions.merge(lakehouse.defs, dg.Definitions(resources=build_resources()))
        job = located.resolve_job_def("lakehouse_job")
        quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
        with dg.DagsterInstance.get() as instance:
            single = job.execute_in_process(
                instance=instance, partition_key=SMALL_DAYS[1], run_config=quiet, asset_selection=[GOLD]
            )  # cheap history to be superseded
            ranged = job.execute_in_process(
                instance=instance, run_config=quiet, tags=range_tags(SMALL_FIRST, SMALL_LAST)
            )
        yield {
            "home": home,
            "dagster_url": dagster_url,
            "warehouse_url": warehouse_url,
            "single": single,
            "ranged": ranged,
            "env": env,
        }
    pg_server.drop_database(dagster_url)
    pg_server.drop_database(warehouse_url)


def test_the_production_instance_uses_postgres_storage_and_a_limited_queue(prod_instance):
    with dg.DagsterInstance.from_config(str(prod_instance["home"])) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert instance.telemetry_enabled is False
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.run_coordinator.get_run_queue_config()
        assert queue.max_concurrent_runs == 4  # from DAGSTER_MAX_CONCURRENT_RUNS
        limits = {(limit["key"], str(limit.get("value")), limit["limit"]) for limit in queue.tag_concurrency_limits}
        assert ("dagster/partition", "{'applyLimitPerUniqueValue': True}", 1) in limits
        assert ("dagster/backfill", "{'applyLimitPerUniqueValue': True}", 2) in limits


def test_a_real_run_is_read_back_from_postgres(prod_instance):
    ranged = prod_instance["ranged"]
    assert prod_instance["single"].success and ranged.success
    asset_keys = {e.asset_key for e in ranged.get_asset_materialization_events()}
    with dg.DagsterInstance.from_config(str(prod_instance["home"])) as instance:  # a second, fresh instance
        run = instance.get_run_by_id(ranged.run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS and run.job_name == "lakehouse_job"
        assert run.tags["dagster/asset_partition_range_start"] == SMALL_FIRST
        for key in asset_keys:
            records = instance.fetch_materializations(key, limit=20).records
            assert sorted(r.partition_key for r in records if r.run_id == ranged.run_id) == SMALL_DAYS, key
        assert instance.get_materialized_partitions(dg.AssetKey("gold_agent_performance_daily")) == set(SMALL_DAYS)
        checks = [
            e
            for e in instance.all_logs(ranged.run_id)
            if e.dagster_event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
        assert checks
    with psycopg.connect(prod_instance["dagster_url"]) as con:  # and straight from Dagster's tables
        by_type = dict(
            con.execute(
                "SELECT dagster_event_type, count(*) FROM event_logs WHERE run_id = %s GROUP BY 1", (ranged.run_id,)
            ).fetchall()
        )
        # the known growth: one planned and one materialized event per asset per partition of a ranged run
        assert (
            by_type["ASSET_MATERIALIZATION"]
            == by_type["ASSET_MATERIALIZATION_PLANNED"]
            == len(asset_keys) * len(SMALL_DAYS)
        )
        # secrets stay out of Dagster's storage: the warehouse URL (with its password) is an EnvVar
        leaked = con.execute(
            "SELECT (SELECT count(*) FROM runs WHERE run_body LIKE %s) + "
            "(SELECT count(*) FROM event_logs WHERE event LIKE %s)",
            (f"%{prod_instance['warehouse_url']}%",) * 2,
        ).fetchone()[0]
        assert leaked == 0


def test_run_history_retention_keeps_what_the_catalog_needs(prod_instance):
    single, ranged = prod_instance["single"], prod_instance["ranged"]
    with dg.DagsterInstance.from_config(str(prod_instance["home"])) as instance:
        before = {key: instance.get_materialized_partitions(key) for key in instance.get_asset_keys()}
        counts = purge_run_history(instance, dt.timedelta(0))  # "older than now": every finished run
        assert counts == {"runs_older_than_cutoff": 2, "runs_deleted": 1, "runs_kept_for_lineage": 1}
        assert instance.get_run_by_id(single.run_id) is None  # superseded by the ranged run: gone
        assert instance.get_run_by_id(ranged.run_id) is not None  # holds the latest materializations: kept
        assert {key: instance.get_materialized_partitions(key) for key in instance.get_asset_keys()} == before
        # the scheduled job does the same through the instance it runs in, sparing its own run
        prod_instance["env"].setenv("OSA_RUN_RETENTION_DAYS", "0")
        job = defs.resolve_job_def("dagster_history_retention")
        assert job.execute_in_process(instance=instance).success
        assert instance.get_run_by_id(ranged.run_id) is not None
    with psycopg.connect(prod_instance["dagster_url"]) as con:
        assert con.execute("SELECT count(*) FROM event_logs WHERE run_id = %s", (single.run_id,)).fetchone()[0] == 0
    assert Path(prod_instance["home"], "dagster.yaml").read_text() == (PROJECT_ROOT / "dagster.prod.yaml").read_text()
