"""Offline evaluation of osa.knowledge (issue 10): form recommendations (leave-one-workflow-out hit@10 against
popularity baselines) and near-duplicate merge precision/recall on pairs labeled from the generator's templates.

Two generated sets, both read through the repo's own ingest path: TUNING (generator seed 7, the seed data's
seed, but more workflows) chooses the merge threshold and k_workflows; HELD-OUT (seed 2027, never looked at
while choosing) reports the figures. Run: ``python bench/recommend_eval.py [--workflows 300]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from osa.embeddings import HashingEmbeddingProvider
from osa.generate import generate
from osa.ingest.intake import process_intake
from osa.ingest.landing import landing_files, read_lines
from osa.ingest.opal import process_deliveries
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET
from osa.knowledge import (
    form_text,
    merge_groups,
    recommend_for_form,
    recommendation_text,
    title_key,
    worked_recommendations,
)

TUNING_SEED, HELD_OUT_SEED = 7, 2027
THRESHOLDS = (0.6, 0.7, 0.8, 0.85, 0.9, 0.92, 0.95, 0.98, 0.99)
K_CHOICES = (3, 5, 10, 20)
TOP = 10
#: The contact sentence the generator appends to some free text (osa/generate.py `sentence_with_pii`).
PII_SUFFIX = r" (?:Contact .+ at \S+ for access\.|Call .+ on .+ to schedule\.|Ship the brief to .+\.)$"


@dataclass
class DataSet:
    name: str
    forms: pl.DataFrame
    recommendations: pl.DataFrame
    worked: pl.DataFrame
    form_vectors: np.ndarray
    rec_vectors: np.ndarray


def load(name: str, seed: int, workflows: int, days: int, dimensions: int) -> DataSet:
    """Generate, ingest through the repo's own path, and embed (the offline hashing provider)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, workflows=workflows, days=days, seed=seed)
        forms = pl.from_arrow(process_intake(read_lines(landing_files(out, "intake_forms"), out)).silver)
        deliveries = process_deliveries(
            read_lines(landing_files(out, "opal_deliveries"), out), secret=DEVELOPMENT_WEBHOOK_SECRET
        )
    recs = pl.from_arrow(deliveries.recommendations)
    forms = forms.unique("workflow_id", keep="first", maintain_order=True)
    provider = HashingEmbeddingProvider(dimensions=dimensions)
    return DataSet(
        name=name,
        forms=forms,
        recommendations=recs,
        worked=worked_recommendations(recs, deliveries.agent_executions),
        form_vectors=provider.embed(form_text(forms)),
        rec_vectors=provider.embed(recommendation_text(recs)),
    )


# ---------------------------------------------------------------------------------------------- merge


def labeled_pairs(data: DataSet) -> pl.DataFrame:
    """Every pair of recommendations within one workflow (the only pairs the merge considers), labeled.

    Duplicate = the same title and the same description once the generator's contact sentence is removed:
    the generator draws titles and descriptions from small template lists, so such pairs are the same
    recommendation said twice. Everything else (same description with another title, e.g. another region or
    campaign) is a distinct recommendation.
    """
    recs = data.recommendations.with_row_index("_row").with_columns(
        pl.concat_str([pl.col("title"), pl.col("description").str.replace(PII_SUFFIX, "")], separator="\x1f").alias(
            "_canon"
        )
    )
    left = recs.select("_row", "workflow_id", "_canon")
    pairs = (
        left.join(left, on="workflow_id", suffix="_b")
        .filter(pl.col("_row") < pl.col("_row_b"))
        .select(
            pl.col("_row").alias("a"),
            pl.col("_row_b").alias("b"),
            (pl.col("_canon") == pl.col("_canon_b")).alias("duplicate"),
        )
    )
    vectors = data.rec_vectors.astype(np.float64)
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    return pairs.with_columns(pl.Series("cosine", np.einsum("ij,ij->i", vectors[a], vectors[b])))


def merge_scores(data: DataSet, pairs: pl.DataFrame, thresholds=THRESHOLDS) -> pl.DataFrame:
    """Pair precision/recall of the merge itself (same connected component = predicted duplicate)."""
    workflows = data.recommendations["workflow_id"].to_numpy()
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    truth = pairs["duplicate"].to_numpy()
    rows = []
    for threshold in thresholds:
        labels = merge_groups(workflows, data.rec_vectors, threshold)
        predicted = labels[a] == labels[b]
        tp = int(np.sum(predicted & truth))
        precision = tp / max(int(predicted.sum()), 1)
        recall = tp / max(int(truth.sum()), 1)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"threshold": threshold, "precision": precision, "recall": recall, "f1": f1})
    return pl.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- forms


def _truth(data: DataSet) -> pl.DataFrame:
    """Per workflow, its own recommendation categories and title keys (all of them, not only the worked)."""
    return data.recommendations.group_by("workflow_id").agg(
        pl.col("category").unique().alias("categories"),
        title_key(pl.col("title")).unique().alias("keys"),
    )


def _popularity(data: DataSet) -> pl.DataFrame:
    """(workflow_id, industry, category, title_key) once per workflow for its worked items."""
    return (
        data.worked.select("workflow_id", "category", title_key(pl.col("title")).alias("title_key"))
        .unique()
        .join(data.forms.select("workflow_id", "industry"), on="workflow_id", how="left")
    )


