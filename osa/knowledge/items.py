"""Knowledge items: what the knowledge base holds, built from silver tables (columnar, with polars).

Every recommendation, the text-bearing agent insights, and every intake form of a window become one titled,
summarized text each. The silver tables have passed the PII choke point, so this text is the pseudonymized
version: it is what gets embedded, stored and, with an external provider, sent off the machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from osa import catalog
from osa.embeddings import CacheKey, content_hash

#: Insight tables that carry text worth searching: (title columns, content columns), joined with " · " / ". ".
INSIGHT_TEXT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "silver_geo_audit_findings": (("region", "issue_type"), ("description",)),
    "silver_audience_segments": (("segment_name",), ("segment_name",)),
    "silver_experiment_blueprints": (("experiment_name",), ("hypothesis", "primary_metric")),
    "silver_personalization_ideas": (("title",), ("title", "target_segment", "channel")),
    "silver_roadmap_items": (("title",), ("title", "category")),
    "silver_cmp_issues": (("issue_type",), ("suggestion",)),
}
RETENTION_DAYS = 365  # the strategy-workflow retention category (issue 12)
ITEM_COLUMNS = [c.name for c in catalog.table("knowledge_items").columns]


@dataclass
class Sources:
    """The silver rows of one window that knowledge items are built from."""

    recommendations: pl.DataFrame
    executions: pl.DataFrame  # delivery_id -> confidence, received_at
    forms: pl.DataFrame
    insights: dict[str, pl.DataFrame]
    industries: pl.DataFrame  # (workflow_id, form_day, industry) of every form, any day: see `industry_as_of`


#: Every form's industry by workflow and day: what `industry_as_of` looks industries up in.
FORM_INDUSTRIES_SQL = (
    "SELECT workflow_id, event_date AS form_day, min(industry) AS industry FROM silver_intake_forms "
    "GROUP BY workflow_id, event_date"
)


def read_frame(store, sql: str, params: list | None = None) -> pl.DataFrame:
    """A query's result as a polars frame (either backend)."""
    return pl.from_arrow(store.query(sql, params))  # type: ignore[return-value]


def vectors_of(column: pa.ChunkedArray | pa.Array, dimensions: int) -> np.ndarray:
    """An embedding column (fixed-size lists, as both backends return it) as an (n, dimensions) float32 matrix,
    without going through Python lists."""
    flat = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(flat) == 0:
        return np.zeros((0, dimensions), np.float32)
    return np.asarray(flat.flatten(), np.float32).reshape(-1, dimensions)


def read_sources(store, start: dt.date, end: dt.date) -> Sources:
    """The window's silver rows (and every workflow's industry) from a warehouse of either backend."""
    window = "WHERE event_date >= ? AND event_date < ?"

    def read(sql: str, params: list | None = None) -> pl.DataFrame:
        return read_frame(store, sql, params)

    insights = {}
    for table, (title, content) in INSIGHT_TEXT.items():
        columns = ", ".join(dict.fromkeys(("event_date", "delivery_id", "workflow_id", "item_index", *title, *content)))
        insights[table] = read(f"SELECT {columns} FROM {table} {window}", [start, end])
    return Sources(
        recommendations=read(
            "SELECT event_date, recommendation_id, delivery_id, workflow_id, agent_id, category, priority, title, "
            f"description, impact_estimate, effort_estimate FROM silver_recommendations {window}",
            [start, end],
        ),
        executions=read(
            f"SELECT delivery_id, confidence_score, received_at FROM silver_agent_executions {window}", [start, end]
        ),
        forms=read(
            "SELECT event_date, form_id, workflow_id, submitted_at, industry, goals, target_audience, "
            f"current_challenges FROM silver_intake_forms {window}",
            [start, end],
        ),
        insights=insights,
        industries=read(FORM_INDUSTRIES_SQL),
    )


