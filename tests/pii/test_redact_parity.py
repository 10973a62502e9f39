"""Issue 13, one code path: `osa redact` and the lakehouse's frame path protect the same records the same way.

* The two PII corpora (bench/pii_corpus.py, bench/pii_heldout.py) through `osa redact` as a real subprocess
  and through `protect_frame` in process: byte-identical documents, identical findings.
* Hypothesis (derandomized): nested JSON with planted PII through the CLI's chunked adapter
  (`redact_lines`) and through `protect_frame`: identical output and findings, no line lost, keys and
  non-string values unchanged, no planted value left.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osa.pii import PiiEngine, PolicyContext
from osa.pii.cli import RedactJob, redact_lines

ROOT = Path(__file__).resolve().parents[2]
TABLE = "in.jsonl"


def frame_path(engine: PiiEngine, lines: list[tuple[int, dict]], context: PolicyContext) -> tuple[bytes, list]:
    """What the lakehouse does with the same documents: one JSON column, the line number as record id."""
    frame = pl.DataFrame(
        {
            "line_id": [str(number) for number, _ in lines],
            "doc": [orjson.dumps(record).decode() for _, record in lines],
        },
        schema={"line_id": pl.String, "doc": pl.String},
    )
    result = engine.protect_frame(
        frame, table=TABLE, record_id_column="line_id", context=context, json_columns=["doc"], json_roots={"doc": ""}
    )
    text = "".join(document + "\n" for document in result.frame["doc"].to_list())
    audit = result.audit.with_columns(line=pl.col("record_id").cast(pl.Int64))
    audit = audit.sort(["line", "field_path"], maintain_order=True)  # the order osa redact documents
    return text.encode(), [finding_key(row) for row in audit.iter_rows(named=True)]


def finding_key(row: dict) -> tuple:
    return (row["line"], row["pii_type"], row["field_path"], row["mode"], row["fingerprint"], row["table"])


def findings_of(raw: bytes) -> list[tuple]:
    return [finding_key(orjson.loads(line)) for line in raw.splitlines()]


# ---------------------------------------------------------------------------------------------- corpora
def corpus_records() -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import pii_heldout
        from pii_corpus import build_corpus
    finally:
        sys.path.remove(str(ROOT / "bench"))
    corpus = build_corpus(240, seed=1313)
    records = [
        {k: orjson.loads(v) if k in ("answers", "tool_calls") and v else v for k, v in record.items()}
        for record in corpus.forms + corpus.agents
    ]
    return records + pii_heldout.build("dev", 120).docs + pii_heldout.build("heldout", 60).docs


@pytest.mark.parametrize("workers", [[], ["--workers", "2", "--chunk-lines", "97"]], ids=["default", "two-workers"])
def test_osa_redact_subprocess_equals_the_frame_path_on_the_corpora(
    engine: PiiEngine, storage: PolicyContext, tmp_path: Path, workers: list[str]
) -> None:
    """The whole command, as a user runs it: by default (one chunk, this process) and with two
    worker processes on chunks of 97 lines (chunks end mid-file and around the bad lines)."""
    records = corpus_records()
    lines = [orjson.dumps(record) for record in records]
    lines[7:7] = [b"{not json", b"", b"[1, 2]"]  # quarantined (2) and skipped (1): numbering goes on
    source = tmp_path / TABLE
    source.write_bytes(b"\n".join(lines) + b"\n")
    out, findings = tmp_path / "out.jsonl", tmp_path / "findings.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSA_PII_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "osa.cli", "redact", "--input", str(source), "--output", str(out)]
    done = subprocess.run(
        [*command, "--findings", str(findings), "--allow-dev-keys", *workers], env=env, capture_output=True, text=True
    )
    assert done.returncode == 3, done.stderr  # the two bad lines
    assert "line 8 quarantined" in done.stderr and "line 10 quarantined" in done.stderr

    valid = [(number, orjson.loads(raw)) for number, raw in enumerate(lines, start=1) if raw not in lines[7:10]]
    assert len(valid) == len(records)
    expected_out, expected_findings = frame_path(engine, valid, storage)
    assert out.read_bytes() == expected_out
    cli_findings = findings_of(findings.read_bytes())
    assert cli_findings == expected_findings
    assert len(cli_findings) > len(records)  # the corpora are full of PII
    # Paths are the documents' own (no column prefix), as the per-value API always reported them.
    paths = {path for _, _, path, _, _, _ in cli_findings}
    assert not any(path.startswith(("doc.", "document.")) for path in paths)
    assert any("[" in path for path in paths) and any("." in path for path in paths)
    assert f"{len(records)} lines written, {len(cli_findings)} values protected, 2 quarantined" in done.stderr


# ---------------------------------------------------------------------------------------------- hypothesis
PLANTED = (
    "jane.doe@example.com",
    "r.ortiz+news@mail.example.org",
    "123-45-6789",
    "4111 1111 1111 1111",
    "+44 20 7946 0958",
    "GB82 WEST 1234 5698 7654 32",
)
KEYS = st.sampled_from(["note", "notes", "comment", "data", "items", "payload", "misc", "été", "注記", "x", ""])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
)
TEXT = st.text(max_size=20)
PLANTED_TEXT = st.builds(lambda v, pre: f"{pre} {v} today", st.sampled_from(PLANTED), st.sampled_from(["call", "ref"]))
LEAVES = SCALARS | TEXT | PLANTED_TEXT | st.just({}) | st.just([])
JSON = st.recursive(
    LEAVES, lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4), max_leaves=14
)


def nested(depth: int, inner: Any) -> Any:
    for level in range(depth):
        inner = {"level": inner} if level % 2 else [inner]
    return inner


DOCUMENT = st.builds(
    lambda doc, depth, planted: {**doc, "deep": nested(depth, {"note": f"mail {planted} now"})},
    st.dictionaries(KEYS, JSON, max_size=5),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(PLANTED),
)
TOO_DEEP = b'{"a":' * 260 + b"1" + b"}" * 260
BAD_LINES = st.sampled_from([b"{broken", b"[1, 2]", b'"text"', b"\xff\xfe{}", b"  ", b"", TOO_DEEP])
LINES = st.lists(DOCUMENT | BAD_LINES, min_size=1, max_size=12)


def _same_shape(before: Any, after: Any) -> list[str]:
    """Leaves that differ, after checking keys, container shapes and non-string values are unchanged."""
    if isinstance(before, dict):
        assert isinstance(after, dict) and list(after) == list(before)
        return [leaf for key in before for leaf in _same_shape(before[key], after[key])]
    if isinstance(before, list):
        assert isinstance(after, list) and len(after) == len(before)
        return [leaf for b, a in zip(before, after, strict=True) for leaf in _same_shape(b, a)]
    if isinstance(before, str):
        assert isinstance(after, str)
        return [before] if after != before else []
    assert after == before and type(after) is type(before)
    return []


@settings(derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(items=LINES, chunk=st.sampled_from([1, 3, 10_000]))
def test_the_cli_adapter_equals_the_frame_path_on_nested_json(engine: PiiEngine, items: list[Any], chunk: int) -> None:
    storage = PolicyContext(operation="storage", classification="internal", role="admin")
    lines = [item if isinstance(item, bytes) else orjson.dumps(item) for item in items]
    quarantined: list[tuple[int, str]] = []
    out, findings = io.BytesIO(), io.BytesIO()
    counts = redact_lines(
        lines,
        out,
        engine,
        RedactJob(storage, TABLE, findings=True),
        findings=findings,
        quarantine=lambda number, reason: quarantined.append((number, reason)),
        chunk_lines=chunk,
    )
    non_blank = [raw for raw in lines if raw.strip()]
    assert counts.written + counts.quarantined == len(non_blank)  # nothing lost
    assert counts.quarantined == len(quarantined)
    valid = [
        (number, item)
        for number, item in enumerate(items, start=1)
        if isinstance(item, dict) and number not in {n for n, _ in quarantined}
    ]
    assert counts.written == len(valid)
    expected_out, expected_findings = frame_path(engine, valid, storage)
    assert out.getvalue() == expected_out
    assert findings_of(findings.getvalue()) == expected_findings
    assert counts.protected == len(expected_findings)

    protected = [orjson.loads(line) for line in out.getvalue().splitlines()]
    for (_, before), after in zip(valid, protected, strict=True):
        _same_shape(before, after)
    text = out.getvalue().decode()
    for value in PLANTED:
        assert value not in text
    for number, reason in quarantined:
        assert reason.startswith(("invalid JSON", "expected a JSON object", "nested deeper than 250", "not UTF-8"))
        assert (number, items[number - 1] == TOO_DEEP) == (number, reason.startswith("nested deeper"))


def test_per_value_adapters_report_the_documents_own_paths(engine: PiiEngine, storage: PolicyContext) -> None:
    value = {"contact": {"email": "jane@example.com"}, "people": [{"name": "Jane Doe"}]}
    out, audit = engine.protect_value_with_audit(value, context=storage, table="t", record_id="7")
    assert sorted(audit["field_path"].to_list()) == ["contact.email", "people[0].name"]
    assert set(audit["record_id"].to_list()) == {"7"}
    _, nested_audit = engine.protect_value_with_audit(
        {"email": "jane@example.com"}, context=storage, field_path="payload.contact"
    )
    assert nested_audit["field_path"].to_list() == ["payload.contact.email"]
    assert engine.protect_value("jane@example.com", field_path="email", context=storage).startswith("EMAIL_")
    assert engine.protect_value(41, context=storage) == 41
    texts = ["mail jane@example.com", "nothing here", ""]
    batch = engine.protect_texts(texts, context=storage)
    assert batch == [engine.protect_text(t, context=storage) for t in texts]
    assert batch[1:] == texts[1:] and "jane@example.com" not in batch[0]
