"""Every benchmark command bench/README.md shows is accepted by its script: the script exists, parses its
arguments, and knows every flag the documentation uses (runs `--help`, never the benchmark itself)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = re.compile(r"^\.venv/bin/python (bench/\w+\.py)(.*)$")


def documented_commands() -> list[tuple[str, str]]:
    commands, in_code = [], False
    for line in (ROOT / "bench" / "README.md").read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        match = COMMAND.match(line.strip()) if in_code else None
        if match:
            commands.append((match.group(1), match.group(2).split("#")[0]))
    return commands


def test_the_readme_documents_benchmark_commands():
    assert len({script for script, _ in documented_commands()}) >= 6


@pytest.mark.parametrize("script,arguments", documented_commands())
def test_a_documented_benchmark_command_is_accepted(script: str, arguments: str):
    assert (ROOT / script).is_file(), script
    done = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", arguments):
        assert flag in done.stdout, f"{script} does not take {flag} (bench/README.md documents it)"
