"""Retrieval latency benchmark (not a test): warm hybrid query p50/p95 on the indexed corpus, then on a
synthetic copy grown to N chunks, to show how latency grows. Query embedding is included.

    python -m jarida.eval.bench_retrieval [--data-dir data] [--scale 200000] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from copy import copy
from pathlib import Path

import numpy as np

from jarida.retrieval.embeddings import MODEL_SUBDIR, Embedder, encoder_adapter, query_adapter
from jarida.retrieval.lexical import SparseVector
from jarida.retrieval.search import Searcher
from jarida.retrieval.service import open_retrieval
from jarida.retrieval.store import EdgeStore, IndexedChunk, SearchFilter
from jarida.settings import load_settings


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/max in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(1000 * statistics.median(ordered), 1), "p95_ms": round(1000 * p95, 1),
            "max_ms": round(1000 * ordered[-1], 1), "n": len(ordered)}  # fmt: skip


def timed_queries(searcher: Searcher, questions: list[str], k: int = 10) -> dict[str, float]:
    """Warm latencies of full searches (embedding + hybrid query + editions)."""
    for q in questions[:5]:
        searcher.search(q, k=k)  # warm-up
    samples = []
    for q in questions:
        t0 = time.perf_counter()
        searcher.search(q, k=k)
        samples.append(time.perf_counter() - t0)
    return percentiles(samples)


def grow(source: EdgeStore, target: EdgeStore, size: int, seed: int = 0) -> int:
    """Fill `target` with copies of `source`'s points (dense jittered, renormalised) up to `size` points."""
    import qdrant_edge as qe

    records, offset = [], None
    while True:
        page, offset = source.shard.scroll(
            qe.ScrollRequest(offset=offset, limit=1000, with_payload=True, with_vector=True)
        )
        records.extend(page)
        if offset is None:
            break
    rng = np.random.default_rng(seed)
    made, copy = 0, 0
    while made < size:
        batch = []
        for r in records[: size - made]:
            dense = np.asarray(r.vector["dense"], dtype=np.float32) + rng.normal(0, 0.02, 384).astype(np.float32)
            dense /= np.linalg.norm(dense)
            sparse = r.vector["bm25"]
            payload = dict(r.payload) | {"chunk_key": f"{r.payload['chunk_key']}~{copy}"}
            batch.append(
                IndexedChunk(payload["chunk_key"], dense.tolist(), SparseVector(sparse.indices, sparse.values), payload)
            )
        target.upsert(batch)
        made += len(batch)
        copy += 1
    target.optimize()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--scale", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir)
    questions = [json.loads(x)["question"] for x in (settings.eval_dir / "dev.jsonl").open(encoding="utf-8")]
    retrieval = open_retrieval(settings)
    # no embedding cache here: every query is embedded, as a new question would be
    retrieval.embedder.close()
    retrieval.embedder = Embedder(
        settings.data_dir / MODEL_SUBDIR, None, adapter=encoder_adapter(settings), query_adapter=query_adapter(settings)
    )
    retrieval.searcher.embedder = retrieval.embedder
    searcher = retrieval.searcher  # with the reranker and the gate, as configured
    report: dict = {"points": retrieval.store.count(), "reranker": searcher.reranker is not None,
                    "rerank_depth": searcher.rerank_depth, "corpus": timed_queries(searcher, questions)}  # fmt: skip
    if searcher.reranker is not None:
        report["corpus_without_rerank"] = timed_queries(replace_store(searcher, None, rerank=False), questions)
    if args.scale and isinstance(retrieval.store, EdgeStore):
        with tempfile.TemporaryDirectory(dir=settings.data_dir) as tmp:
            big = EdgeStore(Path(tmp) / "grown", retrieval.embedder.dim)
            t0 = time.perf_counter()
            report["grown_points"] = grow(retrieval.store, big, args.scale)
            report["grow_seconds"] = round(time.perf_counter() - t0, 1)
            grown = replace_store(searcher, big)
            report["grown"] = timed_queries(grown, questions)
            report["grown_filtered_fr"] = percentiles(
                [_timed(lambda q=q: grown.search(q, flt=SearchFilter(lang="fr"))) for q in questions]
            )
            big.close()
    retrieval.close()
    print(json.dumps(report, indent=1) if args.json else report)


def replace_store(searcher: Searcher, store: EdgeStore | None, rerank: bool = True) -> Searcher:
    """A copy of `searcher` over another store (None: the same) and, unless `rerank`, without the reranker."""
    other = copy(searcher)
    other.store = store or searcher.store
    if not rerank:
        other.reranker = None
    return other


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
