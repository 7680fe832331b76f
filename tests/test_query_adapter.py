"""The query adapter (`jarida train queries`): trained against the index's frozen passage vectors, it changes how
questions are embedded and nothing else — passages, their model id and so the index stay as they are."""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from jarida.retrieval.embeddings import Embedder, adapter_id, encoder_adapter
from jarida.retrieval.train_queries import QueryRecipe, train_queries
from jarida.settings import load_settings

TRAIN_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "train" / "questions.jsonl"


@pytest.fixture(scope="module")
def trained(answer_data, tmp_path_factory):
    """A query adapter trained for two epochs on the training questions about loi 09-08 (the indexed law)."""
    if not TRAIN_QUESTIONS.is_file():
        pytest.skip(f"no training questions at {TRAIN_QUESTIONS}")
    folder = tmp_path_factory.mktemp("query-adapter")
    lines = [x for x in TRAIN_QUESTIONS.read_text(encoding="utf-8").splitlines() if '"loi-09-08"' in x]
    questions = folder / "questions.jsonl"
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(config_file=folder / "none.toml", data_dir=answer_data, query_adapter="none")
    recipe = QueryRecipe(epochs=2, batch_size=16)
    card = train_queries(settings, questions, folder / "adapter", recipe, Console(quiet=True))
    return settings, folder / "adapter", card


def test_training_learns_and_writes_its_card(trained):
    settings, adapter, card = trained
    assert (adapter / "adapter_model.safetensors").is_file()
    assert json.loads((adapter / "card.json").read_text())["passage_encoder"] == adapter_id(encoder_adapter(settings))
    first, second = card["epoch_losses"]
    assert second < first  # the loss over the corpus-wide softmax falls
    assert card["split"]["chunks"] >= 133 and len(card["validation_dense_by_epoch"]) == 2


def test_queries_change_and_passages_do_not(trained):
    settings, adapter, _ = trained
    plain = Embedder.from_settings(settings, queries=False)
    tuned = Embedder.from_settings(load_settings(config_file=adapter / "none.toml", data_dir=settings.data_dir,
                                                 query_adapter=str(adapter)))  # fmt: skip
    try:
        assert tuned.model_id == plain.model_id and tuned.query_model_id != plain.query_model_id
        assert tuned.query_model[0].model.embeddings is tuned.model[0].model.embeddings  # one embedding table
        texts = ["Article 7 : toute personne a le droit d'accéder aux données qui la concernent."]
        assert np.array_equal(tuned.embed_passages(texts), plain.embed_passages(texts))
        question = ["wach 3andi l7a9 nchouf data dyali li 3andhom?"]
        cosine = float(tuned.embed_queries(question)[0] @ plain.embed_queries(question)[0])
        assert cosine < 0.999
    finally:
        tuned.close()
        plain.close()


def test_an_adapter_trained_against_another_passage_encoder_is_refused(trained, tmp_path):
    settings, adapter, _ = trained
    other = tmp_path / "other"
    shutil.copytree(adapter, other)
    card = json.loads((other / "card.json").read_text())
    (other / "card.json").write_text(json.dumps(card | {"passage_encoder": "lora-000000000000"}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        embedder = Embedder.from_settings(
            load_settings(config_file=tmp_path / "none.toml", data_dir=settings.data_dir, query_adapter=str(other))
        )
    try:
        assert any("jarida train queries" in str(w.message) for w in caught)
        assert embedder.query_model is embedder.model and embedder.query_model_id == embedder.model_id
    finally:
        embedder.close()
