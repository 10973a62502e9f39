"""Field-aware detection: what a key name says about the value under it.

``contact_email`` holds an email whatever it looks like, ``recipients`` holds
people, ``email_opt_in`` holds a flag. Keys are split into words (snake, kebab,
camel, dots) and classified by their *head* word, the way English compounds work
("email_subject" is a subject, "contact_email" is an email).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .national_ids import KEY_TYPES as NATIONAL_ID_KEYS

_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

#: Value is a contact of unknown kind: decide per value (email / phone / name).
PERSON = "person"
#: Value names an organisation: never run the person-name detector on it.
ORGANISATION = "organisation"

# Words that, as the head of a key, make the value not personal even if an
# earlier word is ("email_count", "phone_verified", "name_length").
_NEUTRAL_HEADS = frozenset(
    [
        "count",
        "counts",
        "opt",
        "optin",
        "opted",
        "in",
        "out",
        "verified",
        "verify",
        "validated",
        "valid",
        "status",
        "enabled",
        "disabled",
        "consent",
        "consented",
        "subscribed",
        "unsubscribed",
        "subject",
        "body",
        "template",
        "type",
        "types",
        "sent",
        "bounced",
        "bounce",
        "flag",
        "flags",
        "is",
        "has",
        "format",
        "domain",
        "domains",
        "provider",
        "client",
        "campaign",
        "open",
        "opens",
        "click",
        "clicks",
        "rate",
        "frequency",
        "preference",
        "preferences",
        "length",
        "len",
        "hash",
        "hashed",
        "fingerprint",
        "token",
        "tokens",
        "salt",
        "present",
        "missing",
        "exists",
        "changed",
        "updated",
        "at",
        "on",
        "date",
        "time",
        "timestamp",
        "ts",
        "source",
        "sources",
        "kind",
        "code",
        "codes",
        "country",
        "region",
        "prefix",
        "ext",
        "extension",
        "last4",
        "mask",
        "masked",
        "redacted",
        "pseudonym",
        "category",
        "categories",
        "label",
        "labels",
        "score",
        "scores",
        "id",
        "ids",
        "uuid",
        "key",
        "keys",
        "version",
        "field",
        "fields",
        "column",
        "columns",
        "list",
        "lists",
        "segment",
        "segments",
        "policy",
    ]
)

#: Keys naming a person by the role they play (``claimant``, ``timekeeper``, ``interviewers``): the value is a
#: person (its shape decides: name, e-mail or phone). Declared once; the plain key, the ``<role>_name``
#: modifier and the parent rule (``{"claimant": {"first": ...}}``) all read it. Words that are as often a
#: thing or a company are left out: client, agent, holder, insured, tenant, landlord, donor, debtor, borrower,
#: guarantor, trustee, referee, nominee, consultant, solicitor, translator, the parties to a case, courier,
#: contractor, driver, speaker, host, partner, sponsor, parent (a firm is a landlord, a referee, a policyholder
#: as often).
PERSON_ROLES = frozenset(
    [
        "claimant",
        "witness",
        "victim",
        "suspect",
        "decedent",
        "heir",
        "cosigner",
        "timekeeper",
        "evaluator",
        "interviewer",
        "interviewee",
        "reviewer",
        "approver",
        "examiner",
        "assessor",
        "inspector",
        "caseworker",
        "counsellor",
        "counselor",
        "therapist",
        "dentist",
        "surgeon",
        "pharmacist",
        "prescriber",
        "clinician",
        "practitioner",
        "caregiver",
        "carer",
        "freelancer",
        "technician",
        "mechanic",
        "cashier",
        "clerk",
        "receptionist",
        "presenter",
        "moderator",
        "panelist",
        "panellist",
        "volunteer",
        "intern",
        "trainee",
        "pupil",
        "tutor",
        "instructor",
        "trainer",
        "coach",
        "parents",
        "mother",
        "father",
        "son",
        "daughter",
        "sibling",
        "husband",
        "wife",
        "grandparent",
        "dependant",
        "dependent",
        "lawyer",
        "paralegal",
        "notary",
        "nanny",
        "candidate",
        "cardholder",
        "traveler",
        "traveller",
        "passenger",
        "guest",
        "visitor",
        "caller",
        "investigator",
        "mediator",
        "physician",
        "doctor",
        "nurse",
        "student",
    ]
)

_EXACT: dict[str, str] = {
    "email": "email",
    "emails": "email",
    "mail": "email",
    "e_mail": "email",
    "emailaddress": "email",
    "phone": "phone",
    "phones": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "cell": "phone",
    "cellphone": "phone",
    "fax": "phone",
    "msisdn": "phone",
    "ani": "phone",  # a call's automatic number identification: the caller's number
    "whatsapp": "phone",
    "ssn": "ssn",
    "sin": "ssn",
    "passport": "passport",
    "dob": "dob",
    "birthdate": "dob",
    "birthday": "dob",
    "birth": "dob",
    "ip": "ip_address",
    "ipv4": "ip_address",
    "ipv6": "ip_address",
    "ipaddress": "ip_address",
    "iban": "bank_account",
    "routing": "bank_account",
    "aba": "bank_account",
    "tin": "tax_id",
    "ein": "tax_id",
    "itin": "tax_id",
    "nino": "tax_id",
    "vat": "tax_id",
    "mrn": "medical_record",
    "nhs": "medical_record",
    "minutiae": "biometric",
    "fein": "tax_id",
    "person": PERSON,
    "tester": PERSON,
    "testers": PERSON,
    "members": PERSON,
    "people": PERSON,
    "biometric": "biometric",
    "biometrics": "biometric",
    "faceprint": "biometric",
    "voiceprint": "biometric",
    "fingerprints": "biometric",
    "firstname": "name",
    "lastname": "name",
    "fullname": "name",
    "surname": "name",
    "forename": "name",
    "givenname": "name",
    "familyname": "name",
    "maidenname": "name",
    "addr": "address",
    "street": "address",
    "streetaddress": "address",
    "recipients": PERSON,
    "recipient": PERSON,
    "attendees": PERSON,
    "attendee": PERSON,
    "participants": PERSON,
    "participant": PERSON,
    "contacts": PERSON,
    "contact": PERSON,
    "cc": PERSON,
    "bcc": PERSON,
    "to": PERSON,
    "sender": PERSON,
    "author": PERSON,
    "customer": PERSON,
    "patient": PERSON,
    "applicant": PERSON,
    "assignee": PERSON,
    "reporter": PERSON,
    "owner": PERSON,
    "signer": PERSON,
    "signatory": PERSON,
    "beneficiary": PERSON,
    "guardian": PERSON,
    "spouse": PERSON,
    "requester": PERSON,
    "user": PERSON,
    "lead": PERSON,
    "prospect": PERSON,
    "member": PERSON,
    "employee": PERSON,
    **dict.fromkeys(PERSON_ROLES | {role + "s" for role in PERSON_ROLES if not role.endswith("s")}, PERSON),
    "company": ORGANISATION,
    "organization": ORGANISATION,
    "organisation": ORGANISATION,
    "org": ORGANISATION,
    "employer": ORGANISATION,
    "vendor": ORGANISATION,
    "brand": ORGANISATION,
    "account": ORGANISATION,
    "agency": ORGANISATION,
    "publisher": ORGANISATION,
    "advertiser": ORGANISATION,
    "merchant": ORGANISATION,
    **dict.fromkeys(
        ["bank", "insurer", "school", "university", "hospital", "clinic", "pharmacy", "carrier", "airline"],
        ORGANISATION,
    ),
}

# Two-word keys classified by (modifier, head).
_PAIRS: dict[tuple[str, str], str] = {
    ("email", "address"): "email",
    ("mail", "address"): "email",
    ("e", "mail"): "email",
    ("ip", "address"): "ip_address",
    ("remote", "addr"): "ip_address",
    ("social", "security"): "ssn",
    ("social", "insurance"): "ssn",
    ("credit", "card"): "credit_card",
    ("debit", "card"): "credit_card",
    ("card", "number"): "credit_card",
    ("cc", "number"): "credit_card",
    ("card", "num"): "credit_card",
    ("card", "no"): "credit_card",
    ("pan", "number"): "credit_card",
    ("passport", "number"): "passport",
    ("passport", "no"): "passport",
    ("passport", "id"): "passport",
    ("drivers", "license"): "drivers_license",
    ("driver", "license"): "drivers_license",
    ("driving", "licence"): "drivers_license",
    ("driving", "license"): "drivers_license",
    ("drivers", "licence"): "drivers_license",
    ("dl", "number"): "drivers_license",
    ("license", "number"): "drivers_license",
    ("licence", "number"): "drivers_license",
    ("of", "birth"): "dob",
    ("birth", "date"): "dob",
    ("born", "on"): "dob",
    ("bank", "account"): "bank_account",
    ("account", "number"): "bank_account",
    ("acct", "number"): "bank_account",
    ("acct", "no"): "bank_account",
    **{(kind, "account"): "bank_account" for kind in ("dda", "checking", "savings", "deposit", "ach", "current")},
    ("routing", "number"): "bank_account",
    ("sort", "code"): "bank_account",
    ("bank", "details"): "bank_account",
    ("tax", "id"): "tax_id",
    ("tax", "number"): "tax_id",
    ("taxpayer", "id"): "tax_id",
    ("national", "insurance"): "tax_id",
    ("steuer", "id"): "tax_id",
    ("medical", "record"): "medical_record",
    ("record", "number"): "medical_record",
    ("patient", "id"): "medical_record",
    ("health", "record"): "medical_record",
    ("chart", "number"): "medical_record",
    ("nhs", "number"): "medical_record",
    ("biometric", "template"): "biometric",
    ("fingerprint", "template"): "biometric",
    ("face", "embedding"): "biometric",
    ("face", "template"): "biometric",
    ("iris", "scan"): "biometric",
    ("iris", "code"): "biometric",
    ("retina", "scan"): "biometric",
    ("voice", "print"): "biometric",
    ("palm", "print"): "biometric",
    ("face", "print"): "biometric",
    ("finger", "print"): "biometric",
    **{
        pair: "biometric"
        for part in ("finger", "fingerprint", "face", "facial", "iris", "retina", "palm", "vein", "voice")
        for leaf in (
            *("template", "hash", "minutiae", "embedding", "code", "vector", "geometry", "print", "scan"),
            *("features", "data", "descriptor", "encoding"),
        )
        for pair in ((part, leaf), (leaf, part))  # dữ liệu khuôn mặt, données du visage: noun first
    },
    **{("biometric", leaf): "biometric" for leaf in ("data", "hash", "blob", "minutiae", "sample", "vector", "code")},
    ("dob", "date"): "dob",
    ("phone", "number"): "phone",
    ("mobile", "number"): "phone",
    ("cell", "number"): "phone",
    ("contact", "number"): "phone",
    ("tel", "number"): "phone",
    ("telephone", "number"): "phone",
    ("fax", "number"): "phone",
    ("whatsapp", "number"): "phone",
    ("home", "address"): "address",
    ("street", "address"): "address",
    ("mailing", "address"): "address",
    ("billing", "address"): "address",
    ("shipping", "address"): "address",
    ("postal", "address"): "address",
    ("residential", "address"): "address",
    ("delivery", "address"): "address",
    ("address", "line"): "address",
    ("work", "address"): "address",
    ("physical", "address"): "address",
}

# Modifiers that make "<modifier>_name" a person's name.
_PERSON_NAME_MODIFIERS = frozenset(
    [
        "first",
        "last",
        "given",
        "family",
        "full",
        "middle",
        "maiden",
        "legal",
        "contact",
        "customer",
        "client",
        "owner",
        "user",
        "recipient",
        "sender",
        "patient",
        "person",
        "holder",
        "cardholder",
        "account_holder",
        "employee",
        "member",
        "lead",
        "applicant",
        "guardian",
        "spouse",
        "parent",
        "child",
        "emergency",
        "attendee",
        "author",
        "signer",
        "signatory",
        "beneficiary",
        "rep",
        "agent_contact",
        "manager",
        "reporter",
        "assignee",
        "requester",
        "buyer",
        "seller",
        "tenant",
        "landlord",
        "student",
        "teacher",
        "doctor",
        "nurse",
        "driver",
        "passenger",
        "traveler",
        "traveller",
        "guest",
        "display",
        "nick",
        "preferred",
        "billing",
        "shipping",
    ]
) | (PERSON_ROLES - {"parents"})
# Modifiers that make "<modifier>_name" an organisation's name (company_name, bank_name, ...).
_ORGANISATION_NAME_MODIFIERS = frozenset(
    [
        "company",
        "business",
        "organization",
        "organisation",
        "org",
        "brand",
        "vendor",
        "bank",
        "insurer",
        "employer",
        "hospital",
        "clinic",
        "pharmacy",
        "school",
        "university",
        "carrier",
        "airline",
        # businesses and clubs ("dealer_name", "agency_name", "team_name"); not provider, partner, broker or
        # landlord, which are as often a person
        *[
            "dealer",
            "dealership",
            "branch",
            "store",
            "shop",
            "firm",
            "lender",
            "practice",
            "agency",
            "club",
            "team",
            "league",
            "venue",
            "hotel",
        ],
        *["restaurant", "garage", "office", "supplier", "manufacturer"],
    ]
)
#: Parents whose ``name``/``legal_name``/``trading_name`` is an organisation's, never a person's.
_ORGANISATION_PARENTS = _ORGANISATION_NAME_MODIFIERS | frozenset(["entity", "merchant", "issuer", "institution"])
_ORGANISATION_NAME_QUALIFIERS = frozenset(["legal", "trading", "registered", "official", "short", "full", "display"])


def _organisation_name(words: tuple[str, ...], parent_words: list[str]) -> bool:
    """The name (or legal/trading/... name) held by an organisation parent."""
    if not parent_words or parent_words[-1] not in _ORGANISATION_PARENTS or words[-1] not in ("name", "names"):
        return False
    return len(words) == 1 or words[-2] in _ORGANISATION_NAME_QUALIFIERS


# Modifiers that make "<modifier>_name" a thing's name (campaign_name, tool_name, ...).
_THING_NAME_MODIFIERS = _ORGANISATION_NAME_MODIFIERS | frozenset(
    [
        "campaign",
        "product",
        "company",
        "organization",
        "organisation",
        "org",
        "file",
        "model",
        "tool",
        "event",
        "brand",
        "list",
        "segment",
        "source",
        "table",
        "column",
        "field",
        "form",
        "app",
        "application",
        "host",
        "domain",
        "bucket",
        "project",
        "team",
        "business",
        "store",
        "vendor",
        "item",
        "plan",
        "feature",
        "stage",
        "step",
        "job",
        "task",
        "asset",
        "template",
        "metric",
        "dataset",
        "channel",
        "city",
        "country",
        "state",
        "street",
        "region",
        "group",
        "role",
        "queue",
        "topic",
        "index",
        "database",
        "schema",
        "function",
        "method",
        "class",
        "module",
        "package",
        "service",
        "server",
        "cluster",
        "node",
        "region",
        "zone",
        "device",
        "browser",
        "os",
        "platform",
        "page",
        "site",
        "screen",
        "course",
        "category",
        "tag",
        "variant",
        "experiment",
        "flag",
        "key",
    ]
)


@dataclass(frozen=True, slots=True)
class FieldHint:
    """What the key says: a PII type (whole value is PII), PERSON, ORGANISATION or nothing."""

    kind: str | None
    #: The PII type when the whole value is PII (set from ``kind``; a plain slot because
    #: the frame path reads it for every value).
    whole_value_type: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        whole = None if self.kind in (None, PERSON, ORGANISATION) else self.kind
        object.__setattr__(self, "whole_value_type", whole)

    def __hash__(self) -> int:  # hints key the per-leaf grouping dicts: keep hashing cheap
        return hash(self.kind)


NO_HINT = FieldHint(None)


def key_words(key: str) -> list[str]:
    ascii_key = _ascii_letters(key)
    if ascii_key.isascii():
        return [w.lower() for w in _SPLIT.findall(ascii_key)]
    # Keys in other scripts (``名前``, ``дата_рождения``, ``전화번호``): each token is read through
    # _SCRIPT_WORDS (as written: NFKD would take Hangul apart); Latin tokens around them are split as
    # usual, unknown ones are dropped.
    words: list[str] = []
    for token in _KEY_TOKEN.findall(key):
        english = _SCRIPT_WORDS.get(token.lower())
        if english is not None:
            words.extend(english)
        elif (latin := _ascii_letters(token)).isascii():
            words.extend(w.lower() for w in _SPLIT.findall(latin))
    return words


_KEY_TOKEN = re.compile(r"[^\s_\-.:/]+")
#: Key words in non-Latin scripts, read as the English words the rules know (a kind of key, like
#: _FOREIGN_WORDS): Japanese, Chinese, Korean, Russian/Ukrainian, Greek, Arabic, Hebrew, Hindi, Thai.
_SCRIPT_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        [
            "名前",
            "氏名",
            "姓名",
            "名字",
            "이름",
            "성명",
            "имя",
            "ім'я",
            "фио",
            "піб",
            "όνομα",
            "اسم",
            "الاسم",
            "שם",
            "नाम",
            "ชื่อ",
        ],
        ("name",),
    ),
    **dict.fromkeys(["姓", "성", "фамилия", "прізвище", "επώνυμο", "اللقب", "नामकरण"], ("last", "name")),
    **dict.fromkeys(["отчество", "батькові"], ("middle", "name")),
    **dict.fromkeys(["生年月日", "出生日期", "생년월일", "дата рождения"], ("dob",)),
    **dict.fromkeys(["誕生日", "生日", "생일", "день"], ("birthday",)),
    **dict.fromkeys(["рождения", "народження", "γέννησης", "الميلاد", "לידה", "जन्म", "เกิด"], ("birth",)),
    **dict.fromkeys(["дата", "ημερομηνία", "تاريخ", "תאריך", "तिथि", "วันเกิด"], ("date",)),
    **dict.fromkeys(
        ["住所", "地址", "住址", "주소", "адрес", "адреса", "διεύθυνση", "العنوان", "عنوان", "כתובת", "पता", "ที่อยู่"],
        ("address",),
    ),
    **dict.fromkeys(
        [
            "電話",
            "電話番号",
            "电话",
            "电话号码",
            "手机",
            "手机号",
            "携帯",
            "전화",
            "전화번호",
            "휴대폰",
            "телефон",
            "тел",
            "τηλέφωνο",
            "هاتف",
            "الهاتف",
            "טלפון",
            "फोन",
            "โทรศัพท์",
        ],
        ("phone",),
    ),
    **dict.fromkeys(
        ["メール", "メールアドレス", "邮箱", "电子邮件", "이메일", "почта", "البريد", "אימייל", "ईमेल"],
        ("email",),
    ),
    **dict.fromkeys(
        [
            "パスポート",
            "パスポート番号",
            "护照",
            "护照号码",
            "여권",
            "여권번호",
            "паспорт",
            "паспорта",
            "διαβατήριο",
            "جواز",
            "דרכון",
            "पासपोर्ट",
        ],
        ("passport",),
    ),
    **dict.fromkeys(
        ["運転免許証", "驾驶证", "驾照", "운전면허", "운전면허번호", "водительское", "права"], ("drivers", "license")
    ),
    **dict.fromkeys(["身份证", "身份证号", "주민등록번호", "マイナンバー", "снилс"], ("ssn",)),
    **dict.fromkeys(["инн", "税号"], ("tax", "id")),
    **dict.fromkeys(["номер", "番号", "号码", "번호", "αριθμός", "رقم", "מספר", "संख्या"], ("number",)),
    **dict.fromkeys(["指紋", "指纹", "지문", "отпечаток", "بصمة"], ("fingerprint",)),
}


def _ascii_letters(key: str) -> str:
    """Accents stripped, case kept (``teléfono`` -> ``telefono``, ``Straße`` -> ``Strasse``): the splitter
    reads ASCII letters, so an accented key would otherwise fall apart into fragments."""
    if key.isascii():
        return key
    decomposed = unicodedata.normalize("NFKD", key.translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: Letters that are not a base letter plus an accent, so NFKD keeps them (``fødselsnummer``, ``Łódź``,
#: Turkish dotless ``ı`` in ``doğum_tarihi``): their usual ASCII spelling.
_UNDECOMPOSED = str.maketrans(
    {"ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "ı": "i", "đ": "d"}
    | {"Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "œ": "oe", "Œ": "OE"}
)


#: Abbreviations expanded before classification ("fname" -> first name, "DLNo" -> drivers
#: license number): keys are read as words, not matched as literal names.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "fname": ("first", "name"),
    "lname": ("last", "name"),
    "mname": ("middle", "name"),
    "sname": ("surname",),
    "gname": ("given", "name"),
    "nm": ("name",),
    "nme": ("name",),
    "dt": ("date",),
    "no": ("number",),
    "nr": ("number",),
    "nbr": ("number",),
    "num": ("number",),
    "addr": ("address",),
    "adr": ("address",),
    "tel": ("phone",),
    "tele": ("phone",),
    "ph": ("phone",),
    "mob": ("mobile",),
    "dl": ("drivers", "license"),
    "dln": ("drivers", "license", "number"),
    "lic": ("license",),
    "licence": ("license",),
    "driving": ("drivers",),
    "driver": ("drivers",),
    "ppt": ("passport",),
    "pp": ("passport",),
    "doc": ("document",),
    "tpl": ("template",),
    "tmpl": ("template",),
    "fein": ("ein",),
    "med": ("medical",),
    "rec": ("record",),
    "medrec": ("medical", "record"),
    "acct": ("account",),
    "acc": ("account",),
    "bio": ("biometric",),
    "biometrics": ("biometric",),
    "dob": ("dob",),
    "bday": ("birthday",),
    "e": ("e",),
    "sec": ("security",),
    "ss": ("social", "security"),
    "mr": ("medical", "record"),
    "ref": ("reference",),
    "ni": ("national", "insurance"),
}
#: Key words of other languages (German, Spanish, French, Portuguese, Italian, Dutch; accents stripped) read as
#: the English words the rules know: ``geburtsdatum`` -> birth date, ``fecha_nacimiento`` -> date birth -> dob.
#: A kind of key, not a list of keys: every rule (pairs, parents, heads) then applies to them as to English.
_FOREIGN_WORDS: dict[str, tuple[str, ...]] = {
    # names
    **dict.fromkeys(["vorname", "prenom", "nombre", "voornaam"], ("first", "name")),
    "primeiro": ("first",),
    **dict.fromkeys(
        ["nachname", "familienname", "apellido", "apellidos", "sobrenome", "cognome", "achternaam"], ("last", "name")
    ),
    **dict.fromkeys(["nom", "nome", "naam"], ("name",)),
    # dates of birth
    **dict.fromkeys(["geburtsdatum", "geboortedatum"], ("birth", "date")),
    **dict.fromkeys(["geburtstag", "cumpleanos", "anniversaire", "aniversario", "compleanno"], ("birthday",)),
    **dict.fromkeys(["nacimiento", "naissance", "nascimento", "nascita", "geburt", "geboorte"], ("birth",)),
    **dict.fromkeys(["fecha", "datum"], ("date",)),  # not "data": an English key word too
    # addresses
    **dict.fromkeys(
        ["anschrift", "adresse", "direccion", "domicilio", "endereco", "indirizzo", "adres", "morada", "residence"],
        ("address",),
    ),
    **dict.fromkeys(["strasse", "calle", "rue", "logradouro", "straat"], ("street",)),
    # phones
    **dict.fromkeys(["telefon", "telefono", "telefone", "telefoon", "fono"], ("phone",)),
    **dict.fromkeys(["handy", "mobil", "movil", "celular", "cellulare", "mobiel"], ("mobile",)),
    # identity documents
    **dict.fromkeys(["reisepass", "pasaporte", "passeport", "passaporte", "passaporto", "paspoort"], ("passport",)),
    **dict.fromkeys(["fuehrerschein", "fuhrerschein", "rijbewijs", "cnh", "patente"], ("drivers", "license")),
    **dict.fromkeys(["licencia", "permis", "carteira", "licenca"], ("license",)),
    **dict.fromkeys(["conducir", "conduire", "conduccion", "motorista", "habilitacao"], ("drivers",)),
    **dict.fromkeys(["nummer", "numero", "nro"], ("number",)),
    # money and tax
    **dict.fromkeys(
        ["steuernummer", "steuerid", "nif", "nie", "dni", "cuit", "codice", "fiscale", "identifikationsnummer"],
        ("tax", "id"),
    ),
    **dict.fromkeys(["fiscal", "steuerliche", "steuer"], ("tax",)),
    **dict.fromkeys(["kontonummer", "rekeningnummer"], ("account", "number")),
    **dict.fromkeys(["konto", "cuenta", "compte", "conta", "conto", "rekening"], ("account",)),
    # Nordic, Polish, Turkish, Finnish, Indonesian, Vietnamese and romanised Japanese / Hindi keys
    **dict.fromkeys(["namn", "navn", "nimi", "nama", "isim", "namae", "shimei"], ("name",)),
    **dict.fromkeys(["fornamn", "fornavn", "etunimi", "imie"], ("first", "name")),
    **dict.fromkeys(
        ["efternamn", "efternavn", "etternavn", "sukunimi", "nazwisko", "soyad", "soyadi", "soyisim"], ("last", "name")
    ),
    **dict.fromkeys(["fodelsedatum", "fodselsdato", "syntymaaika", "seinengappi", "geboortedag"], ("birth", "date")),
    **dict.fromkeys(["fodelsedag", "fodselsdag", "syntymapaiva"], ("birthday",)),
    **dict.fromkeys(["urodzenia", "dogum", "lahir", "sinh", "janm", "syntyma"], ("birth",)),
    **dict.fromkeys(["tarih", "tarihi", "tanggal", "ngay", "tithi", "dato"], ("date",)),
    **dict.fromkeys(["adress", "osoite", "alamat", "adresi", "jusho", "juusho"], ("address",)),
    **dict.fromkeys(["gata", "gatan", "ulica", "sokak", "katu"], ("street",)),
    **dict.fromkeys(["telefonnummer", "denwabango"], ("phone", "number")),
    **dict.fromkeys(["puhelin", "telepon", "telefonu", "denwa"], ("phone",)),
    **dict.fromkeys(["mobilnummer"], ("mobile", "number")),
    **dict.fromkeys(["passnummer", "passinumero"], ("passport", "number")),
    "korkortsnummer": ("drivers", "license", "number"),
    "lengkap": ("full",),
    **dict.fromkeys(["paszport", "paszportu", "pasaport", "passi", "paspor", "ryoken"], ("passport",)),
    **dict.fromkeys(
        ["korkort", "korekort", "forerkort", "ajokortti", "ehliyet", "menkyo", "menkyosho"], ("drivers", "license")
    ),
    **dict.fromkeys(["numer", "nomor", "numara", "numarasi", "numeroa"], ("number",)),
    **dict.fromkeys(["vergi", "skatt", "skattenummer", "vero"], ("tax",)),
    **dict.fromkeys(["personalausweis", "ausweisnummer"], ("passport",)),
    **dict.fromkeys(["sozialversicherungsnummer", "svnr", "cmnd", "cccd"], ("ssn",)),
    # national numbers named by their own word (pesel, personnummer, bsn, curp, ...): osa.pii.national_ids
    **{key: ("ssn",) if pii_type == "ssn" else ("tax", "id") for key, pii_type in NATIONAL_ID_KEYS.items()},
    # more dates of birth, e-mail, identity, bank and address words (abbreviations included)
    **dict.fromkeys(["nac", "nasc", "geb", "janam", "geboren", "fodt", "fodd", "syntynyt", "born"], ("birth",)),
    **dict.fromkeys(["gebdat", "gebdatum", "bdate", "bdt", "birthdt"], ("birth", "date")),
    **dict.fromkeys(["tanjoubi", "tanjobi"], ("birthday",)),
    **dict.fromkeys(["fec", "tgl"], ("date",)),
    # "electronic" in correo electrónico, courrier électronique, posta elettronica: the word before says it
    **dict.fromkeys(["electronico", "electronique", "eletronico", "elettronica", "elektronik"], ()),
    **dict.fromkeys(["epost", "sahkoposti", "correo", "courriel", "courrier", "posta", "surel", "emel"], ("email",)),
    **dict.fromkeys(["ktp", "cedula", "nid", "kimlikno"], ("ssn",)),
    **dict.fromkeys(["bancaria", "bancario", "bancaire", "bankowe", "bankowy"], ("bank",)),
    **dict.fromkeys(["bsb", "clabe", "cbu", "rib"], ("bank", "account")),
    **dict.fromkeys(["ikametgah", "zamieszkania", "wohnanschrift"], ("address",)),
    **dict.fromkeys(["kunde", "kunden", "cliente", "klant", "kund"], ("customer",)),
    "pas": ("passport",),
    # biometrics
    **dict.fromkeys(
        ["biometrie", "biometria", "biometrico", "biometrique", "biometrisch", "biometrik", "biometri", "biometryczny"],
        ("biometric",),
    ),
    **dict.fromkeys(
        ["huella", "empreinte", "impronta", "vingerafdruk", "fingeravtryck", "fingerabdruck", "odcisk", "sormenjalki"],
        ("fingerprint",),
    ),
    **dict.fromkeys(["dactilar", "digitale", "dactiloscopica", "digitali", "palca"], ("print",)),
    **dict.fromkeys(["plantilla", "gabarit", "vorlage", "sjabloon", "szablon"], ("template",)),
    **dict.fromkeys(["rostro", "visage", "gesicht", "gezicht", "ansikte", "twarz", "viso", "rosto", "yuz"], ("face",)),
    **dict.fromkeys(["iride", "iiris", "teczowka"], ("iris",)),
    **dict.fromkeys(["stimme", "voz", "voix", "voce"], ("voice",)),
    # health
    **dict.fromkeys(["patientennummer", "krankenaktennummer"], ("medical", "record")),
    **dict.fromkeys(["versichertennummer", "mbi"], ("medical", "record")),
    **dict.fromkeys(["prontuario", "uhid", "journalnummer", "patientnummer"], ("medical", "record")),
    **dict.fromkeys(["kvnr", "krankenversichertennummer"], ("medical", "record")),
    **dict.fromkeys(["rvnr", "rentenversicherungsnummer"], ("ssn",)),
    # health cards and numbers named by their scheme: Ontario OHIP, Australia IHI, New Zealand NHI, British
    # Columbia PHN, India ABHA, the European health insurance card, Spain's tarjeta sanitaria, France's carte Vitale
    **dict.fromkeys(
        ["ohip", "ihi", "nhi", "phn", "abha", "ehic", "healthcard", "sanitaria", "vitale"], ("medical", "record")
    ),
    # identity numbers named by their scheme or card: Saudi iqama, Serbian JMBG, Slovenian EMŠO, Russian SNILS,
    # Pakistan CNIC, Hong Kong HKID, Malaysia MyKad, Nigeria NIN and BVN
    **dict.fromkeys(["iqama", "jmbg", "emso", "snils", "cnic", "hkid", "mykad", "nin", "bvn"], ("ssn",)),
    "tfn": ("tax", "id"),  # Australia's tax file number
    "ird": ("tax",),  # New Zealand's IRD number
    "steueridentifikationsnummer": ("tax", "id"),
    "afm": ("tax", "id"),  # Greece
    **dict.fromkeys(["huduma", "rijksregisternummer"], ("ssn",)),
    **dict.fromkeys(["identidad", "identite", "identita", "identiteit", "identidade"], ("identity",)),
    # identity cards by their own word: Polish dowód (osobisty), German Ausweis, Dutch identiteitskaart, Finnish
    # henkilökortti, Swedish legitimation; residence permits (Aufenthaltstitel, the UK's BRP) are held like passports
    **dict.fromkeys(["dowod", "dowodu", "ausweis", "identiteitskaart", "identiteitsbewijs", "henkilokortti"], ("ssn",)),
    "legitimation": ("ssn",),
    **dict.fromkeys(["osobisty", "ciudadania"], ()),  # "personal", "citizenship": the card word says it
    **dict.fromkeys(["aufenthaltstitel", "brp"], ("passport",)),
    # transliterated Hindi (janmdin, ghar ka pata, bank khata sankhya, ungli chhap)
    **dict.fromkeys(["janmdin", "janamdin"], ("birthday",)),
    **dict.fromkeys(["pata", "patta"], ("address",)),
    "ghar": ("home",),
    **dict.fromkeys(["khata", "khaata"], ("account",)),
    **dict.fromkeys(["sankhya", "kramank"], ("number",)),
    "ungli": ("finger",),
    **dict.fromkeys(["chhap", "chhaap", "chaap"], ("print",)),
    **dict.fromkeys(["pehla", "pahla"], ("first",)),
    "kul": ("family",),
    **dict.fromkeys(["pita", "pitaji"], ("father",)),
    **dict.fromkeys(["mata", "mataji"], ("mother",)),
    # romanised Japanese (koza bango, menkyosho bango, kojin bango, kao tokucho)
    **dict.fromkeys(["koza", "kouza", "kooza"], ("account",)),
    **dict.fromkeys(["bango", "bangou", "bangoo"], ("number",)),
    "kao": ("face",),
    **dict.fromkeys(["tokucho", "tokuchou", "tokuchoo"], ("features",)),
    "shimon": ("fingerprint",),
    "unten": ("drivers",),
    # Indonesian and Vietnamese (nama depan / belakang, no rek, họ tên, số tài khoản, mã số thuế)
    "depan": ("first",),
    "belakang": ("last",),
    "rek": ("account",),
    "wajah": ("face",),
    **dict.fromkeys(["liveness", "selfie"], ("face",)),  # a liveness check's template is a face template
    "ten": ("name",),
    "apelido": ("last", "name"),  # Portugal's apelido is the surname (Brazil's a nickname: personal too)
    # Romance adjectives after their noun (adresse postale, indirizzo postale): the noun says it
    "postale": (),
}
#: Words joining the parts of a key in those languages (``fecha_de_nacimiento``, ``numero_do_passaporte``):
#: dropped between two other words.
_JOINING_WORDS = frozenset(
    ["de", "del", "di", "da", "do", "du", "des", "dos", "la", "le", "von", "van", "der", "ka", "ki", "ke"]  # Hindi ka
)
#: Synonyms for a whole (expanded) word sequence: a travel document number is a passport number.
_SYNONYMS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("travel", "document"): ("passport",),
    ("employer", "id"): ("ein",),
    ("employer", "identification"): ("ein",),
    ("date", "birth"): ("dob",),
    ("license", "drivers"): ("drivers", "license"),  # licencia de conducir, permis de conduire
    ("number", "passport"): ("passport", "number"),  # numero de pasaporte
    ("number", "drivers", "license"): ("drivers", "license", "number"),
    ("number", "account"): ("account", "number"),
    ("number", "phone"): ("phone", "number"),
    ("number", "mobile"): ("mobile", "number"),
    ("id", "tax"): ("tax", "id"),
    ("number", "tax"): ("tax", "number"),  # numero fiscal
    ("tax", "tax", "id"): ("tax", "id"),  # steuerliche Identifikationsnummer
    ("data", "birth"): ("dob",),  # data de nascimento, data di nascita
    ("medicare", "beneficiary"): ("medicare",),
    ("health", "insurance", "number"): ("medical", "record", "number"),
    ("health", "insurance", "id"): ("medical", "record", "number"),
    ("health", "card"): ("medical", "record"),
    ("health", "id"): ("medical", "record", "number"),
    ("health", "number"): ("medical", "record", "number"),  # personal health number, NHS-style
    ("teudat", "zehut"): ("ssn",),
    ("emirates", "id"): ("ssn",),
    ("civil", "id"): ("ssn",),  # Kuwait, Oman
    ("citizen", "id"): ("ssn",),
    ("thai", "id"): ("ssn",),
    ("ghana", "card"): ("ssn",),
    ("resident", "registration", "number"): ("ssn",),  # Korea's RRN
    ("ic", "number"): ("ssn",),  # Malaysia, Singapore identity card
    ("ic", "no"): ("ssn",),
    ("carte", "identity"): ("identity", "card"),  # carte d'identité
    ("number", "identity"): ("identity", "number"),  # numéro d'identité
    ("documento", "identity"): ("identity", "document"),
    ("cedula", "identity"): ("ssn",),
    ("ssn", "identity"): ("ssn",),
    ("ssn", "card"): ("ssn",),  # national ID card
    ("carta", "identity"): ("ssn",),  # carta d'identità
    ("cartao", "cidadao"): ("ssn",),  # Portugal's cartão de cidadão
    ("id", "kaart"): ("ssn",),
    ("id", "kort"): ("ssn",),
    ("clave", "elector"): ("ssn",),  # Mexico's voter credential
    ("address", "permit"): ("passport",),  # residence permit ("residence" reads as address)
    ("permiso", "residencia"): ("passport",),
    ("alien", "number"): ("ssn",),  # a US alien registration number
    ("uscis", "number"): ("ssn",),
    ("id", "card"): ("ssn",),
    ("government", "id"): ("ssn",),
    ("govt", "id"): ("ssn",),
    ("gov", "id"): ("ssn",),
    ("government", "issued", "id"): ("ssn",),
    ("gov", "issued", "id"): ("ssn",),
    ("personal", "identification", "number"): ("ssn",),
    ("personal", "id", "code"): ("ssn",),  # Estonia's isikukood
    ("personal", "code"): ("ssn",),  # the Baltic states' personal code
    ("asmens", "kodas"): ("ssn",),
    ("personas", "kods"): ("ssn",),
    ("rodne", "cislo"): ("ssn",),
    ("birth", "number"): ("ssn",),  # Czech and Slovak rodné číslo (a date of birth is birth *date*)
    ("national", "registry", "number"): ("ssn",),  # Belgium's rijksregisternummer
    ("registre", "national"): ("ssn",),
    ("numero", "national"): ("ssn",),
    ("burger", "service", "number"): ("ssn",),  # the Dutch BSN, spelled out
    ("natl", "id"): ("ssn",),
    ("nat", "id"): ("ssn",),
    ("state", "id", "number"): ("ssn",),
    ("fin", "number"): ("ssn",),  # Singapore's foreign identification number
    ("sa", "id", "number"): ("ssn",),
    ("nida", "number"): ("ssn",),
    ("voter", "card"): ("ssn",),
    ("tax", "code"): ("tax", "id"),  # Italy's codice fiscale, in English
    ("kra", "pin"): ("tax", "id"),  # Kenya
    ("health", "plan"): ("healthplan",),
    ("hospital", "number"): ("medical", "record", "number"),  # a UK hospital number is the MRN
    ("securite", "sociale"): ("social", "security"),  # numéro de sécurité sociale
    ("seguro", "social"): ("social", "security"),  # número de seguro social
    ("seguridad", "social"): ("social", "security"),
    ("previdenza", "sociale"): ("social", "security"),
    ("prawo", "jazdy"): ("drivers", "license"),  # prawo jazdy
    ("prawa", "jazdy"): ("drivers", "license"),  # numer prawa jazdy
    ("ho", "name"): ("full", "name"),  # họ tên (tên: name)
    ("ho", "va", "name"): ("full", "name"),
    ("dia", "chi"): ("address",),  # địa chỉ
    ("dien", "thoai"): ("phone",),  # điện thoại
    ("so", "phone"): ("phone", "number"),  # số điện thoại
    ("ho", "chieu"): ("passport",),  # hộ chiếu
    ("birth", "birth", "date"): ("dob",),
    # Romance order, noun first: plantilla (de) huella, modèle de visage
    **{
        ("template", part): (part, "template") for part in ("fingerprint", "face", "iris", "voice", "palm", "biometric")
    },
    ("f", "birth"): ("dob",),  # f_nac: fecha de nacimiento
    ("d", "o", "b"): ("dob",),
    ("e", "post"): ("email",),
    ("pass", "number"): ("passport", "number"),  # passnr, Pass-Nr.
    ("national", "id"): ("ssn",),
    ("national", "identification"): ("ssn",),
    ("identity", "number"): ("ssn",),
    ("identity", "card"): ("ssn",),
    ("voter", "id"): ("ssn",),
    ("pan", "card"): ("tax", "id"),  # India's PAN card
    ("account", "bank"): ("bank", "account"),  # conta bancária
    ("historia", "clinica"): ("medical", "record"),  # historia clínica
    ("cartella", "clinica"): ("medical", "record"),
    ("dossier", "medical"): ("medical", "record"),
    ("rekam", "medis"): ("medical", "record"),
    ("f", "name"): ("first", "name"),
    ("l", "name"): ("last", "name"),
    ("m", "name"): ("middle", "name"),
    # noun first (nama depan, nama belakang)
    ("name", "first"): ("first", "name"),
    ("name", "last"): ("last", "name"),
    ("name", "family"): ("family", "name"),
    # an identity document's number is a national identity number
    ("id", "document"): ("ssn",),
    ("identity", "document"): ("ssn",),
    ("identification", "document"): ("ssn",),
    ("my", "number"): ("ssn",),  # Japan's My Number (kojin bango, mai nanba)
    ("kojin", "number"): ("ssn",),
    ("mai", "nanba"): ("ssn",),
    ("tax", "reference"): ("tax", "id"),  # UK tax reference (UTR)
    ("tai", "khoan"): ("account",),  # tài khoản
    ("so", "account"): ("account", "number"),  # số tài khoản
    ("ma", "so", "thue"): ("tax", "id"),  # mã số thuế
    ("khuon", "mat"): ("face",),  # khuôn mặt
    ("du", "lieu"): ("data",),  # dữ liệu
    ("van", "tay"): ("fingerprint", "data"),  # vân tay (a bare "fingerprint" may be a browser's)
    ("sidik", "jari"): ("fingerprint", "data"),
    ("number", "sim"): ("drivers", "license", "number"),  # nomor SIM: Indonesia's driving licence
    ("bang", "lai"): ("drivers", "license"),  # bằng lái
}
#: Heads that name "the value of" the word before them: ``ssnValue``, ``ibanCode``, ``mrnId``.
_VALUE_HEADS = frozenset(["value", "val", "str", "text", "txt", "raw", "string", "full", "complete", "completo"])
#: Id-like heads that keep the identifier type of the word before (``mrnId``, ``passportId``,
#: ``ibanCode``), but never make a contact type (``phone_id`` is a device, ``email_id`` aside).
_ID_HEADS = frozenset(["id", "code", "identifier"])
_ID_TYPES = frozenset(["ssn", "passport", "drivers_license", "tax_id", "medical_record", "bank_account", "biometric"])
#: Parent keys (dict keys above a value, through lists) that hold a person.
_PERSON_PARENTS = frozenset(
    [
        "contact",
        "person",
        "people",
        "tester",
        "member",
        "patient",
        "owner",
        "staff",
        "applicant",
        "subject",
        "customer",
        "client",
        "user",
        "employee",
        "attendee",
        "participant",
        "guest",
        "traveler",
        "traveller",
        "passenger",
        "lead",
        "prospect",
        "recipient",
        "sender",
        "guardian",
        "spouse",
        "holder",
        "cardholder",
        "signer",
        "name",
        "emergency",
        "beneficiary",
        "student",
        "doctor",
        "physician",
        "nurse",
        "manager",
        "rep",
        "representative",
        "agent",
        "requester",
        "reporter",
        "assignee",
        "author",
        "tenant",
        "insured",
        "policyholder",
        "caller",
        "visitor",
        "volunteer",
        "candidate",
        "reference",
        "kin",
    ]
) | (PERSON_ROLES - {"parents"})  # {"parent": {"name": ...}} is as often a category tree
#: Leaf keys that are a part of a person's name when the parent holds a person.
_NAME_PARTS = frozenset(
    ["first", "last", "given", "family", "full", "middle", "surname", "forename", "display", "name", "legal"]
)
#: Leaf words that are the encoded template when the parent is biometric.
_BIOMETRIC_LEAVES = frozenset(
    [
        "template",
        "minutiae",
        "hash",
        "data",
        "blob",
        "print",
        "code",
        "vector",
        "embedding",
        "encoding",
        "sample",
        "image",
        "b64",
        "base64",
        "hex",
        "features",
        "descriptor",
        "payload",
        "geometry",
    ]
)
_BIOMETRIC_WORDS = frozenset(
    ["biometric", "fingerprint", "finger", "face", "facial", "iris", "retina", "palm", "vein", "voice", "minutiae"]
)
#: Child keys that never inherit a parent's type ({"patient": {"role": ...}}, {"biometric": {"capturedAt": ...}}).
_NO_INHERIT = frozenset(
    [
        "role",
        "roles",
        "title",
        "position",
        "department",
        "dept",
        "team",
        "device",
        "model",
        "vendor",
        "quality",
        "notes",
        "note",
        "comment",
        "comments",
        "description",
        "reason",
        "by",
        "method",
        "algorithm",
        "algo",
        "channel",
        "relationship",
        "relation",
        "gender",
        "language",
        "locale",
        "timezone",
        "tz",
        "currency",
        # when a document was issued or expires, and by whom: not the identifier itself
        "expiry",
        "expires",
        "expiration",
        "expire",
        "issued",
        "issue",
        "issuer",
        "issuing",
        "authority",
        "valid",
        "validity",
        "until",
    ]
)


#: Heads that say nothing alone and take the parent's words before them (``birth.date`` -> birth date). Not
#: ``id``: ``{"patient": {"id": <uuid>}}`` is the record's id (FHIR ``Patient.id``), not the patient's MRN.
_COMPOSING_HEADS = frozenset(["date", "number", "no", "identifier", "code", "value", "data", "template"])
#: ``id_number``, ``idNo``: under a person, the number of their identity document.
_IDENTITY_NUMBER_KEYS = frozenset([("id", "number"), ("identity", "number"), ("identification", "number")])
#: Parents under which an ``account`` is a bank account, not a customer organisation.
_BANKING_PARENTS = frozenset(["bank", "banking", "deposit", "payout", "ach", "wire", "remittance", "iban", "routing"])
#: Health-plan member ids (``medicare_id``, ``insurance.member_id``, ``patient.subscriberId``) identify a
#: person's coverage and are held like a medical record number: an id or number whose key names a member
#: of a health plan, and whose key or parent names the plan.
_PLAN_MEMBER_WORDS = frozenset(["member", "subscriber", "beneficiary", "medicare", "medicaid", "healthplan"])
_HEALTH_PLAN_WORDS = frozenset(
    ["medicare", "medicaid", "healthplan", "insurance", "insurer", "insured", "coverage", "payer", "patient"]
)


def _health_plan_id(words: tuple[str, ...], parent_words: list[str]) -> bool:
    if len(words) < 2 or words[-1] not in ("id", "number", "identifier"):
        return False
    return any(w in _PLAN_MEMBER_WORDS for w in words) and any(w in _HEALTH_PLAN_WORDS for w in (*words, *parent_words))


def _thing_name(modifier: str) -> FieldHint:
    """The name of a thing: an organisation's (scanned as text, never a person) or another thing's."""
    return FieldHint(ORGANISATION if modifier in _ORGANISATION_NAME_MODIFIERS else None)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=8192)
def expanded_words(key: str) -> tuple[str, ...]:
    """Key words with abbreviations expanded and synonyms applied (``travelDocNo`` -> passport number)."""
    read = key_words(key)
    words: list[str] = []
    for i, word in enumerate(read):
        if word in _JOINING_WORDS and 0 < i < len(read) - 1:
            continue
        for part in _compound_parts(word):
            for english in _FOREIGN_WORDS.get(part, (part,)):
                words.extend(_ABBREVIATIONS.get(english, (english,)))
    for phrase, replacement in _SYNONYMS.items():
        size = len(phrase)
        for i in range(len(words) - size + 1):
            if tuple(words[i : i + size]) == phrase:
                words[i : i + size] = replacement
                break
    return tuple(words)


#: Heads that German, Dutch and Nordic keys glue to the word before them (``lieferadresse``,
#: ``telefonnr``, ``reisepassnummer``, ``hemadress``): a word ending in one is read as two.
_COMPOUND_HEADS = ("anschrift", "adresse", "adress", "adres", "nummer", "numer", "datum", "dato", "nr")
#: Heads that split only after a word the tables know (``kundenname``; not ``username``, ``hostname``).
_KNOWN_PREFIX_HEADS = ("name", "namn", "naam", "navn")


def _compound_parts(word: str) -> tuple[str, ...]:
    """``word``, or its two parts when it is an unknown compound of a known head."""
    if len(word) < 6 or word in _FOREIGN_WORDS or word in _ABBREVIATIONS or word in _EXACT:
        return (word,)
    for head in _COMPOUND_HEADS:
        if word.endswith(head) and len(word) - len(head) >= 2:
            return (word[: -len(head)], head)
    for head in _KNOWN_PREFIX_HEADS:
        if word.endswith(head) and word[: -len(head)] in _FOREIGN_WORDS:
            return (word[: -len(head)], head)
    return (word,)


@lru_cache(maxsize=65536)
def is_type_key(key: str) -> bool:
    """``type``, ``documentType``, ``doc_kind``, ``document``: a key that says what kind of thing its siblings
    describe (``{"document": "passport", "number": ...}``)."""
    words = expanded_words(key)
    return words[-1:] in (("type",), ("kind",)) or words == ("document",)


#: Keys holding the question or field label of a question/answer or key/value pair, and keys holding its
#: answer: ``{"q": "Date of birth", "a": ...}``, ``{"field": "ssn", "value": ...}``.
LABEL_KEYS = frozenset(
    k
    for word in ("q", "question", "label", "prompt", "field", "field_name", "fieldName", "key", "attribute", "title")
    for k in (word, word.capitalize(), word.upper())
)
ANSWER_KEYS = frozenset(
    k
    for word in ("a", "answer", "value", "val", "v", "response", "reply", "ans", "input", "text", "data")
    for k in (word, word.capitalize(), word.upper())
)
#: Types whose answers hold digits; a label naming them over an answer without one ("Do you have a
#: passport?" -- "Yes") is a question about the thing, not the thing.
_DIGIT_TYPES = frozenset(["ssn", "passport", "drivers_license", "tax_id", "medical_record", "bank_account", "dob"])


@lru_cache(maxsize=8192)
def label_hint(label: str) -> FieldHint:
    """What a question or field label says its answer is: the label read as a key (``What is your date of
    birth?`` -> dob). People and contact types are left to the answer's shape (PERSON)."""
    if len(label) > 120:
        return NO_HINT
    hint = classify_field(label.split("(", 1)[0])
    if hint.kind in ("name", "email", "phone"):
        return FieldHint(PERSON)
    return hint


