"""Every signature and envelope failure mode of OPAL webhook deliveries, plus replay handling."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pytest

from osa.ingest.signature import (
    DEVELOPMENT_WEBHOOK_SECRET,
    MissingSecretError,
    resolve_webhook_secret,
    sign,
    verify_many,
)
from resources import WebhookSecretResource
from tests.conftest import (
    RECEIVED_AT,
    RECEIVED_EPOCH,
    SECRET,
    assert_balanced,
    body,
    envelope,
    reasons,
    run_deliveries,
)

BODY = json.dumps(body("geo_audit"))
GOOD = sign(BODY, RECEIVED_EPOCH, SECRET)
T_PART, V_PART = GOOD.split(",")


def test_sign_produces_the_documented_header_format():
    assert GOOD.startswith(f"t={RECEIVED_EPOCH},v1=")
    digest = V_PART.removeprefix("v1=")
    assert len(digest) == 64 and digest == digest.lower()
    assert verify_many([str(RECEIVED_EPOCH)], [digest], [BODY], SECRET) == [True]
    assert verify_many([str(RECEIVED_EPOCH)], [digest], [BODY + " "], SECRET) == [False]
    assert verify_many([str(RECEIVED_EPOCH + 1)], [digest], [BODY], SECRET) == [False]


def test_valid_signature_is_accepted():
    result = run_deliveries([envelope(BODY)])
    assert reasons(result) == []
    assert result.accepted == 1
    [bronze] = result.bronze.to_pylist()
    assert bronze["signature_timestamp"] == RECEIVED_EPOCH
    assert bronze["body"] == BODY
    assert bronze["delivery_id"] == hashlib.sha256(BODY.encode()).hexdigest()


def test_lowercase_header_name_is_accepted():
    result = run_deliveries([envelope(BODY, headers={"x-osa-signature": GOOD})])
    assert result.accepted == 1


def _text(case: str) -> str:
    """A distinct valid body per case, so batched cases never replay each other."""
    return json.dumps(body("geo_audit", workflow_id=f"wf-{case}"))


def _good(text: str) -> tuple[str, str]:
    t_part, v_part = sign(text, RECEIVED_EPOCH, SECRET).split(",")
    return t_part, v_part


# case id -> builder of the delivery line from its body text
MISSING_SIGNATURE = {
    "no_headers": lambda text: envelope(text, headers={}),
    "other_headers_only": lambda text: envelope(text, headers={"Content-Type": "application/json"}),
    "null_header": lambda text: envelope(text, headers={"X-OSA-Signature": None}),
    "headers_not_object": lambda text: envelope(text, headers="not-an-object"),
    "no_headers_field": lambda text: json.dumps({"received_at": RECEIVED_AT, "body": text}),
}
MALFORMED_HEADERS = {
    "uppercase_hex": lambda t, v: t + ",v1=" + v.removeprefix("v1=").upper(),
    "63_hex_chars": lambda t, v: t + "," + v[:-1],
    "65_hex_chars": lambda t, v: t + "," + v + "a",
    "missing_t": lambda t, v: v,
    "missing_v1": lambda t, v: t,
    "space_after_comma": lambda t, v: t + ", " + v,
    "space_around_equals": lambda t, v: t.replace("=", " = ") + "," + v,
    "leading_space": lambda t, v: " " + t + "," + v,
    "trailing_space": lambda t, v: t + "," + v + " ",
    "fields_swapped": lambda t, v: v + "," + t,
    "other_scheme": lambda t, v: "sha256=" + "ab" * 32,
    "unknown_version": lambda t, v: t + "," + v.replace("v1=", "v2="),
    "negative_t": lambda t, v: "t=-1," + v,
    "non_numeric_t": lambda t, v: "t=abc," + v,
    "trailing_field": lambda t, v: t + "," + v + ",v0=abc",
    "semicolon_separator": lambda t, v: t + ";" + v,
    "empty_string": lambda t, v: "",
    "not_a_string": lambda t, v: 123,
}
BAD_SIGNATURE = {
    "wrong_secret": lambda text: envelope(text, secret="some-other-secret"),
    "tampered_body": lambda text: envelope(
        text.replace('"completed"', '"failed"'), header=sign(text, RECEIVED_EPOCH, SECRET)
    ),
    "trailing_byte_added": lambda text: envelope(text + " ", header=sign(text, RECEIVED_EPOCH, SECRET)),
    "timestamp_altered": lambda text: envelope(text, header=f"t={RECEIVED_EPOCH - 1},{_good(text)[1]}"),
    "zero_digest": lambda text: envelope(text, header=_good(text)[0] + ",v1=" + "0" * 64),
}
STALE_OFFSETS = (-301, 301, -3600, 86_400)
FRESH_OFFSETS = (-300, -299, 0, 299, 300)
FAR_TIMESTAMPS = (10**20, 2**63, 0)  # correctly signed but far away; some do not even fit a BIGINT


@pytest.fixture(scope="module")
def batch() -> tuple[dict[str, int], object]:
    """Every single-line signature case in one ingest run; returns (case -> source line, tables)."""
    cases: dict[str, str] = {}
    for case, build in MISSING_SIGNATURE.items():
        cases[f"missing:{case}"] = build(_text(case))
    for case, shape in MALFORMED_HEADERS.items():
        text = _text(case)
        cases[f"malformed:{case}"] = envelope(text, header=shape(*_good(text)))
    for case, build in BAD_SIGNATURE.items():
        cases[f"bad:{case}"] = build(_text(case))
    for offset in STALE_OFFSETS + FRESH_OFFSETS:
        cases[f"offset:{offset}"] = envelope(_text(f"offset{offset}"), timestamp=RECEIVED_EPOCH + offset)
    for stamp in FAR_TIMESTAMPS:
        cases[f"far:{stamp}"] = envelope(_text(f"far{stamp}"), timestamp=stamp)
    lines = list(cases.values())
    return {case: line_no for line_no, case in enumerate(cases, start=1)}, run_deliveries(lines)


def _outcome(batch, case: str) -> list[str] | str:
    """The reason codes of a case's line, or "accepted"."""
    lines, result = batch
    line_no = lines[case]
    quarantined = [r["reason_codes"] for r in result.quarantine.to_pylist() if r["source_line"] == line_no]
    accepted = [r for r in result.agent_executions.to_pylist() if r["source_line"] == line_no]
    assert len(quarantined) + len(accepted) == 1, "every line has exactly one home"
    return quarantined[0] if quarantined else "accepted"


