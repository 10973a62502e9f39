"""Vector search benchmark (issue 10): Postgres HNSW (pgvector) and DuckDB exact scan over `knowledge_items`.

Usage::

    URL=$(bash scripts/pg.sh url)
    .venv/bin/python bench/vector_search.py --database-url "$URL" [--n 100000] [--queries 200] \
        [--data clustered,hashing,hashing-distinct]

Everything goes through the project's own code: `apply_schema()` (the real migrations, so the real
`knowledge_items` table), `replace_window()` (COPY BINARY on Postgres, Arrow on DuckDB) and `nearest(vector, k)`
(the query path `osa search` uses; on Postgres `SET LOCAL hnsw.ef_search` from `HNSW_EF_SEARCH`, changed per
instance here to compare 40 / 100 / 200). The oracle is exact cosine search in numpy.

The HNSW index of sql/postgres/V006 (m=16, ef_construction=64) is dropped before the load and created again,
with the same statement read from the migration, after it: building once over loaded rows is how a bulk load
should be done and the build time is what is reported (inserting 100k rows into an existing HNSW index costs
far more). The build runs with `maintenance_work_mem` raised for this session only (``--maintenance-work-mem``)
so the graph fits in memory; the cluster's own settings are untouched.

Two data sets of N rows each:
- ``clustered``: random Gaussian clusters (as tests/test_postgres.py), queries near cluster centres;
- ``hashing``: the offline `HashingEmbeddingProvider(1536)` over knowledge items built from generated data
  (`osa.generate.generate` → the repo's ingest → `osa.knowledge.items.build_items`); queries are embeddings of
  other generated items' texts (another seed) plus short free-text queries. Template text repeats, so many rows
  have identical vectors: recall counts a returned item as correct when its exact similarity is at least the
  10th best exact similarity (ties are not misses);
- ``hashing-distinct``: the same, one item per distinct text (N distinct vectors, as varied real text would be).

A scratch database is created for the run (from template0, extensions added as the cluster's superuser through
scripts/pg.sh) and dropped at the end; the DuckDB file lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import polars as pl
import psycopg
import pyarrow as pa
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osa.embeddings import HashingEmbeddingProvider  # noqa: E402
from osa.generate import generate  # noqa: E402
from osa.ingest.intake import process_intake  # noqa: E402
from osa.ingest.landing import landing_files, read_lines  # noqa: E402
from osa.ingest.opal import process_deliveries  # noqa: E402
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET  # noqa: E402
from osa.knowledge.items import INSIGHT_TEXT, Sources, build_items  # noqa: E402
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse  # noqa: E402
from osa.warehouse.postgres_warehouse import PostgresWarehouse, redact_url  # noqa: E402
from tests.backends import with_required_columns  # noqa: E402

DIM = 1536
K = 10
DAY = dt.date(2026, 7, 1)
INDEX = "knowledge_items_embedding_hnsw_idx"
MIGRATION = ROOT / "sql" / "postgres" / "V006__knowledge.sql"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load_average()}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------- data
def generated_items(seed: int, workflows: int, days: int = 40) -> pl.DataFrame:
    """Knowledge items (every column but the embedding ones) from a generated landing set, through the repo's
    own ingest (intake + signed deliveries → silver) and `build_items`. The text is the raw generated text
    (the PII choke point that the pipeline runs in between is not part of this benchmark)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, workflows=workflows, days=days, seed=seed)
        forms = pl.from_arrow(process_intake(read_lines(landing_files(out, "intake_forms"), out)).silver)
        deliveries = process_deliveries(
            read_lines(landing_files(out, "opal_deliveries"), out), secret=DEVELOPMENT_WEBHOOK_SECRET
        )
    utc = lambda column: pl.col(column).dt.convert_time_zone("UTC")  # noqa: E731  (Etc/UTC vs UTC)
    forms = forms.with_columns(utc("submitted_at"))
    sources = Sources(
        recommendations=pl.from_arrow(deliveries.recommendations),
        executions=pl.from_arrow(deliveries.agent_executions).select(
            "delivery_id", "confidence_score", utc("received_at")
        ),
        forms=forms,
        insights={table: pl.from_arrow(deliveries.insights[table]) for table in INSIGHT_TEXT},
        industries=forms.group_by("workflow_id", pl.col("event_date").alias("form_day")).agg(pl.col("industry").min()),
    )
    return build_items(sources)


