"""Arabic ↔ French term translations learned from the corpus's own parallel editions, for cross-script BM25.

Many articles exist in both editions (same law, same article number). IBM Model 1 (EM over word alignments,
with a NULL word) run on those pairs, one direction each way, over the BM25 index terms, gives p(french term |
arabic term) and p(arabic term | french term). A question's terms then bring their likely translations into the
lexical query, weighted by that probability, so BM25 reaches an edition in the other script: an Arabic question
a French-only code, a French question the Arabic-only Constitution. Nothing is hand-written; the table grows
with the corpus and is rebuilt by `jarida index` when the parallel articles change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import lexical
from .lexical import is_arabic, terms

FILE_NAME = "lexicon.json"
MIN_PROBABILITY = 0.2  # translations below this are mostly alignment noise (measured: see README)
PER_TERM = 2  # translations kept per question term
_STORED_PER_TERM = 8
_STORED_MIN = 0.02


@dataclass
class Lexicon:
    """Term translations both ways: term → [(other-language term, probability)], best first."""

    ar_fr: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    fr_ar: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    digest: str = ""  # of the parallel texts it was learned from

    def translations(self, question_terms: Iterable[str]) -> dict[str, float]:
        """Other-script terms for a question's index terms, each with its best translation probability."""
        out: dict[str, float] = {}
        for term in set(question_terms):
            table = self.ar_fr if is_arabic(term) else self.fr_ar
            for other, p in table.get(term, [])[:PER_TERM]:
                if p >= MIN_PROBABILITY:
                    out[other] = max(out.get(other, 0.0), p)
        return out

    def save(self, path: Path) -> None:
        data = {"digest": self.digest, "ar_fr": self.ar_fr, "fr_ar": self.fr_ar}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """The saved lexicon, or an empty one when none was learned yet."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        as_pairs = lambda table: {k: [(t, p) for t, p in v] for k, v in table.items()}  # noqa: E731
        return cls(as_pairs(data["ar_fr"]), as_pairs(data["fr_ar"]), data.get("digest", ""))


def pairs_digest(pairs: list[tuple[str, str]]) -> str:
    """Changes whenever a parallel text changes, or the analysis that turns it into index terms."""
    h = hashlib.sha256(f"bm25-{lexical.ANALYZER_VERSION}\x02".encode())
    for french, arabic in sorted(pairs):
        h.update(f"{french}\x00{arabic}\x01".encode())
    return h.hexdigest()[:32]


def _ibm1(docs: list[tuple[list[str], list[str]]], iterations: int) -> dict[str, list[tuple[str, float]]]:
    """p(target term | source term) from (source terms, target terms) pairs; NULL absorbs unaligned words."""
    source_ids: dict[str, int] = {None: 0}  # type: ignore[dict-item]
    target_ids: dict[str, int] = {}
    rows_doc, rows_target, rows_source, rows_count = [], [], [], []
    for d, (source, target) in enumerate(docs):
        sources = {source_ids.setdefault(s, len(source_ids)) for s in source} | {0}
        counts: dict[int, int] = {}
        for t in target:
            tid = target_ids.setdefault(t, len(target_ids))
            counts[tid] = counts.get(tid, 0) + 1
        for tid, n in counts.items():
            for sid in sources:
                rows_doc.append(d)
                rows_target.append(tid)
                rows_source.append(sid)
                rows_count.append(n)
    if not rows_doc:
        return {}
    doc, tgt, src = np.array(rows_doc), np.array(rows_target), np.array(rows_source)
    count = np.array(rows_count, dtype=np.float64)
    pair_key = tgt.astype(np.int64) * len(source_ids) + src
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    pair_tgt, pair_src = pairs // len(source_ids), pairs % len(source_ids)
    _, group = np.unique(doc.astype(np.int64) * len(target_ids) + tgt, return_inverse=True)  # one (doc, target word)
    t = np.ones(len(pairs))
    for _ in range(iterations):
        weight = t[pair_of]
        z = np.bincount(group, weights=weight)
        share = count * weight / z[group]  # expected alignments of this target word to this source word
        c = np.bincount(pair_of, weights=share, minlength=len(pairs))
        total = np.bincount(pair_src, weights=c, minlength=len(source_ids))
        t = c / total[pair_src]
    names_src = {i: s for s, i in source_ids.items()}
    names_tgt = {i: s for s, i in target_ids.items()}
    table: dict[str, list[tuple[str, float]]] = {}
    keep = (t >= _STORED_MIN) & (pair_src != 0)
    for i in np.flatnonzero(keep):
        table.setdefault(names_src[int(pair_src[i])], []).append((names_tgt[int(pair_tgt[i])], round(float(t[i]), 4)))
    return {s: sorted(v, key=lambda x: -x[1])[:_STORED_PER_TERM] for s, v in table.items()}


def learn(pairs: list[tuple[str, str]], iterations: int = 6) -> Lexicon:
    """A lexicon from (French text, Arabic text) pairs of the same article."""
    docs = []
    for french, arabic in pairs:
        fr_terms = [t for t in terms(french) if not t.isdigit()]
        ar_terms = [t for t in terms(arabic) if not t.isdigit()]
        if fr_terms and ar_terms:
            docs.append((fr_terms, ar_terms))
    return Lexicon(
        ar_fr=_ibm1([(ar, fr) for fr, ar in docs], iterations),
        fr_ar=_ibm1(docs, iterations),
        digest=pairs_digest(pairs),
    )
