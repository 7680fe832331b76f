"""Cut a document's cleaned lines into legal texts (header, hierarchy) and their articles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jarida.catalogue import law_by_number, law_named_in

from .articles import END_OF_TEXT, TOC_LINE, Heading, article_heading, hierarchy_heading
from .headers import TextHeader, is_header_start, parse_header
from .layout import PageLine

FIRST_KEYS = {"1", "unique"}


@dataclass
class ParsedArticle:
    """An article as found: heading, key, breadcrumb and its lines."""

    heading: Heading
    breadcrumb: list[str]
    lines: list[PageLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(ln.text for ln in self.lines).strip()


@dataclass
class ParsedText:
    """One legal text of a document (a BO issue may hold several), or a plain document without articles."""

    law_id: str
    title: str
    header: TextHeader | None
    articles: list[ParsedArticle] = field(default_factory=list)
    lines: list[PageLine] = field(default_factory=list)  # preamble, or the whole text of a plain document


def _law_id(header: TextHeader | None, context: str, fallback: str) -> tuple[str, str]:
    """(law_id, title): a catalogued law by number, then by name, then `type-number`, then `fallback`."""
    if header and header.text_type == "loi" and (law := law_by_number(header.number)):
        return law.law_id, header.title
    if header and header.number:
        return f"{header.text_type}-{header.number}", header.title
    if law := law_named_in(context):
        return law.law_id, law.title
    return fallback, context.strip()[:200]


def parse_texts(lines: list[PageLine], lang: str, fallback_id: str) -> list[ParsedText]:
    """Texts with their articles, in reading order. A document without articles is one plain text."""
    lines = [ln for ln in lines if not TOC_LINE.search(ln.text)]
    headings = [article_heading(ln.text, lang) for ln in lines]
    uses_madda = any(h and h.word == "المادة" for h in headings)
    if uses_madda:  # الفصل is then a chapter, not an article
        headings = [None if h and h.word == "الفصل" else h for h in headings]
    if sum(h is not None for h in headings) < 2 and not any(h and h.key in FIRST_KEYS for h in headings):
        return [_plain_document(lines, lang, fallback_id)]

    texts: list[ParsedText] = []
    breadcrumb: list[str] = []
    local: list[str] = []  # the hierarchy met since the last article or text header: a new text starts with it
    current: ParsedText | None = None
    article: ParsedArticle | None = None
    last_header: int | None = None
    seen_keys: set[str] = set()
    pending_title_for: int | None = None  # breadcrumb level waiting for its title line
    closed = False
    header_article: ParsedArticle | None = None
    kept_before_header = 0
    for i, (line, heading) in enumerate(zip(lines, headings, strict=True)):
        if heading is None and is_header_start([ln.text for ln in lines[i : i + 4]], lang):
            last_header, kept_before_header = i, len(article.lines) if article else 0
            header_article, local = article, []
        if heading is not None:
            restart = heading.key in FIRST_KEYS and (last_header is not None or heading.key in seen_keys)
            if current is None or restart:
                if header_article is not None and last_header is not None:  # the header ends the last text
                    del header_article.lines[kept_before_header:]
                header = (
                    parse_header([ln.text for ln in lines[last_header : last_header + 6]], lang)
                    if last_header is not None
                    else None
                )
                context = header.title if header else _context_title(lines, i, current)
                law_id, title = _law_id(header, context, fallback_id)
                current = ParsedText(law_id, title, header)
                if last_header is not None:
                    current.lines = lines[last_header:i]
                texts.append(current)
                breadcrumb, seen_keys = list(local), set()
            last_header, header_article, local = None, None, []
            article = ParsedArticle(heading, list(breadcrumb))
            if heading.rest:
                article.lines.append(PageLine(line.page, heading.rest, line.confidence))
            current.articles.append(article)
            seen_keys.add(heading.key)
            closed, pending_title_for = False, None
            continue
        if level := hierarchy_heading(line.text, lang):
            depth, label = level
            breadcrumb = [b for b in breadcrumb if _depth(b, lang) < depth] + [label]
            local = [b for b in local if _depth(b, lang) < depth] + [label]
            pending_title_for = len(breadcrumb) - 1 if len(label.split()) <= 3 else None
            article = None
            continue
        if pending_title_for is not None and article is None and len(line.text) < 120:
            breadcrumb[pending_title_for] += " – " + line.text
            local[-1:] = [breadcrumb[pending_title_for]] if local else []
            pending_title_for = None
            continue
        if END_OF_TEXT.match(line.text):
            closed = True
        if article is not None and not closed:
            article.lines.append(line)
    return [t for t in texts if t.articles] or [_plain_document(lines, lang, fallback_id)]


def _depth(label: str, lang: str) -> int:
    found = hierarchy_heading(label.split(" – ")[0], lang)
    return found[0] if found else 99


def _context_title(lines: list[PageLine], index: int, previous: ParsedText | None) -> str:
    """What names a text without its own header: the previous text's title or the document's first lines."""
    if previous is not None:
        return previous.title
    opening = [ln.text for ln in lines[: min(index, 8)] if not re.match(r"^\s*(Vu|بناء على)", ln.text)]
    return " ".join(opening[:4])


def _plain_document(lines: list[PageLine], lang: str, fallback_id: str) -> ParsedText:
    title = " ".join(ln.text for ln in lines[:2])[:200]
    return ParsedText(fallback_id, title, None, [], lines)
