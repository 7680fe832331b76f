"""Open the retrieval stage for a data dir: embedder, vector store (embedded or server), searcher."""

from __future__ import annotations

from dataclasses import dataclass

from jarida.settings import Settings

from .embeddings import Embedder
from .parallel_lexicon import FILE_NAME, Lexicon
from .search import Searcher
from .store import VectorStore, open_store


@dataclass
class Retrieval:
    """The parts a command needs; `close()` releases them."""

    embedder: Embedder
    store: VectorStore
    searcher: Searcher

    def close(self) -> None:
        self.store.close()
        self.embedder.close()


def open_retrieval(settings: Settings) -> Retrieval:
    """Embedder under `data_dir`, Qdrant from `JARIDA_QDRANT_URL` or the embedded engine."""
    embedder = Embedder.for_data_dir(settings.data_dir)
    store = open_store(
        settings.data_dir, embedder.dim, url=settings.qdrant_url, api_key=settings.qdrant_api_key or None
    )
    lexicon = Lexicon.load(settings.data_dir / FILE_NAME)
    return Retrieval(embedder, store, Searcher(store, embedder, lexicon=lexicon))
