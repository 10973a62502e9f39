"""Dashboards from chart declarations: a served page, a static report and PNG/SVG images, all from one spec.

Plain Python (no Dagster): declare `Chart`s, give a query function (`warehouse.query` fits), then `serve`,
`build_report`, or `render_html` / `render_images` for frames you already hold. Why Vega-Lite and static HTML:
docs/dashboards-rendering.md.
"""

from osa.dashboard.chart import Chart, vega_lite_spec
from osa.dashboard.records import json_safe_rows
from osa.dashboard.render import render_html, render_images
from osa.dashboard.report import ReportResult, build_report, collect
from osa.dashboard.server import DashboardServer, PortInUseError, make_server, serve

__all__ = [
    "Chart",
    "DashboardServer",
    "PortInUseError",
    "ReportResult",
    "build_report",
    "collect",
    "json_safe_rows",
    "make_server",
    "render_html",
    "render_images",
    "serve",
    "vega_lite_spec",
]
