"""Dashboard rendering benchmark (issue 11): a page of `charts` charts x `rows` rows from a DuckDB file.

Usage: .venv/bin/python bench/dashboard_render.py [--charts 8] [--rows 1000] [--repeat 3] [--no-browser]

Prints, median of `repeat` runs (the first vl-convert call, which starts its embedded JS engine, separately):
* query: every chart's SQL through DuckDBWarehouse.query (+ JSON-safe rows);
* render_html: the page string (inline scripts) and its size; the served page's size (scripts under /static);
* PNG + SVG per chart through vl-convert;
* browser: headless chromium (Debian's, through Playwright) from navigation to every chart drawn
  (body[data-rendered]), served page from make_server on 127.0.0.1, and the static report from its file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from osa.dashboard import Chart, collect, make_server, render_html  # noqa: E402
from osa.dashboard.render import render_image  # noqa: E402
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
MARKS = ("line", "bar", "area", "point", "rule")


def build(path: Path, rows: int) -> DuckDBWarehouse:
    store = DuckDBWarehouse(path)
    with store.connect() as con:
        con.execute(
            "CREATE TABLE series AS SELECT TIMESTAMP '2026-07-01' + INTERVAL (i) HOUR AS hour, "
            "DATE '2026-07-01' + (i // 4)::INTEGER AS day, 'agent_' || (i % 4) AS agent, "
            "CAST(50 + 40 * sin(i / 17.0) + (i * 7919 % 13) AS DECIMAL(10, 2)) AS value, "
            "'category_' || lpad((i % 1000)::VARCHAR, 4, '0') AS category "
            f"FROM range({rows}) AS t(i)"
        )
    return store


def declare(count: int) -> list[Chart]:
    charts = []
    for n in range(count):
        mark = MARKS[n % len(MARKS)]
        if mark == "bar":
            charts.append(
                Chart(
                    f"c{n}",
                    f"Bar {n}",
                    "Value per category?",
                    "SELECT category, value FROM series",
                    "bar",
                    "category",
                    "value",
                    x_type="nominal",
                )
            )
        elif mark == "line":
            charts.append(
                Chart(
                    f"c{n}",
                    f"Line {n}",
                    "Value per day and agent?",
                    "SELECT day, agent, value FROM series",
                    "line",
                    "day",
                    "value",
                    color="agent",
                )
            )
        else:
            charts.append(
                Chart(
                    f"c{n}", f"{mark} {n}", "Value per hour?", "SELECT hour, value FROM series", mark, "hour", "value"
                )
            )  # type: ignore[arg-type]
    return charts


def median(samples: list[float]) -> str:
    return (
        f"{statistics.median(samples) * 1000:,.0f} ms (min {min(samples) * 1000:,.0f}, max {max(samples) * 1000:,.0f})"
    )


def browser_times(store: DuckDBWarehouse, charts: list[Chart], report: Path, repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    server = make_server(charts, store.query, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    times: dict[str, list[float]] = {"served page": [], "report file": []}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for _ in range(repeat + 1):  # the first visit warms chromium's caches: not counted
                for label, url in (("served page", server.url), ("report file", report.as_uri())):
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    started = time.perf_counter()
                    page.goto(url)
                    page.wait_for_selector("body[data-rendered='true']", timeout=120_000)
                    elapsed = time.perf_counter() - started
                    drawn = page.eval_on_selector_all("section[data-rendered='true']", "els => els.length")
                    assert drawn == len(charts), f"{label}: {drawn} of {len(charts)} charts drawn"
                    page.close()
                    times[label].append(elapsed)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {label: samples[1:] for label, samples in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {args.charts} charts x {args.rows} rows")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = build(root / "warehouse.duckdb", args.rows)
        charts = declare(args.charts)
        query_s, html_s, image_s = [], [], []
        page = served = ""
        frames: dict[str, list[dict]] = {}
        for _ in range(args.repeat):
            started = time.perf_counter()
            frames, errors = collect(charts, store.query)
            query_s.append(time.perf_counter() - started)
            assert not errors, errors
            started = time.perf_counter()
            page = render_html(charts, frames, title="bench", generated_at=dt.datetime.now(dt.UTC))
            html_s.append(time.perf_counter() - started)
        served = render_html(charts, frames, title="bench", generated_at=dt.datetime.now(dt.UTC), script_base="/s")
        report = root / "index.html"
        report.write_text(page, encoding="utf-8")
        started = time.perf_counter()
        render_image(charts[0], frames[charts[0].name], root / "warmup")
        first_image = time.perf_counter() - started
        per_mark: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for chart in charts:
                started = time.perf_counter()
                png, svg = render_image(chart, frames[chart.name], root / "images")
                elapsed = time.perf_counter() - started
                image_s.append(elapsed)
                per_mark.setdefault(chart.mark, []).append(elapsed)
        sizes = {
            chart.mark: (
                (root / "images" / f"{chart.name}.png").stat().st_size,
                (root / "images" / f"{chart.name}.svg").stat().st_size,
            )
            for chart in charts
        }
        print(f"query {len(charts)} charts:           {median(query_s)}")
        print(f"render_html:                  {median(html_s)}")
        print(
            f"page size, scripts inlined:   {len(page.encode()) / 1e6:.2f} MB "
            f"(data + markup {len(served.encode()) / 1e3:,.0f} kB, served page with /static scripts)"
        )
        print(f"first PNG+SVG (engine start): {first_image * 1000:,.0f} ms")
        print(f"PNG+SVG per chart:            {median(image_s)}")
        for mark, samples in per_mark.items():
            png_size, svg_size = sizes[mark]
            print(f"  {mark:<6} {median(samples)}; PNG {png_size / 1e3:,.0f} kB, SVG {svg_size / 1e3:,.0f} kB")
        if not args.no_browser:
            for label, samples in browser_times(store, charts, report, args.repeat).items():
                print(f"chromium, {label:<12} until every chart drawn: {median(samples)}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
