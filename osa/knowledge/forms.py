"""Recommendations for a new intake form from what worked for the most similar past workflows (issue 10).

Plain numpy/polars; see docs/recommendations.md for the neighbour rule, the aggregation and its evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import pyarrow as pa

from .recommend import Frame, RankingWeights, as_frame, score_recommendations

FORM_SCHEMA = pa.schema(
    [
        ("rank", pa.int32()),
        ("category", pa.string()),
        ("title_key", pa.string()),
        ("title", pa.string()),
        ("score", pa.float64()),
        ("support", pa.int32()),
        ("mean_priority", pa.float64()),
        ("past_workflow_ids", pa.list_(pa.string())),
        ("similarities", pa.list_(pa.float64())),
        ("recommendation_ids", pa.list_(pa.string())),
        ("reason", pa.string()),
    ]
)


def title_key(title: pl.Expr) -> pl.Expr:
    """The title with every token holding a digit replaced by ``#``, lower-cased.

    Campaign ids, segment ids and versions ("Fix naming in campaign CMP-4411", "Sticky add-to-cart v2") make
    almost every title unique; the key groups the same kind of recommendation across workflows.
    """
    return (
        title.fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"\S*\d\S*", "#")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def worked_recommendations(
    recommendations: Frame, executions: Frame, *, weights: RankingWeights | None = None
) -> pl.DataFrame:
    """The recommendations that "worked": carried by a completed execution whose confidence is at or above its
    agent's SLA threshold and which ran within its SLA time (`is_reliable` of `score_recommendations`).

    The platform has no outcome data (nothing says a recommendation was implemented and paid off), so a
    reliable agent output is the best available proxy; the score of each is kept for tie-breaking.
    """
    scored = score_recommendations(recommendations, executions, weights=weights)
    return scored.filter(pl.col("is_reliable"))


def recommend_for_form(
    form_vector: np.ndarray,
    form_industry: str | None,
    past_form_vectors: np.ndarray,
    past_workflow_ids: Sequence[str],
    past_industries: Sequence[str | None],
    past_recommendations: Frame,
    *,
    k_workflows: int = 5,
    top: int = 10,
    exclude_workflows: Sequence[str] = (),
) -> pa.Table:
    """The `top` recommendations (by category and title key) of the `k_workflows` most similar past workflows.

    Neighbours: past workflows with at least one recommendation in `past_recommendations` (pass
    `worked_recommendations(...)`), none of `exclude_workflows`; those of the same industry come first, each
    group by cosine of the form embeddings (ties: smaller workflow id); a workflow with several forms counts
    with its most similar one. An item's score is the similarity-weighted share of the neighbours that
    recommended it: ``sum(max(sim, 0) of neighbours with it) / sum(max(sim, 0) of all neighbours)``.
    """
    recs = as_frame(past_recommendations)
    with_recs = set(recs["workflow_id"].unique().to_list())
    excluded = set(exclude_workflows)
    sims = np.asarray(past_form_vectors, dtype=np.float64) @ np.asarray(form_vector, dtype=np.float64)
    candidates = (
        pl.DataFrame(
            {
                "workflow_id": pl.Series(list(past_workflow_ids), dtype=pl.String),
                "industry": pl.Series(list(past_industries), dtype=pl.String),
                "similarity": sims,
            }
        )
        .filter(pl.col("workflow_id").is_in(list(with_recs)) & ~pl.col("workflow_id").is_in(list(excluded)))
        .with_columns((pl.col("industry") == form_industry).fill_null(False).alias("same_industry"))
        .sort(["same_industry", "similarity", "workflow_id"], descending=[True, True, False])
        .unique("workflow_id", keep="first", maintain_order=True)
        .head(k_workflows)
        .with_columns(pl.col("similarity").clip(1e-9, None).alias("_weight"))
    )
    if candidates.height == 0:
        return FORM_SCHEMA.empty_table()
    total = float(candidates["_weight"].sum())
    label = pl.format(
        "{} ({}{})",
        pl.col("workflow_id"),
        pl.col("similarity").round(3).cast(pl.String),
        pl.when(pl.col("same_industry")).then(pl.lit(", same industry")).otherwise(pl.lit("")),
    )
    per_workflow = (
        recs.filter(~pl.col("workflow_id").is_in(list(excluded)))
        .join(candidates, on="workflow_id", how="inner")
        .with_columns(title_key(pl.col("title")).alias("title_key"), label.alias("_label"))
        .sort(["workflow_id", "recommendation_id"])
        .group_by(["category", "title_key", "workflow_id"], maintain_order=True)
        .agg(
            pl.col("similarity").first(),
            pl.col("_weight").first(),
            pl.col("_label").first(),
            pl.col("title").sort_by(["priority", "recommendation_id"], descending=[True, False]).first(),
            pl.col("priority").cast(pl.Float64).mean().alias("_priority"),
            pl.col("recommendation_id"),
        )
    )
    nearest_first = {"by": ["similarity", "workflow_id"], "descending": [True, False]}
    items = (
        per_workflow.group_by(["category", "title_key"])
        .agg(
            (pl.col("_weight").sum() / total).alias("score"),
            pl.len().cast(pl.Int32).alias("support"),
            pl.col("_priority").mean().alias("mean_priority"),
            pl.col("title").sort_by(**nearest_first).first(),
            pl.col("workflow_id").sort_by(**nearest_first).alias("past_workflow_ids"),
            pl.col("similarity").sort_by(**nearest_first).alias("similarities"),
            pl.col("_label").sort_by(**nearest_first).alias("_labels"),
            pl.col("recommendation_id")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .sort()
            .alias("recommendation_ids"),
        )
        .sort(
            ["score", "support", "mean_priority", "category", "title_key"],
            descending=[True, True, True, False, False],
            nulls_last=True,
        )
        .head(top)
        .with_columns(
            (pl.int_range(pl.len()) + 1).cast(pl.Int32).alias("rank"),
            pl.format(
                "worked for {} of {} similar past workflows: {}",
                pl.col("support"),
                pl.lit(candidates.height),
                pl.col("_labels").list.join(", "),
            ).alias("reason"),
        )
        .select(FORM_SCHEMA.names)
    )
    return items.to_arrow().cast(FORM_SCHEMA)