def _joined(columns: tuple[str, ...], separator: str) -> pl.Expr:
    return pl.concat_str([pl.col(c).cast(pl.String) for c in columns], separator=separator, ignore_nulls=True)


def _listed(label: str, column: str) -> pl.Expr:
    """ "Label: a; b" for a non-empty list, else null (left out of the text)."""
    return pl.when(pl.col(column).list.len() > 0).then(pl.format(f"{label}: {{}}", pl.col(column).list.join("; ")))


def _midnight(column: str = "event_date") -> pl.Expr:
    return pl.col(column).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def build_items(sources: Sources) -> pl.DataFrame:
    """One row per knowledge item (every `knowledge_items` column but the embedding ones), sorted by id."""
    executions = sources.executions.unique("delivery_id")
    agents = {table: catalog.table(table).agent for table in INSIGHT_TEXT}
    recommendations = sources.recommendations.join(executions, on="delivery_id", how="left").select(
        "event_date",
        (pl.lit("rec:") + pl.col("recommendation_id")).alias("item_id"),
        pl.lit("recommendation").alias("knowledge_type"),
        pl.coalesce("title", "category").alias("title"),
        pl.format("{} · impact {} · effort {}", "category", "impact_estimate", "effort_estimate").alias("summary"),
        _joined(("title", "description"), ". ").alias("content"),
        pl.col("agent_id").alias("source_agent"),
        "workflow_id",
        "category",
        pl.col("confidence_score").alias("confidence"),
        pl.concat_list("agent_id", "category", "impact_estimate", "effort_estimate").alias("relevance_tags"),
        pl.coalesce("received_at", _midnight()).alias("created_at"),
    )
    insights = [
        frame.join(executions, on="delivery_id", how="left").select(
            "event_date",
            pl.format("insight:{}:{}:{}", pl.lit(table), "delivery_id", "item_index").alias("item_id"),
            pl.lit("insight").alias("knowledge_type"),
            _joined(INSIGHT_TEXT[table][0], " · ").alias("title"),
            pl.lit(table.removeprefix("silver_").replace("_", " ")).alias("summary"),
            _joined(INSIGHT_TEXT[table][1], ". ").alias("content"),
            pl.lit(agents[table]).alias("source_agent"),
            "workflow_id",
            pl.lit(None, pl.String).alias("category"),
            pl.col("confidence_score").alias("confidence"),
            pl.concat_list(pl.lit(agents[table]), pl.lit(table.removeprefix("silver_"))).alias("relevance_tags"),
            pl.coalesce("received_at", _midnight()).alias("created_at"),
        )
        for table, frame in sources.insights.items()
    ]
    forms = sources.forms.select(
        "event_date",
        (pl.lit("form:") + pl.col("form_id")).alias("item_id"),
        pl.lit("intake_form").alias("knowledge_type"),
        pl.format("Intake form: {}", "industry").alias("title"),
        pl.col("industry").alias("summary"),
        pl.concat_str(
            [
                pl.format("Industry: {}", "industry"),
                _listed("Goals", "goals"),
                pl.format("Audience: {}", "target_audience"),
                _listed("Challenges", "current_challenges"),
            ],
            separator=". ",
            ignore_nulls=True,
        ).alias("content"),
        pl.lit(None, pl.String).alias("source_agent"),
        "workflow_id",
        pl.lit(None, pl.String).alias("category"),
        pl.lit(None, pl.Float64).alias("confidence"),
        pl.concat_list(pl.lit("intake_form")).alias("relevance_tags"),
        pl.coalesce("submitted_at", _midnight()).alias("created_at"),
    )
    items = pl.concat([recommendations, *insights, forms], how="vertical_relaxed")
    items = (
        items.filter(pl.col("content").str.len_chars() > 0)
        .pipe(industry_as_of, sources.industries)
        .with_columns(
            pl.col("title").fill_null(pl.col("knowledge_type")),
            # tags: no nulls, the industry added where known
            pl.concat_list(pl.col("relevance_tags"), pl.col("industry").fill_null(""))
            .list.eval(pl.element().filter(pl.element() != ""))
            .alias("relevance_tags"),
            pl.col("content").map_batches(_hashes, return_dtype=pl.String).alias("content_hash"),
            (pl.col("created_at") + pl.duration(days=RETENTION_DAYS)).alias("expires_at"),
            pl.lit(True).alias("is_active"),
        )
    )
    return items.sort("item_id")


