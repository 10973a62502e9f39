"""The compliance commands as a user runs them (whole processes on a DuckDB sandbox): `osa retention`,
`osa hold`, `osa dsr`, `osa audit verify`, and the audit record of a restricted read through `osa query`."""

import datetime as dt
import hashlib
import json

import duckdb
import pyarrow as pa

from osa.compliance import audit
from tests.conftest import osa_env
from tests.test_cli import osa


def _one_line_error(done, command: str) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"osa {command}: error: "), done.stderr
    return lines[0]


def _audit_rows(root) -> list[dict]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.sql("SELECT * FROM audit_log ORDER BY seq").to_arrow_table().to_pylist()


def test_the_compliance_commands_end_to_end(tmp_path):
    env = osa_env(tmp_path)
    assert osa("migrate", env=env).returncode == 0
    done = osa("audit", "verify", env=env)
    assert done.returncode == 0 and "audit chain intact: 0 rows" in done.stdout

    assert osa("hold", "place", "case-9", "--workflow", "wf-1", "--reason", "matter 9", env=env).returncode == 0
    dry = osa("retention", "--as-of", "2026-11-27", "--dry-run", env=env)
    assert dry.returncode == 0 and "dry run: nothing changed" in dry.stdout and "case-9" in dry.stdout
    assert [r["action"] for r in _audit_rows(tmp_path)] == ["legal_hold"]  # the dry run wrote nothing
    real = osa("retention", "--as-of", "2026-11-27", env=env)
    assert real.returncode == 0 and "audit record 2" in real.stdout

    sql = "SELECT count(*) AS n FROM bronze_intake_forms WHERE form_json LIKE '%jane@example.org%'"
    assert osa("query", sql, env=env).returncode == 0
    read = _audit_rows(tmp_path)[-1]
    assert (read["action"], read["target"]) == ("restricted_read", "bronze_intake_forms")
    assert json.loads(read["details"]) == {"rows": 1, "sql_sha256": hashlib.sha256(sql.encode()).hexdigest()}
    assert "jane" not in json.dumps(read, default=str)
    assert osa("query", "SELECT count(*) FROM silver_intake_forms", env=env).returncode == 0
    assert len(_audit_rows(tmp_path)) == 3  # reading a protected table is not a restricted read

    bundle = tmp_path / "out" / "req-1.json"
    done = osa("dsr", "export", "--subject", "jane@example.org", "--out", str(bundle), env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(bundle.read_text())["request_id"] == "req-1" and "bundle:" in done.stdout
    _one_line_error(osa("dsr", "erase", "--subject", "???", env=env), "dsr")
    _one_line_error(osa("hold", "release", "no-such-hold", env=env), "hold")

    assert osa("audit", "verify", env=env).returncode == 0
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
    line = _one_line_error(osa("audit", "verify", env=env), "audit")
    assert "broken at seq 2" in line and "edited" in line


def test_workflow_state_changes_are_audited_once():
    day = pa.array([dt.date(2026, 7, 1)] * 2, pa.date32())
    before = pa.table({"event_date": day[:1], "workflow_id": ["wf-1"], "workflow_status": ["partial"]})
    after = pa.table({"event_date": day, "workflow_id": ["wf-1", "wf-2"], "workflow_status": ["completed", "failed"]})
    entry = audit.workflow_state_changes(before, after, "opal_deliveries", "2026-07-01..2026-07-02")
    assert entry is not None and entry.details["transitions"] == {"partial->completed": 1, "none->failed": 1}
    assert audit.workflow_state_changes(after, after, "opal_deliveries", "w") is None  # an identical re-run
