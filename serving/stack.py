"""The answering stack every door opens: retrieval, the LLM (or none), the Answerer and one index lock.

`jarida ask`, `jarida serve`, `jarida ui` (alone or with `--api-port`) and `jarida eval answers` all call
`open_stack(settings)`, so every door answers alike: the same no-answer gate (`answer_min_confidence`), the
same LLM (`llm_url`, else the embedded llama.cpp server; none with `llm_enabled = false`) and the same fallback
to retrieval-only answers when the LLM cannot start.

The embedded index and the e5 embedder are shared by searches and by the workspace's re-index worker: every
search (`Stack.search`, the first step of `Stack.stream`) and every indexing run (`Stack.reindex`) holds the
stack's `index_lock`, so indexing and searching never run at once — also when the API and the workspace share
one stack in one process (`jarida ui --api-port`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jarida.redact import redact
from jarida.retrieval.search import Hit
from jarida.retrieval.service import Retrieval, open_retrieval
from jarida.retrieval.store import SearchFilter
from jarida.settings import Settings

from .answer import Answer, Answerer, Event, final_answer
from .embedded_llm import EmbeddedLLM, LocalServer
from .llm import LLMClient
from .vllm_server import VllmServer

if TYPE_CHECKING:
    from rich.console import Console

    from jarida.retrieval.indexer import IndexReport

log = logging.getLogger("jarida.serving")


@dataclass
class Stack:
    """What a door holds while it runs; `close()` stops the embedded LLM and closes the index.

    `answerer` answers with the LLM (or, when `llm` is None, with the retrieved articles: `llm_unavailable`);
    `retrieval_only` never asks the LLM (the API's "LLM busy" path, the workspace's search-only mode). Both
    apply `settings.answer_min_confidence`. Ask through `stream`/`answer`/`search`, which take `index_lock`.
    """

    settings: Settings
    retrieval: Retrieval
    answerer: Answerer
    retrieval_only: Answerer
    llm: LLMClient | None = None
    llm_error: str = ""  # why the LLM did not start ("" when it started or is switched off)
    embedded: LocalServer | None = None
    index_lock: threading.RLock = field(default_factory=threading.RLock)

    def start_llm(self) -> None:
        """Start the configured LLM and answer with it; nothing when `settings.llm_enabled` is off.

        An LLM that cannot start (a missing model file, a server that would not start) is logged and kept in
        `llm_error`: the stack answers from retrieval alone (`llm_unavailable`) rather than failing.
        """
        if self.llm is not None or not self.settings.llm_enabled:
            return
        try:
            self.llm, self.embedded = open_llm(self.settings)
        except Exception as exc:  # degrade, never fail: searches and retrieval-only answers still work
            self.llm_error = redact(str(exc))
            log.error("the LLM could not start, answers will be llm_unavailable: %s", self.llm_error)
            return
        self.llm_error = ""
        self.answerer = _answerer(self.settings, self.retrieval, self.llm)

    def search(self, question: str, k: int = 10, flt: SearchFilter | None = None, mode: str = "hybrid") -> list[Hit]:
        """Hybrid (or dense, lexical) search, never while the index is being written."""
        with self.index_lock:
            return self.retrieval.searcher.search(question, k=k, flt=flt, mode=mode)

    def stream(self, question: str, flt: SearchFilter | None = None, k: int | None = None, *,
               retrieval_only: bool = False) -> Iterator[Event]:  # fmt: skip
        """The Answerer's events; its search (the first step) holds `index_lock`, the LLM's writing does not.

        Each step may run in a different thread (the API runs them in worker threads): the lock is taken and
        released within the first step.
        """
        events = (self.retrieval_only if retrieval_only else self.answerer).stream(question, flt, k)
        try:
            with self.index_lock:
                first = next(events)
            yield first
            yield from events
        finally:
            events.close()

    def answer(self, question: str, flt: SearchFilter | None = None, k: int | None = None) -> Answer:
        """The whole answer at once."""
        return final_answer(self.stream(question, flt, k))

    def reindex(self, console: Console | None = None) -> IndexReport:
        """Bring the index in line with the article store (incremental), holding `index_lock` throughout."""
        from jarida.retrieval.indexer import index
        from jarida.retrieval.parallel_lexicon import FILE_NAME, Lexicon

        with self.index_lock:
            report = index(self.settings, self.retrieval.store, self.retrieval.embedder, console)
            if report.lexicon_learned:  # the open searcher translates with the new lexicon from now on
                self.retrieval.searcher.lexicon = Lexicon.load(self.settings.data_dir / FILE_NAME)
        return report

    def close(self) -> None:
        """Stop the embedded LLM (if started here) and close the index."""
        if self.llm is not None:
            self.llm.close()
        if self.embedded is not None:
            self.embedded.stop()
        self.retrieval.close()


def open_llm(settings: Settings) -> tuple[LLMClient, LocalServer | None]:
    """`JARIDA_LLM_URL` (vLLM or any OpenAI-compatible server), else a server jarida starts: the embedded
    llama.cpp server, or vLLM from its own virtualenv with `llm_engine = "vllm"`."""
    if settings.llm_url:
        client = LLMClient(settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout)
        return client, None
    if settings.llm_engine not in ("llama.cpp", "vllm"):
        raise ValueError(f"llm_engine {settings.llm_engine!r}: use llama.cpp or vllm")
    server = VllmServer if settings.llm_engine == "vllm" else EmbeddedLLM
    embedded = server.from_settings(settings)
    url = embedded.start()
    return LLMClient(url, "", "", settings.llm_timeout), embedded


def _answerer(settings: Settings, retrieval: Retrieval, llm: LLMClient | None) -> Answerer:
    """The one place an Answerer is built, so that every door applies the same no-answer gate."""
    return Answerer(retrieval.searcher, llm, settings.answer_min_confidence)


def open_stack(settings: Settings, *, start_llm: bool = True) -> Stack:
    """Retrieval over `data_dir`, then (unless `start_llm` is False) the LLM: see `Stack.start_llm`."""
    retrieval = open_retrieval(settings)
    stack = Stack(settings, retrieval, _answerer(settings, retrieval, None), _answerer(settings, retrieval, None))
    if start_llm:
        stack.start_llm()
    return stack


# `jarida ui --api-port` serves the workspace and the API from one process over one Stack. Streamlit runs the
# workspace as a script by path and passes it only string arguments, so the launcher cannot hand it the Stack
# as an argument: it offers it here, keyed by data dir, for as long as both doors run (`shared`), and the
# workspace takes it (`shared_stack`) instead of opening its own. This is the process's only such handle.
_offered: dict[Path, Stack] = {}
_offered_lock = threading.Lock()


@contextmanager
def shared(stack: Stack) -> Iterator[Stack]:
    """Offer `stack` to the other doors of this process over the same data dir while the block runs."""
    key = stack.settings.data_dir.resolve()
    with _offered_lock:
        if key in _offered:
            raise RuntimeError(f"a stack over {key} is already shared in this process")
        _offered[key] = stack
    try:
        yield stack
    finally:
        with _offered_lock:
            _offered.pop(key, None)


def shared_stack(settings: Settings) -> Stack | None:
    """The Stack a launcher offers for `settings.data_dir` in this process, if any."""
    with _offered_lock:
        return _offered.get(settings.data_dir.resolve())
