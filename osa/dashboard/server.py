"""`osa dashboard`: the page served from the warehouse by the standard library's threading HTTP server.

Each GET / runs every chart's query again, so the page shows current data; no extra server process, websocket
or framework is involved. It binds a loopback address only: the page has no login and shows warehouse data.

Routes: `/` the page, `/healthz` "ok", `/chart/<name>.json` one chart's rows, `/static/<file>` the vendored JS.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from osa.dashboard.chart import Chart, check_unique
from osa.dashboard.records import json_safe_rows
from osa.dashboard.render import STATIC, render_html
from osa.dashboard.report import Query, collect

log = logging.getLogger("osa.dashboard")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
DEFAULT_TITLE = "OSA Lakehouse dashboard"
STATIC_FILES = {path.name: path for path in STATIC.iterdir() if path.suffix in {".js", ".txt", ".json"}}
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


class PortInUseError(RuntimeError):
    """The dashboard's port is taken by another process; the message names it and says how to pick another."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DashboardServer(ThreadingHTTPServer):
    """A threading HTTP server holding the chart declarations and the query function its handler uses."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], charts: Sequence[Chart], query: Query, title: str) -> None:
        self.charts = list(charts)
        self.charts_by_name = {chart.name: chart for chart in self.charts}
        self.query = query
        self.title = title
        # One query at a time: a warehouse connection (DuckDB's above all) is not meant to be shared by threads.
        self.query_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, DashboardHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class DashboardHandler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "osa-dashboard"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str, *, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: object) -> None:
        self._send(status, json.dumps(value, allow_nan=False).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        try:
            self._route(unquote(urlsplit(self.path).path))
        except Exception as error:  # noqa: BLE001 - an answer naming the error beats a dropped connection
            log.exception("dashboard: GET %s failed", self.path)
            with contextlib.suppress(OSError):
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, f"{error}\n".encode(), "text/plain; charset=utf-8")

    def _route(self, path: str) -> None:
        if path in ("/", "/index.html"):
            with self.server.query_lock:
                frames, errors = collect(self.server.charts, self.server.query)
            page = render_html(
                self.server.charts,
                frames,
                title=self.server.title,
                generated_at=dt.datetime.now(dt.UTC),
                errors=errors,
                script_base="/static",
            )
            self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")
        elif path == "/healthz":
            self._send(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8")
        elif path.startswith("/chart/") and path.endswith(".json"):
            chart = self.server.charts_by_name.get(path[len("/chart/") : -len(".json")])
            if chart is None:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no chart named {path[7:-5]!r}"})
                return
            try:
                with self.server.query_lock:
                    rows = json_safe_rows(self.server.query(chart.sql))
            except Exception as error:  # noqa: BLE001 - reported to the client, not a crash of the server
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"name": chart.name, "error": f"{error}"})
                return
            self._json(HTTPStatus.OK, {"name": chart.name, "rows": rows})
        elif path.startswith("/static/") and path[len("/static/") :] in STATIC_FILES:
            file = STATIC_FILES[path[len("/static/") :]]
            self._send(HTTPStatus.OK, file.read_bytes(), CONTENT_TYPES[file.suffix], cache="max-age=3600")
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")


def make_server(
    charts: Sequence[Chart],
    query: Query,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    title: str = DEFAULT_TITLE,
) -> DashboardServer:
    """A bound, not yet serving, dashboard server (port 0: a free one; see `.url`). Loopback hosts only."""
    check_unique(charts)
    if not _is_loopback(host):
        raise ValueError(f"the dashboard binds a loopback address only (it has no login); got host {host!r}")
    try:
        return DashboardServer((host, port), charts, query, title)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use: stop what holds it or pick another with --port"
            ) from error
        raise


def serve(
    charts: Sequence[Chart],
    query: Query,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    title: str = DEFAULT_TITLE,
) -> None:
    """Serve the dashboard until interrupted (Ctrl-C returns normally). Raises PortInUseError if the port is taken."""
    server = make_server(charts, query, host=host, port=port, title=title)
    log.warning("dashboard serving %d charts at %s", len(server.charts), server.url)
    serve_until_interrupted(server)


def serve_until_interrupted(server: DashboardServer) -> None:
    """Serve until Ctrl-C (which returns normally), then release the port."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
