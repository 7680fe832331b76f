"""Question-side help for Moroccan Darija, in Arabic script or Latin "arabizi" (wa7d, 3andi, 9anoun).

Arabizi is also transliterated into Arabic script for the lexical branch: the usual chat-alphabet letter
values (2 ء, 3 ع, 5 خ, 7 ح, 8 ه, 9 ق) and digraphs, a general convention of written Moroccan Arabic, not a
list fitted to questions. The everyday vocabulary of Darija is learned instead: the encoder and the reranker
are trained on 603 Darija questions (`jarida train`). The hand-written glossary of Darija words that used to
expand questions here was retired: written while reading dev.jsonl misses, it gave nothing on the training
questions' validation split (Darija recall@10 0.377 with it, 0.373 without; README "Learned relevance").
"""

from __future__ import annotations

import re

from jarida.normalize import has_arabic

ARABIZI_DIGITS = re.compile(r"[a-z][2-9]|[2-9][a-z]", re.IGNORECASE)
DARIJA_MARKERS = frozenset(
    "wach wash chno chnou dyal dial bghit 3and 3andi kayn kayna ma3a mn bach had hadi hada"
    " واش شنو ديال بغيت عندي كاين كاينة باش هاد هادي غادي ماشي فين علاش كيفاش".split()
)
_DIGRAPHS = [("ch", "ش"), ("sh", "ش"), ("kh", "خ"), ("gh", "غ"), ("ou", "و"), ("th", "ت")]
_LETTERS = dict(zip("2357989", "ءعخحقهق", strict=True)) | dict(
    zip("abdfhijklmnqrstuwyz", "ابدفهيجكلمنقرستوويز", strict=True)
)


def is_arabizi(text: str) -> bool:
    """Latin-script Darija: digits inside words (wa7d, 3andi) or Darija function words, in a Latin-script text."""
    words = re.findall(r"[\w']+", text.lower())
    latin = bool(words) and not has_arabic(text)
    return latin and (len(ARABIZI_DIGITS.findall(text)) >= 2 or sum(w in DARIJA_MARKERS for w in words) >= 2)


def is_darija(text: str) -> bool:
    """Darija in either script (Arabic-script Darija is told by its function words: واش، ديال، شنو…)."""
    words = set(re.findall(r"\w+", text.lower()))
    return is_arabizi(text) or len(words & DARIJA_MARKERS) >= 1 and has_arabic(text)


def transliterate(text: str) -> str:
    """Arabizi → Arabic script, letter by letter (vowels inside words dropped): "l7bs" → "لحبس"."""
    out = []
    for word in re.findall(r"[a-z0-9']+", text.lower()):
        for latin, arabic in _DIGRAPHS:
            word = word.replace(latin, arabic)
        head, body = word[:1], word[1:]
        body = re.sub(r"[aeiouy]", "", body) if len(body) > 2 else body
        out.append("".join(_LETTERS.get(c, c if not c.isascii() else "") for c in head + body))
    return " ".join(w for w in out if w)


def expand(question: str) -> str:
    """The question as retrieval should read it: itself, plus its Arabic-script transliteration for arabizi."""
    return f"{question} {transliterate(question)}" if is_arabizi(question) else question
