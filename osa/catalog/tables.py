"""Every warehouse table, declared once.

Order matters: it is the order of the generated DDL, the docs and the UI lists. Column order is the
physical column order of the table (the committed migrations must produce exactly this; a test compares
them through a real database of each backend).
"""

from __future__ import annotations

from osa.catalog.model import (
    BIGINT,
    BOOL,
    DATE,
    DECIMAL_3_2,
    DOUBLE,
    INT,
    TEXT,
    TEXT_LIST,
    TIMESTAMPTZ,
    VECTOR_1536,
    Column,
    Table,
)
from osa.contracts.intake import ANALYSIS_DEPTHS, CREDENTIAL_KEYS, FOCUS_AREAS, TIMELINES
from osa.contracts.opal import (
    AGENT_IDS,
    EFFORTS,
    EXECUTION_STATUSES,
    IMPACTS,
    RECOMMENDATION_CATEGORIES,
    SEVERITIES,
)

DATA_PLATFORM = "team:data-platform"
ANALYTICS = "team:analytics"
PRIVACY = "team:privacy"

FREE_TEXT = "user.content.private"  # text a customer or an agent wrote: may mention people; scanned, pseudonymized
ORGANIZATION = "user.contact.organization"
ACCOUNT = "user.account"
PSEUDONYM = "user.unique_id.pseudonymous"
SLA_STATUSES = ("in_progress", "failed", "timeout", "low_confidence", "met")
WORKFLOW_STATUSES = ("completed", "failed", "degraded", "partial")
REJECTION_STAGES = ("envelope", "contract")
PII_MODES = ("redact", "mask", "hash", "tokenize", "pseudonymize", "encrypt", "generalize")


# ------------------------------------------------------------------------------------------ shared columns
def event_date(what: str = "the day the record was received (UTC)") -> Column:
    return Column("event_date", DATE, f"Partition: {what}.", nullable=False)


def source_file(nullable: bool = False) -> Column:
    return Column(
        "source_file", TEXT, "Landing file the record came from, relative to the landing zone.", nullable=nullable
    )


def source_line(nullable: bool = False) -> Column:
    return Column(
        "source_line", INT, "1-based line number of the record in its landing file.", nullable=nullable, minimum=1
    )


def delivery_id(
    description: str = "SHA-256 of the delivery body: the delivery's identity (replays share it).",
    nullable: bool = False,
) -> Column:
    return Column("delivery_id", TEXT, description, nullable=nullable)


def workflow_id(nullable: bool = False) -> Column:
    return Column(
        "workflow_id",
        TEXT,
        "The OSA workflow the record belongs to, as the sender wrote it.",
        nullable=nullable,
    )


def agent_id(description: str = "The OPAL agent that produced the output.", nullable: bool = False) -> Column:
    return Column("agent_id", TEXT, description, nullable=nullable, allowed=None if nullable else AGENT_IDS)


def item_index(type_=BIGINT) -> Column:
    return Column(
        "item_index", type_, "1-based position of the item in the agent's output array.", nullable=False, minimum=1
    )


def score(name: str, what: str, maximum: float = 100) -> Column:
    return Column(name, DOUBLE, what, minimum=0, maximum=maximum)


def rate(name: str, what: str) -> Column:
    return Column(name, DOUBLE, f"{what} (fraction 0-1).", minimum=0, maximum=1)


def count(name: str, what: str) -> Column:
    return Column(name, BIGINT, what, nullable=False, minimum=0)


def insight_keys(index_type=BIGINT) -> tuple[Column, ...]:
    return (event_date(), delivery_id(), workflow_id(), item_index(index_type))


# ------------------------------------------------------------------------------------------ bronze
BRONZE = (
    Table(
        "bronze_intake_forms",
        "bronze",
        "intake_forms",
        "Every intake form line as received, credentials removed: the restricted raw zone, kept for reprocessing.",
        grain="one received form line",
        owner=DATA_PLATFORM,
        retention="pii_data",
        key=("source_file", "source_line"),
        count_by="is_duplicate",
        indexes=(("form_id",),),
        columns=(
            event_date(),
            Column("form_id", TEXT, "SHA-256 of the raw line: the form's identity (replays share it).", nullable=False),
            source_file(),
            source_line(),
            Column(
                "is_duplicate",
                BOOL,
                "True for a replay of a form already received (kept, never counted twice).",
                nullable=False,
            ),
            Column(
                "form_json",
                TEXT,
                "The form as received with every API credential removed; null for "
                "unparseable lines and duplicates. Raw personal data: restricted.",
                privacy="user",
                json=True,
                compression="zstd",
            ),
        ),
    ),
    Table(
        "bronze_opal_deliveries",
        "bronze",
        "opal_deliveries",
        "Signature-verified OPAL webhook deliveries with their raw body; replays flagged as duplicates.",
        grain="one verified delivery line",
        owner=DATA_PLATFORM,
        retention="pii_data",
        key=("source_file", "source_line"),
        count_by="is_duplicate",
        indexes=(("delivery_id",),),
        columns=(
            event_date(),
            delivery_id(),
            source_file(),
            source_line(),
            Column(
                "received_at", TIMESTAMPTZ, "When the webhook was received (envelope `received_at`).", nullable=False
            ),
            Column("signature_timestamp", BIGINT, "The `t=` of the X-OSA-Signature header (Unix seconds)."),
            Column("is_duplicate", BOOL, "True for a replay of a body already received.", nullable=False),
            Column(
                "body",
                TEXT,
                "The raw webhook body (JSON); null for duplicates. Raw personal data: restricted.",
                privacy="user",
                json=True,
                compression="zstd",
            ),
        ),
    ),
)

