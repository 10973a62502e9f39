"""Records replayed across days, through the two ingest steps, in every order partitions can be processed in.

A small hand-built landing zone (three days, both sources, real signatures) holds replays of a record on later
days, a replay three days apart, replays within a day, a replayed record that fails its contract, and lines that
can never be a record (blank, bad signature). The ingest assets are materialized window by window, as a daily
schedule, a backfill or a manual re-run would, in date order, in reverse, middle first and as one ranged run,
with re-runs after each. After every step:

* every line of every processed day has exactly one home (accepted, duplicate or quarantined), counted from
  the lines written here, never from the pipeline's own accounting;
* no record is accepted on two days (nor twice on one);
* each line's home is the one the documented rule gives, played by a model here that shares no code with
  ingest: a window's earliest copy of a record is the record unless another day outside the window already
  holds it (so a later day loaded first keeps its copy), and every other copy is a duplicate. Re-running a
  day therefore changes nothing.

`_decided` (the replay decision and the write under one mutex per source) gets a deterministic test of the
race it closes: another process commits the same record between this step's read and its write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from assets import ingest
from osa import catalog
from osa.config import PROJECT_ROOT
from osa.ingest.intake import process_intake
from osa.warehouse.base import Warehouse
from pipelines.lakehouse import range_tags
from resources import LandingZoneResource, PrivacyResource, WebhookSecretResource
from tests.backends import (
    ACCEPTED_TABLES,
    RECORD_KEYS,
    assert_accepted_once,
    line_homes,
    location_of,
    open_warehouse,
    with_required_columns,
)
from tests.conftest import SECRET, body, envelope, form, lines_table, warehouse_resource

DAYS = (dt.date(2026, 7, 1), dt.date(2026, 7, 2), dt.date(2026, 7, 3))
D1, D2, D3 = DAYS
SOURCES = {source: (ACCEPTED_TABLES[source], key) for source, key in RECORD_KEYS.items()}


@dataclass(frozen=True)
class Line:
    """One landing line and what the test knows about it: the record it carries (None: it can never be one,
    so it is always quarantined) and whether that record passes its contract."""

    text: str
    record: str | None
    valid: bool = True


def _form_line(name: str, *, valid: bool = True) -> Line:
    document = form(workflow_id=f"wf-{name}", submitted_at="2026-07-01T09:00:00Z")
    if not valid:
        del document["business_context"]["company_name"]
    text = json.dumps(document)
    return Line(text, hashlib.sha256(text.encode()).hexdigest(), valid)


def _body(name: str, agent: str, *, valid: bool = True) -> tuple[str, bool]:
    document = body(agent, workflow_id=f"wf-{name}", timestamp="2026-07-01T07:00:00Z")
    if not valid:
        document["agent_data"] = {}  # fails the agent's contract
    return json.dumps(document), valid


def _delivery(content: tuple[str, bool], day: dt.date, n: int, *, secret: str = SECRET) -> Line:
    """A body delivered on `day`, received later with every line (the file order is the arrival order)."""
    text, valid = content
    moment = dt.datetime(day.year, day.month, day.day, 8, n, tzinfo=dt.UTC)
    line = envelope(text, received_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), timestamp=int(moment.timestamp()),
                    secret=secret)  # fmt: skip
    if secret != SECRET:  # a bad signature: never a record, whatever the body
        return Line(line, None)
    return Line(line, hashlib.sha256(text.encode()).hexdigest(), valid)


FORM_A, FORM_B, FORM_C, FORM_BAD = _form_line("a"), _form_line("b"), _form_line("c"), _form_line("bad", valid=False)
BLANK = Line("", None)
BODY_A, BODY_B, BODY_C = _body("a", "content_review"), _body("b", "geo_audit"), _body("c", "cmp_organizer")
BODY_BAD = _body("bad", "content_review", valid=False)
FORGED = ("forged", False)


def landing_lines() -> dict[str, dict[dt.date, list[Line]]]:
    """What each day of each source holds, in file order."""
    deliveries = {
        D1: [BODY_A, FORGED, BODY_A],  # a bad signature, and a replay within the day
        D2: [BODY_A, BODY_B, BODY_BAD],  # A replayed the next day
        D3: [BODY_B, BODY_A, BODY_C, BODY_BAD],  # B the next day, A two days later, the bad one again
    }
    return {
        "intake_forms": {
            D1: [FORM_A, FORM_BAD, BLANK],
            D2: [FORM_A, FORM_B, FORM_BAD],
            D3: [FORM_B, FORM_A, FORM_C, FORM_C, BLANK],
        },
        "opal_deliveries": {
            day: [
                _delivery(BODY_A, day, n, secret=SECRET + "x") if content is FORGED else _delivery(content, day, n)
                for n, content in enumerate(contents)
            ]
            for day, contents in deliveries.items()
        },
    }


def write_landing(root: Path) -> dict[str, dict[dt.date, list[Line]]]:
    lines = landing_lines()
    for source, days in lines.items():
        for day, day_lines in days.items():
            path = root / source / f"dt={day.isoformat()}" / "batch.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(f"{line.text}\n" for line in day_lines))
    return lines


# ------------------------------------------------------------------ the model and the oracle
Window = tuple[dt.date, ...]


def expected_homes(days: dict[dt.date, list[Line]], windows: list[Window]) -> list[tuple[dt.date, int, str]]:
    """(day, line number, home) of every line of the processed days after `windows` ran in this order."""
    owner: dict[str, tuple[dt.date, int]] = {}  # record -> the line that carries it (its non-duplicate copy)
    for window in windows:
        owner = {record: at for record, at in owner.items() if at[0] not in window}  # the window is replaced
        for day in sorted(window):
            for n, line in enumerate(days[day], 1):
                if line.record is not None and line.record not in owner:
                    owner[line.record] = (day, n)
    homes = []
    for day in sorted({day for window in windows for day in window}):
        for n, line in enumerate(days[day], 1):
            if line.record is None:
                home = "quarantined"
            elif owner[line.record] == (day, n):
                home = "accepted" if line.valid else "quarantined"
            else:
                home = "duplicate"
            homes.append((day, n, home))
    return homes


def stored_homes(store: Warehouse, source: str) -> list[tuple[dt.date, int, str]]:
    """Where the warehouse put each line (one file per day: the day and line number name it)."""
    return sorted((day, line, home) for home, day, _, line in line_homes(store, source))


def assert_invariants(store: Warehouse, lines, windows: list[Window]) -> None:
    processed = {day for window in windows for day in window}
    for source, days in lines.items():
        accepted, key = SOURCES[source]
        homes = stored_homes(store, source)
        # every line of a processed day has exactly one home, and no other line has one
        written = sorted((day, n) for day in processed for n in range(1, len(days[day]) + 1))
        assert [home[:2] for home in homes] == written, (source, windows, homes)
        # no record written here is held twice (on two days or on one), nor accepted twice
        records = {line.record for day in processed for line in days[day] if line.record is not None}
        for table in (f"bronze_{source} WHERE NOT is_duplicate", accepted):
            copies = store.query(f"SELECT {key} AS id, count(*) AS n FROM {table} GROUP BY 1").to_pylist()
            assert {r["id"]: r["n"] for r in copies if r["id"] in records and r["n"] != 1} == {}, (source, table)
        assert_accepted_once(store, source)  # the same, by the query the concurrency test uses
        assert homes == expected_homes(days, windows), (source, windows)


# ------------------------------------------------------------------ processing orders
def materialize(resources: dict, window: Window) -> None:
    selection = (
        {"partition_key": window[0].isoformat()}
        if len(window) == 1
        else {"tags": range_tags(window[0].isoformat(), window[-1].isoformat())}
    )
    result = dg.materialize([ingest.intake_forms, ingest.opal_deliveries], resources=resources, **selection)
    assert result.success


@dataclass
class Ingest:
    """The hand-built landing zone, the ingest steps' resources, the warehouse, and the windows run so far."""

    lines: dict[str, dict[dt.date, list[Line]]]
    resources: dict
    store: Warehouse
    history: list[Window]

    def run(self, *windows: Window) -> None:
        """Materialize `windows` one after the other, checking every invariant after each."""
        for window in windows:
            materialize(self.resources, window)
            self.history.append(window)
            assert_invariants(self.store, self.lines, self.history)

    def homes(self) -> dict[str, list[tuple[dt.date, int, str]]]:
        return {source: stored_homes(self.store, source) for source in SOURCES}

    def home_of(self, source: str, day: dt.date, line: int) -> str:
        [home] = [h for d, n, h in stored_homes(self.store, source) if (d, n) == (day, line)]
        return home


