"""National identification and tax numbers outside the US and UK, declared once.

Each scheme names its python-stdnum module (which knows the checksum, the date inside the number and the
format), the PII type, the labels that introduce it in text, the key words that name it as a field, and, for
numbers whose written form is distinctive enough that shape plus checksum rarely fire by chance, the shape
that is recognised without a label. The recognizers in ``recognizers.py`` and the key words in ``fields.py``
are derived from this table; the tests run every example through both.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType


@dataclass(frozen=True)
class Scheme:
    """One country's number. ``labels`` are regex alternatives (matched case-insensitively before the value);
    ``keys`` are key words (ASCII, lower case) that make the whole value under them this type; ``standalone``
    is a regex of the written form accepted without a label (checksum still required)."""

    module_name: str
    pii_type: str
    labels: tuple[str, ...]
    example: str
    keys: tuple[str, ...] = ()
    standalone: str | None = None

    @cached_property
    def module(self) -> ModuleType:
        return importlib.import_module(f"stdnum.{self.module_name}")

    def valid(self, text: str) -> bool:
        try:
            return bool(self.module.is_valid(text))
        except Exception:  # noqa: BLE001 - a validator must answer, never raise, on odd input
            return False

    @cached_property
    def length(self) -> int:
        """Characters of the compact form: a number of this length right after the label is taken even when
        its checksum fails (a mistyped PESEL is still someone's PESEL)."""
        return len(self.module.compact(self.example))

    def compact(self, text: str) -> str:
        try:
            return self.module.compact(text)
        except Exception:  # noqa: BLE001
            return ""


SCHEMES: tuple[Scheme, ...] = (
    Scheme("pl.pesel", "ssn", (r"\bpesel",), "44051401359", keys=("pesel",)),
    Scheme("pl.nip", "tax_id", (r"\bnip\b",), "8567346215", keys=("nip",)),
    Scheme(
        "se.personnummer",
        "ssn",
        ("personnummer", r"person\s*nr", r"\bpnr\b"),
        "19880320-0016",
        keys=("personnummer", "personnr"),
        standalone=r"(?:19|20)\d{6}[-+]\d{4}",
    ),
    Scheme("no.fodselsnummer", "ssn", (r"f[øo]dselsnummer", r"\bfnr\b"), "15108695088", keys=("fodselsnummer", "fnr")),
    Scheme("dk.cpr", "ssn", (r"\bcpr\b", r"cpr-?n(?:umme)?r"), "211062-5629", keys=("cpr",)),
    Scheme(
        "fi.hetu",
        "ssn",
        (r"henkil[öo]tunnus", r"\bhetu\b", r"personbeteckning"),
        "131052-308T",
        keys=("henkilotunnus", "hetu"),
        standalone=r"[0-3]\d[01]\d\d\d[-+A-FU-Y]\d{3}[0-9A-Y]",
    ),
    Scheme(
        "tr.tckimlik",
        "ssn",
        (r"kimlik", r"\bt\.?\s?c\.?\s*(?:no|kimlik)", r"\btckn\b"),
        "17291716060",
        keys=("kimlik", "tckn", "tckimlik"),
    ),
    Scheme("es.dni", "tax_id", (r"\bdni\b", r"\bnif\b"), "54362315K", standalone=r"\d{8}-?[A-HJ-NP-TV-Z]"),
    Scheme("es.nie", "tax_id", (r"\bnie\b",), "X2482300W", standalone=r"[XYZ]-?\d{7}-?[A-HJ-NP-TV-Z]"),
    Scheme(
        "it.codicefiscale",
        "tax_id",
        (r"codice\s+fiscale", r"\bc\.?f\.?\s*:"),
        "RCCMNL83S18D969H",
        standalone=r"[A-Z]{6}[\dLMNP-V]{2}[A-EHLMPR-T][\dLMNP-V]{2}[A-Z][\dLMNP-V]{3}[A-Z]",
    ),
    Scheme(
        "fr.nir",
        "ssn",
        (r"\bnir\b", r"s[ée]curit[ée]\s+sociale", r"num[ée]ro\s+de\s+s[ée]cu", r"\binsee\b"),
        "2 95 10 99 126 111 93",
        keys=("nir",),
        standalone=r"[12] \d{2} \d{2} (?:\d{2}|2[AB]) \d{3} \d{3} \d{2}",
    ),
    Scheme("br.cpf", "tax_id", (r"\bcpf\b",), "390.533.447-05", keys=("cpf",), standalone=r"\d{3}\.\d{3}\.\d{3}-\d{2}"),
    Scheme(
        "in_.aadhaar",
        "ssn",
        (r"aadhaa?r", r"\buidai\b"),
        "2341 2341 2346",
        keys=("aadhaar", "aadhar"),
        standalone=r"[2-9]\d{3} \d{4} \d{4}",
    ),
    Scheme(
        "in_.pan",
        "tax_id",
        (r"\bpan\b", r"permanent\s+account"),
        "ACUPA7085R",
        standalone=r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]",
    ),
    Scheme(
        "nl.bsn",
        "ssn",
        (r"\bbsn\b", r"burgerservicenummer", r"sofi-?nummer"),
        "111222333",
        keys=("bsn", "burgerservicenummer", "sofinummer"),
    ),
    Scheme(
        "be.nn",
        "ssn",
        (r"rijksregister", r"national\s+number", r"num[ée]ro\s+national", r"\binsz\b", r"\bniss\b"),
        "85.07.30-033.28",
        keys=("rijksregisternummer", "insz", "niss"),
        standalone=r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}",
    ),
    Scheme("pt.nif", "tax_id", (r"\bnif\b", r"contribuinte"), "501964843", keys=("contribuinte",)),
    Scheme(
        "mx.curp",
        "ssn",
        (r"\bcurp\b",),
        "BOXW310820HNERXN09",
        keys=("curp",),
        standalone=r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[0-9A-Z]\d",
    ),
    Scheme("mx.rfc", "tax_id", (r"\brfc\b",), "GODE561231GR8", keys=("rfc",)),
    Scheme("ca.sin", "ssn", (r"\bsin\b", r"social\s+insurance"), "123-456-782"),
    Scheme(
        "kr.rrn",
        "ssn",
        (r"\brrn\b", r"resident\s+registration", r"jumin", r"주민등록번호"),
        "971013-9019902",
        keys=("rrn", "jumin"),
        standalone=r"\d{6}-\d{7}",
    ),
    Scheme("za.idnr", "ssn", (r"\bsa\s+id\b", r"\brsa\s+id\b", r"identity\s+number"), "7503305044089"),
    Scheme("ro.cnp", "ssn", (r"\bcnp\b",), "1630615123457", keys=("cnp",)),
    Scheme(
        "cl.rut",
        "tax_id",
        (r"\brut\b",),
        "76.086.428-5",
        keys=("rut",),
        standalone=r"\d{1,2}\.\d{3}\.\d{3}-[\dkK]",
    ),
    Scheme(
        "ar.cuit",
        "tax_id",
        (r"\bcuit\b", r"\bcuil\b"),
        "20-05536168-2",
        keys=("cuil",),
        standalone=r"(?:20|23|24|27)-\d{8}-\d",
    ),
    Scheme(
        "cn.ric",
        "ssn",
        (r"身份证", r"resident\s+identity", r"shenfenzheng"),
        "360426199101010071",
        keys=("shenfenzheng",),
    ),
    Scheme(
        "ch.ssn",
        "ssn",
        (r"\bahv\b", r"\bavs\b", r"sozialversicherungs"),
        "756.9217.0769.85",
        keys=("ahv", "avs"),
        standalone=r"756\.\d{4}\.\d{4}\.\d{2}",
    ),
    Scheme("id.nik", "ssn", (r"\bnik\b",), "3171011708450001", keys=("nik",)),
    Scheme(
        "id.npwp",
        "tax_id",
        (r"\bnpwp\b",),
        "01.312.166.0-091.000",
        keys=("npwp",),
        standalone=r"\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}",
    ),
    Scheme(
        "jp.in_",
        "ssn",
        (r"my\s*number\s+card", r"マイナンバー", r"個人番号", r"kojin\s*bango"),
        "621498320257",
        keys=("mynumber",),
    ),
    Scheme(
        "my.nric",
        "ssn",
        (r"\bnric\b", r"\bmykad\b", r"\bic\s+no"),
        "770305-02-1234",
        keys=("nric", "mykad"),
        standalone=r"\d{6}-\d{2}-\d{4}",
    ),
    Scheme("th.pin", "ssn", (r"thai\s+id", r"บัตรประชาชน"), "3100600445635"),
    Scheme("ee.ik", "ssn", (r"isikukood",), "36805280109", keys=("isikukood",)),
    Scheme("lt.asmens", "ssn", (r"asmens\s+kodas",), "33309240064"),
    Scheme("bg.egn", "ssn", (r"\begn\b", r"егн"), "8032056031", keys=("egn",)),
    Scheme("hr.oib", "tax_id", (r"\boib\b",), "33392005961", keys=("oib",)),
    Scheme("gr.amka", "ssn", (r"\bamka\b",), "01013099997", keys=("amka",)),
    Scheme("is_.kennitala", "ssn", (r"kennitala",), "1201743399", keys=("kennitala",)),
    Scheme("ie.pps", "ssn", (r"\bppsn\b", r"\bpps\b"), "6433435F", keys=("pps", "ppsn")),
    Scheme("cz.rc", "ssn", (r"rodné číslo", r"rodn[ée]\s+[čc][íi]slo", r"\br\.?\s?[čc]\.?\s*:"), "7103192745"),
)

