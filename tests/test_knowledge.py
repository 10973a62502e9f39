"""The knowledge step through real Dagster runs, on both backends, with the offline provider and with the real
`openai` client against the local fake server (tests/fake_openai.py).

Oracles independent of the code under test: item counts from the silver tables by kind, vectors recomputed by
the provider directly, the fake server's own request log, and the PII engine scanning every body it received.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from osa import catalog
from osa.embeddings import HashingEmbeddingProvider
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET
from osa.knowledge.items import INSIGHT_TEXT
from osa.pii import Analyzer
from pipelines.definitions import defs
from pipelines.lakehouse import range_tags
from resources import EmbeddingResource, LandingZoneResource, PrivacyResource, WebhookSecretResource
from tests.backends import open_warehouse
from tests.conftest import SMALL_FIRST, SMALL_LAST, warehouse_resource
from tests.fake_openai import FakeOpenAI
from tests.test_assets import SMALL_DAYS

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def run(location: str, landing: Path, embeddings: EmbeddingResource) -> dg.ExecuteInProcessResult:
    resources = {
        "warehouse": warehouse_resource(location),
        "landing": LandingZoneResource(path=str(landing)),
        "webhook": WebhookSecretResource(secret=DEVELOPMENT_WEBHOOK_SECRET),
        "privacy": PrivacyResource(),
        "embeddings": embeddings,
    }
    result = defs.resolve_job_def("lakehouse_job").execute_in_process(
        resources=resources, tags=range_tags(SMALL_FIRST, SMALL_LAST), run_config=QUIET, raise_on_error=False
    )
    assert result.success, [str(e.message) for e in result.all_events if e.is_failure][:3]
    return result


def knowledge_metadata(result: dg.ExecuteInProcessResult, store=None) -> dict[str, dict]:
    """The embedding figures of each partition of the run's `knowledge_items`, by day. With `store`, each day's
    `embedding/texts` is checked against that day's items in the warehouse (each day its own, not the window's)."""
    figures = {
        m.partition: {k: v.value for k, v in m.materialization.metadata.items() if k.startswith("embedding/")}
        for m in result.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "knowledge_items"
    }
    assert sorted(figures) == [d.isoformat() for d in SMALL_DAYS], figures
    if store is not None:
        for day, day_figures in figures.items():
            items = store.scalar(f"SELECT count(*) FROM knowledge_items WHERE event_date = DATE '{day}'")
            assert day_figures["embedding/texts"] == items > 0, (day, day_figures)
            parts = ("embedded", "cache_hits", "duplicates")
            assert sum(day_figures[f"embedding/{part}"] for part in parts) == items, (day, day_figures)
    return figures


def total(figures: dict[str, dict], name: str) -> float:
    return sum(day[f"embedding/{name}"] for day in figures.values())


def test_knowledge_items_cover_every_source_row_with_unit_vectors_and_rerun_embeds_nothing(
    warehouse_location, small_landing
):
    first = run(warehouse_location, small_landing, EmbeddingResource())
    store = open_warehouse(warehouse_location)
    expected = {
        "recommendation": store.scalar("SELECT count(*) FROM silver_recommendations"),
        "intake_form": store.scalar("SELECT count(*) FROM silver_intake_forms"),
        "insight": sum(store.scalar(f"SELECT count(*) FROM {table}") for table in INSIGHT_TEXT),
    }
    assert all(expected.values())
    rows = store.query("SELECT knowledge_type, count(*) AS n FROM knowledge_items GROUP BY 1").to_pylist()
    got = {row["knowledge_type"]: row["n"] for row in rows}
    assert got == expected
    items = store.query("SELECT item_id, content, content_hash, embedding, embedding_model FROM knowledge_items")
    vectors = np.asarray(items.column("embedding").to_pylist(), np.float32)
    assert vectors.shape == (items.num_rows, catalog.EMBEDDING_DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # the stored vector is what the provider gives for the stored text (an oracle outside the step)
    provider = HashingEmbeddingProvider(catalog.EMBEDDING_DIMENSIONS)
    sample = list(range(0, items.num_rows, max(1, items.num_rows // 25)))
    direct = provider.embed([items.column("content")[i].as_py() for i in sample])
    assert np.allclose(direct, vectors[sample], atol=1e-6)
    assert set(items.column("embedding_model").to_pylist()) == {provider.model}
    first_figures = knowledge_metadata(first, store)
    # every distinct text of the window embedded once, on the first day it appears; the days differ
    assert total(first_figures, "embedded") == store.scalar("SELECT count(DISTINCT content_hash) FROM knowledge_items")

    assert_recommendations_account_for_every_input(store)

    before = sorted(map(json.dumps, store.query("SELECT item_id, content_hash FROM knowledge_items").to_pylist()))
    second = run(warehouse_location, small_landing, EmbeddingResource())
    figures = knowledge_metadata(second, store)
    assert total(figures, "embedded") == 0
    assert all(day["embedding/cache_hits"] > 0 for day in figures.values())
    after = sorted(map(json.dumps, store.query("SELECT item_id, content_hash FROM knowledge_items").to_pylist()))
    assert after == before  # idempotent


def assert_recommendations_account_for_every_input(store) -> None:
    """Oracles from the silver tables: every recommendation of a (workflow, day) is in exactly one merged group,
    ranks are 1..n, and a form is never recommended its own workflow's work."""
    silver = store.query("SELECT recommendation_id, workflow_id, event_date FROM silver_recommendations").to_pylist()
    groups = store.query(
        "SELECT workflow_id, event_date, rank, recommendation_id, merged_recommendation_ids, agents "
        "FROM workflow_recommendations"
    ).to_pylist()
    merged = sorted(rid for g in groups for rid in g["merged_recommendation_ids"])
    assert merged == sorted(r["recommendation_id"] for r in silver)
    assert all(g["recommendation_id"] in g["merged_recommendation_ids"] and g["agents"] for g in groups)
    by_key: dict = {}
    for g in groups:
        by_key.setdefault((g["workflow_id"], g["event_date"]), []).append(g["rank"])
    assert all(sorted(ranks) == list(range(1, len(ranks) + 1)) for ranks in by_key.values())
    home = {r["recommendation_id"]: (r["workflow_id"], r["event_date"]) for r in silver}
    assert all(
        home[rid] == (g["workflow_id"], g["event_date"]) for g in groups for rid in g["merged_recommendation_ids"]
    )
    forms = store.query("SELECT workflow_id, past_workflow_ids, support FROM form_recommendations").to_pylist()
    assert forms, "no form got a proposal"
    assert all(f["workflow_id"] not in f["past_workflow_ids"] and f["support"] == len(f["past_workflow_ids"])
               for f in forms)  # fmt: skip


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def test_openai_provider_sends_only_redacted_text_and_a_rerun_makes_no_request(tmp_path, small_landing, fake):
    location = str(tmp_path / "w.duckdb")
    openai = EmbeddingResource(provider="openai", api_key="sk-test-fake-key", base_url=fake.base_url)
    first = run(location, small_landing, openai)
    sent = fake.embedding_requests
    assert sent, "the provider never called the API"
    inputs = [text for request in sent for text in request.json()["input"]]
    store = open_warehouse(location)
    assert len(inputs) == store.scalar("SELECT count(DISTINCT content_hash) FROM knowledge_items")
    findings = [(text[:40], f.pii_type) for text in inputs for f in Analyzer().analyze(text)]
    assert findings == []
    assert all(request.json()["model"] == "text-embedding-3-small" for request in sent)
    figures = knowledge_metadata(first, store)
    assert total(figures, "requests") == len(sent) and total(figures, "input_tokens") > 0
    assert total(figures, "cost_usd") > 0

    fake.reset()
    run(location, small_landing, openai)
    assert fake.embedding_requests == []  # the cache answered everything


