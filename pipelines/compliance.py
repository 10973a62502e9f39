"""Nightly retention and compliance jobs, data-subject requests and the alert on a failed nightly job.

Logic lives in `osa.compliance`; this module wires it: `retention_job` (02:00), `compliance_job` (the
`compliance_report` asset and its check, 02:30), `dsr_job` (run config `{request_type, subject}`) and a
run-failure sensor that logs and audits (the `jobs.failures` metric is derived from the audit log).
The nightly time zone is `OSA_NIGHTLY_TIMEZONE` (default UTC).
"""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.specs import step_specs
from osa.compliance import audit
from osa.config import STATE_DIR
from resources import LandingZoneResource, PrivacyResource, WarehouseResource

NIGHTLY_TIMEZONE = os.environ.get("OSA_NIGHTLY_TIMEZONE", "UTC")
RETRIES = dg.RetryPolicy(max_retries=2, delay=30)
REPORT_DIR = STATE_DIR / "reports" / "compliance"


def _as_of(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else dt.datetime.now(dt.UTC).date()


class RetentionRun(dg.Config):
    as_of: str | None = Field(default=None, description="The day policies count back from (ISO date); empty: today.")
    dry_run: bool = Field(default=False, description="List what would go and change nothing.")


@dg.op(
    description="Applies every retention policy (osa.compliance.policies) as of a day: archives, deletes, "
    "anonymizes, expires landing files and metric windows, respects legal holds, writes one audit record.",
    retry_policy=RETRIES,
    tags={"osa/maintenance": "retention"},
)
def apply_retention_policies(
    context: dg.OpExecutionContext, config: RetentionRun, warehouse: WarehouseResource, landing: LandingZoneResource
) -> dg.Output[None]:
    from osa.compliance.retention import run_retention

    report = run_retention(warehouse.get(), _as_of(config.as_of), dry_run=config.dry_run, landing_root=landing.root)
    for line in report.lines():
        context.log.info(line)
    categories = report.by_category()
    return dg.Output(
        None,
        metadata={
            "as_of": str(report.as_of),
            "dry_run": report.dry_run,
            "legal_holds": ", ".join(report.holds) or "none",
            "audit_seq": report.audit_seq if report.audit_seq is not None else -1,
            **{f"removed/{c}": v["removed"] for c, v in categories.items()},
            **{f"held/{c}": v["held"] for c, v in categories.items() if v["held"]},
            "landing_files_removed": report.landing.get("removed", 0),
            "report": dg.MetadataValue.md("\n".join(f"    {line}" for line in report.lines())),
        },
    )


@dg.job(description="Nightly GDPR retention by data category (docs/retention.md).", tags={"osa/nightly": "retention"})
def retention_job() -> None:
    apply_retention_policies()


def nightly(job, hour_minute: tuple[int, int], what: str) -> dg.ScheduleDefinition:
    """A nightly schedule in OSA_NIGHTLY_TIMEZONE, running from the start (no one has to switch it on)."""
    hour, minute = hour_minute
    return dg.ScheduleDefinition(
        job=job,
        cron_schedule=f"{minute} {hour} * * *",
        execution_timezone=NIGHTLY_TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Nightly at {hour:02d}:{minute:02d} ({NIGHTLY_TIMEZONE}): {what}.",
    )


retention_schedule = nightly(retention_job, (2, 0), "apply every retention policy as of that day")


class ComplianceRun(dg.Config):
    as_of: str | None = Field(default=None, description="The day raw-data age is measured from; empty: today.")


@dg.asset(
    group_name="compliance",
    owners=["team:privacy"],
    kinds={"python"},
    description="The nightly compliance scan: raw personal data outside the raw zone, raw data past 30 days, "
    "secrets stored anywhere - every warehouse table, the archive, the landing zone and Dagster's local storage. "
    "Violations are "
    "listed by location (table, column, row key), never by value.",
    retry_policy=RETRIES,
)
def compliance_report(
    context: dg.AssetExecutionContext,
    config: ComplianceRun,
    warehouse: WarehouseResource,
    privacy: PrivacyResource,
    landing: LandingZoneResource,
) -> dg.MaterializeResult:
    from osa.compliance.scan import as_dicts, scan, summary

    as_of = _as_of(config.as_of)
    store = warehouse.get()
    home = os.environ.get("DAGSTER_HOME")
    violations = scan(
        store, privacy.scanner(), as_of, landing_root=landing.root, dagster_home=Path(home) if home else None
    )
    counts = summary(violations)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"{as_of.isoformat()}.json"
    path.write_text(json.dumps({"as_of": str(as_of), "counts": counts, "violations": as_dicts(violations)}, indent=1))
    audit.record(store, audit.AuditEntry("compliance_scan", "compliance_job", "every store", {"violations": counts}))
    table = ["| kind | store | location | row key | detail |", "|---|---|---|---|---|"] + [
        f"| {v.kind} | {v.store} | {v.location} | {v.row_key or ''} | {v.detail} |" for v in violations[:50]
    ]
    return dg.MaterializeResult(
        metadata={
            "violations": len(violations),
            **{f"violations/{kind}": n for kind, n in counts.items()},
            "report": dg.MetadataValue.path(str(path)),
            "locations": dg.MetadataValue.md("\n".join(table)),
        }
    )


@dg.asset_check(asset=compliance_report, blocking=True, description="Fails on any compliance violation.")
def no_compliance_violations(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    event = context.instance.get_latest_materialization_event(compliance_report.key)
    path = event.asset_materialization.metadata["report"].value if event and event.asset_materialization else None
    report = json.loads(Path(path).read_text()) if path else {"violations": [], "counts": {}}
    found = report["violations"]
    where = "; ".join(
        f"{v['kind']} in {v['store']} {v['location']}" + (f" row {v['row_key']}" if v["row_key"] else "")
        for v in found[:10]
    )
    return dg.AssetCheckResult(
        passed=not found,
        description=f"{len(found)} violations: {where}" if found else "no violations",
        metadata={"violations": len(found), **{f"violations/{k}": n for k, n in report["counts"].items()}},
    )


compliance_job = dg.define_asset_job(
    "compliance_job",
    selection=dg.AssetSelection.assets(compliance_report),
    description="Nightly compliance scan of every store, with its check.",
    tags={"osa/nightly": "compliance"},
)

compliance_schedule = nightly(compliance_job, (2, 30), "after retention, scan every store for violations")


class DataSubjectRequest(dg.Config):
    request_type: str = Field(description="access, export, rectification or erasure.")
    subject: str = Field(
        description="The subject's identifier (an e-mail or another identifier). It stays in this run's config: "
        "`osa dsr` runs requests without a Dagster run, so no identifier is kept in run storage."
    )
    pii_type: str | None = Field(default=None, description="The identifier's kind when it cannot be detected.")
    new_value: str | None = Field(default=None, description="Rectification: the corrected value.")


@dg.op(description="Runs one data-subject request in every store and audits it (never the identifier).")
def data_subject_request(
    context: dg.OpExecutionContext,
    config: DataSubjectRequest,
    warehouse: WarehouseResource,
    privacy: PrivacyResource,
    landing: LandingZoneResource,
) -> dg.Output[None]:
    from osa.compliance.dsr import run_request

    result = run_request(
        warehouse.get(),
        privacy.scanner(),
        config.request_type,
        config.subject,
        pii_type=config.pii_type,
        new_value=config.new_value,
        landing_root=landing.root,
        actor="dsr_job",
    )
    context.log.info(f"request {result.request_id} ({config.request_type}): found {result.found}")
    return dg.Output(
        None,
        metadata={
            "request_id": result.request_id,
            "found": json.dumps(result.found),
            "changed": json.dumps(result.changed),
            "verified": str(result.verified),
            "audit_seq": result.audit_seq or -1,
            **({"bundle": dg.MetadataValue.path(str(result.bundle_path))} if result.bundle_path else {}),
        },
    )


@dg.job(description="One data-subject request (access, export, rectification, erasure).", tags={"osa/dsr": "request"})
def dsr_job() -> None:
    data_subject_request()


NIGHTLY_JOBS = [retention_job, compliance_job]


@dg.run_failure_sensor(
    monitored_jobs=NIGHTLY_JOBS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts when a nightly job fails after its retries: an error in the log and an audit record "
    "(the `jobs.failures` metric counts them).",
)
def nightly_job_failed(context: dg.RunFailureSensorContext, warehouse: WarehouseResource) -> None:
    run = context.dagster_run
    message = (context.failure_event.message or "").splitlines()[0] if context.failure_event else ""
    context.log.error(f"nightly job {run.job_name} failed (run {run.run_id}): {message}")
    audit.record(
        warehouse.get(),
        audit.AuditEntry("job_failure", "nightly_job_failed", target=run.job_name, details={"run_id": run.run_id}),
    )


defs = dg.Definitions(
    assets=[*step_specs("compliance"), compliance_report],
    asset_checks=[no_compliance_violations],
    jobs=[retention_job, compliance_job, dsr_job],
    schedules=[retention_schedule, compliance_schedule],
    sensors=[nightly_job_failed],
)