# ------------------------------------------------------------------------------------------ silver
SILVER_FORMS = Table(
    "silver_intake_forms",
    "silver",
    "intake_forms",
    "Valid strategy intake forms, typed; personal data pseudonymized, credentials kept only as key names.",
    grain="one valid intake form",
    owner=DATA_PLATFORM,
    retention="strategy_workflow",
    key=("form_id",),
    depends_on=("bronze_intake_forms",),
    count_by="analysis_depth",
    indexes=(("workflow_id", "event_date DESC"),),
    columns=(
        event_date(),
        Column("form_id", TEXT, "SHA-256 of the raw form line.", nullable=False),
        workflow_id(),
        Column("submitted_at", TIMESTAMPTZ, "When the customer submitted the form (optional in the contract)."),
        Column("company_name", TEXT, "The customer's company.", privacy=ORGANIZATION, nullable=False),
        Column("industry", TEXT, "The customer's industry, as written.", privacy=ORGANIZATION, nullable=False),
        Column("goals", TEXT_LIST, "Business goals (at least one).", privacy=FREE_TEXT, nullable=False),
        Column(
            "target_audience",
            TEXT,
            "Who the strategy is for, in the customer's words.",
            privacy=FREE_TEXT,
            nullable=False,
        ),
        Column(
            "current_challenges",
            TEXT_LIST,
            "Challenges named by the customer (may be empty).",
            privacy=FREE_TEXT,
            nullable=False,
        ),
        Column("project_id", TEXT, "Optimizely project id (digits).", privacy=ACCOUNT, nullable=False),
        Column("workspace_id", TEXT, "Optimizely workspace id.", privacy=ACCOUNT, nullable=False),
        Column(
            "credentials_supplied",
            TEXT_LIST,
            "Names of the API keys supplied (never their values): " + ", ".join(CREDENTIAL_KEYS) + ".",
            nullable=False,
        ),
        Column("analysis_depth", TEXT, "Requested depth of analysis.", nullable=False, allowed=ANALYSIS_DEPTHS),
        Column("focus_areas", TEXT_LIST, "Areas to focus on: " + ", ".join(FOCUS_AREAS) + ".", nullable=False),
        Column("timeline", TEXT, "Requested analysis timeline.", nullable=False, allowed=TIMELINES),
        Column("client_name", TEXT, "Client organisation as written on the form (optional).", privacy=ORGANIZATION),
        Column("company_size", TEXT, "Company size band (optional).", privacy=ORGANIZATION),
        Column(
            "current_capabilities",
            TEXT_LIST,
            "Marketing capabilities in place (may be empty).",
            privacy=FREE_TEXT,
            nullable=False,
        ),
        Column(
            "business_objectives", TEXT_LIST, "Business objectives (may be empty).", privacy=FREE_TEXT, nullable=False
        ),
        Column(
            "additional_marketing_technology",
            TEXT_LIST,
            "Other marketing tools in use (may be empty).",
            privacy=FREE_TEXT,
            nullable=False,
        ),
        Column("timeline_preference", TEXT, "Preferred delivery timeline (optional).", privacy=FREE_TEXT),
        Column("budget_range", TEXT, "Budget band (optional).", privacy="user.financial"),
        Column(
            "recipients",
            TEXT_LIST,
            "Who receives the strategy (e-mail addresses, pseudonymized).",
            privacy="user.contact.email",
            nullable=False,
        ),
        Column("contact_name", TEXT, "Contact person (pseudonymized).", privacy="user.name"),
        Column("contact_phone", TEXT, "Contact phone number (pseudonymized).", privacy="user.contact.phone_number"),
        Column("notes", TEXT, "Free-text notes; personal data in them is pseudonymized.", privacy=FREE_TEXT),
        source_file(),
        source_line(),
    ),
)

SILVER_AGENT_EXECUTIONS = Table(
    "silver_agent_executions",
    "silver",
    "opal_deliveries",
    "One row per valid agent output, with the agent's SLA and whether it was met.",
    grain="one valid agent output (delivery)",
    owner=DATA_PLATFORM,
    retention="strategy_workflow",
    key=("delivery_id",),
    depends_on=("bronze_opal_deliveries",),
    count_by="sla_status",
    indexes=(("agent_id", "event_date DESC"), ("workflow_id", "event_date DESC")),
    figures={"sla_met_share": "avg(CASE WHEN sla_status = 'met' THEN 1.0 ELSE 0.0 END) FILTER (WHERE is_final)"},
    columns=(
        event_date(),
        delivery_id(),
        Column("execution_id", TEXT, "The agent's execution id.", nullable=False),
        workflow_id(),
        agent_id(),
        Column(
            "execution_status",
            TEXT,
            "Execution status reported by the agent.",
            nullable=False,
            allowed=EXECUTION_STATUSES,
        ),
        Column("correlation_id", TEXT, "Correlation id for tracing across OSA services."),
        Column("agent_timestamp", TIMESTAMPTZ, "When the agent says it produced the output (metadata.timestamp)."),
        Column("received_at", TIMESTAMPTZ, "When the webhook was received.", nullable=False),
        Column("execution_duration_ms", BIGINT, "How long the agent ran, in milliseconds.", minimum=0),
        Column("confidence_score", DOUBLE, "The agent's confidence in its output (0-1).", minimum=0, maximum=1),
        Column("data_sources", TEXT_LIST, "Data sources the agent used."),
        Column(
            "sla_max_execution_ms",
            INT,
            "The agent's SLA: maximum execution time in milliseconds.",
            nullable=False,
            minimum=1,
        ),
        Column(
            "sla_confidence_threshold",
            DECIMAL_3_2,
            "The agent's SLA: minimum confidence.",
            nullable=False,
            minimum=0,
            maximum=1,
        ),
        source_file(),
        source_line(),
        Column("is_final", BOOL, "True for completed or failed executions (not started/running).", nullable=False),
        Column("is_timeout", BOOL, "True when the execution took longer than the SLA allows.", nullable=False),
        Column("is_low_confidence", BOOL, "True when confidence fell below the SLA threshold.", nullable=False),
        Column(
            "sla_status",
            TEXT,
            "SLA outcome: met, timeout, low_confidence, failed, or in_progress.",
            nullable=False,
            allowed=SLA_STATUSES,
        ),
    ),
)

