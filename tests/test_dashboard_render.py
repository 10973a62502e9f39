"""The dashboard layer (osa.dashboard) end to end: chart declarations over a real DuckDB warehouse file, rendered
to one HTML page, to PNG/SVG by vl-convert, and served by `make_server` to Debian's headless chromium.

The browser checks "rendered with data" without pixels: the page marks each chart's section with
data-rendered="true" and the number of marks Vega drew (data-marks), which must equal the rows the warehouse
returned for that chart. Screenshots are kept under artifacts/browser/ (dashboard-*.png, -FAILED when the
assertion failed). Nothing is skipped: without chromium or Playwright the browser tests fail with the fix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import errno
import hashlib
import json
import math
import socket
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from osa.dashboard import (
    Chart,
    PortInUseError,
    build_report,
    collect,
    json_safe_rows,
    make_server,
    render_html,
    render_images,
    serve,
    vega_lite_spec,
)
from osa.dashboard.render import STATIC
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, free_port, require_browser, screenshot

# A category name that would end the page's data <script> early if the JSON were not escaped.
HOSTILE_CATEGORY = "</script><script>document.title='pwned'</script>"

CHARTS = [
    Chart(
        name="runs-per-day",
        title="Agent runs per day",
        question="How many agent runs did each agent have per day?",
        sql="SELECT day, agent, runs FROM daily_runs ORDER BY day, agent",
        mark="line",
        x="day",
        y="runs",
        color="agent",
    ),
    Chart(
        name="category-mix",
        title="Recommendations by category",
        question="Which categories do the recommendations fall into?",
        sql="SELECT category, n FROM category_mix ORDER BY n DESC",
        mark="bar",
        x="category",
        y="n",
        x_type="nominal",
    ),
    Chart(
        name="success-rate",
        title="Success rate per day",
        question="What share of runs succeeded each day?",
        sql="SELECT day, success_rate FROM daily_runs WHERE agent = 'alpha' ORDER BY day",
        mark="point",
        x="day",
        y="success_rate",
        y_format=".0%",
        tooltip=("day", "success_rate"),
    ),
    Chart(
        name="events-hourly",
        title="Webhook events per hour",
        question="How many webhook events arrived in each hour of the last day?",
        sql="SELECT hour, events FROM events_hourly ORDER BY hour",
        mark="area",
        x="hour",
        y="events",
    ),
    Chart(
        name="no-feedback",
        title="Feedback per day",
        question="How much feedback did users give each day?",
        sql="SELECT day, n FROM feedback_daily",
        mark="bar",
        x="day",
        y="n",
    ),
]
EMPTY = {"no-feedback"}
DAYS, AGENTS, CATEGORIES, HOURS = 14, ("alpha", "beta"), 5, 24


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> DuckDBWarehouse:
    """A real DuckDB warehouse file with a daily series, a category mix, an hourly series and an empty table."""
    store = DuckDBWarehouse(tmp_path_factory.mktemp("dashboard") / "warehouse.duckdb")
    with store.connect() as con:
        con.execute(
            "CREATE TABLE daily_runs AS SELECT DATE '2026-07-01' + d::INTEGER AS day, agent, "
            "(d * 7 + length(agent) * 3) % 23 + 1 AS runs, CAST(0.5 + (d % 5) / 10 AS DECIMAL(5, 4)) AS success_rate "
            f"FROM range({DAYS}) AS t(d), (VALUES {', '.join(f'({a!r})' for a in AGENTS)}) AS a(agent)"
        )
        con.execute(
            "CREATE TABLE category_mix AS SELECT * FROM (VALUES ('personalization', 12), ('experimentation', 9), "
            "('content', 5), ('analytics', 3), (?, 1)) AS t(category, n)",
            [HOSTILE_CATEGORY],
        )
        con.execute(
            "CREATE TABLE events_hourly AS SELECT TIMESTAMP '2026-07-14 00:00:00' + INTERVAL (h) HOUR AS hour, "
            f"(h * 5) % 17 AS events FROM range({HOURS}) AS t(h)"
        )
        con.execute("CREATE TABLE feedback_daily (day DATE, n INTEGER)")
    return store


@pytest.fixture(scope="module")
def expected_rows(warehouse: DuckDBWarehouse) -> dict[str, int]:
    """Rows each chart's own SQL returns from the warehouse: what every rendering is checked against."""
    return {chart.name: warehouse.query(chart.sql).num_rows for chart in CHARTS}


def test_the_fixture_has_what_the_charts_need(expected_rows: dict[str, int]) -> None:
    assert expected_rows == {
        "runs-per-day": DAYS * len(AGENTS),
        "category-mix": CATEGORIES,
        "success-rate": DAYS,
        "events-hourly": HOURS,
        "no-feedback": 0,
    }


