"""The article store: SQLite records of ingested sources, pages and articles, shared by every stage."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from jarida.types import Article

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY, path TEXT, sha256 TEXT, status TEXT, error TEXT, kind TEXT,
    pages INTEGER DEFAULT 0, text_pages INTEGER DEFAULT 0, ocr_pages INTEGER DEFAULT 0,
    articles INTEGER DEFAULT 0, seconds REAL DEFAULT 0, updated REAL
);
CREATE TABLE IF NOT EXISTS pages (
    source TEXT, page INTEGER, method TEXT, lang TEXT, confidence REAL, reason TEXT, image_hash TEXT,
    PRIMARY KEY (source, page)
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, source TEXT, seq INTEGER, law_id TEXT, lang TEXT, article TEXT, record TEXT
);
CREATE INDEX IF NOT EXISTS articles_by_law ON articles (law_id, article, lang);
CREATE INDEX IF NOT EXISTS articles_by_source ON articles (source, seq);
"""
_ARTICLE_FIELDS = {f.name for f in fields(Article)}


@dataclass
class SourceRecord:
    """What ingest did with one file."""

    source: str
    path: str
    sha256: str
    status: str  # "done" | "error"
    kind: str = ""
    error: str = ""
    pages: int = 0
    text_pages: int = 0
    ocr_pages: int = 0
    articles: int = 0
    seconds: float = 0.0


@dataclass
class PageRecord:
    """How one page was read."""

    page: int
    method: str  # "text" | "ocr" | "blank"
    lang: str
    confidence: float | None = None
    reason: str = ""
    image_hash: str = ""


class ArticleStore:
    """Articles with provenance in one SQLite file; a source's records are replaced as a whole."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)  # wait for another process's write instead of failing
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def source(self, name: str) -> SourceRecord | None:
        """The stored record of a source, if it was seen before."""
        row = self.db.execute(
            "SELECT source, path, sha256, status, kind, error, pages, text_pages, ocr_pages, articles, seconds "
            "FROM sources WHERE source = ?",
            (name,),
        ).fetchone()
        return SourceRecord(*row) if row else None

    def sources(self) -> list[SourceRecord]:
        rows = self.db.execute(
            "SELECT source, path, sha256, status, kind, error, pages, text_pages, ocr_pages, articles, seconds "
            "FROM sources ORDER BY source"
        ).fetchall()
        return [SourceRecord(*row) for row in rows]

    def replace_source(self, record: SourceRecord, pages: Iterable[PageRecord], articles: list[Article]) -> None:
        """Store one source's outcome atomically: a killed run leaves the previous state intact."""
        with self.db:
            self.db.execute("DELETE FROM articles WHERE source = ?", (record.source,))
            self.db.execute("DELETE FROM pages WHERE source = ?", (record.source,))
            self.db.execute(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.source,
                    record.path,
                    record.sha256,
                    record.status,
                    record.error,
                    record.kind,
                    record.pages,
                    record.text_pages,
                    record.ocr_pages,
                    len(articles),
                    record.seconds,
                    time.time(),
                ),
            )
            self.db.executemany(
                "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(record.source, p.page, p.method, p.lang, p.confidence, p.reason, p.image_hash) for p in pages],
            )
            self.db.executemany(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, record.source, seq, a.law_id, a.lang, a.article, json.dumps(a.to_dict(), ensure_ascii=False))
                    for seq, a in enumerate(articles)
                ],
            )

    def owners(self, ids: Iterable[str], besides: str) -> dict[str, str]:
        """Article ids among `ids` already stored from a source other than `besides`, with that source."""
        found: dict[str, str] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id, source FROM articles WHERE source != ? AND id IN ({marks})", [besides, *chunk]
            )
            found.update(rows)
        return found

    def record_error(self, record: SourceRecord) -> None:
        """Remember a failed source without touching what an earlier successful run stored for it."""
        with self.db:
            previous = self.source(record.source)
            if previous and previous.status == "done":
                return
            self.db.execute(
                "INSERT OR REPLACE INTO sources (source, path, sha256, status, error, kind, updated) "
                "VALUES (?, ?, ?, 'error', ?, ?, ?)",
                (record.source, record.path, record.sha256, record.error, record.kind, time.time()),
            )

    def articles(self, law_id: str | None = None, lang: str | None = None) -> Iterator[Article]:
        """Stored articles in source order, optionally for one law and/or language."""
        query, args = "SELECT record FROM articles WHERE 1=1", []
        if law_id:
            query, args = query + " AND law_id = ?", [*args, law_id]
        if lang:
            query, args = query + " AND lang = ?", [*args, lang]
        for (record,) in self.db.execute(query + " ORDER BY source, seq", args):
            data = json.loads(record)
            yield Article(**{k: v for k, v in data.items() if k in _ARTICLE_FIELDS})

    def pages(self, source: str) -> list[PageRecord]:
        rows = self.db.execute(
            "SELECT page, method, lang, confidence, reason, image_hash FROM pages WHERE source = ? ORDER BY page",
            (source,),
        ).fetchall()
        return [PageRecord(*row) for row in rows]

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
