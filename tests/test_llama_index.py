"""The llama-index integration: jarida's search as a retriever, llama-index's RetrieverEvaluator agreeing with
`jarida eval retrieval`, and the documented query engine over a real OpenAI-compatible server.

Over loi 09-08 (both editions) indexed from sources (`answer_data`) and the dev questions about it, plus a
question with two gold articles (one absent from the corpus) and one the corpus does not answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="the llama-index extra (scripts/setup.sh --dev) is not installed")

from llama_index.core.schema import TextNode  # noqa: E402

from jarida.eval import llama_index_eval  # noqa: E402
from jarida.eval.retrieval_eval import ranked_articles, scores  # noqa: E402
from jarida.retrieval.service import open_retrieval  # noqa: E402
from jarida.serving.llama_index import JaridaRetriever, open_retriever, openai_like, query_engine  # noqa: E402
from jarida.settings import Settings, load_settings  # noqa: E402
from tests.conftest import corpus_path  # noqa: E402

K = 10
SEVERAL = {  # art. 1 defines sensitive data; "999" does not exist: recall 0.5, any-gold hit 1
    "qid": "t-several", "lang": "fr", "question": "Selon la loi 09-08, qu'entend-on par « données sensibles » ?",
    "gold": [{"law_id": "loi-09-08", "article": "1"}, {"law_id": "loi-09-08", "article": "999"}],
}  # fmt: skip
UNANSWERABLE = {"qid": "t-none", "lang": "fr", "question": "Quel est le taux normal de la TVA ?", "gold": []}


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    """The dev questions whose gold is in loi 09-08, and the two above."""
    dev = corpus_path().parent / "eval" / "dev.jsonl"
    if not dev.is_file():
        pytest.skip(f"dev questions not found at {dev}")
    rows = [json.loads(line) for line in dev.open(encoding="utf-8") if line.strip()]
    chosen = [q for q in rows if q["gold"] and all(g["law_id"] == "loi-09-08" for g in q["gold"])]
    assert len(chosen) >= 5
    return [*chosen, SEVERAL, UNANSWERABLE]


def _settings(data: Path, **overrides: object) -> Settings:
    return load_settings(config_file=data / "none.toml", data_dir=data, **overrides)


def test_nodes_carry_the_article_and_its_provenance(answer_data: Path) -> None:
    with open_retriever(_settings(answer_data), k=5) as retriever:
        nodes = retriever.retrieve("Que prévoit l'article 7 de la loi 09-08 sur le droit d'accès ?")
    assert len(nodes) == 5 and all(isinstance(n.node, TextNode) and n.node.text for n in nodes)
    first = nodes[0].node
    assert first.node_id == "loi-09-08:7"  # the cited article, first
    meta = first.metadata
    assert (meta["law_id"], meta["article"], meta["lang"]) == ("loi-09-08", "7", "fr")
    assert meta["bo_ref"].startswith("BO n° 5714") and isinstance(meta["pages"], list)
    assert meta["reference"] is True
    assert meta["other_lang"] == ""  # the alignment check flags art. 7's two editions: none is attached
    other = [n.node for n in nodes if n.node.metadata["other_lang"]]
    assert other, "articles whose editions match carry the other one"
    meta = other[0].metadata
    assert meta["other_lang"] == "ar" and meta["other_text"] and meta["other_bo_ref"].startswith("BO AR")
    # the LLM reads the law, article and BO reference, not the other edition's whole text
    shown = other[0].get_content(metadata_mode="llm")
    assert meta["bo_ref"] in shown and meta["law_title"] in shown and meta["other_text"] not in shown


def test_llama_index_evaluation_agrees_with_jarida_eval_retrieval(answer_data: Path, questions: list[dict]) -> None:
    retrieval = open_retrieval(_settings(answer_data))
    try:
        rows = llama_index_eval.llama_index_rows(JaridaRetriever(retrieval.searcher, k=K), questions)
        jarida = {}
        for q in questions[:-1]:
            hits = retrieval.searcher.search(q["question"], k=K, editions=False)
            jarida[q["qid"]] = scores(ranked_articles(hits), {(g["law_id"], g["article"]) for g in q["gold"]}, K)
        report = llama_index_eval.compare(retrieval.searcher, questions, K)
    finally:
        retrieval.close()
    assert [r["qid"] for r in rows] == [q["qid"] for q in questions[:-1]]  # gold: [] left out, as jarida does
    for row in rows:  # question by question, not only on average
        assert row["hit_rate"] == pytest.approx(jarida[row["qid"]][f"recall@{K}"]), row
        assert row["mrr"] == pytest.approx(jarida[row["qid"]][f"mrr@{K}"]), row
    several = next(r for r in rows if r["qid"] == "t-several")
    assert (several["hit_rate"], several["hit_rate_any"]) == (0.5, 1.0)  # the edge case the granular rate settles
    assert report["agree"] and report["several_gold"] == 1
    assert report["llama_index"][f"hit_rate@{K}"] == report["jarida"][f"recall@{K}"]
    assert report["llama_index"][f"mrr@{K}"] == report["jarida"][f"mrr@{K}"]


def test_eval_command_prints_both_figures(
    answer_data: Path, questions: list[dict], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    code = llama_index_eval.main(["--data-dir", str(answer_data), "--questions", str(path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["agree"] and report["questions"] == len(questions) - 1


def test_query_engine_over_an_openai_compatible_server(answer_data: Path) -> None:
    from jarida.serving.embedded_llm import EmbeddedLLM
    from jarida.serving.model_files import smollm2_path

    with EmbeddedLLM(smollm2_path(), threads=2, context=4096) as server:  # llama.cpp's server, vLLM's API
        settings = _settings(answer_data, llm_url=server.url)
        with open_retriever(settings, k=3) as retriever:
            engine = query_engine(retriever, openai_like(settings, max_tokens=32))
            response = engine.query("Que prévoit l'article 7 de la loi 09-08 sur le droit d'accès ?")
    assert isinstance(response.response, str) and response.response.strip()
    assert response.source_nodes[0].node.node_id == "loi-09-08:7"
    assert {"law_id", "article", "bo_ref", "other_lang"} <= set(response.source_nodes[0].node.metadata)
