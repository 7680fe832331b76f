"""Learned relevance: the split by article, the answerability gate, the packaged models' cards."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jarida.retrieval.gate import FEATURES, PACKAGED_GATE, AnswerGate, fit_gate, hit_features, precision_threshold
from jarida.retrieval.questions import Question, load_questions, split_by_article

TRAIN = Path(__file__).resolve().parents[2] / "shared" / "train" / "questions.jsonl"


def q(qid: str, *gold: tuple[str, str], lang: str = "fr") -> Question:
    return Question(qid, lang, f"question {qid}", frozenset(gold))


def test_split_keeps_an_article_and_its_linked_articles_on_one_side() -> None:
    # b1 shares article 2 with a1, and c links 2 to 3: {1, 2, 3} is one group whatever the hash says
    questions = [q("a1", ("l", "1"), ("l", "2")), q("b1", ("l", "2")), q("c", ("l", "2"), ("l", "3")),
                 q("d", ("l", "3"))] + [q(f"x{i}", ("m", str(i))) for i in range(200)]  # fmt: skip
    train, val = split_by_article(questions, share=0.3)
    sides = {x.qid: "val" if x in val else "train" for x in questions}
    assert len({sides[x] for x in ("a1", "b1", "c", "d")}) == 1
    assert 30 < len(val) < 100  # about 30% of 201 groups
    assert split_by_article(questions, share=0.3) == (train, val)  # stable


@pytest.mark.skipif(not TRAIN.is_file(), reason="needs ../shared/train")
def test_training_questions_split_without_shared_articles() -> None:
    train, val = split_by_article(load_questions(TRAIN))
    gold_train = {g for x in train for g in x.gold}
    gold_val = {g for x in val for g in x.gold}
    assert not gold_train & gold_val
    assert 0.15 < len(val) / (len(train) + len(val)) < 0.25
    assert {x.lang for x in val} == {"fr", "ar", "darija"}
    assert sum(not x.answerable for x in val) > 20  # unanswerable questions on both sides


def test_gate_learns_that_a_standing_out_article_answers() -> None:
    rng = np.random.default_rng(0)
    rows, labels = [], []
    for _ in range(300):
        right = rng.random() < 0.6
        logits = sorted(rng.normal(0, 1, 5) + (np.array([4, 0, 0, 0, 0]) if right else 0), reverse=True)
        feats = hit_features("Quel délai de préavis ?", list(map(float, logits)), [1.0] * 5)
        rows.append(feats)
        labels.append([float(right)] + [0.0] * 4)
    gate = fit_gate(np.concatenate(rows), np.concatenate(labels))
    strong = hit_features("Quel délai ?", [5.0, -1.0], [2.0, 1.0])
    weak = hit_features("Quel délai ?", [0.2, 0.1], [1.0, 1.0])
    assert gate.probabilities(strong)[0] > 0.8 > 0.3 > gate.probabilities(weak)[0]
    assert hit_features("واش عندي الحق ف الكونجي؟", [1.0], [1.0])[0, FEATURES.index("darija")] == 1.0


def test_precision_threshold_is_the_lowest_that_keeps_precision() -> None:
    p = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5])
    right = np.array([1, 1, 1, 1, 0, 1, 0], dtype=float)
    assert precision_threshold(p, right, target=0.8, min_answered=2) == pytest.approx(0.6)
    assert precision_threshold(p, right, target=1.0, min_answered=2) == pytest.approx(0.8)
    assert precision_threshold(p, right, target=1.0, min_answered=10) == 1.0  # never enough answered


def test_gate_round_trip(tmp_path: Path) -> None:
    gate = AnswerGate([0.0] * len(FEATURES), [1.0] * len(FEATURES), [1.0] + [0.0] * 6, 0.0, 0.7)
    gate.save(tmp_path / "gate.json")
    again = AnswerGate.load(tmp_path / "gate.json")
    assert again is not None and again.threshold == 0.7
    assert again.probabilities(np.zeros((1, len(FEATURES)), np.float32))[0] == pytest.approx(0.5)
    data = json.loads((tmp_path / "gate.json").read_text())
    data["features"] = ["something", "else"]
    (tmp_path / "old.json").write_text(json.dumps(data))
    assert AnswerGate.load(tmp_path / "old.json") is None  # a gate made for other features is not used


def test_packaged_models_have_their_cards() -> None:
    gate = AnswerGate.load(PACKAGED_GATE)
    assert gate is not None and gate.card["top1_precision_when_answered"] >= 0.9
    assert gate.relevance == "cross-encoder" and 0 < gate.threshold < 1  # fitted on the packaged reranker
    encoder = PACKAGED_GATE.parent / "encoder"
    assert (encoder / "adapter_model.safetensors").stat().st_size < 10 * 2**20
    assert json.loads((encoder / "card.json").read_text())["split"]["rule"] == "by gold article group"
