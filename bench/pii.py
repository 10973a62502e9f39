"""Benchmark: OSA PII engine vs Microsoft Presidio on the labeled corpus.

    .venv/bin/python bench/pii.py [--records 6000] [--presidio-sample N] [--runs 2] [--json out.json]

Presidio runs on the same records as the engine (like for like) unless --presidio-sample N draws N of them
for a quicker look; the speed-up printed is then per record on different record sets, which overstates it.

Accuracy (same definitions for both engines):

* recall per type: a labeled PII value counts as caught when predicted spans (of any
  type) cover >= 80% of its non-space characters — what matters is that it is gone;
* keep-rate: share of non-PII whitespace tokens (in every string leaf) that no
  predicted span touches; also per hard-negative kind;
* precision: share of predicted spans that touch a labeled PII value;
* F2 = 5PR / (4P + R) with micro recall (recall weighs more than precision);
* clean records: PII-free records left completely untouched.

Speed: records/s of ``protect_frame`` (detect + protect + audit + subject index) in
one process, vs Presidio ``AnalyzerEngine.analyze`` + ``AnonymizerEngine.anonymize``
over every string leaf of a record sample. Presidio runs with its default
recognizers and the offline ``no_op`` NLP engine (no spaCy model), and gets each
field name as ``context`` (its way of being field-aware).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_corpus import Corpus, build_corpus  # noqa: E402

from osa.pii import PiiEngine, PiiKeys, PolicyContext  # noqa: E402
from osa.pii.fields import key_words  # noqa: E402
from osa.pii.types import ALL_TYPES  # noqa: E402

FORM_JSON = ("answers",)
AGENT_JSON = ("tool_calls",)
JSON_COLUMNS = {"forms": FORM_JSON, "agents": AGENT_JSON}
RECORD_ID = {"forms": "submission_id", "agents": "run_id"}
COVERAGE = 0.8
TYPES = ALL_TYPES  # the engine's 14 types (osa.pii.types)
STRUCTURED = ("email", "phone", "ssn", "credit_card", "ip_address", "bank_account", "tax_id")
PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "US_SSN": "ssn",
    "CREDIT_CARD": "credit_card",
    "US_PASSPORT": "passport",
    "US_DRIVER_LICENSE": "drivers_license",
    "IP_ADDRESS": "ip_address",
    "IBAN_CODE": "bank_account",
    "US_BANK_NUMBER": "bank_account",
    "ABA_ROUTING_NUMBER": "bank_account",
    "US_ITIN": "tax_id",
    "UK_NINO": "tax_id",
    "UK_NHS": "medical_record",
    "MEDICAL_LICENSE": "medical_record",
    "DATE_TIME": "dob",
    "PERSON": "name",
    "LOCATION": "address",
}

Key = tuple[str, int, str]  # (frame, row, field_path)


# --------------------------------------------------------------------------- frames and leaves
def frames_of(corpus: Corpus) -> dict[str, pl.DataFrame]:
    forms = pl.DataFrame(corpus.forms, schema_overrides={"tags": pl.List(pl.String)})
    agents = pl.DataFrame(corpus.agents, schema_overrides={"recipients": pl.List(pl.String)})
    return {"forms": forms, "agents": agents}


def _json_leaves(value: Any, path: str, key: str | None, out: list[tuple[str, str, str | None]]) -> None:
    if isinstance(value, str):
        out.append((path, value, key))
    elif isinstance(value, dict):
        for k, item in value.items():
            _json_leaves(item, f"{path}.{k}", k, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_leaves(item, f"{path}[{index}]", key, out)


def leaves_of(corpus: Corpus) -> dict[Key, tuple[str, str | None]]:
    """Every string leaf of every record: (frame,row,path) -> (text, nearest key)."""
    leaves: dict[Key, tuple[str, str | None]] = {}
    for frame, records, json_cols in (("forms", corpus.forms, FORM_JSON), ("agents", corpus.agents, AGENT_JSON)):
        for row, record in enumerate(records):
            for column, value in record.items():
                found: list[tuple[str, str, str | None]] = []
                if column in json_cols:
                    _json_leaves(json.loads(value), column, column, found)
                else:
                    _json_leaves(value, column, column, found)
                for path, text, key in found:
                    leaves[(frame, row, path)] = (text, key)
    return leaves


# --------------------------------------------------------------------------- scoring
def _covered(spans: list[tuple[int, int]], start: int, end: int, text: str) -> bool:
    wanted = [i for i in range(start, end) if not text[i].isspace()]
    if not wanted:
        return True
    hit = sum(1 for i in wanted if any(s <= i < e for s, e in spans))
    return hit / len(wanted) >= COVERAGE


def score(
    corpus: Corpus,
    leaves: dict[Key, tuple[str, str | None]],
    predictions: dict[Key, list[tuple[int, int, str]]],
    rows: set[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """Recall/keep-rate/precision/F2 over the records in ``rows`` (all when None)."""

    def included(frame: str, row: int) -> bool:
        return rows is None or (frame, row) in rows

    labels_by_leaf: dict[Key, list] = defaultdict(list)
    for label in corpus.labels:
        if included(label.frame, label.row):
            labels_by_leaf[(label.frame, label.row, label.field_path)].append(label)
    caught: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    typed_ok = 0
    for key, labels in labels_by_leaf.items():
        text = leaves[key][0]
        spans = [(s, e) for s, e, _ in predictions.get(key, [])]
        for label in labels:
            bucket = label.pii_type
            hit = _covered(spans, label.start, label.end, text)
            caught[bucket][0] += hit
            caught[bucket][1] += 1
            if label.pii_type == "name" and not label.in_lexicon:
                caught["name (out of lexicon)"][0] += hit
                caught["name (out of lexicon)"][1] += 1
            if hit and any(
                t == label.pii_type and s < label.end and label.start < e for s, e, t in predictions.get(key, [])
            ):
                typed_ok += 1
    # keep-rate over non-PII tokens; precision over predicted spans
    kept = total_tokens = 0
    true_spans = predicted = 0
    for key, (text, _) in leaves.items():
        if not included(key[0], key[1]):
            continue
        labels = labels_by_leaf.get(key, [])
        preds = predictions.get(key, [])
        position = 0
        for token in text.split():
            start = text.index(token, position)
            end = position = start + len(token)
            if any(lb.start < end and start < lb.end for lb in labels):
                continue
            total_tokens += 1
            kept += not any(s < end and start < e for s, e, _ in preds)
        for s, e, _ in preds:
            predicted += 1
            true_spans += any(lb.start < e and s < lb.end for lb in labels)
    negatives: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for neg in corpus.negatives:
        if not included(neg.frame, neg.row):
            continue
        preds = predictions.get((neg.frame, neg.row, neg.field_path), [])
        negatives[neg.kind][0] += not any(s < neg.end and neg.start < e for s, e, _ in preds)
        negatives[neg.kind][1] += 1
    clean_total = [key for key in corpus.pii_free if included(*key)]
    touched = {(k[0], k[1]) for k, v in predictions.items() if v}
    clean_kept = sum(1 for key in clean_total if key not in touched)
    hits = sum(v[0] for k, v in caught.items() if k in TYPES)
    total = sum(v[1] for k, v in caught.items() if k in TYPES)
    recall = hits / total if total else 0.0
    precision = true_spans / predicted if predicted else 0.0
    f2 = 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0
    return {
        "recall": recall,
        "precision": precision,
        "f2": f2,
        "typed_recall": typed_ok / total if total else 0.0,
        "keep_rate": kept / total_tokens if total_tokens else 1.0,
        "clean_records": clean_kept / len(clean_total) if clean_total else 1.0,
        "per_type": {k: (v[0] / v[1], v[1]) for k, v in caught.items()},
        "negatives": {k: (v[0] / v[1], v[1]) for k, v in negatives.items()},
        "labels": total,
        "predicted": predicted,
    }


# --------------------------------------------------------------------------- engines
def run_ours(corpus: Corpus, frames: dict[str, pl.DataFrame], runs: int) -> tuple[dict, list[float], float]:
    t0 = time.perf_counter()
    engine = PiiEngine(PiiKeys.development())
    engine.analyze("warm up Jane Doe lexicons 555-0100")  # loads name lists once
    init = time.perf_counter() - t0
    predictions: dict[Key, list[tuple[int, int, str]]] = defaultdict(list)
    for name, frame in frames.items():
        found = engine.analyze_frame(frame, json_columns=JSON_COLUMNS[name])
        for row, path, pii_type, start, end in found.select(
            "row", "field_path", "pii_type", "start", "end"
        ).iter_rows():
            predictions[(name, row, path)].append((start, end, pii_type))
    context = PolicyContext(operation="storage", classification="internal", role="admin")
    rates = []
    protected: dict[str, pl.DataFrame] = {}
    for _ in range(runs):
        # A fresh engine per run: its token/fingerprint caches start cold, so a second run
        # is not flattered by values memoized in the first (lexicons are loaded once per process).
        engine = PiiEngine(PiiKeys.development())
        gc.collect()
        t = time.perf_counter()
        for name, frame in frames.items():
            protected[name] = engine.protect_frame(
                frame,
                table=name,
                record_id_column=RECORD_ID[name],
                context=context,
                json_columns=JSON_COLUMNS[name],
            ).frame
        rates.append(corpus.records / (time.perf_counter() - t))
    # The leak check's view of the result: raw PII the scanner still detects after protection.
    leaks = sum(
        engine.scan_frame(
            frame.drop(RECORD_ID[name]),
            json_columns=JSON_COLUMNS[name],
        )["count"].sum()
        for name, frame in protected.items()
    )
    print(f"leak scan of the protected corpus: {leaks} detectable PII values left")
    return predictions, rates, init


def _quiet_presidio() -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    logging.getLogger("presidio-anonymizer").setLevel(logging.ERROR)
    import tldextract

    # Presidio's email/URL recognizers call tldextract, which tries to download the
    # public suffix list; use the snapshot bundled with tldextract instead.
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.extract = offline
    tldextract.tldextract.TLD_EXTRACTOR = offline


def run_presidio(
    corpus: Corpus, leaves: dict[Key, tuple[str, str | None]], sample: set[tuple[str, int]], model: str | None = None
):
    """Presidio's analyzer + anonymizer on every string leaf of the sample: with the `no_op` NLP engine
    (patterns only), or with the spaCy `model` (which adds its NER: names, places, dates)."""
    _quiet_presidio()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    engine = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]} if model else None
    nlp = NlpEngineProvider(
        nlp_configuration=engine or {"nlp_engine_name": "no_op", "models": [{"lang_code": "en", "model_name": "no_op"}]}
    ).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    analyzer.analyze("warm up jane@example.com", language="en")
    items = [(key, text, field) for key, (text, field) in leaves.items() if (key[0], key[1]) in sample]
    raw: dict[Key, list[tuple[int, int, str, float]]] = defaultdict(list)
    t = time.perf_counter()
    for key, text, field in items:
        if not text:
            continue
        results = analyzer.analyze(text=text, language="en", context=key_words(field) if field else None)
        anonymizer.anonymize(text=text, analyzer_results=results)
        for r in results:
            raw[key].append((r.start, r.end, r.entity_type, r.score))
    rate = len(sample) / (time.perf_counter() - t)
    default = {k: [(s, e, PRESIDIO_TYPES.get(t, "other")) for s, e, t, _ in v] for k, v in raw.items()}
    tuned = {
        k: [(s, e, PRESIDIO_TYPES[t]) for s, e, t, sc in v if t in PRESIDIO_TYPES and sc >= 0.5] for k, v in raw.items()
    }
    return default, tuned, rate


# --------------------------------------------------------------------------- report
def _fmt(value: float) -> str:
    return f"{value:.3f}"


def report(results: dict[str, dict], rates: dict[str, str], corpus: Corpus, sample_size: int) -> str:
    names = list(results)
    lines = []
    width = 24
    header = f"{'metric':<{width}}" + "".join(f"{n:>20}" for n in names)
    lines.append(header)
    lines.append("-" * len(header))
    for label in ("recall", "typed_recall", "precision", "f2", "keep_rate", "clean_records"):
        lines.append(f"{label:<{width}}" + "".join(f"{_fmt(results[n][label]):>20}" for n in names))
    lines.append(f"{'records/s':<{width}}" + "".join(f"{rates[n]:>20}" for n in names))
    lines.append("")
    lines.append(f"{'recall by type (n)':<{width}}" + "".join(f"{n:>20}" for n in names))
    lines.append("-" * len(header))
    for pii_type in (*TYPES, "name (out of lexicon)"):
        cells = []
        for n in names:
            value = results[n]["per_type"].get(pii_type)
            cells.append(f"{_fmt(value[0])} ({value[1]})" if value else "-")
        lines.append(f"{pii_type:<{width}}" + "".join(f"{c:>20}" for c in cells))
    lines.append("")
    lines.append(f"{'keep-rate by negative':<{width}}" + "".join(f"{n:>20}" for n in names))
    lines.append("-" * len(header))
    kinds = sorted({k for n in names for k in results[n]["negatives"]})
    for kind in kinds:
        cells = []
        for n in names:
            value = results[n]["negatives"].get(kind)
            cells.append(f"{_fmt(value[0])} ({value[1]})" if value else "-")
        lines.append(f"{kind:<{width}}" + "".join(f"{c:>20}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--presidio-sample", type=int, default=None, help="Presidio on N of the records (default: all of them)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument(
        "--presidio-nlp",
        metavar="MODEL",
        help="also run Presidio with this installed spaCy model (e.g. en_core_web_sm) on the same records",
    )
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    t = time.perf_counter()
    corpus = build_corpus(args.records, seed=args.seed)
    frames = frames_of(corpus)
    leaves = leaves_of(corpus)
    chars = sum(len(text) for text, _ in leaves.values()) / corpus.records
    print(
        f"corpus: {corpus.records} records ({len(corpus.forms)} forms, {len(corpus.agents)} agent runs), "
        f"{len(corpus.labels)} PII labels, {len(corpus.negatives)} hard negatives, "
        f"{len(corpus.pii_free)} PII-free records, {chars:.0f} chars/record of string leaves "
        f"[built in {time.perf_counter() - t:.1f}s]"
    )
    print(f"machine: {os.cpu_count()} cores, polars {pl.__version__}")

    # The harness's own objects (corpus, labels, leaves: ~0.5M containers) are moved out of
    # the cyclic GC's reach, so neither engine's timing pays for collections walking them.
    gc.collect()
    gc.freeze()
    predictions, our_rates, init = run_ours(corpus, frames, args.runs)
    print(
        f"osa.pii: init {init:.2f}s; protect_frame runs: "
        + ", ".join(f"{r:,.0f}" for r in our_rates)
        + f" rec/s (median {statistics.median(our_rates):,.0f}, best {max(our_rates):,.0f})"
    )
    results = {"osa.pii (all)": score(corpus, leaves, predictions)}
    rates = {"osa.pii (all)": f"{statistics.median(our_rates):,.0f}"}
    presidio_rate = None
    if not args.no_presidio:
        keys = sorted(
            {*(("forms", i) for i in range(len(corpus.forms))), *(("agents", i) for i in range(len(corpus.agents)))}
        )
        import random

        size = len(keys) if args.presidio_sample is None else min(args.presidio_sample, len(keys))
        sample = set(random.Random(args.seed).sample(keys, size))
        gc.collect()
        gc.freeze()  # our predictions too
        default, tuned, presidio_rate = run_presidio(corpus, leaves, sample)
        print(f"presidio: {presidio_rate:,.1f} rec/s on a {len(sample)}-record sample")
        results["osa.pii (sample)"] = score(corpus, leaves, predictions, sample)
        results["presidio default"] = score(corpus, leaves, default, sample)
        results["presidio >=0.5"] = score(corpus, leaves, tuned, sample)
        rates["osa.pii (sample)"] = rates["osa.pii (all)"]
        rates["presidio default"] = f"{presidio_rate:,.1f}"
        rates["presidio >=0.5"] = f"{presidio_rate:,.1f}"
        if args.presidio_nlp:
            gc.collect()
            with_model, with_model_tuned, model_rate = run_presidio(corpus, leaves, sample, args.presidio_nlp)
            print(f"presidio + {args.presidio_nlp}: {model_rate:,.1f} rec/s on the same {len(sample)} records")
            results["presidio+NLP default"] = score(corpus, leaves, with_model, sample)
            results["presidio+NLP >=0.5"] = score(corpus, leaves, with_model_tuned, sample)
            rates["presidio+NLP default"] = rates["presidio+NLP >=0.5"] = f"{model_rate:,.1f}"
    print()
    print(report(results, rates, corpus, args.presidio_sample or corpus.records))
    if presidio_rate:
        same = "same records" if args.presidio_sample is None else f"Presidio on {args.presidio_sample} of them"
        print(
            f"\nspeed-up vs Presidio ({same}): {statistics.median(our_rates) / presidio_rate:,.0f}x (median), "
            f"{max(our_rates) / presidio_rate:,.0f}x (best run)"
        )
    if args.json:
        payload = {
            "records": corpus.records,
            "our_rates": our_rates,
            "presidio_rate": presidio_rate,
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