def answer_hint(hint: FieldHint, answer: str) -> FieldHint:
    """``hint`` for an answer, unless the answer cannot be one (no digit where the type needs them)."""
    if hint.kind in _DIGIT_TYPES and not any(c.isdigit() for c in answer):
        return NO_HINT
    return hint


@lru_cache(maxsize=65536)
def is_number_key(key: str) -> bool:
    """``number``, ``document_number``, ``docNo``, ``id``: a key holding an identifier of unstated kind."""
    return expanded_words(key)[-1:] in (("number",), ("id",), ("identifier",))


def document_type(value: str) -> str | None:
    """The identifier type a value of a type key names (``passport``, ``Driver's License``, ``DL``), or None:
    ``{"type": "passport", "number": "X1234567"}`` holds a passport number."""
    if len(value) > 40:
        return None
    kind = classify_field(value.replace("'", "").replace("’", "").strip()).whole_value_type
    return kind if kind in _ID_TYPES else None


@lru_cache(maxsize=65536)
def inherits(key: str, parent_kind: str | None = None) -> bool:
    """Whether an unclassified child key may take its parent's type. Under a date of birth only the date's
    parts do (``{"birth": {"date": ..., "place": "Köln"}}``: the place is not the date)."""
    words = expanded_words(key)
    if parent_kind == "dob":
        return any(w in _DATE_PARTS for w in words)
    return not any(w in _NO_INHERIT or w in _NEUTRAL_HEADS for w in words)


