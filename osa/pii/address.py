"""Street address recognizers (US, UK, German; PO boxes).

An address needs a house number *and* a street-type word (Street, Rd, Lane, -straße,
...), which is what separates "221B Baker Street" from "3 Growth Hacks".
"""

from __future__ import annotations

import re

from . import lexicon
from .recognizers import NOT_BOUNDARY, WORD_END, WORD_START, Recognizer

# USPS Publication 28 street suffixes (plus UK ones). "Strong" suffixes almost only
# occur in addresses; "weak" ones (Summit, Park, View, ...) also end event and
# product names ("2024 Growth Summit"), so they need more evidence.
_STRONG = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Ter|"
    "Circle|Cir|Parkway|Pkwy|Highway|Hwy|Trail|Trl|Crescent|Cres|Close|Mews|Alley|Expressway|Expy|"
    "Freeway|Fwy|Turnpike|Tpke|Stravenue|Radial|Causeway|Crossing|Xing|Cove|Cv|Creek|Heights|Hts|"
    "Hollow|Junction|Jct|Manor|Mnr|Meadows|Orchard|Ranch|Skyway|Square|Sq|Throughway|Trace|Via|"
    "Viaduct|Vista|Grove|Gardens|Gdns|Rise|Parade|Wynd|Brae|Parkways|Pkwys|Crossroad|Crossroads|Extension|Ext|"
    "Extensions|Freeways|Overpass|Underpass|Turnpikes|Throughways|Trafficway|Manors|Mnrs"
)
_WEAK = (
    "Way|Walk|Row|Hill|Hills|Park|View|Views|Green|Vale|Ridge|Point|Points|Pike|Run|Path|Commons|"
    "Estate|Estates|Broadway|Loop|Plaza|Anex|Arcade|Bayou|Beach|Bend|Bluff|Bluffs|Bottom|Branch|"
    "Bridge|Brook|Brooks|Burg|Burgs|Bypass|Camp|Canyon|Cape|Center|Centre|Cliff|Cliffs|Club|Common|"
    "Corner|Corners|Course|Courts|Coves|Crest|Curve|Dale|Dam|Divide|Extension|Falls|Fall|Ferry|"
    "Field|Fields|Flat|Flats|Ford|Fords|Forest|Forge|Forges|Fork|Forks|Fort|Garden|Gateway|Glen|"
    "Glens|Greens|Groves|Harbor|Harbors|Haven|Highlands|Inlet|Island|Islands|Isle|Key|Keys|Knoll|"
    "Knolls|Lake|Lakes|Land|Landing|Light|Lights|Loaf|Lock|Locks|Lodge|Mall|Meadow|Mill|Mills|"
    "Mission|Motorway|Mount|Mountain|Mountains|Neck|Oval|Overpass|Parks|Pass|Passage|Pine|Pines|"
    "Plain|Plains|Port|Ports|Prairie|Ramp|Rapid|Rapids|Rest|Ridges|River|Roads|Route|Rue|Shoal|"
    "Shoals|Shore|Shores|Spring|Springs|Spur|Spurs|Squares|Station|Stream|Streets|Summit|Track|"
    "Trafficway|Trailer|Tunnel|Underpass|Union|Unions|Valley|Valleys|Village|Villages|Ville|Wall|"
    "Ways|Well|Wells|Wharf|Yard|Yards|Side|Gate|Gardens|End|Grange|Chase|Croft|Fold|Leys|Lea"
)
_SUFFIXES = _STRONG + "|" + _WEAK
_UNIT = (
    r"(?:,?\s*(?:(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm)\b\.?\s*#?|#)\s*"
    r"(?:[A-Za-z]?\d[A-Za-z0-9-]{0,5}|[A-Za-z]\b))?"
)
_US_TAIL = (
    r"(?:,?\s*[A-Z][A-Za-z.'-]+(?:\s+[A-Z][A-Za-z.'-]+){0,3}(?:,\s*|\s+)[A-Z]{2}\.?\s+\d{5}(?:-\d{4})?"
    r"|,\s*[A-Z][A-Za-z.'-]+(?:\s+[A-Z][A-Za-z.'-]+){0,3},\s*(?:[A-Z]{2}|[A-Z][a-z]+)(?![\w])"
    r"|(?:,?\s*[A-Z][A-Za-z'-]+(?:\s+[A-Z][A-Za-z'-]+){0,2})?,?\s+[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}(?![\w])"
    r"|,\s*[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}(?=\s*(?:[.;\n)]|$)))?"
)
_STRONG_RE = re.compile(r"\b(?:" + _STRONG + r")\b\.?$")
_YEAR = re.compile(r"^(?:19[5-9]\d|20\d\d)\b")


