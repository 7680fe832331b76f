"""Clean page lines before parsing: running heads, page numbers, watermarks and footnotes go."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from jarida.normalize import ascii_digits

from .pdf import Line

PAGE_NUMBER = re.compile(r"^[\s\-–—(]*\d{1,4}[\s\-–—)]*$")
RUNNING_HEAD = re.compile(
    r"^(?:\d{1,4}\s+)?BULLETIN OFFICIEL(?:\s+\d{1,4})?$|^N\s*°\s*\d{3,5}\s*[-—–].*\(\d{1,2}-\d{1,2}-\d{4}\)\s*\d{0,4}$"
    r"|^الجريدة الرسمية\s*$|^عدد\s*\d{3,5}\s*[-–—]",
    re.IGNORECASE,
)
# The BO's running head as one OCR line: "630 BULLETIN OFFICIEL N° 5210 — 16 rabii I 1425 (6-5-2004)" or
# "N° 5210 — … (6-5-2004) BULLETIN OFFICIEL 651" (capitals: body text writes "Bulletin officiel n° …").
BO_RUNNING_HEAD = re.compile(
    r"^(?:\d{1,4}\s+)?BULLETIN OFFICIEL\s+N\s*[°o]\s*\d{3,5}\b.{0,60}$"
    r"|^N\s*[°o]\s*\d{3,5}\s*[-—–].{0,60}BULLETIN OFFICIEL(?:\s+\d{1,4})?$"
)
FOOTNOTE_SIZE_RATIO = 0.9
HEAD_LINES = 2  # page-top lines examined for running heads on OCR'd pages
HEAD_CONFIDENCE = 70  # OCR'd page-top lines read with less confidence may be a garbled letterhead
# A footnote giving the BO reference of a text ("1- الجريدة الرسمية عدد 7521 …"): provenance, not article text.
FOOTNOTE_BO = re.compile(r"^\s*\(?\*?\d{1,2}\)?\s*[-–.)]\s*(الجريدة الرسمية|Bulletin officiel)", re.IGNORECASE)
# Lines that repeat by design (article and section headings) are never boilerplate.
STRUCTURAL = re.compile(
    r"^\s*(art|livre|titre|chapitre|section|sous-section|paragraphe|المادة|الفصل|الباب|القسم|الكتاب|الفرع|مادة)",
    re.IGNORECASE,
)


@dataclass
class PageLine:
    """A line kept for parsing, with the 1-based page it was printed on."""

    page: int
    text: str
    confidence: float | None = None


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", ascii_digits(text).lower()).strip()


def _body_size(pages: list[tuple[int, list[Line]]]) -> float:
    """The document's body font size: the size most of its characters are printed in (0 for OCR pages)."""
    sizes: Counter[int] = Counter()
    for _, lines in pages:
        for line in lines:
            if line.size:
                sizes[round(line.size)] += len(line.text)
    return float(sizes.most_common(1)[0][0]) if sizes else 0.0


def _footnote_start(lines: list[Line], body: float) -> int:
    """Index of the first footnote line at the bottom of a text-layer page (len(lines) when none)."""
    if not body:
        return len(lines)
    start = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if line.size and line.size < FOOTNOTE_SIZE_RATIO * body:
            start = i
        elif line.size:
            break
    first = lines[start].text if start < len(lines) else ""
    return start if re.match(r"^\s*(\(?\*+\)?|\(?\d{1,3}\)?)", first) else len(lines)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]{4,}", text.lower()))


def _ocr_running_heads(pages: list[tuple[int, list[Line]]]) -> set[tuple[int, int]]:
    """(page, line index) of unsure OCR'd page-top lines that recur, misread differently, atop other pages.

    A letterhead in a decorative font ("المملكة المغربية – وزارة العدل – مديرية التشريع") comes out of OCR
    garbled and different on every page, so exact repeats miss it. A top line read with low confidence that
    shares a word with the top lines of at least 20% of the other pages (and at least two), or whose words
    occur nowhere in the body text, is a running head; body text at a page top is read with high
    confidence and is kept."""
    tops = {
        page: [
            (i, ln, _words(ln.text))
            for i, ln in enumerate(lines[:HEAD_LINES])
            if ln.confidence is not None and not STRUCTURAL.match(ln.text)
        ]
        for page, lines in pages
    }
    body = {w for _, lines in pages for ln in lines[HEAD_LINES:] for w in _words(ln.text)}
    found: set[tuple[int, int]] = set()
    for page, candidates in tops.items():
        for index, line, words in candidates:
            if not words or line.confidence >= HEAD_CONFIDENCE:
                continue
            similar = sum(
                any(words & other for _, _, other in others)
                for other_page, others in tops.items()
                if other_page != page
            )
            gibberish = len(words & body) < 0.4 * len(words)  # its words occur nowhere in the body text
            if gibberish or similar >= max(2, 0.2 * (len(tops) - 1)):
                found.add((page, index))
    return found


def clean_pages(pages: list[tuple[int, list[Line]]]) -> list[PageLine]:
    """Drop boilerplate repeated across pages, page numbers, running heads and bottom-of-page footnotes."""
    shapes = Counter()
    for _, lines in pages:
        shapes.update({_shape(ln.text) for ln in lines})
    repeated = {
        s
        for s, n in shapes.items()
        if len(pages) >= 4 and n >= max(3, 0.3 * len(pages)) and len(s) > 2 and not STRUCTURAL.match(s)
    }
    kept: list[PageLine] = []
    body = _body_size(pages)
    heads = _ocr_running_heads(pages)
    for page_no, lines in pages:
        for index, line in enumerate(lines[: _footnote_start(lines, body)]):
            text = line.text.strip()
            if (
                (page_no, index) in heads
                or not text
                or PAGE_NUMBER.match(text)
                or RUNNING_HEAD.match(text)
                or BO_RUNNING_HEAD.match(text)
                or FOOTNOTE_BO.match(text)
                or _shape(text) in repeated
            ):
                continue
            kept.append(PageLine(page_no, text, line.confidence))
    return kept
