"""The Dagster UI in a real browser: `osa run`, then `osa ui`, then Debian's chromium driven by Playwright.

Everything is real: the seed data materialized by the installed `osa` script into a sandbox, the UI served by
`osa ui` (webserver + daemon), pages rendered by headless chromium (/usr/bin/chromium, installed by
scripts/browser-install.sh; Playwright never downloads a browser here). Every page asserted on is saved as a
screenshot under artifacts/browser/ (`<name>.png`, or `<name>-FAILED.png` when its assertion failed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from osa.catalog import TABLES, table
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.conftest import osa_env

OSA = str(Path(sys.executable).with_name("osa"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
GOLD = "gold_agent_performance_daily"
UI_START_TIMEOUT_S = 120
RUN_TIMEOUT_S = 180
ROW_COUNT_KEY = "dagster/row_count"
LOCATION_QUERY = (
    "{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus "
    "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
)


# ---------------------------------------------------------------------------------------------- sandbox


def require_browser() -> None:
    """Fail (never skip) without chromium or Playwright, with the one-line fix."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (.venv/bin/pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(CHROMIUM)
    if missing:
        pytest.fail(f"browser test needs {' and '.join(missing)}: run `bash scripts/browser-install.sh`", pytrace=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_group_members(pgid: int) -> list[str]:
    """Processes (not zombies) still in process group `pgid`, as 'pid command' lines."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            state, _ppid, group = text[text.rindex(")") + 2 :].split()[:3]
            if int(group) == pgid and state != "Z":
                found.append(f"{stat.parent.name} {text[text.index('(') + 1 : text.rindex(')')]}")
    return found


def location_status(base: str) -> tuple[str, str]:
    """(loadStatus, error message or '') of the osa_lakehouse code location, from the UI's GraphQL endpoint."""
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": LOCATION_QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        workspace = json.load(response)["data"]["workspaceOrError"]
    for entry in workspace.get("locationEntries", []):
        if entry["name"] == "osa_lakehouse":
            error = entry["locationOrLoadError"] or {}
            return entry["loadStatus"], error.get("message", "") if error.get("__typename") == "PythonError" else ""
    return "ABSENT", ""


@dataclasses.dataclass(frozen=True)
class Ui:
    base: str
    root: Path
    gold_rows_by_day: dict[dt.date, int]  # the warehouse's own count per day, read before the UI started


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    """The seed data run by `osa run` in a sandbox, then `osa ui` serving it until the module ends."""
    require_browser()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        if not old.name.startswith("dashboard-"):  # the dashboard tests' screenshots are theirs to replace
            old.unlink()
    root = tmp_path_factory.mktemp("ui_browser")
    env = osa_env(root)
    ran = subprocess.run([OSA, "run"], env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, f"osa run failed:\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
    counts = DuckDBWarehouse(root / "warehouse.duckdb").query(
        f"SELECT event_date, count(*) AS n FROM {GOLD} GROUP BY event_date ORDER BY event_date"
    )
    gold_rows = dict(zip(counts.column(0).to_pylist(), counts.column(1).to_pylist(), strict=True))
    assert gold_rows, f"osa run left {GOLD} empty"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = root / "osa-ui.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [OSA, "ui", "--port", str(port)],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    dagster_groups: set[int] = set()
    try:
        deadline = time.monotonic() + UI_START_TIMEOUT_S
        status, error = "NOT_STARTED", ""
        while status != "LOADED":
            if process.poll() is not None:
                pytest.fail(f"osa ui exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the UI at {base} did not load its code location in {UI_START_TIMEOUT_S}s ({status})")
            with contextlib.suppress(OSError, ValueError):
                dagster_groups.update(int(pid) for pid in children.read_text().split())  # `dagster dev`: own group
            with contextlib.suppress(OSError, KeyError, TypeError, ValueError):  # not serving yet
                status, error = location_status(base)
            assert not error, f"the code location failed to load in the UI: {error[:2000]}"
            time.sleep(1)
        yield Ui(base=base, root=root, gold_rows_by_day=gold_rows)
    finally:
        # SIGTERM to `osa ui` as a service manager would; it must stop dagster dev and everything under it.
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        leftovers: list[str] = []
        for _ in range(20):  # signals are delivered asynchronously: give the last ones a moment
            leftovers = [line for group in dagster_groups for line in live_group_members(group)]
            if not leftovers:
                break
            time.sleep(0.25)
        for group in dagster_groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        assert not leftovers, f"osa ui left processes running after SIGTERM: {leftovers}"


# ---------------------------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser(ui: Ui):
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser, ui: Ui):
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    context.set_default_timeout(30_000)
    # Dagster's "Join the Dagster community" dialog (CommunityNux) stays closed once dismissed in the browser.
    context.add_init_script("window.localStorage.setItem('communityNux', 'true');")
    opened = context.new_page()
    yield opened
    context.close()


@contextlib.contextmanager
def screenshot(page, name: str) -> Iterator[None]:
    """Save the page as artifacts/browser/<name>.png after the block, <name>-FAILED.png if it raised."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SCREENSHOTS / f"{name}-FAILED.png"), full_page=True)
        raise
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def normalized(text: str) -> str:
    """Whitespace collapsed and markdown emphasis/code marks dropped (the UI renders descriptions as markdown)."""
    return " ".join(re.sub(r"[`*_]", "", text).split())


def body_once_it_shows(page, wanted: str, timeout_s: float = 60.0) -> str:
    """The page's text once it holds ``wanted`` (normalized), or as it is after ``timeout_s``.

    The asset page fills its description in after its header; under a loaded CI machine that took over
    15 s once, so this polls the rendered text, and reloads the page once halfway, instead of one short wait.
    """
    deadline = time.monotonic() + timeout_s
    reloaded = False
    while True:
        body = page.inner_text("body")
        if wanted in normalized(body) or time.monotonic() > deadline:
            return body
        if not reloaded and time.monotonic() > deadline - timeout_s / 2:
            page.reload()
            page.get_by_text("Definition", exact=True).first.wait_for()
            reloaded = True
        page.wait_for_timeout(500)


def catalog_rows(page, base: str) -> dict[str, str]:
    """Asset key -> text of its row in the asset catalog's list view (virtualized: scrolled through)."""
    page.set_viewport_size({"width": 1600, "height": 2400})
    page.goto(f"{base}/assets")
    rows_selector = '[class*="VirtualizedTable_row"]'
    page.locator(f'{rows_selector} a[href^="/assets/"]').first.wait_for()
    container = page.locator('[class*="VirtualizedTable_container"]').first
    collect = f"""() => [...document.querySelectorAll('{rows_selector}')].flatMap(row => {{
        const link = row.querySelector('a[href^="/assets/"]');
        return link ? [[decodeURIComponent(link.getAttribute('href')).slice('/assets/'.length), row.innerText]] : [];
    }})"""
    rows: dict[str, str] = {}
    unchanged = 0
    while unchanged < 3:  # rows stream in while the catalog loads; stop once three passes add nothing
        before = len(rows)
        position = 0
        while True:
            rows.update(dict(page.evaluate(collect)))
            height, scrolled = container.evaluate(
                "(e, y) => { e.scrollTop = y; return [e.scrollHeight, e.scrollTop + e.clientHeight]; }", position
            )
            page.wait_for_timeout(150)
            if scrolled >= height:
                rows.update(dict(page.evaluate(collect)))
                break
            position += 500
        unchanged = unchanged + 1 if len(rows) == before else 0
        page.wait_for_timeout(300)
    container.evaluate("e => { e.scrollTop = 0; }")
    return rows


def partition_row_count(page, base: str, day: dt.date) -> int | None:
    """The `dagster/row_count` the asset's partitions tab shows for `day`; None when it says there are no rows."""
    page.goto(f"{base}/assets/{GOLD}?view=partitions&partition={day.isoformat()}")
    key = page.get_by_text(ROW_COUNT_KEY, exact=True)
    count_row = page.locator("tr").filter(has=key)
    no_rows = page.get_by_text(re.compile(r"\bno rows\b", re.IGNORECASE))
    count_row.or_(no_rows).first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)  # let the detail panel settle (it loads after the partition list)
    if count_row.count():
        value = count_row.first.locator("td").nth(1).inner_text().strip()
        assert re.fullmatch(r"[\d,]+", value), f"{ROW_COUNT_KEY} for {day} is not a number: {value!r}"
        return int(value.replace(",", ""))
    return None


