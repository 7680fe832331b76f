"""Index a small real subset (loi 09-08, French and Arabic editions) with the real model and search it."""

import numpy as np
import pytest

from jarida.ingest.pipeline import ingest
from jarida.retrieval.darija import expand, is_arabizi, transliterate
from jarida.retrieval.embeddings import Embedder
from jarida.retrieval.indexer import index
from jarida.retrieval.parallel_lexicon import FILE_NAME, Lexicon
from jarida.retrieval.search import Searcher
from jarida.retrieval.store import ClientStore, EdgeStore, SearchFilter
from jarida.settings import load_settings


@pytest.fixture(scope="module")
def indexed(corpus, tmp_path_factory, model_dir):
    data = tmp_path_factory.mktemp("search")
    settings = load_settings(config_file=data / "none.toml", data_dir=data)
    ingest([corpus / "articles" / "fr_loi_09_08.jsonl", corpus / "articles" / "ar_loi_09_08.jsonl"], settings)
    embedder = Embedder(model_dir, data / "cache")
    stores = {
        "edge": EdgeStore(data / "qdrant", embedder.dim),
        "client": ClientStore(embedder.dim, path=data / "local"),
    }
    reports = {name: index(settings, store, embedder) for name, store in stores.items()}
    yield settings, embedder, stores, reports
    for store in stores.values():
        store.close()
    embedder.close()


def test_indexing_is_idempotent(indexed):
    settings, embedder, stores, reports = indexed
    assert reports["edge"].articles == 133 and reports["edge"].chunks >= 133
    again = index(settings, stores["edge"], embedder)
    assert again.embedded == 0 and again.deleted == 0 and again.unchanged == reports["edge"].chunks


@pytest.mark.parametrize("backend", ["edge", "client"])
def test_a_french_question_finds_its_article_on_both_backends(indexed, backend):
    _, embedder, stores, _ = indexed
    hits = Searcher(stores[backend], embedder).search(
        "Ai-je le droit d'accéder aux données qu'un organisme détient sur moi ?", k=5
    )
    assert ("loi-09-08", "7") in [(h.law_id, h.article) for h in hits]
    assert len({(h.law_id, h.article) for h in hits}) == len(hits) == 5  # one hit per article, editions alongside


def test_an_arabic_question_and_a_french_only_filter(indexed):
    _, embedder, stores, _ = indexed
    searcher = Searcher(stores["edge"], embedder)
    hits = searcher.search("ما هي العقوبة المقررة لمن يرفض حقوق الولوج والتصحيح والتعرض؟", k=10)
    assert ("loi-09-08", "53") in [(h.law_id, h.article) for h in hits]
    assert {h.lang for h in searcher.search("حق الولوج", k=5, flt=SearchFilter(lang="fr"))} == {"fr"}


def test_indexing_learns_the_cross_script_lexicon_once(indexed):
    _, _, _, reports = indexed
    assert reports["edge"].parallel_articles >= 60 and reports["edge"].lexicon_learned
    assert not reports["client"].lexicon_learned  # same parallel articles: nothing to relearn


def test_the_lexicon_lets_bm25_answer_an_arabic_question_from_the_french_edition(indexed):
    settings, embedder, stores, _ = indexed
    question, french = "ما هي العقوبة المقررة لمن يرفض حقوق الولوج والتصحيح والتعرض؟", SearchFilter(lang="fr")
    assert Searcher(stores["edge"], embedder).search(question, k=5, flt=french, mode="lexical") == []
    lexicon = Lexicon.load(settings.data_dir / FILE_NAME)
    hits = Searcher(stores["edge"], embedder, lexicon=lexicon).search(question, k=5, flt=french, mode="lexical")
    assert [(h.law_id, h.article, h.lang) for h in hits][0] == ("loi-09-08", "53", "fr")


def test_a_cited_reference_comes_first_with_its_other_edition(indexed):
    _, embedder, stores, _ = indexed
    hits = Searcher(stores["edge"], embedder).search("Que dit l'article 16 de la loi 09-08 ?", k=5)
    assert (hits[0].law_id, hits[0].article, hits[0].reference) == ("loi-09-08", "16", True)
    assert hits[0].editions and hits[0].editions[0]["lang"] != hits[0].lang
    arabic = Searcher(stores["edge"], embedder).search("ماذا تنص عليه المادة 16 من القانون 09.08؟", k=5)
    assert (arabic[0].article, arabic[0].lang, arabic[0].editions[0]["lang"]) == ("16", "ar", "fr")


def test_arabizi_questions_are_also_searched_in_arabic_script():
    question = "kayjiwni des SMS dyal l'publicité mn wa7d charika, wach hadchi 9anouni?"
    assert is_arabizi(question)
    assert expand(question).startswith(question) and "شرك" in expand(question)  # charika → شركة's letters
    assert transliterate("l7bs") == "لحبس"
    assert expand("Quel est le délai de préavis ?") == "Quel est le délai de préavis ?"
    assert expand("واش عندي الحق نشوف المعطيات ديالي؟") == "واش عندي الحق نشوف المعطيات ديالي؟"  # already Arabic


def test_a_reranker_reorders_the_fused_candidates_and_feeds_the_gate(indexed, model_dir):
    from jarida.retrieval.gate import FEATURES, AnswerGate
    from jarida.retrieval.reranker import load_cross_encoder

    _, embedder, stores, _ = indexed
    question = "Ai-je le droit d'accéder aux données qu'un organisme détient sur moi ?"
    fused = Searcher(stores["edge"], embedder).search(question, k=5, editions=False)
    # the real cross-encoder (untrained head): it reads (question, passage) pairs and gives one logit each
    cross = load_cross_encoder(model_dir)
    logits = cross.predict([(question, h.passage) for h in fused], convert_to_numpy=True)
    assert logits.shape == (5,)

    def last_first(q, passages):  # a reranker that prefers what fusion ranked last
        return np.arange(len(passages), dtype=np.float32)

    gate = AnswerGate([0.0] * len(FEATURES), [1.0] * len(FEATURES), [1.0] + [0.0] * 6, 0.0, 0.5,
                      relevance="cross-encoder")  # fmt: skip
    reranked = Searcher(stores["edge"], embedder, reranker=last_first, gate=gate, rerank_depth=5)
    hits = reranked.search(question, k=5, editions=False)
    assert [h.article for h in hits] == [h.article for h in fused][::-1]
    assert all(h.relevance is not None and h.probability is not None for h in hits)
    assert hits[0].probability > hits[-1].probability
    # a gate trained on fused scores is not applied to cross-encoder logits
    gate.relevance = "fused"
    assert all(h.probability is None for h in reranked.search(question, k=5, editions=False))
