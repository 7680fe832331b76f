"""Feedback on answers, kept in SQLite beside the article store, exportable as evaluation questions.

The export follows `../shared/eval/dev.jsonl`: `qid, lang (fr|ar|darija), question, gold [{law_id, article}],
answer, kind, persona`. Gold articles are the ones the clerk confirmed (helpful: the cited articles) or named
(wrong citation / missing article: the right reference).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .i18n import N_

# English labels marked for the catalogue (ui/i18n.py); the views translate them where shown.
VERDICTS = {"helpful": N_("Helpful"), "wrong_citation": N_("Wrong citation"), "missing_article": N_("Missing article")}
KINDS = ("fact", "deadline", "definition", "number", "penalty", "procedure", "rights", "unanswerable")
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL, question TEXT, lang TEXT, answer TEXT, status TEXT,
    citations TEXT, verdict TEXT, gold TEXT, expected TEXT, kind TEXT, comment TEXT
);
"""


@dataclass
class Feedback:
    """A clerk's verdict on one answer."""

    question: str
    lang: str  # question language: fr | ar | darija
    answer: str
    status: str
    verdict: str  # helpful | wrong_citation | missing_article
    citations: list[dict] = field(default_factory=list)  # {law_id, article, lang} of the cited articles
    gold: list[dict] = field(default_factory=list)  # {law_id, article}: the articles that answer the question
    expected: str = ""  # the right answer, in the clerk's words (optional)
    kind: str = "fact"
    comment: str = ""
    id: int = 0
    created: float = 0.0


def gold_for(verdict: str, citations: list[dict], named: list[dict]) -> list[dict]:
    """The gold articles a verdict implies: the cited ones when helpful, else the reference(s) the clerk named."""
    pairs = citations if verdict == "helpful" else named
    seen: list[dict] = []
    for p in pairs:
        item = {"law_id": p["law_id"].strip(), "article": str(p["article"]).strip()}
        if item["law_id"] and item["article"] and item not in seen:
            seen.append(item)
    return seen


class FeedbackStore:
    """Feedback rows in `<data_dir>/feedback.sqlite`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def add(self, fb: Feedback) -> int:
        """Store one verdict; returns its id."""
        if fb.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {fb.verdict!r}")
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO feedback (created, question, lang, answer, status, citations, verdict, gold, expected, "
                "kind, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    fb.question,
                    fb.lang,
                    fb.answer,
                    fb.status,
                    json.dumps(fb.citations, ensure_ascii=False),
                    fb.verdict,
                    json.dumps(fb.gold, ensure_ascii=False),
                    fb.expected,
                    fb.kind,
                    fb.comment,
                ),
            )
        return int(cursor.lastrowid or 0)

    def all(self) -> list[Feedback]:
        """Every verdict, oldest first."""
        rows = self.db.execute(
            "SELECT id, created, question, lang, answer, status, citations, verdict, gold, expected, kind, comment "
            "FROM feedback ORDER BY id"
        ).fetchall()
        return [
            Feedback(
                question=r[2],
                lang=r[3],
                answer=r[4],
                status=r[5],
                citations=json.loads(r[6]),
                verdict=r[7],
                gold=json.loads(r[8]),
                expected=r[9],
                kind=r[10],
                comment=r[11],
                id=r[0],
                created=r[1],
            )
            for r in rows
        ]


def eval_rows(items: list[Feedback], prefix: str = "fb") -> tuple[list[dict], int]:
    """Evaluation questions in the dev.jsonl format, and how many verdicts were left out (no gold article)."""
    rows, skipped = [], 0
    for fb in items:
        if not fb.gold and fb.kind != "unanswerable":
            skipped += 1
            continue
        answer = fb.expected or (fb.answer if fb.verdict == "helpful" else "")
        lang = fb.lang if fb.lang in ("fr", "ar", "darija") else "fr"
        rows.append(
            {
                "qid": f"{prefix}-{fb.id:04d}",
                "lang": lang,
                "question": fb.question,
                "gold": [] if fb.kind == "unanswerable" else fb.gold,
                "answer": answer,
                "kind": fb.kind,
                "persona": "clerk",
            }
        )
    return rows, skipped


def to_jsonl(rows: list[dict]) -> str:
    """JSON lines, UTF-8 text kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def as_dict(fb: Feedback) -> dict:
    """A row for tables."""
    return asdict(fb)