def clustered(n: int, queries: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """N vectors in N/1000 Gaussian clusters (spread 0.6 around unit-variance centres, as tests/test_postgres.py);
    queries are new points near randomly chosen centres (spread 0.3)."""
    clusters = max(8, n // 1000)
    centers = rng.standard_normal((clusters, DIM)).astype(np.float32)
    vectors = np.empty((n, DIM), np.float32)
    for start in range(0, n, 10_000):
        stop = min(n, start + 10_000)
        vectors[start:stop] = centers[rng.integers(0, clusters, stop - start)] + 0.6 * rng.standard_normal(
            (stop - start, DIM), dtype=np.float32
        )
    qs = centers[rng.integers(0, clusters, queries)] + 0.3 * rng.standard_normal((queries, DIM), dtype=np.float32)
    return vectors, qs.astype(np.float32), [f"vec-{i:07d}" for i in range(n)]


FREE_TEXT_QUERIES = (
    "speed up page loads for visitors abroad",
    "checkout friction experiment",
    "loyalty program personalization",
    "consent banner compliance",
    "naming convention for campaigns",
    "reduce cart abandonment retail",
    "newsletter subscribers segment",
    "pricing page readability",
    "webhook errors integration",
    "onboarding after purchase",
)


def hashing(
    n: int, queries: int, rng: np.random.Generator, *, distinct: bool = False
) -> tuple[np.ndarray, np.ndarray, list[str], pl.DataFrame]:
    """N generated knowledge items (seed 11) embedded by the offline provider; queries: texts of items of
    another generated set (seed 12) and short free-text queries. `distinct`: one item per distinct text (the
    generator repeats template text, so this generates about five times as many items and keeps N)."""
    provider = HashingEmbeddingProvider(DIM)
    workflows = (n * 6 if distinct else n) // 30 + 50  # ~38 items per workflow, ~1 in 5 texts distinct
    while True:
        items = generated_items(11, workflows)
        if distinct:
            items = items.unique("content", keep="first", maintain_order=True)
        if items.height >= n:
            break
        workflows *= 2
    items = items.head(n)
    vectors = provider.embed(items["content"].to_list())
    other = generated_items(12, 40)["content"].to_list()
    picked = [other[i] for i in rng.choice(len(other), size=max(0, queries - len(FREE_TEXT_QUERIES)), replace=False)]
    texts = (list(FREE_TEXT_QUERIES) + picked)[:queries]
    return vectors, provider.embed(texts), items["item_id"].to_list(), items


def rows_table(vectors: np.ndarray, ids: list[str], items: pl.DataFrame | None) -> pa.Table:
    """`knowledge_items` rows: the generated items' own columns where there are items, else just the ids (and
    every NOT NULL column filled by tests/backends.py), spread over 10 days."""
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), DIM)
    if items is not None:
        table = items.with_columns(
            pl.lit(DAY).alias("event_date"), pl.lit("osa-lexical-hash-v1").alias("embedding_model")
        ).to_arrow()
        table = table.append_column("embedding", embedding)
    else:
        days = [DAY + dt.timedelta(days=i % 10) for i in range(len(ids))]
        table = pa.table(
            {
                "event_date": pa.array(days, pa.date32()),
                "item_id": ids,
                "embedding_model": ["bench-clustered"] * len(ids),
                "is_active": [True] * len(ids),  # with_required_columns would fill False: nearest() skips those
                "embedding": embedding,
            }
        )
    return with_required_columns("knowledge_items", table)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine top-k (indices, similarities) by numpy brute force: the oracle."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    sims = q @ unit.T  # (queries, n)
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    return top, sims


def recall(returned: list[list[str]], sims: np.ndarray, top: np.ndarray, index: dict[str, int], k: int) -> str:
    """Mean recall@k (a returned id counts if its exact similarity reaches the k-th best, so ties are not misses)
    and the similarity ratio (sum of the returned items' exact similarities / sum of the exact top k's)."""
    scores, ratios = [], []
    for q, ids in enumerate(returned):
        kth = sims[q, top[q, k - 1]] - 1e-6
        got = [sims[q, index[i]] for i in ids[:k]]
        scores.append(sum(1 for s in got if s >= kth) / k)
        ratios.append(sum(got) / max(float(sims[q, top[q, :k]].sum()), 1e-9))
    return f"{np.mean(scores):.4f} (similarity ratio {np.mean(ratios):.4f})"