# ---------------------------------------------------------------------------------------------- tests
def test_asset_catalog_lists_every_catalogue_table_with_its_description(ui: Ui, page) -> None:
    with screenshot(page, "catalog-list"):
        rows = catalog_rows(page, ui.base)
        not_listed = [t.name for t in TABLES if t.name not in rows]
        assert not not_listed, f"asset catalog does not list {not_listed} (listed: {sorted(rows)})"
    to_check_on_asset_page = [t for t in TABLES if normalized(t.description) not in normalized(rows[t.name])]
    missing: list[str] = []
    for declared in to_check_on_asset_page:  # the list view may shorten a description: its own page has it all
        with screenshot(page, f"asset-{declared.name}"):
            page.goto(f"{ui.base}/assets/{declared.name}")
            # a long name is shown middle-truncated in the header ("workflow_re…mmendations"); the page is
            # loaded when its Definition panel names the storage table in full
            page.get_by_text("Definition", exact=True).first.wait_for()
            body = body_once_it_shows(page, normalized(declared.description))
            assert declared.name in body, f"{declared.name}: its asset page does not name it"
            if normalized(declared.description) not in normalized(body):
                missing.append(f"{declared.name}: {declared.description!r}")
    assert not missing, f"descriptions not shown in the asset catalog nor on the asset pages: {missing}"


