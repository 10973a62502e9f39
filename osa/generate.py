"""Deterministic generator of realistic intake forms and signed OPAL webhook deliveries.

The same seed always writes the same bytes. Output follows the landing layout
(``<out>/<source>/dt=<day>/<name>.jsonl``). Bad input is injected on purpose, cycling through every
kind so that even a small set contains each: broken form rules, malformed JSON, wrong types, unknown
agents, tampered signatures, stale timestamps and replays. Personal data (names, emails, phones,
addresses) is realistic so the PII engine has something to find.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import orjson
from faker import Faker

from osa.contracts.intake import ANALYSIS_DEPTHS, CREDENTIAL_KEYS, FOCUS_AREAS, TIMELINES
from osa.contracts.opal import AGENT_IDS, AGENT_SLAS, SIGNATURE_HEADER
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET, sign

DEFAULT_START = dt.date(2026, 7, 1)
DEFAULT_DAYS = 140

FORM_DEFECTS = (
    "empty_workflow_id",
    "missing_company_name",
    "empty_industry",
    "no_goals",
    "short_target_audience",
    "non_digit_project_id",
    "empty_workspace_id",
    "no_api_credentials",
    "bad_analysis_depth",
    "no_focus_areas",
    "bad_focus_area",
    "bad_timeline",
    "malformed_json",
    "goals_wrong_type",
    "duplicate",
)
DELIVERY_DEFECTS = (
    "malformed_envelope",
    "missing_signature",
    "malformed_signature",
    "tampered_signature",
    "stale_timestamp",
    "replay",
    "invalid_body_json",
    "unknown_agent",
    "wrong_type",
    "out_of_range",
    "missing_field",
    "replay_next_day",
)
INDUSTRIES = (
    "Retail",
    "Financial Services",
    "Healthcare",
    "Travel & Hospitality",
    "B2B SaaS",
    "Media",
    "Manufacturing",
    "Education",
    "Telecommunications",
    "Consumer Goods",
)
GOALS = (
    "Increase online conversion rate",
    "Grow average order value",
    "Reduce cart abandonment",
    "Improve lead quality",
    "Increase newsletter sign-ups",
    "Expand into new regions",
    "Personalize the homepage",
    "Raise customer lifetime value",
    "Accelerate experimentation velocity",
)
CHALLENGES = (
    "Low test velocity",
    "Fragmented customer data",
    "Limited content team capacity",
    "Slow site performance",
    "Unclear attribution",
    "Legacy CMS constraints",
)
REGIONS = ("US", "GB", "DE", "FR", "ES", "NL", "SE", "JP", "AU", "CA", "BR", "IN")


@dataclass(frozen=True)
class GeneratedSummary:
    workflows: int
    forms: int
    deliveries: int
    days: int
    out: Path


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Generator:
    def __init__(self, seed: int, secret: str) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker(["en_US", "en_GB", "de_DE"])
        self.fake.seed_instance(seed)
        self.secret = secret

    # ------------------------------------------------------------------ people and free text
    def person(self) -> dict[str, str]:
        locale = self.rng.choice(("en_US", "en_GB", "de_DE"))
        fake = self.fake[locale]
        first, last = fake.first_name(), fake.last_name()
        domain = self.rng.choice(("gmail.com", "outlook.com", "acme-retail.com", "northwind.io", "contoso.de"))
        return {
            "name": f"{first} {last}",
            "email": f"{first}.{last}@{domain}".lower()
            .replace(" ", "")
            .replace("ä", "ae")
            .replace("ö", "oe")
            .replace("ü", "ue")
            .replace("ß", "ss"),
            "phone": fake.phone_number(),
            "address": fake.address().replace("\n", ", "),
        }

    def sentence_with_pii(self, base: str) -> str:
        """Most free text is clean; some carries a contact the PII engine must catch."""
        roll = self.rng.random()
        if roll < 0.7:
            return base
        who = self.person()
        extras = (
            f" Contact {who['name']} at {who['email']} for access.",
            f" Call {who['name']} on {who['phone']} to schedule.",
            f" Ship the brief to {who['address']}.",
        )
        return base + self.rng.choice(extras)

    # ------------------------------------------------------------------ intake forms
    def form(self, workflow_id: str, company: str, submitted: dt.datetime) -> dict:
        rng = self.rng
        contact = self.person()
        credentials = {key: "" for key in CREDENTIAL_KEYS}
        for key in rng.sample(CREDENTIAL_KEYS, rng.randint(1, 4)):
            credentials[key] = f"sk_{rng.getrandbits(96):024x}"
        industry = rng.choice(INDUSTRIES)
        return {
            "workflow_id": workflow_id,
            "submitted_at": _iso(submitted),
            "business_context": {
                "company_name": company,
                "industry": industry,
                "goals": rng.sample(GOALS, rng.randint(1, 3)),
                "target_audience": rng.choice(
                    (
                        "Returning shoppers aged 25-45 in urban areas",
                        "Mid-market IT decision makers evaluating cloud tools",
                        "Frequent travellers booking on mobile devices",
                        "First-time visitors arriving from paid search",
                    )
                ),
                "current_challenges": rng.sample(CHALLENGES, rng.randint(0, 3)),
            },
            "optimizely_config": {
                "project_id": str(rng.randint(10_000_000, 99_999_999)),
                "workspace_id": f"ws-{rng.getrandbits(32):08x}",
                "api_credentials": credentials,
            },
            "analysis_preferences": {
                "analysis_depth": rng.choice(ANALYSIS_DEPTHS),
                "focus_areas": rng.sample(FOCUS_AREAS, rng.randint(1, 4)),
                "timeline": rng.choice(TIMELINES),
            },
            "client_name": company,
            "company_size": rng.choice(("1-50", "51-200", "201-1000", "1000+")),
            "current_capabilities": rng.sample(["A/B testing", "CDP", "Email automation", "Recommendations"], 2),
            "business_objectives": rng.sample(GOALS, 2),
            "additional_marketing_technology": rng.sample(["Salesforce", "HubSpot", "GA4", "Braze", "Segment"], 2),
            "timeline_preference": rng.choice(("ASAP", "Next quarter", "Within 6 months")),
            "budget_range": rng.choice(("<$50k", "$50k-$150k", "$150k-$500k", "$500k+")),
            "recipients": [contact["email"], self.person()["email"]],
            "contact_name": contact["name"],
            "contact_phone": contact["phone"],
            "notes": f"Main contact {contact['name']}, office at {contact['address']}.",
        }

    def broken_form(self, defect: str, form: dict) -> bytes:
        bc, oc, ap = form["business_context"], form["optimizely_config"], form["analysis_preferences"]
        match defect:
            case "empty_workflow_id":
                form["workflow_id"] = ""
            case "missing_company_name":
                del bc["company_name"]
            case "empty_industry":
                bc["industry"] = "  "
            case "no_goals":
                bc["goals"] = []
            case "short_target_audience":
                bc["target_audience"] = "Everyone"
            case "non_digit_project_id":
                oc["project_id"] = "PRJ-2291"
            case "empty_workspace_id":
                oc["workspace_id"] = ""
            case "no_api_credentials":
                oc["api_credentials"] = {key: "" for key in CREDENTIAL_KEYS}
            case "bad_analysis_depth":
                ap["analysis_depth"] = "exhaustive"
            case "no_focus_areas":
                ap["focus_areas"] = []
            case "bad_focus_area":
                ap["focus_areas"] = ["content", "growth_hacking"]
            case "bad_timeline":
                ap["timeline"] = "45d"
            case "goals_wrong_type":
                bc["goals"] = "grow revenue"
            case "malformed_json":
                return orjson.dumps(form)[:-15]
        return orjson.dumps(form)

    # ------------------------------------------------------------------ agent outputs
    def agent_data(self, agent: str) -> dict:
        rng = self.rng
        r2 = lambda lo, hi: round(rng.uniform(lo, hi), 2)  # noqa: E731
        r3 = lambda lo, hi: round(rng.uniform(lo, hi), 3)  # noqa: E731
        level = lambda: rng.choice(("low", "medium", "high", "critical"))  # noqa: E731
        effort = lambda: rng.choice(("low", "medium", "high"))  # noqa: E731
        n = lambda lo, hi: range(rng.randint(lo, hi))  # noqa: E731
        match agent:
            case "content_review":
                return {
                    "content_quality_score": rng.randint(35, 98),
                    "seo_optimization_score": rng.randint(20, 95),
                    "readability_score": rng.randint(40, 99),
                    "engagement_metrics": {
                        "avg_time_on_page": r2(12, 240),
                        "bounce_rate": r3(0.2, 0.8),
                        "conversion_rate": r3(0.005, 0.09),
                    },
                    "recommendations": [
                        {
                            "priority": rng.choice(("high", "medium", "low")),
                            "category": rng.choice(("seo", "readability", "engagement", "content gaps", "metadata")),
                            "description": self.sentence_with_pii(
                                rng.choice(
                                    (
                                        "Rewrite product page meta descriptions to include primary keywords.",
                                        "Shorten paragraphs on the pricing page to improve scanability.",
                                        "Add comparison tables to category landing pages.",
                                        "Refresh the 2024 buying guides with current SKUs such as SKU-4471-B.",
                                    )
                                )
                            ),
                            "impact_estimate": rng.choice(("low", "medium", "high", "+12% organic sessions")),
                        }
                        for _ in n(2, 5)
                    ],
                }
            case "geo_audit":
                return {
                    "overall_geo_score": rng.randint(40, 95),
                    "regions_analyzed": rng.randint(3, 12),
                    "findings": [
                        {
                            "region": rng.choice(REGIONS),
                            "issue_type": rng.choice(("latency", "localization", "compliance", "seo", "content_gap")),
                            "severity": level(),
                            "description": rng.choice(
                                (
                                    "P95 page load above 3.2s from this region.",
                                    "Prices shown in USD instead of local currency.",
                                    "Cookie banner missing consent options required locally.",
                                    "hreflang tags missing on 14% of pages.",
                                )
                            ),
                            "affected_pages": rng.randint(1, 400),
                            "recommendation": rng.choice(
                                (
                                    "Serve assets from a regional CDN edge.",
                                    "Localize currency and date formats.",
                                    "Add a consent management platform.",
                                )
                            ),
                        }
                        for _ in n(1, 4)
                    ],
                }
            case "audience_suggester":
                segments = [
                    {
                        "segment_name": rng.choice(
                            (
                                "High-intent returning visitors",
                                "Lapsed purchasers",
                                "Mobile bargain hunters",
                                "Enterprise evaluators",
                                "Newsletter engaged",
                            )
                        ),
                        "criteria": {
                            "visits_30d": {"gte": rng.randint(2, 6)},
                            "device": rng.choice(("mobile", "desktop", "any")),
                            "region": rng.choice(REGIONS),
                        },
                        "estimated_size": rng.randint(1_000, 900_000),
                        "confidence_score": r3(0.5, 0.99),
                        "potential_uplift": r3(0.01, 0.35),
                    }
                    for _ in n(2, 4)
                ]
                return {
                    "suggested_segments": segments,
                    "personalization_opportunities": [
                        {
                            "segment_id": f"seg_{rng.getrandbits(24):06x}",
                            "content_type": rng.choice(
                                ("hero banner", "product recommendations", "email subject line")
                            ),
                            "strategy": rng.choice(
                                (
                                    "Show recently viewed categories first.",
                                    "Offer free shipping threshold messaging.",
                                    "Highlight enterprise case studies.",
                                )
                            ),
                            "expected_impact": r3(0.01, 0.4),
                        }
                        for _ in n(1, 3)
                    ],
                }
            case "experiment_blueprinter":
                return {
                    "experiments": [
                        {
                            "experiment_name": rng.choice(
                                (
                                    "Checkout trust badges",
                                    "Sticky add-to-cart",
                                    "Pricing page anchor",
                                    "Onboarding checklist",
                                    "Search autosuggest",
                                )
                            )
                            + f" v{rng.randint(1, 4)}",
                            "hypothesis": "If we reduce friction at this step, then conversion will increase because "
                            "visitors see fewer distractions.",
                            "primary_metric": rng.choice(("conversion_rate", "revenue_per_visitor", "signup_rate")),
                            "variations": rng.randint(2, 4),
                            "traffic_allocation": r2(0.1, 1.0),
                            "min_detectable_effect": r3(0.01, 0.1),
                            "estimated_duration_days": rng.randint(7, 56),
                            "required_sample_size": rng.randint(5_000, 400_000),
                            "priority": rng.randint(1, 10),
                        }
                        for _ in n(1, 4)
                    ]
                }
            case "personalization_idea_generator":
                return {
                    "ideas": [
                        {
                            "title": rng.choice(
                                (
                                    "Weather-aware hero",
                                    "Loyalty tier greeting",
                                    "Abandoned browse email",
                                    "Geo-targeted shipping banner",
                                )
                            ),
                            "description": self.sentence_with_pii("Tailor the first screen to the visitor's context."),
                            "target_segment": rng.choice(("Lapsed purchasers", "New visitors", "VIP customers")),
                            "channel": rng.choice(("web", "email", "mobile", "ads")),
                            "expected_lift": r3(0.01, 0.3),
                            "effort": effort(),
                            "priority": rng.randint(1, 10),
                            "implementation_steps": ["Define audience", "Build variation", "QA and launch"],
                        }
                        for _ in n(2, 4)
                    ]
                }
            case "roadmap_generator":
                items = [
                    {
                        "phase": phase,
                        "title": rng.choice(
                            (
                                "Instrument analytics",
                                "Launch testing program",
                                "Unify customer profiles",
                                "Scale personalization",
                            )
                        ),
                        "description": "Deliver the phase milestones with the owning team.",
                        "category": rng.choice(
                            ("content", "audience", "experimentation", "personalization", "technical")
                        ),
                        "start_week": (phase - 1) * 6,
                        "duration_weeks": rng.randint(2, 8),
                        "impact": level(),
                        "effort": effort(),
                        "dependencies": [] if phase == 1 else [f"phase {phase - 1}"],
                        "success_metrics": ["conversion_rate", "test velocity"],
                    }
                    for phase in range(1, rng.randint(2, 4) + 1)
                ]
                return {"total_duration_weeks": sum(i["duration_weeks"] for i in items) + 2, "roadmap_items": items}
            case "integration_health":
                return {
                    "overall_health_score": rng.randint(50, 100),
                    "checks": [
                        {
                            "integration": integration,
                            "status": rng.choices(("healthy", "degraded", "down"), (0.8, 0.15, 0.05))[0],
                            "latency_ms": rng.randint(20, 2_000),
                            "error_rate": r3(0, 0.2),
                            "last_sync_at": _iso(
                                dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randint(0, 500_000))
                            ),
                            "message": rng.choice(("Sync OK", "Token expires in 5 days", "Webhook retries increasing")),
                        }
                        for integration in rng.sample(
                            ("odp", "experimentation", "content_recs", "cmp", "cms", "analytics"), 3
                        )
                    ],
                }
            case "cmp_organizer":
                return {
                    "campaigns_analyzed": rng.randint(5, 300),
                    "taxonomy_score": rng.randint(30, 95),
                    "issues": [
                        {
                            "campaign_id": f"CMP-{rng.randint(1000, 9999)}",
                            "issue_type": rng.choice(("naming", "tagging", "ownership", "duplicate", "stale")),
                            "severity": level(),
                            "suggestion": self.sentence_with_pii(
                                "Adopt the <region>_<channel>_<quarter> naming scheme."
                            ),
                        }
                        for _ in n(1, 4)
                    ],
                }
            case "customer_journey":
                stages = ("awareness", "consideration", "conversion", "retention", "advocacy")
                return {
                    "stages": [
                        {
                            "stage": s,
                            "touchpoints": rng.sample(["search", "social", "email", "store", "app"], 2),
                            "conversion_rate": r3(0.02, 0.6),
                            "drop_off_rate": r3(0.1, 0.8),
                            "avg_time_in_stage_days": r2(0.5, 30),
                        }
                        for s in stages
                    ],
                    "optimization_opportunities": [
                        {
                            "stage": rng.choice(stages),
                            "title": rng.choice(
                                ("Simplify checkout", "Post-purchase onboarding", "Referral incentive")
                            ),
                            "description": "Reduce drop-off between stages with targeted messaging.",
                            "expected_impact": level(),
                            "effort": effort(),
                        }
                        for _ in n(1, 3)
                    ],
                }
        raise ValueError(agent)

    def body(self, workflow_id: str, agent: str, status: str, at: dt.datetime) -> dict:
        rng = self.rng
        sla = AGENT_SLAS[agent]
        duration = int(rng.uniform(0.2, 0.95) * sla.max_execution_ms)
        if rng.random() < 0.06:
            duration = int(sla.max_execution_ms * rng.uniform(1.05, 1.6))  # a timeout
        confidence = round(rng.uniform(sla.confidence_threshold, 1.0), 3)
        if rng.random() < 0.07:
            confidence = round(rng.uniform(0.4, sla.confidence_threshold - 0.01), 3)  # low confidence
        return {
            "workflow_id": workflow_id,
            "execution_id": f"exec-{rng.getrandbits(64):016x}",
            "execution_status": status,
            "agent_id": agent,
            "agent_data": self.agent_data(agent) if status in ("completed", "running") else {},
            "metadata": {
                "timestamp": _iso(at),
                "execution_duration_ms": duration,
                "confidence_score": confidence,
                "data_sources": rng.sample(["odp", "experimentation", "content_recs", "cmp", "ga4"], 2),
            },
            "correlation_id": f"corr-{rng.getrandbits(64):016x}",
        }

    def envelope(
        self, body: str, received: dt.datetime, *, signed_at: int | None = None, header: str | None = None
    ) -> bytes:
        timestamp = int(received.timestamp()) - self.rng.randint(0, 5) if signed_at is None else signed_at
        value = sign(body, timestamp, self.secret) if header is None else header
        headers = {SIGNATURE_HEADER: value} if value != "" else {"Content-Type": "application/json"}
        return orjson.dumps({"received_at": _iso(received), "headers": headers, "body": body})

    def defective_delivery(self, defect: str, body: dict, received: dt.datetime) -> tuple[str, bytes]:
        text = orjson.dumps(body).decode()
        later = received + dt.timedelta(minutes=self.rng.randint(1, 90))
        match defect:
            case "malformed_envelope":
                return "same_day", self.envelope(text, later)[:-9]
            case "missing_signature":
                return "same_day", self.envelope(text, later, header="")
            case "malformed_signature":
                return "same_day", self.envelope(text, later, header="sha256=" + "ab" * 16)
            case "tampered_signature":
                signed = sign(text, int(later.timestamp()), self.secret)
                altered = text.replace('"completed"', '"failed"', 1) if '"completed"' in text else text + " "
                return "same_day", self.envelope(altered, later, header=signed)
            case "stale_timestamp":
                return "same_day", self.envelope(text, later, signed_at=int(later.timestamp()) - 3_600)
            case "replay":
                return "same_day", self.envelope(text, later)
            case "replay_next_day":
                return "next_day", self.envelope(text, received + dt.timedelta(days=1))
        broken = dict(body, execution_id=f"exec-{self.rng.getrandbits(64):016x}")
        match defect:
            case "invalid_body_json":
                bad = orjson.dumps(broken).decode()[:-3]
            case "unknown_agent":
                bad = orjson.dumps(dict(broken, agent_id="sentiment_oracle")).decode()
            case "wrong_type":
                bad = orjson.dumps(dict(broken, metadata=dict(body["metadata"], execution_duration_ms="fast"))).decode()
            case "out_of_range":
                bad = orjson.dumps(dict(broken, metadata=dict(body["metadata"], confidence_score=1.7))).decode()
            case "missing_field":
                bad = orjson.dumps({k: v for k, v in broken.items() if k != "correlation_id"}).decode()
            case _:
                raise ValueError(defect)
        return "same_day", self.envelope(bad, later)


def generate(
    out: Path,
    *,
    workflows: int,
    seed: int = 7,
    start: dt.date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    defect_rate: float = 0.04,
    secret: str = DEVELOPMENT_WEBHOOK_SECRET,
    file_name: str = "batch",
) -> GeneratedSummary:
    """Write `workflows` workflows (a form and nine agents' deliveries each) into `out`."""
    g = _Generator(seed, secret)
    rng = g.rng
    forms: dict[dt.date, list[bytes]] = defaultdict(list)
    deliveries: dict[dt.date, list[bytes]] = defaultdict(list)
    delivery_defects = iter(_cycle(DELIVERY_DEFECTS))
    form_defects = iter(_cycle(FORM_DEFECTS))
    degraded_every = max(20, workflows // 5)
    counts = {"forms": 0, "deliveries": 0}
    written_days: set[dt.date] = set()

    def flush(before: dt.date | None) -> None:
        """Write out every day earlier than `before` (all days when None): workflows come in day order
        and replays only ever move forward, so such a day can receive no more lines."""
        for source, pending in (("intake_forms", forms), ("opal_deliveries", deliveries)):
            for day in sorted(d for d in pending if before is None or d < before):
                lines = pending.pop(day)
                _write(out / source / f"dt={day.isoformat()}" / f"{file_name}.jsonl", lines)
                counts["forms" if source == "intake_forms" else "deliveries"] += len(lines)
                written_days.add(day)

    for index in range(workflows):
        day = start + dt.timedelta(days=index * days // max(workflows, 1))
        flush(before=day)
        begin = dt.datetime.combine(day, dt.time(6), dt.UTC) + dt.timedelta(seconds=rng.randint(0, 12 * 3600))
        workflow_id = f"wf-{seed:02d}-{index:06d}"
        company = g.fake.company()
        form = g.form(workflow_id, company, begin - dt.timedelta(minutes=rng.randint(1, 30)))
        forms[day].append(orjson.dumps(form))
        if rng.random() < defect_rate * 4 or index < len(FORM_DEFECTS):
            defect = next(form_defects)
            if defect == "duplicate":
                forms[day].append(forms[day][-1])
            else:
                broken = g.form(f"{workflow_id}-b", company, begin)
                forms[day].append(g.broken_form(defect, broken))

        degraded = index % degraded_every == degraded_every - 1
        for position, agent in enumerate(AGENT_IDS):
            received = begin + dt.timedelta(seconds=30 * position + rng.randint(5, 600))
            status = "failed" if rng.random() < 0.03 else "completed"
            if rng.random() < 0.05:  # a progress event before the final one
                early = g.body(workflow_id, agent, "started", received - dt.timedelta(seconds=20))
                deliveries[day].append(g.envelope(orjson.dumps(early).decode(), received - dt.timedelta(seconds=20)))
            body = g.body(workflow_id, agent, status, received)
            if degraded and position < 5:
                body["metadata"]["confidence_score"] = "very high"  # wrong type: the workflow degrades
            text = orjson.dumps(body).decode()
            deliveries[day].append(g.envelope(text, received))
            if rng.random() < defect_rate or (index < 3 and position < len(DELIVERY_DEFECTS) // 3 + 1):
                line = g.defective_delivery(next(delivery_defects), body, received)
                target = day + dt.timedelta(days=1) if line[0] == "next_day" else day
                deliveries[target].append(line[1])

    flush(before=None)
    return GeneratedSummary(workflows, counts["forms"], counts["deliveries"], len(written_days), out)


def _cycle(items: tuple[str, ...]):
    while True:
        yield from items


def _write(path: Path, lines: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
