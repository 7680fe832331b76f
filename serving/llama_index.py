"""jarida's search as a llama-index retriever, and a query engine over an OpenAI-compatible LLM (vLLM).

Optional: `pip install -e ".[llama-index]"` (scripts/setup.sh --dev installs it). One node per article, as
jarida ranks them (a cited reference first, then the cross-encoder's order): a `TextNode` whose id is the
article's key (`article_node_id`), whose text is the article's best-matching chunk and whose metadata carries
the law, the article, the language, the Bulletin officiel reference, the pages and the other language edition.
`NodeWithScore.score` is the fused retrieval score (`Hit.score`); it does not re-sort the nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.llms import LLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.llms.openai_like import OpenAILike

from jarida.retrieval.search import Hit
from jarida.retrieval.service import open_retrieval
from jarida.retrieval.store import SearchFilter
from jarida.settings import Settings

from .llm import LLMClient

# Kept out of what the LLM and an embedding model read of a node (the other edition's whole text, ids, scores).
HIDDEN_FROM_LLM = [
    "article_id", "chunk_key", "source", "confidence", "relevance", "probability", "reference", "other_text",
    "other_source", "other_pages",
]  # fmt: skip


class Searches(Protocol):
    """What the retriever searches through: a `Searcher` or an open `Stack` (which also takes the index lock)."""

    def search(self, question: str, k: int = 10, flt: SearchFilter | None = None, mode: str = "hybrid") -> list[Hit]:
        """The `k` best articles, one hit each."""
        ...


def article_node_id(law_id: str, article: str) -> str:
    """A node's id: the article's key, whatever the edition or chunk (`jarida eval retrieval` counts a hit so)."""
    return f"{law_id}:{article}"


def hit_node(hit: Hit) -> NodeWithScore:
    """One jarida hit as a llama-index node with its provenance in `metadata`."""
    p = hit.payload
    other = hit.editions[0] if hit.editions else {}
    metadata: dict[str, Any] = {
        "law_id": hit.law_id, "law_title": p.get("law_title", ""), "article": hit.article,
        "heading": p.get("heading", ""), "lang": hit.lang, "bo_ref": p.get("bo_ref", ""),
        "bo_number": p.get("bo_number", ""), "pages": list(p.get("pages") or []), "source": p.get("source", ""),
        "article_id": p.get("article_id", ""), "chunk_key": p.get("chunk_key", ""), "reference": hit.reference,
        "confidence": hit.confidence, "relevance": hit.relevance, "probability": hit.probability,
        "other_lang": other.get("lang", ""), "other_text": other.get("text", ""),
        "other_bo_ref": other.get("bo_ref", ""), "other_pages": list(other.get("pages") or []),
        "other_source": other.get("source", ""),
    }  # fmt: skip
    node = TextNode(
        id_=article_node_id(hit.law_id, hit.article),
        text=hit.text,
        metadata=metadata,
        excluded_llm_metadata_keys=HIDDEN_FROM_LLM,
        excluded_embed_metadata_keys=HIDDEN_FROM_LLM,
    )
    return NodeWithScore(node=node, score=hit.score)


class JaridaRetriever(BaseRetriever):
    """jarida's hybrid search (French, Arabic, Darija questions) as a llama-index retriever."""

    def __init__(self, searcher: Searches, k: int = 10, flt: SearchFilter | None = None, mode: str = "hybrid"):
        super().__init__()
        self.searcher, self.k, self.flt, self.mode = searcher, k, flt, mode

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.searcher.search(query_bundle.query_str, k=self.k, flt=self.flt, mode=self.mode)
        return [hit_node(hit) for hit in hits]


@contextmanager
def open_retriever(settings: Settings, k: int = 10, flt: SearchFilter | None = None) -> Iterator[JaridaRetriever]:
    """A retriever over `settings.data_dir`'s index (opened through `open_retrieval`), closed on leaving."""
    retrieval = open_retrieval(settings)
    try:
        yield JaridaRetriever(retrieval.searcher, k=k, flt=flt)
    finally:
        retrieval.close()


def openai_like(settings: Settings, context_window: int = 4096, max_tokens: int = 512) -> OpenAILike:
    """llama-index's `OpenAILike` chat LLM on `JARIDA_LLM_URL` (vLLM, a llama.cpp server), with jarida's model
    and key settings; the model is the first the server lists when `JARIDA_LLM_MODEL` is unset."""
    if not settings.llm_url:
        raise ValueError("set JARIDA_LLM_URL to an OpenAI-compatible server (e.g. http://gpu-host:8001/v1)")
    model = settings.llm_model
    if not model:
        client = LLMClient(settings.llm_url, api_key=settings.llm_api_key)
        try:
            model = client.model
        finally:
            client.close()
    return OpenAILike(
        model=model, api_base=settings.llm_url, api_key=settings.llm_api_key or "not-needed", is_chat_model=True,
        context_window=context_window, max_tokens=max_tokens, temperature=0.0, timeout=float(settings.llm_timeout),
    )  # fmt: skip


def query_engine(retriever: JaridaRetriever, llm: LLM) -> RetrieverQueryEngine:
    """llama-index's `RetrieverQueryEngine`: the retriever's articles, answered by `llm` (e.g. `openai_like`)."""
    return RetrieverQueryEngine.from_args(retriever, llm=llm)
