"""Contract tests for OPAL webhook bodies: the common payload, each agent's agent_data, SLAs, degradation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest

from osa.contracts.opal import (
    AGENT_IDS,
    AGENT_SLAS,
    EFFORTS,
    IMPACTS,
    RECOMMENDATION_CATEGORIES,
)
from osa.ingest.opal import DeliveryTables
from tests.conftest import (
    EXPECTED_INSIGHT_ROWS,
    EXPECTED_RECOMMENDATIONS,
    INSIGHT_TABLE,
    assert_balanced,
    body,
    delivery,
    envelope,
    reasons,
    run_deliveries,
)


def _at(path: str, value: object) -> Callable[[dict], None]:
    """Set `value` at a dotted path; an integer part indexes a list. `value=DROP` deletes the key."""

    def apply(document: dict) -> None:
        parts = path.split(".")
        node = document
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is DROP:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value

    return apply


DROP = object()

# (id, agent, mutation of the body, exact reason codes)
VIOLATIONS: list[tuple[str, str, Callable[[dict], None], list[str]]] = [
    # the common payload
    ("unknown_agent", "content_review", _at("agent_id", "sentiment_oracle"), ["not_allowed:agent_id"]),
    ("agent_id_missing", "content_review", _at("agent_id", DROP), ["missing:agent_id"]),
    ("workflow_id_empty", "geo_audit", _at("workflow_id", ""), ["too_short:workflow_id"]),
    ("execution_id_missing", "geo_audit", _at("execution_id", DROP), ["missing:execution_id"]),
    ("execution_status_unknown", "geo_audit", _at("execution_status", "done"), ["not_allowed:execution_status"]),
    ("correlation_id_missing", "geo_audit", _at("correlation_id", DROP), ["missing:correlation_id"]),
    (
        "metadata_missing",
        "geo_audit",
        _at("metadata", DROP),
        ["missing:metadata", "missing:metadata.timestamp", "missing:metadata.data_sources"],
    ),
    (
        "metadata_timestamp_bad",
        "geo_audit",
        _at("metadata.timestamp", "soon"),
        ["invalid_timestamp:metadata.timestamp"],
    ),
    (
        "duration_wrong_type",
        "geo_audit",
        _at("metadata.execution_duration_ms", "fast"),
        ["wrong_type:metadata.execution_duration_ms"],
    ),
    (
        "duration_fractional",
        "geo_audit",
        _at("metadata.execution_duration_ms", 1.5),
        ["wrong_type:metadata.execution_duration_ms"],
    ),
    (
        "duration_negative",
        "geo_audit",
        _at("metadata.execution_duration_ms", -1),
        ["out_of_range:metadata.execution_duration_ms"],
    ),
    (
        "confidence_too_high",
        "geo_audit",
        _at("metadata.confidence_score", 1.7),
        ["out_of_range:metadata.confidence_score"],
    ),
    (
        "confidence_wrong_type",
        "geo_audit",
        _at("metadata.confidence_score", "very high"),
        ["wrong_type:metadata.confidence_score"],
    ),
    (
        "data_sources_not_strings",
        "geo_audit",
        _at("metadata.data_sources", [1, 2]),
        ["wrong_type:metadata.data_sources[]"],
    ),
    ("agent_data_list", "geo_audit", _at("agent_data", []), ["wrong_type:agent_data"]),
    (
        "agent_data_missing",
        "geo_audit",
        _at("agent_data", DROP),
        [
            "missing:agent_data",
            "missing:agent_data.overall_geo_score",
            "missing:agent_data.regions_analyzed",
            "missing:agent_data.findings",
        ],
    ),
    # content_review
    (
        "content_quality_101",
        "content_review",
        _at("agent_data.content_quality_score", 101),
        ["out_of_range:agent_data.content_quality_score"],
    ),
    (
        "readability_negative",
        "content_review",
        _at("agent_data.readability_score", -0.5),
        ["out_of_range:agent_data.readability_score"],
    ),
    (
        "seo_score_string",
        "content_review",
        _at("agent_data.seo_optimization_score", "high"),
        ["wrong_type:agent_data.seo_optimization_score"],
    ),
    (
        "bounce_rate_above_1",
        "content_review",
        _at("agent_data.engagement_metrics.bounce_rate", 1.2),
        ["out_of_range:agent_data.engagement_metrics.bounce_rate"],
    ),
    (
        "recommendation_priority_enum",
        "content_review",
        _at("agent_data.recommendations.1.priority", "urgent"),
        ["not_allowed:agent_data.recommendations[].priority"],
    ),
    (
        "recommendation_missing_description",
        "content_review",
        _at("agent_data.recommendations.0.description", DROP),
        ["missing:agent_data.recommendations[].description"],
    ),
    (
        "recommendations_not_a_list",
        "content_review",
        _at("agent_data.recommendations", "do better"),
        ["wrong_type:agent_data.recommendations"],
    ),
    # geo_audit
    (
        "region_not_iso",
        "geo_audit",
        _at("agent_data.findings.0.region", "Germany"),
        ["bad_format:agent_data.findings[].region"],
    ),
    (
        "severity_enum",
        "geo_audit",
        _at("agent_data.findings.0.severity", "severe"),
        ["not_allowed:agent_data.findings[].severity"],
    ),
    (
        "affected_pages_negative",
        "geo_audit",
        _at("agent_data.findings.0.affected_pages", -3),
        ["out_of_range:agent_data.findings[].affected_pages"],
    ),
    (
        "regions_analyzed_fraction",
        "geo_audit",
        _at("agent_data.regions_analyzed", 2.5),
        ["wrong_type:agent_data.regions_analyzed"],
    ),
    (
        "overall_geo_score_missing",
        "geo_audit",
        _at("agent_data.overall_geo_score", DROP),
        ["missing:agent_data.overall_geo_score"],
    ),
    # audience_suggester
    (
        "segment_confidence_1_7",
        "audience_suggester",
        _at("agent_data.suggested_segments.0.confidence_score", 1.7),
        ["out_of_range:agent_data.suggested_segments[].confidence_score"],
    ),
    (
        "segment_criteria_string",
        "audience_suggester",
        _at("agent_data.suggested_segments.0.criteria", "all"),
        ["wrong_type:agent_data.suggested_segments[].criteria"],
    ),
    (
        "segment_size_string",
        "audience_suggester",
        _at("agent_data.suggested_segments.0.estimated_size", "big"),
        ["wrong_type:agent_data.suggested_segments[].estimated_size"],
    ),
    (
        "opportunities_missing",
        "audience_suggester",
        _at("agent_data.personalization_opportunities", DROP),
        ["missing:agent_data.personalization_opportunities"],
    ),
    (
        "opportunity_segment_id_missing",
        "audience_suggester",
        _at("agent_data.personalization_opportunities.0.segment_id", DROP),
        ["missing:agent_data.personalization_opportunities[].segment_id"],
    ),
    # experiment_blueprinter
    (
        "one_variation",
        "experiment_blueprinter",
        _at("agent_data.experiments.0.variations", 1),
        ["out_of_range:agent_data.experiments[].variations"],
    ),
    (
        "experiment_priority_11",
        "experiment_blueprinter",
        _at("agent_data.experiments.0.priority", 11),
        ["out_of_range:agent_data.experiments[].priority"],
    ),
    (
        "traffic_allocation_1_5",
        "experiment_blueprinter",
        _at("agent_data.experiments.0.traffic_allocation", 1.5),
        ["out_of_range:agent_data.experiments[].traffic_allocation"],
    ),
    (
        "hypothesis_missing",
        "experiment_blueprinter",
        _at("agent_data.experiments.0.hypothesis", DROP),
        ["missing:agent_data.experiments[].hypothesis"],
    ),
    # personalization_idea_generator
    (
        "channel_enum",
        "personalization_idea_generator",
        _at("agent_data.ideas.0.channel", "sms"),
        ["not_allowed:agent_data.ideas[].channel"],
    ),
    (
        "expected_lift_1_2",
        "personalization_idea_generator",
        _at("agent_data.ideas.0.expected_lift", 1.2),
        ["out_of_range:agent_data.ideas[].expected_lift"],
    ),
    (
        "idea_effort_enum",
        "personalization_idea_generator",
        _at("agent_data.ideas.0.effort", "huge"),
        ["not_allowed:agent_data.ideas[].effort"],
    ),
    (
        "implementation_steps_numbers",
        "personalization_idea_generator",
        _at("agent_data.ideas.0.implementation_steps", [1, 2]),
        ["wrong_type:agent_data.ideas[].implementation_steps[]"],
    ),
    # roadmap_generator
    (
        "phase_5",
        "roadmap_generator",
        _at("agent_data.roadmap_items.0.phase", 5),
        ["out_of_range:agent_data.roadmap_items[].phase"],
    ),
    (
        "roadmap_category_enum",
        "roadmap_generator",
        _at("agent_data.roadmap_items.1.category", "sales"),
        ["not_allowed:agent_data.roadmap_items[].category"],
    ),
    (
        "total_weeks_string",
        "roadmap_generator",
        _at("agent_data.total_duration_weeks", "12"),
        ["wrong_type:agent_data.total_duration_weeks"],
    ),
    (
        "roadmap_title_missing",
        "roadmap_generator",
        _at("agent_data.roadmap_items.0.title", DROP),
        ["missing:agent_data.roadmap_items[].title"],
    ),
    # integration_health
    (
        "check_status_enum",
        "integration_health",
        _at("agent_data.checks.0.status", "unknown"),
        ["not_allowed:agent_data.checks[].status"],
    ),
    (
        "last_sync_not_a_time",
        "integration_health",
        _at("agent_data.checks.1.last_sync_at", "yesterday"),
        ["invalid_timestamp:agent_data.checks[].last_sync_at"],
    ),
    (
        "error_rate_negative",
        "integration_health",
        _at("agent_data.checks.0.error_rate", -0.1),
        ["out_of_range:agent_data.checks[].error_rate"],
    ),
    (
        "health_score_101",
        "integration_health",
        _at("agent_data.overall_health_score", 101),
        ["out_of_range:agent_data.overall_health_score"],
    ),
    # cmp_organizer
    (
        "cmp_issue_type_enum",
        "cmp_organizer",
        _at("agent_data.issues.0.issue_type", "spam"),
        ["not_allowed:agent_data.issues[].issue_type"],
    ),
    (
        "campaign_id_empty",
        "cmp_organizer",
        _at("agent_data.issues.0.campaign_id", ""),
        ["too_short:agent_data.issues[].campaign_id"],
    ),
    (
        "taxonomy_score_negative",
        "cmp_organizer",
        _at("agent_data.taxonomy_score", -1),
        ["out_of_range:agent_data.taxonomy_score"],
    ),
    # customer_journey
    (
        "stage_enum",
        "customer_journey",
        _at("agent_data.stages.0.stage", "loyalty"),
        ["not_allowed:agent_data.stages[].stage"],
    ),
    (
        "touchpoints_string",
        "customer_journey",
        _at("agent_data.stages.0.touchpoints", "search"),
        ["wrong_type:agent_data.stages[].touchpoints"],
    ),
    (
        "drop_off_rate_2",
        "customer_journey",
        _at("agent_data.stages.0.drop_off_rate", 2),
        ["out_of_range:agent_data.stages[].drop_off_rate"],
    ),
    (
        "opportunity_impact_enum",
        "customer_journey",
        _at("agent_data.optimization_opportunities.0.expected_impact", "huge"),
        ["not_allowed:agent_data.optimization_opportunities[].expected_impact"],
    ),
]


@pytest.fixture(scope="module")
def violations_run() -> DeliveryTables:
    """All violation cases in one batch (each body is distinct, so none is a replay of another)."""
    lines = []
    for index, (_, agent, mutate, _) in enumerate(VIOLATIONS):
        document = body(agent, workflow_id=f"wf-violation-{index}")
        mutate(document)
        lines.append(delivery(document))
    return run_deliveries(lines)


@pytest.mark.parametrize("index", [pytest.param(i, id=case[0]) for i, case in enumerate(VIOLATIONS)])
def test_violation_is_quarantined_with_exact_reason_codes(violations_run, index):
    _, agent, _, expected = VIOLATIONS[index]
    rows = [r for r in violations_run.quarantine.to_pylist() if r["source_line"] == index + 1]
    assert len(rows) == 1, "each violating delivery is quarantined exactly once"
    [row] = rows
    assert row["reason_codes"] == expected
    assert row["primary_reason"] == expected[0]
    assert row["stage"] == "contract"


def test_violation_batch_accounts_for_every_line(violations_run):
    assert violations_run.accepted == 0
    assert violations_run.quarantined == len(VIOLATIONS)
    assert violations_run.recommendations.num_rows == 0
    assert all(table.num_rows == 0 for table in violations_run.insights.values())
    assert_balanced(violations_run)


def test_quarantine_keeps_agent_and_workflow_for_contract_failures(violations_run):
    row = next(r for r in violations_run.quarantine.to_pylist() if r["source_line"] == 1)
    # an unknown agent id is kept as a digest of the value (groups the same bad value), never the value itself
    assert row["agent_id"] == "sha256:" + hashlib.sha256(b"sentiment_oracle").hexdigest()[:16]
    known = next(r for r in violations_run.quarantine.to_pylist() if r["agent_id"] in AGENT_IDS)
    assert known["agent_id"] in AGENT_IDS  # a known agent stays readable
    assert row["workflow_id"] == "wf-violation-0"
    assert row["source_file"] == "test/batch.jsonl"
    assert len(row["record_digest"]) == 64


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param('{"workflow_id": "wf-1", "agent_id": "geo_audit"', "invalid_json", id="truncated"),
        pytest.param("not json", "invalid_json", id="text"),
        pytest.param("", "invalid_json", id="empty"),
        pytest.param('["workflow_id"]', "body_not_object", id="array"),
        pytest.param("42", "body_not_object", id="number"),
    ],
)
def test_body_that_is_not_a_json_object(text, code):
    result = run_deliveries([envelope(text)])
    assert reasons(result) == [[code]]
    assert result.quarantine["stage"].to_pylist() == ["contract"]
    assert_balanced(result)


@pytest.fixture(scope="module")
def all_agents_run() -> DeliveryTables:
    return run_deliveries([delivery(body(agent, workflow_id="wf-all-agents")) for agent in AGENT_IDS])


@pytest.mark.parametrize("agent", AGENT_IDS)
def test_valid_delivery_for_each_agent_is_accepted(all_agents_run, agent):
    assert reasons(all_agents_run) == []
    [execution] = [r for r in all_agents_run.agent_executions.to_pylist() if r["agent_id"] == agent]
    assert execution["workflow_id"] == "wf-all-agents"
    assert execution["execution_status"] == "completed"
    assert execution["sla_status"] == "met"
    assert execution["sla_max_execution_ms"] == AGENT_SLAS[agent].max_execution_ms
    assert float(execution["sla_confidence_threshold"]) == AGENT_SLAS[agent].confidence_threshold
    insight = all_agents_run.insights[INSIGHT_TABLE[agent]].to_pylist()
    assert len(insight) == EXPECTED_INSIGHT_ROWS[agent]
    assert {r["workflow_id"] for r in insight} == {"wf-all-agents"}
    assert {r["delivery_id"] for r in insight} == {execution["delivery_id"]}
    recommendations = [r for r in all_agents_run.recommendations.to_pylist() if r["agent_id"] == agent]
    assert len(recommendations) == EXPECTED_RECOMMENDATIONS[agent]


def test_normalized_recommendations_follow_the_common_schema(all_agents_run):
    rows = all_agents_run.recommendations.to_pylist()
    assert len(rows) == sum(EXPECTED_RECOMMENDATIONS.values())
    for row in rows:
        assert row["category"] in RECOMMENDATION_CATEGORIES, row
        assert isinstance(row["priority"], int) and 1 <= row["priority"] <= 10, row
        assert row["impact_estimate"] in IMPACTS, row
        assert row["effort_estimate"] in EFFORTS, row
        assert row["title"] and row["description"], row
        for column in ("implementation_steps", "success_metrics", "dependencies"):
            assert isinstance(row[column], list), (column, row)
    assert len({r["recommendation_id"] for r in rows}) == len(rows)
    by_agent = {r["agent_id"]: r for r in rows}
    assert by_agent["experiment_blueprinter"]["priority"] == 7
    assert by_agent["experiment_blueprinter"]["category"] == "experimentation"
    assert by_agent["experiment_blueprinter"]["estimated_timeline"] == "21 days"
    assert by_agent["integration_health"]["title"] == "Restore cmp integration"  # the healthy check is skipped
    assert by_agent["integration_health"]["impact_estimate"] == "critical"
    assert by_agent["customer_journey"]["category"] == "personalization"
    assert by_agent["audience_suggester"]["category"] == "audience"
    content = sorted((r for r in rows if r["agent_id"] == "content_review"), key=lambda r: -r["priority"])
    # free-text impact estimates ("+12% organic sessions") normalize to a level
    assert [(r["priority"], r["impact_estimate"]) for r in content] == [(8, "high"), (2, "medium")]
    roadmap = sorted(r["priority"] for r in rows if r["agent_id"] == "roadmap_generator")
    assert roadmap == [8, 10]


def test_insight_tables_carry_typed_values(all_agents_run):
    [content] = all_agents_run.insights["silver_content_review_insights"].to_pylist()
    assert content["content_quality_score"] == 72
    assert content["bounce_rate"] == pytest.approx(0.42)
    assert content["recommendation_count"] == 2
    [segment] = all_agents_run.insights["silver_audience_segments"].to_pylist()
    assert json.loads(segment["criteria_json"]) == {"visits_30d": {"gte": 2}}
    assert segment["estimated_size"] == 12000
    checks = all_agents_run.insights["silver_integration_health_checks"].to_pylist()
    assert sorted(r["status"] for r in checks) == ["down", "healthy"]
    assert all(r["last_sync_at"] is not None for r in checks)


@pytest.mark.parametrize("status", ["failed", "started", "running"])
def test_non_completed_executions_with_empty_agent_data_are_accepted(status):
    document = body("content_review", status=status, agent_data={})
    result = run_deliveries([delivery(document)])
    assert reasons(result) == []
    [row] = result.agent_executions.to_pylist()
    assert row["execution_status"] == status
    assert row["is_final"] is (status == "failed")
    assert row["sla_status"] == ("failed" if status == "failed" else "in_progress")


@pytest.mark.parametrize("status", ["failed", "started", "running"])
def test_only_completed_outputs_feed_recommendations_and_insights(status):
    # agent_data of non-completed executions is not validated, so it must never reach normalized tables
    unchecked = body("experiment_blueprinter", status=status, workflow_id="wf-partial")
    unchecked["agent_data"]["experiments"][0]["priority"] = 99
    empty = body("content_review", status=status, workflow_id="wf-partial", agent_data={})
    result = run_deliveries([delivery(unchecked), delivery(empty)])
    assert result.accepted == 2
    assert result.recommendations.num_rows == 0
    assert {name: t.num_rows for name, t in result.insights.items() if t.num_rows} == {}


@pytest.mark.parametrize("agent", AGENT_IDS)
def test_sla_timeout_and_boundaries(agent):
    sla = AGENT_SLAS[agent]
    at_limit = body(
        agent, workflow_id="wf-at-limit", duration_ms=sla.max_execution_ms, confidence=sla.confidence_threshold
    )
    over = body(agent, workflow_id="wf-over", duration_ms=sla.max_execution_ms + 1)
    low = body(agent, workflow_id="wf-low", confidence=round(sla.confidence_threshold - 0.001, 3))
    both = body(agent, workflow_id="wf-both", duration_ms=sla.max_execution_ms * 2, confidence=0.1)
    unknown = body(agent, workflow_id="wf-no-metrics", duration_ms=None, confidence=None)
    result = run_deliveries([delivery(d) for d in (at_limit, over, low, both, unknown)])
    assert reasons(result) == []
    rows = {r["workflow_id"]: r for r in result.agent_executions.to_pylist()}
    assert (
        rows["wf-at-limit"]["sla_status"],
        rows["wf-at-limit"]["is_timeout"],
        rows["wf-at-limit"]["is_low_confidence"],
    ) == ("met", False, False)
    assert (rows["wf-over"]["sla_status"], rows["wf-over"]["is_timeout"]) == ("timeout", True)
    assert (rows["wf-low"]["sla_status"], rows["wf-low"]["is_low_confidence"], rows["wf-low"]["is_timeout"]) == (
        "low_confidence",
        True,
        False,
    )
    assert (rows["wf-both"]["sla_status"], rows["wf-both"]["is_timeout"], rows["wf-both"]["is_low_confidence"]) == (
        "timeout",
        True,
        True,
    )
    assert rows["wf-no-metrics"]["sla_status"] == "met"


def _workflow(workflow_id: str, invalid: int, *, failed: int = 0) -> list[str]:
    """Nine agent outputs for one workflow: the first `invalid` break the contract, the next `failed` fail."""
    lines = []
    for position, agent in enumerate(AGENT_IDS):
        if position < invalid:
            document = body(agent, workflow_id=workflow_id)
            document["metadata"]["confidence_score"] = "very high"
        elif position < invalid + failed:
            document = body(agent, workflow_id=workflow_id, status="failed", agent_data={})
        else:
            document = body(agent, workflow_id=workflow_id)
        lines.append(delivery(document))
    return lines


def test_workflow_status_and_degradation():
    half_bad = body("cmp_organizer", workflow_id="wf-half")
    half_bad["metadata"]["confidence_score"] = 3
    lines = (
        _workflow("wf-complete", 0)
        + _workflow("wf-failed", 0, failed=1)
        + _workflow("wf-degraded", 5)
        + _workflow("wf-four-invalid", 4)
        + _workflow("wf-all-invalid", 9)
        + [delivery(body("geo_audit", workflow_id="wf-half")), delivery(half_bad)]
    )
    result = run_deliveries(lines)
    assert_balanced(result)
    rows = {r["workflow_id"]: r for r in result.workflow_executions.to_pylist()}
    assert rows["wf-complete"]["workflow_status"] == "completed"
    assert rows["wf-complete"]["is_complete"] is True
    assert rows["wf-complete"]["agents_reporting"] == 9
    assert rows["wf-failed"]["workflow_status"] == "failed"
    assert rows["wf-failed"]["agents_failed"] == 1
    assert (rows["wf-degraded"]["workflow_status"], rows["wf-degraded"]["is_degraded"]) == ("degraded", True)
    assert (rows["wf-degraded"]["valid_outputs"], rows["wf-degraded"]["invalid_outputs"]) == (4, 5)
    assert rows["wf-four-invalid"]["is_degraded"] is False  # 4 of 9 is not more than half
    assert rows["wf-four-invalid"]["workflow_status"] == "partial"
    assert rows["wf-all-invalid"]["workflow_status"] == "degraded"
    assert rows["wf-all-invalid"]["agents_reporting"] == 0
    assert rows["wf-half"]["is_degraded"] is False  # exactly half is not more than half
    assert (rows["wf-half"]["valid_outputs"], rows["wf-half"]["invalid_outputs"]) == (1, 1)
