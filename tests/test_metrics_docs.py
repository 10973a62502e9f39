"""docs/dashboards.md is generated from the metric, view and chart declarations."""

from osa.metrics import docs


def test_the_committed_dashboard_docs_are_generated_from_the_declarations():
    assert docs.DOC_PATH.read_text() == docs.render(), "run: python -m osa.metrics.docs"
