"""Rank, de-duplicate and link a workflow's recommendations (issue 10), as plain columnar code.

No Dagster and no warehouse I/O: inputs are pyarrow tables (or polars frames) with the catalogue's columns and a
float32 matrix of L2-normalized embeddings aligned with a list of ids; outputs are pyarrow tables. The scoring
formula, the merge rule and the link rule are written down in docs/recommendations.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from osa.contracts.opal import AGENT_SLAS

#: Chosen for the offline hashing provider on the tuning set of bench/recommend_eval.py (generator seed 7, best
#: pair F1; ties go to the lower threshold); re-tune for a semantic provider, see docs/recommendations.md.
DEFAULT_MERGE_THRESHOLD = 0.98
#: How `impact_estimate` and `effort_estimate` words become numbers (effort is inverted: low effort is good).
IMPACT_LEVELS: dict[str, float] = {"low": 0.25, "medium": 0.5, "high": 0.75, "critical": 1.0}
EASE_LEVELS: dict[str, float] = {"low": 1.0, "medium": 0.5, "high": 0.0}
#: The confidence threshold of each agent, from its SLA in the OPAL contract.
CONFIDENCE_THRESHOLDS: dict[str, float] = {agent: sla.confidence_threshold for agent, sla in AGENT_SLAS.items()}
MAX_EXECUTION_MS: dict[str, int] = {agent: sla.max_execution_ms for agent, sla in AGENT_SLAS.items()}

Frame = pa.Table | pl.DataFrame

RANKED_SCHEMA = pa.schema(
    [
        ("workflow_id", pa.string()),
        ("rank", pa.int32()),
        ("recommendation_id", pa.string()),
        ("title", pa.string()),
        ("description", pa.string()),
        ("category", pa.string()),
        ("impact_estimate", pa.string()),
        ("effort_estimate", pa.string()),
        ("priority", pa.int32()),
        ("score", pa.float64()),
        ("agents", pa.list_(pa.string())),
        ("merged_recommendation_ids", pa.list_(pa.string())),
        ("agent_confidence", pa.float64()),
    ]
)


@dataclass(frozen=True)
class RankingWeights:
    """The ranking formula's knobs (docs/recommendations.md has the formula).

    ``score = reliability * (priority*p + impact*i + effort*e + confidence*c) / (p + i + e + c)
    + corroboration * (distinct agents in the merged group - 1)``; each term is in [0, 1].
    """

    priority: float = 0.35
    impact: float = 0.30
    effort: float = 0.15
    confidence: float = 0.20
    #: Multipliers of the reliability factor: an agent below its SLA confidence threshold (or with no known
    #: confidence), one that ran past its SLA time, one whose execution failed. They compound.
    below_threshold: float = 0.5
    timeout: float = 0.6
    failed: float = 0.25
    #: The confidence term used when the execution or its confidence is unknown.
    missing_confidence: float = 0.5
    #: Added per extra distinct agent that proposed the same (merged) recommendation: agreement is evidence.
    corroboration: float = 0.05
    impact_levels: Mapping[str, float] = field(default_factory=lambda: dict(IMPACT_LEVELS))
    ease_levels: Mapping[str, float] = field(default_factory=lambda: dict(EASE_LEVELS))

    def __post_init__(self) -> None:
        terms = (self.priority, self.impact, self.effort, self.confidence)
        if min(terms) < 0 or sum(terms) <= 0:
            raise ValueError("ranking weights must be non-negative with a positive sum")
        for name in ("below_threshold", "timeout", "failed", "missing_confidence"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if self.corroboration < 0:
            raise ValueError("corroboration must be non-negative")


def as_frame(table: Frame) -> pl.DataFrame:
    """Accept either a pyarrow table or a polars frame (the callers hold both)."""
    return table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)


def recommendation_text(recommendations: Frame) -> list[str]:
    """The text embedded for a recommendation: ``"title. description"`` (missing parts are empty)."""
    frame = as_frame(recommendations)
    return (
        frame.select(
            pl.concat_str([pl.col("title").fill_null(""), pl.col("description").fill_null("")], separator=". ")
        )
        .to_series()
        .to_list()
    )


def form_text(forms: Frame) -> list[str]:
    """The text embedded for an intake form: industry, goals, audience and challenges (no personal fields)."""
    frame = as_frame(forms)
    return (
        frame.select(
            pl.concat_str(
                [
                    pl.col("industry").fill_null(""),
                    pl.lit("Goals: ") + pl.col("goals").list.join("; ").fill_null(""),
                    pl.lit("Audience: ") + pl.col("target_audience").fill_null(""),
                    pl.lit("Challenges: ") + pl.col("current_challenges").list.join("; ").fill_null(""),
                ],
                separator=". ",
            )
        )
        .to_series()
        .to_list()
    )


def _execution_facts(executions: Frame) -> pl.DataFrame:
    """One row per delivery: its confidence, status and whether it ran past its SLA time."""
    frame = as_frame(executions)
    if "is_timeout" in frame.columns:
        timeout = pl.col("is_timeout").fill_null(False)
    elif "execution_duration_ms" in frame.columns:
        limit = pl.col("agent_id").replace_strict(MAX_EXECUTION_MS, default=None, return_dtype=pl.Int64)
        timeout = (pl.col("execution_duration_ms") > limit).fill_null(False)
    else:
        timeout = pl.lit(False)
    return (
        frame.select(
            pl.col("delivery_id"),
            pl.col("confidence_score").cast(pl.Float64).alias("_confidence"),
            pl.col("execution_status").alias("_status"),
            timeout.alias("_timeout"),
        )
        .unique("delivery_id", keep="first", maintain_order=True)
        .sort("delivery_id")
    )


def score_recommendations(
    recommendations: Frame,
    executions: Frame,
    *,
    weights: RankingWeights | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """Every recommendation with `agent_confidence`, `reliability`, `is_reliable` and its own `score`.

    Joined to its execution by `delivery_id` (the delivery that carried it), so a re-run agent's older
    output keeps its own confidence. `is_reliable` (completed, at or above threshold, in time) is what
    "worked" means for `recommend_for_form`.
    """
    w = weights or RankingWeights()
    limits = dict(CONFIDENCE_THRESHOLDS if thresholds is None else thresholds)
    frame = as_frame(recommendations).join(_execution_facts(executions), on="delivery_id", how="left")
    threshold = pl.col("agent_id").replace_strict(limits, default=None, return_dtype=pl.Float64)
    below = pl.col("_confidence").is_null() | (pl.col("_confidence") < threshold).fill_null(False)
    failed = (pl.col("_status") == "failed").fill_null(False)
    not_completed = (pl.col("_status") != "completed").fill_null(True)
    priority = ((pl.col("priority").cast(pl.Float64) - 1.0) / 9.0).clip(0.0, 1.0).fill_null(0.5)
    impact = (
        pl.col("impact_estimate")
        .str.to_lowercase()
        .replace_strict(dict(w.impact_levels), default=0.5, return_dtype=pl.Float64)
    )
    ease = (
        pl.col("effort_estimate")
        .str.to_lowercase()
        .replace_strict(dict(w.ease_levels), default=0.5, return_dtype=pl.Float64)
    )
    confidence = pl.col("_confidence").fill_null(w.missing_confidence).clip(0.0, 1.0)
    total = w.priority + w.impact + w.effort + w.confidence
    base = (w.priority * priority + w.impact * impact + w.effort * ease + w.confidence * confidence) / total
    reliability = (
        pl.when(below).then(w.below_threshold).otherwise(1.0)
        * pl.when(pl.col("_timeout").fill_null(False)).then(w.timeout).otherwise(1.0)
        * pl.when(failed).then(w.failed).otherwise(1.0)
    )
    return frame.with_columns(
        pl.col("_confidence").alias("agent_confidence"),
        reliability.alias("reliability"),
        (~below & ~pl.col("_timeout").fill_null(False) & ~not_completed).alias("is_reliable"),
        (base * reliability).alias("score"),
    ).drop("_confidence", "_status", "_timeout")


def _rows_for(ids: Sequence[str], wanted: pl.Series, what: str) -> np.ndarray:
    """Row numbers of `wanted` ids in the `ids` list aligned with a vector matrix (every id must be there)."""
    index = pl.DataFrame({"_id": pl.Series(list(ids), dtype=pl.String), "_row": np.arange(len(ids), dtype=np.int64)})
    if index["_id"].is_duplicated().any():
        raise ValueError(f"{what}: the id list aligned with the vectors has duplicates")
    found = pl.DataFrame({"_id": wanted.cast(pl.String)}).join(index, on="_id", how="left", maintain_order="left")
    missing = found.filter(pl.col("_row").is_null())["_id"]
    if len(missing):
        raise ValueError(f"{what}: no vector for {len(missing)} ids, e.g. {missing[0]!r}")
    return found["_row"].to_numpy()


def merge_groups(
    workflow_ids: Sequence[str] | np.ndarray,
    vectors: np.ndarray,
    threshold: float,
    *,
    agents: Sequence[str] | np.ndarray | None = None,
    merge_same_agent: bool = True,
) -> np.ndarray:
    """A group label per row: connected components of "cosine >= threshold" within the same workflow.

    One matrix product per workflow finds the similar pairs; the components of that graph are the groups, so
    the merge is transitive-closed and never crosses workflows. With ``merge_same_agent=False`` only pairs
    from different agents link (an agent's own near-duplicates then merge only through another agent).
    """
    n = len(workflow_ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float64)
    _, codes = np.unique(np.asarray(workflow_ids, dtype=object), return_inverse=True)
    agent_codes = None
    if not merge_same_agent and agents is not None:
        _, agent_codes = np.unique(np.asarray(agents, dtype=object), return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    sources, targets = [], []
    for members in np.split(order, bounds):
        if len(members) < 2:
            continue
        block = vectors[members]
        similar = np.triu(block @ block.T >= threshold, k=1)
        if agent_codes is not None:
            similar &= agent_codes[members][:, None] != agent_codes[members][None, :]
        left, right = np.nonzero(similar)
        sources.append(members[left])
        targets.append(members[right])
    src = np.concatenate(sources) if sources else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(targets) if targets else np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def rank_workflow_recommendations(
    recommendations: Frame,
    executions: Frame,
    vectors: np.ndarray,
    ids: Sequence[str],
    *,
    weights: RankingWeights | None = None,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    merge_same_agent: bool = True,
) -> pa.Table:
    """Per workflow, merged and ranked recommendations with the provenance of every merged item.

    `vectors` are L2-normalized rows aligned with `ids` (recommendation ids). A group's representative is its
    best-scored member (ties: higher priority, then smaller id) and the group's score is that member's score
    plus the corroboration bonus; ranks are 1..n per workflow by score (ties: smaller representative id).
    """
    w = weights or RankingWeights()
    scored = score_recommendations(recommendations, executions, weights=w)
    if scored.height == 0:
        return RANKED_SCHEMA.empty_table()
    rows = _rows_for(ids, scored["recommendation_id"], "rank_workflow_recommendations")
    labels = merge_groups(
        scored["workflow_id"].to_numpy(),
        np.asarray(vectors)[rows],
        merge_threshold,
        agents=scored["agent_id"].to_numpy(),
        merge_same_agent=merge_same_agent,
    )
    grouped = (
        scored.with_columns(pl.Series("_group", labels), pl.col("priority").fill_null(0).alias("_priority"))
        .group_by("_group")
        .agg(
            pl.col("workflow_id").first(),
            *[
                pl.col(c).sort_by(["score", "_priority", "recommendation_id"], descending=[True, True, False]).first()
                for c in (
                    "recommendation_id",
                    "title",
                    "description",
                    "category",
                    "impact_estimate",
                    "effort_estimate",
                    "priority",
                    "score",
                    "agent_confidence",
                )
            ],
            pl.col("agent_id").unique().sort().alias("agents"),
            pl.col("recommendation_id").sort().alias("merged_recommendation_ids"),
        )
    )
    ranked = (
        grouped.with_columns(pl.col("score") + w.corroboration * (pl.col("agents").list.len() - 1))
        .sort(["workflow_id", "score", "recommendation_id"], descending=[False, True, False])
        .with_columns((pl.int_range(pl.len()).over("workflow_id") + 1).alias("rank"))
        .select(RANKED_SCHEMA.names)
    )
    return ranked.to_arrow().cast(RANKED_SCHEMA)


def _industry_lookup(industry_of_workflow: Mapping[str, str] | Frame) -> pl.DataFrame:
    """(workflow_id, industry) from a mapping or a table with those two columns."""
    if isinstance(industry_of_workflow, Mapping):
        return pl.DataFrame(
            {
                "workflow_id": pl.Series(list(industry_of_workflow.keys()), dtype=pl.String),
                "industry": pl.Series(list(industry_of_workflow.values()), dtype=pl.String),
            }
        )
    frame = as_frame(industry_of_workflow).select("workflow_id", "industry")
    return frame.unique("workflow_id", keep="first", maintain_order=True)


def link_related(
    ranked: Frame,
    vectors_of_items: np.ndarray,
    item_meta: Frame,
    *,
    industry_of_workflow: Mapping[str, str] | Frame,
    ranked_vectors: np.ndarray | None = None,
    chunk: int = 4096,
) -> pa.Table:
    """`ranked` plus `related_item_id`, `related_workflow_id`, `related_similarity`: the most similar knowledge
    item from another workflow of the same industry (nulls when there is none).

    `item_meta` (item_id, workflow_id[, industry]) is aligned with the rows of `vectors_of_items`. A ranked
    item's own vector is its row in the knowledge items (recommendations are knowledge items) unless
    `ranked_vectors` (aligned with `ranked`) is given. One matrix product per industry, in row chunks.
    """
    frame = as_frame(ranked)
    items = as_frame(item_meta)
    lookup = _industry_lookup(industry_of_workflow)
    if "industry" not in items.columns:
        items = items.join(lookup, on="workflow_id", how="left", maintain_order="left")
    items = items.with_row_index("_row")
    matrix = np.asarray(vectors_of_items, dtype=np.float32)
    if ranked_vectors is None:
        query = matrix[_rows_for(items["item_id"].to_list(), frame["recommendation_id"], "link_related")]
    else:
        query = np.asarray(ranked_vectors, dtype=np.float32)
    frame = frame.join(lookup, on="workflow_id", how="left", maintain_order="left")
    _, workflow_codes = np.unique(
        np.concatenate([frame["workflow_id"].to_numpy(), items["workflow_id"].to_numpy()]).astype(object),
        return_inverse=True,
    )
    query_wf, item_wf = workflow_codes[: frame.height], workflow_codes[frame.height :]
    best_row = np.full(frame.height, -1, dtype=np.int64)
    best_sim = np.full(frame.height, np.nan, dtype=np.float64)
    query_industry = frame["industry"].to_numpy()
    item_industry = items["industry"].to_numpy()
    for industry in frame["industry"].drop_nulls().unique().sort().to_list():
        q_rows = np.flatnonzero(query_industry == industry)
        k_rows = np.flatnonzero(item_industry == industry)
        if len(k_rows) == 0:
            continue
        keys = matrix[k_rows]
        for start in range(0, len(q_rows), chunk):
            part = q_rows[start : start + chunk]
            sims = (query[part] @ keys.T).astype(np.float64)
            sims[query_wf[part][:, None] == item_wf[k_rows][None, :]] = -np.inf
            arg = np.argmax(sims, axis=1)
            value = np.minimum(sims[np.arange(len(part)), arg], 1.0)  # float rounding can pass 1
            found = np.isfinite(value)
            best_row[part[found]] = k_rows[arg[found]]
            best_sim[part[found]] = value[found]
    has = best_row >= 0
    related_id = np.full(frame.height, None, dtype=object)
    related_wf = np.full(frame.height, None, dtype=object)
    related_id[has] = items["item_id"].to_numpy()[best_row[has]]
    related_wf[has] = items["workflow_id"].to_numpy()[best_row[has]]
    out = frame.drop("industry").with_columns(
        # lists, not object arrays: an all-None object array would not cast to String
        pl.Series("related_item_id", related_id.tolist(), dtype=pl.String),
        pl.Series("related_workflow_id", related_wf.tolist(), dtype=pl.String),
        pl.Series("related_similarity", best_sim, dtype=pl.Float64).fill_nan(None),
    )
    return out.to_arrow()
