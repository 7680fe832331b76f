"""`jarida train gate`: the answerability gate, fitted on the validation side of the training questions.

The validation questions (never seen by the encoder's or the reranker's training) are searched as the answering
stage searches them; each of their top hits becomes a row of `gate.FEATURES`, labelled 1 when it is a gold
article (the unanswerable questions give only 0s). A logistic regression is fitted with 5-fold out-of-fold
probabilities (folds by question) for the figures and the threshold — the lowest at which the best hit is right
in ≥ 90 % of the questions it lets through —, then refitted on all validation questions and saved.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import track

from jarida.settings import Settings

from .gate import PACKAGED_GATE, fit_gate, hit_features, precision_threshold, relevance_source
from .questions import load_questions, split_by_article

TARGET_PRECISION = 0.9
DEPTH = 10  # hits per question the gate learns from (answers show 5)
FOLDS = 5


def train_gate(settings: Settings, questions_path: Path, out: Path = PACKAGED_GATE, seed: int = 0,
               console: Console | None = None) -> dict:  # fmt: skip
    """Fit and save the gate; its figures (also stored in the gate file's `card`)."""
    from .service import open_retrieval

    console = console or Console(stderr=True)
    started = time.perf_counter()
    _, val = split_by_article(load_questions(questions_path))
    retrieval = open_retrieval(settings)
    try:
        searcher = retrieval.searcher
        searcher.gate = None
        source = relevance_source(searcher.reranker)
        searcher.warm([q.text for q in val])
        rows, labels, groups, answerable = [], [], [], []
        for i, q in enumerate(track(val, description="validation questions", console=console)):
            hits = searcher.search(q.text, k=DEPTH, editions=False)
            if not hits:
                continue
            relevance = [h.relevance if h.relevance is not None else h.confidence for h in hits]
            rows.append(hit_features(q.text, relevance, [h.confidence for h in hits]))
            labels.append(np.asarray([(h.law_id, h.article) in q.gold for h in hits], np.float32))
            groups.append(np.full(len(hits), i))
            answerable.append(q.answerable)
    finally:
        retrieval.close()
    x, y, g = np.concatenate(rows), np.concatenate(labels), np.concatenate(groups)
    fold_of = np.random.default_rng(seed).permutation(len(val)) % FOLDS
    oof = np.zeros(len(y), np.float32)
    for fold in range(FOLDS):
        held = fold_of[g] == fold
        oof[held] = fit_gate(x[~held], y[~held]).probabilities(x[held])
    first = np.concatenate([[True], g[1:] != g[:-1]])  # each question's best hit
    threshold = precision_threshold(oof[first], y[first], TARGET_PRECISION)
    passed, answerable_ = oof[first] >= threshold, np.asarray(answerable)
    gate = fit_gate(x, y)
    gate.threshold, gate.relevance = threshold, source
    gate.card = {
        "data": f"{questions_path.name}, validation side of the split by article ({len(val)} questions)",
        "relevance": source,
        "threshold": round(threshold, 4),
        "target": f"top-1 citation precision ≥ {TARGET_PRECISION} (5-fold out-of-fold)",
        "top1_precision_when_answered": round(float(y[first][passed].mean()), 3) if passed.any() else None,
        "answerable_answered": round(float(passed[answerable_].mean()), 3),
        "unanswerable_refused": round(float((~passed[~answerable_]).mean()), 3),
        "top1_correct": round(float(y[first][answerable_].mean()), 3),
        "seconds": round(time.perf_counter() - started, 1),
        "reproduce": "jarida train gate",
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    gate.save(out)
    return gate.card
