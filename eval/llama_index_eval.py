"""`python -m jarida.eval.llama_index_eval`: llama-index's own `RetrieverEvaluator` (hit rate, MRR) through
`JaridaRetriever`, beside `jarida eval retrieval`'s figures for the same questions, with the agreement checked.

Both count a hit as jarida does: a retrieved (law_id, article) in the question's gold, whatever the edition
(node ids and expected ids are `article_node_id` keys); `gold: []` questions are left out. jarida's recall@k
is the share of a question's gold articles in the top k, which is llama-index's *granular* hit rate
(`HitRate(use_granular_hit_rate=True)`: hits / expected, the retrieved ids being one per article). llama-index's
default hit rate (any gold article in the top k) differs only on questions with several gold articles of
which some are missed; it is reported beside as `hit_rate_any`. MRR is the same definition in both (reciprocal
rank of the first gold article, 0 beyond k).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from llama_index.core.evaluation import RetrieverEvaluator
from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate
from rich.console import Console
from rich.progress import track
from rich.table import Table

from jarida.retrieval.search import Searcher
from jarida.retrieval.service import open_retrieval
from jarida.serving.llama_index import JaridaRetriever, article_node_id
from jarida.settings import Settings, load_settings

from .retrieval_eval import evaluate, question_set


def expected_ids(question: dict) -> list[str]:
    """The question's gold articles as node ids."""
    return sorted({article_node_id(g["law_id"], str(g["article"])) for g in question["gold"]})


def llama_index_rows(retriever: JaridaRetriever, questions: list[dict]) -> list[dict]:
    """Per answerable question: llama-index's granular hit rate, default hit rate and MRR, and the ids."""
    evaluator = RetrieverEvaluator(metrics=[HitRate(use_granular_hit_rate=True), MRR()], retriever=retriever)
    any_hit = HitRate()
    rows = []
    for q in track([q for q in questions if q["gold"]], description="llama-index", transient=True):
        expected = expected_ids(q)
        row = {"qid": q["qid"], "lang": q["lang"], "expected": expected}
        try:
            result = evaluator.evaluate(query=q["question"], expected_ids=expected)
        except ValueError as exc:  # llama-index's metrics refuse an empty retrieval; jarida counts it as a miss
            if "Retrieved ids" not in str(exc):
                raise
            rows.append(row | {"retrieved": [], "hit_rate": 0.0, "mrr": 0.0, "hit_rate_any": 0.0})
            continue
        scores = result.metric_vals_dict
        rows.append(row | {
            "retrieved": result.retrieved_ids, "hit_rate": scores["hit_rate"], "mrr": scores["mrr"],
            "hit_rate_any": any_hit.compute(expected_ids=expected, retrieved_ids=result.retrieved_ids).score,
        })  # fmt: skip
    return rows


def compare(searcher: Searcher, questions: list[dict], k: int) -> dict:
    """llama-index's figures through the retriever and `jarida eval retrieval`'s (hybrid), rounded to 3 decimals
    as jarida reports them, and whether they agree."""
    rows = llama_index_rows(JaridaRetriever(searcher, k=k), questions)
    mean = lambda key: round(statistics.fmean(r[key] for r in rows), 3) if rows else 0.0  # noqa: E731
    llama = {f"hit_rate@{k}": mean("hit_rate"), f"mrr@{k}": mean("mrr"), f"hit_rate_any@{k}": mean("hit_rate_any")}
    overall = evaluate(searcher, questions, k, "hybrid")["overall"]
    jarida = {f"recall@{k}": overall.get(f"recall@{k}", 0.0), f"mrr@{k}": overall.get(f"mrr@{k}", 0.0)}
    agree = llama[f"hit_rate@{k}"] == jarida[f"recall@{k}"] and llama[f"mrr@{k}"] == jarida[f"mrr@{k}"]
    several = sum(1 for r in rows if len(r["expected"]) > 1)
    return {"questions": len(rows), "several_gold": several, "llama_index": llama, "jarida": jarida, "agree": agree}


def run(settings: Settings, questions_path: Path | None, split: str | None, k: int) -> dict:
    """Open the retrieval over `settings.data_dir`, compare on the question set, close."""
    path, questions = question_set(settings, questions_path, split)
    retrieval = open_retrieval(settings)
    try:
        return {"file": str(path), "split": split, "k": k} | compare(retrieval.searcher, questions, k)
    finally:
        retrieval.close()


def _table(report: dict) -> Table:
    k = report["k"]
    table = Table(title=f"llama-index RetrieverEvaluator vs jarida eval retrieval (hybrid, k={k})")
    for column in ("implementation", "questions", f"hit rate@{k}", f"MRR@{k}", f"any-gold hit rate@{k}"):
        table.add_column(column)
    llama, jarida, n = report["llama_index"], report["jarida"], str(report["questions"])
    table.add_row("llama-index", n, str(llama[f"hit_rate@{k}"]), str(llama[f"mrr@{k}"]),
                  str(llama[f"hit_rate_any@{k}"]))  # fmt: skip
    table.add_row("jarida (recall@k)", n, str(jarida[f"recall@{k}"]), str(jarida[f"mrr@{k}"]), "")
    return table


def main(argv: list[str] | None = None) -> int:
    """Print both sets of figures; exit 1 when they disagree at the third decimal."""
    parser = argparse.ArgumentParser(prog="python -m jarida.eval.llama_index_eval", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="data dir (default: JARIDA_DATA_DIR, ./data)")
    parser.add_argument("--questions", type=Path, default=None, help="question set (default: <eval_dir>/dev.jsonl)")
    parser.add_argument("--split", choices=["validation", "training"], default=None,
                        help="instead: one side of the training questions' split by article")  # fmt: skip
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(load_settings(data_dir=args.data_dir), args.questions, args.split, args.k)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        console = Console(stderr=True)
        console.print(_table(report))
        console.print(
            f"{report['questions']} answerable questions ({report['several_gold']} with several gold articles) from "
            f"{report['file']}{' (' + report['split'] + ')' if report['split'] else ''}: "
            + ("the two implementations agree" if report["agree"] else "[red]the two implementations DISAGREE[/]")
        )
    return 0 if report["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
