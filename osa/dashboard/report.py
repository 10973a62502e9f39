"""The static report: every chart's SQL run through one query function, then index.html plus PNG/SVG per chart.

The query function is all the report knows of the warehouse (`warehouse.query` of DuckDB or Postgres fits), so
the same declarations serve both backends. One failing chart is recorded in `errors` and shown on the page; it
does not stop the others.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from osa.dashboard.chart import Chart, check_unique, column_error
from osa.dashboard.records import Frame, frame_columns, json_safe_rows
from osa.dashboard.render import render_html, render_image

Query = Callable[[str], Frame]  # SQL -> pyarrow.Table or polars.DataFrame


@dataclasses.dataclass(frozen=True)
class ReportResult:
    """What `build_report` wrote and found: paths, rows per chart, and the charts that failed (name -> message)."""

    html_path: Path
    images: dict[str, tuple[Path, Path]]  # name -> (png, svg); charts with rows only
    row_counts: dict[str, int]  # name -> rows its query returned (0 when it failed)
    errors: dict[str, str]  # name -> why its query or its image failed
    seconds: dict[str, float]  # "query", "html", "images": wall time of each step


def collect(charts: Sequence[Chart], query: Query) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Each chart's query run once: ({name: JSON-safe rows}, {name: error message}) - a failure is kept, not raised."""
    check_unique(charts)
    frames: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    for chart in charts:
        try:
            frame = query(chart.sql)
        except Exception as error:  # noqa: BLE001 - one broken view must not blank the whole dashboard
            errors[chart.name] = f"{type(error).__name__}: {error}".strip()
            continue
        problem = column_error(chart, frame_columns(frame))
        if problem:
            errors[chart.name] = problem
        else:
            frames[chart.name] = json_safe_rows(frame)
    return frames, errors


def build_report(
    charts: Sequence[Chart],
    query: Query,
    out_dir: str | Path,
    *,
    title: str,
    generated_at: dt.datetime | None = None,
) -> ReportResult:
    """Run every chart's SQL, write `out_dir/index.html` (self-contained) and `out_dir/<name>.png|svg`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    frames, errors = collect(charts, query)
    queried = time.perf_counter()
    html_path = out / "index.html"
    html_path.write_text(
        render_html(charts, frames, title=title, generated_at=generated_at or dt.datetime.now(dt.UTC), errors=errors),
        encoding="utf-8",
    )
    written = time.perf_counter()
    images = {}
    for chart in charts:
        rows = frames.get(chart.name)
        if not rows:
            continue
        try:
            images[chart.name] = render_image(chart, rows, out)
        except Exception as error:  # noqa: BLE001 - the page is written; report the image that failed
            errors[chart.name] = f"image: {type(error).__name__}: {error}".strip()
    done = time.perf_counter()
    return ReportResult(
        html_path=html_path,
        images=images,
        row_counts={chart.name: len(frames.get(chart.name) or []) for chart in charts},
        errors=errors,
        seconds={"query": queried - started, "html": written - queried, "images": done - written},
    )
