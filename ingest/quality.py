"""Is a page's PDF text layer usable, or must the page be OCR'd? Scores from the text alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jarida.normalize import count_lam_alef_swaps, has_arabic

FRENCH_FUNCTION_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "un",
        "une",
        "et",
        "en",
        "à",
        "au",
        "aux",
        "par",
        "pour",
        "sur",
        "dans",
        "est",
        "sont",
        "qui",
        "que",
        "ne",
        "pas",
        "ou",
        "il",
        "elle",
        "ils",
        "ce",
        "cette",
        "ces",
        "son",
        "sa",
        "ses",
        "leur",
        "leurs",
        "avec",
        "sans",
        "être",
        "été",
        "a",
        "l",
        "d",
        "s",
        "n",
        "qu",
        "article",
        "loi",
        "présente",
        "dispositions",
        "lorsque",
        "peut",
        "doit",
        "tout",
        "toute",
        "tous",
        "selon",
        "y",
        "se",
    ]
)
ARABIC_FUNCTION_WORDS = frozenset(
    [
        "في",
        "من",
        "على",
        "إلى",
        "الى",
        "أن",
        "ان",
        "عن",
        "مع",
        "أو",
        "او",
        "ما",
        "لا",
        "التي",
        "الذي",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "كل",
        "بعد",
        "قبل",
        "بين",
        "حيث",
        "إذا",
        "اذا",
        "كان",
        "يكون",
        "غير",
        "عند",
        "لم",
        "قد",
        "ثم",
        "أي",
        "وفي",
        "ومن",
        "وعلى",
    ]
)
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
_AL_PREFIXED = re.compile(r"^[وفبكل]?(ال|لل)")
_IMPOSSIBLE_START = re.compile(r"^[ةى]")
# A ligature's glyphs emitted in reverse: "املجلس" for "المجلس", "األسرة" for "الأسرة".
_SWAPPED_LIGATURE = re.compile(r"^[وفبكل]?ا[ماأإآ]ل")


@dataclass(frozen=True)
class LayerVerdict:
    """Whether a text layer can be trusted, with the evidence."""

    usable: bool
    reason: str
    score: float
    lang: str  # "fr" | "ar" (script of the layer; OCR may still decide otherwise)


def assess_layer(text: str) -> LayerVerdict:
    """Judge a page's text layer: empty, private-use glyphs, unmapped fonts, dropped or swapped letters."""
    letters = sum(1 for c in text if c.isalpha())
    lang = "ar" if has_arabic(text) else "fr"
    if letters < 40:
        return LayerVerdict(False, "no text layer", 0.0, lang)
    private = sum(1 for c in text if "\ue000" <= c <= "\uf8ff" or c == "\ufffd")
    if private / letters > 0.01:
        return LayerVerdict(False, "private-use or unmapped glyphs", 0.0, lang)
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return LayerVerdict(False, "no words", 0.0, lang)
    if lang == "ar":
        function = sum(t in ARABIC_FUNCTION_WORDS for t in tokens) / len(tokens)
        article = sum(bool(_AL_PREFIXED.match(t)) for t in tokens) / len(tokens)
        impossible = sum(bool(_IMPOSSIBLE_START.match(t)) for t in tokens) / len(tokens)
        score = function + article - 3 * impossible
        swapped = sum(bool(_SWAPPED_LIGATURE.match(t)) for t in tokens) + count_lam_alef_swaps(text)
        if swapped / len(tokens) > 0.01:
            return LayerVerdict(False, "swapped ligatures (broken Arabic layer)", score, lang)
        return LayerVerdict(score >= 0.25, f"arabic score {score:.2f}", score, lang)
    function = sum(t in FRENCH_FUNCTION_WORDS for t in tokens) / len(tokens)
    mean_len = sum(map(len, tokens)) / len(tokens)
    score = function if mean_len <= 12 else 0.0
    return LayerVerdict(score >= 0.15, f"french score {score:.2f}", score, lang)
