"""The answerability gate: a calibrated probability that a retrieved article answers the question.

A logistic regression over features of each ranked hit (its relevance score — the cross-encoder's logit when a
reranker runs, else the fused retrieval score —, how far it stands from the best one, the best one's margin, the
fused score, its rank, the question's script and Darija flags), fitted on the validation side of the training
questions (unanswerable ones included) by `jarida train gate`. Its threshold is chosen there, on 5-fold
out-of-fold probabilities, for a top-1 citation precision of at least 0.9. Stored as `retrieval/trained/gate.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

FEATURES = ("relevance", "gap_to_best", "best_margin", "fused", "inverse_rank", "arabic", "darija")
PACKAGED_GATE = Path(__file__).parent / "trained" / "gate.json"


def relevance_source(reranker: object | None) -> str:
    """What the gate's "relevance" feature is for a searcher: "cross-encoder" logits or "fused" scores."""
    return "fused" if reranker is None else "cross-encoder"


def question_flags(question: str) -> tuple[float, float]:
    """(Arabic script, Darija) indicators of a question."""
    from jarida.normalize import has_arabic

    from .darija import is_darija

    return float(has_arabic(question)), float(is_darija(question))


def hit_features(question: str, relevance: list[float], fused: list[float]) -> np.ndarray:
    """One row of FEATURES per hit, hits in reranked order (`relevance`: cross-encoder logits)."""
    if not relevance:
        return np.zeros((0, len(FEATURES)), np.float32)
    arabic, darija = question_flags(question)
    best = relevance[0]
    margin = best - relevance[1] if len(relevance) > 1 else 5.0
    rows = [
        [r, best - r, margin, f, 1.0 / (i + 1), arabic, darija]
        for i, (r, f) in enumerate(zip(relevance, fused, strict=True))
    ]
    return np.asarray(rows, np.float32)


@dataclass
class AnswerGate:
    """Standardised logistic regression: P(answers) = sigmoid(w · (x - mean) / scale + b)."""

    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float  # the probability an article needs to go to the LLM (chosen on validation)
    relevance: str = "fused"  # what it was trained on: "fused" scores or "cross-encoder" logits
    features: tuple[str, ...] = FEATURES
    card: dict = field(default_factory=dict)  # data, split, figures

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """P(answers) for each row of features."""
        if len(rows) == 0:
            return np.zeros(0, np.float32)
        z = (rows - np.asarray(self.mean)) / np.asarray(self.scale)
        return (1.0 / (1.0 + np.exp(-(z @ np.asarray(self.weights) + self.bias)))).astype(np.float32)

    def save(self, path: Path) -> None:
        """Write the gate as JSON."""
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AnswerGate | None:
        """The gate stored in `path`, or None when there is none or it was made for other features."""
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        data["features"] = tuple(data.get("features", ()))
        return cls(**data) if data["features"] == FEATURES else None


def fit_gate(rows: np.ndarray, labels: np.ndarray, c: float = 1.0) -> AnswerGate:
    """Fit the logistic regression (scikit-learn) on standardised features; threshold left at 0.5."""
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=1000).fit((rows - mean) / scale, labels)
    return AnswerGate(mean.tolist(), scale.tolist(), model.coef_[0].tolist(), float(model.intercept_[0]), 0.5)


def precision_threshold(
    top_probability: np.ndarray, top_correct: np.ndarray, target: float = 0.9, min_answered: int = 20
) -> float:
    """The lowest threshold at which the best article is right in at least `target` of the questions answered
    (counted over the `min_answered` most confident at least, so that a handful of lucky ones do not decide)."""
    order = np.argsort(-top_probability)
    correct = np.cumsum(top_correct[order])
    answered = np.arange(1, len(order) + 1)
    ok = (correct / answered >= target) & (answered >= min_answered)
    if not ok.any():
        return 1.0
    last = np.nonzero(ok)[0].max()
    return float(top_probability[order][last])
