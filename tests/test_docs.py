"""The documentation's contract tables are generated from the contracts; they must not drift."""

from pathlib import Path

from osa.contracts.render import BEGIN, END, render

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-contracts.md"


def test_contract_tables_match_the_declared_contracts():
    text = DOC.read_text()
    generated = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert generated == render(), "run: python -m osa.contracts.render and paste into docs/data-contracts.md"


def test_readme_starts_with_the_two_commands():
    lines = (DOC.parents[1] / "README.md").read_text().splitlines()
    commands = [line for line in lines[:8] if line.startswith("bash scripts/")]
    assert commands[0].startswith("bash scripts/setup.sh && .venv/bin/osa run")
    assert commands[1].startswith("bash scripts/test.sh")
