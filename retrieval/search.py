"""Hybrid search: dense (e5) + lexical (BM25) fused in Qdrant, filters, reference look-up, parallel editions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from jarida.catalogue import law_named_in

from .darija import expand
from .embeddings import Embedder
from .gate import AnswerGate, hit_features, relevance_source
from .lexical import is_arabic, query_vector, terms
from .parallel_lexicon import Lexicon
from .references import find_reference
from .store import Fusion, SearchFilter, StoreHit, VectorStore

MODES = ("hybrid", "dense", "lexical")
REFERENCE_CONFIDENCE = 10.0  # an article the question cites by number
RERANK_DEPTH = 20  # fused candidates the cross-encoder reorders (see README, "Learned relevance")
Rerank = Callable[[str, Sequence[str]], np.ndarray]  # (question, passages) -> one relevance logit each


@dataclass
class Hit:
    """One article found, best chunk first, with the same article's other language edition when indexed."""

    law_id: str
    article: str
    lang: str
    score: float
    text: str
    payload: dict
    reference: bool = False  # found by direct look-up of a cited reference
    confidence: float = 0.0  # DBSF score in the query that found it (how far it stands out); high for a reference
    editions: list[dict] = field(default_factory=list)  # payloads of the same article in the other language
    relevance: float | None = None  # cross-encoder logit, when a reranker ran
    probability: float | None = None  # P(the article answers the question), from the answerability gate

    @property
    def passage(self) -> str:
        """What the reranker reads: the text's title, the article heading, the chunk text."""
        return passage_text(self.payload)

    def to_dict(self) -> dict:
        p = self.payload
        return {
            "law_id": self.law_id, "article": self.article, "lang": self.lang, "score": round(self.score, 4),
            "text": self.text, "law_title": p.get("law_title", ""), "heading": p.get("heading", ""),
            "bo_ref": p.get("bo_ref", ""), "source": p.get("source", ""), "pages": p.get("pages", []),
            "breadcrumb": p.get("breadcrumb", []), "reference": self.reference,
            "confidence": round(self.confidence, 4),
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "probability": None if self.probability is None else round(self.probability, 4),
            "editions": [{"lang": e["lang"], "text": e["text"], "source": e["source"]} for e in self.editions],
        }  # fmt: skip


def passage_text(payload: dict) -> str:
    """An indexed chunk as the reranker reads it: title — heading, then the text."""
    heading = payload.get("heading") or (f"Article {payload['article_key']}" if payload.get("article_key") else "")
    title = " — ".join(x for x in (payload.get("law_title", ""), heading) if x)
    return f"{title}\n{payload.get('text', '')}"


def _rrf_merge(lists: list[list[StoreHit]], k: int) -> list[StoreHit]:
    """Reciprocal-rank fusion of ranked point lists (score = sum of 1 / (k + rank))."""
    scores: dict[str, float] = {}
    points: dict[str, StoreHit] = {}
    for ranked in lists:
        for rank, point in enumerate(ranked, start=1):
            scores[point.key] = scores.get(point.key, 0.0) + 1.0 / (k + rank)
            points.setdefault(point.key, point)
    order = sorted(scores, key=lambda key: -scores[key])
    return [StoreHit(key, scores[key], points[key].payload) for key in order]


def _edition_of(point: StoreHit) -> tuple[str, str, str]:
    return point.payload["law_id"], point.payload["article_key"], point.payload["lang"]