def industry_as_of(frame: pl.DataFrame, industries: pl.DataFrame) -> pl.DataFrame:
    """`frame` plus each workflow's industry as known on the row's day: from its latest form received on or
    before that day. A partition then depends only on days up to its own, so materializing days one by one
    or as one range gives the same rows."""
    known = industries.select("workflow_id", "form_day", "industry").sort("form_day")
    ordered = frame.with_row_index("_order").sort("event_date")
    joined = ordered.join_asof(known, left_on="event_date", right_on="form_day", by="workflow_id", strategy="backward")
    return joined.sort("_order").drop("_order", "form_day")


def _hashes(content: pl.Series) -> pl.Series:
    return pl.Series([content_hash(text) for text in content.to_list()], dtype=pl.String)


def with_embeddings(items: pl.DataFrame, vectors: np.ndarray, model: str) -> pa.Table:
    """`items` plus their embeddings, as an Arrow table in the catalogue's column order and types."""
    dimensions = catalog.EMBEDDING_DIMENSIONS
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.astype(np.float32).reshape(-1)), dimensions)
    table = items.with_columns(pl.lit(model).alias("embedding_model")).to_arrow()
    table = table.append_column("embedding", embedding)
    return table.select(ITEM_COLUMNS).cast(catalog.table("knowledge_items").arrow_schema)


def cache_rows(items: pa.Table, dimensions: int) -> pa.Table:
    """The `embedding_cache` rows for a window's items: one per (day, text, model), so a re-run of the window
    finds every vector it needs and writes the same rows back."""
    frame = pl.from_arrow(items.select(["event_date", "content_hash", "embedding_model", "embedding"]))
    rows = frame.unique(["event_date", "content_hash", "embedding_model"], keep="first", maintain_order=True)
    table = rows.rename({"embedding_model": "model"}).with_columns(pl.lit(dimensions, pl.Int32).alias("dimensions"))
    schema = catalog.table("embedding_cache").arrow_schema
    return table.to_arrow().select(schema.names).cast(schema)


class WarehouseEmbeddingCache:
    """The `embedding_cache` table as an `osa.embeddings.EmbeddingCache`: lookups read what this step computed
    (an earlier day of its window), then the warehouse; what is computed is kept here and written by the
    knowledge step with its window (`cache_rows`)."""

    def __init__(self, store) -> None:
        self.store = store
        self.computed: dict[CacheKey, np.ndarray] = {}

    def get_many(self, keys) -> dict[CacheKey, np.ndarray]:
        keys = list(keys)
        known = {key: self.computed[key] for key in keys if key in self.computed}  # embedded earlier in this step
        wanted = [key for key in keys if key not in known]
        if not wanted:
            return known
        model, dimensions = wanted[0].model, wanted[0].dimensions
        hashes = sorted({key.content_hash for key in wanted})
        found = self.store.query(
            "SELECT content_hash, embedding FROM embedding_cache WHERE model = ? AND dimensions = ? "
            "AND content_hash IN (SELECT unnest(CAST(? AS TEXT[])))",
            [model, dimensions, hashes],
        )
        matrix = vectors_of(found.column("embedding"), dimensions)
        vectors = {CacheKey(h, model, dimensions): matrix[row] for row, h in enumerate(found.column(0).to_pylist())}
        return known | {key: vectors[key] for key in wanted if key in vectors}

    def put_many(self, items) -> None:
        self.computed.update(items)
