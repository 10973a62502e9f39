"""``osa redact``: protect a JSONL file line by line.

    osa redact --input IN.jsonl --output OUT.jsonl [--policy storage|display|logging]
               [--classification internal] [--role admin] [--findings FINDINGS.jsonl]
               [--workers N] [--chunk-lines N] [--allow-dev-keys]

Every valid line (a JSON object) is written to OUT in the same order with the same
keys, every PII value protected per the policy. Lines that are not JSON objects are
*quarantined*, never silently dropped: each gets a row in ``OUT.quarantine`` (line
number and reason, never the line's content) and a one-line note on stderr, and
the exit status is 3 so a pipeline notices. Blank lines are skipped.

Exit status: 0 all lines redacted, 2 usage error / unreadable input / missing keys,
3 finished but some lines were quarantined.

Lines are read in chunks: each chunk's valid lines go through the lakehouse's frame path
(`PiiEngine.protect_documents`, one JSON column, the line number as record id), so memory does
not grow with the file and `osa redact` protects exactly as the warehouse does. With more than
one chunk, ``--workers`` processes (default: one per CPU, this one included) protect chunks side
by side and this one writes their results in input order; the output is byte-identical whatever
the count.

``main(argv)`` accepts the arguments with or without a leading ``redact``; the
lead wires ``add_redact_arguments`` + ``run_redact`` into the ``osa`` console script.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain
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
#: With several workers: smaller, so the last chunks do not leave a worker idle (each chunk costs
#: ~5% more than in 10,000-line chunks; 30,000 lines make 6 chunks, 3 per worker on 2 CPUs).
PARALLEL_CHUNK_LINES = 5_000


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
        "--workers",
        type=_worker_count,
        default=0,
        help="processes protecting chunks side by side, this one included (default 0: one per CPU; 1: this one only)",
    )
    parser.add_argument(
        "--chunk-lines",
        type=_positive,
        default=None,
        help=f"lines per chunk (default {CHUNK_LINES:,}; {PARALLEL_CHUNK_LINES:,} with several workers)",
    )
    parser.add_argument(
        "--allow-dev-keys",
        action="store_true",
        help="use the public DEVELOPMENT keys when OSA_PII_* keys are not set (tests, seed data)",
    )
    return parser


def _worker_count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of processes (0: one per CPU), got {text!r}")
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


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
    job = RedactJob(
        context=PolicyContext(operation=args.policy, classification=args.classification, role=args.role),
        table=str(args.input.name),
        findings=args.findings is not None,
        allow_dev_keys=args.allow_dev_keys,
    )
    try:
        engine = job.engine()  # built as every worker builds its own
    except PiiKeyError as exc:
        return _error(str(exc))
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
                source,
                out,
                engine,
                job,
                findings=findings_out,
                quarantine=quarantine,
                chunk_lines=args.chunk_lines,
                workers=_workers(args.workers),
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


@dataclass(frozen=True)
class RedactJob:
    """What every chunk is protected with. A worker process builds its own engine from it (the
    keys are read from its inherited environment, so no key material crosses a pipe)."""

    context: PolicyContext
    table: str
    findings: bool  # also return one JSON line per finding
    allow_dev_keys: bool = False

    def engine(self) -> PiiEngine:
        return PiiEngine(PiiKeys.from_env(allow_dev_keys=self.allow_dev_keys), Policy.default())


@dataclass
class ChunkResult:
    output: bytes  # the protected lines, in input order, each ending in a newline
    findings: bytes  # one JSON line per finding, in line order (empty unless asked)
    quarantined: list[tuple[int, str]]  # (line number, reason)
    written: int
    protected: int


def protect_chunk(engine: PiiEngine, job: RedactJob, lines: Sequence[tuple[int, bytes]]) -> ChunkResult:
    """Numbered non-blank JSONL lines through the frame path (`PiiEngine.protect_documents`, one JSON
    column, the line number as record id); lines that are not JSON objects are quarantined."""
    numbers: list[int] = []
    documents: list[str] = []
    quarantined: list[tuple[int, str]] = []
    for number, raw in lines:
        document, reason = _parsed(raw)
        if reason is not None:
            quarantined.append((number, reason))
        else:
            numbers.append(number)
            documents.append(document)
    if not documents:
        return ChunkResult(b"", b"", quarantined, 0, 0)
    result = engine.protect_documents(
        documents, context=job.context, table=job.table, record_ids=[str(n) for n in numbers], root_path=""
    )
    protected = result.frame[DOCUMENT_COLUMN].to_list()
    audit = result.audit
    findings = b""
    if job.findings and audit.height:
        # The frame path groups its audit rows by field hint: put them in line, then field path order
        # (the same whatever the chunking; within one field, in the order found in the text).
        # One JSON line per audit row plus its line number, written by polars (no per-row Python).
        ordered = audit.with_columns(line=pl.col("record_id").cast(pl.Int64))
        ordered = ordered.sort(["line", "field_path"], maintain_order=True)
        findings = ordered.write_ndjson().encode()
    return ChunkResult(("\n".join(protected) + "\n").encode(), findings, quarantined, len(protected), audit.height)


def redact_lines(
    source: Iterable[bytes],
    out: BinaryIO,
    engine: PiiEngine,
    job: RedactJob,
    *,
    findings: BinaryIO | None = None,
    quarantine: Callable[[int, str], None],
    chunk_lines: int | None = None,
    workers: int = 1,
) -> RedactCounts:
    """The body of ``osa redact``: JSONL lines in, protected lines out, in input order.

    Non-blank lines are taken ``chunk_lines`` at a time (default `CHUNK_LINES`, or
    `PARALLEL_CHUNK_LINES` with several workers) and each chunk goes through `protect_chunk`: in
    this process, or with ``workers`` > 1 in this one and ``workers - 1`` worker processes
    (`_WorkerPool`), written in input order. An input of a single chunk is protected here.
    Invalid lines go to ``quarantine(line number, reason)``.
    """
    size = chunk_lines or (CHUNK_LINES if workers <= 1 else PARALLEL_CHUNK_LINES)
    chunks = _chunks(source, size)
    first = next(chunks, None)
    if first is None:
        return RedactCounts()
    second = next(chunks, None) if workers > 1 else None
    if second is None:
        results: Iterator[ChunkResult] = (protect_chunk(engine, job, chunk) for chunk in chain([first], chunks))
        return _write_results(results, out, findings, quarantine)
    with _WorkerPool(workers, engine, job) as pool:
        return _write_results(pool.results(chain([first, second], chunks)), out, findings, quarantine)


def _chunks(source: Iterable[bytes], size: int) -> Iterator[list[tuple[int, bytes]]]:
    """(line number, line) of the non-blank lines, ``size`` at a time."""
    chunk: list[tuple[int, bytes]] = []
    for number, raw in enumerate(source, start=1):
        if raw.strip():
            chunk.append((number, raw))
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _write_results(
    results: Iterable[ChunkResult], out: BinaryIO, findings: BinaryIO | None, quarantine: Callable[[int, str], None]
) -> RedactCounts:
    counts = RedactCounts()
    for result in results:
        for number, reason in result.quarantined:
            quarantine(number, reason)
        out.write(result.output)
        if findings is not None:
            findings.write(result.findings)
        counts.written += result.written
        counts.protected += result.protected
        counts.quarantined += len(result.quarantined)
    return counts


def _workers(requested: int) -> int:
    """``--workers``: 0 means one per CPU this process may run on."""
    return requested or len(os.sched_getaffinity(0))


_WORKER_STATE: tuple[PiiEngine, RedactJob] | None = None


def _start_worker(job: RedactJob) -> None:
    global _WORKER_STATE
    _WORKER_STATE = (job.engine(), job)


def _worker_chunk(lines: list[tuple[int, bytes]]) -> ChunkResult:
    assert _WORKER_STATE is not None, "worker not started"
    engine, job = _WORKER_STATE
    return protect_chunk(engine, job, lines)


class _WorkerPool:
    """This process and ``workers - 1`` worker processes protecting chunks side by side; results
    come back in input order, with a bounded number of chunks in flight so memory stays flat
    whatever the file size.

    A chunk goes to a worker when one is free, else this process protects it: this process is
    already warm, while a worker needs ~1 s to start (import and first-call caches), during which
    this one has done the first chunks. Workers are *spawned*, not forked: polars' allocator
    threads are already running here, and a forked child can inherit one of their locks held.
    """

    def __init__(self, workers: int, engine: PiiEngine, job: RedactJob) -> None:
        self._workers = workers - 1
        self._engine, self._job = engine, job
        # Each process's polars gets its share of the CPUs (a worker's polars sizes its thread pool
        # on import, from the environment it inherits; more threads than cores only add contention).
        self._threads_set = "POLARS_MAX_THREADS" not in os.environ
        if self._threads_set:
            os.environ["POLARS_MAX_THREADS"] = str(max(1, len(os.sched_getaffinity(0)) // workers))
        self._executor = ProcessPoolExecutor(
            self._workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(job,)
        )

    def __enter__(self) -> _WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._executor.shutdown(wait=True, cancel_futures=True)
        finally:
            if self._threads_set:
                os.environ.pop("POLARS_MAX_THREADS", None)

    def results(self, chunks: Iterable[list[tuple[int, bytes]]]) -> Iterator[ChunkResult]:
        pending: deque[Future[ChunkResult] | ChunkResult] = deque()
        limit = 2 * (self._workers + 1)
        for chunk in chunks:
            busy = sum(1 for item in pending if isinstance(item, Future) and not item.done())
            if busy < 2 * self._workers:  # one running and one queued per worker: never idle
                pending.append(self._executor.submit(_worker_chunk, chunk))
            else:
                pending.append(protect_chunk(self._engine, self._job, chunk))
            while pending and (len(pending) > limit or _ready(pending[0])):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())


def _ready(item: Future[ChunkResult] | ChunkResult) -> bool:
    return not isinstance(item, Future) or item.done()


def _result(item: Future[ChunkResult] | ChunkResult) -> ChunkResult:
    return item.result() if isinstance(item, Future) else item


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