SILVER_WORKFLOWS = Table(
    "silver_workflow_executions",
    "silver",
    "opal_deliveries",
    "Per workflow and day: agents reporting, failures, and whether the workflow completed or degraded.",
    grain="one workflow on one day",
    owner=DATA_PLATFORM,
    retention="strategy_workflow",
    key=("event_date", "workflow_id"),
    depends_on=("bronze_opal_deliveries",),
    count_by="workflow_status",
    indexes=(("workflow_id", "event_date DESC"),),
    columns=(
        event_date(),
        workflow_id(),
        count("agents_reporting", "Distinct agents with a valid final output that day."),
        count("valid_outputs", "Valid final outputs that day."),
        count("invalid_outputs", "Outputs quarantined for a contract violation that day."),
        count("agents_completed", "Distinct agents that completed."),
        count("agents_failed", "Distinct agents that failed."),
        Column("first_output_at", TIMESTAMPTZ, "First valid output received that day."),
        Column("last_output_at", TIMESTAMPTZ, "Last valid output received that day."),
        Column("is_complete", BOOL, f"True when all {len(AGENT_IDS)} agents completed.", nullable=False),
        Column("is_degraded", BOOL, "True when more than half of the outputs were invalid.", nullable=False),
        Column(
            "workflow_status",
            TEXT,
            "completed, failed, degraded or partial.",
            nullable=False,
            allowed=WORKFLOW_STATUSES,
        ),
    ),
)

SILVER_RECOMMENDATIONS = Table(
    "silver_recommendations",
    "silver",
    "opal_deliveries",
    "Every agent's recommendations normalized to one schema (category, priority 1-10, impact, effort).",
    grain="one normalized recommendation",
    owner=DATA_PLATFORM,
    retention="strategy_workflow",
    key=("recommendation_id",),
    depends_on=("bronze_opal_deliveries",),
    count_by="category",
    indexes=(("category", "event_date DESC"), ("recommendation_id",)),
    figures={"high_priority_share": "avg(CASE WHEN priority >= 8 THEN 1.0 ELSE 0.0 END)"},
    columns=(
        event_date(),
        Column("recommendation_id", TEXT, "Stable hash of delivery, output array and position.", nullable=False),
        delivery_id("The delivery the recommendation came from."),
        workflow_id(),
        agent_id("The agent that made the recommendation."),
        Column("category", TEXT, "Normalized category.", nullable=False, allowed=RECOMMENDATION_CATEGORIES),
        Column("priority", INT, "Normalized priority, 1 (low) to 10 (urgent).", nullable=False, minimum=1, maximum=10),
        Column("title", TEXT, "Short title.", privacy=FREE_TEXT),
        Column("description", TEXT, "What to do and why.", privacy=FREE_TEXT),
        Column("impact_estimate", TEXT, "Expected impact.", nullable=False, allowed=IMPACTS),
        Column("effort_estimate", TEXT, "Expected effort.", nullable=False, allowed=EFFORTS),
        Column("implementation_steps", TEXT_LIST, "Steps to implement.", privacy=FREE_TEXT),
        Column("success_metrics", TEXT_LIST, "How success is measured.", privacy=FREE_TEXT),
        Column("dependencies", TEXT_LIST, "What it depends on.", privacy=FREE_TEXT),
        Column("estimated_timeline", TEXT, "Estimated time to implement, when the agent gives one.", privacy=FREE_TEXT),
    ),
)

