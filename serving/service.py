"""Open the answering stage: retrieval, the LLM (vLLM by URL or the embedded server) and the Answerer."""

from __future__ import annotations

from dataclasses import dataclass

from jarida.retrieval.service import Retrieval, open_retrieval
from jarida.settings import Settings

from .answer import Answerer
from .embedded_llm import EmbeddedLLM
from .llm import LLMClient


@dataclass
class Answering:
    """What `jarida ask` and `jarida serve` hold while they run; `close()` stops the embedded LLM."""

    retrieval: Retrieval
    llm: LLMClient
    answerer: Answerer
    embedded: EmbeddedLLM | None = None

    def close(self) -> None:
        self.llm.close()
        if self.embedded:
            self.embedded.stop()
        self.retrieval.close()


def open_llm(settings: Settings) -> tuple[LLMClient, EmbeddedLLM | None]:
    """`JARIDA_LLM_URL` (vLLM or any OpenAI-compatible server), else a started embedded llama.cpp server."""
    if settings.llm_url:
        client = LLMClient(settings.llm_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout)
        return client, None
    embedded = EmbeddedLLM.from_settings(settings)
    url = embedded.start()
    return LLMClient(url, "", "", settings.llm_timeout), embedded


def open_answering(settings: Settings, retrieval: Retrieval | None = None) -> Answering:
    """Retrieval over `data_dir` (or the one given, which the Answering then owns) plus the configured LLM."""
    retrieval = retrieval or open_retrieval(settings)
    try:
        llm, embedded = open_llm(settings)
    except Exception:
        retrieval.close()
        raise
    return Answering(retrieval, llm, Answerer(retrieval.searcher, llm, settings.answer_min_confidence), embedded)


_shared: Answering | None = None


def share(answering: Answering | None) -> None:
    """Offer `answering` to the other doors of this process (the workspace), so one process holds the index."""
    global _shared
    _shared = answering


def shared_answering() -> Answering | None:
    """The Answering a launcher shared with this process, if any."""
    return _shared
