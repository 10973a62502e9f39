"""Data-subject requests on a warehouse the real pipeline built (both backends): export completeness, erasure
in every store verified by an independent scan of the raw files, legal holds, audit rows without identifiers."""

import json
import os
import re
import stat

import pytest

from osa.compliance import audit, holds
from osa.compliance.dsr import RequestRefused, resolve_subject, run_request, verify_erased
from osa.privacy import default_protector
from tests.backends import open_warehouse
from tests.test_assets import run_job


def _emails(landing) -> list[str]:
    """Recipient e-mails of the intake forms as the senders wrote them (read from the raw files, not the code)."""
    found = []
    for path in sorted((landing / "intake_forms").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                found += json.loads(line).get("recipients") or []
            except (ValueError, AttributeError):
                continue
    return list(dict.fromkeys(e for e in found if isinstance(e, str) and "@" in e))


@pytest.fixture
def built(warehouse_location, small_landing, tmp_path):
    assert run_job(warehouse_location, small_landing).success
    return open_warehouse(warehouse_location), small_landing, tmp_path / "archive"


def _occurrences(root, needle: str) -> int:
    """Case-insensitive occurrences of `needle` in every file under `root` (an oracle outside osa.compliance)."""
    pattern = re.compile(re.escape(needle.encode()), re.IGNORECASE)
    return sum(len(pattern.findall(p.read_bytes())) for p in root.rglob("*") if p.is_file())


def test_export_bundles_everything_tied_to_the_subject(built, tmp_path):
    warehouse, landing, archive_root = built
    engine = default_protector().engine
    email = _emails(landing)[0]
    result = run_request(
        warehouse, engine, "export", email, landing_root=landing, archive_root=archive_root, bundle_dir=tmp_path
    )
    assert stat.S_IMODE(os.stat(result.bundle_path).st_mode) == 0o600
    bundle = json.loads(result.bundle_path.read_text())
    assert {"silver_intake_forms", "pii_subjects_intake_forms", "bronze_intake_forms"} <= set(bundle["records"])
    raw_lines = _occurrences(landing, email)
    assert raw_lines and len(bundle["landing"]) >= 1
    assert all(email.lower() in hit["text"].lower() for hit in bundle["landing"])
    silver = bundle["records"]["silver_intake_forms"]
    assert all(email in row["recipients"] for row in silver)  # the subject gets their own value back
    subject = resolve_subject(engine, email)
    index_rows = warehouse.scalar(
        "SELECT count(DISTINCT record_id) FROM pii_subjects_intake_forms WHERE fingerprint = ? "
        "AND table_name = 'silver_intake_forms'",
        [subject.fingerprint],
    )
    assert len(silver) == index_rows > 0
    last = warehouse.query("SELECT action, target, details FROM audit_log ORDER BY seq DESC LIMIT 1").to_pylist()[0]
    assert last["action"] == "dsr_export" and last["target"] == result.request_id
    assert email.lower() not in json.dumps(last).lower() and subject.fingerprint not in json.dumps(last)


def test_erasure_removes_the_subject_everywhere_and_only_the_subject(built, tmp_path):
    warehouse, landing, archive_root = built
    engine = default_protector().engine
    email = _emails(landing)[0]
    # someone who shares no form with the subject (erasure removes the subject's whole landing lines)
    lines = [line.lower() for p in (landing / "intake_forms").rglob("*.jsonl") for line in p.read_text().splitlines()]
    others = [e for e in _emails(landing) if not any(e.lower() in x and email.lower() in x for x in lines)]

    def access(who):
        return run_request(
            warehouse, engine, "access", who, landing_root=landing, archive_root=archive_root, bundle_dir=tmp_path
        ).found

    other = next(e for e in others if access(e).get("silver_intake_forms"))
    other_before, other_raw = access(other), _occurrences(landing, other)
    subject = resolve_subject(engine, email)
    assert _occurrences(landing, email) > 0
    item = warehouse.query("SELECT item_id, content_hash FROM knowledge_items LIMIT 1").to_pylist()[0]
    with warehouse.transaction() as tx:  # an item derived from the subject's form mentions them (pseudonymized)
        tx.execute(
            "UPDATE knowledge_items SET summary = summary || ' ' || ? WHERE item_id = ?",
            [subject.tokens[0], item["item_id"]],
        )
    items_before = warehouse.scalar("SELECT count(*) FROM knowledge_items")
    result = run_request(warehouse, engine, "erasure", email, landing_root=landing, archive_root=archive_root)
    assert result.verified is True and result.changed
    assert verify_erased(warehouse, subject, archive_root=archive_root, landing_root=landing) == []
    assert _occurrences(landing, email) == 0  # independent of the code: the raw files no longer hold it
    # the knowledge item and its cached embedding go (the next run re-derives it from the erased rows)
    assert warehouse.scalar("SELECT count(*) FROM knowledge_items") == items_before - 1
    assert not warehouse.scalar("SELECT count(*) FROM knowledge_items WHERE item_id = ?", [item["item_id"]])
    assert not warehouse.scalar("SELECT count(*) FROM embedding_cache WHERE content_hash = ?", [item["content_hash"]])
    for table in ("pii_subjects_intake_forms", "pii_subjects_opal_deliveries", "pii_audit_intake_forms"):
        assert not warehouse.scalar(f"SELECT count(*) FROM {table} WHERE fingerprint = ?", [subject.fingerprint])
    for token in subject.tokens:
        assert not warehouse.scalar(
            "SELECT count(*) FROM silver_intake_forms WHERE strpos(array_to_string(recipients, ' '), ?) > 0", [token]
        )
    # someone else is untouched
    after = access(other)
    assert {k: v for k, v in after.items() if k != "landing"} == {
        k: v for k, v in other_before.items() if k != "landing"
    }
    assert _occurrences(landing, other) == other_raw
    assert _occurrences(landing, other) > 0
    last = warehouse.query("SELECT action, details FROM audit_log WHERE action = 'dsr_erasure'").to_pylist()
    assert len(last) == 1 and email.lower() not in last[0]["details"].lower()
    assert audit.verify(warehouse, archive_root).intact


def test_a_legal_hold_blocks_erasure_of_the_subject(built):
    warehouse, landing, archive_root = built
    engine = default_protector().engine
    email = _emails(landing)[0]
    holds.place(warehouse, "case-1", "litigation", fingerprints=(resolve_subject(engine, email).fingerprint,))
    with pytest.raises(RequestRefused, match="legal hold"):
        run_request(warehouse, engine, "erasure", email, landing_root=landing, archive_root=archive_root)
    assert _occurrences(landing, email) > 0


def _archived_mentions(root, needle: str) -> int:
    """Rows of archived Parquet parts whose text holds `needle` (read with polars: an oracle outside osa.compliance)."""
    import polars as pl

    found = 0
    for path in root.rglob("*.parquet"):
        frame = pl.read_parquet(path, hive_partitioning=False)
        text = [
            pl.col(c).cast(pl.List(pl.String)).list.join(" ") if dtype == pl.List(pl.String) else pl.col(c)
            for c, dtype in frame.schema.items()
            if dtype in (pl.String, pl.List(pl.String))
        ]
        if text:
            hit = pl.any_horizontal([t.str.to_lowercase().str.contains(needle.lower(), literal=True) for t in text])
            found += frame.filter(hit).height
    return found


def test_erasure_reaches_the_archive(built, tmp_path):
    """Archived rows that hold the subject are erased too, and the chain stays verifiable."""
    import datetime as dt

    from osa.compliance import archive
    from osa.compliance.retention import run_retention

    warehouse, landing, archive_root = built
    engine = default_protector().engine
    email = _emails(landing)[0]
    subject = resolve_subject(engine, email)
    last_day = warehouse.scalar("SELECT max(event_date) FROM silver_intake_forms")
    later = last_day + dt.timedelta(days=366)
    run_retention(warehouse, later, archive_root=archive_root, landing_root=tmp_path / "none")
    assert [p for p in archive.parts(archive_root) if archive.table_of(p) == "silver_intake_forms"]
    assert not warehouse.scalar("SELECT count(*) FROM silver_intake_forms")
    assert _archived_mentions(archive_root, subject.tokens[0]) > 0  # the archived form holds the pseudonym

    result = run_request(warehouse, engine, "erasure", email, landing_root=landing, archive_root=archive_root)
    assert result.verified is True and result.changed.get("archive", 0) > 0
    assert _archived_mentions(archive_root, subject.tokens[0]) == 0
    assert _archived_mentions(archive_root, email) == 0
    assert _archived_mentions(archive_root, "[erased]") > 0
    assert audit.verify(warehouse, archive_root).intact