def test_batch_is_balanced(batch):
    assert_balanced(batch[1])
    assert batch[1].duplicates == 0


@pytest.mark.parametrize("case", list(MISSING_SIGNATURE))
def test_missing_signature(batch, case):
    assert _outcome(batch, f"missing:{case}") == ["missing_signature"]


@pytest.mark.parametrize("case", list(MALFORMED_HEADERS))
def test_malformed_signature(batch, case):
    assert _outcome(batch, f"malformed:{case}") == ["malformed_signature"]


@pytest.mark.parametrize("case", list(BAD_SIGNATURE))
def test_bad_signature(batch, case):
    assert _outcome(batch, f"bad:{case}") == ["bad_signature"]


@pytest.mark.parametrize("offset", STALE_OFFSETS)
def test_stale_signature(batch, offset):
    assert _outcome(batch, f"offset:{offset}") == ["stale_signature"]


@pytest.mark.parametrize("offset", FRESH_OFFSETS)
def test_timestamp_within_tolerance_is_accepted(batch, offset):
    assert _outcome(batch, f"offset:{offset}") == "accepted"


@pytest.mark.parametrize("stamp", FAR_TIMESTAMPS)
def test_timestamp_far_from_received_at_is_stale_even_if_huge(batch, stamp):
    assert _outcome(batch, f"far:{stamp}") == ["stale_signature"]


def test_envelope_failures_are_quarantined_at_the_envelope_stage(batch):
    _, result = batch
    stages = {r["primary_reason"]: r["stage"] for r in result.quarantine.to_pylist()}
    assert set(stages) == {"missing_signature", "malformed_signature", "bad_signature", "stale_signature"}
    assert set(stages.values()) == {"envelope"}


def test_secret_used_for_verification_matters():
    line = envelope(BODY, secret="tenant-secret")
    assert reasons(run_deliveries([line])) == [["bad_signature"]]
    assert run_deliveries([line], secret="tenant-secret").accepted == 1


def test_stale_and_bad_signature_are_both_reported():
    line = envelope(BODY, timestamp=RECEIVED_EPOCH - 1000, secret="wrong")
    assert reasons(run_deliveries([line])) == [["bad_signature", "stale_signature"]]


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        pytest.param("this is not json", ["malformed_envelope:not_json_object"], id="not_json"),
        pytest.param(
            '{"received_at": "2026-07-01T12:00:00Z", "body": ',
            ["malformed_envelope:not_json_object"],
            id="truncated_json",
        ),
        pytest.param("[1, 2, 3]", ["malformed_envelope:not_json_object"], id="json_array"),
        pytest.param("", ["malformed_envelope:not_json_object"], id="empty_line"),
        pytest.param(envelope(json.loads(BODY), header=GOOD), ["malformed_envelope:body"], id="body_is_object"),
        pytest.param(envelope(12345, header=GOOD), ["malformed_envelope:body"], id="body_is_number"),
        pytest.param(envelope(None, header=GOOD), ["malformed_envelope:body"], id="body_is_null"),
        pytest.param(envelope(BODY, received_at=None), ["malformed_envelope:received_at"], id="no_received_at"),
        pytest.param(
            envelope(BODY, received_at="yesterday"), ["malformed_envelope:received_at"], id="received_at_not_a_time"
        ),
        pytest.param(
            json.dumps({"headers": {}}),
            ["malformed_envelope:received_at", "malformed_envelope:body", "missing_signature"],
            id="everything_missing",
        ),
    ],
)
def test_malformed_envelope(line, codes):
    result = run_deliveries([line])
    assert reasons(result) == [codes]
    assert result.quarantine["primary_reason"].to_pylist() == [codes[0]]
    assert result.accepted == 0
    assert_balanced(result)


