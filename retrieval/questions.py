"""Labelled questions (`dev.jsonl` format) and the training/validation split by article.

A question's gold articles are never on both sides of the split: questions that share a gold article are
grouped (transitively, through questions with several gold articles) and a whole group goes to one side.
Questions without gold (the corpus does not answer them) are split on their own id at the same rate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

VALIDATION_SHARE = 0.2
SPLIT_SEED = "jarida-split-1"


@dataclass(frozen=True)
class Question:
    """One labelled question: its language (fr, ar, darija) and the (law_id, article) pairs that answer it."""

    qid: str
    lang: str
    text: str
    gold: frozenset[tuple[str, str]]

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def load_questions(path: Path) -> list[Question]:
    """The questions of a JSON-lines file in `dev.jsonl`'s format."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                gold = frozenset((g["law_id"], str(g["article"])) for g in q["gold"])
                out.append(Question(q["qid"], q["lang"], q["question"], gold))
    return out


def _unit(key: str, seed: str) -> float:
    """A stable number in [0, 1) for a key."""
    return int.from_bytes(hashlib.sha256(f"{seed}|{key}".encode()).digest()[:8], "big") / 2**64


def split_by_article(
    questions: list[Question], share: float = VALIDATION_SHARE, seed: str = SPLIT_SEED
) -> tuple[list[Question], list[Question]]:
    """(training, validation): about `share` of the gold-article groups (and of the unanswerable questions)
    go to validation; no gold article appears on both sides."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(a: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for q in questions:
        first, *rest = sorted(q.gold) or [None]
        if first is None:
            continue
        root(first)
        for other in rest:
            parent[root(other)] = root(first)
    train, val = [], []
    for q in questions:
        key = "/".join(root(min(q.gold))) if q.gold else q.qid
        (val if _unit(key, seed) < share else train).append(q)
    return train, val
