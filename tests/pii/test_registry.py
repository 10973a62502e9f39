"""The recognizer registry: context words written once, recognizers switched off by configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from osa.pii import PiiEngine, PiiKeys
from osa.pii.recognizers import DISABLED_ENV, all_recognizers, enabled_recognizers, names_of

OSA = str(Path(sys.executable).with_name("osa"))
BIRTH_SENTENCE = "She was born on 4 March 1986 in Leeds."


def test_keywords_are_the_context_rule_and_the_prefilter_of_a_context_required_recognizer():
    declared = [r for r in all_recognizers() if type(r).__dict__.get("keywords")]
    assert len(declared) >= 8
    for recognizer in declared:
        words = "|".join(recognizer.keywords)
        if "context" not in type(recognizer).__dict__:
            assert recognizer.context.pattern == words, recognizer.name
        if recognizer.context_required and "prefilter" not in type(recognizer).__dict__:
            assert recognizer.prefilter == f"(?i){words}", recognizer.name
        assert recognizer.context.search(recognizer.keywords[0].replace("\\b", "").replace("\\s+", " ")), (
            recognizer.name
        )


def test_names_are_unique_so_configuration_can_address_each_recognizer():
    names = names_of(all_recognizers())
    assert len(names) == len(set(names))


def test_a_disabled_recognizer_finds_nothing_and_the_rest_still_work():
    everything = PiiEngine(PiiKeys.development())
    assert "dob" in {f.pii_type for f in everything.analyze(BIRTH_SENTENCE)}
    without_dob = PiiEngine(PiiKeys.development(), recognizers=enabled_recognizers(["dob_context"]))
    assert "dob_context" not in names_of(without_dob.recognizers)
    assert "dob" not in {f.pii_type for f in without_dob.analyze(BIRTH_SENTENCE)}
    assert {f.pii_type for f in without_dob.analyze("mail jane@example.com")} == {"email"}


def test_the_environment_configures_the_default_registry(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(DISABLED_ENV, " dob_context , ipv4 ")
    engine = PiiEngine(PiiKeys.development())
    assert {"dob_context", "ipv4"}.isdisjoint(names_of(engine.recognizers))
    assert len(engine.recognizers) == len(all_recognizers()) - 2
    monkeypatch.setenv(DISABLED_ENV, "")
    assert len(PiiEngine(PiiKeys.development()).recognizers) == len(all_recognizers())


def test_an_unknown_name_is_an_error_not_a_silent_no_op():
    with pytest.raises(ValueError, match=f"{DISABLED_ENV} names unknown recognizers: dob_kontext"):
        enabled_recognizers(["dob_kontext"])


def test_osa_redact_names_a_misconfigured_registry_in_one_line(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"note": BIRTH_SENTENCE}) + "\n")
    env = {**os.environ, DISABLED_ENV: "dob_kontext"}
    done = subprocess.run(
        [OSA, "redact", "--input", str(source), "--output", str(tmp_path / "out.jsonl"), "--allow-dev-keys"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and DISABLED_ENV in lines[0] and "dob_kontext" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
