"""osa.knowledge: ranking, merging, linking and form recommendations against oracles known by construction."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osa.embeddings import HashingEmbeddingProvider
from osa.knowledge import (
    RankingWeights,
    link_related,
    merge_groups,
    rank_workflow_recommendations,
    recommend_for_form,
    recommendation_text,
    score_recommendations,
    worked_recommendations,
)


def recs(rows: list[tuple]) -> pa.Table:
    """(recommendation_id, workflow_id, agent_id, priority, title, description, impact, effort[, category])."""
    cols = ["recommendation_id", "workflow_id", "agent_id", "priority", "title", "description"]
    cols += ["impact_estimate", "effort_estimate", "category"]
    data = [r if len(r) == 9 else (*r, "content") for r in rows]
    frame = pl.DataFrame(data, schema=cols, orient="row").with_columns(
        pl.col("priority").cast(pl.Int32), (pl.col("recommendation_id") + "-d").alias("delivery_id")
    )
    return frame.to_arrow()


def execs(table: pa.Table, overrides: dict[str, tuple[str, float, bool]] | None = None) -> pa.Table:
    """One completed, confident, timely execution per delivery unless `overrides[rec_id]` says otherwise."""
    frame = pl.from_arrow(table).select("recommendation_id", "delivery_id", "workflow_id", "agent_id")
    overrides = overrides or {}
    status = [overrides.get(r, ("completed", 0.99, False)) for r in frame["recommendation_id"]]
    return frame.with_columns(
        pl.Series("execution_status", [s[0] for s in status]),
        pl.Series("confidence_score", [s[1] for s in status], dtype=pl.Float64),
        pl.Series("is_timeout", [s[2] for s in status]),
    ).to_arrow()


def embed(table: pa.Table) -> tuple[np.ndarray, list[str]]:
    return HashingEmbeddingProvider(dimensions=256).embed(recommendation_text(table)), table[
        "recommendation_id"
    ].to_pylist()


NEUTRAL = RankingWeights(corroboration=0.0)


def test_score_formula_by_hand() -> None:
    table = recs([("a", "w", "content_review", 10, "T", "D", "critical", "low")])
    w = RankingWeights()
    got = score_recommendations(table, execs(table, {"a": ("completed", 0.9, False)}), weights=w)["score"][0]
    expected = (w.priority * 1.0 + w.impact * 1.0 + w.effort * 1.0 + w.confidence * 0.9) / 1.0
    assert got == pytest.approx(expected)
    # below content_review's threshold (0.80) and timed out: both multipliers apply
    low = score_recommendations(table, execs(table, {"a": ("completed", 0.7, True)}), weights=w)
    base = w.priority + w.impact + w.effort + w.confidence * 0.7
    assert low["score"][0] == pytest.approx(base * w.below_threshold * w.timeout)
    assert not low["is_reliable"][0]


def test_ranking_and_merge_known_by_construction() -> None:
    same = "Add comparison tables to category landing pages for shoppers"
    table = recs(
        [
            # a and b are the same text from two agents (merge); c is different; d is another workflow
            ("a", "w1", "content_review", 5, "Comparison tables", same, "medium", "medium"),
            ("b", "w1", "roadmap_generator", 9, "Comparison tables", same, "high", "low"),
            ("c", "w1", "geo_audit", 7, "Serve assets from a regional CDN edge", "Latency", "high", "high"),
            ("d", "w2", "content_review", 1, "Comparison tables", same, "low", "high"),
            # e would outrank c, but its agent is below threshold and timed out
            ("e", "w1", "cmp_organizer", 10, "Adopt a naming scheme", "Campaign names", "critical", "low"),
        ]
    )
    ex = execs(table, {"e": ("completed", 0.5, True)})
    vectors, ids = embed(table)
    out = pl.from_arrow(rank_workflow_recommendations(table, ex, vectors, ids, weights=NEUTRAL, merge_threshold=0.95))
    w1 = out.filter(pl.col("workflow_id") == "w1")
    assert w1["recommendation_id"].to_list() == ["b", "c", "e"]
    assert w1["rank"].to_list() == [1, 2, 3]
    assert w1["merged_recommendation_ids"][0].to_list() == ["a", "b"]
    assert w1["agents"][0].to_list() == ["content_review", "roadmap_generator"]
    assert out.filter(pl.col("workflow_id") == "w2")["merged_recommendation_ids"].to_list() == [["d"]]
    # the corroboration bonus: two agents agree, one bonus step
    bonus = pl.from_arrow(rank_workflow_recommendations(table, ex, vectors, ids, merge_threshold=0.95))
    assert bonus["score"][0] == pytest.approx(w1["score"][0] + RankingWeights().corroboration)


def test_missing_vector_is_an_error() -> None:
    table = recs([("a", "w", "geo_audit", 5, "T", "D", "low", "low")])
    with pytest.raises(ValueError, match="no vector"):
        rank_workflow_recommendations(table, execs(table), np.zeros((1, 4), np.float32), ["zzz"])


def test_link_related_same_industry_other_workflow() -> None:
    table = recs(
        [
            ("a", "w1", "geo_audit", 5, "Localize currency", "Prices in USD", "high", "low"),
            ("b", "w2", "geo_audit", 5, "Localize currency", "Prices in USD", "high", "low"),  # same industry
            ("c", "w3", "geo_audit", 5, "Localize currency", "Prices in USD", "high", "low"),  # other industry
            ("d", "w1", "geo_audit", 5, "Localize currency", "Prices in USD", "high", "low"),  # same workflow
        ]
    )
    vectors, ids = embed(table)
    ranked = rank_workflow_recommendations(table, execs(table), vectors, ids, merge_threshold=1.1)
    meta = pl.DataFrame({"item_id": ids, "workflow_id": table["workflow_id"].to_pylist()})
    industry = {"w1": "Retail", "w2": "Retail", "w3": "Media"}
    out = pl.from_arrow(link_related(ranked, vectors, meta, industry_of_workflow=industry))
    got = dict(zip(out["recommendation_id"], out["related_item_id"], strict=True))
    assert got["a"] == "b" and got["d"] == "b" and got["b"] in {"a", "d"}
    assert got["c"] is None  # no other workflow in Media
    assert out.filter(pl.col("recommendation_id") == "a")["related_similarity"][0] == pytest.approx(1.0, abs=1e-5)


@st.composite
def merge_cases(draw):
    n = draw(st.integers(1, 14))
    workflows = draw(st.lists(st.sampled_from(["w1", "w2", "w3"]), min_size=n, max_size=n))
    # few distinct base directions plus small noise: many pairs near and around the threshold
    bases = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    noise = draw(st.lists(st.floats(-0.4, 0.4), min_size=n * 3, max_size=n * 3))
    threshold = draw(st.sampled_from([0.5, 0.8, 0.9, 0.97]))
    eye = np.eye(4)
    vectors = eye[bases] + np.concatenate([np.array(noise).reshape(n, 3), np.zeros((n, 1))], axis=1)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return workflows, vectors, threshold


@settings(max_examples=150, deadline=None)
@given(merge_cases())
def test_merge_groups_closed_and_within_workflow(case) -> None:
    workflows, vectors, threshold = case
    labels = merge_groups(workflows, vectors, threshold)
    n = len(workflows)
    sims = vectors @ vectors.T
    for i in range(n):
        for j in range(n):
            if workflows[i] == workflows[j] and sims[i, j] >= threshold + 1e-9:
                assert labels[i] == labels[j]
            if labels[i] == labels[j]:
                assert workflows[i] == workflows[j]
    # every group is connected by pairs above the threshold (no over-merging): an independent BFS
    for group in set(labels.tolist()):
        members = [i for i in range(n) if labels[i] == group]
        seen, frontier = {members[0]}, [members[0]]
        while frontier:
            i = frontier.pop()
            for j in members:
                if j not in seen and sims[i, j] >= threshold - 1e-9:
                    seen.add(j)
                    frontier.append(j)
        assert seen == set(members)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["w1", "w2"]),
            st.sampled_from(["content_review", "geo_audit", "cmp_organizer"]),
            st.integers(1, 10),
            st.sampled_from(["Localize currency", "Add a consent platform", "Fix naming", "Localize currency now"]),
            st.sampled_from(["low", "high", "medium"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([0.6, 0.9, 0.99]),
)
def test_ranking_properties(rows, threshold) -> None:
    table = recs([(f"r{i:02d}", w, a, p, t, "same text", lvl, lvl) for i, (w, a, p, t, lvl) in enumerate(rows)])
    vectors, ids = embed(table)
    out = pl.from_arrow(rank_workflow_recommendations(table, execs(table), vectors, ids, merge_threshold=threshold))
    for _, group in out.group_by("workflow_id"):
        assert sorted(group["rank"].to_list()) == list(range(1, group.height + 1))
        assert group.sort("rank")["score"].is_sorted(descending=True)
    merged = out["merged_recommendation_ids"].explode().to_list()
    assert sorted(merged) == sorted(ids)  # every input exactly once
    assert all(r in m for r, m in zip(out["recommendation_id"], out["merged_recommendation_ids"], strict=True))
    again = rank_workflow_recommendations(table, execs(table), vectors, ids, merge_threshold=threshold)
    assert pl.from_arrow(again).equals(out)  # deterministic


def _forms_case():
    provider = HashingEmbeddingProvider(dimensions=256)
    forms = [
        ("w1", "Retail", "Reduce cart abandonment for shoppers"),
        ("w2", "Retail", "Reduce cart abandonment for returning shoppers"),
        ("w3", "Retail", "Expand into new regions"),
        ("w4", "Media", "Reduce cart abandonment for shoppers"),
    ]
    vectors = provider.embed([f"{i}. {g}" for _, i, g in forms])
    table = recs(
        [
            ("a1", "w1", "content_review", 8, "Checkout trust badges v1", "x", "high", "low", "experimentation"),
            ("a2", "w2", "content_review", 7, "Checkout trust badges v2", "x", "high", "low", "experimentation"),
            ("a3", "w2", "geo_audit", 6, "Localize currency", "x", "high", "low", "content"),
            ("a4", "w3", "geo_audit", 6, "Localize currency", "x", "high", "low", "content"),
            ("a5", "w4", "cmp_organizer", 9, "Fix naming in campaign CMP-1", "x", "high", "low", "content"),
            ("a6", "w2", "cmp_organizer", 9, "Fix naming in campaign CMP-2", "x", "high", "low", "content"),
        ]
    )
    worked = worked_recommendations(table, execs(table, {"a6": ("completed", 0.1, False)}))
    return forms, vectors, worked


def test_recommend_for_form_excludes_and_explains() -> None:
    forms, vectors, worked = _forms_case()
    assert "a6" not in worked["recommendation_id"].to_list()  # below threshold: did not "work"
    ids, industries = [f[0] for f in forms], [f[1] for f in forms]
    out = recommend_for_form(
        vectors[0], "Retail", vectors, ids, industries, worked, k_workflows=2, exclude_workflows=["w1"]
    )
    frame = pl.from_arrow(out)
    assert "w1" not in frame["past_workflow_ids"].explode().to_list()
    assert "a1" not in frame["recommendation_ids"].explode().to_list()
    # k=2 same-industry neighbours are w2 and w3 (w4 is Media, however similar its text)
    assert set(frame["past_workflow_ids"].explode().to_list()) == {"w2", "w3"}
    top = frame.row(0, named=True)
    assert (top["category"], top["title_key"]) == ("content", "localize currency")
    assert top["support"] == 2 and top["score"] == pytest.approx(1.0)
    assert "w2 (" in top["reason"] and "same industry" in top["reason"]
    assert frame["rank"].to_list() == list(range(1, frame.height + 1))
    again = recommend_for_form(
        vectors[0], "Retail", vectors, ids, industries, worked, k_workflows=2, exclude_workflows=["w1"]
    )
    assert again.equals(out)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3), st.integers(1, 4))
def test_recommend_for_form_never_returns_excluded(held, k) -> None:
    forms, vectors, worked = _forms_case()
    ids, industries = [f[0] for f in forms], [f[1] for f in forms]
    out = pl.from_arrow(
        recommend_for_form(
            vectors[held],
            industries[held],
            vectors,
            ids,
            industries,
            worked,
            k_workflows=k,
            exclude_workflows=[ids[held]],
        )
    )
    own = set(worked.filter(pl.col("workflow_id") == ids[held])["recommendation_id"].to_list())
    assert ids[held] not in out["past_workflow_ids"].explode().to_list()
    assert not own & set(out["recommendation_ids"].explode().to_list())
