"""Generated hostile batches through the command a user runs (`osa ingest`), with oracles that share nothing
with the code under test.

Hypothesis builds a batch of delivery and form lines over two days: personal data planted in every place a
sender controls (ids, data sources, free text, object keys, nested criteria, envelope fields, unknown enum
values, file names), mixed with replays, bad signatures, non-standard JSON, truncated and blank lines. One
`osa ingest` process ingests it into a fresh DuckDB file and Dagster home. Then, for every input:

* the command succeeds, and every asset check of the run passed (read back from the Dagster instance);
* every line ends in exactly one place: counted from the lines written here, not from the pipeline's own
  accounting (accepted, duplicate and quarantined rows name their line; as many as lines, none twice);
* no planted value appears, as a substring, in any column of any table outside the bronze payload columns,
  in the command's output, or anywhere in the Dagster home (event log, run storage, compute logs). The
  oracle is the planted string itself, so it does not depend on what the PII engine can recognize.

Each example is one whole `osa ingest` process (about 15 s), so the example count is small and derandomized:
the same batches run on every machine; `OSA_HYPOTHESIS_EXAMPLES` runs more locally.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from osa import catalog
from osa.ingest.landing import split_lines
from tests.conftest import SECRET, VALID_AGENT_DATA, body, envelope, form, osa_env
from tests.instances import open_instance

OSA = str(Path(sys.executable).with_name("osa"))
DAYS = ("2026-07-03", "2026-07-04")
AGENTS = tuple(VALID_AGENT_DATA)

#: Values a sender might put anywhere, each in a shape the PII engine is meant to catch in isolation.
PLANTED = (
    "jane.doe@example.com",
    "o_brien+news@mail-server.io",
    "+1 415 555 0134",
    "+44 7700 900123",
    "329-34-7960",
    "4111 1111 1111 1111",
    "DE89370400440532013000",
)
#: Where a delivery carries the planted value.
DELIVERY_PLACES = (
    "workflow_id",
    "execution_id",
    "correlation_id",
    "data_sources",
    "free_text",
    "object_key",
    "nested_criteria",
    "envelope_field",
    "unknown_agent_id",
    "file_name",
)
#: What is done to the line besides (a valid line is the most likely case).
DELIVERY_FAULTS = ("none", "none", "replay", "bad_signature", "nan_duration", "trailing_comma", "truncated", "blank")
FORM_PLACES = ("recipients", "target_audience", "goals", "workflow_id", "contact_name_note", "file_name")
FORM_FAULTS = ("none", "none", "replay", "missing_company", "nan", "blank")
# Bronze keeps the raw payload by design (30-day PII retention, issue 12); everything else must not.
RAW_PAYLOAD_COLUMNS = {("bronze_opal_deliveries", "body"), ("bronze_intake_forms", "form_json")}


@dataclass
class Batch:
    """What one example writes: lines per (source, file name), and the values planted in them. A file mixes
    days, as a sender's export does; staging files each line under its own day."""

    files: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    planted: set[str] = field(default_factory=set)

    def add(self, source: str, file_name: str, line: str) -> None:
        self.files.setdefault((source, file_name), []).append(line)


def _received(day: str, n: int) -> tuple[str, int]:
    moment = dt.datetime.fromisoformat(day).replace(hour=8, minute=n % 60, tzinfo=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), int(moment.timestamp())