INSIGHTS = (
    Table(
        "silver_content_review_insights",
        "silver",
        "opal_deliveries",
        "Content review scores and engagement metrics per completed content_review output.",
        grain="one content review",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="content_review",
        columns=(
            *insight_keys(INT),
            score("content_quality_score", "Content quality score (0-100)."),
            score("seo_score", "SEO optimization score (0-100)."),
            score("readability_score", "Readability score (0-100)."),
            Column("avg_time_on_page_s", DOUBLE, "Average time on page, seconds.", minimum=0),
            rate("bounce_rate", "Bounce rate"),
            rate("conversion_rate", "Conversion rate"),
            Column("recommendation_count", BIGINT, "Recommendations in the review.", minimum=0),
        ),
    ),
    Table(
        "silver_geo_audit_findings",
        "silver",
        "opal_deliveries",
        "Generative-engine-optimization (GEO) audit findings by region.",
        grain="one GEO audit finding",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="geo_audit",
        count_by="severity",
        columns=(
            *insight_keys(),
            score("overall_geo_score", "Overall GEO score of the audit (0-100)."),
            Column("region", TEXT, "Region the finding applies to."),
            Column("issue_type", TEXT, "Kind of issue (latency, localization, compliance, seo, content_gap)."),
            Column("severity", TEXT, "Severity.", allowed=SEVERITIES),
            Column("affected_pages", BIGINT, "Pages affected.", minimum=0),
            Column("description", TEXT, "What was found.", privacy=FREE_TEXT),
        ),
    ),
    Table(
        "silver_audience_segments",
        "silver",
        "opal_deliveries",
        "Audience segments suggested by audience_suggester.",
        grain="one suggested segment",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="audience_suggester",
        columns=(
            *insight_keys(),
            Column("segment_name", TEXT, "Segment name.", privacy=FREE_TEXT),
            Column(
                "criteria_json",
                TEXT,
                "Segment criteria as JSON (values pseudonymized where personal).",
                privacy=FREE_TEXT,
                json=True,
            ),
            Column("estimated_size", BIGINT, "Estimated audience size.", minimum=0),
            Column("confidence_score", DOUBLE, "Agent confidence in the segment (0-1).", minimum=0, maximum=1),
            Column("potential_uplift", DOUBLE, "Potential uplift (fraction).", minimum=0),
        ),
    ),
    Table(
        "silver_experiment_blueprints",
        "silver",
        "opal_deliveries",
        "Experiment designs proposed by experiment_blueprinter.",
        grain="one experiment blueprint",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="experiment_blueprinter",
        columns=(
            *insight_keys(),
            Column("experiment_name", TEXT, "Experiment name.", privacy=FREE_TEXT),
            Column("hypothesis", TEXT, "Hypothesis under test.", privacy=FREE_TEXT),
            Column("primary_metric", TEXT, "Primary metric.", privacy=FREE_TEXT),
            Column("variations", BIGINT, "Number of variations (at least 2).", minimum=2),
            rate("traffic_allocation", "Share of traffic allocated"),
            Column("min_detectable_effect", DOUBLE, "Minimum detectable effect (fraction).", minimum=0),
            Column("estimated_duration_days", BIGINT, "Estimated duration in days.", minimum=1),
            Column("required_sample_size", BIGINT, "Required sample size.", minimum=1),
            Column("priority", BIGINT, "Priority 1-10.", minimum=1, maximum=10),
        ),
    ),
    Table(
        "silver_personalization_ideas",
        "silver",
        "opal_deliveries",
        "Personalization ideas from personalization_idea_generator.",
        grain="one personalization idea",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="personalization_idea_generator",
        count_by="channel",
        columns=(
            *insight_keys(),
            Column("title", TEXT, "Idea title.", privacy=FREE_TEXT),
            Column("target_segment", TEXT, "Segment the idea targets.", privacy=FREE_TEXT),
            Column("channel", TEXT, "Channel.", allowed=("web", "email", "mobile", "ads")),
            rate("expected_lift", "Expected lift"),
            Column("effort", TEXT, "Effort.", allowed=EFFORTS),
            Column("priority", BIGINT, "Priority 1-10.", minimum=1, maximum=10),
        ),
    ),
    Table(
        "silver_roadmap_items",
        "silver",
        "opal_deliveries",
        "Roadmap phases and items from roadmap_generator.",
        grain="one roadmap item",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="roadmap_generator",
        columns=(
            *insight_keys(),
            Column("total_duration_weeks", BIGINT, "Length of the whole roadmap in weeks.", minimum=1),
            Column("phase", BIGINT, "Phase 1-4.", minimum=1, maximum=4),
            Column("title", TEXT, "Item title.", privacy=FREE_TEXT),
            Column("category", TEXT, "Category.", allowed=RECOMMENDATION_CATEGORIES),
            Column("start_week", BIGINT, "Start week (0-based).", minimum=0),
            Column("duration_weeks", BIGINT, "Duration in weeks.", minimum=1),
            Column("impact", TEXT, "Impact.", allowed=IMPACTS),
            Column("effort", TEXT, "Effort.", allowed=EFFORTS),
        ),
    ),
    Table(
        "silver_integration_health_checks",
        "silver",
        "opal_deliveries",
        "Integration health checks (ODP, experimentation, CMP, ...) from integration_health.",
        grain="one integration check",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="integration_health",
        count_by="status",
        columns=(
            *insight_keys(),
            score("overall_health_score", "Overall integration health (0-100)."),
            Column("integration", TEXT, "Integration checked."),
            Column("status", TEXT, "healthy, degraded or down.", allowed=("healthy", "degraded", "down")),
            Column("latency_ms", BIGINT, "Latency in milliseconds.", minimum=0),
            rate("error_rate", "Error rate"),
            Column("last_sync_at", TIMESTAMPTZ, "Last successful sync."),
        ),
    ),
    Table(
        "silver_cmp_issues",
        "silver",
        "opal_deliveries",
        "Campaign-management (CMP) taxonomy issues from cmp_organizer.",
        grain="one CMP issue",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="cmp_organizer",
        count_by="severity",
        columns=(
            *insight_keys(),
            Column("campaigns_analyzed", BIGINT, "Campaigns analyzed in the run.", minimum=0),
            score("taxonomy_score", "Taxonomy score (0-100)."),
            Column("campaign_id", TEXT, "Campaign with the issue."),
            Column("issue_type", TEXT, "naming, tagging, ownership, duplicate or stale."),
            Column("severity", TEXT, "Severity.", allowed=SEVERITIES),
            Column("suggestion", TEXT, "Suggested fix.", privacy=FREE_TEXT),
        ),
    ),
    Table(
        "silver_customer_journey_stages",
        "silver",
        "opal_deliveries",
        "Customer journey stages with conversion and drop-off from customer_journey.",
        grain="one journey stage",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("delivery_id", "item_index"),
        depends_on=("bronze_opal_deliveries",),
        agent="customer_journey",
        columns=(
            *insight_keys(),
            Column("stage", TEXT, "awareness, consideration, conversion, retention or advocacy."),
            Column("touchpoints", TEXT_LIST, "Touchpoints in the stage.", privacy=FREE_TEXT),
            rate("conversion_rate", "Conversion rate"),
            rate("drop_off_rate", "Drop-off rate"),
            Column("avg_time_in_stage_days", DOUBLE, "Average days in the stage.", minimum=0),
        ),
    ),
)


# ------------------------------------------------------------------------------------------ quarantine
def _quarantine(source: str, what: str, step) -> Table:
    return Table(
        f"quarantine_{source}",
        "quarantine",
        step,
        f"Rejected {what} with reason codes and file/line; the raw line stays in the landing file only.",
        grain="one rejected line",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("source_file", "source_line"),
        depends_on=(f"bronze_{source}",),
        count_by="primary_reason",
        indexes=(("primary_reason", "event_date DESC"),),
        columns=(
            event_date(),
            source_file(),
            source_line(),
            Column(
                "stage",
                TEXT,
                "Where it was rejected: envelope (signature, shape) or contract (content).",
                nullable=False,
                allowed=REJECTION_STAGES,
            ),
            Column(
                "reason_codes",
                TEXT_LIST,
                "Every reason the record was rejected (see docs/data-contracts.md).",
                nullable=False,
            ),
            Column("primary_reason", TEXT, "The first reason: what to fix first.", nullable=False),
            agent_id(
                "The agent named in the record when it is a known agent; anything else as sha256:<16 hex> of the "
                "value, never the value.",
                nullable=True,
            ),
            workflow_id(nullable=True),
            Column("record_digest", TEXT, "SHA-256 of the record, to find replays of the same bad input."),
        ),
    )


