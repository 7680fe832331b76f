"""Open the retrieval stage for a data dir: embedder, vector store (embedded or server), searcher."""

from __future__ import annotations

from dataclasses import dataclass

from jarida.settings import Settings

from . import alignment
from .embeddings import Embedder
from .gate import PACKAGED_GATE, AnswerGate
from .parallel_lexicon import FILE_NAME, Lexicon
from .reranker import Reranker
from .search import Searcher
from .store import CollectionLayout, VectorStore, open_store


@dataclass
class Retrieval:
    """The parts a command needs; `close()` releases them."""

    embedder: Embedder
    store: VectorStore
    searcher: Searcher

    def close(self) -> None:
        self.store.close()
        self.embedder.close()


def collection_layout(settings: Settings) -> CollectionLayout:
    """The Qdrant collection layout `settings` ask for (`qdrant_shards`, `qdrant_replicas`, `qdrant_on_disk`)."""
    return CollectionLayout(settings.qdrant_shards, settings.qdrant_replicas, settings.qdrant_on_disk)


def open_retrieval(settings: Settings, adapter: bool = True, rerank: bool = True) -> Retrieval:
    """Embedder under `data_dir` (with the trained adapter unless `adapter` is False), Qdrant from
    `JARIDA_QDRANT_URL` or the embedded engine, and the trained reranker (if any) and gate (unless `rerank` is
    False)."""
    embedder = Embedder.from_settings(settings, adapter=adapter)
    store = open_store(
        settings.data_dir, embedder.dim, url=settings.qdrant_url, api_key=settings.qdrant_api_key or None,
        layout=collection_layout(settings),
    )  # fmt: skip
    lexicon = Lexicon.load(settings.data_dir / FILE_NAME)
    reranker = Reranker.from_settings(settings) if rerank else None
    gate = AnswerGate.load(PACKAGED_GATE) if rerank else None
    searcher = Searcher(
        store, embedder, lexicon=lexicon, reranker=reranker, gate=gate, rerank_depth=settings.rerank_depth,
        misaligned=alignment.misaligned(settings.data_dir / alignment.FILE_NAME),
    )  # fmt: skip
    return Retrieval(embedder, store, searcher)
