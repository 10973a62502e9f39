"""The recommendation tables of a window (`workflow_recommendations`, `form_recommendations`) from the warehouse.

Reads the window's silver recommendations and forms, the knowledge base's vectors (so nothing is embedded
twice: recommendations and forms are knowledge items), and hands them to the ranking, merging, linking and
form-recommendation functions of `osa.knowledge.recommend` / `osa.knowledge.forms`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pyarrow as pa

from osa import catalog
from osa.knowledge.forms import recommend_for_form, worked_recommendations
from osa.knowledge.items import FORM_INDUSTRIES_SQL, read_frame, vectors_of
from osa.knowledge.recommend import link_related, rank_workflow_recommendations

WINDOW = "event_date >= ? AND event_date < ?"
RECOMMENDATION_COLUMNS = (
    "event_date, recommendation_id, delivery_id, workflow_id, agent_id, category, priority, title, description, "
    "impact_estimate, effort_estimate"
)
EXECUTION_COLUMNS = "delivery_id, workflow_id, agent_id, execution_status, confidence_score, is_timeout"


def _vectors(store, where: str, params: list) -> tuple[list[str], pl.DataFrame, np.ndarray]:
    """(item ids, their metadata, their unit vectors) of the active knowledge items matching `where`."""
    # sorted here, not by the database: an ORDER BY over every vector of a 10k-workflow history (1.2 GB) does not
    # fit DuckDB's 512 MB memory limit (bench/compliance.py found it); fetched unsorted it streams out in ~1 s
    columns = "item_id, workflow_id, industry, event_date, embedding"
    items = store.query(f"SELECT {columns} FROM knowledge_items WHERE is_active AND {where}", params).sort_by("item_id")
    matrix = vectors_of(items.column("embedding"), catalog.EMBEDDING_DIMENSIONS)
    meta: pl.DataFrame = pl.from_arrow(items.drop_columns(["embedding"]))  # type: ignore[assignment]
    return items.column("item_id").to_pylist(), meta, matrix


def workflow_recommendations(store, start: dt.date, end: dt.date) -> pa.Table:
    """Per workflow and day: merged, ranked recommendations linked to related knowledge of the same industry."""
    schema = catalog.table("workflow_recommendations").arrow_schema
    recommendations = read_frame(store, f"SELECT {RECOMMENDATION_COLUMNS} FROM silver_recommendations WHERE {WINDOW}",
                             [start, end])  # fmt: skip
    if recommendations.height == 0:
        return schema.empty_table()
    executions = read_frame(
        store, f"SELECT {EXECUTION_COLUMNS} FROM silver_agent_executions WHERE {WINDOW}", [start, end]
    )
    ids, _, matrix = _vectors(store, f"knowledge_type = 'recommendation' AND {WINDOW}", [start, end])
    own = [item.removeprefix("rec:") for item in ids]
    # a workflow's recommendations of one day are one ranking: the day is part of the workflow's key here
    keyed = recommendations.with_columns(pl.format("{}|{}", "workflow_id", "event_date").alias("workflow_id"))
    ranked = pl.from_arrow(rank_workflow_recommendations(keyed, executions, matrix, own))
    ranked = ranked.with_columns(  # type: ignore[union-attr]
        pl.col("workflow_id").str.split("|").list.get(0).alias("workflow_id"),
        pl.col("workflow_id").str.split("|").list.get(1).str.to_date().alias("event_date"),
    )
    # related knowledge as of each day: items of days up to it, so day-by-day and ranged runs agree
    _, all_meta, all_matrix = _vectors(store, "knowledge_type = 'recommendation' AND event_date < ?", [end])
    industries = read_frame(store, FORM_INDUSTRIES_SQL)
    position = {item: row for row, item in enumerate(ids)}
    ranked_vectors = matrix[[position["rec:" + rid] for rid in ranked["recommendation_id"].to_list()]]
    parts = []
    for day in ranked["event_date"].unique().sort().to_list():
        today = (ranked["event_date"] == day).to_numpy()
        candidates = (all_meta["event_date"] <= day).to_numpy()
        known = (  # each workflow's industry as known that day (its latest form up to it)
            industries.filter(pl.col("form_day") <= day)
            .sort("form_day")
            .group_by("workflow_id")
            .agg(pl.col("industry").last())
        )
        linked = link_related(
            ranked.filter(pl.Series(today)).drop("event_date"),
            all_matrix[candidates],
            all_meta.filter(pl.Series(candidates)).select("item_id", "workflow_id"),
            industry_of_workflow=known,
            ranked_vectors=ranked_vectors[today],
        )
        parts.append(pl.from_arrow(linked).with_columns(pl.lit(day).alias("event_date")))
    out = pl.concat(parts)
    return out.select(schema.names).to_arrow().cast(schema)


def form_recommendations(store, start: dt.date, end: dt.date, *, top: int = 10) -> pa.Table:
    """For each intake form of the window: what worked for the most similar other workflows."""
    schema = catalog.table("form_recommendations").arrow_schema
    form_ids, form_meta, form_matrix = _vectors(store, f"knowledge_type = 'intake_form' AND {WINDOW}", [start, end])
    if not form_ids:
        return schema.empty_table()
    # past = other workflows' forms and reliable recommendations of days up to the form's: a partition depends
    # only on days up to its own, so day-by-day and ranged runs agree
    _, past_meta, past_matrix = _vectors(store, "knowledge_type = 'intake_form' AND event_date < ?", [end])
    worked = worked_recommendations(
        read_frame(store, f"SELECT {RECOMMENDATION_COLUMNS} FROM silver_recommendations WHERE event_date < ?", [end]),
        read_frame(store, f"SELECT {EXECUTION_COLUMNS} FROM silver_agent_executions WHERE event_date < ?", [end]),
    )
    parts = []
    for row, form in enumerate(form_meta.iter_rows(named=True)):
        day = form["event_date"]
        known = (past_meta["event_date"] <= day).to_numpy()
        proposals = recommend_for_form(
            form_matrix[row],
            form["industry"],
            past_matrix[known],
            past_meta.filter(pl.Series(known))["workflow_id"].to_list(),
            past_meta.filter(pl.Series(known))["industry"].to_list(),
            worked.filter(pl.col("event_date") <= day),
            top=top,
            exclude_workflows=[form["workflow_id"]],
        )
        if proposals.num_rows:
            parts.append(
                pl.from_arrow(proposals).with_columns(  # type: ignore[union-attr]
                    pl.lit(day).alias("event_date"),
                    pl.lit(form_ids[row].removeprefix("form:")).alias("form_id"),
                    pl.lit(form["workflow_id"]).alias("workflow_id"),
                )
            )
    if not parts:
        return schema.empty_table()
    return pl.concat(parts).select(schema.names).to_arrow().cast(schema)
