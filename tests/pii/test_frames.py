"""protect_frame / analyze_frame / scan_frame / protect_value on realistic shapes."""

from __future__ import annotations

import json

import polars as pl
import pytest

from osa.pii import AUDIT_SCHEMA, SUBJECT_SCHEMA, PiiEngine, PolicyContext

RAW_VALUES = (
    "Jane Doe",
    "jane.doe@example.com",
    "+1 415 555 0132",
    "123-45-6789",
    "Bob Stone",
    "bob@x.org",
    "221B Baker Street, London NW1 6XE",
)


@pytest.fixture
def leads() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "lead_id": ["L-1", "L-2", "L-3"],
            "contact_name": ["Jane Doe", None, "Bob Stone"],
            "contact_email": ["jane.doe@example.com", "", "bob@x.org"],
            "notes": ["Call +1 415 555 0132, SSN 123-45-6789", "Spring Sale v2.3.1, 12.5% uplift", None],
            "recipients": [["jane.doe@example.com", "Ops Team"], [], None],
            "answers": [
                json.dumps(
                    {
                        "home_address": "221B Baker Street, London NW1 6XE",
                        "employees": 12,
                        "tags": ["vip"],
                        "nested": {"first_name": "Jane"},
                    }
                ),
                json.dumps({"consent": True, "referrer": "https://acme.com/pricing"}),
                None,
            ],
            "score": [0.9, 0.1, None],
            "campaign": pl.Series(["spring", "spring", "fall"], dtype=pl.Categorical),
            "raw_ref": ["keep 123-45-6789", "x", "y"],
        }
    )


def _all_strings(frame: pl.DataFrame) -> str:
    return json.dumps(frame.to_dicts(), default=str)


def test_protect_frame_preserves_shape_order_dtypes(
    engine: PiiEngine, leads: pl.DataFrame, storage: PolicyContext
) -> None:
    before = leads.clone()
    result = engine.protect_frame(
        leads,
        table="silver.leads",
        record_id_column="lead_id",
        context=storage,
        json_columns=["answers"],
        passthrough_columns=["raw_ref"],
    )
    out = result.frame
    assert out.columns == leads.columns and out.schema == leads.schema and out.height == leads.height
    assert out["lead_id"].to_list() == ["L-1", "L-2", "L-3"]
    assert out["raw_ref"].to_list() == leads["raw_ref"].to_list()  # passthrough untouched
    assert out["score"].to_list() == leads["score"].to_list()
    assert out["contact_name"][1] is None and out["contact_email"][1] == ""  # nulls and blanks stay
    assert out["notes"][1] == "Spring Sale v2.3.1, 12.5% uplift"  # no PII, untouched
    assert out["recipients"][1].to_list() == [] and out["recipients"][2] is None
    assert leads.equals(before)  # the input frame is not mutated


def test_every_raw_value_is_replaced(engine: PiiEngine, leads: pl.DataFrame, storage: PolicyContext) -> None:
    result = engine.protect_frame(
        leads,
        table="silver.leads",
        record_id_column="lead_id",
        context=storage,
        json_columns=["answers"],
        passthrough_columns=["raw_ref"],
    )
    dumped = _all_strings(result.frame.drop("raw_ref"))
    for raw in RAW_VALUES:
        assert raw not in dumped
    assert result.frame["contact_email"][0].startswith("EMAIL_")
    assert result.frame["recipients"][0].to_list()[1] == "Ops Team"
    answers = json.loads(result.frame["answers"][0])  # still valid JSON, same keys, non-strings kept
    assert set(answers) == {"home_address", "employees", "tags", "nested"}
    assert answers["employees"] == 12 and answers["tags"] == ["vip"]
    assert answers["home_address"].startswith("ADDRESS_") and answers["nested"]["first_name"].startswith("NAME_")
    assert result.frame["answers"][1] == leads["answers"][1]  # documents without PII are byte-identical


def test_audit_and_subject_rows_never_hold_raw_values(
    engine: PiiEngine, leads: pl.DataFrame, storage: PolicyContext
) -> None:
    result = engine.protect_frame(
        leads, table="silver.leads", record_id_column="lead_id", context=storage, json_columns=["answers"]
    )
    audit, subjects = result.audit, result.subjects
    assert dict(audit.schema) == AUDIT_SCHEMA and dict(subjects.schema) == SUBJECT_SCHEMA
    paths = set(zip(audit["record_id"], audit["field_path"], audit["pii_type"], strict=True))
    assert ("L-1", "contact_email", "email") in paths
    assert ("L-1", "recipients[0]", "email") in paths
    assert ("L-1", "answers.nested.first_name", "name") in paths
    assert ("L-1", "notes", "ssn") in paths
    assert set(audit["mode"]) == {"pseudonymize"} and set(audit["table"]) == {"silver.leads"}
    dumped = _all_strings(audit) + _all_strings(subjects)
    for raw in (*RAW_VALUES, "raw_ref"):
        assert raw not in dumped or raw == "raw_ref"
    # A data-subject request for a differently-written address finds both occurrences.
    wanted = engine.fingerprint("Jane.Doe@Example.COM", "email")
    hits = subjects.filter(pl.col("fingerprint") == wanted)
    assert sorted(hits["field_path"]) == ["contact_email", "recipients[0]"]
    assert "dob" not in set(subjects["pii_type"])


