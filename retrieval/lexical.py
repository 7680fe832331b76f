"""Lexical analysis for BM25: French (elision, accents, Snowball) and Arabic (normalisation, clitics, Snowball).

Both backends (the embedded engine and a Qdrant server) receive the same sparse vectors, computed here; Qdrant
applies the IDF part through the collection's `Modifier.IDF`.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import cache

import Stemmer

from jarida.normalize import ARABIC_DIACRITICS, TATWEEL, ascii_digits, strip_bidi

ANALYZER_VERSION = "2"  # part of every chunk's fingerprint: a change here re-indexes the sparse vectors
K1, B = 1.2, 0.75
AVG_LEN = 120.0  # tokens in an average article; only the ratio matters
_TOKEN = re.compile(r"\w+")  # letters and digits of any script; Arabic comma and semicolon split words
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’]", re.IGNORECASE)
_ALEFS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا"})
_CONJUNCTION_ARTICLE = re.compile(r"^[وف](?=(?:ال|بال|لل|كال))")
FRENCH_STOPWORDS = frozenset(
    "a au aux avec ce ces cet cette dans de des du elle en et est il ils je la le les leur leurs lui ma mais me "
    "même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sont sur ta te tes toi ton tu "
    "un une vos votre vous y été être ont avoir sera sont été peut doit ainsi lorsque dont cas".split()
)
ARABIC_STOPWORDS = frozenset(
    "في من على الى الي إلى عن مع او أو ما لا لم لن ان إن أن التي الذي الذين هذا هذه ذلك تلك كل بعد قبل بين حيث "
    "اذا إذا كان يكون غير عند قد ثم اي أي هو هي هم ذات به بها فيه فيها منه منها عليه عليها".split()
)


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


def _arabic_terms(token: str) -> str:
    token = _CONJUNCTION_ARTICLE.sub("", token)
    stem = _stemmer("arabic").stemWord(token)
    return stem.replace("ة", "ه").replace("ى", "ي")  # OCR and typing often drop the dots


def _french_term(token: str) -> str:
    # Stem, fold accents, stem again: "salarié", "salariés" and the unaccented "salarie" meet at "salar".
    stemmer = _stemmer("french")
    stem = stemmer.stemWord(token)
    return stemmer.stemWord("".join(c for c in unicodedata.normalize("NFD", stem) if not unicodedata.combining(c)))


def is_arabic(token: str) -> bool:
    """Whether a word or term is in Arabic script."""
    return "\u0600" <= token[0] <= "\u06ff"


def terms(text: str) -> list[str]:
    """Index terms of a French, Arabic or mixed text: each word analysed in its own script's language."""
    text = unicodedata.normalize("NFKC", strip_bidi(text))
    text = ARABIC_DIACRITICS.sub("", text).replace(TATWEEL, "").translate(_ALEFS)
    text = _ELISION.sub(" ", ascii_digits(text).lower())
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if is_arabic(token):
            if token not in ARABIC_STOPWORDS and len(token) > 1:
                out.append(_arabic_terms(token))
        elif token.isdigit():
            out.append(token)
        elif token not in FRENCH_STOPWORDS and len(token) > 1:
            out.append(_french_term(token))
    return out


def term_id(term: str) -> int:
    """A stable 31-bit index for a term (the same on every machine and backend)."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


@dataclass(frozen=True)
class SparseVector:
    """Qdrant-style sparse vector."""

    indices: list[int]
    values: list[float]


def document_vector(text: str) -> SparseVector:
    """BM25 term-frequency weights of a document (IDF is applied by Qdrant)."""
    counts = Counter(term_id(t) for t in terms(text))
    length = sum(counts.values())
    norm = K1 * (1 - B + B * length / AVG_LEN)
    items = sorted(counts.items())
    return SparseVector([i for i, _ in items], [tf * (K1 + 1) / (tf + norm) for _, tf in items])


def query_vector(text: str, extra: dict[str, float] | None = None) -> SparseVector:
    """A query's terms, each weighted 1 (repeats do not count twice), plus `extra` index terms with their weight."""
    weights = {term_id(t): w for t, w in (extra or {}).items()}
    weights |= {term_id(t): 1.0 for t in terms(text)}
    ids = sorted(weights)
    return SparseVector(ids, [weights[i] for i in ids])