def test_a_provider_with_other_dimensions_fails_the_step_in_one_line(tmp_path, small_landing):
    resources = {
        "warehouse": warehouse_resource(str(tmp_path / "w.duckdb")),
        "landing": LandingZoneResource(path=str(small_landing)),
        "webhook": WebhookSecretResource(secret=DEVELOPMENT_WEBHOOK_SECRET),
        "privacy": PrivacyResource(),
        "embeddings": EmbeddingResource(dimensions=384),
    }
    result = defs.resolve_job_def("lakehouse_job").execute_in_process(
        resources=resources, tags=range_tags(SMALL_FIRST, SMALL_LAST), run_config=QUIET, raise_on_error=False
    )
    assert not result.success
    from osa.cli import run_failure_cause

    cause = run_failure_cause(result)
    assert "384" in cause and "1536" in cause and "\n" not in cause, cause
    assert open_warehouse(str(tmp_path / "w.duckdb")).scalar("SELECT count(*) FROM knowledge_items") == 0


QUESTIONS = (
    "reduce cart abandonment at checkout",
    "speed up page load for regional visitors",
    "personalize the homepage for returning customers",
    "clean up campaign naming in the CMP",
    "Healthcare intake goals",
)


def test_search_is_exact_on_duckdb_and_matches_it_through_hnsw_on_postgres(tmp_path, small_landing, new_pg_database):
    """The same questions on both backends give the same top 10, and both equal an exact numpy search over the
    stored vectors (the oracle: a matrix product, not the SQL under test)."""
    from osa.knowledge.search import search

    duck, pg = str(tmp_path / "w.duckdb"), new_pg_database(with_schema=False)
    for location in (duck, pg):
        run(location, small_landing, EmbeddingResource())
    for table, order in (("workflow_recommendations", "workflow_id, event_date, rank"), ("form_recommendations",
                         "form_id, rank")):  # fmt: skip
        rows = [open_warehouse(x).query(f"SELECT * FROM {table} ORDER BY {order}").to_pylist() for x in (duck, pg)]
        assert rows[0] == rows[1], table  # the same recommendations on both backends
    provider = HashingEmbeddingProvider(catalog.EMBEDDING_DIMENSIONS)
    stored = open_warehouse(duck).query("SELECT item_id, embedding FROM knowledge_items ORDER BY item_id")
    ids = stored.column("item_id").to_pylist()
    matrix = np.asarray(stored.column("embedding").to_pylist(), np.float32)
    for question in QUESTIONS:
        similarity = matrix @ provider.embed([question])[0]
        order = sorted(range(len(ids)), key=lambda i: (-round(float(similarity[i]), 5), ids[i]))[:10]
        exact = [(ids[i], round(float(similarity[i]), 4)) for i in order]
        for location in (duck, pg):
            found = search(open_warehouse(location), provider, question, k=10).to_pylist()
            got = [(row["item_id"], round(row["similarity"], 4)) for row in found]
            assert [s for _, s in got] == [s for _, s in exact], (location[:12], question)
            assert set(got) == set(exact) or len({s for _, s in exact}) < 10, (location[:12], question)
    # a filter narrows the candidates without losing any: Postgres keeps scanning the index until k rows pass it
    filtered = [
        search(open_warehouse(x), provider, QUESTIONS[0], k=10, knowledge_type="insight").to_pylist()
        for x in (duck, pg)
    ]
    assert all(row["knowledge_type"] == "insight" for rows in filtered for row in rows)
    assert [round(r["similarity"], 4) for r in filtered[0]] == [round(r["similarity"], 4) for r in filtered[1]]
    assert len(filtered[1]) == 10  # ties may order differently; the similarities may not
    # many searches on one open connection (vector_search) answer exactly as one nearest() call each
    vectors = provider.embed(list(QUESTIONS))
    for location in (duck, pg):
        store = open_warehouse(location)
        with store.vector_search() as nearest:
            kept = [nearest(v, 10).column("similarity").to_pylist() for v in vectors]
            kept.append(
                nearest(vectors[0], 10, where="knowledge_type = ?", params=["insight"])["similarity"].to_pylist()
            )
        single = [store.nearest(v, 10).column("similarity").to_pylist() for v in vectors]
        single.append([r["similarity"] for r in filtered[0]])  # the filtered search above (equal on both)
        assert [[round(x, 4) for x in row] for row in kept] == [[round(x, 4) for x in row] for row in single]


