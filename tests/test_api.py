"""The HTTP API over a real `jarida serve` (uvicorn subprocess on 127.0.0.1) with the real index and model.

Two servers run over their own copies of the loi 09-08 data dir: one with the embedded SmolLM2 and API keys,
one whose LLM URL is a closed port and without keys (answers deterministically `llm_unavailable`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from jarida.serving.model_files import smollm2_path
from tests.conftest import REPO, run_jarida

# Cites an article: retrieval is confident, so the model is asked (a vaguer question may get no_match at once).
QUESTION = "Que prévoit l'article 4 de la loi n° 09-08 sur le consentement de la personne concernée ?"
START_TIMEOUT = 300  # e5 + llama.cpp on a shared CPU


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    data: Path
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(data: Path, *args: str, **env: str) -> Server:
    """`jarida serve` on a free port; returns once `/healthz` answers."""
    port = free_port()
    log = data / f"serve-{port}.log"
    environ = {**os.environ, "JARIDA_CONFIG": str(data / "none.toml"), **env}
    command = [sys.executable, "-m", "jarida.cli", "serve", "--data-dir", str(data), "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environ, cwd=REPO)
    server = Server(f"http://127.0.0.1:{port}", process, data, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jarida serve exited ({process.returncode}): {server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"jarida serve did not start in {START_TIMEOUT} s: {server.log_tail()}")


def copy_data(answer_data: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A private copy of the data dir: the embedded index is held by one process, keys stay per test module."""
    data = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(answer_data, data, symlinks=True, ignore=shutil.ignore_patterns("api_keys.sqlite", "*.log"))
    return data