QUARANTINE = (
    _quarantine("intake_forms", "intake forms", "intake_forms"),
    _quarantine(
        "opal_deliveries",
        "deliveries: malformed envelopes, bad or stale signatures, contract violations",
        "opal_deliveries",
    ),
)


# ------------------------------------------------------------------------------------------ pii
def _pii_audit(source: str) -> Table:
    return Table(
        f"pii_audit_{source}",
        "pii",
        source,
        "PII audit trail: one row per protected value (type, mode, confidence, detector, record, field path, "
        "keyed fingerprint). Never the raw value.",
        grain="one protected value",
        owner=PRIVACY,
        retention="audit_log",
        depends_on=(f"bronze_{source}",),
        count_by="pii_type",
        columns=(
            event_date("the day of the record the value was found in"),
            Column("table_name", TEXT, "Table the value was found in.", nullable=False),
            Column(
                "record_id",
                TEXT,
                "The record's key in that table (see the table's key in docs/catalog.md).",
                nullable=False,
            ),
            Column("field_path", TEXT, "Column, and JSON path or list index inside it.", nullable=False),
            Column("pii_type", TEXT, "Kind of personal data (email, phone, person_name, ...).", nullable=False),
            Column("mode", TEXT, "Protection applied.", nullable=False, allowed=PII_MODES),
            Column("confidence", DOUBLE, "Detector confidence (0-1).", nullable=False, minimum=0, maximum=1),
            Column("detector", TEXT, "The recognizer that found it.", nullable=False),
            Column(
                "fingerprint",
                TEXT,
                "Keyed HMAC of the normalized value: finds a subject's data without storing it.",
                privacy=PSEUDONYM,
                nullable=False,
            ),
        ),
    )


def _pii_subjects(source: str) -> Table:
    return Table(
        f"pii_subjects_{source}",
        "pii",
        source,
        "Subject index: keyed fingerprints of identifiers (emails, phones, names, ...) to the records holding "
        "them, for data-subject access and erasure.",
        grain="one identifier occurrence",
        owner=PRIVACY,
        retention="strategy_workflow",
        depends_on=(f"bronze_{source}",),
        hypertable=False,
        indexes=(("fingerprint",),),
        count_by="pii_type",
        columns=(
            event_date("the day of the record holding the identifier"),
            Column("fingerprint", TEXT, "Keyed HMAC of the normalized identifier.", privacy=PSEUDONYM, nullable=False),
            Column("pii_type", TEXT, "Kind of identifier.", nullable=False),
            Column("table_name", TEXT, "Table holding the record.", nullable=False),
            Column("record_id", TEXT, "The record's key in that table.", nullable=False),
            Column("field_path", TEXT, "Where in the record.", nullable=False),
        ),
    )


PII = (
    _pii_audit("intake_forms"),
    _pii_subjects("intake_forms"),
    _pii_audit("opal_deliveries"),
    _pii_subjects("opal_deliveries"),
)

# ------------------------------------------------------------------------------------------ gold
GOLD = (
    Table(
        "gold_agent_performance_daily",
        "gold",
        "gold",
        "Per day and agent: executions, failures, SLA timeouts, low-confidence outputs, SLA compliance, latency.",
        grain="one agent on one day",
        owner=ANALYTICS,
        retention="strategy_workflow",
        key=("event_date", "agent_id"),
        depends_on=("silver_agent_executions",),
        indexes=(("agent_id", "event_date DESC"),),
        figures={
            "executions": "sum(executions)",
            "sla_compliance_rate": "round(sum(sla_met) / nullif(sum(executions), 0), 4)",
            "avg_duration_ms": "round(sum(avg_duration_ms * executions) / nullif(sum(executions), 0), 1)",
        },
        min_rows_per_day=1,
        columns=(
            event_date("the day the outputs were received"),
            agent_id(),
            count("executions", "Final (completed or failed) executions."),
            count("completed", "Completed executions."),
            count("failed", "Failed executions."),
            count("timeouts", "Executions slower than the SLA."),
            count("low_confidence", "Outputs below the SLA confidence threshold."),
            count("sla_met", "Executions that met the SLA."),
            Column("sla_compliance_rate", DOUBLE, "sla_met / executions.", nullable=False, minimum=0, maximum=1),
            Column("avg_duration_ms", DOUBLE, "Mean execution time, ms.", minimum=0),
            Column("p95_duration_ms", BIGINT, "95th percentile execution time, ms.", minimum=0),
            Column("avg_confidence", DOUBLE, "Mean confidence score.", minimum=0, maximum=1),
            Column("sla_max_execution_ms", INT, "The agent's SLA time limit, ms.", minimum=1),
            Column(
                "sla_confidence_threshold", DECIMAL_3_2, "The agent's SLA confidence threshold.", minimum=0, maximum=1
            ),
        ),
    ),
    Table(
        "gold_workflow_completion_daily",
        "gold",
        "gold",
        "Per day: workflows completed, failed, degraded and partial; completion rate.",
        grain="one day",
        owner=ANALYTICS,
        retention="strategy_workflow",
        key=("event_date",),
        depends_on=("silver_workflow_executions",),
        figures={
            "workflows": "sum(workflows)",
            "completion_rate": "round(sum(completed) / nullif(sum(workflows), 0), 4)",
        },
        min_rows_per_day=1,
        columns=(
            event_date("the day the outputs were received"),
            count("workflows", "Workflows with outputs that day."),
            count("completed", "Workflows whose nine agents all completed."),
            count("failed", "Workflows with a failed agent."),
            count("degraded", "Workflows with more than half of their outputs invalid."),
            count("partial", "Workflows still waiting for agents."),
            Column("completion_rate", DOUBLE, "completed / workflows.", nullable=False, minimum=0, maximum=1),
            Column(
                "avg_agents_reporting", DOUBLE, "Mean agents reporting per workflow.", minimum=0, maximum=len(AGENT_IDS)
            ),
        ),
    ),
    Table(
        "gold_recommendation_mix_daily",
        "gold",
        "gold",
        "Per day: recommendations by category and impact with priority figures.",
        grain="one category and impact on one day",
        owner=ANALYTICS,
        retention="strategy_workflow",
        key=("event_date", "category", "impact_estimate"),
        depends_on=("silver_recommendations",),
        indexes=(("category", "event_date DESC"),),
        count_by="category",
        figures={
            "recommendations": "sum(recommendations)",
            "high_priority_share": "round(sum(high_priority) / nullif(sum(recommendations), 0), 4)",
        },
        min_rows_per_day=1,
        columns=(
            event_date("the day the recommendations were received"),
            Column("category", TEXT, "Recommendation category.", nullable=False, allowed=RECOMMENDATION_CATEGORIES),
            Column("impact_estimate", TEXT, "Expected impact.", nullable=False, allowed=IMPACTS),
            count("recommendations", "Recommendations."),
            count("high_priority", "Recommendations with priority 8 or more."),
            Column("avg_priority", DOUBLE, "Mean priority (1-10).", minimum=1, maximum=10),
            count("workflows", "Distinct workflows contributing."),
        ),
    ),
)

