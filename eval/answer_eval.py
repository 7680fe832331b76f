"""`jarida eval answers`: are the answers grounded, honest and in the right language?

On a seeded sample of `dev.jsonl` (by default 15 answerable questions, stratified by language, plus 5
unanswerable ones), with the configured LLM (embedded by default):
- citation precision on answered questions: share of cited articles that are in the question's gold;
- `no_match` on unanswerable questions, and how many answerable ones were answered;
- invented article numbers: caught by the check (sentences removed) and left in final answers (must be 0);
- answers in the expected language; latency p50/p95 per answer.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.progress import track

from jarida.normalize import has_arabic
from jarida.records import ArticleStore
from jarida.retrieval.search import Searcher
from jarida.serving.answer import Answer
from jarida.serving.citations import invented_articles
from jarida.serving.stack import open_stack
from jarida.settings import Settings

from .retrieval_eval import question_set


def sample_questions(questions: list[dict], answerable: int, unanswerable: int, seed: int) -> list[dict]:
    """A seeded sample: `answerable` questions stratified by language in proportion, plus `unanswerable`."""
    rng = random.Random(seed)
    with_gold = [q for q in questions if q["gold"]]
    without = [q for q in questions if not q["gold"]]
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for q in with_gold:
        by_lang[q["lang"]].append(q)
    picked: list[dict] = []
    quotas = {lang: round(answerable * len(qs) / len(with_gold)) for lang, qs in sorted(by_lang.items())}
    for lang, quota in quotas.items():
        picked += rng.sample(by_lang[lang], min(quota, len(by_lang[lang])))
    picked += rng.sample(without, min(unanswerable, len(without)))
    return sorted(picked, key=lambda q: q["qid"])


def expected_language(q: dict) -> str:
    """Arabic answers for Arabic and Arabic-script Darija, French for French and arabizi."""
    return "ar" if has_arabic(q["question"]) else "fr"


class ArticleTexts:
    """Whole article texts from the article store (citations carry only an excerpt)."""

    def __init__(self, db_path: Path) -> None:
        self.store = ArticleStore(db_path)
        self._laws: dict[tuple[str, str], dict[str, str]] = {}

    def text(self, law_id: str, article: str, lang: str) -> str:
        if (law_id, lang) not in self._laws:
            self._laws[(law_id, lang)] = {a.article: a.text for a in self.store.articles(law_id=law_id, lang=lang)}
        return self._laws[(law_id, lang)].get(article, "")

    def close(self) -> None:
        self.store.close()


def judge(q: dict, a: Answer, articles: ArticleTexts) -> dict:
    """Per-question record for the report."""
    gold = {(g["law_id"], g["article"]) for g in q["gold"]}
    cited = [(c.law_id, c.article) for c in a.citations] if a.status == "grounded" else []
    texts = {c.n: (c.article, articles.text(c.law_id, c.article, c.lang) or c.excerpt) for c in a.citations}
    return {
        "qid": q["qid"], "lang": q["lang"], "answerable": bool(gold), "status": a.status,
        "cited": [f"{law}:{art}" for law, art in cited], "correct_citations": sum(c in gold for c in cited),
        "gold_retrieved": any((c.law_id, c.article) in gold for c in a.retrieved),
        "caught_invented": sum(f.startswith("sentence removed") for f in a.flags),
        "invented_left": invented_articles(a.answer, texts) if a.status == "grounded" else [],
        "language_ok": a.status != "grounded" or (has_arabic(a.answer) == (expected_language(q) == "ar")),
        "seconds": a.timings.get("total_ms", 0) / 1000, "answer": a.answer, "flags": a.flags,
    }  # fmt: skip


def summarise(records: list[dict]) -> dict:
    """The figures the issue asks for."""
    answered = [r for r in records if r["status"] == "grounded"]
    cited = sum(len(r["cited"]) for r in answered)
    unanswerable = [r for r in records if not r["answerable"]]
    answerable = [r for r in records if r["answerable"]]
    seconds = sorted(r["seconds"] for r in records)
    return {
        "questions": len(records),
        "answered": len(answered),
        "citation_precision": round(sum(r["correct_citations"] for r in answered) / cited, 3) if cited else None,
        "answered_with_a_gold_citation": sum(r["correct_citations"] > 0 for r in answered),
        "answerable_answered": f"{sum(r['status'] == 'grounded' for r in answerable)}/{len(answerable)}",
        "answerable_gold_retrieved": f"{sum(r['gold_retrieved'] for r in answerable)}/{len(answerable)}",
        "unanswerable_no_match": f"{sum(r['status'] == 'no_match' for r in unanswerable)}/{len(unanswerable)}",
        "invented_caught": sum(r["caught_invented"] for r in records),
        "invented_left": sum(len(r["invented_left"]) for r in records),
        "language_ok": f"{sum(r['language_ok'] for r in records)}/{len(records)}",
        "llm_unavailable": sum(r["status"] == "llm_unavailable" for r in records),
        "seconds_p50": round(statistics.median(seconds), 1) if seconds else None,
        "seconds_p95": round(seconds[max(0, round(0.95 * len(seconds)) - 1)], 1) if seconds else None,
    }


GATE_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def gate_table(searcher: Searcher, questions: list[dict], thresholds=GATE_THRESHOLDS) -> list[dict]:
    """Retrieval only, every question: how many would be answered at each gate probability, how often the top
    article is in gold among those, and how many unanswerable questions would pass (the no-answer gate)."""
    rows = []
    for q in questions:
        hits = searcher.search(q["question"], k=5, editions=False)
        gold = {(g["law_id"], g["article"]) for g in q["gold"]}
        top = hits[0] if hits else None
        top_p = (1.0 if top.reference else top.probability or 0.0) if top else 0.0
        rows.append((bool(gold), top_p, bool(top and (top.law_id, top.article) in gold)))
    table = []
    for threshold in thresholds:
        passed = [r for r in rows if r[1] >= threshold]
        answerable = [r for r in passed if r[0]]
        table.append({
            "min_probability": threshold,
            "answerable_answered": f"{len(answerable)}/{sum(r[0] for r in rows)}",
            "top1_precision": round(sum(r[2] for r in answerable) / len(answerable), 3) if answerable else None,
            "unanswerable_passing": f"{len(passed) - len(answerable)}/{sum(not r[0] for r in rows)}",
        })  # fmt: skip
    return table


def main(settings: Settings, args: argparse.Namespace) -> int:
    """Run the sample through the answering stage and print (or `--json`) the report."""
    console = Console(stderr=True)
    _, questions = question_set(settings, args.questions, args.split)
    picked = questions if args.all else sample_questions(questions, args.answerable, args.unanswerable, args.seed)
    answering = open_stack(settings)
    if answering.llm_error:  # measure answers, not the retrieval-only fallback
        answering.close()
        raise RuntimeError(f"the LLM did not start: {answering.llm_error}")
    records = []
    articles = ArticleTexts(settings.db_path)
    try:
        for q in track(picked, description="answering", console=console):
            records.append(judge(q, answering.answerer.answer(q["question"]), articles))
        gate = gate_table(answering.retrieval.searcher, questions)
    finally:
        articles.close()
        answering.close()
    summary = summarise(records) | {"min_probability": answering.answerer.threshold}
    report = {"summary": summary, "gate": gate, "questions": records}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    for r in records:
        mark = {"grounded": "✓", "no_match": "∅", "llm_unavailable": "!"}[r["status"]]
        console.print(f"{mark} {r['qid']} {r['lang']:6} cited={r['cited']} ok={r['correct_citations']} "
                      f"{r['seconds']:.0f}s {r['answer'][:100]!r}")  # fmt: skip
    for key, value in report["summary"].items():
        print(f"{key:32} {value}")
    print("\nno-answer gate, retrieval only, all questions:")
    for row in gate:
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    return 0