def spread(sims: np.ndarray, top: np.ndarray) -> str:
    """How crowded the neighbourhood is: median exact similarity of the 1st, 10th, 11th, 50th and 100th."""
    ranked = -np.sort(-sims, axis=1)[:, :100]
    return ", ".join(f"#{r} {np.median(ranked[:, r - 1]):.4f}" for r in (1, 10, 11, 50, 100))


def percentiles(seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return f"p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, mean {ms.mean():.1f} ms"


# ---------------------------------------------------------------------------------------------- database
def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def create_scratch(url: str) -> str:
    name = f"osa_bench_vec_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    for extension in ("timescaledb", "vector"):
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg.sh"), "psql", "-q", "-d", name, "-c",
             f"CREATE EXTENSION IF NOT EXISTS {extension}"],
            check=True,
            env={**os.environ, "OSA_PG_SUPERUSER": "1"},
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return _with_database(url, name)


def drop_scratch(url: str, scratch: str) -> None:
    name = urlsplit(scratch).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def index_statement() -> str:
    """The HNSW index statement exactly as declared in the migration."""
    found = re.search(r"CREATE INDEX IF NOT EXISTS knowledge_items_embedding_hnsw_idx[^;]+;", MIGRATION.read_text())
    assert found, f"no HNSW index statement in {MIGRATION}"
    return " ".join(found.group(0).split())


# ---------------------------------------------------------------------------------------------- runs
def bench_postgres(scratch: str, table: pa.Table, queries: np.ndarray, oracle, args) -> None:
    top, sims, index = oracle
    store = PostgresWarehouse(scratch)
    store.apply_schema()
    with store.connect(autocommit=True) as con:
        con.execute("TRUNCATE knowledge_items")
        con.execute(f"DROP INDEX IF EXISTS {INDEX}")
    started = time.perf_counter()
    store.replace_window("knowledge_items", table, DAY, DAY + dt.timedelta(days=10))
    loaded = time.perf_counter() - started
    log(f"postgres: load {table.num_rows:,} rows (COPY BINARY via replace_window): {loaded:.1f} s")
    statement = index_statement()
    with store.connect(autocommit=True) as con:
        con.execute(f"SET maintenance_work_mem = '{args.maintenance_work_mem}'")
        notices: list[str] = []
        con.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        started = time.perf_counter()
        con.execute(statement)
        built = time.perf_counter() - started
        con.execute("VACUUM ANALYZE knowledge_items")
        size = con.execute(f"SELECT pg_size_pretty(pg_relation_size('{INDEX}'))").fetchone()[0]
        workers = con.execute("SHOW max_parallel_maintenance_workers").fetchone()[0]
    log(
        f"postgres: HNSW build ({statement.split(' USING ')[1]}) {built:.1f} s, index {size}, "
        f"maintenance_work_mem {args.maintenance_work_mem}, max_parallel_maintenance_workers {workers}"
        + (f"; notices: {notices}" if notices else "")
    )
    for _ in range(5):  # warm up: connection, type lookup, index pages into shared buffers / page cache
        store.nearest(queries[0], K)
    times = []
    for _ in range(50):
        started = time.perf_counter()
        with store.connect(read_only=True) as con:
            con.execute("SELECT 1").fetchall()
        times.append(time.perf_counter() - started)
    log(f"postgres: connect + SELECT 1 (what nearest() pays per call before searching): {percentiles(times)}")

    for ef in args.ef:
        default = " (the class default)" if ef == PostgresWarehouse.HNSW_EF_SEARCH else ""
        store.HNSW_EF_SEARCH = ef  # instance attribute: the search session runs SET hnsw.ef_search = ef
        # 1) nearest(): what one `osa search` pays, a new connection per call
        count = min(len(queries), args.scan_queries)
        times, returned = [], []
        for q in queries[:count]:
            started = time.perf_counter()
            result = store.nearest(q, K)
            times.append(time.perf_counter() - started)
            returned.append(result.column("item_id").to_pylist())
        log(
            f"postgres: ef_search {ef}{default}: nearest() (connection per call): recall@10 "
            f"{recall(returned, sims[:count], top[:count], index, K)}, {percentiles(times)} over {count} queries"
        )
        # 2) vector_search(): the same query on one open connection, as a service would run it
        times, returned = [], []
        with store.vector_search() as search:
            for q in queries:
                started = time.perf_counter()
                result = search(q, K)
                times.append(time.perf_counter() - started)
                returned.append(result.column("item_id").to_pylist())
        log(
            f"postgres: ef_search {ef}{default}: vector_search() (one connection): recall@10 "
            f"{recall(returned, sims, top, index, K)}, {percentiles(times)} over {len(queries)} queries"
        )