def test_gold_partition_page_shows_that_days_row_count(ui: Ui, page) -> None:
    days = ui.gold_rows_by_day
    totals = sum(days.values())
    # A day whose count differs from most others (and from the total), so another day's figure cannot pass.
    day = min(days, key=lambda d: (sum(1 for n in days.values() if n == days[d]), d))
    expected = days[day]
    with screenshot(page, f"{GOLD}-partition-{day}"):
        shown = partition_row_count(page, ui.base, day)
        assert shown == expected, (
            f"{GOLD} partition {day}: the UI shows {ROW_COUNT_KEY}={shown}, the warehouse has {expected} rows "
            f"that day (all days together: {totals})"
        )
    first, last = min(days), max(days)
    empty = next(first + dt.timedelta(n) for n in range((last - first).days) if first + dt.timedelta(n) not in days)
    # (the seed data has days without agent executions between its first and last day)
    with screenshot(page, f"{GOLD}-partition-{empty}-no-rows"):
        shown = partition_row_count(page, ui.base, empty)
        assert shown in (0, None), (
            f"{GOLD} partition {empty} has no rows in the warehouse but the UI shows {ROW_COUNT_KEY}={shown}"
        )


def test_column_description_from_the_catalogue_is_shown(ui: Ui, page) -> None:
    from playwright.sync_api import expect

    description = table("silver_recommendations").column("priority").description
    with screenshot(page, "silver_recommendations-columns"):
        page.goto(f"{ui.base}/assets/silver_recommendations")
        priority_row = page.locator("tr").filter(has=page.get_by_text("priority", exact=True)).first
        priority_row.wait_for()
        expect(priority_row).to_contain_text(description, timeout=20_000)


def test_run_launched_from_the_ui_succeeds(ui: Ui, page) -> None:
    from playwright.sync_api import expect

    day = max(ui.gold_rows_by_day)
    with screenshot(page, f"{GOLD}-materialize-dialog"):
        page.goto(f"{ui.base}/assets/{GOLD}")
        page.get_by_role("button", name="Materialize…").first.click()  # its name also carries the icon's label
        dialog = page.get_by_role("dialog")
        show_all = dialog.get_by_role("button", name="Show all partitions")
        with contextlib.suppress(Exception):
            show_all.click(timeout=3_000)
        selection = dialog.locator("input[type=text]").first
        selection.fill(day.isoformat())
        selection.press("Enter")
        expect(dialog).to_contain_text("1 partition")
        dialog.get_by_role("button", name="Launch 1 run").click()
        launched = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
        launched.wait_for()
        run_id = re.search(r"Launched run ([0-9a-f]{8})", launched.inner_text()).group(1)
        run_url = page.locator(f'a[href^="/runs/{run_id}"]').first.get_attribute("href")
    with screenshot(page, f"run-{run_id}"):
        page.goto(f"{ui.base}{run_url}")
        expect(page.get_by_text(f"partition: {day.isoformat()}").first).to_be_visible()
        success = page.get_by_text("Success", exact=True)
        failed = page.get_by_text(re.compile(r"^(Failure|Canceled)$"))
        success.or_(failed).first.wait_for(timeout=RUN_TIMEOUT_S * 1000)
        assert success.count() and not failed.count(), f"run {run_id} did not succeed: {page.inner_text('body')[:1500]}"


# ---------------------------------------------------------------------------------------------- dashboards
def _wait_for_charts(page) -> dict[str, dict]:
    """Every chart section once the page says all are drawn: name -> its data-* attributes."""
    page.locator("body[data-rendered]").wait_for(state="attached", timeout=60_000)
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('section[data-chart]')].map(s =>
            [s.dataset.chart, {rendered: s.dataset.rendered, marks: Number(s.dataset.marks || 0),
                               rows: Number(s.dataset.rows || 0), empty: s.dataset.empty, error: s.dataset.error}]))"""
    )


def test_osa_dashboard_serves_every_chart_with_data(ui: Ui, page) -> None:
    """`osa dashboard` as a user starts it, on the warehouse `osa run` built: every declared chart is drawn with
    marks, none is empty or broken; the same for the report the `dashboard_report` asset wrote."""
    from osa.metrics.charts import CHARTS

    port = free_port()
    env = osa_env(ui.root)
    log_path = ui.root / "osa-dashboard.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [OSA, "dashboard", "--port", str(port)], env=env, cwd=ui.root, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"osa dashboard exited with {process.returncode}: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, "osa dashboard did not start listening in 60 s"
            time.sleep(0.5)
        with screenshot(page, "dashboard-osa"):
            page.goto(f"http://127.0.0.1:{port}/")
            charts = _wait_for_charts(page)
            assert list(charts) == [c.name for c in CHARTS]
            for name, state in charts.items():
                assert not state["error"] and not state["empty"], (name, state)
                assert state["rendered"] == "true" and state["rows"] > 0 and state["marks"] > 0, (name, state)
    finally:
        process.terminate()
        process.wait(timeout=30)
    report = ui.root / "state" / "reports" / "dashboard" / "index.html"
    with screenshot(page, "dashboard-report"):
        page.goto(report.as_uri())
        charts = _wait_for_charts(page)
        assert all(state["marks"] > 0 for state in charts.values()), charts
    assert all((report.parent / f"{c.name}.png").stat().st_size > 0 for c in CHARTS)