def _top_popular(items: pl.DataFrame, held_out: str, industry: str | None) -> list[tuple[str, str]]:
    """The TOP most frequent (category, title key) among the other workflows (same industry first if given)."""
    others = items.filter(pl.col("workflow_id") != held_out)
    counts = others.group_by("category", "title_key").agg(
        pl.len().alias("n"), (pl.col("industry") == (industry or "")).fill_null(False).sum().alias("n_industry")
    )
    order = ["n_industry", "n"] if industry is not None else ["n"]
    ranked = counts.sort([*order, "category", "title_key"], descending=[True] * len(order) + [False, False])
    return list(ranked.head(TOP).select("category", "title_key").iter_rows())


def _metrics(top: list[tuple[str, str]], categories: set[str], keys: set[str]) -> dict[str, float]:
    top_categories = {c for c, _ in top}
    top_keys = {k for _, k in top}
    return {
        "cat_hit@10": len(categories & top_categories) / max(len(categories), 1),
        "cat_any@3": float(bool(categories & {c for c, _ in top[:3]})),
        "title_recall@10": len(keys & top_keys) / max(len(keys), 1),
        "title_precision@10": len(keys & top_keys) / max(len(top), 1),
    }


def leave_one_out(data: DataSet, k_workflows: int) -> pl.DataFrame:
    """For every workflow with a form and recommendations: recommend from all the others, score against its own."""
    truth = _truth(data)
    popular = _popularity(data)
    forms = data.forms.join(truth, on="workflow_id", how="inner", maintain_order="left")
    index = {w: i for i, w in enumerate(data.forms["workflow_id"].to_list())}
    workflow_ids = data.forms["workflow_id"].to_list()
    industries = data.forms["industry"].to_list()
    rows = []
    for wf, industry, categories, keys in forms.select("workflow_id", "industry", "categories", "keys").iter_rows():
        cats, key_set = set(categories), set(keys)
        out = recommend_for_form(
            data.form_vectors[index[wf]],
            industry,
            data.form_vectors,
            workflow_ids,
            industries,
            data.worked,
            k_workflows=k_workflows,
            top=TOP,
            exclude_workflows=[wf],
        )
        if wf in out.column("past_workflow_ids").combine_chunks().flatten().to_pylist():
            raise AssertionError(f"{wf} recommended from itself")
        ours = list(zip(out.column("category").to_pylist(), out.column("title_key").to_pylist(), strict=True))
        for method, top in (
            ("similar forms", ours),
            ("popularity (all)", _top_popular(popular, wf, None)),
            ("popularity (industry)", _top_popular(popular, wf, industry)),
        ):
            rows.append({"workflow_id": wf, "method": method, **_metrics(top, cats, key_set)})
    metrics = ["cat_hit@10", "cat_any@3", "title_recall@10", "title_precision@10"]
    return (
        pl.DataFrame(rows)
        .group_by("method", maintain_order=True)
        .agg(pl.len().alias("workflows"), *[pl.col(m).mean().round(3) for m in metrics])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=300)
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument("--dimensions", type=int, default=1536)
    args = parser.parse_args()
    pl.Config.set_tbl_rows(40)
    pl.Config.set_tbl_width_chars(160)
    started = time.perf_counter()
    tuning = load("tuning", TUNING_SEED, args.workflows, args.days, args.dimensions)
    held_out = load("held-out", HELD_OUT_SEED, args.workflows, args.days, args.dimensions)
    for data in (tuning, held_out):
        print(
            f"{data.name}: {data.forms.height} forms, {data.recommendations.height} recommendations, "
            f"{data.worked.height} worked"
        )

    print("\n## Near-duplicate merge (pairs within a workflow; positive = same template text)")
    tuning_pairs, held_pairs = labeled_pairs(tuning), labeled_pairs(held_out)
    for data, pairs in ((tuning, tuning_pairs), (held_out, held_pairs)):
        exact = pairs.filter(pl.col("duplicate") & (pl.col("cosine") > 0.999999)).height
        print(f"{data.name}: {pairs.height} pairs, {int(pairs['duplicate'].sum())} duplicates ({exact} exact text)")
    tuned = merge_scores(tuning, tuning_pairs)
    best = tuned.sort(["f1", "threshold"], descending=[True, False]).row(0, named=True)  # ties: the lower
    print(f"\ntuning set (seed {TUNING_SEED}): chosen threshold {best['threshold']} (best F1)")
    print(tuned.with_columns(pl.col("precision", "recall", "f1").round(3)))
    print(f"\nheld-out set (seed {HELD_OUT_SEED}):")
    print(merge_scores(held_out, held_pairs).with_columns(pl.col("precision", "recall", "f1").round(3)))

    print(f"\n## Form recommendations, leave-one-workflow-out, top {TOP}")
    choices = []
    for k in K_CHOICES:
        result = leave_one_out(tuning, k).filter(pl.col("method") == "similar forms")
        choices.append((k, result["title_recall@10"][0], result["cat_hit@10"][0]))
        print(f"tuning k_workflows={k}: title_recall@10={choices[-1][1]} cat_hit@10={choices[-1][2]}")
    k_best = max(choices, key=lambda c: (c[1], c[2], -c[0]))[0]
    print(f"chosen k_workflows={k_best}\n\nheld-out set (seed {HELD_OUT_SEED}):")
    print(leave_one_out(held_out, k_best))
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