def test_analyze_frame_matches_per_value_analysis(engine: PiiEngine, leads: pl.DataFrame) -> None:
    found = engine.analyze_frame(leads.drop("answers", "recipients"), passthrough_columns=["lead_id"])
    per_value = []
    for column in ("contact_name", "contact_email", "notes", "campaign", "raw_ref"):
        for row, value in enumerate(leads[column].cast(pl.String).to_list()):
            for f in engine.analyze(value or "", column):
                per_value.append((row, column, f.pii_type, f.start, f.end))
    got = sorted(found.select("row", "field_path", "pii_type", "start", "end").iter_rows())
    assert got == sorted(per_value)


def test_values_without_candidates_never_reach_python(engine: PiiEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    original = engine.analyzer.analyze_with

    def spy(text, hint, recognizers, prefiltered=False):
        seen.append(text)
        return original(text, hint, recognizers, prefiltered)

    monkeypatch.setattr(engine.analyzer, "analyze_with", spy)
    clean = [f"campaign spring_{i} ran at 2024-05-0{i % 9 + 1}T10:00:00Z, ctr 3.{i}%" for i in range(200)]
    frame = pl.DataFrame({"id": list(range(200)), "notes": clean[:199] + ["ping jane@example.com"]})
    engine.protect_frame(frame, table="t", record_id_column="id", context=PolicyContext())
    assert seen == ["ping jane@example.com"]


def test_protect_value_recursive_structure(engine: PiiEngine, storage: PolicyContext) -> None:
    value = {
        "contact": {"name": "Jane Doe", "email": "jane@example.com", "age": 41},
        "recipients": ["a@b.co", "Bob Stone"],
        "flags": [True, None, 3.5],
        "tool": {"name": "send_email", "arguments": {"to": "c@d.io", "subject": "Hi"}},
    }
    out = engine.protect_value(value, context=storage)
    assert list(out) == list(value) and list(out["contact"]) == ["name", "email", "age"]
    assert out["contact"]["age"] == 41 and out["flags"] == [True, None, 3.5]
    assert out["tool"]["name"] == "send_email" and out["tool"]["arguments"]["subject"] == "Hi"
    assert out["contact"]["name"].startswith("NAME_") and out["recipients"][1].startswith("NAME_")
    assert out["tool"]["arguments"]["to"].startswith("EMAIL_")
    assert engine.protect_value(out, context=storage) == out  # idempotent on tokens


def test_scan_frame_reports_planted_pii_but_not_tokens(
    engine: PiiEngine, leads: pl.DataFrame, storage: PolicyContext
) -> None:
    protected = engine.protect_frame(
        leads,
        table="t",
        record_id_column="lead_id",
        context=storage,
        json_columns=["answers"],
        passthrough_columns=["raw_ref"],
    ).frame
    clean = engine.scan_frame(protected.drop("raw_ref", "lead_id"), json_columns=["answers"])
    assert clean.height == 0
    for mode_context in (
        PolicyContext("storage", "public", "admin"),
        PolicyContext("display", "internal", "user"),
        PolicyContext("storage", "restricted", "admin"),
        PolicyContext("logging"),
    ):
        other = engine.protect_frame(
            leads, table="t", record_id_column="lead_id", context=mode_context, json_columns=["answers"]
        ).frame
        assert engine.scan_frame(other.drop("lead_id"), json_columns=["answers"]).height == 0, mode_context
    planted = protected.with_columns(pl.Series("notes", ["ok", "reach me at planted@example.com", None]))
    report = engine.scan_frame(planted.drop("raw_ref", "lead_id"))
    assert report.to_dicts() == [{"column": "notes", "pii_type": "email", "count": 1}]
    assert "planted" not in _all_strings(report)
    raw_field = protected.with_columns(pl.Series("contact_name", ["Jane Doe", None, "NAME_0123456789abcdef"]))
    assert engine.scan_frame(raw_field.select("contact_name")).to_dicts() == [
        {"column": "contact_name", "pii_type": "name", "count": 1}
    ]


def test_scan_keeps_sentence_breaks_where_tokens_replaced_values(engine: PiiEngine) -> None:
    """A context word before a protected value must not reach past the sentence end.

    "Passport: W4313. Project 57803147" has no passport number after the period; once
    W4313 is a token the leak scan must still see the period as a sentence end.
    """
    texts = [
        "Passport: C01X00T47. Project 57803147 is 74.8% complete.",
        "DOB 1985-03-04. Ticket 20240117 closed.",
        "MRN-4455667. Order 88123456 shipped.",
    ]
    frame = pl.DataFrame({"id": ["a", "b", "c"], "notes": texts})
    for context in (
        PolicyContext("storage", "internal", "admin"),
        PolicyContext("display", "internal", "admin"),
        PolicyContext("storage", "restricted", "admin"),
        PolicyContext("storage", "internal", "guest"),
    ):
        protected = engine.protect_frame(frame, table="t", record_id_column="id", context=context).frame
        assert protected["notes"].to_list() != texts
        assert engine.scan_frame(protected.drop("id")).height == 0, (context, protected["notes"].to_list())
    # ... while a raw number right after the context word is still caught.
    raw = pl.DataFrame({"notes": ["Passport: PASSPORT_0123456789abcdef. Passport: C01X00T47."]})
    assert engine.scan_frame(raw).to_dicts() == [{"column": "notes", "pii_type": "passport", "count": 1}]
