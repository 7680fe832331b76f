"""The edition-alignment check: is the Arabic record of an article the translation of its French record?

The digitised editions have misaligned records: an article merged into its neighbour, a record holding another
text (the Arabic loi 09-08 records that hold the implementing decree), a shifted numbering. Each article present
in both editions is scored with the cross-script lexicon learned from the editions themselves (IBM Model 1,
`parallel_lexicon.py`): the share of one edition's terms that are confident translations (p ≥ 0.2, best two) of
a term of the other, averaged both ways. A pair is flagged when a neighbouring article of the same law (three on
each side) scores higher against either edition than the pair's own other edition does, or when its own score is
a low outlier for the corpus (median − 4 × MAD). Search never offers a flagged record as "the other edition";
`jarida eval ingest` lists them. Written to `<data_dir>/editions.json` by the indexer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from jarida.types import Article

from .lexical import terms
from .parallel_lexicon import MIN_PROBABILITY, PER_TERM, Lexicon

FILE_NAME = "editions.json"
NEIGHBOURS = 3  # articles on each side compared
MAD_LIMIT = 4.0


@dataclass(frozen=True)
class EditionCheck:
    """One flagged pair: its own score, and the closest other article (when one beat it)."""

    law_id: str
    article: str
    score: float
    closer_article: str
    closer_score: float
    reason: str  # "neighbour closer" | "low score"


def _translations(table: dict[str, list[tuple[str, float]]], words: set[str]) -> set[str]:
    return {t for w in words for t, p in table.get(w, [])[:PER_TERM] if p >= MIN_PROBABILITY}


def check_editions(articles: list[Article], lexicon: Lexicon) -> tuple[list[EditionCheck], int]:
    """(flagged pairs, pairs checked) among `articles` in both editions (digitised records first)."""
    words: dict[tuple[str, str, str], set[str]] = {}
    order: dict[str, list[str]] = {}
    for a in sorted(articles, key=lambda a: a.method != "digitised"):
        key = (a.law_id, a.article, a.lang)
        if a.article and a.text.strip() and key not in words:
            words[key] = set(terms(a.text))
            if a.lang == "fr":
                order.setdefault(a.law_id, []).append(a.article)
    translated = {k: _translations(lexicon.fr_ar if k[2] == "fr" else lexicon.ar_fr, w) for k, w in words.items()}

    def score(law_id: str, fr: str, ar: str) -> float:
        f, a = (law_id, fr, "fr"), (law_id, ar, "ar")
        return 0.5 * (len(words[a] & translated[f]) / max(1, len(words[a]))
                      + len(words[f] & translated[a]) / max(1, len(words[f])))  # fmt: skip

    rows: list[tuple[str, str, float, str, float]] = []
    for law_id, numbers in order.items():
        numbers = [n for n in dict.fromkeys(numbers) if (law_id, n, "ar") in words]
        for i, number in enumerate(numbers):
            own = score(law_id, number, number)
            best, closer = "", 0.0
            for j in range(max(0, i - NEIGHBOURS), min(len(numbers), i + NEIGHBOURS + 1)):
                if j != i:
                    other = max(score(law_id, number, numbers[j]), score(law_id, numbers[j], number))
                    if other > closer:
                        best, closer = numbers[j], other
            rows.append((law_id, number, own, best, closer))
    if not rows:
        return [], 0
    own_scores = np.asarray([r[2] for r in rows])
    median = float(np.median(own_scores))
    mad = float(np.median(np.abs(own_scores - median))) or 1e-6
    flagged = []
    for law_id, number, own, best, closer in rows:
        reason = "neighbour closer" if closer > own else "low score" if (median - own) / mad > MAD_LIMIT else ""
        if reason:
            flagged.append(EditionCheck(law_id, number, round(own, 4), best, round(closer, 4), reason))
    return flagged, len(rows)


def save_checks(path: Path, checks: list[EditionCheck], pairs: int) -> None:
    """Write the flagged pairs (and how many pairs were checked)."""
    data = {"pairs_checked": pairs, "misaligned": [asdict(c) for c in checks]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load_checks(path: Path) -> dict:
    """The stored result (`pairs_checked`, `misaligned`), or an empty one when the check has not run."""
    if not path.is_file():
        return {"pairs_checked": 0, "misaligned": []}
    return json.loads(path.read_text(encoding="utf-8"))


def misaligned(path: Path) -> set[tuple[str, str]]:
    """(law_id, article) of the flagged pairs in `path` (empty when the check has not run)."""
    return {(c["law_id"], c["article"]) for c in load_checks(path)["misaligned"]}
