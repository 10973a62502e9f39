"""The PII choke point in the lakehouse: protection of silver rows, audit trail, subject index, leak check."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest

from osa.ingest.intake import process_intake
from osa.ingest.landing import landing_files, read_lines
from osa.privacy import PassThroughProtector, default_protector, protect_rows, write_protected
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from pipelines.definitions import defs
from tests.conftest import SMALL_FIRST, SMALL_LAST
from tests.test_assets import lakehouse_resources, run_job


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    from osa.generate import generate

    root = tmp_path_factory.mktemp("privacy")
    generate(root, workflows=8, days=2)
    return process_intake(read_lines(landing_files(root, "intake_forms"), root))


def test_silver_forms_are_pseudonymized_with_schema_and_ids_kept(intake):
    rows = intake.silver
    protected = protect_rows("silver_intake_forms", rows, default_protector())
    assert protected.rows.schema == rows.schema and protected.rows.num_rows == rows.num_rows
    before, after = pl.from_arrow(rows), pl.from_arrow(protected.rows)
    for column in ("form_id", "workflow_id", "project_id", "credentials_supplied", "analysis_depth", "company_name"):
        assert after[column].to_list() == before[column].to_list(), column
    assert all(v.startswith("NAME_") for v in after["contact_name"])
    assert all(e.startswith("EMAIL_") for emails in after["recipients"] for e in emails)
    raw_emails = {e for emails in before["recipients"] for e in emails}
    assert not raw_emails & {e for emails in after["recipients"] for e in emails}
    assert not any(name in note for name, note in zip(before["contact_name"], after["notes"], strict=True))


def test_audit_and_subject_rows_never_hold_the_raw_value(intake):
    protected = protect_rows("silver_intake_forms", intake.silver, default_protector())
    audit, subjects = pl.from_arrow(protected.audit), pl.from_arrow(protected.subjects)
    assert audit.height > 0 and subjects.height > 0
    assert set(audit["event_date"].to_list()) <= set(pl.from_arrow(intake.silver)["event_date"].to_list())
    assert set(audit["record_id"]) <= set(pl.from_arrow(intake.silver)["form_id"])
    assert {"email", "name", "phone", "address"} <= set(audit["pii_type"])
    raw = pl.from_arrow(intake.silver)
    raw_values = set(raw["contact_name"]) | set(raw["contact_phone"]) | {e for r in raw["recipients"] for e in r}
    for frame in (audit, subjects):
        for column in frame.columns:
            assert not raw_values & set(map(str, frame[column].to_list())), column


def test_the_same_person_gets_the_same_fingerprint_across_columns(intake):
    """The subject index must find one person everywhere: contact_name and the name inside notes (the generator
    writes "Main contact <contact_name>, ..." into notes), so each form has exactly one person's fingerprint,
    and it is the fingerprint of its contact_name."""
    protected = protect_rows("silver_intake_forms", intake.silver, default_protector())
    subjects = pl.from_arrow(protected.subjects).filter(pl.col("pii_type") == "name")
    per_record = subjects.group_by("record_id").agg(
        pl.col("fingerprint").n_unique().alias("people"), pl.col("field_path").unique().sort().alias("fields")
    )
    raw = pl.from_arrow(intake.silver).filter(pl.col("contact_name").is_not_null())
    assert per_record.height == raw.height > 0
    assert per_record["fields"].to_list() == [["contact_name", "notes"]] * raw.height  # found in both columns
    assert per_record["people"].to_list() == [1] * raw.height  # ... as one person
    engine = default_protector().engine
    expected = {r["form_id"]: engine.fingerprint(r["contact_name"], "name") for r in raw.iter_rows(named=True)}
    assert dict(subjects.select("record_id", "fingerprint").unique().iter_rows()) == expected


def test_gold_refuses_rows_that_carry_personal_data(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    warehouse.apply_schema()
    # a (buggy) aggregate that carried a free-text column through to gold
    rows = pa.table(
        {
            "event_date": [dt.date(2026, 7, 1)],
            "category": ["content"],
            "impact_estimate": ["high"],
            "example_title": ["Call Jane Doe at jane.doe@example.com"],
            "recommendations": [1],
        }
    )
    protected = protect_rows("gold_recommendation_mix_daily", rows, default_protector())
    with pytest.raises(RuntimeError, match="personal data found"):
        write_protected(warehouse, [protected], dt.date(2026, 7, 1), dt.date(2026, 7, 2), audit_source=None)
    assert warehouse.scalar("SELECT count(*) FROM gold_recommendation_mix_daily") == 0


def test_write_protected_rejects_unprotected_tables(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    warehouse.apply_schema()
    with pytest.raises(TypeError):
        write_protected(
            warehouse,
            [pa.table({"event_date": [dt.date(2026, 7, 1)]})],
            dt.date(2026, 7, 1),
            dt.date(2026, 7, 2),
            audit_source="intake_forms",
        )


def test_leak_check_passes_after_a_run_and_fails_on_a_planted_raw_value(isolated_env, small_landing):
    path = isolated_env / "warehouse.duckdb"
    assert run_job(path, small_landing).success
    warehouse = DuckDBWarehouse(path)
    assert warehouse.scalar("SELECT count(*) FROM pii_audit_opal_deliveries") > 0
    assert warehouse.scalar("SELECT count(*) FROM pii_subject_index") > 0

    def run_leak_checks() -> dict[str, bool]:
        job = defs.resolve_job_def("lakehouse_job")
        checks = {key for key in defs.resolve_asset_graph().asset_check_keys if key.name == "no_raw_pii"}
        subset = job.get_subset(asset_selection=set(), asset_check_selection=checks)
        result = subset.execute_in_process(
            resources=lakehouse_resources(path, small_landing),
            tags={"dagster/asset_partition_range_start": SMALL_FIRST, "dagster/asset_partition_range_end": SMALL_LAST},
            raise_on_error=False,
        )
        outcome = {e.asset_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()}
        assert result.success == all(outcome.values())  # blocking: a leak fails the run
        return outcome

    assert all(run_leak_checks().values())
    with warehouse.connect() as con:  # a bug upstream lets one raw email through
        con.execute(
            "UPDATE silver_recommendations SET description = 'Escalate to maria.gonzalez@example.org' "
            "WHERE recommendation_id = (SELECT min(recommendation_id) FROM silver_recommendations)"
        )
    outcome = run_leak_checks()
    assert outcome.pop("silver_recommendations") is False
    assert all(outcome.values())


def test_passthrough_is_only_a_benchmark_switch():
    from resources import PrivacyResource

    assert isinstance(PrivacyResource(engine="passthrough").protector(), PassThroughProtector)
    assert PrivacyResource().protector() is default_protector()
    with pytest.raises(ValueError):
        PrivacyResource(engine="nope").protector()