def create_key(data: Path, name: str, per_minute: int) -> str:
    done = run_jarida("keys", "create", name, "--per-minute", str(per_minute), data_dir=data)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def api(answer_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server with SmolLM2 and API keys on."""
    data = copy_data(answer_data, tmp_path_factory, "api")
    server = start_server(data, JARIDA_LLM_MODEL_FILE=str(smollm2_path()), JARIDA_MAX_PENDING_ANSWERS="2")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def key(api: Server) -> str:
    return create_key(api.data, "tests", 10_000)


@pytest.fixture(scope="module")
def down(answer_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server whose LLM is a closed port, without API keys, 4 public chat requests a minute per IP."""
    data = copy_data(answer_data, tmp_path_factory, "down")
    with socket.socket() as closed:  # bound, never listening: refused, and no other server can take the port
        closed.bind(("127.0.0.1", 0))
        llm_url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
        server = start_server(data, "--no-auth", JARIDA_LLM_URL=llm_url, JARIDA_CHAT_RATE_PER_MINUTE="4")
        yield server
        server.stop()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def sse_events(response: httpx.Response) -> list[tuple[str, str]]:
    """(event name, data) of each Server-Sent Event ("" for unnamed events)."""
    events, name, data = [], "", []
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            events.append((name, "\n".join(data)))
            name, data = "", []
    return events


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
    return error


# ---- the server with the embedded LLM and API keys ---------------------------------------------------------------


def test_health_and_ready(api: Server) -> None:
    assert httpx.get(f"{api.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{api.url}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["indexed_chunks"] > 100 and ready.json()["llm"].startswith("http://127.0.0.1:")


def test_keys_required_accepted_and_revoked(api: Server) -> None:
    body = {"question": QUESTION, "k": 2}
    assert_error(httpx.post(f"{api.url}/v1/search", json=body), 401, "unauthorized")
    assert_error(httpx.post(f"{api.url}/v1/search", json=body, headers=auth("jrd_not-a-key")), 401, "unauthorized")
    key = create_key(api.data, "revocable", 100)
    assert httpx.post(f"{api.url}/v1/search", json=body, headers=auth(key), timeout=60).status_code == 200
    assert httpx.post(f"{api.url}/v1/search", json=body, headers={"X-API-Key": key}, timeout=60).status_code == 200
    listed = run_jarida("keys", "list", data_dir=api.data).stdout
    assert "revocable" in listed and key not in listed  # only a prefix is ever shown again
    assert key not in (api.data / "api_keys.sqlite").read_bytes().decode("latin-1")  # stored hashed
    assert run_jarida("keys", "revoke", "revocable", data_dir=api.data).returncode == 0
    assert_error(httpx.post(f"{api.url}/v1/search", json=body, headers=auth(key)), 401, "unauthorized")
    assert run_jarida("keys", "revoke", "revocable", data_dir=api.data).returncode == 1  # nothing left to revoke


def test_rate_limit_per_key(api: Server, key: str) -> None:
    slow = create_key(api.data, "slow", 2)
    url = f"{api.url}/v1/articles/loi-09-08/1"
    assert [httpx.get(url, headers=auth(slow)).status_code for _ in range(2)] == [200, 200]
    limited = httpx.get(url, headers=auth(slow))
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    assert httpx.get(url, headers=auth(key)).status_code == 200  # other keys are not affected


def test_search(api: Server, key: str) -> None:
    hits = httpx.post(f"{api.url}/v1/search", json={"question": QUESTION, "k": 3}, headers=auth(key), timeout=60)
    assert hits.status_code == 200, hits.text
    found = hits.json()["hits"]
    assert 1 <= len(found) <= 3
    assert found[0]["law_id"] == "loi-09-08" and found[0]["text"] and "score" in found[0]
    arabic = httpx.post(
        f"{api.url}/v1/search", json={"question": QUESTION, "filters": {"lang": "ar"}}, headers=auth(key), timeout=60
    ).json()["hits"]
    assert arabic and {h["lang"] for h in arabic} == {"ar"}
    vague = {"question": "conditions du consentement", "filters": {"law_id": "code-penal"}}  # no cited article
    none = httpx.post(f"{api.url}/v1/search", json=vague, headers=auth(key))
    assert none.status_code == 200 and none.json() == {"hits": []}


def test_article(api: Server, key: str) -> None:
    both = httpx.get(f"{api.url}/v1/articles/loi-09-08/1", headers=auth(key)).json()
    assert both["law_id"] == "loi-09-08" and both["article"] == "1"
    assert {e["lang"] for e in both["editions"]} == {"fr", "ar"}
    french = httpx.get(f"{api.url}/v1/articles/loi-09-08/1", params={"lang": "fr"}, headers=auth(key)).json()
    (edition,) = french["editions"]
    assert edition["lang"] == "fr" and "informatique" in edition["text"] and edition["method"] == "digitised"
    assert set(edition) == {"lang", "law_title", "heading", "text", "bo_ref", "pages", "source", "breadcrumb",
                            "method", "ocr_confidence"}  # fmt: skip
    assert_error(httpx.get(f"{api.url}/v1/articles/loi-09-08/999", headers=auth(key)), 404, "not_found")
    assert_error(httpx.get(f"{api.url}/v1/articles/no-such-law/1", headers=auth(key)), 404, "not_found")
    assert_error(httpx.get(f"{api.url}/v1/articles/loi-09-08/1?lang=en", headers=auth(key)), 422, "invalid_request")


def test_query_json(api: Server, key: str) -> None:
    response = httpx.post(f"{api.url}/v1/query", json={"question": QUESTION, "k": 2}, headers=auth(key), timeout=600)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] in ("grounded", "no_match")  # SmolLM2 is tiny: it may well cite nothing
    assert answer["lang"] == "fr" and answer["answer"]
    assert len(answer["retrieved"]) == 2 and answer["retrieved"][0]["law_id"] == "loi-09-08"
    assert set(answer["retrieved"][0]) == {"law_id", "law_title", "article", "lang", "bo_ref", "page", "excerpt",
                                           "score", "source", "n", "heading", "passage"}  # fmt: skip
    assert "llm_ms" in answer["timings"]  # the model was asked
    cited = {c["n"] for c in answer["citations"]}
    assert cited <= {c["n"] for c in answer["retrieved"]}
    assert (answer["status"] == "grounded") == bool(cited)


def test_query_stream(api: Server, key: str) -> None:
    body = {"question": QUESTION, "k": 2, "stream": True}
    with httpx.stream("POST", f"{api.url}/v1/query", json=body, headers=auth(key), timeout=600) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
    names = [name for name, _ in events]
    assert names[0] == "retrieved" and names[-1] == "done" and set(names) <= {"retrieved", "delta", "done"}
    retrieved = json.loads(events[0][1])["retrieved"]
    assert len(retrieved) == 2 and retrieved[0]["law_id"] == "loi-09-08" and retrieved[0]["excerpt"]
    done = json.loads(events[-1][1])
    assert done["retrieved"] == retrieved and done["status"] in ("grounded", "no_match")
    assert {c["n"] for c in done["citations"]} <= {c["n"] for c in retrieved}


def test_concurrent_answers_are_not_cut_short(api: Server, key: str) -> None:
    """llama.cpp's server stops a running stream when another request comes, unless told not to."""
    body = {"question": QUESTION, "k": 1}

    def ask(_: int) -> dict:
        response = httpx.post(f"{api.url}/v1/query", json=body, headers=auth(key), timeout=600)
        assert response.status_code == 200, response.text
        return response.json()

    alone = ask(0)
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(ask, range(2)))
    for answer in together:  # greedy decoding: the same prompt gives the same reply, whole
        assert [answer[f] for f in ("status", "answer", "flags")] == [alone[f] for f in ("status", "answer", "flags")]