class Searcher:
    """Questions in French, Arabic or Darija → the articles that answer them."""

    def __init__(
        self,
        store: VectorStore,
        embedder: Embedder,
        fusion: Fusion | None = None,
        darija: bool = True,
        route_laws: bool = True,
        lexicon: Lexicon | None = None,
        reranker: Rerank | None = None,
        gate: AnswerGate | None = None,
        rerank_depth: int = RERANK_DEPTH,
        misaligned: set[tuple[str, str]] | None = None,
    ) -> None:
        self.store, self.embedder = store, embedder
        self.misaligned = misaligned or set()  # (law_id, article) whose two editions do not match (alignment.py)
        self.reranker, self.gate, self.rerank_depth = reranker, gate, rerank_depth
        self.fusion = fusion or Fusion()
        self.darija = darija  # arabizi questions also searched in Arabic script (transliteration)
        self.route_laws = route_laws  # a law named in the question gets a search of its own
        self.lexicon = lexicon or Lexicon()  # BM25 also gets the question terms' translations (other script)

    def warm(self, questions: Sequence[str]) -> None:
        """Embed many questions in one batched pass (the cache then answers their searches at once)."""
        self.embedder.embed_queries([expand(q) if self.darija else q for q in questions])

    def search(
        self, question: str, k: int = 10, flt: SearchFilter | None = None, mode: str = "hybrid", editions: bool = True
    ) -> list[Hit]:
        """The `k` best articles, one hit each: the edition that matched best, with the other one alongside."""
        flt = flt or SearchFilter()
        text = expand(question) if self.darija else question
        dense = self.embedder.embed_queries([text])[0].tolist() if mode in ("hybrid", "dense") else None
        sparse = query_vector(text, self.lexicon.translations(terms(text))) if mode in ("hybrid", "lexical") else None
        rerank = self.reranker is not None and mode == "hybrid"
        pool = max(k, self.rerank_depth) if rerank else k
        limit = 8 * pool  # points: an article may come as two editions, two sources and several chunks
        raw = self.store.query(dense, sparse, flt, limit=limit, fusion=self.fusion)
        confidence = {point.key: point.score for point in raw}
        named = law_named_in(question) if self.route_laws and not flt.law_id else None
        if named is not None:  # the question names a law: its own best articles join the candidates
            within = self.store.query(dense, sparse, replace(flt, law_id=named.law_id), limit=limit, fusion=self.fusion)
            for point in within:
                confidence[point.key] = max(confidence.get(point.key, 0.0), point.score)
            raw = _rrf_merge([raw, within], k=self.fusion.k)
        hits: dict[tuple[str, str], Hit] = {}  # one hit per article: its best edition (others come as `editions`)
        reference = find_reference(question)
        if reference is not None and flt.law_id in (None, reference.law_id):  # a law filter wins over a reference
            cited = SearchFilter(lang=flt.lang, law_id=reference.law_id, article_key=reference.article)
            asked_in = "ar" if any(is_arabic(c) for c in question) else "fr"
            top = raw[0].score if raw else 1.0
            for point in sorted(self.store.scroll(cited, limit=8), key=lambda p: p.payload["lang"] != asked_in):
                law_id, article, lang = _edition_of(point)
                hits.setdefault(
                    (law_id, article),
                    Hit(
                        law_id,
                        article,
                        lang,
                        top + 1.0,
                        point.payload["text"],
                        point.payload,
                        True,
                        REFERENCE_CONFIDENCE,
                    ),
                )
        for point in raw:
            law_id, article, lang = _edition_of(point)
            if (law_id, article) not in hits:
                hit = Hit(law_id, article, lang, point.score, point.payload["text"], point.payload, False)
                hits[(law_id, article)] = replace(hit, confidence=confidence[point.key])
        # legal articles first: a document without articles (an opinion, a report) never outranks one
        ranked = sorted(hits.values(), key=lambda h: (not h.reference, not h.article, -h.score))[:pool]
        if rerank:  # the cross-encoder reorders the first `rerank_depth`; deeper candidates keep their order
            ranked = self._rerank(question, ranked[: self.rerank_depth]) + ranked[self.rerank_depth :]
        ranked = ranked[:k]
        if mode == "hybrid":
            self._gate(question, ranked)
        if editions:
            self._attach_editions(ranked)
        return ranked

    def _rerank(self, question: str, hits: list[Hit]) -> list[Hit]:
        """Reorder by the cross-encoder's logit plus the reranker's `fused_weight` (learned on validation) times
        the standardised fused score (cited references and legal articles first)."""
        logits = np.asarray(self.reranker(question, [h.passage for h in hits]), np.float32)  # type: ignore[misc]
        fused = np.asarray([h.confidence for h in hits], np.float32)
        weight = float(getattr(self.reranker, "fused_weight", 0.0))
        if weight and len(hits) > 1:
            logits = logits + weight * (fused - fused.mean()) / (fused.std() + 1e-6)
        for hit, logit in zip(hits, logits, strict=True):
            hit.relevance = float(logit)
        return sorted(hits, key=lambda h: (not h.reference, not h.article, -(h.relevance or 0.0)))

    def _gate(self, question: str, hits: list[Hit]) -> None:
        """Attach the gate's probabilities (1.0 for an article the question cites by number), when the gate was
        trained on this searcher's kind of relevance score (cross-encoder logits, else fused scores)."""
        if self.gate is None or not hits or self.gate.relevance != relevance_source(self.reranker):
            return
        relevance = [h.relevance if h.relevance is not None else h.confidence for h in hits]
        rows = hit_features(question, relevance, [h.confidence for h in hits])
        for hit, p in zip(hits, self.gate.probabilities(rows), strict=True):
            hit.probability = 1.0 if hit.reference else float(p)

    def _attach_editions(self, hits: list[Hit]) -> None:
        """Bring the same article's other language edition alongside each hit (first chunk, one source), unless
        the edition-alignment check flagged the pair."""
        for hit in hits:
            if (hit.law_id, hit.article) in self.misaligned:
                continue
            other = "ar" if hit.lang == "fr" else "fr"
            found = self.store.scroll(SearchFilter(lang=other, law_id=hit.law_id, article_key=hit.article), limit=4)
            hit.editions = [p.payload for p in found if p.payload.get("part", 0) == 0][:1]
