"""Benchmark: ``osa redact`` (a whole process) vs the in-process frame path vs Presidio, same records.

    .venv/bin/python bench/redact.py [--records 30000] [--presidio-records N] [--out DIR] [--json out.json]

Builds a nested JSONL file of ``--records`` records from the two PII corpora (``pii_corpus.py``'s intake
forms and agent runs with their JSON columns parsed into nested objects, and ``pii_heldout.py``'s
CRM / clinic / identity payloads, dev split), then in the same run times

* ``osa redact`` as a subprocess: wall clock including interpreter start-up, engine load and file I/O,
  with the child's peak RSS (``/usr/bin/time -v`` when present, else ``getrusage(RUSAGE_CHILDREN)``);
* the frame path in this process (`PiiEngine.protect_documents` on the same documents, engine warm);
* Presidio ``AnalyzerEngine.analyze`` + ``AnonymizerEngine.anonymize`` on every string leaf of the same
  records, with the offline ``no_op`` NLP engine, as ``bench/pii.py`` sets it up. It runs on all records
  unless ``--presidio-records N`` takes the first N (the report says so when the counts differ).

The load average is printed first: the machine is shared, so figures move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pii_heldout  # noqa: E402
from pii_corpus import build_corpus  # noqa: E402

from osa.pii import PiiEngine, PiiKeys, PolicyContext  # noqa: E402

FORM_JSON = ("answers",)
AGENT_JSON = ("tool_calls",)


def records(count: int, seed: int = 20240601) -> list[dict[str, Any]]:
    """``count`` nested records: about 2/3 from pii_corpus (forms, agent runs), 1/3 from pii_heldout."""
    heldout = count // 3
    corpus = build_corpus(count - heldout, seed=seed)
    nested: list[dict[str, Any]] = []
    for items, json_columns in ((corpus.forms, FORM_JSON), (corpus.agents, AGENT_JSON)):
        for record in items:
            nested.append({k: json.loads(v) if k in json_columns and v else v for k, v in record.items()})
    nested.extend(pii_heldout.build("dev", heldout).docs)
    random.Random(seed).shuffle(nested)
    return nested


def write_jsonl(path: Path, docs: list[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(doc) + b"\n" for doc in docs))


def run_cli(source: Path, out: Path, workers: int = 0) -> tuple[float, float | None, float]:
    """Wall seconds, peak RSS (MiB, the largest single process) and CPU seconds (user + system, worker
    processes included) of ``osa redact --workers N`` as a whole process (0: its default, one per CPU)."""
    command = [sys.executable, "-m", "osa.cli", "redact", "--input", str(source), "--output", str(out)]
    command += ["--findings", str(out.with_suffix(".findings.jsonl")), "--allow-dev-keys", "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if timer:
        command = [timer, "-v", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        raise SystemExit(f"osa redact failed ({done.returncode}): {done.stderr[-2000:]}")
    if timer:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        return seconds, int(match.group(1)) / 1024 if match else None, cpu
    return seconds, after.ru_maxrss / 1024, cpu


def _protect(engine: PiiEngine, documents: list[str], context: PolicyContext):
    if hasattr(engine, "protect_documents"):
        return engine.protect_documents(documents, context=context, record_ids=[str(i) for i in range(len(documents))])
    # Before `protect_documents` existed (measuring the old code): the same frame, one JSON column.
    frame = pl.DataFrame({"record_id": [str(i) for i in range(len(documents))], "document": documents})
    return engine.protect_frame(
        frame, table="", record_id_column="record_id", context=context, json_columns=["document"]
    )


def run_frame(documents: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this process and findings of the frame path on ``documents``."""
    engine = PiiEngine(PiiKeys.development())
    context = PolicyContext(operation="storage", classification="internal", role="admin")
    _protect(engine, documents[:200], context)  # warm up (lexicons, caches of the first values)
    engine = PiiEngine(PiiKeys.development())  # fresh operator caches: no value is tokenized before the run
    start, cpu = time.perf_counter(), time.process_time()
    findings = 0
    for offset in range(0, len(documents), 10_000):
        findings += _protect(engine, documents[offset : offset + 10_000], context).audit.height
    return time.perf_counter() - start, time.process_time() - cpu, findings


