"""Digitised article texts (JSONL, one article per line, as in the shared corpus) become Article records."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jarida.normalize import index_form, number_key, repair_lam_alef, strip_bidi
from jarida.types import Article

from .errors import SourceError
from .headers import AR_HEADER, FR_HEADER, gregorian_date, text_type_of, type_from_title
from .layout import PAGE_NUMBER

REQUIRED = ("law_id", "lang", "article", "text")
# The Arabic consolidations print the page's amendment notes ("- 45تم تغيير مقتضيات الفصل أعاله ...") and page
# numbers inside the article that ran across the page; they are the editor's, not the law's.
_NOTE_START = re.compile(r"^\s*-\s*\d{1,4}\s*(?:تم|تمت|أضيف|أضيفت|ألغي|ألغيت|نسخ|نسخت|غير|غيرت|عوض|عوضت)\b")
_NOTE_END = re.compile(r"(?:\.|ص\s*\.\s*\d+)\s*$")
_NOTE_MAX_LINES = 4


def _type_and_number(title: str, lang: str) -> tuple[str, str]:
    m = (AR_HEADER if lang == "ar" else FR_HEADER).search(title)
    if m:
        return text_type_of(m.group(1), lang), number_key(m.group(2))
    return type_from_title(title, default="document"), ""


def drop_editorial_notes(text: str) -> str:
    """An Arabic article without the amendment notes and page numbers printed inside it.

    A note starts with "- N" and an amendment verb and ends at the first line that closes a sentence (at most
    four lines); a "note" that never closes is kept as it is, so article text is never dropped by mistake.
    """
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        if _NOTE_START.match(lines[i]):
            end = next((j for j in range(i, min(i + _NOTE_MAX_LINES, len(lines))) if _NOTE_END.search(lines[j])), None)
            if end is not None:
                i = end + 1
                continue
        if not PAGE_NUMBER.match(lines[i]):
            out.append(lines[i])
        i += 1
    return "\n".join(out).strip()


def read_jsonl(path: Path, source: str) -> list[Article]:
    """Articles of a digitised JSONL file; a malformed line is an error naming its line number."""
    articles: list[Article] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SourceError(source, f"line {line_no} is not valid JSON ({exc.msg})", "fix or remove it") from exc
            # An empty text is kept (a repealed article is still a numbered article); a missing field is not.
            missing = [k for k in REQUIRED if row.get(k) in (None, "") and not (k == "text" and k in row)]
            if missing:
                raise SourceError(source, f"line {line_no} lacks {', '.join(missing)}", "see README, 'Digitised texts'")
            lang = row["lang"]
            if lang not in ("fr", "ar"):
                raise SourceError(source, f"line {line_no}: unknown language '{lang}'", "use 'fr' or 'ar'")
            key = re.sub(r"\s+", " ", str(row["article"]).strip())
            title = row.get("law_title", "")
            text_type, text_number = _type_and_number(title, lang)
            base = f"{row['law_id']}:{lang}:art{key.replace(' ', '_')}@{path.stem}"
            seen[base] = seen.get(base, 0) + 1
            text = strip_bidi(row["text"]).strip()
            if lang == "ar":
                text = drop_editorial_notes(repair_lam_alef(text))
            articles.append(
                Article(
                    id=base if seen[base] == 1 else f"{base}#{seen[base]}",
                    law_id=row["law_id"],
                    law_title=title,
                    text_type=text_type,
                    text_number=text_number,
                    lang=lang,
                    article=key,
                    text=text,
                    bo_ref=row.get("bo_ref", ""),
                    bo_number=(
                        (m.group(1) or m.group(2))
                        if (m := re.search(r"n°\s*(\d{3,5})|عدد\s*(\d{3,5})", row.get("bo_ref", "")))
                        else ""
                    ),
                    source=source,
                    pages=[],
                    method="digitised",
                    ocr_confidence=None,
                    heading="",
                    breadcrumb=[],
                    text_date=gregorian_date(title),
                    index_text=index_form(text),
                )
            )
    if not articles:
        raise SourceError(source, "no articles in the file", "one JSON object per line, see README")
    return articles
