"""Knowledge from agent outputs: ranked, de-duplicated recommendations per workflow, links to related work in
the same industry, and recommendations for a new intake form. Plain polars/numpy, no Dagster; see
docs/recommendations.md.
"""

from .forms import FORM_SCHEMA, recommend_for_form, title_key, worked_recommendations
from .recommend import (
    CONFIDENCE_THRESHOLDS,
    DEFAULT_MERGE_THRESHOLD,
    EASE_LEVELS,
    IMPACT_LEVELS,
    RANKED_SCHEMA,
    RankingWeights,
    form_text,
    link_related,
    merge_groups,
    rank_workflow_recommendations,
    recommendation_text,
    score_recommendations,
)

__all__ = [
    "CONFIDENCE_THRESHOLDS",
    "DEFAULT_MERGE_THRESHOLD",
    "EASE_LEVELS",
    "FORM_SCHEMA",
    "IMPACT_LEVELS",
    "RANKED_SCHEMA",
    "RankingWeights",
    "form_text",
    "link_related",
    "merge_groups",
    "rank_workflow_recommendations",
    "recommend_for_form",
    "recommendation_text",
    "score_recommendations",
    "title_key",
    "worked_recommendations",
]
