"""Deterministic, labeled PII evaluation corpus for bench/pii.py.

Two record shapes, like the lakehouse's real inputs:

* marketing intake forms (flat fields, a tags list, a JSON ``answers`` column), and
* AI agent run outputs (free-text ``output``, a ``recipients`` list, JSON ``tool_calls``).

PII sits both in PII-named fields and inside free text; about a third of the records
carry no PII at all, and every record is salted with hard negatives (UUIDs,
timestamps, ids, SKUs, versions, prices, percentages, scores, durations, URLs,
company names, event dates, hashes, model names, ...).

Honesty: names, addresses, phones, cards, IBANs, SSNs etc. come from Faker (many
locales), *not* from the names-dataset lists the detector ships, and Faker's
formats (phone extensions, "(0114) 496 0907", USPS suffixes like "Radial") were
not written with our regexes in mind. Nothing here is seed data.

Every label is (frame, row, field_path, start, end, pii_type); every hard negative
is (frame, row, field_path, start, end, kind). Spans index the leaf string.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

NAME_LOCALES = (
    ("en_US", 34),
    ("en_GB", 14),
    ("de_DE", 10),
    ("fr_FR", 8),
    ("es_ES", 8),
    ("it_IT", 6),
    ("nl_NL", 5),
    ("pt_BR", 5),
    ("pl_PL", 4),
    ("en_IN", 4),
    ("sv_SE", 2),
)
ADDRESS_LOCALES = (("en_US", 55), ("en_GB", 25), ("de_DE", 20))
PHONE_LOCALES = (("en_US", 50), ("en_GB", 25), ("de_DE", 15), ("fr_FR", 10))

COMPANY_HEADS = (
    "North",
    "Blue",
    "Bright",
    "Iron",
    "Silver",
    "Clear",
    "Rapid",
    "Summit",
    "Harbor",
    "Pixel",
    "Quantum",
    "Cedar",
    "Nimbus",
    "Atlas",
    "Vertex",
    "Orbit",
    "Lumen",
    "Granite",
    "Maple",
    "Copper",
)
COMPANY_TAILS = (
    "Analytics",
    "Labs",
    "Systems",
    "Logistics",
    "Foods",
    "Media",
    "Health",
    "Robotics",
    "Software",
    "Partners",
    "Dynamics",
    "Networks",
    "Studio",
    "Works",
    "Capital",
    "Energy",
    "Retail",
    "Cloud",
    "Commerce",
    "Bio",
)
PERSONLIKE_COMPANIES = (
    "Morgan Stanley",
    "Wells Fargo",
    "Goldman Sachs",
    "Grant Thornton",
    "Robert Half",
    "Korn Ferry",
    "Baker McKenzie",
    "Clifford Chance",
    "Spencer Stuart",
    "Dean & DeLuca",
    "Ralph Lauren",
    "Johnson & Johnson",
    "Marsh McLennan",
    "Booz Allen Hamilton",
    "Charles Schwab",
    "John Deere",
)
PRODUCTS = (
    "Acme Analytics Pro",
    "Insight Hub",
    "Pipeline Studio",
    "Lead Scorer",
    "Campaign Builder",
    "DataSync Enterprise",
    "Forecast AI",
    "Audience Graph",
    "Growth Suite",
    "Signal Desk",
)
EVENTS = (
    "Spring Launch",
    "Black Friday",
    "Cyber Monday",
    "Q3 Growth Summit",
    "Customer Success Week",
    "Product Hunt launch",
    "Data Science Meetup",
    "Summer Campaign",
    "New Year Promo",
    "Partner Day",
)
JOB_TITLES = (
    "VP of Marketing",
    "Head of Growth",
    "Data Engineer",
    "Customer Success Manager",
    "Chief Revenue Officer",
    "Product Manager",
    "Marketing Ops Lead",
    "Account Executive",
)
CITIES = ("Austin", "Berlin", "London", "Chicago", "Munich", "Toronto", "Seattle", "Amsterdam", "Denver", "Paris")
MODELS = (
    "gpt-4o-2024-08-06",
    "claude-3-5-sonnet-20241022",
    "gpt-4.1-mini",
    "llama-3.1-70b-instruct",
    "mistral-large-2407",
)
AGENTS = ("lead-enricher-v2", "support-triage", "campaign-copywriter", "crm-sync-agent", "meeting-summarizer")
UTM_SOURCES = ("linkedin", "google", "newsletter", "partner", "facebook", "direct", "webinar")


@dataclass
class Label:
    frame: str
    row: int
    field_path: str
    start: int
    end: int
    pii_type: str
    in_lexicon: bool = True  # names only: both tokens in the detector's lists


@dataclass
class Negative:
    frame: str
    row: int
    field_path: str
    start: int
    end: int
    kind: str


@dataclass
class Corpus:
    forms: list[dict[str, Any]] = field(default_factory=list)
    agents: list[dict[str, Any]] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    negatives: list[Negative] = field(default_factory=list)
    pii_free: set[tuple[str, int]] = field(default_factory=set)

    @property
    def records(self) -> int:
        return len(self.forms) + len(self.agents)


class _Text:
    """Builds a string from pieces while recording PII labels and hard-negative spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.pii: list[tuple[int, int, str, bool]] = []
        self.neg: list[tuple[int, int, str]] = []

    def add(self, text: str) -> _Text:
        self.parts.append(text)
        self.length += len(text)
        return self

    def pii_span(self, text: str, pii_type: str, in_lexicon: bool = True) -> _Text:
        self.pii.append((self.length, self.length + len(text), pii_type, in_lexicon))
        return self.add(text)

    def neg_span(self, text: str, kind: str) -> _Text:
        self.neg.append((self.length, self.length + len(text), kind))
        return self.add(text)

    def value(self) -> str:
        return "".join(self.parts)


