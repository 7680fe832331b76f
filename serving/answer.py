"""Answering: retrieve, ask the LLM over numbered excerpts, check every citation, say so when nothing supports it.

Every answer carries a status: `grounded` (it cites retrieved articles), `no_match` (nothing retrieved answers
the question: cite nothing, suggest how to rephrase) or `llm_unavailable` (the retrieved articles with a notice).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, field
from typing import Literal

from jarida.catalogue import display_title, is_legal
from jarida.retrieval.search import Hit, Searcher
from jarida.retrieval.store import SearchFilter
from jarida.types import Citation

from .citations import SourcesLineFilter, check_answer
from .llm import LLMClient, LLMUnavailable
from .passages import matching_passage
from .prompt import Excerpt, answer_language, build_messages, question_language

log = logging.getLogger("jarida.serving")
Status = Literal["grounded", "no_match", "llm_unavailable"]
LLM_FAILED = "the language model could not be reached or failed (the server log has the details)"
RETRIEVED_ARTICLES = 5  # listed to the user (the closest articles, to check)
CONTEXT_ARTICLES = 3  # at most this many confident articles go to the model
EXCERPT_CHARS = 300

NO_MATCH = {
    "fr": "Aucun article indexé ne répond clairement à cette question. Les articles les plus proches sont listés "
    "à titre indicatif : vérifiez-les, ils peuvent ne pas s'appliquer. Reformulez avec les termes du droit (par "
    "exemple « licenciement », « pension alimentaire », « article 53 du code du travail ») ou précisez le texte "
    "concerné ; la question porte peut-être sur un texte absent du corpus.",
    "ar": "لا توجد مادة مفهرسة تجيب بوضوح عن هذا السؤال. المواد الأقرب معروضة على سبيل الإرشاد: تحقق منها، فقد لا "
    "تنطبق. أعد صياغة السؤال بالمصطلحات القانونية (مثلاً «الفصل من العمل»، «النفقة»، «المادة 53 من مدونة الشغل») "
    "أو حدد النص المعني؛ قد يتعلق السؤال بنص غير موجود في المتن.",
}
QUOTED = {
    "fr": "L'article le plus pertinent dispose : « {text} » [{n}]",
    "ar": "تنص المادة الأكثر صلة على ما يلي: «{text}» [{n}]",
}
LLM_DOWN = {
    "fr": "Le modèle de langue est indisponible : voici les articles les plus proches de votre question, "
    "sans réponse rédigée. Vérifiez-les vous-même.",
    "ar": "النموذج اللغوي غير متاح حالياً: هذه أقرب المواد إلى سؤالك، دون جواب محرر. تحقق منها بنفسك.",
}


@dataclass
class Answer:
    """What a user gets: the checked answer, its status, the cited articles and how long each step took."""

    question: str
    lang: str  # language of the answer: fr | ar
    question_lang: str  # fr | ar | darija
    status: Status
    answer: str
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Citation] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notice: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Event:
    """A streaming step: `retrieved` (the numbered articles), `delta` (answer text), `done` (the Answer)."""

    kind: Literal["retrieved", "delta", "done"]
    retrieved: list[Citation] = field(default_factory=list)
    text: str = ""
    answer: Answer | None = None


def citation_of(n: int, hit: Hit, question: str = "") -> Citation:
    """The `[n]` citation for a retrieved hit: the catalogue's title, and the passage matching `question`."""
    p = hit.payload
    pages = p.get("pages") or []
    title = display_title(hit.law_id, hit.lang, p.get("law_title", ""), p.get("text_type", ""), hit.article)
    return Citation(
        law_id=hit.law_id, article=hit.article, lang=hit.lang, law_title=title,
        bo_ref=p.get("bo_ref", ""), page=pages[0] if pages else None, excerpt=hit.text[:EXCERPT_CHARS],
        score=round(hit.score, 4), source=p.get("source", ""), n=n, heading=p.get("heading", ""),
        passage=matching_passage(question, hit.text) if question else "",
    )  # fmt: skip


def legal_first(hits: list[Hit]) -> list[Hit]:
    """The hits in their order, plain documents (opinions, reports) after every legal article."""
    return sorted(hits, key=lambda h: not is_legal(h.payload.get("text_type", ""), h.article))


REFUSAL = re.compile(
    r"je ne (?:peux|suis) pas|d[ée]sol[ée]|aucune information|pas en mesure|أعتذر|عذرا|لا يمكنني|لا أستطيع|"
    r"\bI (?:cannot|can't|am unable)|\bsorry\b",
    re.IGNORECASE,
)


def has_words(text: str) -> bool:
    """True when the text says something besides `[n]` markers and punctuation, and is not a refusal."""
    return len(re.findall(r"\w{2,}", re.sub(r"\[[\d,\s]+\]", " ", text))) >= 3 and not REFUSAL.search(text)


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.sub(r"\[[\d,\s]+\]|\W+", " ", text).lower().split()
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def drop_echoed_instructions(reply: str, messages: list[dict]) -> str:
    """Remove lines of the reply that mostly repeat our instructions (small models sometimes copy the format)."""
    instructions = " ".join(m["content"] for m in messages if m["role"] == "system")
    known = _trigrams(instructions + " " + messages[-1]["content"].rsplit(">>>", 1)[-1])
    kept = []
    for line in reply.splitlines():
        grams = _trigrams(line)
        if len(grams) >= 3 and len(grams & known) >= 0.6 * len(grams):
            continue
        kept.append(line)
    return "\n".join(kept)


