"""The production dashboard: Grafana provisioning generated from the same charts `osa dashboard` serves.

`python -m osa.metrics.grafana` writes `docker/grafana/dashboards/osa-lakehouse.json`; the compose stack's
Grafana service provisions it with the Postgres data source `osa-warehouse` (docker/grafana/provisioning/).
Each panel's SQL is the chart's SQL (it reads the dashboard views), wrapped into the shape Grafana's
PostgreSQL data source wants: `time, metric, value` rows for time series (long format, one series per
metric), the chart's own columns for bar charts over categories. tests/test_grafana.py runs every panel's SQL
against a real Postgres warehouse and checks the committed file is this module's output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from osa.dashboard import Chart
from osa.metrics.charts import CHARTS

DASHBOARD_PATH = Path(__file__).resolve().parents[2] / "docker" / "grafana" / "dashboards" / "osa-lakehouse.json"
DATASOURCE = {"type": "grafana-postgresql-datasource", "uid": "osa-warehouse"}


def panel_sql(chart: Chart) -> str:
    if chart.x_type == "temporal":
        metric = chart.color if chart.color else f"'{chart.y}'"
        return (
            f"SELECT CAST({chart.x} AS TIMESTAMPTZ) AS time, CAST({metric} AS TEXT) AS metric, "
            f"CAST({chart.y} AS DOUBLE PRECISION) AS value FROM ({chart.sql}) AS chart ORDER BY 1, 2"
        )
    return chart.sql


def panel(chart: Chart, index: int) -> dict:
    temporal = chart.x_type == "temporal"
    kind = "timeseries" if temporal else "barchart"
    draw = {"line": "line", "area": "line", "point": "points"}.get(chart.mark, "bars")
    options: dict = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}}
    if not temporal:
        options |= {"xField": chart.x, "stacking": "normal" if chart.color else "none", "showValue": "never"}
    return {
        "id": index + 1,
        "type": kind,
        "title": chart.title,
        "description": chart.question,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
        "fieldConfig": {
            "defaults": {"custom": {"drawStyle": draw, "fillOpacity": 60 if draw == "bars" else 10}},
            "overrides": [],
        },
        "options": options,
        "targets": [
            {
                "refId": "A",
                "datasource": DATASOURCE,
                "editorMode": "code",
                "format": "time_series" if temporal else "table",
                "rawQuery": True,
                "rawSql": panel_sql(chart),
            }
        ],
    }


def dashboard() -> dict:
    return {
        "uid": "osa-lakehouse",
        "title": "OSA Lakehouse",
        "description": "Agent SLA, workflow funnel, recommendations, PII protection, data quality, embeddings and "
        "pipeline health, from the warehouse's dashboard views (docs/dashboards.md).",
        "tags": ["osa", "lakehouse"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "time": {"from": "now-180d", "to": "now"},
        "refresh": "",
        "panels": [panel(chart, i) for i, chart in enumerate(CHARTS)],
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    DASHBOARD_PATH.parent.mkdir(parents=True, exist_ok=True)
    DASHBOARD_PATH.write_text(render())
    sys.stdout.write(f"wrote {DASHBOARD_PATH}\n")
