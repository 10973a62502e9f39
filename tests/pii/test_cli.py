"""osa redact: same lines out, PII protected, malformed lines quarantined, unreadable input fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osa.pii.cli import EXIT_OK, EXIT_QUARANTINED, EXIT_USAGE, main


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_redacts_every_line_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        {"contact_email": "jane@example.com", "n": 1, "notes": "SSN 123-45-6789"},
        {"notes": "nothing to see", "tags": ["a", "b"]},
        {"recipients": ["bob@x.org"], "meta": {"phone_number": "+44 20 7946 0958"}},
    ]
    source = write(tmp_path / "in.jsonl", [json.dumps(r) for r in records])
    out, findings = tmp_path / "out.jsonl", tmp_path / "findings.jsonl"
    code = main(
        ["redact", "--input", str(source), "--output", str(out), "--findings", str(findings), "--allow-dev-keys"]
    )
    assert code == EXIT_OK
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 3 and [list(r) for r in lines] == [list(r) for r in records]
    assert lines[0]["n"] == 1 and lines[1] == records[1]
    assert lines[0]["contact_email"].startswith("EMAIL_") and "123-45-6789" not in out.read_text()
    assert lines[2]["meta"]["phone_number"].startswith("PHONE_")
    found = [json.loads(line) for line in findings.read_text().splitlines()]
    assert {(f["line"], f["field_path"], f["pii_type"]) for f in found} >= {
        (1, "contact_email", "email"),
        (3, "meta.phone_number", "phone"),
    }
    assert "jane@example.com" not in findings.read_text()
    assert "3 lines written" in capsys.readouterr().err


def test_policy_flag_changes_the_mode(tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", [json.dumps({"ssn": "123-45-6789"})])
    out = tmp_path / "out.jsonl"
    assert main(["--input", str(source), "--output", str(out), "--policy", "logging", "--allow-dev-keys"]) == 0
    assert json.loads(out.read_text())["ssn"].startswith("HASH:SSN:")


def test_malformed_lines_are_quarantined_not_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret_line = '{"email": "leak@example.com", broken'
    source = write(tmp_path / "in.jsonl", ['{"email": "a@b.co"}', secret_line, "[1, 2]", "", '{"ok": true}'])
    out = tmp_path / "out.jsonl"
    code = main(["redact", "--input", str(source), "--output", str(out), "--allow-dev-keys"])
    assert code == EXIT_QUARANTINED
    assert len(out.read_text().splitlines()) == 2
    quarantine = [json.loads(line) for line in (tmp_path / "out.jsonl.quarantine").read_text().splitlines()]
    assert [q["line"] for q in quarantine] == [2, 3]
    assert "invalid JSON" in quarantine[0]["reason"] and "object" in quarantine[1]["reason"]
    err = capsys.readouterr().err
    assert "line 2 quarantined" in err
    everything = err + (tmp_path / "out.jsonl.quarantine").read_text()
    assert "leak@example.com" not in everything and "broken" not in everything


def test_unreadable_input_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "redact",
            "--input",
            str(tmp_path / "missing.jsonl"),
            "--output",
            str(tmp_path / "o.jsonl"),
            "--allow-dev-keys",
        ]
    )
    assert code == EXIT_USAGE
    assert "cannot read input" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_missing_keys_without_dev_flag_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("OSA_PII_HMAC_KEY", "OSA_PII_ENCRYPTION_KEYS", "OSA_PII_ACTIVE_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    source = write(tmp_path / "in.jsonl", ['{"email": "a@b.co"}'])
    assert main(["--input", str(source), "--output", str(tmp_path / "o.jsonl")]) == EXIT_USAGE
    assert "OSA_PII_HMAC_KEY" in capsys.readouterr().err


def test_usage_error_returns_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["redact", "--output", "x"]) == EXIT_USAGE


@pytest.mark.parametrize(
    ("flag", "value"), [("--workers", "-1"), ("--workers", "two"), ("--chunk-lines", "0"), ("--chunk-lines", "1.5")]
)
def test_bad_worker_or_chunk_counts_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    source = write(tmp_path / "in.jsonl", ['{"email": "a@b.co"}'])
    code = main(["--input", str(source), "--output", str(tmp_path / "o.jsonl"), "--allow-dev-keys", flag, value])
    assert code == EXIT_USAGE
    error = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(error) == 1 and flag in error[0] and value in error[0]
    assert not (tmp_path / "o.jsonl").exists()
