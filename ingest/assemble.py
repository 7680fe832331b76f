"""Parsed texts and the pages they came from become Article records with full provenance."""

from __future__ import annotations

import re
from collections import Counter

from jarida.normalize import index_form
from jarida.types import Article

from .headers import BoReference, find_bo_reference, type_from_title
from .layout import PageLine
from .reading import PageRead
from .structure import ParsedText

PRINTED_PAGE = re.compile(r"^(\d{2,4})\s+BULLETIN OFFICIEL|BULLETIN OFFICIEL\s+(\d{2,4})$", re.IGNORECASE)
RUNNING_HEAD_BO = re.compile(r"^(?:\d{1,4}\s+)?BULLETIN OFFICIEL\s+N\s*°|^N\s*°\s*\d{3,5}\s*[-—–]", re.IGNORECASE)
FOOTNOTE_BO = re.compile(r"^\s*\(?\*?\d{0,2}\)?\s*[-–.)]?\s*(الجريدة الرسمية|Bulletin officiel)", re.IGNORECASE)


def document_lang(pages: list[PageRead]) -> str:
    """The language most of the document's lines are in."""
    weights = Counter()
    for page in pages:
        weights[page.lang] += sum(len(ln.text) for ln in page.lines)
    return weights.most_common(1)[0][0] if weights else "fr"


def printed_pages(pages: list[PageRead]) -> dict[int, str]:
    """PDF page → page number printed in the BO running head ("606 BULLETIN OFFICIEL")."""
    found = {}
    for page in pages:
        for line in page.lines[:3]:
            if m := PRINTED_PAGE.search(line.text.strip()):
                found[page.number] = m.group(1) or m.group(2)
                break
    return found


def document_bo_reference(pages: list[PageRead]) -> BoReference | None:
    """The BO issue a document belongs to: from running heads, or a footnote on the opening pages."""
    for page in pages:
        heads = [ln.text.strip() for ln in page.lines[:3]]
        for i, line in enumerate(heads):
            if RUNNING_HEAD_BO.search(line):
                ref = find_bo_reference(" ".join(heads[i : i + 2]))
                if ref:
                    return ref
    for page in pages[:3]:
        for line in page.lines:
            if FOOTNOTE_BO.match(line.text) and (ref := find_bo_reference(line.text)):
                return ref
    return None


def _confidence(lines: list[PageLine]) -> float | None:
    values = [(ln.confidence, len(ln.text)) for ln in lines if ln.confidence is not None]
    if not values:
        return None
    return round(sum(c * w for c, w in values) / max(1, sum(w for _, w in values)), 1)


def build_articles(texts: list[ParsedText], pages: list[PageRead], lang: str, source: str, stem: str) -> list[Article]:
    """One Article per parsed article (or one per plain document), ids stable across runs."""
    methods = {p.number: p.method for p in pages}
    printed = printed_pages(pages)
    doc_ref = document_bo_reference(pages)
    articles: list[Article] = []
    seen: Counter[str] = Counter()
    for text in texts:
        header_block = "\n".join(ln.text for ln in text.lines[:12])
        ref = find_bo_reference(header_block) or doc_ref
        header = text.header
        text_type = header.text_type if header else type_from_title(text.title) if text.articles else "document"
        units = [(a.heading.key, a.heading.printed, a.breadcrumb, a.lines) for a in text.articles] or [
            ("", "", [], text.lines)
        ]
        for key, printed_heading, breadcrumb, lines in units:
            body = "\n".join(ln.text for ln in lines).strip()
            page_numbers = sorted({ln.page for ln in lines})
            method = "ocr" if any(methods.get(p) == "ocr" for p in page_numbers) else "text"
            base = f"{text.law_id}:{lang}:art{key.replace(' ', '_')}@{stem}" if key else f"{text.law_id}:{lang}@{stem}"
            seen[base] += 1
            bo_page = next((printed[p] for p in page_numbers if p in printed), ref.page if ref else "")
            bo_ref = ""
            if ref:
                bo_ref = BoReference(ref.number, ref.date, bo_page, ref.printed).label(lang)
            articles.append(
                Article(
                    id=base if seen[base] == 1 else f"{base}#{seen[base]}",
                    law_id=text.law_id,
                    law_title=text.title,
                    text_type=text_type,
                    text_number=header.number if header else "",
                    lang=lang,
                    article=key,
                    text=body,
                    bo_ref=bo_ref,
                    bo_number=ref.number if ref else "",
                    source=source,
                    pages=page_numbers,
                    method=method,
                    ocr_confidence=_confidence(lines) if method == "ocr" else None,
                    heading=printed_heading,
                    breadcrumb=breadcrumb,
                    text_date=header.date if header else "",
                    text_date_hijri=header.date_hijri if header else "",
                    index_text=index_form(body),
                )
            )
    return articles