# ---------------------------------------------------------------------------------------------- declarations


def test_chart_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="not a slug"):
        Chart("Runs Per Day", "t", "q?", "SELECT 1", "line", "x", "y")
    with pytest.raises(ValueError, match="mark 'pie'"):
        Chart("runs", "t", "q?", "SELECT 1", "pie", "x", "y")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="x_type 'time'"):
        Chart("runs", "t", "q?", "SELECT 1", "line", "x", "y", x_type="time")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="question is empty"):
        Chart("runs", "t", " ", "SELECT 1", "line", "x", "y")
    with pytest.raises(ValueError, match="unique"):
        render_html([CHARTS[0], CHARTS[0]], {}, title="t", generated_at=dt.datetime.now(dt.UTC))


def test_the_spec_is_derived_from_the_declaration() -> None:
    chart = CHARTS[2]
    spec = vega_lite_spec(chart, [{"day": "2026-07-01", "success_rate": 0.5}])
    assert spec["mark"] == {"type": "point"}
    assert spec["encoding"]["x"] == {"field": "day", "type": "temporal", "scale": {"type": "utc"}}
    assert spec["encoding"]["y"] == {"field": "success_rate", "type": "quantitative", "axis": {"format": ".0%"}}
    assert spec["encoding"]["tooltip"] == [
        {"field": "day", "type": "nominal"},
        {"field": "success_rate", "type": "quantitative", "format": ".0%"},
    ]
    assert spec["data"] == {"values": [{"day": "2026-07-01", "success_rate": 0.5}]}
    assert spec["description"] == chart.question
    assert vega_lite_spec(CHARTS[0])["encoding"]["color"] == {"field": "agent", "type": "nominal"}


