"""Index stored articles into Qdrant: incremental and idempotent, with a progress bar.

A chunk is (re)embedded only when its fingerprint changed; points of articles that disappeared are deleted;
each batch is written as soon as it is embedded, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from jarida.records import ArticleStore
from jarida.settings import Settings
from jarida.types import Article

from . import alignment
from .chunks import Chunk, chunk_article
from .embeddings import Embedder
from .lexical import ANALYZER_VERSION, document_vector
from .parallel_lexicon import FILE_NAME, Lexicon, learn, pairs_digest
from .store import IndexedChunk, VectorStore

BATCH = 128
# Embeds batches of passage texts: yields (batch number, vectors) as batches finish, in any order.
BatchEmbedder = Callable[[list[list[str]]], Iterable[tuple[int, np.ndarray]]]


@dataclass
class IndexReport:
    """What one indexing run did."""

    articles: int = 0
    chunks: int = 0
    embedded: int = 0
    deleted: int = 0
    unchanged: int = 0
    tokens: int = 0  # tokens the model read (embedding cache misses)
    parallel_articles: int = 0  # articles in both editions (the cross-script lexicon learns from them)
    lexicon_learned: bool = False
    misaligned_editions: int | None = None  # pairs flagged by the edition-alignment check (None: not rerun)
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


def indexed_chunks(batch: list[tuple[Chunk, str]], vectors: np.ndarray) -> list[IndexedChunk]:
    """(chunk, fingerprint) pairs and their dense vectors as points: the BM25 vector and the payload added."""
    return [
        IndexedChunk(c.key, vec.tolist(), document_vector(c.embed_text), payload(c, fp))
        for (c, fp), vec in zip(batch, vectors, strict=True)
    ]


def local_batches(embedder: Embedder) -> BatchEmbedder:
    """Batches embedded one after the other in this process (`Embedder.embed_passages`)."""

    def run(batches: list[list[str]]) -> Iterator[tuple[int, np.ndarray]]:
        for i, texts in enumerate(batches):
            yield i, embedder.embed_passages(texts)

    return run


def stored_articles(settings: Settings) -> list[Article]:
    """Every article in the article store."""
    articles = ArticleStore(settings.db_path)
    try:
        return list(articles.articles())
    finally:
        articles.close()


def build_chunks(articles: list[Article], embedder: Embedder) -> list[Chunk]:
    """The chunks of these articles."""
    count = lambda text: embedder.count_tokens([text])[0]  # noqa: E731
    return [chunk for article in articles for chunk in chunk_article(article, count)]


def parallel_texts(articles: list[Article], exclude: set[tuple[str, str]] = frozenset()) -> list[tuple[str, str]]:
    """(French text, Arabic text) of every article present in both editions, but the (law_id, article) excluded."""
    editions: dict[tuple[str, str], dict[str, str]] = {}
    for a in articles:
        if a.text.strip() and a.article and (a.law_id, a.article) not in exclude:
            editions.setdefault((a.law_id, a.article), {})[a.lang] = a.text
    return [(e["fr"], e["ar"]) for e in editions.values() if "fr" in e and "ar" in e]


def refresh_lexicon(path: Path, pairs: list[tuple[str, str]]) -> bool:
    """Relearn the cross-script lexicon when the parallel articles changed; whether it was relearned."""
    if Lexicon.load(path).digest == pairs_digest(pairs):
        return False
    learn(pairs).save(path)
    return True


def index(
    settings: Settings,
    store: VectorStore,
    embedder: Embedder,
    console: Console | None = None,
    embed_batches: BatchEmbedder | None = None,
) -> IndexReport:
    """Bring the vector store in line with the article store.

    `embed_batches` embeds the batches elsewhere (`jarida.retrieval.cluster`: Ray actors); by default `embedder`
    does, here. Either way `embedder` chunks, names the model in the fingerprints and holds the cache."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    tokens_before = embedder.embedded_tokens
    report = IndexReport()
    articles = stored_articles(settings)
    report.articles, chunks = len(articles), build_chunks(articles, embedder)
    report.chunks = len(chunks)
    existing = store.fingerprints()
    wanted = {c.key for c in chunks}
    version = f"{embedder.model_id}|bm25-{ANALYZER_VERSION}"
    todo = [(c, fp) for c in chunks if existing.get(c.key) != (fp := c.fingerprint(version))]
    report.unchanged = len(chunks) - len(todo)
    stale = [key for key in existing if key not in wanted]
    store.delete(stale)
    report.deleted = len(stale)
    columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not todo) as progress:
        bar = progress.add_task("chunks", total=len(todo))
        batches = [todo[i : i + BATCH] for i in range(0, len(todo), BATCH)]
        run = embed_batches or local_batches(embedder)
        for n, vectors in run([[c.embed_text for c, _ in batch] for batch in batches]):
            store.upsert(indexed_chunks(batches[n], vectors))  # each batch stored as soon as it is embedded
            report.embedded += len(batches[n])
            progress.advance(bar, len(batches[n]))
    if todo:
        store.optimize()
    pairs = parallel_texts(articles)
    report.parallel_articles = len(pairs)
    report.lexicon_learned = refresh_lexicon(settings.data_dir / FILE_NAME, pairs)
    editions = settings.data_dir / alignment.FILE_NAME
    if report.lexicon_learned or todo or not editions.exists():  # a few seconds: lexicon look-ups only
        flagged, checked = alignment.check_editions(articles, Lexicon.load(settings.data_dir / FILE_NAME))
        alignment.save_checks(editions, flagged, checked)
        report.misaligned_editions = len(flagged)
    report.tokens = embedder.embedded_tokens - tokens_before  # cache hits cost no model time
    report.seconds = round(time.perf_counter() - started, 1)
    return report