# ------------------------------------------------------------------------------------------ knowledge
KNOWLEDGE_TYPES = ("recommendation", "insight", "intake_form")
EMBEDDING_DIMENSIONS = 1536  # the index's dimensions: every provider must produce exactly these (VECTOR_1536)

KNOWLEDGE = (
    Table(
        "knowledge_items",
        "knowledge",
        "embeddings",
        "The searchable knowledge base: every recommendation, agent insight and intake form of a day as a "
        "titled, summarized text with its embedding. Built from silver tables, so every text in it has already "
        "passed the PII choke point; only such text is ever sent to an external embedding API.",
        grain="one knowledge item (a recommendation, an insight or an intake form) embedded by one model",
        owner=ANALYTICS,
        retention="strategy_workflow",
        key=("item_id", "embedding_model"),
        depends_on=("silver_recommendations", "silver_intake_forms", "silver_agent_executions"),
        hypertable=False,  # one global HNSW index instead of one small index per daily chunk
        indexes=(("workflow_id",), ("knowledge_type", "industry")),
        count_by="knowledge_type",
        figures={"items": "count(*)", "workflows": "count(DISTINCT workflow_id)"},
        columns=(
            event_date("the day of the source record"),
            Column(
                "item_id",
                TEXT,
                "Stable id: the source record's id prefixed by its kind (rec:, insight:, form:).",
                nullable=False,
            ),
            Column("knowledge_type", TEXT, "What the item is.", nullable=False, allowed=KNOWLEDGE_TYPES),
            Column("title", TEXT, "Short title.", privacy=FREE_TEXT, nullable=False),
            Column("summary", TEXT, "One-line summary (category, impact, effort or industry).", privacy=FREE_TEXT),
            Column("content", TEXT, "The text that was embedded.", privacy=FREE_TEXT, nullable=False),
            Column("source_agent", TEXT, "The OPAL agent it came from (none for intake forms).", allowed=AGENT_IDS),
            workflow_id(),
            Column(
                "industry", TEXT, "The workflow's industry, from its intake form, when known.", privacy=ORGANIZATION
            ),
            Column("category", TEXT, "Recommendation category, when the item is a recommendation."),
            Column("confidence", DOUBLE, "The agent's confidence in the output (0-1).", minimum=0, maximum=1),
            Column("relevance_tags", TEXT_LIST, "Tags for filtering: agent, category, impact, effort, industry."),
            Column(
                "content_hash", TEXT, "SHA-256 of `content`: the embedding cache key with the model.", nullable=False
            ),
            Column("embedding", VECTOR_1536, "The embedding of `content` (cosine distance).", nullable=False),
            Column("embedding_model", TEXT, "Provider/model that computed the embedding.", nullable=False),
            Column("created_at", TIMESTAMPTZ, "When the source record was received.", nullable=False),
            Column("expires_at", TIMESTAMPTZ, "When the item stops being served (retention: 365 days)."),
            Column("is_active", BOOL, "Served by search and recommendations.", nullable=False),
        ),
    ),
    Table(
        "embedding_cache",
        "knowledge",
        "embeddings",
        "Embeddings by (content hash, model, dimensions), so a re-run embeds only new or changed text and a "
        "no-op re-run makes no API call. Holds vectors and hashes only, never text.",
        grain="one text (by hash) embedded by one model at one dimension count",
        owner=DATA_PLATFORM,
        retention="strategy_workflow",
        key=("content_hash", "model", "dimensions"),
        depends_on=("knowledge_items",),
        hypertable=False,  # looked up by key, across all days
        indexes=(("content_hash", "model", "dimensions"),),
        columns=(
            event_date("the day the text was first embedded"),
            Column("content_hash", TEXT, "SHA-256 of the embedded text.", nullable=False),
            Column("model", TEXT, "Provider/model.", nullable=False),
            Column("dimensions", INT, "Vector length.", nullable=False, minimum=1),
            Column("embedding", VECTOR_1536, "The embedding.", nullable=False),
        ),
    ),
)