@pytest.fixture
def cross_day(isolated_env: Path, warehouse_location: str) -> Ingest:
    lines = write_landing(isolated_env / "landing")
    resources = {
        "warehouse": warehouse_resource(warehouse_location),
        "landing": LandingZoneResource(path=str(isolated_env / "landing")),
        "webhook": WebhookSecretResource(secret=SECRET),
        "privacy": PrivacyResource(),
    }
    return Ingest(lines, resources, open_warehouse(warehouse_location), [])


def test_day_by_day_in_date_order_a_later_replay_is_a_duplicate_and_reruns_change_nothing(cross_day):
    cross_day.run((D1,), (D2,), (D3,))
    for source in SOURCES:  # A arrived on day 1 and again on days 2 and 3; B on day 2 and again on day 3
        homes = [cross_day.home_of(source, day, n) for day, n in ((D1, 1), (D2, 1), (D3, 2), (D2, 2), (D3, 1))]
        assert homes == ["accepted", "duplicate", "duplicate", "accepted", "duplicate"], source
    before = cross_day.homes()
    cross_day.run((D2,), (D1,), (D3,), (D3,))
    assert cross_day.homes() == before


def test_a_later_day_loaded_first_keeps_its_copy_and_reruns_change_nothing(cross_day):
    cross_day.run((D3,), (D2,), (D1,))
    for source in SOURCES:  # day 3 came first: its copies of A and B are the records, the earlier ones replays
        homes = [cross_day.home_of(source, day, n) for day, n in ((D3, 2), (D1, 1), (D2, 1), (D3, 1), (D2, 2))]
        assert homes == ["accepted", "duplicate", "duplicate", "accepted", "duplicate"], source
    before = cross_day.homes()
    cross_day.run((D1,), (D3,), (D2,), (D1,))
    assert cross_day.homes() == before


