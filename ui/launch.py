"""`jarida ui --api-port P`: the workspace, the HTTP API and the chat page in one process over one index.

The embedded Qdrant index is opened by one process at a time, so the quick start runs both doors here: the API
(uvicorn) in a thread, Streamlit's server in the main thread, sharing one retrieval stage and one LLM.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from jarida.settings import Settings

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_flags(host: str, port: int) -> dict[str, object]:
    """Server options of the workspace (the same as `jarida ui` passes to `streamlit run`)."""
    return {"server.address": host, "server.port": port, "server.headless": True,
            "browser.gatherUsageStats": False, "client.toolbarMode": "minimal"}  # fmt: skip


def run_with_api(settings: Settings, host: str, port: int, api_port: int) -> None:
    """Serve the workspace on `port` and the API + chat page on `api_port` until interrupted."""
    import uvicorn
    from streamlit.web import bootstrap

    from jarida.serving.app import create_app
    from jarida.serving.service import open_answering, share

    answering = open_answering(settings)
    share(answering)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, answering), host=host, port=api_port,
                                           log_level="warning"))  # fmt: skip
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
        share(None)
        answering.close()
