"""Webhook secret rotation: a keyring of several active keys with ids and validity windows (OSA_WEBHOOK_SECRETS),
an optional `kid=` in the header, and no secret in any message or repr."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osa.ingest.signature import (
    DEVELOPMENT_WEBHOOK_SECRET,
    KeyringError,
    MissingSecretError,
    WebhookKey,
    WebhookKeyring,
    parse_keyring,
    resolve_webhook_keyring,
    sign,
    verify_signatures,
)
from resources import WebhookSecretResource
from tests.conftest import assert_balanced, body, envelope, reasons, run_deliveries

OLD, NEW = "old-secret-7f3a9c", "new-secret-b41d22"
ROTATE = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)  # the new key is valid from here on
OVERLAP_END = ROTATE + dt.timedelta(hours=1)  # the old key's not_after
KEYRING = f"2026-06:{OLD};not_after=2026-07-01T13:00:00Z, 2026-07:{NEW};not_before=2026-07-01T12:00:00Z"


def _at(moment: dt.datetime, secret: str, case: str, *, key_id: str | None = None) -> str:
    """A delivery signed with `secret` at `moment` and received then (a distinct body per case)."""
    text = json.dumps(body("geo_audit", workflow_id=f"wf-{case}"))
    stamp = int(moment.timestamp())
    return envelope(text, received_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), header=sign(text, stamp, secret, key_id))


def _outcomes(lines: list[str], keyring: WebhookKeyring) -> list[list[str] | str]:
    """Per line: its reason codes, or "accepted"."""
    result = run_deliveries(lines, secret=keyring)
    assert_balanced(result)
    rejected = {r["source_line"]: r["reason_codes"] for r in result.quarantine.to_pylist()}
    return [rejected.get(line, "accepted") for line in range(1, len(lines) + 1)]


# ---------------------------------------------------------------------------------------------- rotation
def test_a_rotation_with_overlap_loses_no_delivery():
    keyring = parse_keyring(KEYRING)
    second = dt.timedelta(seconds=1)
    cases = {
        "old before the rotation": (ROTATE - dt.timedelta(hours=3), OLD),
        "old within the overlap": (ROTATE + dt.timedelta(minutes=30), OLD),
        "old at not_after (inclusive)": (OVERLAP_END, OLD),
        "new at not_before (inclusive)": (ROTATE, NEW),
        "new within the overlap": (ROTATE + dt.timedelta(minutes=30), NEW),
        "new after the overlap": (OVERLAP_END + dt.timedelta(hours=5), NEW),
        "old after not_after": (OVERLAP_END + second, OLD),
        "new before not_before": (ROTATE - second, NEW),
        "neither key": (ROTATE, "a-third-secret"),
    }
    lines = [_at(moment, secret, case) for case, (moment, secret) in cases.items()]
    assert dict(zip(cases, _outcomes(lines, keyring), strict=True)) == {
        "old before the rotation": "accepted",
        "old within the overlap": "accepted",
        "old at not_after (inclusive)": "accepted",
        "new at not_before (inclusive)": "accepted",
        "new within the overlap": "accepted",
        "new after the overlap": "accepted",
        "old after not_after": ["key_outside_window"],
        "new before not_before": ["key_outside_window"],
        "neither key": ["bad_signature"],
    }
    result = run_deliveries(lines, secret=keyring)
    assert result.verified_by_key == {"2026-06": 3, "2026-07": 3}


def test_the_tolerance_still_applies_inside_a_window():
    keyring = parse_keyring(KEYRING)
    text = json.dumps(body("geo_audit"))
    stamp = int((ROTATE + dt.timedelta(minutes=10)).timestamp())
    late = envelope(text, received_at="2026-07-01T12:20:00Z", header=sign(text, stamp, NEW))
    assert reasons(run_deliveries([late], secret=keyring)) == [["stale_signature"]]


def test_kid_selects_the_key():
    keyring = parse_keyring(KEYRING)
    within = ROTATE + dt.timedelta(minutes=30)
    cases = {
        "kid names the signing key": ("2026-07", NEW),
        "kid names the other key": ("2026-06", NEW),
        "kid unknown": ("2025-01", NEW),
        "kid of a key outside its window": ("2026-06", OLD),
    }
    moments = {"kid of a key outside its window": OVERLAP_END + dt.timedelta(minutes=1)}
    lines = [_at(moments.get(case, within), secret, case, key_id=kid) for case, (kid, secret) in cases.items()]
    assert dict(zip(cases, _outcomes(lines, keyring), strict=True)) == {
        "kid names the signing key": "accepted",
        "kid names the other key": ["bad_signature"],
        "kid unknown": ["unknown_key_id"],
        "kid of a key outside its window": ["key_outside_window"],
    }
    assert run_deliveries(lines[:1], secret=keyring).verified_by_key == {"2026-07": 1}


@pytest.mark.parametrize(
    "header",
    [
        "t={t},kid=,v1={v}",
        "t={t},kid=has space,v1={v}",
        "t={t},kid=" + "k" * 65 + ",v1={v}",
        "t={t},v1={v},kid=2026-07",
        "kid=2026-07,t={t},v1={v}",
        "t={t},kid=2026-07,kid=2026-07,v1={v}",
        "t={t},KID=2026-07,v1={v}",
    ],
)
def test_a_misplaced_or_malformed_kid_is_a_malformed_signature(header):
    text = json.dumps(body("geo_audit"))
    stamp = int(ROTATE.timestamp())
    digest = sign(text, stamp, NEW).split("v1=")[1]
    line = envelope(text, received_at="2026-07-01T12:00:00Z", header=header.format(t=stamp, v=digest))
    assert reasons(run_deliveries([line], secret=parse_keyring(KEYRING))) == [["malformed_signature"]]


def test_a_single_secret_is_the_default_key_and_accepts_a_kid_naming_it():
    text = json.dumps(body("geo_audit"))
    stamp = int(ROTATE.timestamp())
    line = envelope(text, received_at="2026-07-01T12:00:00Z", header=sign(text, stamp, NEW, "default"))
    result = run_deliveries([line], secret=NEW)
    assert (result.accepted, result.verified_by_key) == (1, {"default": 1})


# ---------------------------------------------------------------------------------------------- parsing
def test_the_keyring_format():
    keyring = parse_keyring(
        f" k1 : {OLD} ; not_before=2026-07-01T14:00:00+02:00 ;not_after=2026-07-02T00:00:00.5Z ,\n,k.2_-:{NEW}, "
    )
    assert keyring.key_ids == ("k1", "k.2_-")
    first, second = keyring.keys
    assert (first.secret, second.secret) == (OLD, NEW)
    assert first.not_before == int(ROTATE.timestamp())  # 14:00+02:00 is 12:00Z
    assert first.not_after == int(dt.datetime(2026, 7, 2, tzinfo=dt.UTC).timestamp())  # rounded down
    assert (second.not_before, second.not_after) == (None, None)
    assert parse_keyring("k:a=b+/c==").keys[0].secret == "a=b+/c=="  # base64 secrets keep their '='


SECRET_IN_ENTRY = "s3cr3t-value-never-shown"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (SECRET_IN_ENTRY, "no ':'"),
        (f":{SECRET_IN_ENTRY}", "key id"),
        (f"bad id:{SECRET_IN_ENTRY}", "key id"),
        ("k" * 65 + f":{SECRET_IN_ENTRY}", "key id"),
        ("k1:", "secret is empty"),
        ("k1: ;not_after=2026-07-01T00:00:00Z", "secret is empty"),
        (f"k1:{SECRET_IN_ENTRY};expires=2026-07-01T00:00:00Z", "attribute"),
        (f"k1:{SECRET_IN_ENTRY};not_after", "attribute"),
        (f"k1:{SECRET_IN_ENTRY};not_after=2026-07-01T00:00:00Z;not_after=2026-08-01T00:00:00Z", "twice"),
        (f"k1:{SECRET_IN_ENTRY};not_after=2026-07-01", "RFC 3339"),
        (f"k1:{SECRET_IN_ENTRY};not_after=2026-07-01T00:00:00", "RFC 3339"),
        (f"k1:{SECRET_IN_ENTRY};not_after=tomorrow", "RFC 3339"),
        (f"k1:{SECRET_IN_ENTRY};not_after=2026-13-01T00:00:00Z", "not a valid time"),
        (f"k1:{SECRET_IN_ENTRY};not_before=2026-08-01T00:00:00Z;not_after=2026-07-01T00:00:00Z", "after"),
        (f"k1:a,k1:{SECRET_IN_ENTRY}", "repeats"),
        (" , ,", "holds no key"),
    ],
)
def test_a_malformed_keyring_is_one_line_naming_the_variable_never_the_value(value, problem):
    with pytest.raises(KeyringError) as caught:
        parse_keyring(value)
    message = str(caught.value)
    assert message.startswith("OSA_WEBHOOK_SECRETS ") and problem in message
    assert "\n" not in message and SECRET_IN_ENTRY not in message
    assert value.strip(" ,") == "" or value not in message


def test_the_entry_is_named_by_position():
    with pytest.raises(KeyringError, match="entry 2: the secret is empty"):
        parse_keyring(f"k1:{OLD},k2:")


# ---------------------------------------------------------------------------------------------- resolution
@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("OSA_ENV", "production")
    monkeypatch.delenv("OSA_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("OSA_WEBHOOK_SECRETS", raising=False)
    return monkeypatch


def test_the_single_secret_alone_is_key_default(production):
    production.setenv("OSA_WEBHOOK_SECRET", OLD)
    keyring = WebhookSecretResource().keyring()
    assert keyring.key_ids == ("default",) and keyring.keys[0].secret == OLD
    assert WebhookSecretResource(secret=NEW).keyring().keys[0].secret == NEW


def test_both_variables_make_one_keyring(production):
    production.setenv("OSA_WEBHOOK_SECRET", NEW)
    production.setenv("OSA_WEBHOOK_SECRETS", f"2026-06:{OLD};not_after=2026-07-01T13:00:00Z")
    assert WebhookSecretResource().keyring().key_ids == ("default", "2026-06")
    assert WebhookSecretResource(secrets=f"a:{OLD},b:{NEW}").keyring().key_ids == ("default", "a", "b")
    production.setenv("OSA_WEBHOOK_SECRETS", f"default:{OLD}")
    with pytest.raises(KeyringError, match="OSA_WEBHOOK_SECRETS uses the key id 'default'") as caught:
        WebhookSecretResource().keyring()
    assert OLD not in str(caught.value) and NEW not in str(caught.value)


def test_the_keyring_alone_is_enough(production):
    production.setenv("OSA_WEBHOOK_SECRETS", KEYRING)
    assert WebhookSecretResource().keyring().key_ids == ("2026-06", "2026-07")


def test_no_secret_at_all_is_refused_outside_development_and_is_the_dev_key_in_it(production):
    with pytest.raises(MissingSecretError, match="OSA_WEBHOOK_SECRETS"):
        WebhookSecretResource().keyring()
    production.setenv("OSA_ENV", "development")
    keyring = WebhookSecretResource().keyring()
    assert keyring.key_ids == ("default",) and keyring.keys[0].secret == DEVELOPMENT_WEBHOOK_SECRET


@pytest.mark.parametrize("position", [0, 1, 2])
@pytest.mark.parametrize("env_name", ["production", "staging", "development"])
def test_the_development_secret_is_refused_by_value_in_every_key(production, position, env_name):
    production.setenv("OSA_ENV", env_name)
    secrets = [OLD, NEW, "third-secret-99"]
    secrets[position] = DEVELOPMENT_WEBHOOK_SECRET
    value = ",".join(f"k{i}:{secret};not_after=2027-01-01T00:00:00Z" for i, secret in enumerate(secrets))
    if env_name == "development":
        assert resolve_webhook_keyring(allow_development_secret=True, secrets=value).key_ids == ("k0", "k1", "k2")
        return
    with pytest.raises(MissingSecretError) as caught:
        resolve_webhook_keyring(allow_development_secret=False, secrets=value)
    message = str(caught.value)
    assert message.startswith(f"OSA_WEBHOOK_SECRETS (key 'k{position}') holds the documented development")
    assert "\n" not in message and not any(secret in message for secret in secrets)
    with pytest.raises(MissingSecretError, match="OSA_WEBHOOK_SECRETS"):
        WebhookSecretResource(secrets=value).keyring()


def test_the_development_secret_as_the_single_secret_next_to_a_keyring_is_refused(production):
    production.setenv("OSA_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET)
    production.setenv("OSA_WEBHOOK_SECRETS", f"k1:{NEW}")
    with pytest.raises(MissingSecretError, match="^OSA_WEBHOOK_SECRET holds") as caught:
        WebhookSecretResource().keyring()
    assert DEVELOPMENT_WEBHOOK_SECRET not in str(caught.value)


def test_no_secret_in_any_repr():
    keyring = parse_keyring(KEYRING)
    shown = [repr(keyring), str(keyring), repr(keyring.keys[0]), str(keyring.keys[1])]
    shown += [repr(WebhookSecretResource(secret=OLD, secrets=KEYRING))]
    for text in shown:
        assert OLD not in text and NEW not in text, text
    assert "2026-06" in repr(keyring) and "2026-07" in repr(keyring)


def test_a_keyring_needs_unique_ids_and_a_key():
    with pytest.raises(MissingSecretError):
        WebhookKeyring(())
    with pytest.raises(MissingSecretError) as caught:
        WebhookKeyring((WebhookKey("a", OLD), WebhookKey("a", NEW)))
    assert OLD not in str(caught.value)


# ---------------------------------------------------------------------------------------------- properties
def _reference(t: str, kid: str, digest: str, text: str, keyring: WebhookKeyring) -> tuple[str | None, str | None]:
    """(key id, reason) in plain Python, one delivery at a time: the specification the DuckDB path meets."""
    if kid and kid not in keyring.key_ids:
        return None, "unknown_key_id"
    matching = [
        key
        for key in keyring.keys
        if kid in ("", key.key_id)
        and hmac.compare_digest(
            hmac.new(key.secret.encode(), f"{t}.{text}".encode(), hashlib.sha256).hexdigest(), digest
        )
    ]
    valid = [key for key in matching if key.valid_at(int(t))]
    if valid:
        return valid[0].key_id, None
    return None, "key_outside_window" if matching else "bad_signature"


BASE = int(ROTATE.timestamp())
key_ids = st.text("abcdefgh0123456789._-", min_size=1, max_size=8)
# "sk_" marks a secret so that no message can contain it by chance; no ',' ';' or whitespace (the format's own)
secrets_text = (
    st.text(st.characters(exclude_characters=",;", exclude_categories=("Cs", "Z", "Cc")), min_size=1)
    .map(lambda text: "sk_" + text)
    .filter(lambda secret: secret == secret.strip())
)
bounds = st.one_of(st.none(), st.integers(BASE - 10_000, BASE + 10_000))


@st.composite
def keyrings(draw) -> WebhookKeyring:
    ids = draw(st.lists(key_ids, min_size=1, max_size=4, unique=True))
    keys = []
    for key_id in ids:
        low, high = draw(bounds), draw(bounds)
        if low is not None and high is not None and low > high:
            low, high = high, low
        keys.append(WebhookKey(key_id, draw(secrets_text), low, high))
    return WebhookKeyring(tuple(keys))


def _stamp(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keyring=keyrings(), data=st.data())
def test_duckdb_verification_matches_the_reference_over_random_keyrings(keyring, data):
    rows = []
    for i in range(data.draw(st.integers(1, 8))):
        signer = data.draw(st.one_of(st.sampled_from(keyring.keys), st.none()))
        secret = signer.secret if signer is not None else data.draw(secrets_text)
        t = BASE + data.draw(st.integers(-12_000, 12_000))
        kid = data.draw(
            st.sampled_from(["", "unknown-kid", *keyring.key_ids] + ([signer.key_id] * 2 if signer else []))
        )
        text = f'{{"n":{i}}}'
        rows.append((i, str(t), kid, sign(text, t, secret).split("v1=")[1], text))
    table = pa.Table.from_pylist(
        [dict(zip(("rid", "sig_t", "sig_kid", "sig_v1", "body"), r, strict=True)) for r in rows]
    )
    con = duckdb.connect()
    con.register("deliveries", table)
    got = verify_signatures(con, "SELECT * FROM deliveries", keyring).sort_by("rid")
    expected = [_reference(t, kid, v1, text, keyring) for _, t, kid, v1, text in rows]
    assert list(zip(got["key_id"].to_pylist(), got["signature_reason"].to_pylist(), strict=True)) == expected


@settings(max_examples=60, deadline=None)
@given(keyring=keyrings())
def test_a_written_keyring_parses_back_and_never_shows_a_secret(keyring):
    def entry(key: WebhookKey) -> str:
        window = [
            f";{name}={_stamp(value)}"
            for name, value in (("not_before", key.not_before), ("not_after", key.not_after))
            if value is not None
        ]
        return f"{key.key_id}:{key.secret}{''.join(window)}"

    text = ",".join(entry(key) for key in keyring.keys)
    assert parse_keyring(text) == keyring
    for broken in (f",{keyring.keys[0].key_id}:{keyring.keys[0].secret};oops", ",x y:z", f",{text}"):
        with pytest.raises(KeyringError) as caught:
            parse_keyring(text + broken)
        assert not any(key.secret in str(caught.value) for key in keyring.keys)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keyring=keyrings(), data=st.data())
def test_every_delivery_signed_by_a_key_valid_at_its_time_is_accepted_end_to_end(keyring, data):
    """Through the whole delivery path: whichever key signs and whether the header names it, a delivery signed
    inside the signing key's window is accepted, and one signed outside it is quarantined with the reason."""
    lines, expected = [], []
    for i, key in enumerate(keyring.keys):
        t = BASE + data.draw(st.integers(-10_500, 10_500))
        text = json.dumps(body("geo_audit", workflow_id=f"wf-{i}"))
        kid = data.draw(st.sampled_from([None, key.key_id]))
        lines.append(envelope(text, received_at=_stamp(t), header=sign(text, t, key.secret, kid)))
        outcome = _reference(str(t), kid or "", sign(text, t, key.secret).split("v1=")[1], text, keyring)
        expected.append("accepted" if outcome[1] is None else [outcome[1]])
    assert _outcomes(lines, keyring) == expected
    unlimited = [
        outcome for outcome, key in zip(expected, keyring.keys, strict=True) if key.not_before is None is key.not_after
    ]
    assert all(outcome == "accepted" for outcome in unlimited)
