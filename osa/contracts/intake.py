"""The strategy intake form contract (one JSON object per submission)."""

from __future__ import annotations

from osa.contracts.spec import Contract, Field

ANALYSIS_DEPTHS = ("basic", "standard", "comprehensive")
FOCUS_AREAS = ("content", "audiences", "experimentation", "personalization")
TIMELINES = ("30d", "60d", "90d")
CREDENTIAL_KEYS = ("odp_key", "experimentation_key", "content_recs_key", "cmp_key")

INTAKE_FORM = Contract(
    name="strategy_intake_form",
    description="A customer's strategy intake submission. API credentials are secrets and never stored.",
    fields=(
        Field("workflow_id", "string", min_length=1),
        Field(
            "submitted_at",
            "timestamp",
            required=False,
            description="When the form was submitted; the landing folder's day is the partition.",
        ),
        Field("business_context", "object"),
        Field("business_context.company_name", "string", min_length=1),
        Field("business_context.industry", "string", min_length=1),
        Field("business_context.goals", "string_list", min_length=1),
        Field("business_context.target_audience", "string", min_length=10),
        Field("business_context.current_challenges", "string_list", required=False),
        Field("optimizely_config", "object"),
        Field("optimizely_config.project_id", "string", pattern=r"\d+"),
        Field("optimizely_config.workspace_id", "string", min_length=1),
        Field(
            "optimizely_config.api_credentials",
            "object",
            description="At least one of odp_key, experimentation_key, content_recs_key, cmp_key "
            "must be a non-empty string. Only the names of supplied keys are kept.",
        ),
        Field("analysis_preferences", "object"),
        Field("analysis_preferences.analysis_depth", "string", enum=ANALYSIS_DEPTHS),
        Field("analysis_preferences.focus_areas", "string_list", min_length=1, enum=FOCUS_AREAS),
        Field("analysis_preferences.timeline", "string", enum=TIMELINES),
        Field("client_name", "string", required=False),
        Field("company_size", "string", required=False),
        Field("current_capabilities", "string_list", required=False),
        Field("business_objectives", "string_list", required=False),
        Field("additional_marketing_technology", "string_list", required=False),
        Field("timeline_preference", "string", required=False),
        Field("budget_range", "string", required=False),
        Field(
            "recipients",
            "string_list",
            required=False,
            pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
            description="Email addresses that receive the strategy; personal data.",
        ),
        Field("contact_name", "string", required=False, description="Personal data."),
        Field("contact_phone", "string", required=False, description="Personal data."),
        Field("notes", "string", required=False, description="Free text; may contain personal data."),
    ),
)
