"""Strict parsing: RFC 8259 JSON, RFC 3339 timestamps, JSON whitespace, blank lines, invalid UTF-8.

DuckDB's JSON functions accept NaN, Infinity and trailing commas and its timestamp cast accepts zone names and
no zone at all; every such line must be quarantined with a reason, and its valid neighbours still accepted.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osa.ingest.intake import process_intake
from osa.ingest.landing import landing_files, read_lines
from osa.ingest.opal import process_deliveries
from tests.conftest import (
    SECRET,
    assert_balanced,
    body,
    delivery,
    envelope,
    form,
    reasons,
    run_deliveries,
    run_intake,
)

NON_FINITE = ["NaN", "Infinity", "-Infinity", "inf", "-inf", "nan", "1e999", "-1e999"]


def _neighbours(n: int = 2) -> list[str]:
    return [delivery(body(workflow_id=f"wf-ok-{i}")) for i in range(n)]


def _only_bad_line(result, line_no: int) -> list[str]:
    """The reason codes of the one quarantined line, after checking it is `line_no` and the neighbours passed."""
    assert_balanced(result)
    assert result.quarantine["source_line"].to_pylist() == [line_no]
    return reasons(result)[0]


# ------------------------------------------------------------------------------------------------ strict JSON
@pytest.mark.parametrize("token", NON_FINITE)
def test_non_finite_number_in_body_is_invalid_json(token):
    text = json.dumps(body(workflow_id="wf-bad")).replace('"confidence_score": 0.99', f'"confidence_score": {token}')
    assert token in text
    result = run_deliveries([_neighbours()[0], envelope(text), _neighbours()[1]])
    assert _only_bad_line(result, 2) == ["invalid_json"]
    assert result.accepted == 2
    assert all(math.isfinite(c) for c in result.agent_executions["confidence_score"].to_pylist())


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda t: t.replace('"ga4"]', '"ga4",]'), id="trailing_comma_array"),
        pytest.param(lambda t: t[:-1] + ",}", id="trailing_comma_object"),
    ],
)
def test_trailing_commas_in_body_are_invalid_json(mutate):
    text = mutate(json.dumps(body(workflow_id="wf-bad")))
    result = run_deliveries([_neighbours()[0], envelope(text), _neighbours()[1]])
    assert _only_bad_line(result, 2) == ["invalid_json"]


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda line: line[:-1] + ', "x": NaN}', id="nan"),
        pytest.param(lambda line: line[:-1] + ', "x": Infinity}', id="infinity"),
        pytest.param(lambda line: line[:-1] + ', "x": 1e999}', id="overflow"),
        pytest.param(lambda line: line[:-1] + ",}", id="trailing_comma"),
        pytest.param(lambda line: line[:-1] + ', "x": [1,2,]}', id="trailing_comma_in_array"),
        pytest.param(lambda line: "\f" + line, id="form_feed_is_not_json_whitespace"),
    ],
)
def test_non_standard_envelope_is_not_a_json_object(mutate):
    lines = _neighbours(1) + [mutate(delivery(body(workflow_id="wf-bad")))] + _neighbours(2)[1:]
    result = run_deliveries(lines)
    assert _only_bad_line(result, 2) == ["malformed_envelope:not_json_object"]
    assert result.accepted == 2


@pytest.mark.parametrize("token", ["NaN", "Infinity", "1e999", "[1,]"])
def test_non_standard_form_is_invalid_json(token):
    line = json.dumps(form(workflow_id="wf-bad"))[:-1] + f', "notes_extra": {token}}}'
    result = run_intake([json.dumps(form(workflow_id="wf-1")), line, json.dumps(form(workflow_id="wf-2"))])
    assert _only_bad_line(result, 2) == ["invalid_json"]
    assert result.accepted == 2


# ------------------------------------------------------------------------------------------------ whitespace
@pytest.mark.parametrize("pad", [" ", "\t", "\r", "\n", " \t\r\n"], ids=repr)
@pytest.mark.parametrize("where", ["leading", "trailing", "both"])
def test_json_whitespace_around_an_envelope_is_ignored_alike(pad, where):
    line = delivery(body(workflow_id="wf-pad"))
    line = (pad if where != "trailing" else "") + line + (pad if where != "leading" else "")
    result = run_deliveries([line, *_neighbours()])
    assert_balanced(result)
    assert (result.accepted, result.quarantined) == (3, 0)


@pytest.mark.parametrize("pad", [" ", "\t", "\r\n"], ids=repr)
def test_json_whitespace_around_a_body_and_a_form_is_ignored_alike(pad):
    result = run_deliveries([envelope(pad + json.dumps(body(workflow_id="wf-pad")) + pad)])
    assert (result.accepted, result.quarantined) == (1, 0)
    assert_balanced(result)
    forms = run_intake([pad + json.dumps(form()) + pad])
    assert (forms.accepted, forms.quarantined) == (1, 0)
    assert_balanced(forms)


# ------------------------------------------------------------------------------------------------ timestamps
BAD_TIMESTAMPS = [
    "2026-07-01 12:00:00 UTC",
    "2026-07-01 12:00:00Z",
    "2026-07-01T12:00:00",
    "2026-07-01T12:00:00 Europe/Berlin",
    "2026-07-01T12:00:00Europe/Berlin",
    "10000-07-01T12:00:00Z",
    "2026-07-01T12:00:00+0200",
    "2026-07-01",
    "2026-02-30T12:00:00Z",
    "2026-07-01T24:00:00Z",
]
GOOD_TIMESTAMPS = ["2026-07-01T12:00:00Z", "2026-07-01T14:00:00+02:00", "2026-07-01T12:00:00.250-00:00"]


@pytest.mark.parametrize("value", BAD_TIMESTAMPS)
def test_received_at_must_be_rfc3339_with_a_zone(value):
    result = run_deliveries([_neighbours()[0], delivery(body(workflow_id="wf-bad"), received_at=value)])
    assert _only_bad_line(result, 2)[0] == "malformed_envelope:received_at"
    assert result.accepted == 1


@pytest.mark.parametrize("value", GOOD_TIMESTAMPS)
def test_rfc3339_received_at_is_accepted(value):
    result = run_deliveries([delivery(body(workflow_id="wf-ok"), received_at=value)])
    assert (result.accepted, result.quarantined) == (1, 0)


@pytest.mark.parametrize("value", BAD_TIMESTAMPS)
def test_submitted_at_must_be_rfc3339_with_a_zone(value):
    result = run_intake(
        [json.dumps(form(workflow_id="wf-1")), json.dumps(form(workflow_id="wf-2", submitted_at=value))]
    )
    assert _only_bad_line(result, 2) == ["invalid_timestamp:submitted_at"]
    assert result.accepted == 1


@pytest.mark.parametrize("value", BAD_TIMESTAMPS[:4])
def test_agent_timestamp_must_be_rfc3339_with_a_zone(value):
    result = run_deliveries([_neighbours()[0], delivery(body(workflow_id="wf-bad", timestamp=value))])
    assert _only_bad_line(result, 2) == ["invalid_timestamp:metadata.timestamp"]


# ------------------------------------------------------------------------------------------------ blank lines
@pytest.mark.parametrize("blank", ["", " ", "\t", " \t "], ids=repr)
def test_blank_form_lines_are_each_quarantined_never_duplicates(blank):
    lines = [blank, json.dumps(form(workflow_id="wf-1")), blank, blank]
    result = run_intake(lines)
    assert_balanced(result)
    assert (result.accepted, result.quarantined, result.duplicates) == (1, 3, 0)
    assert reasons(result) == [["invalid_json"]] * 3


def test_repeated_garbage_form_lines_are_each_quarantined():
    result = run_intake(["{broken", "{broken", json.dumps(form())])
    assert_balanced(result)
    assert (result.accepted, result.quarantined, result.duplicates) == (1, 2, 0)


@pytest.mark.parametrize("blank", ["", " ", "\t"], ids=repr)
def test_blank_delivery_lines_are_each_quarantined_never_duplicates(blank):
    result = run_deliveries([blank, _neighbours()[0], blank])
    assert_balanced(result)
    assert (result.accepted, result.quarantined, result.duplicates) == (1, 2, 0)
    assert reasons(result) == [["malformed_envelope:not_json_object"]] * 2


# ------------------------------------------------------------------------------------------------ UTF-8
def _land(tmp_path: Path, source: str, raw: bytes) -> tuple[list, Path]:
    folder = tmp_path / source / "dt=2026-07-01"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(raw)
    return landing_files(tmp_path, source), tmp_path


def test_invalid_utf8_form_line_is_quarantined_not_replaced(tmp_path):
    good = json.dumps(form(workflow_id="wf-1")).encode()
    bad = json.dumps(form(workflow_id="wf-2", notes="caf\u00e9")).encode().replace(b"\\u00e9", b"\xe9")
    files, root = _land(tmp_path, "intake_forms", good + b"\n" + bad + b"\n" + good.replace(b"wf-1", b"wf-3") + b"\n")
    lines = read_lines(files, root)
    assert lines["utf8_valid"].to_pylist() == [True, False, True]
    result = process_intake(lines)
    assert_balanced(result)
    assert result.quarantine["source_line"].to_pylist() == [2]
    assert reasons(result) == [["invalid_utf8"]]
    assert result.accepted == 2
    assert not any("\ufffd" in (n or "") for n in result.silver["notes"].to_pylist())


def test_invalid_utf8_delivery_line_is_quarantined(tmp_path):
    good = [line.encode() for line in _neighbours()]
    bad = delivery(body(workflow_id="wf-bad")).encode().replace(b"wf-bad", b"wf-\xff\xfe")
    files, root = _land(tmp_path, "opal_deliveries", b"\n".join([good[0], bad, good[1]]) + b"\n")
    result = process_deliveries(read_lines(files, root), secret=SECRET)
    assert_balanced(result)
    assert result.quarantine["source_line"].to_pylist() == [2]
    assert reasons(result) == [["invalid_utf8"]]
    assert result.accepted == 2


def test_valid_utf8_files_read_as_valid(tmp_path):
    text = json.dumps(form(notes="caf\u00e9 \ufffd literal"), ensure_ascii=False).encode()
    files, root = _land(tmp_path, "intake_forms", text + b"\n\n")
    lines = read_lines(files, root)
    assert lines["utf8_valid"].to_pylist() == [True, True]
    result = process_intake(lines)
    assert (result.accepted, result.quarantined) == (1, 1)  # the literal U+FFFD is data; the blank line is not


# ------------------------------------------------------------------------------------------------ property
def _mutations() -> st.SearchStrategy:
    injections = st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "inf", "nan", "1e999", "-1E400", "1e308", "0.5", "null", "[1,]", "{}"]
    )
    whitespace = st.text(alphabet=" \t\r\n\f\v\u00a0", max_size=3)
    return st.one_of(
        st.tuples(st.just("body_value"), injections),
        st.tuples(st.just("body_trailing_comma"), st.integers(0, 3)),
        st.tuples(st.just("envelope_value"), injections),
        st.tuples(st.just("envelope_trailing_comma"), st.integers(0, 1)),
        st.tuples(st.just("pad"), st.tuples(whitespace, whitespace)),
        st.tuples(st.just("body_pad"), st.tuples(whitespace, whitespace)),
        st.tuples(st.just("truncate"), st.integers(0, 2000)),
        st.tuples(st.just("received_at"), st.sampled_from(BAD_TIMESTAMPS + GOOD_TIMESTAMPS)),
        st.tuples(st.just("none"), st.just(None)),
    )


def _mutate(i: int, kind: str, arg) -> str:
    document = body(workflow_id=f"wf-prop-{i}")
    text = json.dumps(document)
    if kind == "body_value":
        return envelope(text.replace('"execution_duration_ms": 1000', f'"execution_duration_ms": {arg}'))
    if kind == "body_trailing_comma":
        target = ['"ga4"]', "}}", '"odp", ', "}"][arg]
        index = text.rfind(target)
        return envelope(text[:index] + target[:-1] + "," + target[-1] + text[index + len(target) :])
    if kind == "envelope_value":
        line = envelope(text)
        return line[:-1] + f', "extra": {arg}}}'
    if kind == "envelope_trailing_comma":
        line = envelope(text)
        return line[:-1] + ",}" if arg else line.replace('"headers": {', '"headers": {"a": 1,}, "h2": {', 1)
    if kind == "pad":
        return arg[0] + envelope(text) + arg[1]
    if kind == "body_pad":
        return envelope(arg[0] + text + arg[1])
    if kind == "truncate":
        line = envelope(text)
        return line[: arg % (len(line) + 1)]
    if kind == "received_at":
        return envelope(text, received_at=arg)
    return envelope(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(), min_size=1, max_size=12))
def test_every_mutated_line_ends_in_exactly_one_place_and_no_accepted_number_is_non_finite(mutations):
    lines = [_mutate(i, kind, arg) for i, (kind, arg) in enumerate(mutations)]
    lines.append(lines[0])  # one replay at least
    result = run_deliveries(lines)
    assert_balanced(result)
    homes = sorted(
        result.agent_executions["source_line"].to_pylist()
        + result.quarantine["source_line"].to_pylist()
        + [r["source_line"] for r in result.bronze.to_pylist() if r["is_duplicate"]]
    )
    assert homes == list(range(1, len(lines) + 1))
    for row in result.agent_executions.to_pylist():
        for value in row.values():
            if isinstance(value, float):
                assert math.isfinite(value)
    # every accepted line is strict JSON all the way down
    accepted = set(result.agent_executions["source_line"].to_pylist())
    for line_no in accepted:
        line = lines[line_no - 1]
        _strict_loads(_strict_loads(line)["body"])


def _reject(token: str):
    raise ValueError(f"non-standard constant {token}")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"non-finite number {text}")
    return value


def _strict_loads(text: str):
    """Python's json with the constants and overflowing numbers it would otherwise accept refused."""
    return json.loads(text, parse_constant=_reject, parse_float=_finite)


def test_a_line_that_is_neither_utf8_nor_json_is_not_json(tmp_path):
    files, root = _land(tmp_path, "opal_deliveries", b'{"body": "\xff"\n' + _neighbours()[0].encode() + b"\n")
    result = process_deliveries(read_lines(files, root), secret=SECRET)
    assert_balanced(result)
    assert reasons(result) == [["malformed_envelope:not_json_object"]]
    assert result.accepted == 1
