"""Hostile input that once aborted runs or lost lines (issue 9): each test is one kind of input, run through the
real ingest path (and, where the failure was in Dagster, a real run)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from osa.ingest.landing import read_lines
from osa.ingest.opal import process_deliveries
from osa.privacy import default_protector, protect_rows
from pipelines.definitions import defs
from pipelines.lakehouse import range_tags
from resources import LandingZoneResource, PrivacyResource, WebhookSecretResource
from tests.conftest import (
    SECRET,
    VALID_AGENT_DATA,
    assert_balanced,
    body,
    delivery,
    envelope,
    osa_env,
    run_deliveries,
    warehouse_resource,
)
from tests.instances import open_instance

OSA = str(Path(sys.executable).with_name("osa"))


def _deep_criteria_delivery(depth: int) -> str:
    """A valid audience_suggester delivery whose segment criteria nest `depth` objects around an e-mail address
    (the JSON text is built directly: Python's own json module cannot write that depth)."""
    data = copy.deepcopy(VALID_AGENT_DATA["audience_suggester"])
    data["suggested_segments"][0]["criteria"] = "@@DEEP@@"
    text = json.dumps(body("audience_suggester", agent_data=data))
    deep = '{"and":' * depth + '"jane.doe@example.com"' + "}" * depth
    return envelope(text.replace('"@@DEEP@@"', deep))


def test_a_valid_payload_nesting_a_thousand_levels_is_stored_not_a_crash():
    """A free-form object (audience criteria) 1,000 levels deep: the PII engine's leaf walk is iterative, and a
    document deeper than a JSON writer can write back is protected as text, so the day's window is written."""
    for depth, still_json in ((1000, False), (200, True)):
        tables = run_deliveries([_deep_criteria_delivery(depth)])
        assert_balanced(tables)
        assert tables.accepted == 1, tables.quarantine.to_pylist()
        rows = tables.insights["silver_audience_segments"]
        protected = protect_rows("silver_audience_segments", rows, default_protector())
        stored = protected.rows["criteria_json"][0].as_py()
        assert "jane.doe@example.com" in rows["criteria_json"][0].as_py()
        assert "jane.doe@example.com" not in stored, depth  # pseudonymized either way
        if still_json:
            assert stored.startswith('{"and":{"and":') and stored.count('{"and":') == depth


def test_an_empty_day_of_deliveries_is_not_an_error():
    tables = process_deliveries(read_lines([], "/nonexistent"), secret=SECRET)
    assert tables.records_in == 0 and tables.bronze.num_rows == 0 and tables.recommendations.num_rows == 0


def test_forms_on_a_day_without_deliveries_run_through_dagster(tmp_path):
    """The day has intake forms and no delivery file: both steps succeed and the accounting check passes."""
    landing = tmp_path / "landing"
    day_dir = landing / "intake_forms" / "dt=2026-07-05"
    day_dir.mkdir(parents=True)
    from tests.conftest import VALID_FORM

    day_dir.joinpath("forms.jsonl").write_text(json.dumps(VALID_FORM) + "\n")
    resources = {
        "warehouse": warehouse_resource(str(tmp_path / "w.duckdb")),
        "landing": LandingZoneResource(path=str(landing)),
        "webhook": WebhookSecretResource(secret=SECRET),
        "privacy": PrivacyResource(),
    }
    result = defs.resolve_job_def("lakehouse_job").execute_in_process(
        resources=resources, tags=range_tags("2026-07-05", "2026-07-05"), raise_on_error=False
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure][:3]
    failed = [(e.asset_key, e.check_name) for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == []
    assert isinstance(result.dagster_run, dg.DagsterRun)


def test_osa_redact_quarantines_a_record_too_deep_to_walk_and_keeps_the_rest(tmp_path):
    deep = '{"a":' * 1000 + '"jane.doe@example.com"' + "}" * 1000
    source = tmp_path / "in.jsonl"
    source.write_text('{"x": ' + deep + '}\n{"email": "bob@example.com"}\n')
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [OSA, "redact", "--input", str(source), "--output", str(out), "--allow-dev-keys"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr  # some lines quarantined
    assert "Traceback" not in done.stderr and "line 1 quarantined: nested deeper than" in done.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and "example.com" not in lines[0]
    assert "nested deeper" in (tmp_path / "out.jsonl.quarantine").read_text()


PLANTED = "jane.doe@example.com"


def test_ids_and_unknown_enums_never_store_a_planted_value(tmp_path):
    """Personal data planted in every id a sender controls (and in an unknown agent id, which quarantines the
    record) never reaches silver or quarantine raw: ids pass the PII engine (keys as stable pseudonyms, so
    the audit trail's record ids carry no raw value either) and an unknown enum is stored as a digest."""
    good = body("content_review", workflow_id=f"wf-{PLANTED}", execution_id=f"exec-{PLANTED}")
    good["correlation_id"] = f"corr-{PLANTED}"
    good["metadata"]["data_sources"] = ["odp", PLANTED]
    bad = body("content_review", workflow_id="wf-329-34-7960")
    bad["agent_id"] = PLANTED
    tables = run_deliveries([delivery(good), delivery(bad)])
    assert_balanced(tables)
    assert tables.accepted == 1 and tables.quarantined == 1
    assert tables.quarantine["agent_id"][0].as_py().startswith("sha256:")
    protector = default_protector()
    stored = {
        name: protect_rows(name, rows, protector)
        for name, rows in {
            "silver_agent_executions": tables.agent_executions,
            "silver_workflow_executions": tables.workflow_executions,
            "silver_recommendations": tables.recommendations,
            "quarantine_opal_deliveries": tables.quarantine,
        }.items()
    }
    for name, protected in stored.items():
        for table in (protected.rows, protected.audit, protected.subjects):
            if table is not None:
                text = json.dumps(table.to_pylist(), default=str)
                assert PLANTED not in text and "329-34-7960" not in text, name
    workflows = stored["silver_workflow_executions"]
    token = workflows.rows["workflow_id"][0].as_py()
    assert token != f"wf-{PLANTED}" and workflows.audit["record_id"][0].as_py().endswith(token)
    again = protect_rows("silver_workflow_executions", tables.workflow_executions, protector)
    assert again.rows["workflow_id"][0].as_py() == token  # stable: joins across tables and runs still work


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p%zzS3cretPw@127.0.0.1:1/x",  # an invalid percent-escape: libpq quotes the token back
        "postgresql://u:S3cretPw@[::1/x",  # an unterminated IPv6 host: libpq quotes the whole URI back
        "postgresql://u:S3cretPw@127.0.0.1:1/x?sslmode=bogus",
        "host=127.0.0.1 port=1 password='S3cretPw' user=u",
        "postgresql://u:S3cretPw@127.0.0.1:1/x",  # a stopped database
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["query", "SELECT 1"], ["run"]])
def test_a_bad_database_url_is_one_line_without_its_password(tmp_path, url, command):
    env = {**osa_env(tmp_path), "OSA_WAREHOUSE": "postgres", "OSA_DATABASE_URL": url}
    done = subprocess.run([OSA, *command], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "S3cretPw" not in done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"osa {command[0]}: error:")


def test_the_webhook_resource_refuses_the_development_secret_outside_development(monkeypatch):
    from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET, MissingSecretError

    resource = WebhookSecretResource(secret=DEVELOPMENT_WEBHOOK_SECRET)  # as EnvVar binds an explicit value
    monkeypatch.setenv("OSA_ENV", "development")
    assert resource.get() == DEVELOPMENT_WEBHOOK_SECRET
    for environment in ("production", "staging"):
        monkeypatch.setenv("OSA_ENV", environment)
        with pytest.raises(MissingSecretError, match="OSA_WEBHOOK_SECRET") as refused:
            resource.get()
        assert DEVELOPMENT_WEBHOOK_SECRET not in str(refused.value)
    assert WebhookSecretResource(secret="a-real-secret-of-enough-length").get() == "a-real-secret-of-enough-length"


def _first_use(home: str, barrier) -> None:
    import os

    from osa import cli

    os.environ["DAGSTER_HOME"] = home
    barrier.wait()
    cli._dagster_home()


def test_first_uses_of_a_fresh_dagster_home_do_not_race(tmp_path):
    """Several processes opening a new DAGSTER_HOME at once: the SQLite schema is created once, under a lock."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    workers = [ctx.Process(target=_first_use, args=(str(tmp_path / "home"), barrier)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with open_instance(tmp_path / "home") as instance:
        assert instance.get_runs() == []


def test_staging_refuses_the_development_webhook_secret_from_the_cli(tmp_path):
    """OSA_ENV=staging with real PII keys but the documented development webhook secret: `osa ingest` exits
    non-zero with one line per failed range naming the variable, never the secret, and no traceback."""
    import base64
    import shutil

    from osa.config import SEED_DATA_DIR
    from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET

    incoming = tmp_path / "in" / "opal_deliveries"
    incoming.mkdir(parents=True)
    shutil.copy(next((SEED_DATA_DIR / "opal_deliveries" / "dt=2026-07-01").glob("*.jsonl")), incoming)
    key = base64.b64encode(b"k" * 32).decode()
    env = {
        **osa_env(tmp_path),
        "OSA_ENV": "staging",
        "OSA_WEBHOOK_SECRET": DEVELOPMENT_WEBHOOK_SECRET,
        "OSA_PII_HMAC_KEY": base64.b64encode(b"h" * 32).decode(),
        "OSA_PII_ENCRYPTION_KEYS": f"k1:{key}",
        "OSA_PII_ACTIVE_KEY_ID": "k1",
    }
    done = subprocess.run([OSA, "ingest", str(tmp_path / "in")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines and all(line.startswith("osa ingest: error:") for line in lines), done.stderr
    assert all("OSA_WEBHOOK_SECRET" in line for line in lines)
    assert DEVELOPMENT_WEBHOOK_SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_day_no_partition_can_hold_is_quarantined_with_a_reason(when):
    """Staging files a line received (or a form submitted) on a day outside the partitions under today; the
    ingest then quarantines it with a reason instead of accepting it or aborting the batch."""
    from tests.conftest import form, run_intake

    epoch = int(dt.datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp())
    line = envelope(json.dumps(body("content_review")), received_at=when, timestamp=epoch)
    tables = run_deliveries([line, delivery(body("geo_audit"))])
    assert_balanced(tables)
    assert tables.accepted == 1
    assert "malformed_envelope:received_at_out_of_range" in tables.quarantine["reason_codes"][0].as_py()
    forms = run_intake([json.dumps(form(submitted_at=when)), json.dumps(form(workflow_id="wf-ok"))])
    assert_balanced(forms)
    assert forms.accepted == 1 and forms.quarantine["reason_codes"][0].as_py() == ["out_of_range:submitted_at"]
