"""The quick start's last step: workspace, API and chat page in one process over one embedded index."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from jarida.serving.model_files import smollm2_path
from tests.conftest import REPO
from tests.test_api import free_port


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def launch_ui(data, env: dict) -> tuple[subprocess.Popen, int, int]:
    """`jarida ui --api-port` in a subprocess over `data`: (process, workspace port, API port)."""
    ui_port, api_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "jarida.cli", "ui", "--data-dir", str(data), "--port", str(ui_port),
         "--api-port", str(api_port)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    return process, ui_port, api_port


def stop_launcher(process: subprocess.Popen) -> None:
    """Stop a `launch_ui` process as Ctrl-C would (killed if it has not exited after 60 s)."""
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def test_ui_with_api_port_serves_both_doors_and_stops_cleanly(answer_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(answer_data, data, symlinks=True)
    env = {**os.environ, "JARIDA_LLM_MODEL_FILE": str(smollm2_path()), "JARIDA_LLM_THREADS": "1"}
    process, ui_port, api_port = launch_ui(data, env)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                ready = json.loads(_get(f"http://127.0.0.1:{api_port}/readyz")[1])
                health = _get(f"http://127.0.0.1:{ui_port}/_stcore/health")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the launcher did not start within 180 s"
                time.sleep(1)
        assert ready["status"] == "ready" and ready["indexed_chunks"] > 0
        assert health[0] == 200
        assert b"<html" in _get(f"http://127.0.0.1:{api_port}/")[1].lower()  # the chat page
        llm_port = int(ready["llm"].rsplit(":", 1)[1].split("/")[0])
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    try:  # the embedded LLM server stopped with it
        _get(f"http://127.0.0.1:{llm_port}/v1/models")
        raise AssertionError("the llama.cpp server outlived the launcher")
    except OSError:
        pass
