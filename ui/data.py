"""Read-only queries over the article store for the workspace: laws, editions, hierarchy, corpus figures."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields

from jarida.catalogue import display_title
from jarida.records import ArticleStore
from jarida.settings import Settings
from jarida.types import Article

_FIELDS = {f.name for f in fields(Article)}
LOW_CONFIDENCE = 80.0  # OCR pages under this mean word confidence are listed for review


@contextmanager
def article_store(settings: Settings) -> Iterator[ArticleStore]:
    """An ArticleStore for this thread (SQLite connections stay in the thread that opened them)."""
    store = ArticleStore(settings.db_path)
    try:
        yield store
    finally:
        store.close()


def _article(record: str) -> Article:
    data = json.loads(record)
    return Article(**{k: v for k, v in data.items() if k in _FIELDS})


@dataclass(frozen=True)
class LawEntry:
    """One legal text of the store: id, title, type, date, languages and article count."""

    law_id: str
    title: str
    text_type: str
    date: str
    langs: tuple[str, ...]
    articles: int


def laws(db: sqlite3.Connection) -> list[LawEntry]:
    """Every law in the store, by id."""
    rows = db.execute(
        "SELECT law_id, json_extract(record, '$.law_title'), json_extract(record, '$.text_type'), "
        "json_extract(record, '$.text_date'), group_concat(DISTINCT lang), COUNT(*) "
        "FROM articles GROUP BY law_id ORDER BY law_id"
    ).fetchall()
    return [
        LawEntry(r[0], r[1] or r[0], r[2] or "", r[3] or "", tuple(sorted((r[4] or "").split(","))), r[5]) for r in rows
    ]


def shown_title(law: LawEntry, lang: str) -> str:
    """The law's one display title in `lang` (the catalogue's; a plain document is named as non-legal)."""
    return display_title(law.law_id, lang, law.title, law.text_type, "")


def text_types(db: sqlite3.Connection) -> list[str]:
    """The text types present in the store."""
    rows = db.execute("SELECT DISTINCT json_extract(record, '$.text_type') FROM articles ORDER BY 1").fetchall()
    return [r[0] for r in rows if r[0]]


def editions(db: sqlite3.Connection, law_id: str, article: str) -> dict[str, Article]:
    """The French and Arabic editions of one article (first stored one per language)."""
    found: dict[str, Article] = {}
    rows = db.execute(
        "SELECT lang, record FROM articles WHERE law_id = ? AND article = ? ORDER BY source, seq", (law_id, article)
    )
    for lang, record in rows:
        found.setdefault(lang, _article(record))
    return found


def law_articles(db: sqlite3.Connection, law_id: str, lang: str | None = None) -> list[Article]:
    """A law's articles in printed order, optionally one language."""
    query, args = "SELECT record FROM articles WHERE law_id = ?", [law_id]
    if lang:
        query, args = query + " AND lang = ?", [*args, lang]
    return [_article(r[0]) for r in db.execute(query + " ORDER BY source, seq", args)]


def hierarchy(articles: list[Article]) -> dict[tuple[str, ...], list[Article]]:
    """Articles grouped by breadcrumb (Livre / Titre / Chapitre ...), in order of first appearance."""
    groups: dict[tuple[str, ...], list[Article]] = {}
    for a in articles:
        groups.setdefault(tuple(a.breadcrumb), []).append(a)
    return groups


@dataclass
class CorpusFigures:
    """What the dashboard shows."""

    texts_by_type: list[tuple[str, str, int]]  # (text type, lang, texts)
    texts_by_year: list[tuple[str, str, int]]  # (year, lang, texts)
    articles_by_lang: list[tuple[str, int]]
    pages_by_method: dict[str, int]
    low_confidence: list[tuple[str, int, float, str]]  # (source, page, confidence, lang)
    sources: int
    errors: list[tuple[str, str]]  # (source, error)

    @property
    def ocr_share(self) -> float:
        """Share of read pages (text layer or OCR) that needed OCR."""
        read = self.pages_by_method.get("text", 0) + self.pages_by_method.get("ocr", 0)
        return self.pages_by_method.get("ocr", 0) / read if read else 0.0


def corpus_figures(db: sqlite3.Connection, threshold: float = LOW_CONFIDENCE) -> CorpusFigures:
    """Texts by type, year and language; pages by method; low-confidence OCR pages; failed sources."""
    by_type = db.execute(
        "SELECT coalesce(nullif(json_extract(record, '$.text_type'), ''), '?'), lang, COUNT(DISTINCT law_id) "
        "FROM articles GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    by_year = db.execute(
        "SELECT coalesce(nullif(substr(json_extract(record, '$.text_date'), 1, 4), ''), '?'), lang, "
        "COUNT(DISTINCT law_id) FROM articles GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    by_lang = db.execute("SELECT lang, COUNT(*) FROM articles GROUP BY lang ORDER BY lang").fetchall()
    methods = dict(db.execute("SELECT method, COUNT(*) FROM pages GROUP BY method").fetchall())
    low = db.execute(
        "SELECT source, page, confidence, lang FROM pages WHERE method = 'ocr' AND confidence IS NOT NULL "
        "AND confidence < ? ORDER BY confidence LIMIT 200",
        (threshold,),
    ).fetchall()
    sources = db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
    errors = db.execute("SELECT source, error FROM sources WHERE status = 'error' ORDER BY source").fetchall()
    return CorpusFigures(by_type, by_year, by_lang, methods, low, sources, errors)


def first_article_on_page(db: sqlite3.Connection, source: str, page: int) -> Article | None:
    """An article printed on `page` of `source` (for opening a page to review from the dashboard)."""
    for (record,) in db.execute("SELECT record FROM articles WHERE source = ? ORDER BY seq", (source,)):
        article = _article(record)
        if page in article.pages:
            return article
    return None
