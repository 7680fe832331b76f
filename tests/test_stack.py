"""One answering stack for every door: the no-answer gate reaches `jarida ask`, `jarida serve`, `jarida ui` and
`jarida ui --api-port`, and the API and the workspace of one process share one Stack and its index lock.

The doors run with the LLM switched off (`JARIDA_LLM_ENABLED=false`): a question that passes the gate
(`JARIDA_ANSWER_MIN_CONFIDENCE=-1`) comes back `llm_unavailable` (the retrieved articles), one that does not
(`1000`) `no_match`. The question cites an article, which retrieval finds with high confidence.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from jarida import cli
from jarida.serving.app import create_app
from jarida.settings import load_settings
from tests.test_launch import launch_ui, stop_launcher
from tests.test_ui_app import ask, started_app

QUESTION = "Que prévoit l'article 7 de la loi 09-08 sur le droit d'accès ?"
GATES = [("1000", "no_match"), ("-1", "llm_unavailable")]


def copy_of(answer_data: Path, folder: Path) -> Path:
    """A private copy of the indexed loi 09-08 data dir (an open stack holds its embedded index)."""
    return Path(shutil.copytree(answer_data, folder / "data", symlinks=True))


def door_env(monkeypatch: pytest.MonkeyPatch, data: Path, gate: str = "") -> None:
    """The variables a door reads: data dir, no LLM, no API keys, and the gate when given."""
    monkeypatch.setenv("JARIDA_CONFIG", str(data / "none.toml"))
    monkeypatch.setenv("JARIDA_DATA_DIR", str(data))
    monkeypatch.setenv("JARIDA_LLM_ENABLED", "false")
    monkeypatch.setenv("JARIDA_API_AUTH", "false")
    if gate:
        monkeypatch.setenv("JARIDA_ANSWER_MIN_CONFIDENCE", gate)
    else:
        monkeypatch.delenv("JARIDA_ANSWER_MIN_CONFIDENCE", raising=False)


@pytest.fixture(scope="module")
def data(answer_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for the doors that open and close their stack within a test."""
    return copy_of(answer_data, tmp_path_factory.mktemp("stack"))


@pytest.mark.parametrize(("gate", "status"), GATES)
def test_ask_applies_the_gate(data, monkeypatch, capsys, gate, status):
    door_env(monkeypatch, data, gate)
    assert cli.main(["ask", QUESTION, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == status and answer["retrieved"]


@pytest.mark.parametrize(("gate", "status"), GATES)
def test_serve_applies_the_gate(data, monkeypatch, gate, status):
    door_env(monkeypatch, data, gate)
    with TestClient(create_app(load_settings())) as client:  # what `jarida serve` runs, in-process
        answer = client.post("/v1/query", json={"question": QUESTION}).json()
        ready = client.get("/readyz").json()
    assert answer["status"] == status and answer["retrieved"]
    assert "the LLM is switched off (llm_enabled)" in ready["reasons"]


@pytest.mark.parametrize(("gate", "status"), GATES)
def test_workspace_applies_the_gate(answer_data, tmp_path, monkeypatch, gate, status):
    door_env(monkeypatch, copy_of(answer_data, tmp_path), gate)  # the workspace keeps its stack until exit
    at = ask(started_app(), QUESTION)
    assert at.session_state["answer"].status == status
    assert any("désactivé" in i.value for i in at.info)  # the French interface: "switched off"


@pytest.mark.parametrize(("gate", "status"), GATES)
def test_ui_with_api_port_applies_the_gate(data, gate, status):
    env = {**os.environ, "JARIDA_CONFIG": str(data / "none.toml"), "JARIDA_LLM_ENABLED": "false",
           "JARIDA_API_AUTH": "false", "JARIDA_ANSWER_MIN_CONFIDENCE": gate}  # fmt: skip
    process, _, api_port = launch_ui(data, env)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                response = httpx.post(f"http://127.0.0.1:{api_port}/v1/query", json={"question": QUESTION}, timeout=60)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the launcher did not start within 180 s"
                time.sleep(1)
    finally:
        stop_launcher(process)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == status


class HeldTerminal(io.StringIO):
    """A terminal for the indexer's progress bar whose first write waits until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.writing, self.release = threading.Event(), threading.Event()

    def write(self, text: str) -> int:
        self.writing.set()
        self.release.wait(60)
        return super().write(text)


def test_workspace_and_api_share_one_stack_and_its_index_lock(answer_data, tmp_path, monkeypatch):
    from jarida.ingest.pipeline import ingest
    from jarida.ui import resources
    from jarida.ui.launch import both_doors

    data = copy_of(answer_data, tmp_path)
    door_env(monkeypatch, data)
    settings = load_settings()
    new_text = tmp_path / "verrou.jsonl"
    article = {"law_id": "loi-test-verrou", "lang": "fr", "article": "1", "law_title": "Loi de test du verrou",
               "text": "Le registre du verrou quadrifolié est tenu par le greffe."}  # fmt: skip
    new_text.write_text(json.dumps(article) + "\n")
    ingest([new_text], settings)  # stored, not indexed yet: the re-index below has work to do
    with both_doors(settings) as (stack, app), TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        assert resources.stack(load_settings()) is stack  # what the workspace's script gets in this process
        assert app.state.jarida.backend.stack is stack
        terminal = HeldTerminal()
        reindex = pool.submit(stack.reindex, Console(file=terminal, force_terminal=True))
        try:
            assert terminal.writing.wait(120), "the re-index did not start"
            assert not stack.index_lock.acquire(blocking=False)  # held by the re-index, in its thread
            search = pool.submit(client.post, "/v1/search", json={"question": "registre du verrou quadrifolié"})
            time.sleep(2)
            assert not search.done(), "the API searched while the index was being written"
        finally:
            terminal.release.set()
        assert reindex.result(120).embedded >= 1
        response = search.result(120)
    assert response.status_code == 200, response.text
    assert response.json()["hits"][0]["law_id"] == "loi-test-verrou"  # it searched the finished index