_DATE_PARTS = frozenset(["date", "day", "month", "year", "dd", "mm", "yyyy", "yy", "iso", "value", "text", "raw"])


@lru_cache(maxsize=8192)
def classify_field(key: str | None, parent: str | None = None) -> FieldHint:
    """Classify a key into a FieldHint, reading the parent key when the key alone is not enough.

    ``key`` may be a path (``contacts[0].first``): its last component is the key and the one
    before it the parent. ``{"testers": [{"first": ...}]}`` is a name, ``{"biometrics":
    {"faceHash": ...}}`` a biometric template, while ``first`` or ``faceHash`` alone are not.
    """
    if not key:
        return NO_HINT
    if parent is None and ("." in key or "[" in key):
        parts = [p for p in re.split(r"\[\d*\]|\.", key) if p]
        if not parts:
            return NO_HINT
        key, parent = parts[-1], (parts[-2] if len(parts) > 1 else None)
    words = expanded_words(key)
    hint = _classify_words(words)
    parent_words = [_singular(w) for w in expanded_words(parent)] if parent else []
    if words == ("to",) and any(w in _JOURNEY_WORDS for w in parent_words):
        return NO_HINT  # {"trip": {"from": "Leeds", "to": "York"}}: a place, not a recipient
    if words == ("address",) and parent_words and parent_words[-1] in _ADDRESS_KINDS:
        return _classify_list([parent_words[-1], "address"])  # {"email": {"address": ...}}, {"ip": {"address": ...}}
    if hint.kind in ("name", PERSON) and _organisation_name(words, parent_words):
        return FieldHint(ORGANISATION)  # {"entity": {"legal_name": "Vodafone GmbH"}}
    if hint.whole_value_type is not None:
        return hint
    if hint.kind == ORGANISATION:
        if words[-1] == "account" and any(w in _BANKING_PARENTS for w in parent_words):
            return FieldHint("bank_account")  # {"direct_deposit": {"acct": ...}}: an account at a bank
        return hint
    if _health_plan_id(words, parent_words):
        return FieldHint("medical_record")
    if parent is None or not words:
        return hint
    if words in (("name",), ("names",)) and parent_words and parent_words[-1] in _THING_NAME_MODIFIERS:
        return _thing_name(parent_words[-1])  # {"items": [{"name": "Merino Wool Beanie"}]}, {"bank": {"name": ...}}
    if words and all(w in _NAME_PARTS for w in words) and any(w in _PERSON_PARENTS for w in parent_words):
        return FieldHint("name")
    if any(w in _BIOMETRIC_LEAVES for w in words) and (
        any(w in _BIOMETRIC_WORDS for w in parent_words) or _classify_words(tuple(parent_words)).kind == "biometric"
    ):
        return FieldHint("biometric")
    if words[-1] in _COMPOSING_HEADS and hint.kind is None and _classify_list(parent_words).kind != ORGANISATION:
        # A bare head takes its meaning from the parent: {"birth": {"date": ...}}, {"passport": {"no": ...}}; not
        # an organisation's ({"account": {"number": ...}} is the customer account's number).
        composed = _classify_list([*parent_words, *words])
        if composed.whole_value_type is not None:
            return composed
    if words in _IDENTITY_NUMBER_KEYS and any(w in _PERSON_PARENTS for w in parent_words):
        return FieldHint("ssn")  # {"employee": {"id_number": ...}}: a person's ID number is their identity number
    if words[-1] == "identifier" and "name" in parent_words:
        return FieldHint("name")  # IVMS101 travel rule: nameIdentifier[].primaryIdentifier / secondaryIdentifier
    return hint


