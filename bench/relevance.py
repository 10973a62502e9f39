"""Search relevance (issue 10): recall@5 of `osa search`'s path on a labeled set of paraphrased queries.

Usage: ``.venv/bin/python bench/relevance.py [--workflows 300] [--seed 2029]``

Corpus: knowledge items built from a generated landing set (seed 2029 by default, not the seed data's 7)
through the repo's ingest and `osa.knowledge.items.build_items`, embedded by each provider and written to a
DuckDB warehouse with `replace_window`; every query runs through `DuckDBWarehouse.nearest(vector, 5)` (exact
cosine search, the same ranking the Postgres HNSW index approximates).

Labels: the generator (osa/generate.py) writes agent outputs and forms from fixed template phrases; every
phrase is a THEME, and the items expected for a theme's queries are all corpus items whose text contains the
phrase. Each theme has four queries that paraphrase it without copying it: two REWORDED (some of the phrase's
words, in another order or inflection) and two SYNONYM (other words for the same idea, few or none shared).
Queries 1-2 of each theme form the tuning half, 3-4 the held-out half (each half has one query of each kind).

recall@5 = |top 5 ∩ expected| / min(5, |expected|)  (most themes have far more than 5 expected items);
hit@5 = at least one expected item in the top 5.

Providers: the offline `hashing` provider (the default). `openai` only with a real OPENAI_API_KEY against the
real API; the test suite's fake server returns random vectors, which say nothing about relevance, so it is
never reported here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from vector_search import generated_items  # noqa: E402

from osa.embeddings import HashingEmbeddingProvider  # noqa: E402
from osa.knowledge.items import with_embeddings  # noqa: E402
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse  # noqa: E402

K = 5
KINDS = ("reworded", "synonym", "reworded", "synonym")  # per theme, in query order
HALVES = ("tuning", "tuning", "held-out", "held-out")

# (theme phrase exactly as osa/generate.py writes it, [4 queries: reworded, synonym, reworded, synonym])
THEMES: list[tuple[str, list[str]]] = [
    # content_review recommendations
    (
        "Rewrite product page meta descriptions to include primary keywords.",
        [
            "meta descriptions on product pages should contain the main keywords",
            "improve the search snippet text of item detail listings with target search terms",
            "add primary keywords to product meta tags",
            "SEO summaries for each catalogue entry lack the core search phrases",
        ],
    ),
    (
        "Shorten paragraphs on the pricing page to improve scanability.",
        [
            "pricing page paragraphs are too long, make them shorter",
            "break up lengthy blocks of text about plans and costs so visitors can skim",
            "shorter paragraphs for the pricing page",
            "make the cost overview easier to skim with brief text blocks",
        ],
    ),
    (
        "Add comparison tables to category landing pages.",
        [
            "category landing pages need a comparison table",
            "side-by-side feature charts on collection entry pages",
            "comparison tables for landing pages of each category",
            "let shoppers weigh products against each other in a grid on section hubs",
        ],
    ),
    (
        "Refresh the 2024 buying guides with current SKUs such as SKU-4471-B.",
        [
            "buying guides from 2024 are outdated, update them with current SKUs",
            "old shopping advice articles reference discontinued products; revise with today's item codes",
            "update SKUs in the buying guides",
            "purchase guidance content needs new product numbers",
        ],
    ),
    # geo_audit recommendations and findings
    (
        "Serve assets from a regional CDN edge.",
        [
            "use a CDN edge in the region to serve static assets",
            "deliver images and scripts from nearby content delivery servers",
            "regional edge caching for assets",
            "put files on servers closer to local visitors",
        ],
    ),
    (
        "Localize currency and date formats.",
        [
            "date and currency formats should be localized",
            "show money amounts and calendar dates the way each country expects",
            "localized currency display",
            "adapt the denomination of prices and the day and month order per market",
        ],
    ),
    (
        "Add a consent management platform.",
        [
            "introduce a consent management tool",
            "deploy a CMP to collect user privacy permissions",
            "platform for managing consent",
            "GDPR opt-in tooling for tracking permissions",
        ],
    ),
    (
        "P95 page load above 3.2s from this region.",
        [
            "page load time in this region is above 3 seconds at p95",
            "the site is slow for visitors in some countries",
            "slow p95 load of pages regionally",
            "sluggish rendering latency for users abroad",
        ],
    ),
    (
        "Prices shown in USD instead of local currency.",
        [
            "local visitors see prices in USD not their currency",
            "amounts displayed in dollars for foreign shoppers",
            "USD prices shown rather than the local one",
            "costs appear in American money overseas",
        ],
    ),
    (
        "Cookie banner missing consent options required locally.",
        [
            "the cookie banner lacks required consent options",
            "privacy popup does not offer the opt-out choices regulators demand",
            "missing consent choices in the cookie banner",
            "tracking notice fails local legal rules",
        ],
    ),
    (
        "hreflang tags missing on 14% of pages.",
        [
            "pages missing hreflang tags",
            "language alternate annotations absent on part of the site",
            "some pages lack hreflang tags",
            "international SEO markup for language versions not set",
        ],
    ),
    # audience_suggester segments and strategies
    (
        "High-intent returning visitors",
        [
            "returning visitors with high intent",
            "repeat guests who are likely to buy soon",
            "visitors who return with strong purchase intent",
            "people coming back who are ready to purchase",
        ],
    ),
    (
        "Lapsed purchasers",
        [
            "purchasers who have lapsed",
            "customers who stopped buying",
            "lapsed buyers",
            "former shoppers who have not ordered in months",
        ],
    ),
    (
        "Mobile bargain hunters",
        [
            "bargain hunters on mobile",
            "deal seekers on phones",
            "mobile shoppers hunting for bargains",
            "discount-driven smartphone users",
        ],
    ),
    (
        "Enterprise evaluators",
        [
            "enterprises evaluating the product",
            "large companies assessing vendors",
            "enterprise buyers in evaluation",
            "corporate decision makers comparing solutions",
        ],
    ),
    (
        "Newsletter engaged",
        [
            "engaged newsletter readers",
            "people who open and click our emails",
            "subscribers engaged with the newsletter",
            "active mailing list subscribers",
        ],
    ),
    (
        "Show recently viewed categories first.",
        [
            "first display the categories the visitor recently viewed",
            "put the sections someone browsed lately at the top",
            "recently viewed categories at the top",
            "prioritise the departments a shopper looked at before",
        ],
    ),
    (
        "Offer free shipping threshold messaging.",
        [
            "messaging about the free shipping threshold",
            "tell customers how much more to spend for no delivery charge",
            "free shipping threshold offer",
            "complimentary delivery minimum order banner",
        ],
    ),
    (
        "Highlight enterprise case studies.",
        [
            "case studies of enterprises should be highlighted",
            "feature success stories from large corporate customers",
            "highlighting enterprise customer case studies",
            "showcase big-company testimonials",
        ],
    ),
    # experiment_blueprinter
    (
        "Checkout trust badges",
        [
            "trust badges at checkout",
            "security seals on the payment step",
            "checkout badges that build trust",
            "reassurance icons when paying",
        ],
    ),
    (
        "Sticky add-to-cart",
        [
            "add to cart button that stays sticky",
            "persistent buy button while scrolling",
            "sticky cart button",
            "fixed purchase button pinned on screen",
        ],
    ),
    (
        "Pricing page anchor",
        [
            "anchor on the pricing page",
            "decoy plan to frame costs",
            "price anchoring on the pricing page",
            "show an expensive tier first so plans look cheaper",
        ],
    ),
    (
        "Onboarding checklist",
        [
            "checklist for onboarding",
            "step-by-step to-do list for new users",
            "a checklist during onboarding",
            "getting started task list for signups",
        ],
    ),
    (
        "Search autosuggest",
        [
            "autosuggest in search",
            "type-ahead query completion",
            "search box with autosuggestions",
            "predictive suggestions as shoppers type",
        ],
    ),
    # personalization_idea_generator
    (
        "Weather-aware hero",
        [
            "hero banner that is aware of the weather",
            "change the top banner based on local forecast",
            "weather-based hero image",
            "climate-dependent main visual for rainy or sunny days",
        ],
    ),
    (
        "Loyalty tier greeting",
        [
            "greeting by loyalty tier",
            "welcome members according to their rewards level",
            "greet loyalty members by tier",
            "personal hello for reward programme status",
        ],
    ),
    (
        "Abandoned browse email",
        [
            "email for abandoned browsing sessions",
            "follow-up message to visitors who looked but left",
            "browse abandonment emails",
            "remind window shoppers by mail after they leave",
        ],
    ),
    (
        "Geo-targeted shipping banner",
        [
            "shipping banner targeted by geo",
            "delivery promo strip depending on visitor location",
            "geo targeted banner about shipping",
            "location-based delivery notice",
        ],
    ),
    # roadmap_generator
    (
        "Instrument analytics",
        [
            "analytics instrumentation",
            "set up tracking and measurement",
            "instrumenting analytics first",
            "put event tracking in place",
        ],
    ),
    (
        "Launch testing program",
        [
            "launch a program of testing",
            "start an experimentation practice",
            "testing program launch",
            "kick off A/B experiments across the team",
        ],
    ),
    (
        "Unify customer profiles",
        [
            "unified profiles of customers",
            "single view of each shopper across systems",
            "unifying customer profile data",
            "merge user records into one identity",
        ],
    ),
    (
        "Scale personalization",
        [
            "scaling personalization",
            "expand tailored experiences across more pages",
            "personalization at scale",
            "grow individualized content to all channels",
        ],
    ),
    # cmp_organizer
    (
        "Adopt the <region>_<channel>_<quarter> naming scheme.",
        [
            "naming scheme with region, channel and quarter",
            "consistent campaign labels by geography, medium and period",
            "adopt a campaign naming convention using region and quarter",
            "standardise how marketing initiatives are titled",
        ],
    ),
    # customer_journey
    (
        "Simplify checkout",
        [
            "a simpler checkout",
            "fewer steps to pay",
            "simplifying the checkout flow",
            "streamline the purchase process",
        ],
    ),
    (
        "Post-purchase onboarding",
        [
            "onboarding after the purchase",
            "help new buyers get started once they have ordered",
            "post purchase onboarding journey",
            "welcome sequence following an order",
        ],
    ),
    (
        "Referral incentive",
        [
            "incentives for referrals",
            "reward customers who invite friends",
            "referral program incentive",
            "refer-a-friend bonus",
        ],
    ),
    # integration_health
    (
        "Webhook retries increasing",
        [
            "increasing webhook retries",
            "callbacks failing and being resent more often",
            "webhook retry count is going up",
            "more redelivery attempts for event notifications",
        ],
    ),
    (
        "Token expires in 5 days",
        [
            "the token expires in five days",
            "credentials about to run out soon",
            "expiring token",
            "API key nearly out of date, renew it",
        ],
    ),
    # intake form goals
    (
        "Increase online conversion rate",
        [
            "raise the online conversion rate",
            "get more website visitors to buy",
            "conversion rate increase online",
            "more purchases per web session",
        ],
    ),
    (
        "Grow average order value",
        [
            "average order value growth",
            "bigger baskets per purchase",
            "increase the average value of orders",
            "customers spend more per transaction",
        ],
    ),
    (
        "Reduce cart abandonment",
        [
            "cart abandonment reduction",
            "fewer shoppers leaving items in the basket",
            "reduce abandoned carts",
            "stop people dropping out before paying",
        ],
    ),
    (
        "Improve lead quality",
        [
            "better quality leads",
            "more qualified prospects from marketing",
            "improving the quality of leads",
            "sales-ready inquiries instead of junk contacts",
        ],
    ),
    (
        "Increase newsletter sign-ups",
        [
            "more sign-ups for the newsletter",
            "grow the mailing list subscriber count",
            "newsletter signup increase",
            "get more people to subscribe to our emails",
        ],
    ),
    (
        "Expand into new regions",
        [
            "expansion into regions that are new",
            "enter foreign markets",
            "new region expansion",
            "launch in additional countries",
        ],
    ),
    (
        "Personalize the homepage",
        [
            "homepage personalization",
            "tailor the front page to each visitor",
            "personalized home page",
            "individual landing experience on the main page",
        ],
    ),
    (
        "Raise customer lifetime value",
        [
            "customer lifetime value should rise",
            "increase long-term revenue per client",
            "raising the lifetime value of customers",
            "CLV growth through retention",
        ],
    ),
    (
        "Accelerate experimentation velocity",
        [
            "experimentation velocity acceleration",
            "run more A/B tests faster",
            "accelerating the velocity of experiments",
            "speed up the testing cadence",
        ],
    ),
    # intake form challenges
    (
        "Low test velocity",
        [
            "test velocity is low",
            "we run too few experiments",
            "low testing velocity",
            "slow pace of A/B tests",
        ],
    ),
    (
        "Fragmented customer data",
        [
            "customer data is fragmented",
            "shopper information scattered across tools",
            "fragmentation of customer data",
            "siloed user records",
        ],
    ),
    (
        "Limited content team capacity",
        [
            "content team has limited capacity",
            "too few writers to produce material",
            "capacity of the content team is limited",
            "editorial staff stretched thin",
        ],
    ),
    (
        "Slow site performance",
        [
            "site performance is slow",
            "website loads sluggishly",
            "slow performance of the site",
            "pages take ages to render",
        ],
    ),
    (
        "Unclear attribution",
        [
            "attribution is unclear",
            "we cannot tell which channel drove a sale",
            "unclear marketing attribution",
            "credit for conversions is ambiguous",
        ],
    ),
    (
        "Legacy CMS constraints",
        [
            "constraints of a legacy CMS",
            "old content management system limits us",
            "legacy CMS is a constraint",
            "outdated publishing platform restrictions",
        ],
    ),
]


def labeled_queries() -> list[dict]:
    rows = []
    for theme_index, (phrase, queries) in enumerate(THEMES):
        assert len(queries) == 4, phrase
        for position, query in enumerate(queries):
            assert phrase.lower().rstrip(".") not in query.lower(), f"query copies its theme: {query!r}"
            rows.append(
                {
                    "theme": theme_index,
                    "phrase": phrase,
                    "query": query,
                    "kind": KINDS[position],
                    "half": HALVES[position],
                }
            )
    return rows


def evaluate(store: DuckDBWarehouse, provider, queries: list[dict], expected: list[set[str]]) -> list[dict]:
    vectors = provider.embed([q["query"] for q in queries])
    out = []
    for q, vector in zip(queries, vectors, strict=True):
        ids = store.nearest(vector, K).column("item_id").to_pylist()
        wanted = expected[q["theme"]]
        found = sum(1 for i in ids if i in wanted)
        out.append({**q, "recall": found / min(K, len(wanted)), "hit": float(found > 0)})
    return out


def summarize(results: list[dict], half: str) -> str:
    lines = []
    for kind in ("all", "reworded", "synonym"):
        chosen = [r for r in results if r["half"] == half and (kind == "all" or r["kind"] == kind)]
        lines.append(
            f"  {half:8s} {kind:8s} n={len(chosen):3d}  recall@5 {np.mean([r['recall'] for r in chosen]):.3f}  "
            f"hit@5 {np.mean([r['hit'] for r in chosen]):.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2029)
    parser.add_argument("--show-misses", action="store_true", help="print the held-out queries with recall 0")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    items = generated_items(args.seed, args.workflows)
    contents = items["content"].to_list()
    ids = items["item_id"].to_list()
    expected = [{i for i, text in zip(ids, contents, strict=True) if phrase in text} for phrase, _ in THEMES]
    empty = [THEMES[t][0] for t, e in enumerate(expected) if not e]
    assert not empty, f"themes with no items in the corpus: {empty}"
    queries = labeled_queries()
    sizes = sorted(len(e) for e in expected)
    print(
        f"corpus: {items.height:,} knowledge items from {args.workflows} generated workflows (seed {args.seed}); "
        f"{len(THEMES)} themes, {len(queries)} queries ({sum(q['half'] == 'held-out' for q in queries)} held out); "
        f"expected items per theme: min {sizes[0]}, median {sizes[len(sizes) // 2]}, max {sizes[-1]}"
    )
    providers = [HashingEmbeddingProvider(1536)]
    key, base = os.environ.get("OPENAI_API_KEY", ""), os.environ.get("OPENAI_BASE_URL", "")
    if key and not any(host in base for host in ("127.0.0.1", "localhost")):
        from osa.embeddings import OpenAIEmbeddingProvider

        providers.append(OpenAIEmbeddingProvider(api_key=key, base_url=base or None, dimensions=1536))
    else:
        print(
            "openai: not measured (no OPENAI_API_KEY for the real API; the fake server's vectors are random "
            "and mean nothing for relevance)"
        )
    for provider in providers:
        with tempfile.TemporaryDirectory() as tmp:
            store = DuckDBWarehouse(Path(tmp) / "w.duckdb")
            store.apply_schema()
            vectors = provider.embed(contents)
            table = with_embeddings(items, vectors, provider.model)
            table = table.set_column(
                table.schema.get_field_index("event_date"),
                "event_date",
                pa.array([dt.date(2026, 7, 1)] * table.num_rows, pa.date32()),
            )
            store.replace_window("knowledge_items", table, dt.date(2026, 7, 1), dt.date(2026, 7, 2))
            verbatim = [
                {"theme": t, "phrase": p, "query": p, "kind": "verbatim", "half": "control"}
                for t, (p, _) in enumerate(THEMES)
            ]
            control = evaluate(store, provider, verbatim, expected)
            results = evaluate(store, provider, queries, expected)
        print(f"\n{provider.name} ({provider.model}):")
        print(
            f"  control: the theme phrase itself (not in the labeled set) recall@5 "
            f"{np.mean([r['recall'] for r in control]):.3f}"
        )
        print(summarize(results, "tuning"))
        print(summarize(results, "held-out"))
        if args.show_misses:
            for r in results:
                if r["half"] == "held-out" and r["recall"] == 0:
                    print(f"    miss ({r['kind']}): {r['query']!r}  (theme {r['phrase']!r})")
    print(f"\n{time.perf_counter() - started:.1f} s, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