def test_values_are_made_json_safe() -> None:
    table = pa.table(
        {
            "day": [dt.date(2026, 7, 1)],
            "naive": [dt.datetime(2026, 7, 1, 12, 30)],
            "aware": pa.array([dt.datetime(2026, 7, 1, 14, 30, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC")),
            "amount": pa.array([decimal.Decimal("12.50")], pa.decimal128(10, 2)),
            "ratio": [math.nan],
            "blob": [b"\x00\x01"],
        }
    )
    rows = json_safe_rows(table)
    assert rows == [
        {
            "day": "2026-07-01",
            "naive": "2026-07-01T12:30:00Z",
            "aware": "2026-07-01T14:30:00Z",
            "amount": 12.5,
            "ratio": None,
            "blob": "AAE=",
        }
    ]
    json.dumps(rows, allow_nan=False)
    assert json_safe_rows(pl.from_arrow(table)) == rows  # a polars frame gives the same rows


# ---------------------------------------------------------------------------------------------- the page


class PageParser(HTMLParser):
    """Sections (their attributes and text), every src/href, and the inline data script of a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.links: list[str] = []
        self.current: str | None = None
        self.in_data = False
        self.data = ""
        self.title = ""
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.links += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "section":
            self.current = attributes["data-chart"] or ""
            self.sections[self.current] = {"attrs": attributes, "text": ""}
        self.in_data = tag == "script" and attributes.get("id") == "dashboard-data"
        self.in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None
        if tag == "script":
            self.in_data = False
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.current:
            self.sections[self.current]["text"] += data
        if self.in_data:
            self.data += data
        if self.in_title:
            self.title += data


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def external(links: list[str]) -> list[str]:
    return [link for link in links if "://" in link and not link.startswith(("http://127.0.0.1", "file://"))]


def test_render_html_has_one_section_per_chart_and_nothing_external(
    warehouse: DuckDBWarehouse, expected_rows: dict[str, int]
) -> None:
    frames, errors = collect(CHARTS, warehouse.query)
    assert errors == {}
    page = render_html(
        CHARTS, frames, title="Agents <&> dashboard", generated_at=dt.datetime(2026, 7, 15, tzinfo=dt.UTC)
    )
    parsed = parse(page)
    assert parsed.title == "Agents <&> dashboard"
    assert list(parsed.sections) == [chart.name for chart in CHARTS]
    for chart in CHARTS:
        section = parsed.sections[chart.name]
        assert chart.title in section["text"] and chart.question in section["text"], chart.name
        assert section["attrs"]["data-rows"] == str(expected_rows[chart.name])
        if chart.name in EMPTY:
            assert section["attrs"].get("data-empty") == "true"
            assert "No data" in section["text"]
        else:
            assert "data-empty" not in section["attrs"]
    assert external(parsed.links) == [], "the page must not load anything from elsewhere"
    assert parsed.links == ["data:,"]  # scripts inlined, an empty icon (no favicon request): a self-contained file
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    payload = json.loads(parsed.data)
    by_name = {entry["name"]: entry["spec"]["data"]["values"] for entry in payload["charts"]}
    assert set(by_name) == {chart.name for chart in CHARTS} - EMPTY
    assert {row["category"] for row in by_name["category-mix"]} >= {HOSTILE_CATEGORY}  # escaped, survived intact
    assert by_name["runs-per-day"][0]["day"] == "2026-07-01"
    assert by_name["events-hourly"][1]["hour"] == "2026-07-14T01:00:00Z"

    served = parse(render_html(CHARTS, frames, title="t", generated_at=dt.datetime.now(dt.UTC), script_base="/static"))
    assert served.links == ["data:,", "/static/vega.min.js", "/static/vega-lite.min.js", "/static/vega-embed.min.js"]


def test_a_missing_frame_is_an_error_and_a_query_error_is_shown() -> None:
    with pytest.raises(ValueError, match="no frame and no error"):
        render_html(CHARTS, {}, title="t", generated_at=dt.datetime.now(dt.UTC))
    frames = {chart.name: [] for chart in CHARTS[1:]}
    page = render_html(CHARTS, frames, title="t", generated_at=dt.datetime.now(dt.UTC), errors={CHARTS[0].name: "boom"})
    section = parse(page).sections[CHARTS[0].name]
    assert section["attrs"]["data-error"] == "boom" and "boom" in section["text"]


def test_a_column_the_chart_reads_but_the_query_lacks_is_an_error_naming_it(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    sql = "SELECT day, runs AS total FROM daily_runs"
    renamed = Chart("renamed", "Renamed", "What if a view column is renamed?", sql, "line", "day", "runs")
    message = "the query returns no column 'runs' (it returns day, total)"
    assert collect([renamed], warehouse.query) == ({}, {"renamed": message})
    frame = warehouse.query(renamed.sql)
    page = render_html([renamed], {"renamed": frame}, title="t", generated_at=dt.datetime.now(dt.UTC))
    assert parse(page).sections["renamed"]["attrs"]["data-error"] == message
    with pytest.raises(ValueError, match="no column 'runs'"):
        render_images([renamed], {"renamed": frame}, tmp_path)
    # no rows, but the schema still tells: an empty result is not taken for "no data" when a column is missing
    no_rows = dataclasses.replace(CHARTS[-1], sql="SELECT day, n AS total FROM feedback_daily")
    assert collect([no_rows], warehouse.query)[1] == {
        "no-feedback": "the query returns no column 'n' (it returns day, total)"
    }


def test_vendored_scripts_match_their_pinned_versions_and_vl_convert() -> None:
    import vl_convert

    versions = json.loads((STATIC / "versions.json").read_text())
    for name, entry in versions.items():
        assert hashlib.sha256((STATIC / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], name
        assert (STATIC / entry["license"]).is_file(), name
    # the browser and the images run the same library code: keep the vendored JS on vl-convert's versions
    assert versions["vega"]["version"] == vl_convert.get_vega_version()
    assert versions["vega-embed"]["version"] == vl_convert.get_vega_embed_version()
    assert ".".join(versions["vega-lite"]["version"].split(".")[:2]) in vl_convert.get_vegalite_versions()


# ---------------------------------------------------------------------------------------------- images


def test_render_images_writes_png_and_svg_per_chart_with_rows(warehouse: DuckDBWarehouse, tmp_path: Path) -> None:
    frames = {chart.name: warehouse.query(chart.sql) for chart in CHARTS}
    images = render_images(CHARTS, frames, tmp_path)
    assert set(images) == {chart.name for chart in CHARTS} - EMPTY
    for name, (png, svg) in images.items():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        root = ET.fromstring(svg.read_text())
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
        assert float(root.get("width", "0")) > 0, name
    # the bar chart's SVG has one bar per row (role-mark group holds the rects, aria-described)
    svg_text = images["category-mix"][1].read_text()
    assert svg_text.count('aria-roledescription="bar"') == CATEGORIES


def test_build_report_writes_the_page_and_images_and_keeps_going_past_a_broken_chart(
    warehouse: DuckDBWarehouse, tmp_path: Path, expected_rows: dict[str, int]
) -> None:
    broken = Chart("broken", "Broken", "What if the view is missing?", "SELECT * FROM no_such_view", "bar", "a", "b")
    result = build_report([*CHARTS, broken], warehouse.query, tmp_path / "report", title="Report")
    assert result.html_path == tmp_path / "report" / "index.html"
    assert result.row_counts == {**expected_rows, "broken": 0}
    assert set(result.errors) == {"broken"} and "no_such_view" in result.errors["broken"]
    assert set(result.images) == {name for name, rows in expected_rows.items() if rows}
    sections = parse(result.html_path.read_text()).sections
    assert "no_such_view" in sections["broken"]["attrs"]["data-error"]


# ---------------------------------------------------------------------------------------------- server


@contextlib.contextmanager
def running(warehouse: DuckDBWarehouse, charts: list[Chart] = CHARTS) -> Iterator[str]:
    server = make_server(charts, warehouse.query, port=0, title="Dashboard test")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_server_routes(warehouse: DuckDBWarehouse) -> None:
    with running(warehouse) as base:
        assert get(f"{base}/healthz") == (200, b"ok\n")
        status, body = get(f"{base}/chart/category-mix.json")
        assert status == 200
        assert json.loads(body)["rows"] == json_safe_rows(warehouse.query(CHARTS[1].sql))
        assert get(f"{base}/chart/nope.json")[0] == 404
        assert get(f"{base}/static/vega.min.js")[1] == (STATIC / "vega.min.js").read_bytes()
        assert get(f"{base}/static/../render.py")[0] == 404
        status, body = get(f"{base}/")
        assert status == 200 and list(parse(body.decode()).sections) == [chart.name for chart in CHARTS]


def test_each_page_load_queries_again(tmp_path: Path) -> None:
    store = DuckDBWarehouse(tmp_path / "live.duckdb")
    with store.connect() as con:
        con.execute("CREATE TABLE category_mix AS SELECT 'content' AS category, 1 AS n")
    with running(store, [CHARTS[1]]) as base:
        assert parse(get(f"{base}/")[1].decode()).sections["category-mix"]["attrs"]["data-rows"] == "1"
        with store.connect() as con:
            con.execute("INSERT INTO category_mix VALUES ('analytics', 2)")
        assert parse(get(f"{base}/")[1].decode()).sections["category-mix"]["attrs"]["data-rows"] == "2"


def test_a_taken_port_raises_an_error_naming_it_and_only_loopback_is_served(warehouse: DuckDBWarehouse) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} .*already in use") as raised:
            make_server(CHARTS, warehouse.query, port=port)
        assert raised.value.__cause__.errno == errno.EADDRINUSE
        with pytest.raises(PortInUseError, match=f"port {port} "):
            serve(CHARTS, warehouse.query, port=port)  # what `osa dashboard --port` calls: fails before serving
    with pytest.raises(ValueError, match="loopback"):
        make_server(CHARTS, warehouse.query, host="0.0.0.0", port=free_port())


# ---------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    require_browser()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def check_rendered(page, expected_rows: dict[str, int]) -> None:
    """Every chart with rows drew one mark per row; the empty one shows its notice; none failed."""
    page.wait_for_selector("body[data-rendered='true']", timeout=30_000)
    sections = page.eval_on_selector_all(
        "section[data-chart]",
        "els => els.map(e => ({name: e.dataset.chart, rendered: e.dataset.rendered, marks: e.dataset.marks, "
        "empty: e.dataset.empty, error: e.dataset.error, text: e.innerText, svgs: e.querySelectorAll('svg').length}))",
    )
    assert [section["name"] for section in sections] == [chart.name for chart in CHARTS]
    for section in sections:
        name = section["name"]
        assert section["error"] is None, f"{name}: {section['error']}"
        if name in EMPTY:
            assert section["empty"] == "true" and "No data" in section["text"], section
            assert section["svgs"] == 0 and section["rendered"] is None, section
        else:
            assert section["rendered"] == "true", section
            assert section["svgs"] >= 1, section
            # one mark per row: a bar per category, a point per day, a line/area vertex per row
            assert int(section["marks"]) == expected_rows[name] > 0, f"{name}: {section['marks']} marks"


def test_served_dashboard_renders_every_chart_with_data_in_chromium(
    browser, warehouse: DuckDBWarehouse, expected_rows: dict[str, int]
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    try:
        with running(warehouse) as base, screenshot(page, "dashboard-render"):
            page.goto(f"{base}/")
            check_rendered(page, expected_rows)
            assert [url for url in requested if not url.startswith(base)] == [], "requests left the dashboard"
            links = page.eval_on_selector_all("[src], [href]", "els => els.map(e => e.src || e.href)")
            assert external(links) == []
            assert console_errors == []
            assert page.title() == "Dashboard test"  # the hostile category did not run
    finally:
        context.close()


def test_static_report_renders_offline_from_its_file(
    browser, warehouse: DuckDBWarehouse, expected_rows: dict[str, int], tmp_path: Path
) -> None:
    result = build_report(CHARTS, warehouse.query, tmp_path / "report", title="Dashboard report")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        with screenshot(page, "dashboard-report"):
            page.goto(result.html_path.as_uri())
            check_rendered(page, expected_rows)
            assert requested == [result.html_path.as_uri()]
    finally:
        context.close()
