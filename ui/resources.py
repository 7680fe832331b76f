"""What a Streamlit process holds once: settings, retrieval, the LLM (started once, stopped at exit), the worker.

The embedded index and the embedder are shared by searches (script threads) and the indexer (worker thread);
`index_lock` keeps them from running at the same time.
"""

from __future__ import annotations

import atexit
import io
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from rich.console import Console

from jarida.retrieval.service import Retrieval, open_retrieval
from jarida.serving.answer import Answerer
from jarida.serving.llm import LLMClient
from jarida.serving.service import open_llm, shared_answering
from jarida.settings import Settings, load_settings

from .worker import IngestWorker


def data_dir_argument(argv: list[str] | None = None) -> Path | None:
    """`--data-dir DIR` from the script arguments (`streamlit run app.py -- --data-dir DIR`)."""
    argv = sys.argv[1:] if argv is None else argv
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--data-dir="):
            return Path(arg.split("=", 1)[1])
    return None


def current_settings() -> Settings:
    """Settings for this app: `--data-dir`, else JARIDA_DATA_DIR / jarida.toml / defaults."""
    return load_settings(data_dir=data_dir_argument())


@dataclass
class Services:
    """Retrieval, the answerer and the LLM state, shared by every session of the process."""

    retrieval: Retrieval
    answerer: Answerer
    index_lock: threading.RLock
    llm_error: str = ""


@st.cache_resource(show_spinner="Loading the search index and the language model…")
def _services(key: str, _settings: Settings) -> Services:
    settings = _settings
    shared = shared_answering()
    if shared is not None:  # `jarida ui --api-port`: the API in this process already holds the index and the LLM
        return Services(shared.retrieval, shared.answerer, threading.RLock())
    retrieval = open_retrieval(settings)
    llm: LLMClient | None = None
    error = ""
    if os.environ.get("JARIDA_UI_NO_LLM") != "1":
        try:
            llm, embedded = open_llm(settings)
        except Exception as exc:  # the workspace still searches without a language model
            error = str(exc)
        else:
            atexit.register(_stop_llm, llm, embedded)
    atexit.register(retrieval.close)
    return Services(retrieval, Answerer(retrieval.searcher, llm), threading.RLock(), error)


def _stop_llm(llm: LLMClient, embedded: object) -> None:
    llm.close()
    if embedded is not None:
        embedded.stop()  # type: ignore[attr-defined]


def reindex(settings: Settings, svc: Services) -> str:
    """Run the incremental indexer over the shared index; a one-line report."""
    from jarida.retrieval.indexer import index
    from jarida.retrieval.parallel_lexicon import FILE_NAME, Lexicon

    with svc.index_lock:
        report = index(settings, svc.retrieval.store, svc.retrieval.embedder, Console(file=io.StringIO()))
        if report.lexicon_learned:  # the open searcher translates with the new lexicon from now on
            svc.retrieval.searcher.lexicon = Lexicon.load(settings.data_dir / FILE_NAME)
    return (
        f"{report.articles} articles → {report.chunks} chunks: {report.embedded} embedded, {report.unchanged} "
        f"unchanged, {report.deleted} deleted, in {report.seconds:.1f} s"
    )


def services(settings: Settings) -> Services:
    """Open retrieval and start the LLM once per process (per settings); both are closed when the process exits."""
    return _services(repr(settings), settings)


@st.cache_resource
def _worker(key: str, _settings: Settings, _svc: Services) -> IngestWorker:
    job_worker = IngestWorker(_settings, index_fn=lambda: reindex(_settings, _svc))
    atexit.register(job_worker.stop)
    return job_worker


def worker(settings: Settings) -> IngestWorker:
    """The process's ingest worker thread (one per settings), indexing into the shared services."""
    return _worker(repr(settings), settings, services(settings))
