"""Qdrant sizing benchmark (not a test): bytes per chunk and CPU per hybrid query, for the capacity plan.

    python -m jarida.eval.bench_qdrant [--corpus DIR] [--articles 300] [--points 20000,200000] [--idle-wait S] [--json]

In a temporary folder: `--articles` digitised articles (French and Arabic, spread over every file of the corpus)
are indexed as `jarida index` does; their chunks give the measured sizes (tokens, payload JSON, BM25 terms). The
collection is then grown to each `--points` size with jittered copies of those points (`bench_retrieval.grow`)
in the Qdrant engine jarida embeds (qdrant-edge: the server's segment code, in process), and the dev questions
(`eval_dir/dev.jsonl`, embedded once beforehand) are run through the same hybrid query as a search — one dense
branch per edition language + BM25, DBSF over 200 candidates each, hnsw_ef 256 — one at a time, so the time per
query is CPU time on one core. Reported per size: build seconds, disk bytes per point, query p50/p95 ms and
queries/s per core, and the cores other work kept busy during the queries (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from jarida.eval.bench_ray import OtherLoad, settle
from jarida.eval.bench_retrieval import grow
from jarida.eval.ingest_checks import busy_cores
from jarida.settings import load_settings


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def chunk_sizes(store) -> dict:
    """Mean sizes of the indexed points: payload JSON bytes, BM25 terms, chunk text characters."""
    records, offset = [], None
    while True:
        page, offset = store.shard.scroll(
            store.qe.ScrollRequest(offset=offset, limit=1000, with_payload=True, with_vector=True)
        )
        records += page
        if offset is None:
            break
    payload = [len(json.dumps(r.payload, ensure_ascii=False).encode("utf-8")) for r in records]
    terms = [len(r.vector["bm25"].indices) for r in records]
    text = [len(r.payload.get("text", "")) for r in records]
    return {"points": len(records), "payload_bytes": round(statistics.mean(payload)),
            "bm25_terms": round(statistics.mean(terms), 1), "text_chars": round(statistics.mean(text))}  # fmt: skip


def timed_queries(store, queries: list[tuple[list[float], object]]) -> dict:
    """The hybrid query of a search, one at a time: p50/p95 ms and queries/s on one core."""
    from jarida.retrieval.store import Fusion, SearchFilter

    fusion = Fusion()
    for dense, sparse in queries[:5]:
        store.query(dense, sparse, SearchFilter(), 50, fusion)  # warm-up
    samples = []
    for dense, sparse in queries:
        t0 = time.perf_counter()
        store.query(dense, sparse, SearchFilter(), 50, fusion)
        samples.append(time.perf_counter() - t0)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {"p50_ms": round(1000 * statistics.median(samples), 2), "p95_ms": round(1000 * p95, 2),
            "queries_per_s_per_core": round(len(samples) / sum(samples), 1)}  # fmt: skip


def run(args: argparse.Namespace) -> dict:
    from jarida.ingest.pipeline import ingest
    from jarida.retrieval import e5_convert
    from jarida.retrieval.embeddings import Embedder
    from jarida.retrieval.indexer import index
    from jarida.retrieval.lexical import query_vector
    from jarida.retrieval.store import EdgeStore

    settings = load_settings(corpus_dir=args.corpus)
    questions = [json.loads(x)["question"] for x in (settings.eval_dir / "dev.jsonl").open(encoding="utf-8")]
    quiet = Console(quiet=True)
    with tempfile.TemporaryDirectory(prefix="jarida-bench-qdrant-") as tmp:
        root = Path(tmp)
        data = load_settings(config_file=root / "none.toml", data_dir=root / "data", corpus_dir=args.corpus)
        e5_convert.ensure_converted(data.data_dir / "models" / "e5-small")
        files = sorted((settings.corpus_dir / "articles").glob("*.jsonl"))
        rows = [line for f in files for line in f.open(encoding="utf-8")]
        step = max(1, len(rows) // args.articles)
        (root / "articles.jsonl").write_text("".join(rows[::step][: args.articles]), encoding="utf-8")
        ingest([root / "articles.jsonl"], data, quiet)
        embedder = Embedder.from_settings(data)
        source = EdgeStore(data.data_dir / "qdrant", embedder.dim)
        report = index(data, source, embedder, quiet)
        result: dict = {"articles": report.articles, "chunks": chunk_sizes(source) | {
            "tokens": round(report.tokens / max(1, report.chunks))}}  # fmt: skip
        vectors = embedder.embed_queries(questions)
        queries = [(v.tolist(), query_vector(q)) for q, v in zip(questions, vectors, strict=True)]
        result["sizes"] = []
        for size in args.points:
            big = EdgeStore(root / f"grown-{size}", embedder.dim)
            busy = busy_cores()
            t0 = time.perf_counter()
            made = grow(source, big, size)
            built = time.perf_counter() - t0
            disk = _du(root / f"grown-{size}")
            settle(args.idle_wait)
            with OtherLoad() as other:
                timing = timed_queries(big, queries)
            result["sizes"].append({"points": made, "build_s": round(built, 1), "disk_bytes_per_point": disk // made,
                                    "busy_cores_before_build": busy, **timing,
                                    "other_cores_during_queries": other.cores})  # fmt: skip
            big.close()
        source.close()
        embedder.close()
    result["rss_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # KiB on Linux
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="shared corpus (default: JARIDA_CORPUS_DIR)")
    parser.add_argument("--articles", type=int, default=300, help="articles indexed for real")
    parser.add_argument("--points", type=lambda s: [int(x) for x in s.split(",")], default=[20_000, 200_000])
    parser.add_argument("--idle-wait", type=float, default=0, help="seconds to wait for idle cores before the queries")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, indent=1) if args.json else result)


if __name__ == "__main__":
    main()