RECOMMENDATIONS = (
    Table(
        "workflow_recommendations",
        "knowledge",
        "recommendations",
        "Each workflow's recommendations ranked by priority, impact, effort and agent confidence (agents below "
        "their confidence threshold, failed or timed out weigh less), near-duplicates across agents merged by "
        "embedding similarity with the provenance of every merged item, and each linked to the most similar "
        "knowledge item of another workflow in the same industry (docs/recommendations.md has the formula).",
        grain="one merged recommendation of one workflow, from the recommendations received that day",
        owner=ANALYTICS,
        retention="strategy_workflow",
        key=("workflow_id", "rank"),
        depends_on=("silver_recommendations", "silver_agent_executions", "knowledge_items"),
        indexes=(("workflow_id", "rank"),),
        count_by="category",
        figures={"recommendations": "count(*)", "merged_away": "sum(len(merged_recommendation_ids)) - count(*)"},
        columns=(
            event_date("the day the recommendations were received"),
            workflow_id(),
            Column("rank", INT, "1 = first to act on, per workflow and day.", nullable=False, minimum=1),
            Column("recommendation_id", TEXT, "The group's representative (its best-scored member).", nullable=False),
            Column("title", TEXT, "Short title.", privacy=FREE_TEXT),
            Column("description", TEXT, "What to do and why.", privacy=FREE_TEXT),
            Column("category", TEXT, "Recommendation category.", nullable=False, allowed=RECOMMENDATION_CATEGORIES),
            Column("impact_estimate", TEXT, "Expected impact.", allowed=IMPACTS),
            Column("effort_estimate", TEXT, "Expected effort.", allowed=EFFORTS),
            Column("priority", INT, "Priority of the representative (1-10).", minimum=1, maximum=10),
            Column("score", DOUBLE, "Ranking score (formula in docs/recommendations.md).", nullable=False, minimum=0),
            Column("agents", TEXT_LIST, "Agents whose recommendations were merged into this one.", nullable=False),
            Column("merged_recommendation_ids", TEXT_LIST, "Every recommendation in the group.", nullable=False),
            Column("agent_confidence", DOUBLE, "The representative's agent confidence (0-1).", minimum=0, maximum=1),
            Column("related_item_id", TEXT, "Most similar knowledge item of another workflow, same industry."),
            Column("related_workflow_id", TEXT, "That item's workflow."),
            Column("related_similarity", DOUBLE, "Cosine similarity to that item.", minimum=-1, maximum=1),
        ),
    ),
    Table(
        "form_recommendations",
        "knowledge",
        "recommendations",
        "For each intake form: what worked (completed, confident, in time) for the most similar past workflows "
        "(form embedding, same industry first), with the reason. Evaluated in docs/recommendations.md.",
        grain="one proposed recommendation (category and title) for one intake form",
        owner=ANALYTICS,
        retention="strategy_workflow",
        key=("form_id", "rank"),
        depends_on=("silver_intake_forms", "silver_recommendations", "silver_agent_executions", "knowledge_items"),
        indexes=(("form_id", "rank"),),
        count_by="category",
        figures={"proposals": "count(*)", "forms": "count(DISTINCT form_id)"},
        columns=(
            event_date("the day the form was received"),
            Column("form_id", TEXT, "The intake form.", nullable=False),
            workflow_id(),
            Column("rank", INT, "1 = strongest proposal.", nullable=False, minimum=1),
            Column("category", TEXT, "Recommendation category.", nullable=False, allowed=RECOMMENDATION_CATEGORIES),
            Column("title", TEXT, "A representative title of what worked.", privacy=FREE_TEXT),
            Column("score", DOUBLE, "Similarity-weighted share of the neighbours that had it.", nullable=False),
            Column("support", INT, "How many similar past workflows had it.", nullable=False, minimum=1),
            Column("past_workflow_ids", TEXT_LIST, "The similar past workflows that had it.", nullable=False),
            Column("reason", TEXT, "Why: the workflows and their similarity, in words.", nullable=False),
        ),
    ),
)

PIPELINE_TABLES: tuple[Table, ...] = (
    *BRONZE,
    SILVER_FORMS,
    QUARANTINE[0],
    SILVER_AGENT_EXECUTIONS,
    SILVER_WORKFLOWS,
    SILVER_RECOMMENDATIONS,
    *INSIGHTS,
    QUARANTINE[1],
    *PII,
    *GOLD,
    *KNOWLEDGE,
    *RECOMMENDATIONS,
)

METRIC_TYPES = ("counter", "gauge", "histogram", "summary")


def _rollup_columns(percentiles: tuple[str, ...]) -> tuple[Column, ...]:
    return (
        Column("metric_name", TEXT, "Metric name (docs/dashboards.md lists them).", nullable=False),
        Column("metric_type", TEXT, "counter, gauge, histogram or summary.", nullable=False, allowed=METRIC_TYPES),
        Column("tags", TEXT, "The tag set, canonical JSON (sorted keys).", nullable=False, json=True),
        Column("count", BIGINT, "Observations.", nullable=False, minimum=1),
        Column("sum", DOUBLE, "Sum of the values.", nullable=False),
        Column("avg", DOUBLE, "Mean value.", nullable=False),
        Column("min", DOUBLE, "Smallest value.", nullable=False),
        Column("max", DOUBLE, "Largest value.", nullable=False),
        *(
            Column(p, DOUBLE, f"{p[1:]}th percentile (continuous: linear interpolation).", nullable=False)
            for p in percentiles
        ),
    )


