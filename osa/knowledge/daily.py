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
from osa.knowledge.recommend import link_related, rank_workflow_recommendations

WINDOW = "event_date >= ? AND event_date < ?"
RECOMMENDATION_COLUMNS = (
    "event_date, recommendation_id, delivery_id, workflow_id, agent_id, category, priority, title, description, "
    "impact_estimate, effort_estimate"
)
EXECUTION_COLUMNS = "delivery_id, workflow_id, agent_id, execution_status, confidence_score, is_timeout"


def _frame(store, sql: str, params: list | None = None) -> pl.DataFrame:
    return pl.from_arrow(store.query(sql, params))  # type: ignore[return-value]


def _vectors(store, where: str, params: list) -> tuple[list[str], pl.DataFrame, np.ndarray]:
    """(item ids, their metadata, their unit vectors) of the active knowledge items matching `where`."""
    items = store.query(
        "SELECT item_id, workflow_id, industry, event_date, embedding FROM knowledge_items "
        f"WHERE is_active AND {where} ORDER BY item_id",
        params,
    )
    ids = items.column("item_id").to_pylist()
    dimensions = catalog.EMBEDDING_DIMENSIONS
    flat = items.column("embedding").combine_chunks()
    matrix = (
        np.asarray(flat.flatten() if isinstance(flat, pa.FixedSizeListArray) else flat.to_pylist(), np.float32).reshape(
            -1, dimensions
        )
        if len(ids)
        else np.zeros((0, dimensions), np.float32)
    )
    return ids, pl.from_arrow(items.drop_columns(["embedding"])), matrix  # type: ignore[return-value]


def _with_day(table: pa.Table, days: pl.DataFrame, on: str) -> pl.DataFrame:
    return pl.from_arrow(table).join(days, on=on, how="left")  # type: ignore[union-attr]


def workflow_recommendations(store, start: dt.date, end: dt.date) -> pa.Table:
    """Per workflow and day: merged, ranked recommendations linked to related knowledge of the same industry."""
    schema = catalog.table("workflow_recommendations").arrow_schema
    recommendations = _frame(store, f"SELECT {RECOMMENDATION_COLUMNS} FROM silver_recommendations WHERE {WINDOW}",
                             [start, end])  # fmt: skip
    if recommendations.height == 0:
        return schema.empty_table()
    executions = _frame(store, f"SELECT {EXECUTION_COLUMNS} FROM silver_agent_executions WHERE {WINDOW}", [start, end])
    ids, _, matrix = _vectors(store, f"knowledge_type = 'recommendation' AND {WINDOW}", [start, end])
    own = [item.removeprefix("rec:") for item in ids]
    # a workflow's recommendations of one day are one ranking: the day is part of the workflow's key here
    keyed = recommendations.with_columns(pl.format("{}|{}", "workflow_id", "event_date").alias("workflow_id"))
    ranked = pl.from_arrow(rank_workflow_recommendations(keyed, executions, matrix, own))
    ranked = ranked.with_columns(  # type: ignore[union-attr]
        pl.col("workflow_id").str.split("|").list.get(0).alias("workflow_id"),
        pl.col("workflow_id").str.split("|").list.get(1).str.to_date().alias("event_date"),
    )
    all_ids, all_meta, all_matrix = _vectors(store, "knowledge_type = 'recommendation'", [])
    industries = _frame(store, "SELECT workflow_id, min(industry) AS industry FROM silver_intake_forms GROUP BY 1")
    position = {item: row for row, item in enumerate(ids)}
    ranked_vectors = matrix[[position["rec:" + rid] for rid in ranked["recommendation_id"].to_list()]]
    linked = link_related(
        ranked.drop("event_date"),
        all_matrix,
        all_meta.select("item_id", "workflow_id"),
        industry_of_workflow=industries,
        ranked_vectors=ranked_vectors,
    )
    out = pl.from_arrow(linked).with_columns(ranked["event_date"])  # type: ignore[union-attr]
    return out.select(schema.names).to_arrow().cast(schema)


def form_recommendations(store, start: dt.date, end: dt.date, *, top: int = 10) -> pa.Table:
    """For each intake form of the window: what worked for the most similar other workflows."""
    schema = catalog.table("form_recommendations").arrow_schema
    form_ids, form_meta, form_matrix = _vectors(store, f"knowledge_type = 'intake_form' AND {WINDOW}", [start, end])
    if not form_ids:
        return schema.empty_table()
    past_ids, past_meta, past_matrix = _vectors(store, "knowledge_type = 'intake_form'", [])
    worked = worked_recommendations(
        _frame(store, f"SELECT {RECOMMENDATION_COLUMNS} FROM silver_recommendations"),
        _frame(store, f"SELECT {EXECUTION_COLUMNS} FROM silver_agent_executions"),
    )
    parts = []
    for row, form in enumerate(form_meta.iter_rows(named=True)):
        proposals = recommend_for_form(
            form_matrix[row],
            form["industry"],
            past_matrix,
            past_meta["workflow_id"].to_list(),
            past_meta["industry"].to_list(),
            worked,
            top=top,
            exclude_workflows=[form["workflow_id"]],
        )
        if proposals.num_rows:
            parts.append(
                pl.from_arrow(proposals).with_columns(  # type: ignore[union-attr]
                    pl.lit(form["event_date"]).alias("event_date"),
                    pl.lit(form_ids[row].removeprefix("form:")).alias("form_id"),
                    pl.lit(form["workflow_id"]).alias("workflow_id"),
                )
            )
    if not parts:
        return schema.empty_table()
    return pl.concat(parts).select(schema.names).to_arrow().cast(schema)
