"""Text normalisation shared by ingest (indexing form) and retrieval (query form), French and Arabic alike."""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u061c]")
ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
TATWEEL = "\u0640"
ARABIC_LETTERS = re.compile("[\u0621-\u064a]")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ALEFS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})

# Lam-alef pairs that PDF text layers emit in the wrong order (the ligature's glyphs reversed):
# "األسرة" for "الأسرة", "أال" for "ألا", "لإلنسان" for "للإنسان". Each left side is impossible Arabic.
_LAM_ALEF_SWAPS = [
    (re.compile(r"ا([اأإآ])ل"), r"ال\1"),
    (re.compile(r"(?<![\u0621-\u064a])([أإ])ال"), r"\1لا"),
    (re.compile(r"(?<![\u0621-\u064a])ل([أإ])ل"), r"لل\1"),  # word-initial only: "الآلية" is real
]


def strip_bidi(text: str) -> str:
    """Remove invisible direction marks (LRM/RLM/embeddings) that PDF and OCR output scatter in text."""
    return BIDI_CONTROLS.sub("", text)


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits to ASCII digits."""
    return text.translate(_DIGITS)


def repair_lam_alef(text: str) -> str:
    """Undo the lam-alef swap of Arabic PDF text layers where the swapped form cannot be real Arabic."""
    for pattern, repl in _LAM_ALEF_SWAPS:
        text = pattern.sub(repl, text)
    return text


def count_lam_alef_swaps(text: str) -> int:
    """How many impossible (swapped) lam-alef sequences a text holds: a sign of a broken Arabic layer."""
    return sum(len(p.findall(text)) for p, _ in _LAM_ALEF_SWAPS)


def arabic_index_form(text: str) -> str:
    """Arabic indexing form: no diacritics or tatweel, one alef, ى→ي, ة→ه, ASCII digits, no ligatures."""
    text = unicodedata.normalize("NFKC", strip_bidi(text))  # presentation forms, lam-alef ligatures
    text = ARABIC_DIACRITICS.sub("", text).replace(TATWEEL, "")
    return ascii_digits(text.translate(_ALEFS))


def index_form(text: str) -> str:
    """Lower-cased, accent-free (Latin), Arabic-normalised form used for lexical matching."""
    text = arabic_index_form(text).lower()
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(c for c in decomposed if not (unicodedata.combining(c) and c < "\u0600"))
    text = text.replace("’", "'").replace("œ", "oe").replace("æ", "ae")
    return re.sub(r"\s+", " ", text).strip()


def number_key(number: str) -> str:
    """One key for a text number however printed: `2.26.530`, `2-26-530`, `٢.٢٦.٥٣٠` → `2-26-530`."""
    n = ascii_digits(strip_bidi(number)).strip().strip(".")
    n = re.sub(r"\s*[.\-‐–/]\s*", "-", n)
    return re.sub(r"\s+", "", n)


def has_arabic(text: str, share: float = 0.3) -> bool:
    """Whether at least `share` of the letters of `text` are Arabic."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    return sum(1 for c in letters if "\u0600" <= c <= "\u06ff") / len(letters) >= share
