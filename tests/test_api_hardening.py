"""Hostile clients of a real `jarida serve` (issue 12): leaked secrets, spoofed addresses, abandoned streams, lone
surrogates, framing, slow headers, the OpenAPI document.

The server answers with a tiny OpenAI-compatible upstream started here on 127.0.0.1 (not the real LLM): it streams
slowly, fails on request, and records whether its client went away before the end — what an abandoned answer
costs a one-slot llama.cpp or vLLM server. Its URL carries a password that must never reach a client.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import uvicorn

from jarida.settings import load_settings
from tests.test_api import QUESTION, Server, assert_error, copy_data, create_key, free_port, sse_events, start_server

PASSWORD = "s3cret-pw-42"
FAIL = "FAIL-PLEASE"  # a question holding this makes the upstream answer HTTP 500
CHUNKS, CHUNK_SECONDS = 300, 0.05  # a 15 s answer


class Upstream(BaseHTTPRequestHandler):
    """A slow OpenAI-compatible chat server; `calls` records each completion: chunks sent, finished, client gone."""

    protocol_version = "HTTP/1.0"  # the stream ends when the connection closes
    calls: list[dict] = []

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "slow", "object": "model", "owned_by": "test"}]})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if FAIL.encode() in body:
            self._json(500, {"error": {"message": f"boom at http://jarida:{PASSWORD}@upstream", "type": "server"}})
            return
        call = {"sent": 0, "finished": False, "gone": False}
        Upstream.calls.append(call)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for n in range(CHUNKS):
                delta = {"content": "SOURCES: 1\n" if n == 0 else f"mot{n} "}
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                         "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}  # fmt: skip
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                call["sent"] += 1
                time.sleep(CHUNK_SECONDS)
            self.wfile.write(b"data: [DONE]\n\n")
            call["finished"] = True
        except OSError:  # broken pipe, reset: the client went away
            call["gone"] = True


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://jarida:{PASSWORD}@127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def api(answer_data: Path, tmp_path_factory: pytest.TempPathFactory, upstream: str) -> Iterator[Server]:
    """`jarida serve` with API keys on, answering with the slow upstream; header timeout 2 s."""
    data = copy_data(answer_data, tmp_path_factory, "hardening")
    server = start_server(data, JARIDA_LLM_URL=upstream, JARIDA_LLM_MODEL="slow", JARIDA_HEADER_TIMEOUT="2")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def key(api: Server) -> str:
    return create_key(api.data, "hardening", 10_000)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_the_llm_password_never_reaches_a_client(api: Server, key: str, upstream: str) -> None:
    ready = httpx.get(f"{api.url}/readyz", timeout=30)  # public: no key
    assert PASSWORD not in ready.text
    assert ready.json()["llm"] == upstream.replace(f"jarida:{PASSWORD}@", "jarida:***@")
    body = {"question": f"{QUESTION} {FAIL}", "k": 1}
    answer = httpx.post(f"{api.url}/v1/query", json=body, headers=auth(key), timeout=120)
    assert answer.status_code == 200 and answer.json()["status"] == "llm_unavailable", answer.text
    assert PASSWORD not in answer.text and "127.0.0.1" not in json.dumps(answer.json()["flags"])
    with httpx.stream("POST", f"{api.url}/chat/api/query", json=body, timeout=120) as response:
        events = sse_events(response)
    done = json.loads(events[-1][1])
    assert done["status"] == "llm_unavailable" and done["flags"] and PASSWORD not in json.dumps(events)
    completion = httpx.post(f"{api.url}/v1/chat/completions", headers=auth(key), timeout=120,
                            json={"messages": [{"role": "user", "content": body["question"]}], "k": 1})  # fmt: skip
    assert completion.status_code == 200 and PASSWORD not in completion.text
    log = api.log.read_text(errors="replace")
    assert "jarida:***@" in log and PASSWORD not in log  # details go to the log, redacted


def _abandon(api: Server, key: str, route: str) -> None:
    """Open a streamed answer on `route`, read two pieces of its text, then close the connection."""
    if route == "/v1/chat/completions":
        body: dict = {"messages": [{"role": "user", "content": QUESTION}], "stream": True, "k": 1}
    else:
        body = {"question": QUESTION, "k": 1, "stream": True}
    read = 0
    with httpx.stream("POST", f"{api.url}{route}", json=body, headers=auth(key), timeout=60) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: delta") or '"content": "mot' in line:
                read += 1
            if read == 2:
                break
    assert read == 2


@pytest.mark.parametrize("route", ["/v1/query", "/v1/chat/completions", "/chat/api/query"])
def test_a_client_that_goes_away_cancels_the_generation(api: Server, key: str, route: str) -> None:
    before = len(Upstream.calls)
    started = time.monotonic()
    _abandon(api, key, route)
    call = Upstream.calls[before]
    deadline = time.monotonic() + 10
    while not (call["gone"] or call["finished"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert call["gone"] and not call["finished"], call
    assert call["sent"] < CHUNKS / 2 and time.monotonic() - started < 10


SURROGATE_BODIES = {
    "/v1/query": '{"question": "x\\ud800"}',
    "/v1/search": '{"question": "travail", "filters": {"law_id": "\\udfff"}}',
    "/v1/chat/completions": '{"messages": [{"role": "user", "content": "x\\ud800"}]}',
    "/chat/api/query": '{"question": "\\ud83d"}',
}


@pytest.mark.parametrize("route", sorted(SURROGATE_BODIES))
def test_lone_surrogates_get_422(api: Server, key: str, route: str) -> None:
    headers = {**auth(key), "Content-Type": "application/json"}
    response = httpx.post(f"{api.url}{route}", content=SURROGATE_BODIES[route].encode(), headers=headers, timeout=60)
    assert "not valid Unicode" in assert_error(response, 422, "invalid_request")["message"]


def test_chat_completion_parts_with_a_surrogate_get_422(api: Server, key: str) -> None:
    body = b'{"messages": [{"role": "user", "content": [{"type": "text", "text": "a\\ud800"}]}], "stream": true}'
    response = httpx.post(f"{api.url}/v1/chat/completions", content=body,
                          headers={**auth(key), "Content-Type": "application/json"})  # fmt: skip
    assert_error(response, 422, "invalid_request")


def test_a_body_that_is_not_utf8_gets_422(api: Server, key: str) -> None:
    for route in ("/v1/query", "/chat/api/query"):
        response = httpx.post(f"{api.url}{route}", content=b'{"question": "\xff\xfe"}',
                              headers={**auth(key), "Content-Type": "application/json"})  # fmt: skip
        assert "UTF-8" in assert_error(response, 422, "invalid_request")["message"]


def test_security_headers_on_every_html_response(api: Server) -> None:
    for path in ("/", "/docs", "/redoc"):
        response = httpx.get(f"{api.url}{path}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), path
        csp = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp, (path, csp)
        assert response.headers.get("x-frame-options") == "DENY", path
        assert response.headers.get("x-content-type-options") == "nosniff", path
        assert response.headers.get("referrer-policy") == "no-referrer", path
    assert "'unsafe-inline'" not in httpx.get(f"{api.url}/").headers["content-security-policy"]
    for path in ("/static/app.js", "/v1/nothing"):  # every other response: no sniffing, no referrer
        assert httpx.get(f"{api.url}{path}").headers.get("x-content-type-options") == "nosniff", path


def test_a_client_slow_to_send_its_headers_is_disconnected(api: Server) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /healthz HT")  # half a request line, then nothing
        started = time.monotonic()
        try:
            closed = sock.recv(1024) == b""
        except TimeoutError:
            closed = False
        assert closed and time.monotonic() - started < 6  # JARIDA_HEADER_TIMEOUT=2
    with socket.create_connection((host, int(port)), timeout=10) as sock:  # a prompt client is served as before
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_references_all_resolve(api: Server) -> None:
    schema = httpx.get(f"{api.url}/openapi.json").json()
    refs = set(_refs(schema))
    assert "#/components/schemas/AnswerOut" in refs
    for ref in refs:
        node: object = schema
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, f"dangling $ref {ref}"
            node = node[part]
    for path in ("/v1/query", "/chat/api/query"):
        content = schema["paths"][path]["post"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/event-stream"}, content


def test_forwarded_for_from_an_untrusted_peer_is_ignored(api: Server) -> None:
    """Last in this module: it spends the loopback address's chat-page budget (12 a minute)."""
    url = f"{api.url}/chat/api/articles/loi-09-08/1"
    statuses = [httpx.get(url, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(16)]
    assert statuses.count(429) >= 4, statuses  # one bucket for the one peer, whatever the header says


def _client_seen(trusted: str, forwarded: str) -> str:
    """The client address a request with `X-Forwarded-For: forwarded` gets on an API door's uvicorn config."""
    from jarida.serving.http_server import uvicorn_config

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = (scope["client"] or ("?",))[0].encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    settings = load_settings(config_file=Path("none.toml"), trusted_proxies=trusted)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, settings, "127.0.0.1", port, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        return httpx.get(f"http://127.0.0.1:{port}/", headers={"X-Forwarded-For": forwarded}).text
    finally:
        server.should_exit = True
        thread.join(10)


def test_forwarded_for_is_believed_from_a_trusted_proxy_only() -> None:
    assert _client_seen("", "203.0.113.7") == "127.0.0.1"
    assert _client_seen("10.0.0.5", "203.0.113.7") == "127.0.0.1"
    assert _client_seen("127.0.0.1", "203.0.113.7") == "203.0.113.7"


def test_rate_limit_state_is_bounded() -> None:
    from jarida.serving.rate_limit import RateLimiter

    limiter = RateLimiter(max_buckets=1000)
    started = time.perf_counter()
    for n in range(20_000):
        limiter.take(f"chat:{n}", 12)
    per_client = (time.perf_counter() - started) / 20_000
    assert len(limiter) <= 1000 and per_client < 0.001
    assert [limiter.take("key:a", 2) for _ in range(3)][-1] > 0  # limits still hold
