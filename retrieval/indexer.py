"""Index stored articles into Qdrant: incremental and idempotent, with a progress bar.

A chunk is (re)embedded only when its fingerprint changed; points of articles that disappeared are deleted;
each batch is written as soon as it is embedded, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from jarida.records import ArticleStore
from jarida.settings import Settings

from .chunks import Chunk, chunk_article
from .embeddings import Embedder
from .lexical import document_vector
from .store import IndexedChunk, VectorStore

BATCH = 128


@dataclass
class IndexReport:
    """What one indexing run did."""

    articles: int = 0
    chunks: int = 0
    embedded: int = 0
    deleted: int = 0
    unchanged: int = 0
    tokens: int = 0  # tokens the model read (embedding cache misses)
    seconds: float = 0.0


def date_key(iso: str) -> int | None:
    """ "2009-02-18" → 20090218 (payload range filters); None when unknown."""
    return int(iso.replace("-", "")) if iso else None


def payload(chunk: Chunk, fingerprint: str) -> dict:
    """What a point carries: provenance for citations, keys for filters, the chunk text."""
    a = chunk.article
    return {
        "chunk_key": chunk.key, "article_id": a.id, "law_id": a.law_id, "law_title": a.law_title,
        "text_type": a.text_type, "text_number": a.text_number, "lang": a.lang, "article_key": a.article,
        "heading": a.heading, "breadcrumb": a.breadcrumb, "bo_ref": a.bo_ref, "bo_number": a.bo_number,
        "date": date_key(a.text_date), "source": a.source, "pages": a.pages, "method": a.method,
        "part": chunk.part, "parts": chunk.parts, "text": chunk.body, "fingerprint": fingerprint,
    }  # fmt: skip


def build_chunks(settings: Settings, embedder: Embedder) -> tuple[int, list[Chunk]]:
    """(article count, chunks) of everything in the article store."""
    articles = ArticleStore(settings.db_path)
    try:
        stored = list(articles.articles())
    finally:
        articles.close()
    count = lambda text: embedder.count_tokens([text])[0]  # noqa: E731
    return len(stored), [chunk for article in stored for chunk in chunk_article(article, count)]


def index(settings: Settings, store: VectorStore, embedder: Embedder, console: Console | None = None) -> IndexReport:
    """Bring the vector store in line with the article store."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    tokens_before = embedder.embedded_tokens
    report = IndexReport()
    report.articles, chunks = build_chunks(settings, embedder)
    report.chunks = len(chunks)
    existing = store.fingerprints()
    wanted = {c.key for c in chunks}
    todo = [(c, fp) for c in chunks if existing.get(c.key) != (fp := c.fingerprint(embedder.model_id))]
    report.unchanged = len(chunks) - len(todo)
    stale = [key for key in existing if key not in wanted]
    store.delete(stale)
    report.deleted = len(stale)
    columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not todo) as progress:
        bar = progress.add_task("chunks", total=len(todo))
        for i in range(0, len(todo), BATCH):
            batch = todo[i : i + BATCH]
            texts = [c.embed_text for c, _ in batch]
            vectors = embedder.embed_passages(texts)
            store.upsert(
                [
                    IndexedChunk(c.key, vec.tolist(), document_vector(c.embed_text), payload(c, fp))
                    for (c, fp), vec in zip(batch, vectors, strict=True)
                ]
            )
            report.embedded += len(batch)
            progress.advance(bar, len(batch))
    if todo:
        store.optimize()
    report.tokens = embedder.embedded_tokens - tokens_before  # cache hits cost no model time
    report.seconds = round(time.perf_counter() - started, 1)
    return report