class CorpusBuilder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for offset, locale in enumerate(
            sorted({loc for table in (NAME_LOCALES, ADDRESS_LOCALES, PHONE_LOCALES) for loc, _ in table})
        ):
            fake = Faker(locale)
            fake.seed_instance(seed * 100 + offset)
            self.fakers[locale] = fake
        self.us = self.fakers["en_US"]
        self._uuid_rng = random.Random(seed + 1)
        self._lexicon = None

    # ------------------------------------------------------------------ helpers
    def pick(self, items):
        return items[self.rng.randrange(len(items))]

    def weighted(self, table) -> str:
        return self.rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4))

    def in_lexicon(self, first: str, last: str) -> bool:
        if self._lexicon is None:
            from osa.pii import lexicon

            self._lexicon = (lexicon.first_names(), lexicon.last_names(), lexicon.fold)
        firsts, lasts, fold = self._lexicon
        return fold(first) in firsts and fold(last.split()[-1]) in lasts

    def person(self) -> tuple[str, str, bool]:
        fake = self.fakers[self.weighted(NAME_LOCALES)]
        first, last = fake.first_name(), fake.last_name()
        full = f"{first} {last}"
        if self.rng.random() < 0.08:
            full = f"{first} {self.pick('ABCDEFGHJKLMNPRSTW')}. {last}"
        return full, first, self.in_lexicon(first, last)

    def email(self, name: str | None = None) -> str:
        if name and self.rng.random() < 0.6:
            local = name.lower().replace(" ", self.pick([".", "_", ""])).replace(".", ".", 1)
            local = "".join(c for c in local if c.isascii() and (c.isalnum() or c in "._"))
            while ".." in local:
                local = local.replace("..", ".")
            domain = self.pick(
                ["gmail.com", "outlook.com", "yahoo.co.uk", "web.de", "acme-corp.com", "proton.me", "company.io"]
            )
            email = f"{local.strip('._') or 'user'}@{domain}"
        else:
            email = self.us.email()
        return email if self.rng.random() > 0.1 else email.capitalize()

    def phone(self) -> str:
        locale = self.weighted(PHONE_LOCALES)
        number = self.fakers[locale].phone_number()
        if locale == "en_US" and self.rng.random() < 0.25:
            digits = "".join(c for c in number if c.isdigit())[-10:]
            number = f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}"
        return number

    def address(self) -> str:
        locale = self.weighted(ADDRESS_LOCALES)
        fake = self.fakers[locale]
        if self.rng.random() < 0.5:
            return fake.address().replace("\n", ", ")
        return fake.street_address().replace("\n", ", ")

    def company(self) -> str:
        roll = self.rng.random()
        if roll < 0.5:
            return f"{self.pick(COMPANY_HEADS)} {self.pick(COMPANY_TAILS)}"
        if roll < 0.75:
            return self.fakers[self.pick(["en_US", "en_GB", "de_DE"])].company()
        return self.pick(PERSONLIKE_COMPANIES)

    def dob_text(self) -> str:
        born = self.us.date_of_birth(minimum_age=18, maximum_age=90)
        return self.pick(
            [
                born.isoformat(),
                born.strftime("%m/%d/%Y"),
                born.strftime("%d.%m.%Y"),
                born.strftime("%B %-d, %Y"),
                born.strftime("%-d %b %Y"),
            ]
        )

    def event_date(self) -> str:
        day = dt.date(2024, 1, 1) + dt.timedelta(days=self.rng.randrange(700))
        return self.pick(
            [day.isoformat(), day.strftime("%B %-d, %Y"), day.strftime("%m/%d/%Y"), day.strftime("%d.%m.%Y")]
        )

    def timestamp(self) -> str:
        moment = dt.datetime(2024, 1, 1) + dt.timedelta(seconds=self.rng.randrange(60_000_000))
        return self.pick(
            [
                moment.isoformat() + "Z",
                moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00",
                moment.strftime("%Y-%m-%d %H:%M:%S"),
            ]
        )

    def card(self) -> str:
        number = self.us.credit_card_number()
        if len(number) == 16 and self.rng.random() < 0.5:
            sep = self.pick([" ", "-"])
            number = sep.join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def iban(self) -> str:
        code = self.fakers[self.pick(["de_DE", "en_GB", "fr_FR", "nl_NL", "es_ES"])].iban()
        if self.rng.random() < 0.5:
            code = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
        return code

    def mrn(self) -> str:
        digits = "".join(str(self.rng.randrange(10)) for _ in range(self.rng.choice([7, 8, 9])))
        return self.pick([digits, f"MRN-{digits}", f"H{digits}"])

    def drivers_license(self) -> str:
        letters = "ABCDEFGHJKLMNPRSTWXYZ"
        return self.pick(
            [
                self.pick(letters) + "".join(str(self.rng.randrange(10)) for _ in range(7)),
                "".join(str(self.rng.randrange(10)) for _ in range(9)),
                f"{self.pick(letters)}{self.rng.randrange(100, 999)}-"
                f"{self.rng.randrange(1000, 9999)}-{self.rng.randrange(1000, 9999)}",
            ]
        )

    def biometric(self) -> str:
        raw = bytes(self.rng.randrange(256) for _ in range(self.rng.choice([32, 48, 64])))
        return base64.b64encode(raw).decode() if self.rng.random() < 0.5 else raw.hex()

    def bank_account(self) -> str:
        return "".join(str(self.rng.randrange(10)) for _ in range(self.rng.choice([8, 10, 12])))

    def tax_id(self) -> tuple[str, str]:
        roll = self.rng.random()
        if roll < 0.45:
            return self.us.ein(), "EIN"
        if roll < 0.8:
            return self.us.itin(), "ITIN"
        return self.fakers["en_GB"].ssn(), "NI number"

    # ------------------------------------------------------------------ hard negatives
    NEGATIVE_KINDS = (
        "uuid",
        "timestamp",
        "project_id",
        "sku",
        "version",
        "price",
        "percent",
        "score",
        "duration",
        "url",
        "company",
        "event_date",
        "order_id",
        "hash",
        "model",
        "count",
        "ticket",
        "ip_like_version",
        "zip",
        "isbn",
    )

    def negative(self, kind: str | None = None) -> tuple[str, str]:
        kind = kind or self.pick(self.NEGATIVE_KINDS)
        rng = self.rng
        value = {
            "uuid": self.uuid,
            "timestamp": self.timestamp,
            "project_id": lambda: str(rng.randrange(10_000, 99_999_999)),
            "sku": lambda: self.pick(
                [
                    f"SKU-{rng.randrange(1000, 9999)}-{self.pick(['BLK', 'WHT', 'RED'])}-{self.pick(['S', 'M', 'XL'])}",
                    f"AB-{rng.randrange(10000, 99999)}",
                    f"PRD{rng.randrange(100000, 999999)}",
                ]
            ),
            "version": lambda: self.pick(
                [
                    f"v{rng.randrange(1, 9)}.{rng.randrange(0, 30)}.{rng.randrange(0, 99)}",
                    f"{rng.randrange(1, 5)}.{rng.randrange(0, 20)}.{rng.randrange(0, 9)}-rc{rng.randrange(1, 4)}",
                ]
            ),
            "price": lambda: self.pick(
                [
                    f"${rng.randrange(5, 99_999):,}.{rng.randrange(0, 99):02d}",
                    f"€{rng.randrange(5, 9999)},{rng.randrange(0, 99):02d}",
                    f"USD {rng.randrange(100, 500_000)}",
                ]
            ),
            "percent": lambda: f"{rng.randrange(0, 100)}.{rng.randrange(0, 9)}%",
            "score": lambda: self.pick(
                [
                    f"0.{rng.randrange(100, 999)}",
                    f"{rng.randrange(1, 5)}.{rng.randrange(0, 9)}/5",
                    f"NPS {rng.randrange(-20, 80)}",
                ]
            ),
            "duration": lambda: self.pick(
                [
                    f"{rng.randrange(1, 9)}h {rng.randrange(1, 59)}m",
                    f"PT{rng.randrange(1, 59)}M",
                    f"00:{rng.randrange(10, 59)}:{rng.randrange(10, 59)}",
                    f"{rng.randrange(2, 900)} ms",
                ]
            ),
            "url": lambda: self.pick(
                [
                    f"https://www.{self.pick(['acme', 'northwind', 'contoso'])}.com/pricing"
                    f"?utm_source={self.pick(UTM_SOURCES)}",
                    f"https://docs.example.org/v{rng.randrange(1, 4)}/guides/{self.pick(['setup', 'api', 'billing'])}",
                    "https://app.acme.io/dashboards/" + str(rng.randrange(1000, 99999)),
                ]
            ),
            "company": self.company,
            "event_date": self.event_date,
            "order_id": lambda: self.pick(
                [
                    f"ORD-2024-{rng.randrange(0, 999999):06d}",
                    f"INV-{rng.randrange(1000, 99999)}",
                    f"#{rng.randrange(100000, 9999999)}",
                ]
            ),
            "hash": lambda: f"{rng.getrandbits(160):040x}"[: self.pick([7, 12, 40])],
            "model": lambda: self.pick(MODELS),
            "count": lambda: f"{rng.randrange(1000, 999_999):,}",
            "ticket": lambda: f"{self.pick(['JIRA', 'OPS', 'MKT'])}-{rng.randrange(10, 9999)}",
            "ip_like_version": lambda: (
                f"build {rng.randrange(1, 9)}.{rng.randrange(0, 20)}.{rng.randrange(0, 9)}.{rng.randrange(100, 9999)}"
            ),
            "zip": lambda: f"{rng.randrange(10000, 99999)}",
            "isbn": lambda: (
                f"978-{rng.randrange(0, 9)}-{rng.randrange(10, 99)}-"
                f"{rng.randrange(100000, 999999)}-{rng.randrange(0, 9)}"
            ),
        }[kind]()
        return value, kind

    def negatives_sentence(self, text: _Text, count: int) -> None:
        frames = [
            ("Campaign run {} finished at {}.", ["uuid", "timestamp"]),
            ("Order {} shipped; total {}.", ["order_id", "price"]),
            ("Upgraded to {} after {} of downtime.", ["version", "duration"]),
            ("See {} for details; conversion {}.", ["url", "percent"]),
            ("Our account manager at {} sent invoice {}.", ["company", "order_id"]),
            ("Score {} on {} leads, budget {}.", ["score", "count", "price"]),
            ("Ticket {} references SKU {}.", ["ticket", "sku"]),
            ("Ran {} on {}; {} tokens.", ["model", "timestamp", "count"]),
            ("Deployed {} to prod (commit {}).", ["ip_like_version", "hash"]),
            ("The {} event is on {}.", ["EVENT", "event_date"]),
            ("Project {} is {} complete, ETA {}.", ["project_id", "percent", "duration"]),
            ("Catalog ISBN {} ships from ZIP {}.", ["isbn", "zip"]),
            ("Meeting with {} on {}.", ["company", "event_date"]),
            ("{} visitors came from {} this week.", ["count", "company"]),
            ("Renewal for {} at {}, {} seats.", ["company", "price", "count"]),
        ]
        for _ in range(count):
            template, kinds = self.pick(frames)
            pieces = template.split("{}")
            text.add(" " if text.length else "")
            for index, piece in enumerate(pieces):
                text.add(piece)
                if index < len(kinds):
                    if kinds[index] == "EVENT":
                        text.add(self.pick(EVENTS))
                    else:
                        text.neg_span(self.negative_of(kinds[index]), kinds[index])

    # ------------------------------------------------------------------ PII sentences
    def pii_sentence(self, text: _Text, person: tuple[str, str, bool]) -> None:
        """One sentence carrying one or two PII values in context."""
        full, first, known = person
        rng = self.rng
        kind = self.pick(
            [
                "intro",
                "intro",
                "phone",
                "email",
                "address",
                "card",
                "ssn",
                "iban",
                "dob",
                "passport",
                "dl",
                "mrn",
                "ip",
                "tax",
                "biometric",
                "bank",
                "greeting",
                "met",
            ]
        )
        t = text
        t.add(" " if t.length else "")
        if kind == "intro":
            t.add(self.pick(["Hi, I'm ", "My name is ", "This is ", "Contact: "])).pii_span(full, "name", known)
            t.add(self.pick([" from ", " at ", " with "])).neg_span(self.company(), "company").add(".")
        elif kind == "greeting":
            t.add(self.pick(["Hi ", "Hello ", "Dear ", "Thanks, "])).pii_span(first, "name", known).add(
                self.pick(
                    [", thanks for the demo request.", ", following up on your trial.", " - see you at the webinar."]
                )
            )
        elif kind == "met":
            t.add(self.pick(["Spoke with ", "Met ", "Call scheduled with ", "Assigned to ", "Escalated by "])).pii_span(
                full, "name", known
            )
            t.add(self.pick([" about the renewal.", " regarding pricing.", ", who wants a demo.", " yesterday."]))
        elif kind == "phone":
            t.add(
                self.pick(["Please call me at ", "Reach me on ", "My mobile is ", "Phone: ", "Best number: "])
            ).pii_span(self.phone(), "phone")
            t.add(self.pick([".", " after 5pm.", " (weekdays)."]))
        elif kind == "email":
            t.add(self.pick(["Email me at ", "Send the deck to ", "Reply to ", "cc "])).pii_span(
                self.email(full), "email"
            )
            t.add(self.pick([".", " please.", " thanks!"]))
        elif kind == "address":
            t.add(
                self.pick(["Ship it to ", "Our office moved to ", "Billing address: ", "Send the contract to "])
            ).pii_span(self.address(), "address").add(".")
        elif kind == "card":
            t.add(self.pick(["Charge card ", "My card ", "Use the Visa ending in 4242, no wait use "])).pii_span(
                self.card(), "credit_card"
            )
            t.add(self.pick([" for the invoice.", ", exp 09/27.", " please."]))
        elif kind == "ssn":
            t.add(self.pick(["SSN: ", "My social security number is ", "ssn "])).pii_span(self.us.ssn(), "ssn").add(".")
        elif kind == "iban":
            t.add(self.pick(["Please wire to IBAN ", "Bank details: ", "Refund to "])).pii_span(
                self.iban(), "bank_account"
            ).add(".")
        elif kind == "dob":
            t.add(self.pick(["Date of birth: ", "DOB ", "I was born on ", "Birthday: "])).pii_span(
                self.dob_text(), "dob"
            ).add(".")
        elif kind == "passport":
            number = self.pick([self.us.passport_number(), f"{self.pick('CFGHJK')}{rng.randrange(10**7, 10**8)}"])
            t.add(self.pick(["Passport number ", "passport no. ", "Passport: "])).pii_span(number, "passport").add(
                self.pick([" for the visa letter.", ".", ", expires 2031."])
            )
        elif kind == "dl":
            t.add(self.pick(["Driver's license ", "DL# ", "driver license number "])).pii_span(
                self.drivers_license(), "drivers_license"
            ).add(".")
        elif kind == "mrn":
            t.add(self.pick(["Patient ", "Re: patient "])).pii_span(full, "name", known)
            t.add(self.pick([", MRN ", " (medical record number ", ", patient ID "])).pii_span(
                self.mrn(), "medical_record"
            ).add(self.pick([", asked for lab results.", ").", "."]))
        elif kind == "ip":
            value = self.us.ipv4_public() if rng.random() < 0.75 else self.us.ipv6()
            t.add(self.pick(["Login from ", "Form submitted from IP ", "Client address "])).pii_span(
                value, "ip_address"
            )
            t.add(" at ").neg_span(self.timestamp(), "timestamp").add(".")
        elif kind == "tax":
            value, label = self.tax_id()
            t.add(f"{label} ").pii_span(value, "tax_id").add(self.pick([" for the W-9.", " on file.", "."]))
        elif kind == "biometric":
            t.add(self.pick(["Biometric template: ", "fingerprint template ", "Face embedding "])).pii_span(
                self.biometric(), "biometric"
            ).add(".")
        elif kind == "bank":
            t.add("Routing number ").pii_span(self.us.aba(), "bank_account").add(", account number ").pii_span(
                self.bank_account(), "bank_account"
            ).add(".")

    # ------------------------------------------------------------------ records
    def form(self, row: int, corpus: Corpus, with_pii: bool) -> dict[str, Any]:
        rng = self.rng
        person = self.person()
        labels: list[tuple[str, int, int, str, bool]] = []
        negs: list[tuple[str, int, int, str]] = []

        def leaf(path: str, text: _Text) -> str:
            for start, end, pii_type, known in text.pii:
                labels.append((path, start, end, pii_type, known))
            for start, end, kind in text.neg:
                negs.append((path, start, end, kind))
            return text.value()

        def whole(path: str, value: str, pii_type: str, known: bool = True) -> str:
            labels.append((path, 0, len(value), pii_type, known))
            return value

        company = self.company()
        record: dict[str, Any] = {
            "submission_id": self.uuid(),
            "submitted_at": self.timestamp(),
            "form_id": f"FRM-{rng.randrange(1000, 9999)}",
            "campaign": self.pick(
                ["spring_launch_2024", "bf_2024_early", "webinar-q3", "partner_referral", "trial_signup_v2"]
            ),
            "utm_source": self.pick(UTM_SOURCES),
            "contact_name": None,
            "contact_email": None,
            "phone_number": None,
            "company": company,
            "job_title": self.pick(JOB_TITLES),
            "city": self.pick(CITIES),
            "country": self.pick(["US", "DE", "GB", "CA", "NL", "FR"]),
            "budget": self.negative_of("price"),
            "score": f"0.{rng.randrange(100, 999)}",
            "message": "",
            "tags": [
                self.pick(["webinar", "enterprise", "smb", "trial", "priority", "newsletter"])
                for _ in range(rng.randrange(0, 4))
            ],
            "answers": "{}",
        }
        negs.append(("company", 0, len(company), "company"))
        message = _Text()
        answers: dict[str, Any] = {
            "consent": True,
            "employees": self.pick(["1-10", "11-50", "51-200", "201-1000"]),
            "referrer": self.negative_of("url"),
            "interest": self.pick(PRODUCTS),
        }
        if with_pii:
            full, first, known = person
            if rng.random() < 0.85:
                record["contact_name"] = whole("contact_name", full, "name", known)
            if rng.random() < 0.85:
                record["contact_email"] = whole("contact_email", self.email(full), "email")
            if rng.random() < 0.6:
                record["phone_number"] = whole("phone_number", self.phone(), "phone")
            for _ in range(rng.randrange(1, 3)):
                self.pii_sentence(message, person)
            if rng.random() < 0.3:
                other = self.person()
                answers["secondary_contact"] = {"full_name": other[0], "email": self.email(other[0])}
            if rng.random() < 0.25:
                answers["billing_address"] = self.address()
            if rng.random() < 0.15:
                answers["date_of_birth"] = self.us.date_of_birth(minimum_age=18).isoformat()
        self.negatives_sentence(message, rng.randrange(1, 3))
        if not with_pii and rng.random() < 0.5:
            message.add(" ").add(self.pick(["Loved the ", "Questions about the ", "Feedback on the "])).add(
                self.pick(EVENTS)
            ).add(self.pick([" session.", " - great speakers!", " pricing tiers."]))
        record["message"] = leaf("message", message)
        # Nested answers: label leaves by JSON path.
        for key, value in answers.items():
            if key == "secondary_contact":
                labels.append(
                    (
                        f"answers.{key}.full_name",
                        0,
                        len(value["full_name"]),
                        "name",
                        value and self.in_lexicon(*self._split(value["full_name"])),
                    )
                )
                labels.append((f"answers.{key}.email", 0, len(value["email"]), "email", True))
            elif key == "billing_address":
                labels.append((f"answers.{key}", 0, len(value), "address", True))
            elif key == "date_of_birth":
                labels.append((f"answers.{key}", 0, len(value), "dob", True))
            elif key == "referrer":
                negs.append((f"answers.{key}", 0, len(value), "url"))
        record["answers"] = json.dumps(answers, ensure_ascii=False)
        if record["budget"]:
            negs.append(("budget", 0, len(record["budget"]), "price"))
        negs.append(("submitted_at", 0, len(record["submitted_at"]), "timestamp"))
        negs.append(("submission_id", 0, len(record["submission_id"]), "uuid"))
        self._commit(corpus, "forms", row, labels, negs, with_pii)
        return record

    def agent(self, row: int, corpus: Corpus, with_pii: bool) -> dict[str, Any]:
        rng = self.rng
        labels: list[tuple[str, int, int, str, bool]] = []
        negs: list[tuple[str, int, int, str]] = []
        output = _Text()
        output.add(self.pick(["Summary: ", "Result: ", "Done. ", "", "Here is what I found. "]))
        recipients: list[str] = []
        tool_calls: list[dict[str, Any]] = []
        person = self.person()
        if with_pii:
            for _ in range(rng.randrange(1, 4)):
                self.pii_sentence(output, person if rng.random() < 0.6 else self.person())
            for index in range(rng.randrange(0, 3)):
                value = self.email(self.person()[0]) if rng.random() < 0.7 else self.person()[0]
                recipients.append(value)
                labels.append((f"recipients[{index}]", 0, len(value), "email" if "@" in value else "name", True))
            if rng.random() < 0.6:
                to = self.email(person[0])
                body = (
                    _Text()
                    .add(self.pick(["Hi ", "Hello ", "Dear "]))
                    .pii_span(person[1], "name", person[2])
                    .add(", following up on ")
                    .add(self.pick(EVENTS))
                    .add(". Your quote ")
                    .neg_span(self.negative_of("order_id"), "order_id")
                    .add(" is attached.")
                )
                tool_calls.append(
                    {
                        "name": "send_email",
                        "arguments": {"to": [to], "subject": f"Re: {self.pick(EVENTS)}", "body": body.value()},
                    }
                )
                labels.append(("tool_calls[0].arguments.to[0]", 0, len(to), "email", True))
                for start, end, pii_type, known in body.pii:
                    labels.append(("tool_calls[0].arguments.body", start, end, pii_type, known))
                for start, end, kind in body.neg:
                    negs.append(("tool_calls[0].arguments.body", start, end, kind))
            if rng.random() < 0.4:
                index = len(tool_calls)
                phone, address = self.phone(), self.address()
                tool_calls.append(
                    {
                        "name": "crm.update_contact",
                        "arguments": {
                            "contact_id": f"C-{rng.randrange(10000, 99999)}",
                            "mobile": phone,
                            "home_address": address,
                            "lifecycle_stage": self.pick(["lead", "mql", "sql", "customer"]),
                        },
                    }
                )
                labels.append((f"tool_calls[{index}].arguments.mobile", 0, len(phone), "phone", True))
                labels.append((f"tool_calls[{index}].arguments.home_address", 0, len(address), "address", True))
        self.negatives_sentence(output, rng.randrange(1, 4))
        if rng.random() < 0.5:
            index = len(tool_calls)
            query = f"{self.pick(EVENTS)} {self.pick(PRODUCTS)} pricing"
            tool_calls.append(
                {
                    "name": self.pick(["search_web", "lookup_company", "get_metrics"]),
                    "arguments": {"query": query, "limit": rng.randrange(3, 20), "since": self.event_date()},
                }
            )
        record = {
            "run_id": self.uuid(),
            "created_at": self.timestamp(),
            "agent": self.pick(AGENTS),
            "model": self.pick(MODELS),
            "latency_ms": str(rng.randrange(200, 30000)),
            "cost_usd": f"0.{rng.randrange(1, 9999):04d}",
            "output": "",
            "recipients": recipients,
            "tool_calls": json.dumps(tool_calls, ensure_ascii=False),
        }
        for start, end, pii_type, known in output.pii:
            labels.append(("output", start, end, pii_type, known))
        for start, end, kind in output.neg:
            negs.append(("output", start, end, kind))
        record["output"] = output.value()
        negs.append(("model", 0, len(record["model"]), "model"))
        negs.append(("run_id", 0, len(record["run_id"]), "uuid"))
        self._commit(corpus, "agents", row, labels, negs, with_pii)
        return record

    def negative_of(self, kind: str) -> str:
        return self.negative(kind)[0]

    @staticmethod
    def _split(full: str) -> tuple[str, str]:
        parts = full.split()
        return parts[0], parts[-1]

    @staticmethod
    def _commit(corpus: Corpus, frame: str, row: int, labels, negs, with_pii: bool) -> None:
        for path, start, end, pii_type, known in labels:
            corpus.labels.append(Label(frame, row, path, start, end, pii_type, bool(known)))
        for path, start, end, kind in negs:
            corpus.negatives.append(Negative(frame, row, path, start, end, kind))
        if not with_pii:
            corpus.pii_free.add((frame, row))


def build_corpus(records: int = 6000, seed: int = 20240601, agent_share: float = 0.4) -> Corpus:
    """Deterministic for a given seed (and Faker version)."""
    builder = CorpusBuilder(seed)
    corpus = Corpus()
    for _ in range(records):
        with_pii = builder.rng.random() >= 1 / 3
        if builder.rng.random() < agent_share:
            corpus.agents.append(builder.agent(len(corpus.agents), corpus, with_pii))
        else:
            corpus.forms.append(builder.form(len(corpus.forms), corpus, with_pii))
    return corpus


if __name__ == "__main__":  # pragma: no cover - manual inspection
    sample = build_corpus(8, seed=7)
    for item in sample.forms[:2] + sample.agents[:2]:
        print(json.dumps(item, indent=1, ensure_ascii=False))
    print(len(sample.labels), "labels", len(sample.negatives), "negatives")