#: A cheap superset of every ``standalone`` form, for the column-wide prefilter (the union of the forms
#: themselves costs ~6x more: no literal to anchor on). The tests check every example passes it.
STANDALONE_PREFILTER = (
    r"(?:^|[^\p{L}\p{N}_-])\d{6}[-+A-Y]\d|\d{8}[-+]\d{4}(?:$|[^\p{L}\p{N}_-])"  # not inside a uuid
    r"|\d\.\d{3}\.\d{3}(?:-|\.\d-)|\d\d\.\d\d\.\d\d-\d|756\.\d{4}\.|\d-\d{8}-\d"  # not an IP address
    r"|(?:^|[^\p{N}])[12] \d\d \d\d [\dAB]{2} \d{3}"
    r"|(?:^|[^\p{N}\s]|[^\p{N}]\s)[2-9]\d{3} \d{4} \d{4}(?:$|[^\p{N}\s]|\s[^\p{N}])"  # not a card's groups
    r"|(?:^|[^\p{L}\p{N}])[A-Z]{5}\d{4}[A-Z]|[A-Z]{4}\d{6}[HMX]|[A-Z]{6}[\dLMNP-V]{2}[A-EHLMPR-T]"  # not an IBAN
    r"|\d{8}-?[A-Z]|[XYZ]-?\d{7}-?[A-Z]"
)

#: Key words (ASCII, lower case) that name a national number field, and its type.
KEY_TYPES: dict[str, str] = {key: scheme.pii_type for scheme in SCHEMES for key in scheme.keys}

#: One regex of every label, for the keyword prefilter.
LABELS = "|".join(label for scheme in SCHEMES for label in scheme.labels)


def schemes_for_label(text: str) -> list[Scheme]:
    """The schemes one of whose labels occurs in ``text`` (the context before a value)."""
    return [s for s in SCHEMES if any(re.search(label, text, re.IGNORECASE) for label in s.labels)]
