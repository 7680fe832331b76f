"""`jarida eval retrieval`: recall@1/5/10, MRR@10 and nDCG@10 of hybrid, dense-only and lexical-only retrieval.

A hit is a retrieved (law_id, article) in the question's gold, whatever its language edition. Questions with
`gold: []` (the corpus does not answer them) are left out of recall and reported as the distribution of their
top score, the input for a "no answer" gate. Cross-language recall queries with one edition's text of an
aligned article (`aligned_fr_ar.jsonl`), restricted to the other language, and expects the same article.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from collections import defaultdict
from copy import copy
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from jarida.retrieval.darija import is_arabizi
from jarida.retrieval.indexer import parallel_texts, stored_articles
from jarida.retrieval.parallel_lexicon import learn
from jarida.retrieval.questions import load_questions, split_by_article
from jarida.retrieval.search import MODES, Searcher
from jarida.retrieval.service import open_retrieval
from jarida.retrieval.store import SearchFilter
from jarida.settings import Settings
from jarida.types import Article

CROSS_SAMPLE = 100
DEEP = 100  # a missed question's gold is looked for this deep


def ranked_articles(hits) -> list[tuple[str, str]]:
    """Unique (law_id, article) in rank order (editions of one article count once)."""
    seen: list[tuple[str, str]] = []
    for hit in hits:
        key = (hit.law_id, hit.article)
        if key not in seen:
            seen.append(key)
    return seen


def scores(ranked: list[tuple[str, str]], gold: set[tuple[str, str]], k: int) -> dict[str, float]:
    """Recall@1/5/k, reciprocal rank and nDCG at k for one question (binary relevance)."""
    top = ranked[:k]
    rr = next((1 / (i + 1) for i, key in enumerate(top) if key in gold), 0.0)
    dcg = sum(1 / math.log2(i + 2) for i, key in enumerate(top) if key in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), k)))
    out = {f"recall@{n}": len(set(ranked[:n]) & gold) / len(gold) for n in (1, 5, k)}
    return out | {f"mrr@{k}": rr, f"ndcg@{k}": dcg / ideal}


def _mean_rows(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.fmean(r[key] for r in rows), 3) for key in rows[0]} if rows else {}


def miss_cause(searcher: Searcher, question: dict, ranked: list[tuple[str, str]], gold: set) -> str:
    """Why a question's gold is not in the top k: "cross-script" (the gold law has no edition in the question's
    script), "arabizi" (Latin-script Darija), "right law" (neighbouring articles of the gold law ranked above
    it) or "wrong law"."""
    gold_laws = {law for law, _ in gold}
    script = "fr" if question["lang"] == "fr" else "ar"
    in_script = any(searcher.store.scroll(SearchFilter(lang=script, law_id=law), limit=1) for law in gold_laws)
    if not in_script:
        return "cross-script"
    if question["lang"] == "darija" and is_arabizi(question["question"]):
        return "arabizi"
    if any(law in gold_laws for law, _ in ranked):
        return "right law"
    return "wrong law"


def evaluate(searcher: Searcher, questions: list[dict], k: int, mode: str) -> dict:
    """Metrics overall, by language and by law, the no-answer score distribution, and the misses."""
    per_q, by_lang, by_law, unanswerable, misses = [], defaultdict(list), defaultdict(list), [], []
    latencies = []
    for q in track(questions, description=f"{mode:8}", transient=True):
        t0 = time.perf_counter()
        hits = searcher.search(q["question"], k=k, mode=mode, editions=False)
        latencies.append(time.perf_counter() - t0)
        if not q["gold"]:
            unanswerable.append(hits[0].score if hits else 0.0)
            continue
        gold = {(g["law_id"], g["article"]) for g in q["gold"]}
        row = scores(ranked_articles(hits), gold, k)
        per_q.append(row)
        by_lang[q["lang"]].append(row)
        for law in {g["law_id"] for g in q["gold"]}:
            by_law[law].append(row)
        if row[f"recall@{k}"] == 0:
            deeper = ranked_articles(searcher.search(q["question"], k=DEEP, mode=mode, editions=False))
            rank = next((i + 1 for i, key in enumerate(deeper) if key in gold), None)
            misses.append(
                {"qid": q["qid"], "lang": q["lang"], "gold": sorted(gold), "top": ranked_articles(hits)[:3],
                 "gold_rank": rank, "cause": miss_cause(searcher, q, ranked_articles(hits), gold)}
            )  # fmt: skip
    return {
        "mode": mode,
        "questions": len(per_q),
        "overall": _mean_rows(per_q),
        "by_lang": {lang: _mean_rows(rows) | {"n": len(rows)} for lang, rows in sorted(by_lang.items())},
        "by_law": {law: _mean_rows(rows) | {"n": len(rows)} for law, rows in sorted(by_law.items())},
        "no_answer_top_scores": sorted(round(s, 4) for s in unanswerable),
        "latency_ms_p50": round(1000 * statistics.median(latencies), 1),
        "misses": misses,
    }


def cross_language(searcher: Searcher, aligned: Path, articles: list[Article], k: int, sample: int) -> dict[str, float]:
    """Recall@k of the other edition when querying with one edition's text, both ways, on a sample.

    The sampled articles are held out of the cross-script lexicon: it is relearned without them for this check.
    """
    texts = {(a.law_id, a.article, a.lang): a.text for a in articles if a.method == "digitised"}
    pairs = [json.loads(line) for line in aligned.open(encoding="utf-8")]
    pairs = [
        p for p in pairs if (p["law_id"], p["article"], "fr") in texts and (p["law_id"], p["article"], "ar") in texts
    ]
    random.Random(7).shuffle(pairs)
    held_out = {(p["law_id"], p["article"]) for p in pairs[:sample]}
    searcher = copy(searcher)
    searcher.lexicon = learn(parallel_texts(articles, exclude=held_out))
    out = {}
    for source, target in (("fr", "ar"), ("ar", "fr")):
        found = 0
        for p in track(pairs[:sample], description=f"{source}→{target}", transient=True):
            text = texts[(p["law_id"], p["article"], source)][:1000]
            hits = searcher.search(text, k=k, flt=SearchFilter(lang=target), editions=False)
            found += (p["law_id"], p["article"]) in ranked_articles(hits)
        out[f"{source}→{target}"] = round(found / max(1, min(sample, len(pairs))), 3)
    return out | {"pairs": min(sample, len(pairs))}


def _table(results: list[dict], k: int) -> Table:
    table = Table(title=f"jarida eval retrieval (k={k})")
    keys = ["recall@1", "recall@5", f"recall@{k}", f"mrr@{k}", f"ndcg@{k}"]
    for column in ["mode", "slice", "n", *keys]:
        table.add_column(column)
    for r in results:
        table.add_row(r["mode"], "all", str(r["questions"]), *(str(r["overall"].get(x, "")) for x in keys))
        for lang, row in r["by_lang"].items():
            table.add_row("", lang, str(row["n"]), *(str(row.get(x, "")) for x in keys))
    return table


def _misses_table(result: dict, k: int) -> Table:
    table = Table(title=f"{result['mode']}: questions with no gold article in the top {k}")
    for column in ("qid", "lang", "gold", f"gold rank (≤{DEEP})", "top hit", "cause"):
        table.add_column(column)
    for m in sorted(result["misses"], key=lambda m: (m["cause"], m["qid"])):
        gold = ", ".join(f"{law} {article}" for law, article in m["gold"])
        top = " ".join(m["top"][0]) if m["top"] else "—"
        table.add_row(m["qid"], m["lang"], gold, str(m["gold_rank"] or "—"), top, m["cause"])
    return table


def question_set(settings: Settings, path: Path | None, split: str | None) -> tuple[Path, list[dict]]:
    """(file, questions as dicts): `path` (default dev.jsonl), or one side of the training questions' split
    by article (`split`: "validation" or "training")."""
    if split:
        train, val = split_by_article(load_questions(settings.train_questions))
        chosen = val if split == "validation" else train
        rows = [
            {"qid": q.qid, "lang": q.lang, "question": q.text,
             "gold": [{"law_id": law, "article": art} for law, art in sorted(q.gold)]}
            for q in chosen
        ]  # fmt: skip
        return settings.train_questions, rows
    path = path or settings.eval_dir / "dev.jsonl"
    return path, [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def main(settings: Settings, args: argparse.Namespace) -> int:
    """Run the retrieval evaluation and print a table (or JSON)."""
    console = Console(stderr=True)
    path, questions = question_set(settings, args.questions, args.split)
    retrieval = open_retrieval(settings)
    try:
        results = [evaluate(retrieval.searcher, questions, args.k, mode) for mode in MODES]
        articles = stored_articles(settings)
        cross = cross_language(
            retrieval.searcher, settings.eval_dir / "aligned_fr_ar.jsonl", articles, args.k, CROSS_SAMPLE
        )
    finally:
        retrieval.close()
    report = {"questions": str(path), "split": args.split, "k": args.k, "results": results, "cross_language": cross}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        console.print(_table(results, args.k))
        console.print(f"cross-language recall@{args.k}: {cross}")
        for r in results:
            console.print(f"{r['mode']}: no-answer top scores {r['no_answer_top_scores']}; misses {len(r['misses'])}")
        console.print(_misses_table(results[0], args.k))
    return 0
