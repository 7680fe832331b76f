"""`jarida ui --api-port P`: the workspace, the HTTP API and the chat page in one process over one index.

The embedded Qdrant index is opened by one process at a time, so the quick start runs both doors here: the API
(uvicorn) in a thread, Streamlit's server in the main thread, sharing one Stack (retrieval, the LLM, the
Answerer and the index lock that the API's searches and the workspace's searches and re-index worker all take).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from jarida.serving.stack import Stack, open_stack, shared
from jarida.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_flags(host: str, port: int) -> dict[str, object]:
    """Server options of the workspace (the same as `jarida ui` passes to `streamlit run`)."""
    return {"server.address": host, "server.port": port, "server.headless": True,
            "browser.gatherUsageStats": False, "client.toolbarMode": "minimal"}  # fmt: skip


@contextmanager
def both_doors(settings: Settings) -> Iterator[tuple[Stack, FastAPI]]:
    """One Stack, served by the returned API app and offered to this process's workspace; closed at the end."""
    from jarida.serving.app import create_app

    stack = open_stack(settings)
    try:
        with shared(stack):
            yield stack, create_app(settings, stack)
    finally:
        stack.close()


def run_with_api(settings: Settings, host: str, port: int, api_port: int) -> None:
    """Serve the workspace on `port` and the API + chat page on `api_port` until interrupted."""
    import uvicorn
    from streamlit.web import bootstrap

    from jarida.serving.http_server import uvicorn_config

    with both_doors(settings) as (_, app):
        server = uvicorn.Server(uvicorn_config(app, settings, host, api_port, log_level="warning"))
        api = threading.Thread(target=server.run, name="jarida-api", daemon=True)
        api.start()
        print(f"jarida: workspace http://{host}:{port} · chat page and API http://{host}:{api_port} "
              f"(docs /docs) · data {settings.data_dir}; Ctrl-C stops both", file=sys.stderr)  # fmt: skip
        flags = streamlit_flags(host, port)
        try:
            bootstrap.load_config_options(flag_options=flags)
            bootstrap.run(str(APP), False, ["--data-dir", str(settings.data_dir.resolve())], flags)
        finally:
            server.should_exit = True
            api.join(15)
