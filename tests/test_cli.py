"""CLI smoke tests (real subprocesses of the installed `osa` script) and the committed seed data."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from osa.config import SEED_DATA_DIR
from osa.contracts.opal import AGENT_IDS
from osa.generate import generate
from osa.ingest.intake import process_intake
from osa.ingest.landing import SOURCES, days_with_data, landing_files, read_lines
from osa.ingest.opal import process_deliveries
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.conftest import SMALL_DAYS, SMALL_WORKFLOWS, osa_env

OSA = str(Path(sys.executable).with_name("osa"))


def osa(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [OSA, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env["OSA_STATE_DIR"].rsplit("/", 1)[0],
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> dict[str, str]:
    """One `osa run --landing <small set>` in a sandbox; later tests query its warehouse."""
    root = tmp_path_factory.mktemp("cli_run")
    generate(root / "small", workflows=SMALL_WORKFLOWS, days=SMALL_DAYS)
    env = osa_env(root)
    completed = osa("run", "--landing", str(root / "small"), env=env)
    return {
        "root": str(root),
        "stdout": completed.stdout,
        "stderr": completed.stderr,
        "returncode": str(completed.returncode),
        **{f"env:{k}": v for k, v in env.items()},
    }


def _env_of(ran: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("env:"): v for k, v in ran.items() if k.startswith("env:")}


def test_generate_is_deterministic(tmp_path):
    env = osa_env(tmp_path)
    outputs = []
    for name in ("a", "b"):
        completed = osa("generate", "--workflows", "5", "--days", "3", "--out", str(tmp_path / name), env=env)
        assert completed.returncode == 0, completed.stderr
        assert "wrote 5 workflows" in completed.stdout
        outputs.append(_tree(tmp_path / name))
    assert outputs[0] == outputs[1]
    assert {Path(p).parts[0] for p in outputs[0]} == set(SOURCES)
    other = osa("generate", "--workflows", "5", "--days", "3", "--seed", "8", "--out", str(tmp_path / "c"), env=env)
    assert other.returncode == 0
    assert _tree(tmp_path / "c") != outputs[0]  # the seed matters


def test_committed_seed_data_is_reproducible_by_the_generator(tmp_path):
    generate(tmp_path / "seed", workflows=60, seed=7, days=140)
    assert _tree(tmp_path / "seed") == _tree(SEED_DATA_DIR)


def test_run_prints_a_summary_table(ran):
    assert ran["returncode"] == "0", ran["stderr"]
    lines = ran["stdout"].splitlines()
    assert re.match(r"^table\s+rows$", lines[0])
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", ran["stdout"], flags=re.MULTILINE))
    for table in (
        "bronze_intake_forms",
        "silver_intake_forms",
        "quarantine_intake_forms",
        "bronze_opal_deliveries",
        "quarantine_opal_deliveries",
        "silver_agent_executions",
        "silver_recommendations",
        "gold_agent_performance_daily",
        "gold_workflow_completion_daily",
        "gold_recommendation_mix_daily",
    ):
        assert int(counts[table]) > 0, table
    assert "materialized 2026-07-01..2026-07-03 (3 days with data)" in ran["stdout"]
    assert str(Path(ran["root"]) / "warehouse.duckdb") in ran["stdout"]


def test_run_stays_inside_the_sandbox(ran):
    root = Path(ran["root"])
    warehouse = DuckDBWarehouse(root / "warehouse.duckdb")
    assert warehouse.scalar("SELECT count(*) FROM silver_intake_forms") > 0
    assert (root / "dagster_home" / "dagster.yaml").exists()  # the run was recorded in the sandbox instance


def test_query_prints_a_number(ran):
    env = _env_of(ran)
    expected = DuckDBWarehouse(env["OSA_DUCKDB_PATH"]).scalar("SELECT count(*) FROM silver_agent_executions")
    completed = osa("query", "SELECT count(*) AS n FROM silver_agent_executions", env=env)
    assert completed.returncode == 0, completed.stderr
    assert re.search(rf"(?<![\d.]){expected}(?![\d.])", completed.stdout), completed.stdout


def test_query_with_bad_sql_fails_clearly(ran):
    completed = osa("query", "SELEC nonsense FROM nowhere", env=_env_of(ran))
    assert completed.returncode == 1
    assert completed.stderr.startswith("osa query: error: query failed:")
    assert "Traceback" not in completed.stderr


def test_query_is_read_only(ran):
    env = _env_of(ran)
    completed = osa("query", "DELETE FROM silver_intake_forms", env=env)
    assert completed.returncode == 1
    assert "osa query: error:" in completed.stderr
    assert DuckDBWarehouse(env["OSA_DUCKDB_PATH"]).scalar("SELECT count(*) FROM silver_intake_forms") > 0


def test_query_before_any_run_fails_clearly(tmp_path):
    env = osa_env(tmp_path)
    completed = osa("query", "SELECT 1", env=env)
    assert completed.returncode == 1
    assert completed.stderr.startswith("osa query: error: no warehouse at")
    assert "osa run" in completed.stderr
    assert not Path(env["OSA_DUCKDB_PATH"]).exists()


def test_run_with_an_empty_landing_dir_fails_clearly(tmp_path):
    (tmp_path / "empty").mkdir()
    completed = osa("run", "--landing", str(tmp_path / "empty"), env=osa_env(tmp_path))
    assert completed.returncode == 1
    assert "no landing files" in completed.stderr


def test_ingest_missing_path_fails(tmp_path):
    completed = osa("ingest", str(tmp_path / "does-not-exist.jsonl"), env=osa_env(tmp_path))
    assert completed.returncode == 1
    assert "does not exist" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_ingest_of_an_unrecognisable_file_asks_for_source(tmp_path):
    (tmp_path / "x").mkdir()
    path = tmp_path / "x" / "batch.jsonl"
    path.write_text("{}\n")
    completed = osa("ingest", str(path), env=osa_env(tmp_path))
    assert completed.returncode == 1
    assert "--source" in completed.stderr


def test_ingest_stages_and_ingests_a_delivery_file(tmp_path):
    # generated for today so the one unreadable line (filed under today's date) keeps the run to one day
    today = dt.datetime.now(dt.UTC).date()
    generate(tmp_path / "gen", workflows=3, days=1, start=today)
    incoming = tmp_path / "incoming" / "opal_deliveries.jsonl"
    incoming.parent.mkdir()
    shutil.copyfile(tmp_path / "gen" / "opal_deliveries" / f"dt={today}" / "batch.jsonl", incoming)
    env = osa_env(tmp_path)
    completed = osa("ingest", str(incoming), "--source", "opal_deliveries", env=env)
    assert completed.returncode == 0, completed.stderr
    assert "staged 1 file(s) as opal_deliveries" in completed.stdout
    assert str(incoming) not in completed.stdout  # names can carry personal data: counts only
    landing = Path(env["OSA_LANDING_DIR"])
    staged = landing_files(landing, "opal_deliveries")
    first, last = staged[0].day, staged[-1].day
    assert first == today and (last - first).days <= 1  # (<= 1: the clock may pass midnight meanwhile)
    assert "ingested 1 file(s) covering" in completed.stdout and str(first) in completed.stdout
    assert sum(len(f.path.read_bytes().splitlines()) for f in staged) == len(incoming.read_bytes().splitlines())
    # the warehouse holds exactly what the delivery path makes of the staged lines, and every line is placed
    expected = process_deliveries(read_lines(staged, landing), secret=DEVELOPMENT_WEBHOOK_SECRET)
    warehouse = DuckDBWarehouse(env["OSA_DUCKDB_PATH"])
    accepted = warehouse.scalar("SELECT count(*) FROM silver_agent_executions")
    quarantined = warehouse.scalar("SELECT count(*) FROM quarantine_opal_deliveries")
    duplicates = warehouse.scalar("SELECT count(*) FROM bronze_opal_deliveries WHERE is_duplicate")
    assert (accepted, quarantined, duplicates) == (expected.accepted, expected.quarantined, expected.duplicates)
    assert accepted > 0 and quarantined > 0
    assert accepted + quarantined + duplicates == len(incoming.read_bytes().splitlines())


# ------------------------------------------------------------------ the committed seed data
@pytest.fixture(scope="module")
def seed():
    intake = process_intake(read_lines(landing_files(SEED_DATA_DIR, "intake_forms"), SEED_DATA_DIR))
    deliveries = process_deliveries(
        read_lines(landing_files(SEED_DATA_DIR, "opal_deliveries"), SEED_DATA_DIR), secret=DEVELOPMENT_WEBHOOK_SECRET
    )
    return intake, deliveries


def test_seed_data_size_and_span(seed):
    intake, deliveries = seed
    assert intake.accepted >= 60
    # every workflow has signed deliveries from all nine agents (some deliberately invalid: degraded workflows)
    agents_by_workflow = collections.defaultdict(set)
    for row in deliveries.bronze.to_pylist():
        try:
            document = json.loads(row["body"] or "null")
        except json.JSONDecodeError:  # the deliberately broken bodies
            continue
        if isinstance(document, dict) and document.get("workflow_id"):
            agents_by_workflow[document["workflow_id"]].add(document.get("agent_id"))
    complete = [w for w, agents in agents_by_workflow.items() if agents >= set(AGENT_IDS)]
    assert len(complete) >= 60
    valid_agents = collections.defaultdict(set)
    for row in deliveries.agent_executions.to_pylist():
        valid_agents[row["workflow_id"]].add(row["agent_id"])
    assert sum(agents == set(AGENT_IDS) for agents in valid_agents.values()) >= 50
    days = days_with_data(SEED_DATA_DIR)
    assert (days[-1] - days[0]).days >= 120
    for source in SOURCES:
        assert landing_files(SEED_DATA_DIR, source)


def test_seed_data_contains_every_kind_of_bad_delivery(seed):
    _, deliveries = seed
    codes = collections.Counter(code for row in deliveries.quarantine["reason_codes"].to_pylist() for code in row)
    for exact in (
        "bad_signature",
        "stale_signature",
        "malformed_signature",
        "missing_signature",
        "invalid_json",
        "not_allowed:agent_id",
    ):
        assert codes[exact] > 0, exact
    for prefix in ("malformed_envelope:", "wrong_type:", "out_of_range:", "missing:"):
        assert any(code.startswith(prefix) for code in codes), prefix
    assert deliveries.duplicates > 0
    assert deliveries.records_in == deliveries.accepted + deliveries.quarantined + deliveries.duplicates
    statuses = collections.Counter(deliveries.workflow_executions["workflow_status"].to_pylist())
    assert statuses["degraded"] > 0 and statuses["completed"] > 0
    sla = collections.Counter(deliveries.agent_executions["sla_status"].to_pylist())
    assert sla["timeout"] > 0 and sla["low_confidence"] > 0 and sla["failed"] > 0


def test_seed_data_breaks_every_intake_rule(seed):
    intake, _ = seed
    codes = {code for row in intake.quarantine["reason_codes"].to_pylist() for code in row}
    assert codes >= {
        "too_short:workflow_id",
        "missing:business_context.company_name",
        "too_short:business_context.industry",
        "too_short:business_context.goals",
        "too_short:business_context.target_audience",
        "bad_format:optimizely_config.project_id",
        "too_short:optimizely_config.workspace_id",
        "no_api_credentials",
        "not_allowed:analysis_preferences.analysis_depth",
        "too_short:analysis_preferences.focus_areas",
        "not_allowed:analysis_preferences.focus_areas[]",
        "not_allowed:analysis_preferences.timeline",
        "invalid_json",
        "wrong_type:business_context.goals",
    }
    assert intake.duplicates > 0
    assert intake.records_in == intake.accepted + intake.quarantined + intake.duplicates


def test_seed_data_carries_realistic_personal_data(seed):
    intake, _ = seed
    forms = intake.silver.to_pylist()
    assert all(r["recipients"] and all("@" in e for e in r["recipients"]) for r in forms)
    assert all(r["contact_name"] and r["contact_phone"] for r in forms)
    assert sum(bool(re.search(r"\d", r["notes"] or "")) for r in forms) >= len(forms) // 2  # street addresses


def test_contiguous_ranges_groups_only_consecutive_days():
    import datetime as dt

    from osa.cli import contiguous_ranges

    d = dt.date(2026, 7, 1)
    days = [d + dt.timedelta(days=n) for n in (0, 1, 2, 10, 140)]
    assert contiguous_ranges(days) == [
        (d, d + dt.timedelta(days=2)),
        (d + dt.timedelta(days=10),) * 2,
        (d + dt.timedelta(days=140),) * 2,
    ]
    assert contiguous_ranges([]) == []