def _delivery_line(n: int, agent: str, place: str, value: str, fault: str, day: str) -> tuple[str, str]:
    """(file name, line) for one generated delivery."""
    document = body(agent, workflow_id=f"wf-gen-{n}", timestamp=f"{day}T07:59:00Z")
    if place == "workflow_id":
        document["workflow_id"] = f"wf-{value}"
        document["execution_id"] = f"exec-{n}"
    elif place == "execution_id":
        document["execution_id"] = f"exec-wf-{value}-{agent}-completed"
    elif place == "correlation_id":
        document["correlation_id"] = f"corr_{value}"
    elif place == "data_sources":
        document["metadata"]["data_sources"] = ["odp", value]
    elif place == "free_text":
        document["agent_data"]["free_note"] = f"Escalate to {value} before launch."
    elif place == "object_key":
        document["agent_data"]["owners"] = {value: "approver"}
    elif place == "nested_criteria":
        nested: object = {"contact": value}
        for level in range(n % 7 + 1):
            nested = {f"level_{level}": nested}
        document["agent_data"]["context"] = nested
    elif place == "unknown_agent_id":
        document["agent_id"] = value
    text = json.dumps(document)
    received_at, stamp = _received(day, n)
    line = envelope(text, received_at=received_at, timestamp=stamp)
    if place == "envelope_field":
        line = line[:-1] + f', "forwarded_for": {json.dumps(value)}}}'
    if fault == "bad_signature":
        line = envelope(text, received_at=received_at, timestamp=stamp, secret=SECRET + "x")
    elif fault == "nan_duration":
        line = envelope(text.replace('"execution_duration_ms": 1000', '"execution_duration_ms": NaN'),
                        received_at=received_at, timestamp=stamp)  # fmt: skip
    elif fault == "trailing_comma":
        line = line[:-1] + ",}"
    elif fault == "truncated":
        line = line[: len(line) // 2]
    elif fault == "blank":
        line = ""
    file_name = f"{value}.jsonl" if place == "file_name" else "deliveries.jsonl"
    return file_name, line


def _form_line(n: int, place: str, value: str, fault: str, day: str) -> tuple[str, str]:
    document = form(workflow_id=f"wf-form-gen-{n}", submitted_at=f"{day}T09:{n % 60:02d}:00Z")
    document["recipients"] = [f"owner{n}@example.org"]
    if place == "recipients":
        document["recipients"] = [value]
    elif place == "target_audience":
        document["business_context"]["target_audience"] = f"Shoppers who call {value} for support"
    elif place == "goals":
        document["business_context"]["goals"] = [f"Follow up with {value}"]
    elif place == "workflow_id":
        document["workflow_id"] = f"wf-{value}"
    elif place == "contact_name_note":
        document["contact_name"] = f"Jane Doe ({value})"
    if fault == "missing_company":
        del document["business_context"]["company_name"]
    line = json.dumps(document)
    if fault == "nan":
        line = line.replace('"timeline": "60d"', '"timeline": NaN')
    elif fault == "blank":
        line = ""
    file_name = f"{value}.jsonl" if place == "file_name" else "forms.jsonl"
    return file_name, line


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    batch = Batch()
    deliveries = draw(st.lists(st.tuples(st.sampled_from(AGENTS), st.sampled_from(DELIVERY_PLACES),
                                         st.sampled_from(PLANTED), st.sampled_from(DELIVERY_FAULTS),
                                         st.sampled_from(DAYS)), min_size=1, max_size=10))  # fmt: skip
    previous: list[tuple[str, str]] = []
    for n, (agent, place, value, fault, day) in enumerate(deliveries):
        if fault == "replay" and previous:
            batch.add("opal_deliveries", *previous[-1])  # the same line again, in the same file
            continue
        file_name, line = _delivery_line(n, agent, place, value, fault, day)
        batch.add("opal_deliveries", file_name, line)
        previous.append((file_name, line))
        batch.planted.add(value)
    forms = draw(st.lists(st.tuples(st.sampled_from(FORM_PLACES), st.sampled_from(PLANTED),
                                    st.sampled_from(FORM_FAULTS), st.sampled_from(DAYS)), max_size=5))  # fmt: skip
    previous = []
    for n, (place, value, fault, day) in enumerate(forms):
        if fault == "replay" and previous:
            batch.add("intake_forms", *previous[-1])
            continue
        file_name, line = _form_line(n, place, value, fault, day)
        batch.add("intake_forms", file_name, line)
        previous.append((file_name, line))
        batch.planted.add(value)
    return batch


def _write(batch: Batch, source_dir: Path) -> dict[str, int]:
    """The batch as files under `<source>/`, and the number of lines per source (split_lines' rule)."""
    lines: dict[str, int] = {"opal_deliveries": 0, "intake_forms": 0}
    for (source, file_name), content in batch.files.items():
        path = source_dir / source / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = ("\n".join(content) + "\n").encode()
        path.write_bytes(raw)
        lines[source] += len(split_lines(raw))
    return lines


def _text_of_every_column(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each table's columns as one string per table (bronze payload columns left out)."""
    texts = {}
    for table in catalog.tables():
        columns = [c.name for c in table.columns if (table.name, c.name) not in RAW_PAYLOAD_COLUMNS]
        select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns)
        rows = con.execute(f'SELECT {select} FROM "{table.name}"').fetchall()
        texts[table.name] = json.dumps(rows, default=str)
    return texts


def _check_evaluations(home: Path) -> list[tuple[str, str, bool]]:
    with open_instance(home) as instance:
        records = instance.get_event_records(dg.EventRecordsFilter(dg.DagsterEventType.ASSET_CHECK_EVALUATION))
    return [
        (e.asset_key.to_user_string(), e.check_name, e.passed)
        for e in (r.event_log_entry.dagster_event.event_specific_data for r in records)
    ]


def _dagster_home_bytes(home: Path) -> bytes:
    """Everything Dagster stored: files as bytes, SQLite databases dumped (values may sit in pages unsplit)."""
    chunks = []
    for path in sorted(home.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".db":
            with sqlite3.connect(path) as db:
                chunks.append("\n".join(db.iterdump()).encode())
        else:
            chunks.append(path.read_bytes())
    return b"\n".join(chunks)


EXAMPLES = int(os.environ.get("OSA_HYPOTHESIS_EXAMPLES", "5"))


# No shrinking: each step would be another whole process; a failing batch is printed as generated.
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(batch=batches())
def test_a_generated_hostile_batch_loses_no_line_and_stores_no_planted_value(batch: Batch, tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    lines = _write(batch, root / "source")
    env = osa_env(root)
    done = subprocess.run([OSA, "ingest", str(root / "source")], env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr

    evaluations = _check_evaluations(root / "dagster_home")
    assert evaluations, "no asset-check evaluation was stored: wrong instance directory?"
    assert [check for check in evaluations if not check[2]] == []

    with duckdb.connect(env["OSA_DUCKDB_PATH"], read_only=True) as con:
        for source, accepted, key in (
            ("opal_deliveries", "silver_agent_executions", "delivery_id"),
            ("intake_forms", "silver_intake_forms", "form_id"),
        ):
            bronze, quarantine = f"bronze_{source}", f"quarantine_{source}"
            places = con.execute(
                f"""SELECT 'accepted', b.event_date, b.source_file, b.source_line
                    FROM {accepted} a JOIN {bronze} b USING (event_date, {key}) WHERE NOT b.is_duplicate
                    UNION ALL SELECT 'duplicate', event_date, source_file, source_line FROM {bronze} WHERE is_duplicate
                    UNION ALL SELECT 'quarantined', event_date, source_file, source_line FROM {quarantine}"""
            ).fetchall()
            # every line has exactly one home: as many homes as lines, and no line in two of them
            assert len(places) == lines[source], (source, places)
            assert len({place[1:] for place in places}) == len(places), (source, places)
        stored = _text_of_every_column(con)

    leaks = sorted(
        (value, table) for value in batch.planted for table, text in stored.items() if value in text
    ) + sorted((value, "stdout/stderr") for value in batch.planted if value in done.stdout + done.stderr)
    dagster_home = _dagster_home_bytes(root / "dagster_home")
    leaks += sorted((value, "dagster home") for value in batch.planted if value.encode() in dagster_home)
    assert leaks == []