class StreetAddressRecognizer(Recognizer):
    """Number-first addresses.

    US "1600 Pennsylvania Ave NW, Washington, DC 20500", UK "221B Baker Street, London NW1 6XE".
    """

    first_chars = r"[0-9FASU]"
    name = "street_address"
    pii_type = "address"
    # A number (or unit word) somewhere before a suffix word that stands alone, as the pattern
    # requires; [^NOT_BOUNDARY] is the superset form of the pattern's \s before and \b after.
    prefilter = rf"(?s:(?:\d|Flat|Apartment|Apt|Studio|Unit|Suite).*[^{NOT_BOUNDARY}](?:{_SUFFIXES})s?{WORD_END})"

    pattern = re.compile(
        r"(?<![\w.,$€£-])(?:\d{1,6}[A-Za-z]?(?:-\d{1,4})?|(?:Flat|Apartment|Apt|Studio|Unit|Suite)\s+\w{1,5},?)"
        r",?\s+(?:(?:[NSEW]|North|South|East|West)\.?\s+)?"
        r"(?P<words>(?:(?:[A-Z][A-Za-z'’.-]*|\d{1,3}(?:st|nd|rd|th))\s+){1,4})(?P<suffix>" + _SUFFIXES + r")s?\b\.?"
        r"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?" + _UNIT + r"(?P<tail>" + _US_TAIL + r")"
    )
    confidence = 0.8
    TAIL = re.compile(r"\d{5}(?:-\d{4})?$|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$")

    def validate(self, match: re.Match[str], text: str) -> float | None:
        value = match.group(0)
        if self.TAIL.search(value):
            return 0.9
        score = self.confidence if _STRONG_RE.search(match.group("suffix")) else 0.6
        words = [lexicon.fold(w) for w in match.group("words").split()]
        if _YEAR.match(value):
            score -= 0.3  # "2024 Growth Summit", "2025 Partner Way"
        first, last, common = lexicon.first_names(), lexicon.last_names(), lexicon.common_words()
        if words and all(w in common and w not in first and w not in last for w in words):
            score -= 0.2  # "12 Main Street" survives (strong suffix), "3 Key Park" does not
        return score


#: A unit, floor or district between the house number and the postcode: ", lgh 1355", ", 7º D", ", Hinterhaus",
#: ", Maltepe" (one to three short words; up to two of them).
_EU_UNIT = r"(?:,\s*[\w'’º°./-]{1,12}(?:\s[\w'’º°./-]{1,12}){0,2}){0,2}"


class GermanAddressRecognizer(Recognizer):
    """Street-then-number: "Hauptstraße 12a, 10115 Berlin", "Am Alten Markt 3"."""

    first_chars = r"[A-ZÄÖÜ]"
    prefilter_group = "address"
    name = "de_street_address"
    pii_type = "address"
    prefilter = (
        r"(?:straße|strasse|str\.|weg|allee|gasse|platz|ring|damm|ufer|chaussee|steig|pfad|"
        r"Straße|Strasse|Str\.|Weg|Allee|Gasse|Platz|Ring|Damm|Ufer|Chaussee)\s+\d"
    )
    pattern = re.compile(
        r"(?<![\w])(?:(?:[A-ZÄÖÜ][a-zäöüß]+[- ])*[A-ZÄÖÜ][a-zäöüß]*"
        r"(?:straße|strasse|str\.|weg|allee|gasse|platz|ring|damm|ufer|chaussee|steig|pfad)"
        r"|(?:(?:Am|An der|Im|In der|Auf der|Zum|Zur)\s+)?(?:[A-ZÄÖÜ][a-zäöüß]+[- ])+"
        r"(?:Straße|Strasse|Str\.|Weg|Allee|Gasse|Platz|Ring|Damm|Ufer|Chaussee))"
        r"\s+\d{1,4}\s?[a-zA-Z]?(?:[-/]\d{1,4})?(?![\w])"
        r"(?:" + _EU_UNIT + r",\s*(?:D-)?\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+(?:[ -][A-ZÄÖÜ][a-zäöüß.]+)?)?"
    )
    confidence = 0.8


