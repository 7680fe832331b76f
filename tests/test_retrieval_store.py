"""The vector store on both backends (embedded engine, qdrant-client local mode), BM25 analysis, references."""

from pathlib import Path

import numpy as np
import pytest

from jarida.retrieval.lexical import document_vector, query_vector, terms
from jarida.retrieval.references import find_reference
from jarida.retrieval.store import ClientStore, EdgeStore, Fusion, IndexedChunk, SearchFilter

DOCS = {
    "a": ("L'employeur accorde à la salariée des pauses d'allaitement rémunérées", "fr", "loi-65-99", 20040506),
    "b": ("تستفيد الأجيرة من استراحة خاصة للرضاعة مؤدى عنها", "ar", "loi-65-99", 20040506),
    "c": ("Le tribunal de commerce est compétent pour les litiges entre commerçants", "fr", "loi-15-95", 19960801),
}


def _vectors() -> dict[str, list[float]]:
    rng = np.random.default_rng(0)
    out = {}
    for key in DOCS:
        v = rng.normal(size=8)
        out[key] = list(v / np.linalg.norm(v))
    return out


@pytest.fixture(params=["edge", "client"])
def store(request, tmp_path: Path):
    backend = EdgeStore(tmp_path / "edge", 8) if request.param == "edge" else ClientStore(8, path=tmp_path / "local")
    vectors = _vectors()
    backend.upsert(
        [
            IndexedChunk(k, vectors[k], document_vector(text), {"chunk_key": k, "lang": lang, "law_id": law, "date": d})
            for k, (text, lang, law, d) in DOCS.items()
        ]
    )
    backend.optimize()
    yield backend
    backend.close()


def test_hybrid_dense_and_lexical_queries_with_filters(store):
    vectors = _vectors()
    hybrid = store.query(vectors["c"], query_vector("allaitement"), SearchFilter(), 3, Fusion())
    assert {h.key for h in hybrid[:2]} == {"a", "c"}  # one from each branch on top
    lexical = store.query(None, query_vector("pauses allaiter salarié"), SearchFilter(), 3, Fusion())
    assert [h.key for h in lexical] == ["a"]  # stemming: allaiter ~ allaitement, salarié ~ salariée
    assert [h.key for h in store.query(vectors["b"], None, SearchFilter(lang="fr"), 3, Fusion())][0] != "b"
    dated = store.query(vectors["a"], None, SearchFilter(date_from=19900101, date_to=20000101), 3, Fusion("dbsf"))
    assert [h.key for h in dated] == ["c"]
    assert [h.key for h in store.scroll(SearchFilter(law_id="loi-65-99", lang="ar"), 10)] == ["b"]


def test_upsert_is_idempotent_and_delete_removes(store):
    assert store.count() == 3
    store.upsert([IndexedChunk("a", _vectors()["a"], document_vector(DOCS["a"][0]), {"chunk_key": "a"})])
    assert store.count() == 3
    store.delete(["a", "b"])
    assert store.count() == 1 and set(store.fingerprints()) == {"c"}


def test_both_backends_score_bm25_the_same(tmp_path):
    edge, client = EdgeStore(tmp_path / "e", 8), ClientStore(8, path=tmp_path / "c")
    try:
        for backend in (edge, client):
            backend.upsert(
                [IndexedChunk(k, _vectors()[k], document_vector(t), {"chunk_key": k}) for k, (t, *_) in DOCS.items()]
            )
        q = query_vector("الرضاعة الأجيرة")
        ours = [(h.key, round(h.score, 4)) for h in edge.query(None, q, SearchFilter(), 3, Fusion())]
        assert ours == [(h.key, round(h.score, 4)) for h in client.query(None, q, SearchFilter(), 3, Fusion())]
        assert ours[0][0] == "b"
    finally:
        edge.close()
        client.close()


def test_french_and_arabic_analysis():
    assert terms("L’article 161 : les salariées d'une entreprise") == terms("article 161 salarie entreprises")
    assert terms("والمادة بالمحكمة") == terms("المادة المحكمة")
    assert terms("الأُسْرَة") == terms("الاسرة")


@pytest.mark.parametrize(
    ("question", "law", "article"),
    [
        ("article 53 du code du travail", "loi-65-99", "53"),
        ("Que dit l'art. 16 loi 09-08 ?", "loi-09-08", "16"),
        ("المادة 53 من مدونة الشغل", "loi-65-99", "53"),
        ("الفصل 19 من الدستور", "constitution-2011", "19"),
        ("Article 44-1 du code pénal", "code-penal", "44-1"),
    ],
)
def test_direct_references_are_recognised(question, law, article):
    ref = find_reference(question)
    assert ref is not None and (ref.law_id, ref.article) == (law, article)


def test_a_question_without_a_reference_has_none():
    assert find_reference("Combien de jours de congé de maternité ?") is None
