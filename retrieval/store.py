"""One vector-store interface, two backends: the Qdrant engine in-process (qdrant-edge) or a Qdrant server.

Both hold the same collection schema: a named dense vector ("dense", cosine) and a named sparse vector ("bm25",
IDF modifier), the same payload indexes, and receive the same BM25 vectors (computed in `lexical.py`).
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from .lexical import SparseVector

DENSE, SPARSE = "dense", "bm25"
LANGUAGES = ("fr", "ar")
KEYWORD_FIELDS = ("law_id", "lang", "text_type", "bo_number", "article_key", "chunk_key")
INTEGER_FIELDS = ("date",)  # yyyymmdd
COLLECTION = "jarida"
HNSW_EF = 256  # beam width of a dense search: near-exact at this corpus size, a few ms at 200k points
_NAMESPACE = uuid.UUID("6f1d2c1e-3b7a-4a55-9a53-6a6172696461")


@dataclass(frozen=True)
class CollectionLayout:
    """How a Qdrant server or cluster lays the collection out when it creates it (README "Scaling": for 2 M chunks,
    3 shards × 2 replicas on 3 nodes, on disk). An existing collection keeps the layout it was created with."""

    shards: int = 1  # one per node: each node writes and searches its part; a query visits every shard
    replicas: int = 1  # copies of each shard: 2 survives the loss of a node and doubles the read capacity
    on_disk: bool = False  # vectors, sparse index and payload memory-mapped; an int8 copy of the vectors in RAM
    hnsw_m: int = 16  # Qdrant's defaults, with which the README's 200k-point latencies were measured
    ef_construct: int = 100

    def create_params(self) -> dict:
        """`create_collection` keyword arguments beyond the vectors (qdrant-client models)."""
        from qdrant_client import models as m

        quantized = m.ScalarQuantization(
            scalar=m.ScalarQuantizationConfig(type=m.ScalarType.INT8, quantile=0.99, always_ram=True)
        )
        return {
            "shard_number": self.shards,
            "replication_factor": self.replicas,
            "write_consistency_factor": 1,  # a write is acknowledged by one replica, the others follow
            "on_disk_payload": self.on_disk,
            "hnsw_config": m.HnswConfigDiff(m=self.hnsw_m, ef_construct=self.ef_construct, on_disk=False),
            "quantization_config": quantized if self.on_disk else None,
        }


class StoreBusy(RuntimeError):
    """The embedded index is held by another process."""


def point_id(chunk_key: str) -> str:
    """A stable UUID for a chunk key (the same chunk is the same point on every run and backend)."""
    return str(uuid.uuid5(_NAMESPACE, chunk_key))


@dataclass
class IndexedChunk:
    """A chunk ready for the store: its vectors and payload."""

    key: str
    dense: list[float]
    sparse: SparseVector
    payload: dict


@dataclass(frozen=True)
class SearchFilter:
    """Restrictions a search honours (all optional)."""

    lang: str | None = None
    law_id: str | None = None
    text_type: str | None = None
    bo_number: str | None = None
    date_from: int | None = None  # yyyymmdd
    date_to: int | None = None
    article_key: str | None = None

    def conditions(self) -> list[tuple[str, object]]:
        """(field, value) equality conditions, in a backend-neutral form."""
        pairs = [("lang", self.lang), ("law_id", self.law_id), ("text_type", self.text_type)]
        pairs += [("bo_number", self.bo_number), ("article_key", self.article_key)]
        return [(k, v) for k, v in pairs if v]


@dataclass
class StoreHit:
    """A point returned by a query."""

    key: str
    score: float
    payload: dict


class VectorStore(Protocol):
    """What retrieval needs from Qdrant, whichever backend holds the points."""

    def upsert(self, chunks: list[IndexedChunk]) -> None: ...
    def delete(self, keys: Iterable[str]) -> None: ...
    def fingerprints(self) -> dict[str, str]: ...  # chunk_key -> content fingerprint of every stored point
    def query(
        self, dense: list[float] | None, sparse: SparseVector | None, flt: SearchFilter, limit: int, fusion: Fusion
    ) -> list[StoreHit]: ...
    def optimize(self) -> None: ...
    def scroll(self, flt: SearchFilter, limit: int) -> list[StoreHit]: ...
    def count(self) -> int: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Fusion:
    """How dense and lexical candidates are fused: RRF (k) or DBSF, with candidates per branch."""

    method: str = "dbsf"  # "rrf" | "dbsf" (chosen by `jarida eval retrieval`, see README)
    k: int = 60
    prefetch: int = 200
    weights: tuple[float, float] | None = None  # (dense, lexical), RRF only
    per_language: bool = True  # without a language filter, one dense branch per edition language

    def branches(self, dense, sparse, flt: SearchFilter) -> list[tuple[object, str, SearchFilter, float]]:
        """(vector, vector name, filter, weight) of each prefetch branch."""
        w_dense, w_sparse = self.weights or (1.0, 1.0)
        out: list[tuple[object, str, SearchFilter, float]] = []
        if dense is not None:
            langs = LANGUAGES if self.per_language and not flt.lang else (flt.lang,)
            out += [(dense, DENSE, replace(flt, lang=lang), w_dense) for lang in langs]
        if sparse is not None and sparse.indices:
            out.append((sparse, SPARSE, flt, w_sparse))
        return out


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class EdgeStore:
    """The Qdrant engine in-process (qdrant-edge): HNSW, payload indexes, sparse IDF, prefetch + fusion."""

    def __init__(self, path: Path, dim: int) -> None:
        import qdrant_edge as qe

        self.qe = qe
        path.mkdir(parents=True, exist_ok=True)
        if any(path.iterdir()):
            try:
                self.shard = qe.EdgeShard.load(str(path))
            except Exception as exc:
                if "WouldBlock" in str(exc):
                    raise StoreBusy(
                        f"the embedded index {path} is open in another jarida process (a server or an indexing "
                        "run): stop it first, or share a Qdrant server through JARIDA_QDRANT_URL"
                    ) from exc
                raise
        else:
            config = qe.EdgeConfig(
                vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
                sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            )
            self.shard = qe.EdgeShard.create(str(path), config)
            for name in KEYWORD_FIELDS:
                self.shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword))
            for name in INTEGER_FIELDS:
                self.shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Integer))

    def _filter(self, flt: SearchFilter):
        qe = self.qe
        must = [qe.FieldCondition(key=k, match=qe.MatchValue(v)) for k, v in flt.conditions()]
        if flt.date_from or flt.date_to:
            must.append(qe.FieldCondition(key="date", range=qe.RangeFloat(gte=flt.date_from, lte=flt.date_to)))
        return qe.Filter(must=must or None)

    def upsert(self, chunks: list[IndexedChunk]) -> None:
        qe = self.qe
        for batch in _batches(chunks, 256):
            points = [
                qe.Point(
                    point_id(c.key),
                    {DENSE: list(map(float, c.dense)), SPARSE: qe.SparseVector(c.sparse.indices, c.sparse.values)},
                    c.payload,
                )
                for c in batch
            ]
            self.shard.update(qe.UpdateOperation.upsert_points(points))
        self.shard.flush()

    def optimize(self) -> None:
        """Build the indexes (HNSW) after a bulk load."""
        self.shard.optimize()
        self.shard.flush()

    def delete(self, keys: Iterable[str]) -> None:
        ids = [point_id(k) for k in keys]
        if ids:
            self.shard.update(self.qe.UpdateOperation.delete_points(ids))
            self.shard.flush()

    def fingerprints(self) -> dict[str, str]:
        qe, out, offset = self.qe, {}, None
        while True:
            records, offset = self.shard.scroll(
                qe.ScrollRequest(offset=offset, limit=1000, with_payload=["chunk_key", "fingerprint"])
            )
            out.update({r.payload["chunk_key"]: r.payload.get("fingerprint", "") for r in records})
            if offset is None:
                return out

    def query(self, dense, sparse, flt, limit, fusion) -> list[StoreHit]:
        qe = self.qe

        def nearest(vector, using):
            if using == SPARSE:
                vector = qe.SparseVector(vector.indices, vector.values)
            return qe.Query.Nearest(list(map(float, vector)) if using == DENSE else vector, using=using)

        branches = fusion.branches(dense, sparse, flt)
        if not branches:
            return []
        params = qe.SearchParams(hnsw_ef=HNSW_EF)
        if len(branches) == 1:
            vector, using, branch_filter, _ = branches[0]
            query = nearest(vector, using)
            request = qe.QueryRequest(
                limit=limit, query=query, filter=self._filter(branch_filter), params=params, with_payload=True
            )
        else:
            prefetches = [
                qe.Prefetch(limit=fusion.prefetch, query=nearest(v, u), filter=self._filter(f), params=params)
                for v, u, f, _ in branches
            ]
            if fusion.method == "dbsf":
                scoring = qe.Fusion.Dbsf()
            else:
                weights = [w for *_, w in branches] if fusion.weights else None
                scoring = qe.Fusion.Rrf(k=fusion.k, weights=weights)
            request = qe.QueryRequest(limit=limit, prefetches=prefetches, query=scoring, with_payload=True)
        return [StoreHit(p.payload["chunk_key"], p.score, p.payload) for p in self.shard.query(request)]

    def scroll(self, flt: SearchFilter, limit: int) -> list[StoreHit]:
        records, _ = self.shard.scroll(self.qe.ScrollRequest(limit=limit, filter=self._filter(flt), with_payload=True))
        return [StoreHit(r.payload["chunk_key"], 0.0, r.payload) for r in records]

    def count(self) -> int:
        return self.shard.count(self.qe.CountRequest(exact=True))

    def close(self) -> None:
        self.shard.close()


class ClientStore:
    """A Qdrant server or cluster through qdrant-client (`url`), or its local mode (`path`, for tests)."""

    def __init__(
        self,
        dim: int,
        url: str | None = None,
        path: Path | None = None,
        api_key: str | None = None,
        layout: CollectionLayout = CollectionLayout(),
    ) -> None:
        from qdrant_client import QdrantClient, models

        self.m = models
        self.client = QdrantClient(url=url, api_key=api_key) if url else QdrantClient(path=str(path))
        rescore = models.QuantizationSearchParams(rescore=True, oversampling=2.0) if layout.on_disk else None
        self.params = models.SearchParams(hnsw_ef=HNSW_EF, quantization=rescore) if url else None  # local: exact
        if not self.client.collection_exists(COLLECTION):
            sparse_index = models.SparseIndexParams(on_disk=layout.on_disk)
            self.client.create_collection(
                COLLECTION,
                vectors_config={
                    DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE, on_disk=layout.on_disk)
                },
                sparse_vectors_config={
                    SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF, index=sparse_index)
                },
                **layout.create_params(),
            )
            with warnings.catch_warnings():  # local mode warns that it ignores indexes: same schema all the same
                warnings.simplefilter("ignore", UserWarning)
                for name in KEYWORD_FIELDS:
                    self.client.create_payload_index(COLLECTION, name, models.PayloadSchemaType.KEYWORD)
                for name in INTEGER_FIELDS:
                    self.client.create_payload_index(COLLECTION, name, models.PayloadSchemaType.INTEGER)

    def _filter(self, flt: SearchFilter):
        m = self.m
        must = [m.FieldCondition(key=k, match=m.MatchValue(value=v)) for k, v in flt.conditions()]
        if flt.date_from or flt.date_to:
            must.append(m.FieldCondition(key="date", range=m.Range(gte=flt.date_from, lte=flt.date_to)))
        return m.Filter(must=must or None)

    def upsert(self, chunks: list[IndexedChunk]) -> None:
        m = self.m
        for batch in _batches(chunks, 256):
            points = [
                m.PointStruct(
                    id=point_id(c.key),
                    vector={
                        DENSE: list(map(float, c.dense)),
                        SPARSE: m.SparseVector(indices=c.sparse.indices, values=c.sparse.values),
                    },
                    payload=c.payload,
                )
                for c in batch
            ]
            self.client.upsert(COLLECTION, points=points)

    def delete(self, keys: Iterable[str]) -> None:
        ids = [point_id(k) for k in keys]
        if ids:
            self.client.delete(COLLECTION, points_selector=self.m.PointIdsList(points=ids))

    def fingerprints(self) -> dict[str, str]:
        out, offset = {}, None
        while True:
            records, offset = self.client.scroll(
                COLLECTION, limit=1000, offset=offset, with_payload=["chunk_key", "fingerprint"]
            )
            out.update({r.payload["chunk_key"]: r.payload.get("fingerprint", "") for r in records})
            if offset is None:
                return out

    def query(self, dense, sparse, flt, limit, fusion) -> list[StoreHit]:
        m = self.m

        def vector_of(vector, using):
            if using == SPARSE:
                return m.SparseVector(indices=vector.indices, values=vector.values)
            return list(map(float, vector))

        branches = fusion.branches(dense, sparse, flt)
        if not branches:
            return []
        if len(branches) == 1:
            vector, using, branch_filter, _ = branches[0]
            result = self.client.query_points(
                COLLECTION,
                query=vector_of(vector, using),
                using=using,
                query_filter=self._filter(branch_filter),
                search_params=self.params,
                limit=limit,
                with_payload=True,
            )
        else:
            prefetch = [
                m.Prefetch(
                    query=vector_of(v, u),
                    using=u,
                    limit=fusion.prefetch,
                    filter=self._filter(f),
                    params=self.params,
                )
                for v, u, f, _ in branches
            ]
            if fusion.method == "dbsf":
                query = m.FusionQuery(fusion=m.Fusion.DBSF)
            else:
                weights = [w for *_, w in branches] if fusion.weights else None
                query = m.RrfQuery(rrf=m.Rrf(k=fusion.k, weights=weights))
            result = self.client.query_points(
                COLLECTION, prefetch=prefetch, query=query, limit=limit, with_payload=True
            )
        return [StoreHit(p.payload["chunk_key"], p.score, p.payload) for p in result.points]

    def scroll(self, flt: SearchFilter, limit: int) -> list[StoreHit]:
        records, _ = self.client.scroll(COLLECTION, scroll_filter=self._filter(flt), limit=limit, with_payload=True)
        return [StoreHit(r.payload["chunk_key"], 0.0, r.payload) for r in records]

    def count(self) -> int:
        return self.client.count(COLLECTION, exact=True).count

    def optimize(self) -> None:
        """A server optimises on its own."""

    def close(self) -> None:
        self.client.close()


def open_store(
    data_dir: Path, dim: int, url: str = "", api_key: str | None = None, layout: CollectionLayout = CollectionLayout()
) -> VectorStore:
    """The embedded engine under `data_dir/qdrant`, or the Qdrant server at `url` when one is configured (a new
    collection there is created with `layout`)."""
    if url:
        return ClientStore(dim, url=url, api_key=api_key, layout=layout)
    return EdgeStore(data_dir / "qdrant", dim)
