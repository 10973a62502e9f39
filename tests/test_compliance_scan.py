"""The nightly compliance scan on a warehouse the real pipeline built (both backends): clean after a run,
and each kind of violation found with its location and never its value; the job and its check in Dagster."""

import datetime as dt
import json

import pytest

from osa.compliance.scan import scan
from osa.privacy import default_protector
from pipelines import compliance
from pipelines.definitions import defs
from tests.backends import open_warehouse
from tests.conftest import SMALL_LAST
from tests.test_assets import run_job

AS_OF = dt.date.fromisoformat(SMALL_LAST) + dt.timedelta(days=1)
RAW_EMAIL = "maria.gonzalez@example.org"
SECRET = "whsec-0123456789abcdef0123"


@pytest.fixture
def built(warehouse_location, small_landing, tmp_path):
    assert run_job(warehouse_location, small_landing).success
    return open_warehouse(warehouse_location), small_landing, tmp_path / "archive"


def test_a_fresh_run_is_clean_and_planted_violations_are_located(built, monkeypatch):
    warehouse, landing, archive_root = built
    engine = default_protector().engine
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    clean = scan(warehouse, engine, AS_OF, archive_root=archive_root, landing_root=landing)
    assert clean == []  # no false positive on what the pipeline wrote
    rec = warehouse.scalar("SELECT min(recommendation_id) FROM silver_recommendations")
    with warehouse.transaction() as tx:
        tx.execute(
            "UPDATE silver_recommendations SET description = ? WHERE recommendation_id = ?",
            [f"Escalate to {RAW_EMAIL}", rec],
        )
        tx.execute("UPDATE silver_roadmap_items SET title = ? WHERE item_index = 1", [f"key {SECRET}"])
    found = scan(warehouse, engine, AS_OF, archive_root=archive_root, landing_root=landing)
    pii = [v for v in found if v.kind == "raw_pii"]
    assert [(v.location, v.row_key, v.detail) for v in pii] == [("silver_recommendations.description", rec, "email")]
    assert {(v.kind, v.location) for v in found if v.kind == "secret"} == {("secret", "silver_roadmap_items.title")}
    assert RAW_EMAIL not in json.dumps([v.__dict__ for v in found]) and SECRET not in repr(found)
    home = landing.parent / "dagster_home"
    (home / "logs").mkdir(parents=True)
    (home / "logs" / "run.log").write_text(f"config: api_key={SECRET}\n")
    stored = scan(warehouse, engine, AS_OF, archive_root=archive_root, landing_root=landing, dagster_home=home)
    assert [(v.store, v.location, v.detail) for v in stored if v.store == "dagster"] == [
        ("dagster", "logs/run.log", "OPENAI_API_KEY")
    ]
    late = scan(warehouse, engine, AS_OF + dt.timedelta(days=60), archive_root=archive_root, landing_root=landing)
    expired = {(v.store, v.location.split("/")[0]) for v in late if v.kind == "expired_raw_data"}
    assert {("warehouse", "bronze_intake_forms"), ("warehouse", "bronze_opal_deliveries")} <= expired
    assert ("landing", "intake_forms") in expired


def test_the_compliance_job_fails_its_check_on_a_violation(built, monkeypatch, tmp_path):
    from resources import PrivacyResource
    from tests.backends import location_of
    from tests.conftest import warehouse_resource

    warehouse, landing, _ = built
    monkeypatch.setattr(compliance, "REPORT_DIR", tmp_path / "reports")
    monkeypatch.setenv("OSA_ARCHIVE_DIR", str(tmp_path / "archive"))
    resources = {
        "warehouse": warehouse_resource(location_of(warehouse)),
        "privacy": PrivacyResource(),
        "landing": compliance.LandingZoneResource(path=str(landing)),
    }
    config = {"ops": {"compliance_report": {"config": {"as_of": AS_OF.isoformat()}}}}
    job = defs.resolve_job_def("compliance_job")
    result = job.execute_in_process(resources=resources, run_config=config, raise_on_error=False)
    assert result.success and all(e.passed for e in result.get_asset_check_evaluations())
    with warehouse.transaction() as tx:
        tx.execute("UPDATE silver_intake_forms SET notes = ?", [f"call {RAW_EMAIL}"])
    result = job.execute_in_process(resources=resources, run_config=config, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and "silver_intake_forms.notes" in evaluation.description
    assert RAW_EMAIL not in evaluation.description
    scans = warehouse.query("SELECT details FROM audit_log WHERE action = 'compliance_scan' ORDER BY seq").to_pylist()
    assert json.loads(scans[0]["details"]) == {"violations": {}} and "raw_pii" in scans[1]["details"]


def test_secrets_and_raw_pii_in_archived_parts_are_found(tmp_path, monkeypatch):
    """The archive is compressed Parquet: the scan reads the values, not the bytes."""
    import pyarrow as pa

    from osa import catalog
    from osa.compliance import archive
    from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
    from tests.backends import with_required_columns

    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    warehouse.prepare()
    day = dt.date(2026, 7, 1)
    rows = pa.table(
        {
            "event_date": pa.array([day, day], pa.date32()),
            "delivery_id": ["d1", "d2"],
            "item_index": pa.array([1, 1], pa.int64()),
            "title": [f"rotate {SECRET} soon", f"mail {RAW_EMAIL}"],
        }
    )
    schema = catalog.table("silver_roadmap_items").arrow_schema
    rows = pa.Table.from_pylist(with_required_columns("silver_roadmap_items", rows).to_pylist(), schema=schema)
    part = archive.write_part(tmp_path / "archive", "silver_roadmap_items", day, rows)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    found = scan(warehouse, default_protector().engine, day, archive_root=tmp_path / "archive", landing_root=tmp_path)
    where = f"silver_roadmap_items/event_date={day}/{part.name}"
    assert ("secret", "archive", where) in {(v.kind, v.store, v.location) for v in found}
    assert ("raw_pii", f"{where}.title", "d2/1", "email") in {(v.kind, v.location, v.row_key, v.detail) for v in found}