def test_answers_beyond_the_queue_limit_get_the_articles_at_once(api: Server, key: str) -> None:
    body = {"question": QUESTION, "k": 1}

    def ask(_: int) -> tuple[float, dict]:
        started = time.monotonic()
        response = httpx.post(f"{api.url}/v1/query", json=body, headers=auth(key), timeout=600)
        assert response.status_code == 200, response.text
        return time.monotonic() - started, response.json()

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(ask, range(3)))
    busy = [(t, a) for t, a in results if any("busy" in f for f in a["flags"])]
    assert len(busy) == 1  # JARIDA_MAX_PENDING_ANSWERS=2: the third question is not queued behind the LLM
    seconds, answer = busy[0]
    assert answer["status"] == "llm_unavailable" and answer["citations"] == answer["retrieved"] != []
    assert seconds < min(t for t, a in results if a is not answer)


def test_chat_completions_with_openai_client(api: Server, key: str) -> None:
    client = openai.OpenAI(base_url=f"{api.url}/v1", api_key=key, timeout=600, max_retries=0)
    assert [m.id for m in client.models.list().data] == ["jarida"]
    messages = [{"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}]
    small = {"k": 2}  # jarida's extension: two articles keep the prompt short on a busy CPU
    completion = client.chat.completions.create(model="jarida", messages=messages, extra_body=small)
    assert completion.object == "chat.completion" and completion.choices[0].message.role == "assistant"
    content = completion.choices[0].message.content
    extra = completion.model_extra
    assert extra["jarida"]["status"] in ("grounded", "no_match")
    for citation in extra["citations"]:
        assert f"[{citation['n']}] {citation['law_title']}" in content.split("Sources:")[1]
    assert ("Sources:" in content) == bool(extra["citations"])

    chunks = list(client.chat.completions.create(model="jarida", messages=messages, stream=True, extra_body=small))
    assert chunks and {c.object for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    last = chunks[-1].model_extra
    assert last["jarida"]["status"] in ("grounded", "no_match") and isinstance(last["citations"], list)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.strip()
    assert_error(
        httpx.post(f"{api.url}/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]},
                   headers=auth(key)), 422, "invalid_request",
    )  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"question": ""},
        {"question": "   "},
        {"question": "x" * 2001},
        {"question": 42},
        {"question": ["a"]},
        {"question": QUESTION, "k": 0},
        {"question": QUESTION, "k": 21},
        {"question": QUESTION, "k": "5"},
        {"question": QUESTION, "stream": "yes"},
        {"question": QUESTION, "filters": {"lang": "en"}},
        {"question": QUESTION, "filters": {"date_from": "not a date"}},
        {"question": QUESTION, "surprise": 1},
        {},
        [],
        "question",
    ],
)
def test_hostile_input_gets_a_clear_422(api: Server, key: str, body: object) -> None:
    assert_error(httpx.post(f"{api.url}/v1/query", json=body, headers=auth(key)), 422, "invalid_request")


def test_errors_are_json(api: Server, key: str) -> None:
    assert_error(httpx.get(f"{api.url}/v1/nothing-here", headers=auth(key)), 404, "not_found")
    assert_error(httpx.get(f"{api.url}/v1/query", headers=auth(key)), 405, "method_not_allowed")
    bad_json = httpx.post(f"{api.url}/v1/query", content=b"{not json", headers={**auth(key),
                          "Content-Type": "application/json"})  # fmt: skip
    assert "JSON" in assert_error(bad_json, 422, "invalid_request")["message"]
    form = httpx.post(f"{api.url}/v1/query", content=b"question=x", headers=auth(key))
    assert "JSON" in assert_error(form, 422, "invalid_request")["message"]


def test_body_size_limit(api: Server, key: str) -> None:
    huge = {"question": "x" * 100_000}
    assert_error(httpx.post(f"{api.url}/v1/query", json=huge, headers=auth(key)), 413, "payload_too_large")

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b'{"question": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    headers = {**auth(key), "Content-Type": "application/json"}
    sent = httpx.post(f"{api.url}/v1/query", content=chunked(), headers=headers)
    assert_error(sent, 413, "payload_too_large")


