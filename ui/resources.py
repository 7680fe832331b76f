"""What a Streamlit process holds once: the settings, the answering Stack (retrieval, LLM, index lock), the worker.

The embedded index and the embedder are shared by searches (script threads) and the indexer (worker thread);
the Stack's `index_lock` keeps them from running at the same time (and the in-process API's searches too, under
`jarida ui --api-port`, where the launcher's Stack is used instead of one opened here).
"""

from __future__ import annotations

import atexit
import io
import sys
from pathlib import Path

import streamlit as st
from rich.console import Console

from jarida.serving.stack import Stack, open_stack, shared_stack
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


@st.cache_resource(show_spinner="Chargement de l'index et du modèle de langue… · جارٍ تحميل الفهرس والنموذج اللغوي…")
def _own_stack(key: str, _settings: Settings) -> Stack:
    stack = open_stack(_settings)
    atexit.register(stack.close)
    return stack


def stack(settings: Settings) -> Stack:
    """The Stack of this process: the launcher's (`jarida ui --api-port`), else one opened once per settings and
    closed when the process exits."""
    return shared_stack(settings) or _own_stack(repr(settings), settings)


def reindex(held: Stack) -> str:
    """Run the incremental indexer over the Stack's index (holding its index lock); a one-line report."""
    report = held.reindex(Console(file=io.StringIO()))
    return (
        f"{report.articles} articles → {report.chunks} chunks: {report.embedded} embedded, {report.unchanged} "
        f"unchanged, {report.deleted} deleted, in {report.seconds:.1f} s"
    )


@st.cache_resource
def _worker(key: str, _settings: Settings, _stack: Stack) -> IngestWorker:
    job_worker = IngestWorker(_settings, index_fn=lambda: reindex(_stack))
    atexit.register(job_worker.stop)
    return job_worker


def worker(settings: Settings) -> IngestWorker:
    """The process's ingest worker thread (one per settings and Stack), indexing into that Stack."""
    held = stack(settings)
    return _worker(f"{settings!r} stack {id(held)}", settings, held)
