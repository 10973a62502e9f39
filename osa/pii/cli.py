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

Lines are read in chunks of ``CHUNK_LINES``: each chunk's valid lines go through the
lakehouse's frame path (`PiiEngine.protect_documents`, one JSON column, the line number as
record id), so memory does not grow with the file and `osa redact` protects exactly as the
warehouse does.

``main(argv)`` accepts the arguments with or without a leading ``redact``; the
lead wires ``add_redact_arguments`` + ``run_redact`` into the ``osa`` console script.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

import orjson
import polars as pl

from .engine import DOCUMENT_COLUMN, MAX_JSON_DEPTH, PiiEngine, too_deep
from .keys import PiiKeyError, PiiKeys
from .policy import CLASSIFICATIONS, OPERATIONS, ROLES, Policy, PolicyContext

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_QUARANTINED = 3
#: Lines per frame-path call: large enough to amortise the columnar passes, small enough to keep memory flat.
CHUNK_LINES = 10_000


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
    findings_out = None
    quarantine_out = None

    def quarantine(number: int, reason: str) -> None:
        nonlocal quarantine_out
        if quarantine_out is None:
            quarantine_out = quarantine_path.open("wb")
        quarantine_out.write(orjson.dumps({"line": number, "reason": reason}) + b"\n")
        print(f"osa redact: line {number} quarantined: {reason}", file=err)

    try:
        findings_out = args.findings.open("wb") if args.findings else None
        with source, args.output.open("wb") as out:
            counts = redact_lines(
                source, out, engine, context, table=str(args.input.name), findings=findings_out, quarantine=quarantine
            )
    except OSError as exc:
        return _error(f"I/O error: {exc.strerror or exc}")
    finally:
        if findings_out is not None:
            findings_out.close()
        if quarantine_out is not None:
            quarantine_out.close()
    written, findings_count, quarantined = counts.written, counts.protected, counts.quarantined
    summary = f"osa redact: {written} lines written, {findings_count} values protected, {quarantined} quarantined"
    if quarantined:
        summary += f" (see {quarantine_path})"
    print(summary, file=err)
    return EXIT_QUARANTINED if quarantined else EXIT_OK


@dataclass
class RedactCounts:
    written: int = 0  # lines written to the output
    protected: int = 0  # values protected (findings)
    quarantined: int = 0  # lines quarantined


def redact_lines(
    source: Iterable[bytes],
    out: BinaryIO,
    engine: PiiEngine,
    context: PolicyContext,
    *,
    table: str,
    findings: BinaryIO | None = None,
    quarantine: Callable[[int, str], None],
    chunk_lines: int = CHUNK_LINES,
) -> RedactCounts:
    """The body of ``osa redact``: JSONL lines in, protected lines out, in input order.

    Each line is validated (``_invalid``); an invalid one goes to ``quarantine(line number,
    reason)``. Valid lines are gathered ``chunk_lines`` at a time and protected by the frame
    path in one call; their findings are written as JSON lines with the line number.
    """
    counts = RedactCounts()
    numbers: list[int] = []
    documents: list[str] = []

    def flush() -> None:
        result = engine.protect_documents(
            documents, context=context, table=table, record_ids=[str(n) for n in numbers], root_path=""
        )
        protected = result.frame[DOCUMENT_COLUMN].to_list()
        out.write(("\n".join(protected) + "\n").encode())
        counts.written += len(protected)
        audit = result.audit
        counts.protected += audit.height
        if findings is not None and audit.height:
            # The frame path groups its audit rows by field hint: put them back in line order.
            # One JSON line per audit row plus its line number, written by polars (no per-row Python).
            audit.with_columns(line=pl.col("record_id").cast(pl.Int64)).sort("line", maintain_order=True).write_ndjson(
                findings
            )
        numbers.clear()
        documents.clear()

    for number, raw in enumerate(source, start=1):
        if not raw.strip():
            continue
        document, reason = _parsed(raw)
        if reason is not None:
            counts.quarantined += 1
            quarantine(number, reason)
            continue
        numbers.append(number)
        documents.append(document)
        if len(documents) >= chunk_lines:
            flush()
    if documents:
        flush()
    return counts


def _parsed(raw: bytes) -> tuple[str, None] | tuple[None, str]:
    """A line as the frame path gets it (re-serialized by orjson, as every output line is) or
    why it is quarantined: not a JSON object, nested too deep, not UTF-8."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, f"invalid JSON ({_position(exc)})"
    except UnicodeDecodeError:
        return None, "not UTF-8"
    if not isinstance(record, dict):
        return None, f"expected a JSON object, got {type(record).__name__}"
    # Depth needs as many brackets as levels: most lines have too few to need the walk.
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH and too_deep(record):
        return None, f"nested deeper than {MAX_JSON_DEPTH} levels"
    return orjson.dumps(record).decode(), None


def _position(exc: orjson.JSONDecodeError) -> str:
    """Where parsing failed, without echoing any of the line's content."""
    return f"line column {exc.colno}" if getattr(exc, "colno", None) else "unparseable"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