# Street-type words written before the street's name in Romance, Slavic, Indonesian and Vietnamese
# addresses. "Clear" ones hardly start anything else; "ambiguous" ones (Via, Place, Plaza, ...) also start
# sentences and names ("Via Slack 3 times"), so they need the postcode and town after the number.
_TYPE_FIRST_CLEAR = (
    r"ul\.|ulica|ulicy|al\.|aleja|os\.|calle|c/|avda\.|avenida|rua|travessa|pra[çc]a|rodovia|alameda|carrer|"
    r"viale|piazza|piazzale|vicolo|strada|jl\.|jalan|ул\.|улица|пр\.|проспект|đường|duong"
)
_TYPE_FIRST_AMBIGUOUS = r"Via|Place|Plaza|Avenue|Av\.|Boulevard|Bd|Corso|Largo|Paseo|Chemin|Impasse|Quai|Allée|Rue"
# Turkish puts the type after the name: "Atatürk Cad. No:12", "Gül Sokak 5"
_TYPE_AFTER_NAME = r"cad\.|cd\.|caddesi|sok\.|sk\.|soka[kğ]ı?|bulvar[ıi]|blv\.|mah\.|mahallesi"
# French and Belgian number-first: "12 rue de la Paix"
_NUMBER_FIRST_TYPES = r"rue|avenue|av\.|boulevard|bd|chemin|all[ée]e|place|quai|impasse|route|cours|square"
# Dutch, Nordic, Finnish, Hungarian street suffixes: "Kerkstraat 12", "Drottninggatan 5", "Mannerheimintie 3"
_SUFFIX_TYPES = r"straat|laan|gracht|plein|kade|singel|dijk|gatan|gata|v[äa]gen|v[äa]g|vej|veien|gade|katu|tie|utca"
_PARTICLE = r"(?:de|del|de la|de las|de los|des|du|da|do|dos|das|di|della|dei|delle|dello|d'|l'|la|le)"
_WORD = r"[^\W\d_][\w'’.-]*"
_CAPITALISED = r"(?:[A-ZÀ-ÞĀ-ſА-Я]|Đ)[\w'’.-]*"
_NAME_WORDS = r"(?:\s+(?:" + _PARTICLE + "|" + _CAPITALISED + r")){0,4}"
_HOUSE = r"(?:n[º°o]\.?\s*|No[:.]?\s*)?\d{1,4}[A-Za-z]?(?:\s?[/-]\s?\d{1,4}[A-Za-z]?)?(?:\s[A-Z](?![\w]))?(?![\w])"
_TOWN = _CAPITALISED + r"(?:[ -]" + _CAPITALISED + r"){0,2}"
# ", 00-590 Warszawa", ", 28013 Madrid", ", 1100-053 Lisboa", ", 1017 GC Amsterdam", ", 111 51 Stockholm";
# or the town alone after a clear type word (", Jakarta", ", São Paulo")
_POSTAL_TOWN = (
    r"(?:(?P<tail>" + _EU_UNIT + r",?\s*(?:\d{1,2}[º°]?\s?[A-Za-z]{0,3},?\s*)?(?:[A-Z]{1,2}-)?"
    r"(?:\d{2}-\d{3}|\d{4}-\d{3}|\d{5}(?:-\d{3})?|\d{4}\s?[A-Z]{2}|\d{3}\s\d{2}|\d{4})\s+" + _TOWN + ")"
    r"|(?P<town>,\s*" + _TOWN + r"(?![\w'’-])))?"
)
_EU_ADDRESS = (
    r"(?<![\w])(?:"
    rf"(?P<clear>(?i:{_TYPE_FIRST_CLEAR}))\s*(?:{_PARTICLE}\s+)?{_WORD}{_NAME_WORDS},?\s+{_HOUSE}"
    rf"|(?P<ambiguous>{_TYPE_FIRST_AMBIGUOUS})\s+(?:{_PARTICLE}\s+)?{_CAPITALISED}{_NAME_WORDS},?\s+{_HOUSE}"
    rf"|(?P<after>(?:{_CAPITALISED}\s+){{1,3}}(?i:{_TYPE_AFTER_NAME}))\s*,?\s*{_HOUSE}"
    rf"|\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?P<numfirst>{_NUMBER_FIRST_TYPES})\s+(?:{_PARTICLE}\s*)?"
    rf"{_CAPITALISED}{_NAME_WORDS}"
    rf"|(?P<suffixed>{_CAPITALISED}(?i:{_SUFFIX_TYPES}))\s+{_HOUSE}"
    r")" + _POSTAL_TOWN
)