def bench_duckdb(path: Path, table: pa.Table, queries: np.ndarray, oracle, count: int) -> None:
    top, sims, index = oracle
    store = DuckDBWarehouse(path)
    store.apply_schema()
    started = time.perf_counter()
    store.replace_window("knowledge_items", table, DAY, DAY + dt.timedelta(days=10))
    log(f"duckdb: load {table.num_rows:,} rows (replace_window): {time.perf_counter() - started:.1f} s")
    store.nearest(queries[0], K)  # warm up
    times, returned = [], []
    for q in queries[:count]:
        started = time.perf_counter()
        result = store.nearest(q, K)
        times.append(time.perf_counter() - started)
        returned.append(result.column("item_id").to_pylist())
    log(
        f"duckdb: exact array_cosine_similarity: recall@10 "
        f"{recall(returned, sims[:count], top[:count], index, K)}; "
        f"nearest() {percentiles(times)} over {count} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("OSA_DATABASE_URL", ""))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--duckdb-queries", type=int, default=None, help="default: --queries")
    parser.add_argument("--data", default="clustered,hashing,hashing-distinct")
    parser.add_argument("--ef", default="40,100,200", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--maintenance-work-mem", default="2GB")
    parser.add_argument(
        "--scan-queries", type=int, default=30, help="queries timed through nearest() (a connection per call)"
    )
    parser.add_argument("--skip", default="", help="comma list of backends to skip: postgres,duckdb")
    args = parser.parse_args()
    if not args.database_url and "postgres" not in args.skip:
        parser.error("--database-url (or OSA_DATABASE_URL) is required, e.g. $(bash scripts/pg.sh url)")
    rng = np.random.default_rng(2026)
    log(f"N={args.n:,} x {DIM}, k={K}, {args.queries} queries, cpus {os.cpu_count()}")
    for data in args.data.split(","):
        started = time.perf_counter()
        if data == "clustered":
            vectors, queries, ids = clustered(args.n, args.queries, rng)
            items = None
        elif data in ("hashing", "hashing-distinct"):
            vectors, queries, ids, items = hashing(args.n, args.queries, rng, distinct=data == "hashing-distinct")
        else:
            raise SystemExit(f"unknown data set {data!r}")
        table = rows_table(vectors, ids, items)
        distinct = len(np.unique(vectors.view(np.dtype((np.void, DIM * 4)))))
        built = time.perf_counter() - started
        log(f"== {data}: {len(ids):,} rows ({distinct:,} distinct vectors) built in {built:.1f} s")
        started = time.perf_counter()
        top, sims = exact_top(vectors, queries, K)
        oracle = (top, sims, {item: i for i, item in enumerate(ids)})
        log(f"{data}: numpy exact oracle for {len(queries)} queries: {time.perf_counter() - started:.1f} s")
        log(f"{data}: median exact similarity by rank: {spread(sims, top)}")
        if "postgres" not in args.skip:
            scratch = create_scratch(args.database_url)
            log(f"scratch database {redact_url(scratch)}")
            try:
                bench_postgres(scratch, table, queries, oracle, args)
            finally:
                drop_scratch(args.database_url, scratch)
        if "duckdb" not in args.skip:
            with tempfile.TemporaryDirectory() as tmp:
                bench_duckdb(Path(tmp) / "w.duckdb", table, queries, oracle, args.duckdb_queries or args.queries)
        del vectors, table, sims


if __name__ == "__main__":
    main()
