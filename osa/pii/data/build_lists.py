"""Regenerate the bundled lexicons in this folder (a developer tool, never run at import).

Why a generated, bundled list: the engine must catch names offline with no model
download, and loading the full ``names-dataset`` pickles (~700k names, seconds and
gigabytes) on every import is far too heavy. We keep the names that rank in the top
``FIRST_RANK`` / ``LAST_RANK`` of at least one of the 105 countries in names-dataset
(MIT licence), plus English words from ``wordfreq`` so the name detector can tell
"Mark Brown" (a person) from "Data Science" (not one), plus place names from
``pycountry``.

Usage (needs ``pip install names-dataset wordfreq pycountry``; none is a runtime
dependency)::

    python -m osa.pii.data.build_lists
"""

from __future__ import annotations

import gzip
import pickle
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST_RANK = 2000
LAST_RANK = 2000
COMMON_WORDS = 25000
ANGLO = ("US", "GB", "CA", "AU", "IE", "NZ")
ANGLO_NAME_RANK = 1500
NAME_TOKEN = re.compile(r"^[^\W\d_]{2,}(?:['’-][^\W\d_]+)*$")


def _fold(text: str) -> str:
    """Lowercase and strip accents, the same folding as osa.pii.lexicon."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _load(kind: str) -> dict:
    import names_dataset

    path = Path(names_dataset.__file__).parent / "v3" / f"{kind}_names.pkl.gz"
    with gzip.open(path, "rb") as handle:
        return pickle.load(handle)


def _select(table: dict, max_rank: int) -> tuple[set[str], set[str]]:
    keep: set[str] = set()
    anglo: set[str] = set()
    for name, info in table.items():
        ranks = info.get("rank") or {}
        if not ranks or not NAME_TOKEN.match(name):
            continue
        if min(ranks.values()) <= max_rank:
            keep.add(name.casefold())
            keep.add(_fold(name))
        if any(ranks.get(c, 10**9) <= ANGLO_NAME_RANK for c in ANGLO):
            anglo.add(name.casefold())
    return keep, anglo


def _write(name: str, words: set[str]) -> None:
    data = "\n".join(sorted(words)).encode() + b"\n"
    with gzip.GzipFile(HERE / name, "wb", mtime=0) as handle:
        handle.write(data)
    print(f"{name}: {len(words)} entries")


def main() -> None:
    import pycountry
    from wordfreq import top_n_list

    first, anglo_first = _select(_load("first"), FIRST_RANK)
    last, anglo_last = _select(_load("last"), LAST_RANK)
    # English words that are not also popular anglophone names: "data", "power",
    # "friday" are common words; "smith", "grace", "mark" stay names.
    common = {w for w in top_n_list("en", COMMON_WORDS) if w.isalpha() and len(w) > 1}
    common -= anglo_first | anglo_last
    places = set()
    for country in pycountry.countries:
        places.add(_fold(country.name))
        if hasattr(country, "common_name"):
            places.add(_fold(country.common_name))
    for sub in pycountry.subdivisions:
        if sub.country_code in {"US", "GB", "DE", "CA", "AU", "FR", "ES", "IT", "NL", "CH", "AT"}:
            places.add(_fold(sub.name))
    _write("first_names.txt.gz", first)
    _write("last_names.txt.gz", last)
    _write("common_words.txt.gz", common)
    _write("places.txt.gz", places)


if __name__ == "__main__":
    main()