class EuropeanAddressRecognizer(Recognizer):
    """Addresses written type-first ("ul. Marszałkowska 12/4, 00-590 Warszawa", "Calle Mayor 5, 28013
    Madrid", "Rua Augusta, 100"), name-then-type ("Atatürk Cad. No:12"), number-first in French ("12 rue
    de la Paix, 75002 Paris") or with a street suffix ("Kerkstraat 12, 1017 GC Amsterdam"). With the
    postcode and town after it an address is sure; without, only a clear type word counts."""

    name = "eu_street_address"
    pii_type = "address"
    # Its own pass (not the "address" group's union): a type word starting a word, an ambiguous one
    # capitalised before a capitalised name, a French number-first type, a suffix before a number.
    prefilter = (
        rf"(?i:{WORD_START}(?:{_TYPE_FIRST_CLEAR})\s)|(?:{_TYPE_FIRST_AMBIGUOUS})\s+[A-ZÀ-Þ]"
        rf"|(?i:\d\s+(?:{_NUMBER_FIRST_TYPES})\s|(?:{_SUFFIX_TYPES})\s+\d|(?:{_TYPE_AFTER_NAME})\s*,?\s*(?:no|\d))"
    )
    pattern = re.compile(_EU_ADDRESS)
    confidence = 0.85

    def validate(self, match: re.Match[str], text: str) -> float | None:
        if match.group("tail"):
            return self.confidence
        if match.group("ambiguous") or match.group("numfirst"):
            return None  # "Via Slack 3 times", "3 place Names": need the postcode and town
        return 0.8 if match.group("town") else 0.75


class PoBoxRecognizer(Recognizer):
    prefilter_group = "address"
    name = "po_box"
    pii_type = "address"
    prefilter = r"(?i)p\.?\s?o\.?\s*box"
    pattern = re.compile(r"\b(?i:P\.?\s?O\.?\s*Box)\s+\d{1,6}" + _US_TAIL)
    confidence = 0.8


class UkPostcodeTailRecognizer(Recognizer):
    """A town plus full UK postcode after a comma ("..., London SW1A 1AA") is an address line."""

    prefilter_group = "address"
    name = "uk_postcode"
    pii_type = "address"
    prefilter = rf"[A-Z]{{1,2}}\d[A-Z\d]? ?\d[A-Z]{{2}}{WORD_END}"
    pattern = re.compile(
        r"(?<=, )[A-Z][A-Za-z'’-]*[a-z](?:\s[A-Z][A-Za-z'’-]*[a-z])?,?\s+[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?![\w])"
    )
    confidence = 0.7


class MilitaryAddressRecognizer(Recognizer):
    """US military mail: "PSC 9602, Box 8555, APO AP 48642", "USNS Porter, FPO AA 52231"."""

    first_chars = r"[PUC]"
    name = "us_military_address"
    pii_type = "address"
    prefilter_group = "address"
    prefilter = rf"{WORD_START}(?:APO|FPO|DPO) (?:AA|AE|AP) \d{{5}}"
    pattern = re.compile(
        r"(?<![\w])(?:(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{1,5}|(?:USNS|USNV|USS|USCGC)\s+[A-Z][a-z]+)"
        r",?\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}(?![\w])"
    )
    confidence = 0.9


def AddressRecognizers() -> list[Recognizer]:  # noqa: N802 - reads like a constant list
    return [
        StreetAddressRecognizer(),
        GermanAddressRecognizer(),
        EuropeanAddressRecognizer(),
        PoBoxRecognizer(),
        UkPostcodeTailRecognizer(),
        MilitaryAddressRecognizer(),
    ]