def test_osa_search_from_the_command_line(tmp_path, small_landing):
    import subprocess
    import sys

    from tests.conftest import osa_env

    env = osa_env(tmp_path)
    osa = str(Path(sys.executable).with_name("osa"))
    empty = subprocess.run([osa, "search", "anything"], env=env, capture_output=True, text=True, timeout=120)
    assert empty.returncode == 1 and len(empty.stderr.strip().splitlines()) == 1, empty.stderr
    run(env["OSA_DUCKDB_PATH"], small_landing, EmbeddingResource())
    done = subprocess.run(
        [osa, "search", "reduce cart abandonment", "--k", "3", "--type", "recommendation"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("recommendation") >= 3 and "similarity" in done.stdout
    workflow = open_warehouse(env["OSA_DUCKDB_PATH"]).scalar("SELECT min(workflow_id) FROM workflow_recommendations")
    ranked = subprocess.run([osa, "recommend", workflow, "--k", "3"], env=env, capture_output=True, text=True)
    assert ranked.returncode == 0 and "rank" in ranked.stdout and "merged" in ranked.stdout, ranked.stderr
    unknown = subprocess.run([osa, "recommend", "wf-nope"], env=env, capture_output=True, text=True)
    assert unknown.returncode == 1 and unknown.stderr.startswith("osa recommend: error: no recommendations for")
    no_key = subprocess.run(
        [osa, "search", "x"], env={**env, "OSA_EMBEDDING_PROVIDER": "openai"}, capture_output=True, text=True
    )
    assert no_key.returncode == 1
    assert no_key.stderr.strip() == "osa search: error: OSA_EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY"
    unreachable = {
        **env,
        "OSA_EMBEDDING_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-secret-never-shown",
        "OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
    }
    down = subprocess.run([osa, "search", "x"], env=unreachable, capture_output=True, text=True, timeout=120)
    assert down.returncode == 1 and len(down.stderr.strip().splitlines()) == 1, down.stderr
    assert "unreachable" in down.stderr and "sk-secret" not in down.stderr
