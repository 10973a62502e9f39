"""Contract tests for the strategy intake form: one case per rule, exact reason codes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pyarrow as pa
import pytest

from osa.contracts.intake import CREDENTIAL_KEYS
from tests.conftest import assert_balanced, form, reasons, run_intake


def _set(section: str | None, **values) -> Callable[[dict], None]:
    def apply(document: dict) -> None:
        (document if section is None else document[section]).update(values)

    return apply


def _drop(section: str | None, key: str) -> Callable[[dict], None]:
    def apply(document: dict) -> None:
        del (document if section is None else document[section])[key]

    return apply


BC, OC, AP = "business_context", "optimizely_config", "analysis_preferences"

RULE_VIOLATIONS = [
    # workflow_id non-empty
    ("workflow_id_empty", _set(None, workflow_id=""), "too_short:workflow_id"),
    ("workflow_id_blank", _set(None, workflow_id="   "), "too_short:workflow_id"),
    ("workflow_id_missing", _drop(None, "workflow_id"), "missing:workflow_id"),
    ("workflow_id_null", _set(None, workflow_id=None), "missing:workflow_id"),
    # company_name, industry non-empty
    ("company_name_missing", _drop(BC, "company_name"), "missing:business_context.company_name"),
    ("company_name_empty", _set(BC, company_name=""), "too_short:business_context.company_name"),
    ("industry_blank", _set(BC, industry="  "), "too_short:business_context.industry"),
    ("industry_missing", _drop(BC, "industry"), "missing:business_context.industry"),
    # goals at least one
    ("goals_empty", _set(BC, goals=[]), "too_short:business_context.goals"),
    ("goals_missing", _drop(BC, "goals"), "missing:business_context.goals"),
    # target_audience at least 10 characters (trimmed)
    ("target_audience_9_chars", _set(BC, target_audience="123456789"), "too_short:business_context.target_audience"),
    ("target_audience_padded", _set(BC, target_audience="   short    "), "too_short:business_context.target_audience"),
    ("target_audience_missing", _drop(BC, "target_audience"), "missing:business_context.target_audience"),
    # current_challenges optional, but a list of strings when present
    (
        "current_challenges_string",
        _set(BC, current_challenges="slow"),
        "wrong_type:business_context.current_challenges",
    ),
    (
        "current_challenges_objects",
        _set(BC, current_challenges=[{"a": 1}]),
        "wrong_type:business_context.current_challenges[]",
    ),
    # project_id digits only
    ("project_id_letters", _set(OC, project_id="PRJ-2291"), "bad_format:optimizely_config.project_id"),
    ("project_id_empty", _set(OC, project_id=""), "bad_format:optimizely_config.project_id"),
    ("project_id_trailing_space", _set(OC, project_id="123 "), "bad_format:optimizely_config.project_id"),
    ("project_id_number", _set(OC, project_id=123), "wrong_type:optimizely_config.project_id"),
    # workspace_id non-empty
    ("workspace_id_empty", _set(OC, workspace_id=""), "too_short:optimizely_config.workspace_id"),
    ("workspace_id_missing", _drop(OC, "workspace_id"), "missing:optimizely_config.workspace_id"),
    # at least one non-empty api credential among the four keys
    ("credentials_all_empty", _set(OC, api_credentials={key: "" for key in CREDENTIAL_KEYS}), "no_api_credentials"),
    ("credentials_blank", _set(OC, api_credentials={"odp_key": "   "}), "no_api_credentials"),
    ("credentials_empty_object", _set(OC, api_credentials={}), "no_api_credentials"),
    ("credentials_unknown_key_only", _set(OC, api_credentials={"other_key": "x"}), "no_api_credentials"),
    ("credentials_not_strings", _set(OC, api_credentials={"odp_key": 123}), "no_api_credentials"),
    ("credentials_missing", _drop(OC, "api_credentials"), "missing:optimizely_config.api_credentials"),
    ("credentials_string", _set(OC, api_credentials="sk_live_x"), "wrong_type:optimizely_config.api_credentials"),
    # analysis_depth enum
    (
        "analysis_depth_unknown",
        _set(AP, analysis_depth="exhaustive"),
        "not_allowed:analysis_preferences.analysis_depth",
    ),
    ("analysis_depth_wrong_case", _set(AP, analysis_depth="Basic"), "not_allowed:analysis_preferences.analysis_depth"),
    # focus_areas at least one, each in the enum
    ("focus_areas_empty", _set(AP, focus_areas=[]), "too_short:analysis_preferences.focus_areas"),
    (
        "focus_areas_unknown",
        _set(AP, focus_areas=["content", "growth_hacking"]),
        "not_allowed:analysis_preferences.focus_areas[]",
    ),
    ("focus_areas_string", _set(AP, focus_areas="content"), "wrong_type:analysis_preferences.focus_areas"),
    # timeline enum
    ("timeline_unknown", _set(AP, timeline="45d"), "not_allowed:analysis_preferences.timeline"),
    ("timeline_missing", _drop(AP, "timeline"), "missing:analysis_preferences.timeline"),
    # wrong types
    ("workflow_id_number", _set(None, workflow_id=7), "wrong_type:workflow_id"),
    ("goals_string", _set(BC, goals="grow revenue"), "wrong_type:business_context.goals"),
    ("goals_number_element", _set(BC, goals=["grow", 3]), "wrong_type:business_context.goals[]"),
    ("submitted_at_number", _set(None, submitted_at=5), "wrong_type:submitted_at"),
    ("submitted_at_not_a_time", _set(None, submitted_at="yesterday"), "invalid_timestamp:submitted_at"),
    ("client_name_number", _set(None, client_name=5), "wrong_type:client_name"),
    ("recipients_not_emails", _set(None, recipients=["not-an-email"]), "bad_format:recipients[]"),
]


@pytest.mark.parametrize(("mutate", "code"), [pytest.param(m, c, id=i) for i, m, c in RULE_VIOLATIONS])
def test_each_rule_violation_is_quarantined_with_its_reason_code(mutate, code):
    document = form()
    mutate(document)
    result = run_intake([json.dumps(document)])
    assert reasons(result) == [[code]]
    assert result.quarantine["primary_reason"].to_pylist() == [code]
    assert result.silver.num_rows == 0
    assert_balanced(result)


@pytest.mark.parametrize(
    ("mutate", "section_code"),
    [
        pytest.param(_set(None, business_context="x"), "wrong_type:business_context", id="section_string"),
        pytest.param(_drop(None, "business_context"), "missing:business_context", id="section_missing"),
    ],
)
def test_a_broken_section_reports_the_section_and_its_required_fields(mutate, section_code):
    document = form()
    mutate(document)
    [codes] = reasons(run_intake([json.dumps(document)]))
    assert codes == [
        section_code,
        "missing:business_context.company_name",
        "missing:business_context.industry",
        "missing:business_context.goals",
        "missing:business_context.target_audience",
    ]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        pytest.param('{"workflow_id": "wf-1", "business_context": {', "invalid_json", id="truncated"),
        pytest.param("", "invalid_json", id="empty_line"),
        pytest.param("not json at all", "invalid_json", id="text"),
        pytest.param("[1, 2]", "form_not_object", id="array"),
        pytest.param('"a string"', "form_not_object", id="string"),
        pytest.param("42", "form_not_object", id="number"),
        pytest.param("null", "form_not_object", id="null"),
    ],
)
def test_unparseable_and_non_object_lines(line, code):
    result = run_intake([line])
    assert reasons(result) == [[code]]
    assert result.silver.num_rows == 0
    [bronze] = result.bronze.to_pylist()
    assert bronze["form_json"] is None  # nothing half-parsed is kept
    assert_balanced(result)


def test_several_violations_are_all_reported():
    document = form()
    document["workflow_id"] = ""
    document["analysis_preferences"]["timeline"] = "45d"
    document["optimizely_config"]["project_id"] = "abc"
    [codes] = reasons(run_intake([json.dumps(document)]))
    assert sorted(codes) == sorted(
        [
            "too_short:workflow_id",
            "bad_format:optimizely_config.project_id",
            "not_allowed:analysis_preferences.timeline",
        ]
    )


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: None, id="as_is"),
        pytest.param(_drop("business_context", "current_challenges"), id="no_current_challenges"),
        pytest.param(_set("business_context", current_challenges=[]), id="empty_current_challenges"),
        pytest.param(_set("business_context", current_challenges=None), id="null_current_challenges"),
        pytest.param(_set("business_context", target_audience="1234567890"), id="target_audience_exactly_10"),
        pytest.param(_set("optimizely_config", api_credentials={"cmp_key": "k"}), id="single_credential"),
        pytest.param(_drop(None, "submitted_at"), id="no_submitted_at"),
    ],
)
def test_valid_forms_are_accepted(mutate):
    document = form()
    mutate(document)
    result = run_intake([json.dumps(document)])
    assert reasons(result) == []
    [row] = result.silver.to_pylist()
    assert row["workflow_id"] == "wf-form-1"
    assert row["company_name"] == "Northwind Traders"
    assert row["goals"] == ["Increase online conversion rate"]
    assert row["analysis_depth"] == "standard"
    assert row["focus_areas"] == ["content", "experimentation"]
    assert row["timeline"] == "60d"
    assert row["project_id"] == "12345678"
    assert row["source_line"] == 1
    assert_balanced(result)


def test_typed_silver_columns():
    result = run_intake([json.dumps(form())])
    schema = result.silver.schema
    assert pa.types.is_date32(schema.field("event_date").type)
    assert pa.types.is_timestamp(schema.field("submitted_at").type)
    assert pa.types.is_list(schema.field("goals").type)
    [row] = result.silver.to_pylist()
    assert row["submitted_at"].isoformat().startswith("2026-07-01T09:15:00")
    assert row["recipients"] == ["jane.doe@example.com"]


def test_credential_values_are_never_stored_only_key_names():
    document = form()
    document["optimizely_config"]["api_credentials"] = {
        "odp_key": "sk_live_ODP_SECRET_123",
        "experimentation_key": "",
        "content_recs_key": "sk_live_RECS_SECRET_456",
        "cmp_key": "   ",
        "legacy_token": "sk_live_LEGACY_SECRET_789",  # anything under api_credentials is a secret
    }
    invalid = json.loads(json.dumps(document))
    invalid["analysis_preferences"]["timeline"] = "45d"  # the quarantined copy carries secrets too
    result = run_intake([json.dumps(document), json.dumps(invalid), json.dumps(document)])

    [row] = result.silver.to_pylist()
    assert row["credentials_supplied"] == ["odp_key", "content_recs_key"]
    assert result.quarantined == 1 and result.duplicates == 1
    for name, table in (("bronze", result.bronze), ("silver", result.silver), ("quarantine", result.quarantine)):
        text = json.dumps(table.to_pylist(), default=str)
        for secret in ("sk_live_ODP_SECRET_123", "sk_live_RECS_SECRET_456", "sk_live_LEGACY_SECRET_789"):
            assert secret not in text, f"{secret} leaked into {name}"
    kept = [json.loads(j) for j in result.bronze["form_json"].to_pylist() if j is not None]
    assert len(kept) == 2  # the valid and the invalid form are kept (scrubbed); the duplicate is not
    assert all(k["business_context"]["company_name"] == "Northwind Traders" for k in kept)


def test_duplicate_identical_line_is_a_duplicate_not_counted_twice():
    line = json.dumps(form())
    result = run_intake([line, line, line])
    assert result.accepted == 1
    assert result.duplicates == 2
    assert result.quarantined == 0
    assert result.bronze["is_duplicate"].to_pylist() == [False, True, True]
    assert result.silver["source_line"].to_pylist() == [1]  # the first copy wins
    assert_balanced(result)


def test_known_form_ids_from_earlier_partitions_are_duplicates():
    line = json.dumps(form())
    first = run_intake([line])
    again = run_intake([line], known_form_ids=first.bronze["form_id"].combine_chunks())
    assert again.accepted == 0 and again.duplicates == 1
    assert_balanced(again)


def test_a_duplicate_of_an_invalid_form_is_still_a_duplicate():
    document = form()
    document["workflow_id"] = ""
    line = json.dumps(document)
    result = run_intake([line, line])
    assert (result.accepted, result.quarantined, result.duplicates) == (0, 1, 1)
    assert_balanced(result)


def test_accounting_records_in_equals_accepted_plus_quarantined_plus_duplicates():
    valid = [json.dumps(form(workflow_id=f"wf-{i}")) for i in range(5)]
    bad = []
    for mutate, _ in [(m, c) for _, m, c in RULE_VIOLATIONS[:8]]:
        document = form(workflow_id=f"wf-bad-{len(bad)}")
        mutate(document)
        bad.append(json.dumps(document))
    lines = valid + bad + ["{broken", "[]", valid[0], valid[1], bad[0]]
    result = run_intake(lines)
    assert result.records_in == len(lines) == 18
    assert (result.accepted, result.quarantined, result.duplicates) == (5, 10, 3)
    assert_balanced(result)
    # every input line has exactly one home
    homes = sorted(
        result.silver["source_line"].to_pylist()
        + result.quarantine["source_line"].to_pylist()
        + [r["source_line"] for r in result.bronze.to_pylist() if r["is_duplicate"]]
    )
    assert homes == list(range(1, len(lines) + 1))
