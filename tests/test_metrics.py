"""The metric layer through real Dagster runs on both warehouses: observations, rollups, checks, retention, views.

Oracles independent of the code under test: observation counts from the silver/quarantine/PII tables, rollups
recomputed in numpy from the raw observations (`np.percentile`, linear = continuous percentiles), retention
cutoffs written out as dates, and the two backends compared with each other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import shutil
from collections import defaultdict
from pathlib import Path

import dagster as dg
import numpy as np
import pyarrow as pa
import pytest

from osa import catalog
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET
from osa.metrics import DAILY, HOURLY, MetricRetention, compute_rollups, expire_metrics, uncovered_days
from osa.metrics.views import VIEWS
from pipelines.definitions import defs
from pipelines.lakehouse import range_tags
from resources import EmbeddingResource, LandingZoneResource, PrivacyResource, WebhookSecretResource
from tests.backends import open_warehouse
from tests.conftest import SMALL_FIRST, SMALL_LAST, warehouse_resource

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
VOLATILE = "pipeline.step_seconds"  # the run's own step times: differ from run to run by nature
TOLERANCE = 1e-9  # relative: the backends' percentiles may differ in the last bits, nothing more


def run(location: str, landing: Path) -> dg.ExecuteInProcessResult:
    resources = {
        "warehouse": warehouse_resource(location),
        "landing": LandingZoneResource(path=str(landing)),
        "webhook": WebhookSecretResource(secret=DEVELOPMENT_WEBHOOK_SECRET),
        "privacy": PrivacyResource(),
        "embeddings": EmbeddingResource(),
    }
    result = defs.resolve_job_def("lakehouse_job").execute_in_process(
        resources=resources, tags=range_tags(SMALL_FIRST, SMALL_LAST), run_config=QUIET, raise_on_error=False
    )
    assert result.success, [str(e.message) for e in result.all_events if e.is_failure][:3]
    return result


def rows(location: str, table: str, *, stable: bool = True) -> list[dict]:
    """The table's rows in a canonical order (without the run's step times when `stable`)."""
    where = f"WHERE metric_name <> '{VOLATILE}'" if stable else ""
    found = open_warehouse(location).query(f"SELECT * FROM {table} {where}").to_pylist()
    return sorted(found, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def close(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=1e-9)
    return a == b


def same_rows(left: list[dict], right: list[dict]) -> bool:
    return len(left) == len(right) and all(
        all(close(a[k], b[k]) for k in a) and a.keys() == b.keys() for a, b in zip(left, right, strict=True)
    )


@pytest.fixture(scope="module")
def both(tmp_path_factory, _small_landing_master, pg_server) -> dict[str, str]:
    """One run of the lakehouse job over the small landing set on each backend (shared by the read-only tests)."""
    root = tmp_path_factory.mktemp("metrics")
    landing = shutil.copytree(_small_landing_master, root / "landing")
    locations = {"duckdb": str(root / "w.duckdb"), "postgres": pg_server.create_database(with_schema=False)}
    results = {backend: run(location, landing) for backend, location in locations.items()}
    for result in results.values():
        checks = [e for e in result.get_asset_check_evaluations() if e.check_name == "rollups_cover_raw"]
        assert checks and all(c.passed for c in checks)
    yield locations
    pg_server.drop_database(locations["postgres"])


def test_observations_count_what_the_source_tables_hold(both):
    for location in both.values():
        store = open_warehouse(location)
        totals = {
            r["metric_name"]: r["total"]
            for r in store.query(
                "SELECT metric_name, sum(value) AS total, count(*) AS n FROM metric_events GROUP BY metric_name"
            ).to_pylist()
        }
        count = store.scalar
        assert totals["agent.executions"] == count("SELECT count(*) FROM silver_agent_executions WHERE is_final")
        assert totals["workflow.executions"] == count("SELECT count(*) FROM silver_workflow_executions")
        assert totals["recommendations.received"] == count("SELECT count(*) FROM silver_recommendations")
        assert totals["pii.operations"] == count(
            "SELECT (SELECT count(*) FROM pii_audit_intake_forms) + (SELECT count(*) FROM pii_audit_opal_deliveries)"
        )
        assert totals["quarantine.records"] == count(
            "SELECT (SELECT count(*) FROM quarantine_intake_forms) + (SELECT count(*) FROM quarantine_opal_deliveries)"
        )
        assert totals["embedding.texts_embedded"] == count("SELECT count(*) FROM embedding_cache")
        assert totals["pipeline.rows"] == sum(
            count(f"SELECT count(*) FROM {t.name}")
            for t in catalog.tables()
            if t.layer not in ("metrics", "compliance")
        )
        assert totals[VOLATILE] > 0  # every step that ran before the metrics step has a time
        for tags in store.query("SELECT DISTINCT tags FROM metric_events").column("tags").to_pylist():
            keys = list(json.loads(tags))
            assert keys == sorted(keys), tags  # canonical: equal tag sets group together


def _oracle(raw: list[dict], hourly: bool) -> dict[tuple, dict]:
    groups: dict[tuple, list[float]] = defaultdict(list)
    for r in raw:
        bucket = r["time"].astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) if hourly else None
        groups[(r["event_date"], bucket, r["metric_name"], r["tags"])].append(r["value"])
    out = {}
    for key, values in groups.items():
        v = np.asarray(values, dtype=np.float64)
        figures = {"count": len(v), "sum": v.sum(), "avg": v.mean(), "min": v.min(), "max": v.max()}
        for q in (50, 95, 99) if hourly else (50, 95):
            figures[f"p{q}"] = float(np.percentile(v, q, method="linear"))
        out[key] = figures
    return out


@pytest.mark.parametrize("table", [HOURLY, DAILY])
def test_rollups_equal_a_direct_computation_on_the_raw_observations(both, table):
    hourly = table == HOURLY
    results = {}
    for backend, location in both.items():
        raw = rows(location, "metric_events", stable=False)
        expected = _oracle(raw, hourly)
        got = {}
        for r in rows(location, table, stable=False):
            bucket = r["bucket"].astimezone(dt.UTC) if hourly else None
            got[(r["event_date"], bucket, r["metric_name"], r["tags"])] = r
        assert got.keys() == expected.keys(), backend
        for key, figures in expected.items():
            for name, value in figures.items():
                assert close(got[key][name], value), (backend, key, name, got[key][name], value)
        results[backend] = rows(location, table)
    assert same_rows(results["duckdb"], results["postgres"])  # percentiles agree within TOLERANCE


def test_raw_observations_are_the_same_on_both_backends(both):
    assert rows(both["duckdb"], "metric_events") == rows(both["postgres"], "metric_events")


def test_every_dashboard_view_answers_with_data_and_the_same_on_both_backends(both):
    for view in VIEWS:
        answers = {}
        for backend, location in both.items():
            table = open_warehouse(location).query(f"SELECT * FROM {view.name}")
            assert table.num_rows > 0, (backend, view.name)
            assert table.column_names == list(view.columns), (backend, view.name)  # the documented columns
            answers[backend] = sorted(table.to_pylist(), key=lambda r: json.dumps(r, default=str, sort_keys=True))
        if view.name != "dash_pipeline_runtime_daily":  # step times differ per run
            assert same_rows(*answers.values()), view.name
    kinds = open_warehouse(both["duckdb"]).query("SELECT DISTINCT reason, reason_kind FROM dash_data_quality_daily")
    unexplained = [r["reason"] for r in kinds.to_pylist() if r["reason_kind"].startswith("other")]
    assert unexplained == []  # every reason code the generated data produces is explained in words


def test_re_running_the_window_gives_the_same_metrics(tmp_path, small_landing):
    location = str(tmp_path / "w.duckdb")
    run(location, small_landing)
    first = {t: rows(location, t) for t in ("metric_events", HOURLY, DAILY)}
    run(location, small_landing)
    assert {t: rows(location, t) for t in first} == first
    steps = open_warehouse(location).query(
        f"SELECT count(*) AS n, count(DISTINCT metadata) AS runs FROM metric_events WHERE metric_name = '{VOLATILE}'"
    )
    assert steps.to_pylist()[0]["runs"] == 1  # the second run replaced the first run's step times


# ------------------------------------------------------------------ retention windows
AS_OF = dt.date(2026, 11, 27)


def _events(days: list[dt.date]) -> pa.Table:
    """Two observations per day (values 1 and 3) at 10:15 UTC."""
    records = [
        {
            "event_date": day,
            "time": dt.datetime.combine(day, dt.time(10, 15), dt.UTC),
            "metric_name": "test.metric",
            "metric_type": "histogram",
            "value": value,
            "tags": '{"k":"v"}',
            "metadata": None,
        }
        for day in days
        for value in (1.0, 3.0)
    ]
    return pa.Table.from_pylist(records, schema=catalog.table("metric_events").arrow_schema)


def _load(store, days: list[dt.date]) -> None:
    start, end = min(days), max(days) + dt.timedelta(days=1)
    store.replace_windows({"metric_events": _events(days)}, start, end)
    store.replace_windows(compute_rollups(store, start, end), start, end)


def _days(store, table: str) -> list[dt.date]:
    return store.query(f"SELECT DISTINCT event_date FROM {table} ORDER BY 1").column(0).to_pylist()


def test_retention_keeps_each_window_to_the_exact_day_and_rollups_outlive_raw(warehouse_location, backend):
    store = open_warehouse(warehouse_location)
    store.prepare()
    edges = {
        "raw": (AS_OF - dt.timedelta(days=90), AS_OF - dt.timedelta(days=91)),
        "hourly": (AS_OF - dt.timedelta(days=365), AS_OF - dt.timedelta(days=366)),
        "daily": (AS_OF - dt.timedelta(days=730), AS_OF - dt.timedelta(days=731)),
    }
    days = sorted({d for pair in edges.values() for d in pair} | {AS_OF})
    _load(store, days)
    result = expire_metrics(store, AS_OF)
    assert result.blocked_days == []
    raw, hourly, daily = (_days(store, t) for t in ("metric_events", HOURLY, DAILY))
    assert raw == [edges["raw"][0], AS_OF]  # day as_of-90 kept, as_of-91 gone
    assert edges["hourly"][0] in hourly and edges["hourly"][1] not in hourly
    assert edges["raw"][1] in hourly  # the hourly rollup outlives the raw observations
    assert edges["daily"][0] in daily and edges["daily"][1] not in daily
    assert edges["hourly"][1] in daily
    kept = store.query(f"SELECT count, p50 FROM {DAILY} WHERE event_date = ?", [edges["raw"][1]]).to_pylist()
    assert kept == [{"count": 2, "p50": 2.0}]  # history of an expired raw day is still there
    assert expire_metrics(store, AS_OF).removed == {"metric_events": 0, HOURLY: 0, DAILY: 0}  # idempotent


def test_raw_observations_do_not_expire_before_their_rollups_are_complete(warehouse_location, backend):
    store = open_warehouse(warehouse_location)
    store.prepare()
    old = [AS_OF - dt.timedelta(days=d) for d in (120, 110, 100)]
    _load(store, old)
    gap = old[1]
    store.replace_windows(
        {DAILY: pa.Table.from_pylist([], schema=catalog.table(DAILY).arrow_schema)}, gap, gap + dt.timedelta(days=1)
    )  # the day's daily rollup is lost
    assert [r["event_date"] for r in uncovered_days(store, old[0], AS_OF)] == [gap]
    result = expire_metrics(store, AS_OF, MetricRetention())
    assert result.blocked_days == [gap]
    assert _days(store, "metric_events") == [gap, old[2]]  # the covered day before the gap went, nothing after
    store.replace_windows(compute_rollups(store, gap, gap + dt.timedelta(days=1)), gap, gap + dt.timedelta(days=1))
    assert expire_metrics(store, AS_OF).blocked_days == []  # repaired: now it may go
    assert _days(store, "metric_events") == []


def test_the_retention_job_expires_metrics_through_dagster(tmp_path, monkeypatch):
    location = str(tmp_path / "w.duckdb")
    store = open_warehouse(location)
    store.prepare()
    _load(store, [AS_OF - dt.timedelta(days=91), AS_OF])
    monkeypatch.setenv("OSA_METRICS_RAW_DAYS", "90")
    monkeypatch.setenv("OSA_ARCHIVE_DIR", str(tmp_path / "archive"))
    result = defs.resolve_job_def("retention_job").execute_in_process(
        resources={"warehouse": warehouse_resource(location), "landing": LandingZoneResource(path=str(tmp_path))},
        run_config={**QUIET, "ops": {"apply_retention_policies": {"config": {"as_of": AS_OF.isoformat()}}}},
    )
    assert result.success
    outputs = [
        e.event_specific_data.metadata
        for e in result.all_events
        if e.event_type_value == "STEP_OUTPUT" and e.step_key == "apply_retention_policies"
    ]
    assert outputs and outputs[0]["removed/metrics_raw"].value == 2
    assert _days(store, "metric_events") == [AS_OF]


def test_a_bad_retention_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("OSA_METRICS_HOURLY_DAYS", "a year")
    with pytest.raises(ValueError, match="OSA_METRICS_HOURLY_DAYS must be a whole number of days"):
        MetricRetention.from_env()


def test_the_report_check_reads_the_written_report(tmp_path, monkeypatch):
    """every_chart_renders judges the files the report asset wrote: a broken chart or a missing image fails it."""
    import osa.config
    from assets.metrics import every_chart_renders
    from osa.dashboard import build_report
    from osa.metrics.charts import CHARTS

    monkeypatch.setattr(osa.config, "STATE_DIR", tmp_path)
    assert not every_chart_renders().passed  # no report written yet
    store = open_warehouse(str(tmp_path / "w.duckdb"))
    store.prepare()
    charts = list(CHARTS)  # an empty warehouse: every chart empty but one, fed by a constant query
    charts[1] = dataclasses.replace(CHARTS[1], sql="SELECT 'geo_audit' AS agent_id, 1.5 AS p95_duration_ms")
    out = tmp_path / "reports" / "dashboard"
    build_report(charts, store.query, out, title="test")
    assert every_chart_renders().passed  # empty charts are fine
    (out / f"{charts[1].name}.png").unlink()
    result = every_chart_renders()
    assert not result.passed and result.metadata["without_image"].value == charts[1].name
    charts[-1] = dataclasses.replace(CHARTS[-1], sql="SELECT nope FROM nowhere")
    build_report(charts, store.query, out, title="test")
    result = every_chart_renders()
    assert not result.passed and result.metadata["broken"].value == CHARTS[-1].name