#: Parents whose ``to`` is a place: a journey's, a shipment's or a transfer's destination.
_JOURNEY_WORDS = frozenset(
    ["trip", "ride", "route", "journey", "flight", "leg", "segment", "travel", "transfer", "shipment", "move"]
    + ["delivery", "transit", "itinerary", "booking", "fare", "train", "bus", "path", "range", "period", "span"]
)
#: Parents that make a bare ``address`` something other than a postal address.
_ADDRESS_KINDS = frozenset(["email", "mail", "ip", "mac", "wallet", "web", "url", "server"])


def _classify_words(words: tuple[str, ...]) -> FieldHint:
    return _classify_list(list(words))


def _classify_list(words: list[str]) -> FieldHint:
    if not words:
        return NO_HINT
    head = words[-1]
    # Trailing numbers ("address_line_1", "email2") do not change the meaning.
    while len(words) > 1 and head.isdigit():
        words = words[:-1]
        head = words[-1]
    # "ssnValue", "passportNumberText": the value of the words before.
    while len(words) > 1 and head in _VALUE_HEADS:
        words = words[:-1]
        head = words[-1]
    if head in ("line",) and "address" in words:
        return FieldHint("address")
    if head in _NEUTRAL_HEADS and len(words) > 1:
        # "patient_id" and "passport_id" are identifiers; "email_id" is usually the address.
        pair = (words[-2], head)
        if pair in _PAIRS:
            return FieldHint(_PAIRS[pair])
        if head == "id" and words[-2] in ("email", "mail"):
            return FieldHint("email")
        if head in _ID_HEADS:
            inner = _classify_list(words[:-1])
            if inner.kind in _ID_TYPES:
                return inner
        if head in ("date", "dt") and words[-2] in ("dob", "birth", "birthday"):
            return FieldHint("dob")
        return NO_HINT
    if len(words) > 1:
        pair = (words[-2], head)
        if pair in _PAIRS:
            return FieldHint(_PAIRS[pair])
    if head in ("name", "names"):
        if len(words) == 1:
            return FieldHint(PERSON)  # ambiguous: decided by the value's shape
        modifier = words[-2]
        if modifier in _PERSON_NAME_MODIFIERS:
            return FieldHint("name")
        if modifier in _THING_NAME_MODIFIERS:
            return _thing_name(modifier)
        return FieldHint(PERSON)
    if head in ("address", "addresses"):
        if len(words) > 1 and words[-2] in ("mac", "wallet", "btc", "eth", "contract", "web", "url", "server", "ip"):
            return NO_HINT if words[-2] != "ip" else FieldHint("ip_address")
        return FieldHint("address")
    if head in ("number", "no", "num") and len(words) > 1:
        if len(words) > 2 and (words[-3], words[-2]) in _PAIRS:  # social_security_number
            return FieldHint(_PAIRS[(words[-3], words[-2])])
        if words[-2] in ("id", "identification") and len(words) > 2:  # tax_id_number
            return _classify_list(words[:-1])
        return FieldHint(_EXACT[words[-2]]) if _EXACT.get(words[-2]) not in (None, PERSON, ORGANISATION) else NO_HINT
    if head in _EXACT:
        return FieldHint(_EXACT[head])
    if "email" in words[:-1] and head in ("to", "from"):
        return FieldHint("email")
    if (singular := _singular(head)) != head:
        # A list of values is named in the plural: face_embeddings, voiceprints, passport_numbers.
        plural = _classify_list([*words[:-1], singular])
        if plural.whole_value_type is not None:
            return plural
    return NO_HINT
