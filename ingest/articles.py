"""Recognise article and hierarchy headings, French and Arabic, and turn them into article keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jarida.normalize import arabic_index_form, ascii_digits

SUFFIXES_FR = "bis|ter|quater|quinquies|sexies|septies|octies|nonies|novies|decies"
_NUM = r"\d{1,4}(?:\s?[-.‐–]\s?\d{1,4}){0,2}"
ARTICLE_FR = re.compile(
    rf"^\s*(?:ARTICLE|A[rn]t[il1]c[l1Ii][eé]|Art\s?\.)\s+(?P<num>premier|première|1\s?er|unique|{_NUM})"
    rf"(?:\s*(?P<suffix>{SUFFIXES_FR})\b)?\s*(?P<rest>(?:[:.\-–—]|$).*)$",
    re.IGNORECASE,
)
_UNITS = [
    ("اول", "اولي"),
    ("ثاني", "ثانيه"),
    ("ثالث", "ثالثه"),
    ("رابع", "رابعه"),
    ("خامس", "خامسه"),
    ("سادس", "سادسه"),
    ("سابع", "سابعه"),
    ("ثامن", "ثامنه"),
    ("تاسع", "تاسعه"),
    ("عاشر", "عاشره"),
]
_TENS = ["عشرون", "ثلاثون", "اربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون"]


def _arabic_ordinals() -> dict[str, int]:
    """Ordinal words in index form (ة→ه, ى→ي, bare alef) → number, 1 to 99, both genders."""
    table: dict[str, int] = {}
    for n, forms in enumerate(_UNITS, start=1):
        for form in forms:
            table["ال" + form] = n
    for n in range(1, 10):
        masc, fem = _UNITS[n - 1]
        masc, fem = ("حادي", "حاديه") if n == 1 else (masc, fem)
        table[f"ال{masc} عشر"] = table[f"ال{fem} عشره"] = 10 + n
    for t, tens in enumerate(_TENS, start=2):
        table["ال" + tens] = 10 * t
        for n in range(1, 10):
            masc, fem = _UNITS[n - 1]
            masc, fem = ("حادي", "حاديه") if n == 1 else (masc, fem)
            table[f"ال{masc} وال{tens}"] = table[f"ال{fem} وال{tens}"] = 10 * t + n
    return table


ARABIC_ORDINALS = _arabic_ordinals()
_ORDINAL_ALT = "|".join(sorted(map(re.escape, ARABIC_ORDINALS), key=len, reverse=True))
ARTICLE_AR = re.compile(
    rf"^\s*(?P<word>الماده|ماده|الفصل|فصل)\s+(?P<num>{_NUM}|{_ORDINAL_ALT})"
    rf"(?:\s+(?P<suffix>مكرر(?:ه)?(?:\s+مرتين)?))?\s*(?P<rest>(?:[:.\-–—]|$).*)$"
)
HIERARCHY_FR = re.compile(  # capitalised: "chapitre II de la présente loi" mid-sentence is not a heading
    r"^\s*(?P<level>LIVRE|TITRE|CHAPITRE|SECTION|SOUS-SECTION|PARAGRAPHE|Livre|Titre|Chapitre|Section|Sous-section"
    r"|Paragraphe)\s+(?P<num>(?i:pr[eé]\s?mi[eè]re?|pr[eé]liminaire|unique|seconde?|[a-zé]+i[eè]me)"
    r"|[IVXLC]+|\d+|[A-Z]|[IVXLC|][IVXLC|l1TN]*)(?![^\W_])"  # OCR misreads of roman numerals: "Il", "IT", "IN", "||"
    r"\.?\s*[:.\-–—]?\s*(?P<title>.*)$"
)
HIERARCHY_AR = re.compile(
    r"^\s*(?P<level>الكتاب|القسم|الباب|الفرع|الجزء|الفصل)\s+(?P<num>\S+)\s*[:.\-–—]?\s*(?P<title>.*)$"
)
LEVELS = {
    "livre": 0,
    "titre": 1,
    "chapitre": 2,
    "section": 3,
    "sous-section": 4,
    "paragraphe": 5,
    "الكتاب": 0,
    "الجزء": 0,
    "القسم": 1,
    "الباب": 2,
    "الفصل": 3,
    "الفرع": 4,
}
# The end of a text: its signature, or the BO French edition's note on the Arabic original that follows it.
END_OF_TEXT = re.compile(
    r"^\s*(Fait à|Pour contreseing|Le texte en langue arabe a été publié|وحرر ب|الإمضاء|وقعه بالعطف)"
)
TOC_LINE = re.compile(r"\.{5,}\s*\d*\s*$")


@dataclass(frozen=True)
class Heading:
    """An article heading found on a line."""

    key: str  # "1", "12 bis", "44-1", "unique"
    printed: str  # "Article premier", "المادة الأولى"
    rest: str  # text after the heading on the same line
    word: str  # "article" | "المادة" | "الفصل"


def _number_key(num: str) -> str:
    num = ascii_digits(num).lower().replace(" ", "")
    if num in ("premier", "première", "1er"):
        return "1"
    return re.sub(r"[.‐–]", "-", num)


def article_heading(line: str, lang: str) -> Heading | None:
    """The article heading a line starts with, or None (cross-references mid-sentence don't count)."""
    if lang == "ar":
        norm = arabic_index_form(line)
        m = ARTICLE_AR.match(norm)
        if not m:
            return None
        num = m.group("num")
        key = str(ARABIC_ORDINALS[num]) if num in ARABIC_ORDINALS else _number_key(num)
        if m.group("suffix"):
            key += " مكرر"
        rest = m.group("rest").lstrip(":.-–— ")
        word = "الفصل" if m.group("word").endswith("فصل") else "المادة"
        printed = line.strip()[: len(line.strip()) - len(rest)].rstrip(":.-–— ") if rest else line.strip()
        return Heading(key, printed, rest, word)
    m = ARTICLE_FR.match(ascii_digits(line))
    if not m:
        return None
    key = _number_key(m.group("num"))
    if m.group("suffix"):
        key += " " + m.group("suffix").lower()
    rest = m.group("rest").lstrip(":.-–— ")
    printed = line.strip()[: len(line.strip()) - len(rest)].rstrip(":.-–— ") if rest else line.strip()
    return Heading(key, printed, rest, "article")


def hierarchy_heading(line: str, lang: str) -> tuple[int, str] | None:
    """(level, label) when a line is a Livre/Titre/Chapitre/Section (or Arabic) heading."""
    if len(line) > 160 or TOC_LINE.search(line):
        return None
    m = (HIERARCHY_AR if lang == "ar" else HIERARCHY_FR).match(line)
    if not m:
        return None
    level = LEVELS[m.group("level").lower()]
    return level, line.strip()
