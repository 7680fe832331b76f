"""Domain types shared by every stage: articles and the citations that point at them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Method = Literal["text", "ocr", "digitised"]


@dataclass
class Article:
    """One article of one legal text, in one language edition, from one source."""

    id: str
    law_id: str
    law_title: str
    text_type: str  # dahir, loi, decret, arrete, circulaire, convention, document, ...
    text_number: str  # normalised key: "2-26-530", "09-08"; "" when the text has none
    lang: str  # "fr" | "ar"
    article: str  # number as a key: "1", "12 bis", "44-1"; "" for a document without articles
    text: str  # as printed (Arabic repaired where extraction swapped lam-alef)
    bo_ref: str = ""  # "BO n° 5714 du 5 mars 2009, p. 552" when printed
    bo_number: str = ""
    source: str = ""  # file name the record was read from
    pages: list[int] = field(default_factory=list)  # 1-based pages of the source
    method: Method = "text"
    ocr_confidence: float | None = None  # mean word confidence 0-100 over OCR'd lines
    heading: str = ""  # the heading as printed: "Article premier", "المادة الأولى"
    breadcrumb: list[str] = field(default_factory=list)  # Livre / Titre / Chapitre / Section
    text_date: str = ""  # ISO date of the text when parsed
    text_date_hijri: str = ""
    index_text: str = ""  # normalised form for lexical indexing

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A pointer from an answer to an article that was actually retrieved; `n` is its `[n]` in the answer."""

    law_id: str
    article: str
    lang: str
    law_title: str = ""
    bo_ref: str = ""
    page: int | None = None
    excerpt: str = ""
    score: float = 0.0
    source: str = ""
    n: int = 0
    heading: str = ""
    passage: str = ""  # the sentence(s) of the article that match the question, shown highlighted

    def to_dict(self) -> dict:
        return asdict(self)
