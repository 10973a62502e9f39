"""Opening a warehouse from its location string, without importing Dagster: spawned writer processes in the
tests import this module, and each skipped Dagster import saves them about a second."""

from __future__ import annotations

from osa.warehouse.base import Warehouse
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse

# The tables every warehouse has (migrations added later, e.g. the PII audit tables, may add more).
PARTITIONED_TABLES = frozenset(
    {  # one row set per event_date partition; hypertables on Postgres
        "bronze_intake_forms",
        "silver_intake_forms",
        "quarantine_intake_forms",
        "bronze_opal_deliveries",
        "quarantine_opal_deliveries",
        "silver_agent_executions",
        "silver_workflow_executions",
        "silver_recommendations",
        "silver_content_review_insights",
        "silver_geo_audit_findings",
        "silver_audience_segments",
        "silver_experiment_blueprints",
        "silver_personalization_ideas",
        "silver_roadmap_items",
        "silver_integration_health_checks",
        "silver_cmp_issues",
        "silver_customer_journey_stages",
        "gold_agent_performance_daily",
        "gold_workflow_completion_daily",
        "gold_recommendation_mix_daily",
    }
)
LAKEHOUSE_TABLES = PARTITIONED_TABLES | {"recommendation_embeddings", "quarantine_records", "schema_migrations"}


def open_warehouse(location: str) -> Warehouse:
    """A warehouse handle from its location: a PostgreSQL URL or a DuckDB file path."""
    return PostgresWarehouse(location) if location.startswith("postgresql://") else DuckDBWarehouse(location)


def location_of(warehouse: Warehouse) -> str:
    """The inverse of `open_warehouse`."""
    return warehouse.url if isinstance(warehouse, PostgresWarehouse) else str(warehouse.path)  # type: ignore[attr-defined]


def apply_schema_and_report(location: str, results) -> None:
    """Process target: apply the schema and put the versions this process applied on `results`."""
    results.put(open_warehouse(location).apply_schema())