ORDERS = {
    "middle_first": [(D2,), (D3,), (D1,), (D2,), (D3,)],
    "last_then_first": [(D3,), (D1,), (D2,), (D1,)],
    "ranged": [DAYS, (D2,), (D3,), DAYS],
    "reversed_then_ranged": [(D3,), (D2,), (D1,), DAYS, (D3,)],
    "two_day_windows": [(D2, D3), (D1, D2), (D1,), (D2, D3)],
}


@pytest.mark.parametrize("order", ORDERS)
def test_no_processing_order_accepts_a_record_twice(cross_day, order):
    cross_day.run(*ORDERS[order])


# ------------------------------------------------------------------ the race `_decided` closes
def test_a_record_another_process_commits_during_the_work_is_a_duplicate(warehouse):
    """Between this step's first read of the known ids and its write, another day's step commits the same
    form: under the mutex the step sees it and decides again, so the form is not accepted twice."""
    lines = lines_table([FORM_A.text, FORM_B.text], event_date=D2)
    calls: list[list[str]] = []

    def commit_elsewhere(record: str, day: dt.date) -> None:
        row = pa.table({"event_date": pa.array([day], pa.date32()), "form_id": [record], "is_duplicate": [False]})
        rows = with_required_columns("bronze_intake_forms", row)
        warehouse.replace_window("bronze_intake_forms", rows, day, day + dt.timedelta(days=1))

    def decide(known):
        calls.append(sorted(known.to_pylist()))
        if len(calls) == 1:
            commit_elsewhere(FORM_A.record, D1)  # the other process, meanwhile
        result = process_intake(lines, known_form_ids=known)
        return result, []

    with ingest._decided(warehouse, "intake_forms", "form_id", D2, D3, decide) as (result, _):
        pass
    assert calls == [[], [FORM_A.record]]
    assert result.bronze["is_duplicate"].to_pylist() == [True, False]

    # a record of another window, committed meanwhile, changes no decision here: the work is not redone
    calls.clear()
    lines = lines_table([FORM_C.text], event_date=D2)

    def decide_once(known):
        calls.append(sorted(known.to_pylist()))
        if len(calls) == 1:
            commit_elsewhere(FORM_B.record, D3)
        return process_intake(lines, known_form_ids=known), []

    with ingest._decided(warehouse, "intake_forms", "form_id", D2, D3, decide_once) as (result, _):
        pass
    assert calls == [[FORM_A.record]]  # (the first read; the second also held B, which this window lacks)
    assert result.bronze["is_duplicate"].to_pylist() == [False]


HOLD = """
import sys, time
from pathlib import Path
from tests.backends import open_warehouse
with open_warehouse(sys.argv[1]).serialized(sys.argv[2]):
    Path(sys.argv[3], "held").touch()
    time.sleep(float(sys.argv[4]))
    Path(sys.argv[3], "releasing").touch()
"""


def test_serialized_excludes_other_processes_and_nothing_else(warehouse, tmp_path):
    held, releasing = tmp_path / "held", tmp_path / "releasing"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, location_of(warehouse), "ingest_intake_forms", str(tmp_path), "2"],
        cwd=PROJECT_ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not held.exists():
            assert holder.poll() is None and time.monotonic() < deadline, "the holder never took the mutex"
            time.sleep(0.01)
        started = time.monotonic()
        with warehouse.serialized("ingest_opal_deliveries"):  # another name: free
            assert warehouse.scalar("SELECT count(*) FROM bronze_intake_forms") == 0  # reads go on
            empty = catalog.table("bronze_intake_forms").arrow_schema.empty_table()
            warehouse.replace_window("bronze_intake_forms", empty, D1, D2)  # and so do writes
        assert time.monotonic() - started < 1.5
        with warehouse.serialized("ingest_intake_forms"):  # the same name: waits for the holder
            assert releasing.exists()
        assert time.monotonic() - started > 1.0
    finally:
        holder.wait(timeout=60)
    assert holder.returncode == 0