METRICS = (
    Table(
        "metric_events",
        "metrics",
        "metrics",
        "The platform's metric store (spec INF-007): observations the pipeline derives from each day's data "
        "(agent executions, workflows, PII operations, recommendations, quarantine, embeddings, row counts and "
        "step runtimes). Tags are enumerations and ids of the platform, never personal data.",
        grain="one observation of one metric with one tag set",
        owner=DATA_PLATFORM,
        retention="metrics_raw",
        # the metric queries read a few silver, quarantine, PII and knowledge tables; `pipeline.rows` counts
        # every table, so the step runs after all of them
        depends_on=tuple(t.name for t in PIPELINE_TABLES),
        indexes=(("metric_name", "time DESC"),),
        count_by="metric_name",
        figures={"observations": "count(*)", "metrics": "count(DISTINCT metric_name)"},
        columns=(
            event_date("the day the observation belongs to (UTC)"),
            Column("time", TIMESTAMPTZ, "When it was observed (the source record's time).", nullable=False),
            Column("metric_name", TEXT, "Metric name (docs/dashboards.md lists them).", nullable=False),
            Column("metric_type", TEXT, "counter, gauge, histogram or summary.", nullable=False, allowed=METRIC_TYPES),
            Column("value", DOUBLE, "The observed value.", nullable=False),
            Column("tags", TEXT, "Dimensions, canonical JSON (sorted keys).", nullable=False, json=True),
            Column("metadata", TEXT, "Extra context (JSON), e.g. the run that measured a step.", json=True),
        ),
    ),
    Table(
        "metric_rollups_hourly",
        "metrics",
        "metrics",
        "Hourly rollups of metric_events per metric and tag set (time_bucket on both backends); kept a year, "
        "long after the raw observations expire.",
        grain="one metric and tag set in one hour",
        owner=DATA_PLATFORM,
        retention="metrics_hourly",
        key=("bucket", "metric_name", "tags"),
        depends_on=("metric_events",),
        indexes=(("metric_name", "bucket DESC"),),
        count_by="metric_name",
        figures={"rollup_rows": "count(*)", "observations": "sum(count)"},
        columns=(
            event_date("the day of the hour"),
            Column("bucket", TIMESTAMPTZ, "Start of the hour (UTC).", nullable=False),
            *_rollup_columns(("p50", "p95", "p99")),
        ),
    ),
    Table(
        "metric_rollups_daily",
        "metrics",
        "metrics",
        "Daily rollups of metric_events per metric and tag set, computed from the raw observations (percentiles "
        "cannot be merged from hourly ones); kept two years. Dashboards read these.",
        grain="one metric and tag set on one day",
        owner=DATA_PLATFORM,
        retention="metrics_daily",
        key=("event_date", "metric_name", "tags"),
        depends_on=("metric_events",),
        indexes=(("metric_name", "event_date DESC"),),
        chunk_days=30,  # ~535 rows a day read over months: 120 one-day chunks cost dashboards ~25 ms of planning
        count_by="metric_name",
        figures={"rollup_rows": "count(*)", "observations": "sum(count)"},
        columns=(event_date("the day (UTC)"), *_rollup_columns(("p50", "p95"))),
    ),
)

AUDIT_ACTIONS = (
    "retention",
    "dsr_access",
    "dsr_export",
    "dsr_rectification",
    "dsr_erasure",
    "restricted_read",
    "workflow_state",
    "legal_hold",
    "compliance_scan",
    "job_failure",
)

COMPLIANCE = (
    Table(
        "audit_log",
        "compliance",
        "compliance",
        "The tamper-evident audit log: retention runs, data-subject requests, reads of restricted tables through "
        "`osa query`, workflow state changes and legal holds. Append-only; each row carries the hash of the row "
        "before it, so `osa audit verify` finds an edited, inserted or deleted row. Never a raw identifier.",
        grain="one audited action",
        owner=PRIVACY,
        retention="audit_log",
        key=("seq",),
        count_by="action",
        columns=(
            event_date("the day the action was recorded (UTC)"),
            Column("seq", BIGINT, "Position in the chain (1, 2, ...): no gaps.", nullable=False, minimum=1),
            Column("recorded_at", TIMESTAMPTZ, "When the action was recorded.", nullable=False),
            Column("action", TEXT, "What was done.", nullable=False, allowed=AUDIT_ACTIONS),
            Column("actor", TEXT, "Who or what did it: the job, the command, the user.", nullable=False),
            Column("target", TEXT, "What it was done to: tables, a request id, a workflow (never a person)."),
            Column("details", TEXT, "Counts and parameters, canonical JSON (no personal data).", json=True),
            Column("prev_hash", TEXT, "row_hash of the row before (64 zeros for the first).", nullable=False),
            Column(
                "row_hash",
                TEXT,
                "SHA-256 of prev_hash and this row's canonical JSON: the chain link.",
                nullable=False,
            ),
        ),
    ),
    Table(
        "legal_holds",
        "compliance",
        "compliance",
        "Legal holds: a workflow or a data subject whose data retention and erasure must not delete or anonymize "
        "while the hold is in force. The subject is stored as keyed fingerprints, never the identifier.",
        grain="one hold on one workflow or one subject identifier",
        owner=PRIVACY,
        retention="legal_hold",
        key=("hold_id",),
        hypertable=False,
        count_by="scope",
        columns=(
            event_date("the day the hold was placed (UTC)"),
            Column("hold_id", TEXT, "Identifier of the hold (the case or matter reference).", nullable=False),
            Column("scope", TEXT, "What it holds.", nullable=False, allowed=("workflow", "subject")),
            workflow_id(nullable=True),
            Column(
                "subject_fingerprint",
                TEXT,
                "Keyed HMAC of the held subject's identifier (subject index key).",
                privacy=PSEUDONYM,
            ),
            Column("reason", TEXT, "Why (matter reference, no personal data).", nullable=False),
            Column("placed_at", TIMESTAMPTZ, "When the hold was placed.", nullable=False),
            Column("released_at", TIMESTAMPTZ, "When it was released; null while in force."),
        ),
    ),
)

TABLES: tuple[Table, ...] = (*PIPELINE_TABLES, *METRICS, *COMPLIANCE)
