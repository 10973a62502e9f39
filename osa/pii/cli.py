"""``osa redact``: protect a JSONL file line by line.

    osa redact --input IN.jsonl --output OUT.jsonl [--policy storage|display|logging]
               [--classification internal] [--role admin] [--findings FINDINGS.jsonl]
               [--allow-dev-keys]

Every valid line (a JSON object) is written to OUT in the same order with the same
keys, every PII value protected per the policy. Lines that are not JSON objects are
*quarantined*, never silently dropped: each gets a row in ``OUT.quarantine`` (line
number and reason, never the line's content) and a one-line note on stderr, and
the exit status is 3 so a pipeline notices. Blank lines are skipped.

Exit status: 0 all lines redacted, 2 usage error / unreadable input / missing keys,
3 finished but some lines were quarantined.

``main(argv)`` accepts the arguments with or without a leading ``redact``; the
lead wires ``add_redact_arguments`` + ``run_redact`` into the ``osa`` console script.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import orjson

from .engine import MAX_JSON_DEPTH, PiiEngine, too_deep
from .keys import PiiKeyError, PiiKeys
from .policy import CLASSIFICATIONS, OPERATIONS, ROLES, Policy, PolicyContext

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_QUARANTINED = 3


def add_redact_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--input", required=True, type=Path, help="JSONL file, one JSON object per line")
    parser.add_argument("--output", required=True, type=Path, help="protected JSONL file to write")
    parser.add_argument(
        "--policy", choices=OPERATIONS, default="storage", help="operation the output is for (default: storage)"
    )
    parser.add_argument("--classification", choices=CLASSIFICATIONS, default="internal")
    parser.add_argument("--role", choices=ROLES, default="admin")
    parser.add_argument(
        "--findings",
        type=Path,
        help="also write one JSON line per finding (type, path, mode, fingerprint; no raw values)",
    )
    parser.add_argument(
        "--allow-dev-keys",
        action="store_true",
        help="use the public DEVELOPMENT keys when OSA_PII_* keys are not set (tests, seed data)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="osa redact", description="Protect PII in a JSONL file.")
    return add_redact_arguments(parser)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["redact"]:
        args_list = args_list[1:]
    try:
        args = build_parser().parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors; keep that as a return value
        return int(exc.code or 0)
    return run_redact(args)


def _error(message: str) -> int:
    print(f"osa redact: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_redact(args: argparse.Namespace, *, stderr: TextIO | None = None) -> int:
    err = stderr or sys.stderr
    if not args.input.is_file():
        return _error(f"cannot read input {args.input}: no such file")
    try:
        keys = PiiKeys.from_env(allow_dev_keys=args.allow_dev_keys)
    except PiiKeyError as exc:
        return _error(str(exc))
    engine = PiiEngine(keys, Policy.default())
    context = PolicyContext(operation=args.policy, classification=args.classification, role=args.role)
    quarantine_path = args.output.with_name(args.output.name + ".quarantine")
    try:
        source = args.input.open("rb")
    except OSError as exc:
        return _error(f"cannot read input {args.input}: {exc.strerror}")
    written = quarantined = findings_count = 0
    findings_out = args.findings.open("wb") if args.findings else None
    quarantine_out = None
    try:
        with source, args.output.open("wb") as out:
            for number, raw in enumerate(source, start=1):
                if not raw.strip():
                    continue
                reason = None
                try:
                    record = orjson.loads(raw)
                    if not isinstance(record, dict):
                        reason = f"expected a JSON object, got {type(record).__name__}"
                    elif too_deep(record):
                        reason = f"nested deeper than {MAX_JSON_DEPTH} levels"
                except orjson.JSONDecodeError as exc:
                    reason = f"invalid JSON ({_position(exc)})"
                except UnicodeDecodeError:
                    reason = "not UTF-8"
                if reason is not None:
                    quarantined += 1
                    if quarantine_out is None:
                        quarantine_out = quarantine_path.open("wb")
                    quarantine_out.write(orjson.dumps({"line": number, "reason": reason}) + b"\n")
                    print(f"osa redact: line {number} quarantined: {reason}", file=err)
                    continue
                protected, audit = engine.protect_value_with_audit(
                    record, context=context, table=str(args.input.name), record_id=str(number)
                )
                out.write(orjson.dumps(protected) + b"\n")
                written += 1
                if findings_out is not None and audit.height:
                    for row in audit.iter_rows(named=True):
                        row["line"] = number
                        findings_out.write(orjson.dumps(row) + b"\n")
                findings_count += audit.height
    except OSError as exc:
        return _error(f"I/O error: {exc.strerror or exc}")
    finally:
        if findings_out is not None:
            findings_out.close()
        if quarantine_out is not None:
            quarantine_out.close()
    summary = f"osa redact: {written} lines written, {findings_count} values protected, {quarantined} quarantined"
    if quarantined:
        summary += f" (see {quarantine_path})"
    print(summary, file=err)
    return EXIT_QUARANTINED if quarantined else EXIT_OK


def _position(exc: orjson.JSONDecodeError) -> str:
    """Where parsing failed, without echoing any of the line's content."""
    return f"line column {exc.colno}" if getattr(exc, "colno", None) else "unparseable"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