def _leaves(value: Any, key: str | None, out: list[tuple[str, str | None]]) -> None:
    if isinstance(value, str):
        out.append((value, key))
    elif isinstance(value, dict):
        for k, item in value.items():
            _leaves(item, str(k), out)
    elif isinstance(value, list):
        for item in value:
            _leaves(item, key, out)


def run_presidio(docs: list[dict[str, Any]]) -> float:
    from pii import _quiet_presidio

    from osa.pii.fields import key_words

    _quiet_presidio()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    nlp = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "no_op", "models": [{"lang_code": "en", "model_name": "no_op"}]}
    ).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    analyzer.analyze("warm up jane@example.com", language="en")
    start = time.perf_counter()
    for doc in docs:
        leaves: list[tuple[str, str | None]] = []
        _leaves(doc, None, leaves)
        for text, field in leaves:
            if not text:
                continue
            results = analyzer.analyze(text=text, language="en", context=key_words(field) if field else None)
            anonymizer.anonymize(text=text, analyzer_results=results)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=30_000, help="records in the JSONL file (default 30000)")
    parser.add_argument(
        "--presidio-records", type=int, default=None, help="Presidio on the first N records (default: all)"
    )
    parser.add_argument("--no-presidio", action="store_true", help="skip Presidio")
    parser.add_argument("--out", type=Path, default=None, help="directory for the files (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    if args.out is None:
        import tempfile

        out_dir = Path(tempfile.mkdtemp(prefix="osa-redact-bench-"))
    else:
        out_dir = args.out
        out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    docs = records(args.records)
    source = out_dir / "records.jsonl"
    write_jsonl(source, docs)
    size = source.stat().st_size / 2**20
    print(f"{len(docs):,} nested records, {size:.1f} MiB, built in {time.perf_counter() - start:.1f}s")

    figures: dict[str, Any] = {"records": len(docs), "load_average": load}
    for workers, label in ((1, "osa redact --workers 1"), (0, f"osa redact (default: {os.cpu_count()} workers)")):
        seconds, rss, cpu = run_cli(source, out_dir / f"redacted-{workers}.jsonl", workers)
        rate = len(docs) / seconds
        key = "cli" if workers == 0 else "cli_one_worker"
        figures |= {f"{key}_seconds": seconds, f"{key}_cpu_seconds": cpu, f"{key}_records_per_s": rate}
        figures[f"{key}_peak_rss_mib"] = rss
        rss_text = f", peak RSS {rss:,.0f} MiB" if rss else ""
        print(f"{label + ' (whole process):':<48}{seconds:.2f}s, {rate:,.0f} records/s{rss_text}; CPU {cpu:.2f}s")
    same = (out_dir / "redacted-1.jsonl").read_bytes() == (out_dir / "redacted-0.jsonl").read_bytes()
    print(f"output identical with 1 and {os.cpu_count()} workers: {same}")
    cli_rate = figures["cli_records_per_s"]

    documents = [orjson.dumps(doc).decode() for doc in docs]
    seconds, cpu, findings = run_frame(documents)
    frame_rate = len(docs) / seconds
    figures |= {"frame_seconds": seconds, "frame_cpu_seconds": cpu, "frame_records_per_s": frame_rate}
    figures["findings"] = findings
    print(
        f"{'frame path (in process, warm caches):':<48}{seconds:.2f}s, {frame_rate:,.0f} records/s, "
        f"{findings:,} values protected; CPU {cpu:.2f}s"
    )

    if not args.no_presidio:
        count = len(docs) if args.presidio_records is None else min(args.presidio_records, len(docs))
        seconds = run_presidio(docs[:count])
        presidio_rate = count / seconds
        figures |= {"presidio_records": count, "presidio_records_per_s": presidio_rate}
        note = "" if count == len(docs) else f"  [NOT the same count: {count:,} of {len(docs):,} records]"
        print(f"presidio (no_op NLP):       {seconds:.2f}s on {count:,} records, {presidio_rate:,.1f} records/s{note}")
        print(
            f"ratio: osa redact whole process {cli_rate / presidio_rate:,.0f}x Presidio, "
            f"frame path {frame_rate / presidio_rate:,.0f}x"
        )
        figures |= {"ratio_cli": cli_rate / presidio_rate, "ratio_frame": frame_rate / presidio_rate}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