def test_openapi_docs(api: Server) -> None:
    assert httpx.get(f"{api.url}/docs").status_code == 200
    schema = httpx.get(f"{api.url}/openapi.json").json()
    for path in ("/v1/query", "/v1/search", "/v1/chat/completions", "/v1/articles/{law_id}/{article}", "/readyz"):
        assert path in schema["paths"]
    assert "grounded" in schema["paths"]["/v1/query"]["post"]["description"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schema["components"]["securitySchemes"])


def test_shutdown_stops_the_embedded_llm(api: Server) -> None:
    llm_url = httpx.get(f"{api.url}/readyz", timeout=30).json()["llm"]
    assert api.stop() in (0, -15), api.log_tail()  # uvicorn re-raises SIGTERM once shut down
    assert "Application shutdown complete" in api.log_tail()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{llm_url}/models", timeout=5)


# ---- the server whose LLM is down, without keys ------------------------------------------------------------------


def test_llm_down_still_answers_with_the_articles(down: Server) -> None:
    response = httpx.post(f"{down.url}/v1/query", json={"question": QUESTION}, timeout=120)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "llm_unavailable" and answer["notice"] and answer["answer"] == ""
    assert answer["retrieved"] and answer["citations"] == answer["retrieved"]
    assert answer["retrieved"][0]["law_id"] == "loi-09-08"
    assert any("unreachable" in f or "failed" in f for f in answer["flags"]), answer["flags"]


def test_readyz_says_why_not_ready(down: Server) -> None:
    response = httpx.get(f"{down.url}/readyz", timeout=30)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and body["error"]["code"] == "unavailable"
    assert len(body["reasons"]) == 1 and "LLM server" in body["reasons"][0]


def test_openai_client_gets_the_sources_when_llm_is_down(down: Server) -> None:
    client = openai.OpenAI(base_url=f"{down.url}/v1", api_key="unused", timeout=120, max_retries=0)
    messages = [{"role": "user", "content": QUESTION}]
    completion = client.chat.completions.create(model="jarida", messages=messages)
    content = completion.choices[0].message.content
    citations = completion.model_extra["citations"]
    assert completion.model_extra["jarida"]["status"] == "llm_unavailable" and citations
    notice, sources = content.split("\n\nSources:\n")
    assert "indisponible" in notice
    first = citations[0]
    article = first["heading"] or f"Article {first['article']}"
    assert sources.splitlines()[0] == f"[1] {first['law_title']} — {article} ({first['bo_ref']})"
    assert len(sources.splitlines()) == len(citations)

    with httpx.stream("POST", f"{down.url}/v1/chat/completions", json={"messages": messages, "stream": True},
                      timeout=120) as response:  # fmt: skip
        events = sse_events(response)
    assert events[-1][1] == "[DONE]"
    last = json.loads(events[-2][1])
    assert last["choices"][0]["finish_reason"] == "stop" and last["citations"] == citations
    assert last["choices"][0]["delta"]["content"] == content


def test_no_auth_mode_needs_no_key(down: Server) -> None:
    response = httpx.post(f"{down.url}/v1/search", json={"question": QUESTION, "k": 1}, timeout=60)
    assert response.status_code == 200 and len(response.json()["hits"]) == 1


def test_chat_page_routes(down: Server) -> None:
    page = REPO / "serving" / "web" / "index.html"
    index = httpx.get(f"{down.url}/")
    if page.is_file():
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        assert httpx.get(f"{down.url}/static/app.js").status_code == 200
    else:
        assert_error(index, 404, "not_found")
    assert_error(httpx.get(f"{down.url}/static/nothing.js"), 404, "not_found")


def test_public_chat_api_is_rate_limited_per_ip(down: Server) -> None:
    article = httpx.get(f"{down.url}/chat/api/articles/loi-09-08/1", params={"lang": "ar"})
    assert article.status_code == 200 and article.json()["editions"][0]["lang"] == "ar"
    with httpx.stream("POST", f"{down.url}/chat/api/query", json={"question": QUESTION}, timeout=120) as response:
        assert response.status_code == 200
        events = sse_events(response)
    assert [name for name, _ in events] == ["retrieved", "done"]
    assert json.loads(events[-1][1])["status"] == "llm_unavailable"
    statuses = [httpx.get(f"{down.url}/chat/api/articles/loi-09-08/1").status_code for _ in range(4)]
    assert 429 in statuses[1:]  # a burst of 4 a minute, 2 spent above (one may have come back meanwhile)
    limited = httpx.get(f"{down.url}/chat/api/articles/loi-09-08/1")
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
