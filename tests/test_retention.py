"""Retention by data category (osa.compliance), on both backends: exact day boundaries, archive before
delete, idempotency, dry run, legal holds, the metric windows, the nightly job and its schedule."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from osa import catalog
from osa.compliance import archive, audit, holds
from osa.compliance.policies import POLICIES, policies_from_env
from osa.compliance.retention import run_retention
from pipelines import compliance
from tests.backends import location_of, with_required_columns
from tests.conftest import warehouse_resource

AS_OF = dt.date(2026, 11, 27)
WORKFLOW_DAYS = [AS_OF - dt.timedelta(days=n) for n in (366, 365, 10)]  # strategy_workflow keeps 365 days
RAW_DAYS = [AS_OF - dt.timedelta(days=n) for n in (31, 30, 1)]  # pii_data keeps 30 days


def _fill(warehouse) -> None:
    for day in WORKFLOW_DAYS:
        rows = pa.table(
            {
                "event_date": pa.array([day] * 2, pa.date32()),
                "source_file": ["f", "f"],
                "source_line": pa.array([1, 2], pa.int32()),
                "workflow_id": [f"wf-{day}", "wf-held"],
            }
        )
        warehouse.replace_window(
            "quarantine_intake_forms",
            with_required_columns("quarantine_intake_forms", rows),
            day,
            day + dt.timedelta(1),
        )
    for day in RAW_DAYS:
        rows = pa.table({"event_date": pa.array([day], pa.date32()), "form_json": ['{"email": "x@example.org"}']})
        warehouse.replace_window(
            "bronze_intake_forms", with_required_columns("bronze_intake_forms", rows), day, day + dt.timedelta(1)
        )


def _days(warehouse, table: str) -> list[dt.date]:
    return warehouse.query(f"SELECT DISTINCT event_date FROM {table} ORDER BY 1").column(0).to_pylist()


def _state(warehouse) -> dict:
    return {t: sorted(warehouse.query(f"SELECT * FROM {t}").to_pylist(), key=repr) for t in catalog.CATALOG}


def test_every_table_has_a_category_with_a_policy():
    categories = {p.category for p in POLICIES}
    for table in catalog.TABLES:
        assert table.retention in categories, table.name
    chosen = policies_from_env()
    assert (chosen["pii_data"].keep_days, chosen["strategy_workflow"].keep_days) == (30, 365)
    assert (chosen["audit_log"].keep_days, chosen["user_analytics"].keep_days) == (2555, 90)
    assert chosen["audit_log"].action == "archive_then_delete" and chosen["pii_data"].action == "delete"


def test_exact_day_boundaries_archive_first_and_idempotent(warehouse, tmp_path):
    _fill(warehouse)
    root, landing = tmp_path / "archive", tmp_path / "landing"
    before = _state(warehouse)
    dry = run_retention(warehouse, AS_OF, dry_run=True, archive_root=root, landing_root=landing)
    assert _state(warehouse) == before and not archive.parts(root)  # the dry run changes nothing
    planned = {o.table: o.expired for o in dry.tables if o.expired}
    assert planned == {"quarantine_intake_forms": 2, "bronze_intake_forms": 1}

    report = run_retention(warehouse, AS_OF, archive_root=root, landing_root=landing)
    # N days kept: as_of - N is the first day kept, as_of - N - 1 the last day removed
    assert _days(warehouse, "quarantine_intake_forms") == WORKFLOW_DAYS[1:]
    assert _days(warehouse, "bronze_intake_forms") == RAW_DAYS[1:]
    parts = archive.parts(root)
    assert [archive.table_of(p) for p in parts] == ["quarantine_intake_forms"]  # raw data is deleted, not archived
    archived = pq.read_table(parts[0], partitioning=None)
    assert archived.num_rows == 2 and set(archived.column("event_date").to_pylist()) == {WORKFLOW_DAYS[0]}
    assert archived.schema == catalog.table("quarantine_intake_forms").arrow_schema
    assert report.by_category()["strategy_workflow"]["removed"] == 2
    assert report.by_category()["pii_data"]["removed"] == 1
    assert report.audit_seq == 1
    record = warehouse.query("SELECT action, actor, details FROM audit_log").to_pylist()
    assert [(r["action"], r["actor"]) for r in record] == [("retention", "retention_job")]
    assert '"quarantine_intake_forms"' in record[0]["details"]

    after = _state(warehouse)
    again = run_retention(warehouse, AS_OF, archive_root=root, landing_root=landing)
    assert not any(o.expired for o in again.tables)
    assert {k: v for k, v in _state(warehouse).items() if k != "audit_log"} == {
        k: v for k, v in after.items() if k != "audit_log"
    }
    assert archive.parts(root) == parts
    assert audit.verify(warehouse, root).intact


def test_a_legal_hold_keeps_what_it_covers_and_the_report_says_so(warehouse, tmp_path):
    _fill(warehouse)
    holds.place(warehouse, "case-7", "litigation", workflow_id="wf-held")
    report = run_retention(warehouse, AS_OF, archive_root=tmp_path / "a", landing_root=tmp_path / "l")
    kept = warehouse.query("SELECT event_date, workflow_id FROM quarantine_intake_forms ORDER BY 1, 2").to_pylist()
    assert {"event_date": WORKFLOW_DAYS[0], "workflow_id": "wf-held"} in kept
    assert {"event_date": WORKFLOW_DAYS[0], "workflow_id": f"wf-{WORKFLOW_DAYS[0]}"} not in kept
    outcome = next(o for o in report.tables if o.table == "quarantine_intake_forms")
    assert (outcome.expired, outcome.held, outcome.removed) == (1, 1, 1)
    assert any("kept under legal hold" in line for line in report.lines())
    assert "case-7" in report.lines()[-1]
    assert holds.release(warehouse, "case-7") == 1
    run_retention(warehouse, AS_OF, archive_root=tmp_path / "a", landing_root=tmp_path / "l")
    assert _days(warehouse, "quarantine_intake_forms") == WORKFLOW_DAYS[1:]
    actions = warehouse.query("SELECT action FROM audit_log ORDER BY seq").column(0).to_pylist()
    assert actions == ["legal_hold", "retention", "legal_hold", "retention"]


def test_landing_files_of_expired_days_go(warehouse, tmp_path):
    landing = tmp_path / "landing"
    for day in RAW_DAYS:
        folder = landing / "intake_forms" / f"dt={day}"
        folder.mkdir(parents=True)
        (folder / "forms.jsonl").write_text("{}\n")
    report = run_retention(warehouse, AS_OF, archive_root=tmp_path / "a", landing_root=landing)
    assert report.landing == {"expired": 1, "held": 0, "removed": 1}
    assert sorted(p.name for p in (landing / "intake_forms").iterdir()) == [f"dt={d}" for d in RAW_DAYS[1:]]


def test_the_audit_chain_detects_edits_and_deletions_and_survives_archival(warehouse, tmp_path):
    root = tmp_path / "archive"
    for i in range(5):
        audit.record(warehouse, audit.AuditEntry("workflow_state", "test", f"wf-{i}", {"n": i}), archive_root=root)
    assert audit.verify(warehouse, root).intact and audit.verify(warehouse, root).rows == 5
    with warehouse.transaction() as tx:
        tx.execute("UPDATE audit_log SET details = ? WHERE seq = 3", ['{"n":99}'])
    edited = audit.verify(warehouse, root)
    assert (edited.broken_at, "edited") == (3, edited.reason.split("(")[1].split()[-1].rstrip(")"))
    with warehouse.transaction() as tx:
        tx.execute("UPDATE audit_log SET details = ? WHERE seq = 3", ['{"n":2}'])
    assert audit.verify(warehouse, root).intact  # restored: the hash holds again
    with warehouse.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE seq = 3")
    deleted = audit.verify(warehouse, root)
    assert deleted.broken_at == 3 and "missing" in deleted.reason


def test_archived_audit_rows_keep_the_chain_verifiable(warehouse, tmp_path):
    root = tmp_path / "archive"
    for i in range(3):
        audit.record(warehouse, audit.AuditEntry("workflow_state", "test", f"wf-{i}"), archive_root=root)
    recorded = warehouse.scalar("SELECT min(event_date) FROM audit_log")
    later = recorded + dt.timedelta(days=2556)  # everything recorded so far is past its 7 years
    run_retention(warehouse, later, archive_root=root, landing_root=tmp_path / "l")
    report = audit.verify(warehouse, root)
    assert report.intact and report.archived_rows == 3 and report.rows == 4  # + the retention run's own record
    assert warehouse.scalar("SELECT min(seq) FROM audit_log") == 4


def test_the_nightly_job_runs_through_dagster_with_its_schedule(warehouse, tmp_path, monkeypatch):
    _fill(warehouse)
    monkeypatch.setenv("OSA_ARCHIVE_DIR", str(tmp_path / "archive"))
    resources = {
        "warehouse": warehouse_resource(location_of(warehouse)),
        "landing": compliance.LandingZoneResource(path=str(tmp_path / "landing")),
    }
    result = compliance.retention_job.execute_in_process(
        resources=resources,
        run_config={"ops": {"apply_retention_policies": {"config": {"as_of": AS_OF.isoformat()}}}},
    )
    assert result.success
    assert _days(warehouse, "bronze_intake_forms") == RAW_DAYS[1:]
    schedules = {s.job_name: s for s in compliance.defs.schedules}
    assert schedules["retention_job"].cron_schedule == "0 2 * * *"
    assert schedules["retention_job"].execution_timezone == compliance.NIGHTLY_TIMEZONE == "UTC"
    assert schedules["compliance_job"].cron_schedule == "30 2 * * *"
    sensor = next(s for s in compliance.defs.sensors if s.name == "nightly_job_failed")
    assert sensor is not None


def test_the_committed_retention_docs_are_generated_from_the_policies():
    from osa.compliance import docs

    assert docs.DOC_PATH.read_text() == docs.render(), "run: python -m osa.compliance.docs"


def test_a_failed_nightly_job_is_logged_and_audited(warehouse):
    import dagster as dg

    from resources import WarehouseResource

    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(job_def=compliance.retention_job)
    instance.report_run_failed(run)
    failure = next(
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(run.run_id).records
        if r.event_log_entry.dagster_event and r.event_log_entry.dagster_event.event_type_value == "PIPELINE_FAILURE"
    )
    location = location_of(warehouse)
    resource = (
        WarehouseResource(backend="postgres", database_url=location)
        if location.startswith("postgresql://")
        else WarehouseResource(duckdb_path=location)
    )
    context = dg.build_run_status_sensor_context(
        sensor_name="nightly_job_failed",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=run,
        resources={"warehouse": resource},
    ).for_run_failure()
    compliance.nightly_job_failed(context)
    (row,) = warehouse.query("SELECT action, target, details FROM audit_log").to_pylist()
    assert (row["action"], row["target"]) == ("job_failure", "retention_job") and run.run_id in row["details"]
    assert {j.name for j in compliance.NIGHTLY_JOBS} == {"retention_job", "compliance_job"}