def first_sentences(text: str, limit: int = 400) -> str:
    """The article's opening, cut after a sentence where possible."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = max(text.rfind(". ", 0, limit), text.rfind("؛", 0, limit), text.rfind(".", 0, limit))
    return text[: cut + 1] if cut > limit // 3 else text[:limit].rsplit(" ", 1)[0] + " …"


def final_answer(events: Iterator[Event]) -> Answer:
    """The checked Answer that closes a stream of events."""
    done = None
    for event in events:
        if event.kind == "done":
            done = event.answer
    assert done is not None
    return done


class Answerer:
    """Question → Answer, over a Searcher and an OpenAI-compatible LLM (None: retrieval only)."""

    def __init__(self, searcher: Searcher, llm: LLMClient | None, min_confidence: float | None = None,
                 max_tokens: int = 400) -> None:  # fmt: skip
        """`min_confidence`: the gate probability an article needs to go to the model (None or NaN: the
        threshold the gate was validated with). Without a trained gate only cited references pass."""
        self.searcher, self.llm = searcher, llm
        self.min_confidence, self.max_tokens = min_confidence, max_tokens

    @property
    def threshold(self) -> float:
        """The gate probability an article needs (1.0 without a gate: only cited references)."""
        if self.min_confidence is not None and not math.isnan(self.min_confidence):
            return self.min_confidence
        gate = self.searcher.gate
        return gate.threshold if gate is not None else 1.0

    def passes(self, hit: Hit) -> bool:
        """Whether the gate lets the article go to the model (and be cited)."""
        probability = 1.0 if hit.reference else hit.probability
        return probability is not None and probability >= self.threshold

    def answer(self, question: str, flt: SearchFilter | None = None, k: int | None = None) -> Answer:
        """The whole answer at once."""
        return final_answer(self.stream(question, flt, k))

    def stream(self, question: str, flt: SearchFilter | None = None, k: int | None = None) -> Iterator[Event]:
        """Events: the retrieved articles first, then answer text as it is written, then the checked Answer."""
        started = time.perf_counter()
        question = question.strip()
        q_lang = question_language(question)
        lang = answer_language(q_lang, question)
        hits = legal_first(self.searcher.search(question, k=k or RETRIEVED_ARTICLES, flt=flt, editions=False))
        retrieved = [citation_of(n, hit, question) for n, hit in enumerate(hits, start=1)]
        timings = {"retrieval_ms": round(1000 * (time.perf_counter() - started), 1)}
        yield Event("retrieved", retrieved=retrieved)
        result = Answer(question, lang, q_lang, "no_match", NO_MATCH[lang], retrieved=retrieved, timings=timings)
        confident = [(c, h) for c, h in zip(retrieved, hits, strict=True) if self.passes(h)]
        confident = confident[:CONTEXT_ARTICLES]
        if not confident:  # nothing stands out: say so, cite nothing; the closest articles stay in `retrieved`
            result.timings["total_ms"] = round(1000 * (time.perf_counter() - started), 1)
            yield Event("done", answer=result)
            return
        if self.llm is None:
            result.status, result.answer, result.notice = "llm_unavailable", "", LLM_DOWN[lang]
            result.citations = retrieved
            yield Event("done", answer=result)
            return
        excerpts = [Excerpt(c.n, c.law_title, c.heading or f"Article {c.article}", c.bo_ref, h.text)
                    for c, h in confident]  # fmt: skip
        messages = build_messages(question, excerpts, lang, darija=q_lang == "darija")
        llm_started = time.perf_counter()
        pieces: list[str] = []
        head = SourcesLineFilter()
        try:  # closed on every way out (a client gone included): the server stops generating
            with closing(self.llm.stream(messages, max_tokens=self.max_tokens)) as written:
                for piece in written:
                    pieces.append(piece)
                    shown = head.feed(piece)
                    if head.declared_none:  # the model says no excerpt answers: stop generating
                        break
                    if shown:
                        yield Event("delta", text=shown)
        except LLMUnavailable as exc:
            log.warning("answering without the LLM: %s", exc)  # the details (server, error) stay in the log
            result.status, result.answer, result.notice = "llm_unavailable", "", LLM_DOWN[lang]
            result.citations, result.flags = retrieved, [LLM_FAILED]
            result.timings["total_ms"] = round(1000 * (time.perf_counter() - started), 1)
            yield Event("done", answer=result)
            return
        raw = "".join(pieces)
        known = {c.n: (c.article, h.text) for c, h in confident}
        checked = check_answer(drop_echoed_instructions(raw, messages), known)
        result.timings["llm_ms"] = round(1000 * (time.perf_counter() - llm_started), 1)
        result.flags = checked.flags
        by_n = {c.n: c for c in retrieved}
        if checked.cited and has_words(checked.text):
            result.status, result.answer = "grounded", checked.text
            result.citations = [by_n[n] for n in checked.cited]
        elif not checked.declared_none:  # the model wrote nothing usable: quote the best article instead
            top, hit = next(((c, h) for c, h in confident if c.lang == lang), confident[0])
            result.status, result.answer = "grounded", QUOTED[lang].format(text=first_sentences(hit.text), n=top.n)
            result.citations = [top]
            result.flags.append("the model wrote no usable answer: the most relevant article is quoted")
        result.timings["total_ms"] = round(1000 * (time.perf_counter() - started), 1)
        yield Event("done", answer=result)
