"""The `osa` command line: run, ui, query, ingest, generate, redact."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

from osa.config import PROJECT_ROOT, SEED_DATA_DIR, default_duckdb_path, default_landing_dir

DEFAULT_QUERY_TIMEOUT_S = 30.0  # osa.warehouse.readonly.DEFAULT_TIMEOUT_S (not imported: keeps startup light)


class CliError(Exception):
    """An expected failure: printed as one clear line, exit status 1."""


def _dagster_home() -> Path:
    """Use the checkout's own instance (.dagster/) unless DAGSTER_HOME is set; keep dagster.yaml in sync.

    A new instance's SQLite schema is created here, once, under a lock: two first runs at once on a fresh
    DAGSTER_HOME otherwise race to create it ("table secondary_indexes already exists")."""
    import fcntl

    home = Path(os.environ.get("DAGSTER_HOME", PROJECT_ROOT / ".dagster"))
    try:
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists() or home == PROJECT_ROOT / ".dagster":
            shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(home)
        if not (home / "history").exists():
            import dagster as dg

            with open(home / ".init.lock", "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                with dg.DagsterInstance.get():  # creates the run, event-log and schedule databases
                    pass
    except OSError as error:
        raise CliError(f"cannot use the Dagster instance directory {home}: {error.strerror or error}") from error
    return home


def _quiet_dagster() -> None:
    import logging

    warnings.filterwarnings("ignore")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    # Great Expectations logs a whole traceback when it cannot write Data Docs (a full or read-only disk); the
    # check's own result still reaches the run, and the CLI reports failures in one line
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)


def _materialize_days(first: dt.date, last: dt.date) -> None:
    """One in-process run over [first, last] with its events stored in the local instance."""
    _quiet_dagster()  # before Dagster is imported: its beta warnings are not for CLI users
    _dagster_home()
    prepare_warehouse()
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.lakehouse import range_tags

    # One "planned" event per asset for the whole range instead of one per asset and day: on the seed data that is
    # 25 SQLite writes instead of 3,312 (about 20 s of a 75 s run). The trade-off, documented in the README: if
    # this in-process run fails, its days are not marked "failed" in the UI; the CLI reports the failure instead.
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "true")
    job = defs.resolve_job_def("lakehouse_job")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            tags=range_tags(first.isoformat(), last.isoformat()),
            raise_on_error=False,
            # Dagster prints a step's traceback at ERROR; the CLI reports the cause itself, in one line
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
    if not result.success:
        raise CliError("the lakehouse run failed: " + (run_failure_cause(result) or "see `osa ui`"))


def run_failure_cause(result) -> str:
    """The root cause of a failed run in one line: the innermost error of the first failed step (a blocking
    check's failure names its checks), never a traceback."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data is not None:
            error = event.step_failure_data.error
            while error.cause is not None:
                error = error.cause
            lines = error.message.strip().splitlines() or [error.cls_name or "error"]
            detail = " ".join(line.strip() for line in lines[:4]) if "blocking asset check" in lines[0] else lines[0]
            return f"step {event.step_key}: {detail}"
    failures = [e.message for e in result.all_events if e.is_failure]
    return "; ".join(failures[:3])


def _warehouse():
    """The warehouse the environment selects (OSA_WAREHOUSE / OSA_DUCKDB_PATH / OSA_DATABASE_URL)."""
    from osa.warehouse import configured_warehouse

    try:
        return configured_warehouse()
    except ValueError as error:
        raise CliError(str(error)) from error


def _warehouse_label() -> str:
    from osa.warehouse import configured_backend

    chosen = configured_backend()
    if chosen.name == "duckdb":
        return str(default_duckdb_path())
    return f"{chosen.description} (OSA_DATABASE_URL)"  # never print the URL: it carries the password


def prepare_warehouse() -> dict[str, object]:
    """The startup step: apply pending migrations and sync the catalogue's comments (idempotent)."""
    warehouse = _warehouse()
    try:
        return warehouse.prepare()
    except Exception as error:  # a stopped database, a read-only or full disk, a missing privilege: one line
        lines = str(error).strip().splitlines() or [type(error).__name__]
        raise CliError(f"cannot prepare the warehouse: {lines[0]}") from error


def cmd_migrate(args: argparse.Namespace) -> int:
    outcome = prepare_warehouse()
    applied = outcome["migrations_applied"]
    print(
        f"{_warehouse_label()}: "
        + (f"applied {', '.join(applied)}" if applied else "schema up to date")
        + f"; {outcome['comments_updated']} comment(s) updated"
    )
    return 0


def _summary() -> str:
    warehouse = _warehouse()
    rows = []
    for table in warehouse.table_names(views=False):
        if table == "schema_migrations":
            continue
        rows.append((table, warehouse.scalar(f"SELECT count(*) FROM {table}")))
    width = max(len(t) for t, _ in rows)
    lines = [f"{'table':<{width}}  rows", f"{'-' * width}  ------"]
    lines += [f"{table:<{width}}  {count:>6}" for table, count in rows]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from osa.ingest.landing import copy_tree, days_with_data

    started = time.perf_counter()
    landing = Path(args.landing) if args.landing else default_landing_dir()
    if not args.landing:
        try:
            copy_tree(SEED_DATA_DIR, landing)  # the seed data is the default landing content
        except OSError as error:
            raise CliError(f"cannot copy the seed data into {_shown(landing)}: {error.strerror or error}") from error
    days = days_with_data(landing)
    if not days:
        raise CliError(f"no landing files under {landing}")
    os.environ["OSA_LANDING_DIR"] = str(landing)
    _materialize_days(days[0], days[-1])
    print(_summary())
    print(
        f"\nmaterialized {days[0]}..{days[-1]} ({len(days)} days with data) into {_warehouse_label()} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """`dagster dev` for this workspace: the webserver and the daemon (sensors, schedules, queued runs)."""
    import contextlib
    import signal
    import socket

    _dagster_home()
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    prepare_warehouse()  # migrations + comments before any run or sensor touches it
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver does
        try:
            probe.bind((args.host, args.port))
        except OSError as error:
            raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from error
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(PROJECT_ROOT / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    # `dagster dev` gets its own process group: it, the webserver, the daemon, the code server and the run
    # workers. A stop signal goes to `dagster dev` alone, which shuts its services down in order; whatever is
    # left in the group afterwards (run workers) is interrupted, then killed, so nothing outlives `osa ui`.
    children: list[subprocess.Popen] = []
    signals_seen: list[int] = []

    def signal_group(sig: int) -> bool:
        """Send `sig` to the group; False once nothing is left in it."""
        for child in children:
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                return False
            except PermissionError:
                pass
        return bool(children)

    def forward(signum: int, _frame: object) -> None:
        signals_seen.append(signum)
        if len(signals_seen) > 1:  # a second Ctrl-C/SIGTERM: stop waiting
            signal_group(signal.SIGKILL)
        elif children:  # dagster dev treats SIGINT and SIGTERM alike
            with contextlib.suppress(ProcessLookupError):
                children[0].send_signal(signal.SIGINT)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        print(f"Dagster UI (webserver + daemon) on http://{args.host}:{args.port} (Ctrl-C to stop)", flush=True)
        children.append(subprocess.Popen(command, cwd=PROJECT_ROOT, start_new_session=True))
        if signals_seen:  # stopped while starting
            children[0].send_signal(signal.SIGINT)
        returncode = children[0].wait()
    finally:
        if children and children[0].poll() is None:  # leaving on an exception: stop it in order first
            children[0].send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                children[0].wait(timeout=90)
        deadline = time.monotonic() + 10
        if signal_group(signal.SIGINT):
            while signal_group(0) and time.monotonic() < deadline:
                time.sleep(0.2)
        signal_group(signal.SIGKILL)
        for child in children:
            child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if signals_seen:
        return 0
    if returncode != 0:
        raise CliError(f"dagster dev exited with status {returncode}")
    return 0


def _print_table(frame, rows: int) -> None:
    """A result as the CLI prints every table: all columns, up to `rows` rows, long text cut at 60 characters."""
    import polars as pl

    with pl.Config(tbl_rows=rows, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200, tbl_hide_dataframe_shape=True):
        print(frame)


def cmd_query(args: argparse.Namespace) -> int:
    """One read-only statement through `Warehouse.query_readonly` (see osa/warehouse/readonly.py)."""
    import polars as pl

    from osa.warehouse import configured_backend
    from osa.warehouse.readonly import ReadOnlyQueryRefused

    if not args.timeout > 0:
        raise CliError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    try:
        result = _warehouse().query_readonly(args.sql, args.timeout)
    except (FileNotFoundError, TimeoutError) as error:
        raise CliError(str(error)) from error
    except ReadOnlyQueryRefused as error:
        raise CliError(f"refused: {error}") from error
    except configured_backend().errors() as error:  # bad SQL, a permission the sandbox withholds, ...
        lines = str(error).strip().splitlines() or [type(error).__name__]
        raise CliError(f"query failed: {lines[0]}") from error
    _audit_restricted_read(args.sql, result.num_rows)
    _print_table(pl.from_arrow(result), args.limit)
    return 0


def _audit_restricted_read(sql_text: str, rows: int) -> None:
    """A query that names a restricted (bronze) table is audited: which tables, a digest of the SQL (its text may
    quote personal data), the row count and the OS user."""
    import getpass
    import hashlib
    import re

    from osa import catalog
    from osa.compliance import audit

    restricted = sorted(
        {t.name for t in catalog.tables(layer="bronze") if re.search(rf"\b{t.name}\b", sql_text, re.IGNORECASE)}
    )
    if restricted:
        details = {"sql_sha256": hashlib.sha256(sql_text.encode()).hexdigest(), "rows": rows}
        audit.record(
            _warehouse(),
            audit.AuditEntry("restricted_read", f"osa query ({getpass.getuser()})", ",".join(restricted), details),
        )


def cmd_search(args: argparse.Namespace) -> int:
    """Semantic search over the knowledge base: the closest items to a free-text question, with their sources."""
    import polars as pl

    from osa import catalog
    from osa.embeddings import EmbeddingConfigError, EmbeddingError, configured_provider
    from osa.knowledge.search import search
    from osa.privacy import text_redactor
    from osa.warehouse import WarehouseNotReady, ready

    if args.k < 1:
        raise CliError(f"--k must be at least 1, not {args.k}")
    if not args.text.strip():
        raise CliError("the search text is empty")
    try:
        provider = configured_provider(catalog.EMBEDDING_DIMENSIONS)
        store = ready(_warehouse())
        redact = text_redactor() if provider.external else None
        result = search(store, provider, args.text, k=args.k, knowledge_type=args.type, redact=redact)
    except (EmbeddingConfigError, EmbeddingError, WarehouseNotReady, FileNotFoundError, ValueError) as error:
        raise CliError(str(error)) from error
    if result.num_rows == 0:
        raise CliError("the knowledge base is empty: run `osa run` (or the lakehouse job) first")
    frame = pl.from_arrow(result).select(
        pl.col("similarity").round(3), "knowledge_type", "title", "source_agent", "workflow_id", "industry"
    )
    _print_table(frame, args.k)
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard (osa.metrics.charts over the dashboard views) on 127.0.0.1 until Ctrl-C."""
    from osa.dashboard import PortInUseError, make_server
    from osa.dashboard.server import serve_until_interrupted
    from osa.metrics.charts import CHARTS
    from osa.metrics.views import VIEWS
    from osa.warehouse import WarehouseNotReady, ready

    try:
        store = ready(_warehouse())
        missing = [v.name for v in VIEWS if v.name not in store.view_comments()]
    except (WarehouseNotReady, FileNotFoundError) as error:
        raise CliError(str(error)) from error
    if missing:
        raise CliError(f"the dashboard views are missing ({missing[0]}, ...): run `osa migrate` or `osa run` first")
    try:
        server = make_server(CHARTS, store.query, host=args.host, port=args.port, title="OSA Lakehouse dashboard")
    except (PortInUseError, ValueError) as error:
        raise CliError(str(error)) from error
    print(f"dashboard of {_warehouse_label()} on {server.url} (Ctrl-C stops it)", flush=True)
    serve_until_interrupted(server)
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    """A workflow's ranked recommendations, or what worked for workflows like a new intake form, with provenance."""
    import polars as pl

    from osa.warehouse import WarehouseNotReady, ready

    if bool(args.workflow_id) == bool(args.form):
        raise CliError("give a workflow id or --form FORM_ID (one of them)")
    if args.k < 1:
        raise CliError(f"--k must be at least 1, not {args.k}")
    try:
        store = ready(_warehouse())
        if args.form:
            rows = store.query(
                "SELECT rank, category, title, score, support, reason FROM form_recommendations "
                "WHERE form_id = ? ORDER BY event_date DESC, rank LIMIT ?",
                [args.form, args.k],
            )
            what = f"intake form {args.form}"
        else:
            rows = store.query(
                "SELECT event_date, rank, category, title, impact_estimate AS impact, effort_estimate AS effort, "
                "score, agents, merged_recommendation_ids, related_workflow_id FROM workflow_recommendations "
                "WHERE workflow_id = ? ORDER BY event_date, rank LIMIT ?",
                [args.workflow_id, args.k],
            )
            what = f"workflow {args.workflow_id}"
    except (WarehouseNotReady, FileNotFoundError) as error:
        raise CliError(str(error)) from error
    if rows.num_rows == 0:
        raise CliError(f"no recommendations for {_shown(Path(what))}: unknown id, or `osa run` has not reached it")
    frame = pl.from_arrow(rows).with_columns(pl.col("score").round(3))
    if "merged_recommendation_ids" in frame.columns:
        frame = frame.with_columns(pl.col("merged_recommendation_ids").list.len().alias("merged")).drop(
            "merged_recommendation_ids"
        )
    _print_table(frame, args.k)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from collections import Counter

    from osa.ingest.landing import stage_file

    path = Path(args.path)
    if not path.exists():
        raise CliError(f"{_shown(path)} does not exist")
    try:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.jsonl") if p.is_file())  # a folder named x.jsonl is no file
        elif path.is_file():
            files = [path]
        else:
            raise CliError(f"{_shown(path)} is neither a file nor a folder")
    except OSError as error:
        raise CliError(f"cannot list {_shown(path)}: {error.strerror or error}") from error
    if not files:
        raise CliError(f"no .jsonl files under {_shown(path)}")
    sources = {file: args.source or _guess_source(file) for file in files}  # all or nothing: before staging any
    landing = default_landing_dir()
    days: set[dt.date] = set()
    failures: list[str] = []
    staged: Counter[str] = Counter()
    for file, source in sources.items():
        try:
            days.update(stage_file(file, source, landing))
        except OSError as error:  # unreadable file, landing zone not writable, disk full: that file only
            failures.append(f"cannot stage {_shown(file)}: {error.strerror or error}")
            continue
        except ValueError as error:  # today outside the partitions: no file can be staged
            raise CliError(str(error)) from error
        staged[source] += 1
    # counts only: a file's name may carry personal data (jane.doe@example.com.jsonl), and the staged copies
    # are named by a digest for the same reason
    print("staged " + (", ".join(f"{n} file(s) as {source}" for source, n in sorted(staged.items())) or "no file"))
    ranges = contiguous_ranges(sorted(days))
    done = []
    for first, last in ranges:  # only the touched days, never the gaps between them
        label = f"{first}..{last}" if first != last else str(first)
        try:
            _materialize_days(first, last)
        except Exception as error:  # one range failing must not keep the others from being ingested
            lines = str(error).strip().splitlines() or [type(error).__name__]
            failures.append(f"ingesting {label} failed: {lines[0]}")
            continue
        done.append(label)
    print(
        f"ingested {sum(staged.values())} file(s) covering {len(days)} day(s) in {len(done)} run(s)"
        + (": " + ", ".join(done) if done else "")
    )
    for failure in failures:
        print(f"osa ingest: error: {failure}", file=sys.stderr)
    return 1 if failures else 0


def contiguous_ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days grouped into runs of consecutive days, as (first, last) pairs."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _guess_source(file: Path) -> str:
    """The source named by the file's folder, exactly: `intake_forms/x.jsonl` or `intake_forms/dt=.../x.jsonl`.

    Never from the file's name or from parts of words: `malformed_deliveries.jsonl` holds no forms.
    """
    import re

    from osa.ingest.landing import SOURCES

    folder = file.absolute().parent
    if re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}", folder.name):
        folder = folder.parent
    if folder.name in SOURCES:
        return folder.name
    raise CliError(
        f"cannot tell the source of {_shown(file)}: its folder is not named {' or '.join(SOURCES)}; "
        "pass --source intake_forms or --source opal_deliveries"
    )


def _shown(path: Path) -> str:
    """A path for one line of output: control characters and undecodable bytes escaped, never a traceback."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode("ascii")
        for char in str(path)
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from osa.generate import generate

    started = time.perf_counter()
    summary = generate(Path(args.out), workflows=args.workflows, seed=args.seed, days=args.days)
    print(
        f"wrote {summary.workflows} workflows: {summary.forms} form lines and {summary.deliveries} delivery "
        f"lines over {summary.days} days into {summary.out} in {time.perf_counter() - started:.1f}s"
    )
    return 0


def cmd_redact(argv: list[str]) -> int:
    from osa.pii.cli import main as redact_main

    return redact_main(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="osa", description="OSA Lakehouse command line")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialize every asset on the seed data (or --landing) and print a summary")
    run.add_argument("--landing", help="landing directory to ingest instead of the seed data")
    run.set_defaults(func=cmd_run)
    ui = sub.add_parser("ui", help="the Dagster UI for this workspace")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)
    migrate = sub.add_parser("migrate", help="the startup step: apply pending migrations, sync column comments")
    migrate.set_defaults(func=cmd_migrate)
    query = sub.add_parser("query", help="read-only SQL against the warehouse")
    query.add_argument("sql")
    query.add_argument("--limit", type=int, default=50, help="rows to print")
    query.add_argument(
        "--timeout", type=float, default=DEFAULT_QUERY_TIMEOUT_S, help="seconds before the query is interrupted"
    )
    query.set_defaults(func=cmd_query)
    search = sub.add_parser("search", help="semantic search over the knowledge base")
    search.add_argument("text")
    search.add_argument("--k", type=int, default=10, help="how many items")
    search.add_argument("--type", choices=("recommendation", "insight", "intake_form"), help="only this kind")
    search.set_defaults(func=cmd_search)
    recommend = sub.add_parser("recommend", help="a workflow's ranked recommendations, or proposals for a form")
    recommend.add_argument("workflow_id", nargs="?")
    recommend.add_argument("--form", help="an intake form id: what worked for the most similar past workflows")
    recommend.add_argument("--k", type=int, default=20, help="how many rows")
    recommend.set_defaults(func=cmd_recommend)
    dashboard = sub.add_parser("dashboard", help="serve the metric dashboards on 127.0.0.1 (default port 8050)")
    dashboard.add_argument("--port", type=int, default=8050)
    dashboard.add_argument("--host", default="127.0.0.1", help="a loopback address (the default)")
    dashboard.set_defaults(func=cmd_dashboard)
    ingest = sub.add_parser("ingest", help="stage one file or folder into the landing zone and ingest it")
    ingest.add_argument("path")
    ingest.add_argument("--source", choices=("intake_forms", "opal_deliveries"))
    ingest.set_defaults(func=cmd_ingest)
    generate = sub.add_parser("generate", help="write deterministic synthetic data")
    generate.add_argument("--workflows", type=int, default=60)
    generate.add_argument("--out", required=True)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--days", type=int, default=140)
    generate.set_defaults(func=cmd_generate)
    sub.add_parser("redact", help="protect PII in a JSONL file (see `osa redact --help`)", add_help=False)
    retention = sub.add_parser("retention", help="apply every retention policy now (what the nightly job does)")
    retention.add_argument("--as-of", type=_day, help="the day policies count back from (default: today, UTC)")
    retention.add_argument("--dry-run", action="store_true", help="list what would go and change nothing")
    retention.set_defaults(func=cmd_retention)
    dsr = sub.add_parser("dsr", help="a data-subject request: access, export, rectify or erase")
    dsr.add_argument("request", choices=tuple(DSR_REQUESTS))
    dsr.add_argument("--subject", required=True, help="the subject's identifier (an e-mail, a phone, ...)")
    dsr.add_argument("--type", dest="pii_type", help="the identifier's kind when it cannot be detected")
    dsr.add_argument("--value", help="rectify: the corrected value")
    dsr.add_argument("--out", help="access/export: where to write the JSON bundle (default: .osa/dsr/<id>.json)")
    dsr.set_defaults(func=cmd_dsr)
    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    audit.add_argument("action", choices=("verify",))
    audit.set_defaults(func=cmd_audit)
    hold = sub.add_parser("hold", help="place or release a legal hold on a workflow or a subject")
    hold.add_argument("action", choices=("place", "release"))
    hold.add_argument("hold_id", help="the hold's id (case or matter reference)")
    hold.add_argument("--workflow", help="hold one workflow")
    hold.add_argument("--subject", help="hold one data subject (an e-mail, a phone, ...)")
    hold.add_argument("--type", dest="pii_type", help="the subject identifier's kind when it cannot be detected")
    hold.add_argument("--reason", default="legal hold", help="why (no personal data)")
    hold.set_defaults(func=cmd_hold)
    return parser


DSR_REQUESTS = {"access": "access", "export": "export", "rectify": "rectification", "erase": "erasure"}


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _compliance_errors() -> tuple[type[Exception], ...]:
    from osa.compliance.dsr import ErasureIncomplete, RequestRefused

    return (RequestRefused, ErasureIncomplete, ValueError)


def _privacy_engine():
    from osa.privacy import default_protector

    return default_protector().engine


def cmd_retention(args: argparse.Namespace) -> int:
    """The nightly retention job's work, now (see osa/compliance/retention.py)."""
    from osa.compliance.retention import run_retention

    warehouse = _ready_warehouse()
    as_of = args.as_of or dt.datetime.now(dt.UTC).date()
    try:
        report = run_retention(warehouse, as_of, dry_run=args.dry_run)
    except ValueError as error:
        raise CliError(str(error)) from error
    print("\n".join(report.lines()))
    if report.audit_seq is not None:
        print(f"audit record {report.audit_seq}")
    return 0


def cmd_dsr(args: argparse.Namespace) -> int:
    """A data-subject request, run in every store and audited (the audit row never holds the identifier)."""
    import json

    from osa.compliance.dsr import run_request

    warehouse = _ready_warehouse()
    request_type = DSR_REQUESTS[args.request]
    out = Path(args.out) if args.out else None
    try:
        result = run_request(
            warehouse,
            _privacy_engine(),
            request_type,
            args.subject,
            pii_type=args.pii_type,
            new_value=args.value,
            bundle_dir=out.parent if out else None,
            request_id=out.stem if out else None,
            actor="osa dsr",
        )
    except _compliance_errors() as error:
        raise CliError(str(error)) from error
    print(json.dumps({"request": request_type, **result.details(), "audit_seq": result.audit_seq}))
    if result.bundle_path:
        print(f"bundle: {_shown(result.bundle_path)}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from osa.compliance import audit

    report = audit.verify(_ready_warehouse())
    if not report.intact:
        raise CliError(report.line())
    print(report.line())
    return 0


def cmd_hold(args: argparse.Namespace) -> int:
    from osa.compliance import holds
    from osa.compliance.dsr import resolve_subject

    warehouse = _ready_warehouse()
    try:
        if args.action == "release":
            released = holds.release(warehouse, args.hold_id, actor="osa hold")
            if not released:
                raise CliError(f"no hold {args.hold_id!r} is in force")
            print(f"released hold {args.hold_id}")
            return 0
        if bool(args.workflow) == bool(args.subject):
            raise CliError("a hold covers either --workflow or --subject")
        fingerprints = ()
        if args.subject:
            fingerprints = (resolve_subject(_privacy_engine(), args.subject, args.pii_type).fingerprint,)
        holds.place(
            warehouse, args.hold_id, args.reason, workflow_id=args.workflow, fingerprints=fingerprints, actor="osa hold"
        )
    except _compliance_errors() as error:
        raise CliError(str(error)) from error
    print(f"placed hold {args.hold_id} on {'workflow ' + args.workflow if args.workflow else 'the subject'}")
    return 0


def _ready_warehouse():
    """The configured warehouse after the startup step (migrations), as every command that writes needs it."""
    prepare_warehouse()
    return _warehouse()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "redact":  # its own parser (osa.pii.cli); failures still end in one line below
        command, run = "redact", lambda: cmd_redact(argv[1:])
    else:
        args = build_parser().parse_args(argv)
        command, run = args.command, lambda: args.func(args)
    try:
        return run()
    except CliError as error:
        message = str(error)
    except KeyboardInterrupt:
        print(f"osa {command}: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # a read-only or full disk, a missing folder, a denied permission: name the file
        where = f": {_shown(Path(os.fsdecode(error.filename)))}" if error.filename is not None else ""
        message = f"{error.strerror or type(error).__name__}{where}"
    except Exception as error:  # anything unforeseen is still one line; OSA_DEBUG=1 shows the traceback
        if os.environ.get("OSA_DEBUG"):
            raise
        first = (str(error).strip().splitlines() or [""])[0]
        message = f"{type(error).__name__}: {first}{_full_disks()} (set OSA_DEBUG=1 for the traceback)"
    print(f"osa {command}: error: {_without_credentials(message)}", file=sys.stderr)
    return 1


def _full_disks(min_free: int = 1 << 20) -> str:
    """ "; no space left on ..." for each state location whose disk has under `min_free` bytes free: libraries
    report a full disk in their own words (SQLite says "disk I/O error"), so the cause is named here."""
    from osa.config import default_duckdb_path

    locations = {
        "DAGSTER_HOME": os.environ.get("DAGSTER_HOME"),
        "the landing zone": str(default_landing_dir()),
        "the DuckDB warehouse": str(default_duckdb_path().parent),
    }
    full = []
    for label, location in locations.items():
        if location and os.path.isdir(location) and shutil.disk_usage(location).free < min_free:
            full.append(f"{label} ({_shown(Path(location))})")
    return f"; no space left for {', '.join(full)}" if full else ""


def _without_credentials(message: str) -> str:
    """`message` with the configured database URL's password scrubbed (errors may quote the URL back)."""
    url = os.environ.get("OSA_DATABASE_URL")
    if not url:
        return message
    from osa.warehouse.postgres_warehouse import scrub_credentials

    return scrub_credentials(message, url)


if __name__ == "__main__":
    sys.exit(main())