def test_replay_within_the_window_is_a_duplicate_and_earliest_received_wins():
    later = envelope(BODY, received_at="2026-07-01T12:05:00Z", timestamp=RECEIVED_EPOCH + 300)
    earlier = envelope(BODY)  # 12:00:00, but written after the later copy in the file
    result = run_deliveries([later, earlier, later])
    assert (result.accepted, result.quarantined, result.duplicates) == (1, 0, 2)
    flags = {row["source_line"]: row["is_duplicate"] for row in result.bronze.to_pylist()}
    assert flags == {1: True, 2: False, 3: True}
    assert result.agent_executions["source_line"].to_pylist() == [2]
    # duplicates keep no body in bronze; the accepted copy keeps it
    assert [r["body"] is None for r in result.bronze.to_pylist()] == [True, False, True]
    assert_balanced(result)


def test_replay_with_a_fresh_signature_is_still_a_duplicate():
    replay = envelope(BODY, received_at="2026-07-01T13:00:00Z", timestamp=RECEIVED_EPOCH + 3600)
    result = run_deliveries([envelope(BODY), replay])
    assert (result.accepted, result.duplicates) == (1, 1)


def test_forged_copy_cannot_shadow_the_genuine_delivery():
    forged = envelope(BODY, received_at="2026-07-01T11:59:00Z", secret="attacker")  # earlier, bad signature
    result = run_deliveries([forged, envelope(BODY)])
    assert reasons(result) == [["bad_signature"]]
    assert (result.accepted, result.duplicates) == (1, 0)


def test_replay_of_a_body_seen_in_an_earlier_partition_is_a_duplicate():
    digest = hashlib.sha256(BODY.encode()).hexdigest()
    result = run_deliveries([envelope(BODY)], known_delivery_ids=pa.array([digest]))
    assert (result.accepted, result.quarantined, result.duplicates) == (0, 0, 1)
    assert result.bronze["is_duplicate"].to_pylist() == [True]
    other = run_deliveries([envelope(BODY)], known_delivery_ids=pa.array(["0" * 64]))
    assert other.accepted == 1


def test_replayed_invalid_body_is_quarantined_once():
    bad = body("geo_audit")
    bad["agent_id"] = "sentiment_oracle"
    text = json.dumps(bad)
    result = run_deliveries(
        [envelope(text), envelope(text, received_at="2026-07-01T12:01:00Z", timestamp=RECEIVED_EPOCH + 60)]
    )
    assert reasons(result) == [["not_allowed:agent_id"]]
    assert (result.accepted, result.quarantined, result.duplicates) == (0, 1, 1)


def test_resolve_secret_without_env_in_production_raises(monkeypatch):
    monkeypatch.delenv("OSA_WEBHOOK_SECRET", raising=False)
    with pytest.raises(MissingSecretError, match="OSA_WEBHOOK_SECRET"):
        resolve_webhook_secret(allow_development_secret=False)


def test_resolve_secret_uses_env_when_set(monkeypatch):
    monkeypatch.setenv("OSA_WEBHOOK_SECRET", "prod-secret-xyz")
    assert resolve_webhook_secret(allow_development_secret=False) == "prod-secret-xyz"
    assert resolve_webhook_secret(allow_development_secret=True) == "prod-secret-xyz"


def test_development_secret_only_where_allowed(monkeypatch):
    monkeypatch.delenv("OSA_WEBHOOK_SECRET", raising=False)
    assert resolve_webhook_secret(allow_development_secret=True) == DEVELOPMENT_WEBHOOK_SECRET


def test_webhook_resource_refuses_production_without_secret(monkeypatch):
    monkeypatch.delenv("OSA_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("OSA_ENV", "production")
    with pytest.raises(MissingSecretError):
        WebhookSecretResource().get()
    monkeypatch.setenv("OSA_WEBHOOK_SECRET", "prod-secret-xyz")
    assert WebhookSecretResource().get() == "prod-secret-xyz"
    assert "prod-secret-xyz" not in repr(WebhookSecretResource(secret="prod-secret-xyz"))


def test_vectorized_duckdb_hmac_matches_the_python_reference():
    """The pipeline hashes in DuckDB; it must agree with hmac.new for every secret length and body."""
    import duckdb

    from osa.ingest.signature import hmac_pads, hmac_sql

    samples = ['{"a":1}', '{"ü":"é","emoji":"🙂"}', "", "x" * 5000]
    for secret in ("s", "x" * 64, "y" * 65, "ключ-🔑"):
        ipad, opad = hmac_pads(secret)
        con = duckdb.connect()
        for sample in samples:
            got = con.execute(
                f"SELECT {hmac_sql('$ipad', '$opad', '$t', '$body')}",
                {"ipad": ipad, "opad": opad, "t": "1767225600", "body": sample},
            ).fetchone()[0]
            assert got == sign(sample, 1767225600, secret).split("v1=")[1]
