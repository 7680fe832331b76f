"""The catalogue of known legal texts: canonical law ids from numbers and names, in French and Arabic."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from jarida.normalize import index_form, number_key


@dataclass(frozen=True)
class KnownLaw:
    """A legal text the catalogue knows by number or name."""

    law_id: str
    title: str
    title_ar: str
    numbers: tuple[str, ...]
    names: tuple[str, ...]


@cache
def known_laws() -> tuple[KnownLaw, ...]:
    """Every entry of `laws.toml`."""
    data = tomllib.loads(files("jarida").joinpath("laws.toml").read_text(encoding="utf-8"))
    return tuple(
        KnownLaw(
            law_id,
            e["title"],
            e.get("title_ar", e["title"]),
            tuple(number_key(n) for n in e["numbers"]),
            tuple(e["names"]),
        )
        for law_id, e in data.items()
    )


def law_by_number(number: str) -> KnownLaw | None:
    """The known law with this text number (any printed form), if any."""
    key = number_key(number)
    return next((law for law in known_laws() if key in law.numbers), None)


def law_named_in(text: str) -> KnownLaw | None:
    """The known law whose name appears in `text` (longest name wins), if any."""
    haystack = index_form(text)
    best: tuple[int, KnownLaw] | None = None
    for law in known_laws():
        for name in law.names:
            if index_form(name) in haystack and (best is None or len(name) > best[0]):
                best = (len(name), law)
    return best[1] if best else None


NON_LEGAL = {"fr": "Document non juridique", "ar": "وثيقة غير قانونية"}


def is_legal(text_type: str, article: str) -> bool:
    """Whether a stored record is a legal text's article (not a plain document: an opinion, a report…)."""
    return bool(article) or text_type != "document"


def _tidy(printed: str) -> str:
    """A printed title with its whitespace collapsed and an unclosed parenthesis (a cut title) dropped."""
    title = " ".join(printed.split())
    while title.count("(") > title.count(")"):
        title = title[: title.rfind("(")].rstrip(" ,;:—-")
    return title


def display_title(law_id: str, lang: str, printed: str = "", text_type: str = "", article: str = "x") -> str:
    """The one title shown for a law in a language: the catalogue's, else "non-legal document" for a plain
    document, else the printed title tidied (or the law id when nothing was printed)."""
    known = next((law for law in known_laws() if law.law_id == law_id), None)
    if known is not None:
        return known.title_ar if lang == "ar" else known.title
    if not is_legal(text_type, article):
        return NON_LEGAL["ar" if lang == "ar" else "fr"]
    return _tidy(printed) or law_id
