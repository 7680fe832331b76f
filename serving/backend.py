"""What the HTTP server holds: a Stack (retrieval, the LLM or none, the Answerer), driven from worker threads.

Embedding (torch), the Qdrant engine and the LLM client block, so each call runs in a worker thread and the
event loop stays free. Thread counts are capped per kind of work (`CapacityLimiter`) so that answers waiting on
the LLM cannot starve searches. Every search (and the search step of every answer) holds the stack's index
lock, the one the workspace's re-index worker holds under `jarida ui --api-port`: searches never see an index
being written, and they run one at a time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
import httpx

from jarida.catalogue import display_title
from jarida.records import ArticleStore
from jarida.redact import redact
from jarida.retrieval.search import Hit
from jarida.retrieval.store import SearchFilter
from jarida.settings import Settings

from .answer import Answer, Event
from .stack import Stack

log = logging.getLogger("jarida.serving")
SEARCH_THREADS = 4  # CPU-bound: more threads than cores only queue inside torch
ANSWER_THREADS = 8  # mostly waiting on the LLM server, which answers one request at a time
EDITION_FIELDS = ("lang", "law_title", "heading", "text", "bo_ref", "pages", "source", "breadcrumb", "method",
                  "ocr_confidence")  # fmt: skip


@dataclass
class Backend:
    """The serving state over a Stack; `close()` closes the stack when this backend owns it."""

    stack: Stack
    owned: bool = True  # False: a caller's stack (`jarida ui --api-port`), closed by that caller
    pending: int = 0  # answers in progress (the event loop alone changes it)
    search_limiter: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(SEARCH_THREADS))
    answer_limiter: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(ANSWER_THREADS))

    @property
    def settings(self) -> Settings:
        return self.stack.settings

    async def search(self, question: str, k: int, flt: SearchFilter, mode: str = "hybrid") -> list[Hit]:
        """Hybrid search in a worker thread."""
        stack = self.stack
        return await anyio.to_thread.run_sync(
            lambda: stack.search(question, k=k, flt=flt, mode=mode), limiter=self.search_limiter
        )

    async def answer(self, question: str, flt: SearchFilter, k: int | None) -> Answer:
        """A whole answer, computed in worker threads."""
        async for event in self.events(question, flt, k):
            if event.kind == "done" and event.answer is not None:
                return event.answer
        raise RuntimeError("the answer ended without a result")

    async def events(self, question: str, flt: SearchFilter, k: int | None) -> AsyncIterator[Event]:
        """The Answerer's events, each step in a worker thread; a client gone stops the generation.

        The LLM answers one request at a time and its queue never times out, so beyond `max_pending_answers`
        answers in progress a question gets the retrieved articles at once (`llm_unavailable`, flagged busy).
        """
        busy = self.stack.llm is not None and self.pending >= self.settings.max_pending_answers
        steps = self.stack.stream(question, flt, k, retrieval_only=busy)
        self.pending += 1
        try:
            while True:
                event = await anyio.to_thread.run_sync(next, steps, None, limiter=self.answer_limiter)
                if event is None:
                    return
                if busy and event.answer is not None:
                    event.answer.flags.append(f"the model is busy ({self.pending - 1} answers in progress): "
                                              "the closest articles, without a written answer")  # fmt: skip
                yield event
        finally:
            self.pending -= 1
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(steps.close)

    async def article(self, law_id: str, article: str, lang: str | None) -> list[dict]:
        """Every stored edition of one article (one per language and source)."""

        def read() -> list[dict]:
            store = ArticleStore(self.settings.db_path)
            try:
                wanted = article.strip().lower()
                found = [a for a in store.articles(law_id=law_id, lang=lang) if a.article.lower() == wanted]
            finally:
                store.close()
            editions = [{name: getattr(a, name) for name in EDITION_FIELDS} for a in found]
            for edition, a in zip(editions, found, strict=True):
                edition["law_title"] = display_title(a.law_id, a.lang, a.law_title, a.text_type, a.article)
            return editions

        return await anyio.to_thread.run_sync(read, limiter=self.search_limiter)

    async def readiness(self) -> tuple[list[str], dict]:
        """(reasons not to be ready, details): an empty index, an LLM not started or not answering.

        Public (`/readyz` needs no key): the LLM is named by its redacted URL and the reasons are generic; the
        errors themselves go to the log.
        """
        reasons: list[str] = []
        count = await anyio.to_thread.run_sync(self.stack.retrieval.store.count, limiter=self.search_limiter)
        if count == 0:
            reasons.append("the index is empty: run `jarida ingest` then `jarida index`")
        llm = self.stack.llm
        details: dict = {"indexed_chunks": count, "llm": llm.shown_url if llm else None}
        if llm is None:
            started = not self.stack.llm_error
            reasons.append("the LLM is switched off (llm_enabled)" if started else
                           "the LLM did not start (the server log has the details)")  # fmt: skip
        else:
            reason = await llm_problem(llm.base_url, self.settings.llm_api_key)
            if reason:
                reasons.append(reason)
        return reasons, details

    def close(self) -> None:
        """Close the stack (stop the embedded LLM, close the index) if this backend owns it."""
        if self.owned:
            self.stack.close()


async def llm_problem(base_url: str, api_key: str = "") -> str:
    """Why the OpenAI-compatible server at `base_url` is not usable now ("" when it lists a model).

    The answer names the server by its redacted URL and no error text (it may carry secrets): those are logged.
    """
    shown = redact(base_url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(f"{base_url}/models", headers=headers)
    except httpx.HTTPError as exc:
        log.warning("the LLM server at %s is unreachable: %s: %s", shown, type(exc).__name__, redact(str(exc)))
        return f"the LLM server at {shown} is unreachable"
    if response.status_code != 200:
        return f"the LLM server at {shown} answered HTTP {response.status_code}"
    try:
        listed = response.json().get("data") or []
    except ValueError:
        listed = []
    return "" if listed else f"the LLM server at {shown} lists no model"
