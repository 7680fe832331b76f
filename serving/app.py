"""The HTTP API (FastAPI): developer endpoints under `/v1` (API key), the citizen chat page and its public API.

`create_app(settings)` opens the answering stack (`open_stack`: retrieval and the LLM) at startup (lifespan) and
closes it at shutdown; `serve(settings, host, port)` runs it with uvicorn (`jarida serve`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from jarida.retrieval.store import SearchFilter
from jarida.settings import Settings

from . import openai_compat
from .api_keys import KeyStore
from .backend import Backend
from .errors import ApiError, BodyLimit, error_body, install_error_handlers
from .http_server import uvicorn_config
from .rate_limit import RateLimiter, retry_after_header
from .schemas import AnswerOut, ArticleOut, ChatCompletionRequest, ErrorResponse, QueryRequest, SearchOut, SearchRequest
from .security_headers import SecurityHeaders
from .stack import Stack, open_stack

log = logging.getLogger("jarida.serving")
WEB_DIR = Path(__file__).resolve().parent / "web"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
ERRORS = {code: {"model": ErrorResponse} for code in (401, 413, 422, 429)}
CHAT_ERRORS = {code: {"model": ErrorResponse} for code in (413, 422, 429)}  # the public chat page: no key
DESCRIPTION = """
Questions on Morocco's *Bulletin officiel* answered in French, Arabic or Darija, **citing the exact articles**
they rely on (law, article, language edition, BO reference, page).

* `/v1/*` needs an API key (`jarida keys create NAME`), sent as `Authorization: Bearer KEY` or `X-API-Key: KEY`;
  each key has its own rate limit (429 with `Retry-After` beyond it).
* Every error is JSON: `{"error": {"code": "...", "message": "..."}}`.
* `/v1/chat/completions` speaks OpenAI's chat API: point the `openai` client's `base_url` at `…/v1`.
"""
STREAM_DOC = {
    "description": "the answer (JSON), or with `stream: true` Server-Sent Events: `retrieved` "
    '(`{"retrieved": [...]}`), `delta` (`{"text": "..."}`, repeated), then `done` (the whole answer, citations '
    "included); `error` if the server fails midway.",
    "model": AnswerOut,  # registers the schema that application/json refers to
    "content": {"text/event-stream": {}},
}
CHAT_COMPLETION_DOC = {
    "description": "a `chat.completion` (JSON), or with `stream: true` Server-Sent Events: `chat.completion.chunk` "
    "objects, the citations in the last one, then `data: [DONE]`.",
    "content": {"application/json": {}, "text/event-stream": {}},
}

bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer KEY`")
key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: KEY`")


class State:
    """Per-app state: settings, the backend (set at startup), API keys and rate limits."""

    def __init__(self, settings: Settings, backend: Backend | None) -> None:
        self.settings, self.backend = settings, backend
        self.keys = KeyStore(settings.data_dir)
        self.limiter = RateLimiter()


def _state(request: Request) -> State:
    return request.app.state.jarida


def _backend(request: Request) -> Backend:
    backend = _state(request).backend
    if backend is None:
        raise ApiError(503, "the server is starting")
    return backend


def _limit(state: State, client: str, per_minute: int) -> None:
    wait = state.limiter.take(client, per_minute)
    if wait:
        raise ApiError(429, f"rate limit of {per_minute} requests per minute reached: retry in {wait:.1f} s",
                       headers={"Retry-After": retry_after_header(wait)})  # fmt: skip


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def developer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
    header_key: Annotated[str | None, Security(key_header)] = None,
) -> str:
    """The API key's name (checked and rate-limited); without `api_auth`, the client's IP address."""
    state = _state(request)
    if not state.settings.api_auth:
        client = f"ip:{_client_ip(request)}"
        _limit(state, client, state.settings.api_rate_per_minute)
        return client
    key = (credentials.credentials if credentials else "") or header_key or ""
    if not key:
        raise ApiError(401, "an API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY` "
                       "(an operator creates one with `jarida keys create NAME`)",
                       headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    record = state.keys.verify(key)
    if record is None:
        raise ApiError(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    _limit(state, f"key:{record.name}", record.per_minute)
    return record.name


def citizen(request: Request) -> str:
    """The public chat page's client: rate-limited by IP address, no key."""
    state = _state(request)
    client = f"chat:{_client_ip(request)}"
    _limit(state, client, state.settings.chat_rate_per_minute)
    return client


def sse(event: str | None, data: object) -> str:
    """One Server-Sent Event."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


async def answer_stream(backend: Backend, body: QueryRequest) -> AsyncIterator[str]:
    """`retrieved`, `delta`…, `done` events (or `error`)."""
    try:
        async for event in backend.events(body.question, body.search_filter(), body.k):
            if event.kind == "retrieved":
                yield sse("retrieved", {"retrieved": [c.to_dict() for c in event.retrieved]})
            elif event.kind == "delta":
                yield sse("delta", {"text": event.text})
            elif event.answer is not None:
                yield sse("done", event.answer.to_dict())
    except Exception:
        log.exception("answer stream failed")
        yield sse("error", error_body("internal_error", "the answer failed midway: the server log has the details"))


async def chat_chunks(backend: Backend, question: str, flt: SearchFilter, k: int | None) -> AsyncIterator[str]:
    """OpenAI `chat.completion.chunk` events ending with `[DONE]`; citations in the last chunk."""
    cid, created = openai_compat.completion_id(), int(time.time())
    yield sse(None, openai_compat.chunk(cid, created, {"role": "assistant", "content": ""}))
    streamed = ""
    try:
        async for event in backend.events(question, flt, k):
            if event.kind == "delta":
                streamed += event.text
                yield sse(None, openai_compat.chunk(cid, created, {"content": event.text}))
            elif event.kind == "done" and event.answer is not None:
                last = openai_compat.chunk(cid, created, {"content": openai_compat.final_text(event.answer, streamed)},
                                           "stop")  # fmt: skip
                yield sse(None, {**last, **openai_compat.extras(event.answer)})
    except Exception:
        log.exception("chat completion stream failed")
        yield sse(None, error_body("internal_error", "the answer failed midway: the server log has the details"))
    yield sse(None, "[DONE]")


def _question_of(body: ChatCompletionRequest) -> str:
    question = body.question()
    if question is None:
        raise ApiError(422, "messages: no user message (its text is the question)")
    return question


def _lifespan(settings: Settings):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state: State = app.state.jarida
        if state.backend is None:
            state.backend = Backend(await anyio.to_thread.run_sync(open_stack, settings))
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(state.backend.close)
            state.keys.close()

    return lifespan


def create_app(settings: Settings, stack: Stack | None = None) -> FastAPI:
    """The jarida API over `settings.data_dir`; serves `stack` if given (the caller closes it)."""
    backend = Backend(stack, owned=False) if stack else None
    app = FastAPI(title="jarida", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan(settings))
    app.state.jarida = State(settings, backend)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost of ours: every response the app sends, errors included
    install_error_handlers(app)
    _developer_routes(app)
    _public_routes(app)
    return app


def _developer_routes(app: FastAPI) -> None:
    @app.post("/v1/query", tags=["developer"], summary="Answer a question, citing articles",
              responses={200: STREAM_DOC, **ERRORS})  # fmt: skip
    async def query(body: QueryRequest, request: Request, client: str = Depends(developer)):
        """Retrieve the articles that answer the question, have the model answer from them, check every `[n]`
        citation and article number. `status` is `grounded`, `no_match` (nothing retrieved answers: see
        `notice`) or `llm_unavailable` (the model is down: `citations` are the closest articles)."""
        backend = _backend(request)
        if body.stream:
            return StreamingResponse(answer_stream(backend, body), media_type="text/event-stream", headers=SSE_HEADERS)
        answer = await backend.answer(body.question, body.search_filter(), body.k)
        return JSONResponse(answer.to_dict())

    @app.post("/v1/search", tags=["developer"], summary="Search articles (no generated answer)",
              responses={200: {"model": SearchOut}, **ERRORS})  # fmt: skip
    async def search(body: SearchRequest, request: Request, client: str = Depends(developer)):
        """Hybrid (dense e5 + BM25) search; each hit carries the same article's other language edition."""
        hits = await _backend(request).search(body.question, body.k, body.search_filter(), body.mode)
        return JSONResponse({"hits": [h.to_dict() for h in hits]})

    @app.get("/v1/articles/{law_id}/{article}", tags=["developer"], summary="One article's text, every edition",
             responses={200: {"model": ArticleOut}, 404: {"model": ErrorResponse}, **ERRORS})  # fmt: skip
    async def article(request: Request, law_id: str = PathParam(max_length=100),
                      article: str = PathParam(max_length=40, description="e.g. `1`, `12 bis`, `44-1`"),
                      lang: str | None = Query(None, pattern="^(fr|ar)$"),
                      client: str = Depends(developer)):  # fmt: skip
        """The stored article (French and/or Arabic edition) with its provenance: BO reference, pages, source,
        breadcrumb, how it was read (`text`, `ocr`, `digitised`) and the OCR confidence."""
        return await _article(request, law_id, article, lang)

    @app.post("/v1/chat/completions", tags=["developer"], summary="OpenAI-compatible chat completion",
              responses={200: CHAT_COMPLETION_DOC, **ERRORS})  # fmt: skip
    async def chat_completions(body: ChatCompletionRequest, request: Request, client: str = Depends(developer)):
        """The last user message is the question. The reply's content is the answer then `Sources:` (one
        `[n] law title — article (BO ref)` line each); extra top-level fields `citations` and
        `jarida: {status, flags, notice, answer}`. With `stream: true`: `chat.completion.chunk` events, the
        citations in the last one, then `data: [DONE]`."""
        backend, question = _backend(request), _question_of(body)
        flt = body.filters.search_filter() if body.filters else SearchFilter()
        if body.stream:
            return StreamingResponse(chat_chunks(backend, question, flt, body.k), media_type="text/event-stream",
                                     headers=SSE_HEADERS)  # fmt: skip
        return JSONResponse(openai_compat.completion(await backend.answer(question, flt, body.k)))

    @app.get("/v1/models", tags=["developer"], summary="OpenAI-compatible model list")
    async def models(client: str = Depends(developer)):
        """The one model this server answers as: `jarida`."""
        return {"object": "list", "data": [{"id": openai_compat.MODEL_NAME, "object": "model", "owned_by": "jarida"}]}


async def _article(request: Request, law_id: str, article: str, lang: str | None) -> JSONResponse:
    editions = await _backend(request).article(law_id, article, lang)
    if not editions:
        where = f" in {lang}" if lang else ""
        raise ApiError(404, f"no article {article!r} of {law_id!r}{where} in this corpus")
    return JSONResponse({"law_id": law_id, "article": article, "editions": editions})


def _public_routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["operations"], summary="Liveness")
    async def healthz():
        """200 while the process serves requests."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Readiness: index non-empty and LLM reachable",
             responses={503: {"description": "not ready: `reasons` says why"}})  # fmt: skip
    async def readyz(request: Request):
        """200 when the index holds articles and the LLM server answers; 503 with the reasons otherwise
        (queries still work without the LLM: they return `llm_unavailable` with the closest articles)."""
        reasons, details = await _backend(request).readiness()
        if reasons:
            error = error_body("unavailable", "; ".join(reasons))
            return JSONResponse({"status": "not_ready", "reasons": reasons, **details, **error}, 503)
        return {"status": "ready", **details}

    @app.post("/chat/api/query", tags=["chat page"], summary="The chat page's question (public, streamed)",
              responses={200: STREAM_DOC, **CHAT_ERRORS})  # fmt: skip
    async def chat_query(body: QueryRequest, request: Request, client: str = Depends(citizen)):
        """Same as `/v1/query` with `stream: true` (always streamed), without a key, rate-limited per IP."""
        return StreamingResponse(answer_stream(_backend(request), body), media_type="text/event-stream",
                                 headers=SSE_HEADERS)  # fmt: skip

    @app.get("/chat/api/articles/{law_id}/{article}", tags=["chat page"], summary="One article (public)",
             responses={200: {"model": ArticleOut}, 404: {"model": ErrorResponse}, **CHAT_ERRORS})  # fmt: skip
    async def chat_article(request: Request, law_id: str = PathParam(max_length=100),
                           article: str = PathParam(max_length=40), lang: str | None = Query(None, pattern="^(fr|ar)$"),
                           client: str = Depends(citizen)):  # fmt: skip
        """Same as `/v1/articles/...`, without a key, rate-limited per IP."""
        return await _article(request, law_id, article, lang)

    @app.get("/", include_in_schema=False)
    async def index():
        page = WEB_DIR / "index.html"
        if not page.is_file():
            raise ApiError(404, "the chat page is not installed (serving/web/index.html); the API is at /docs")
        return FileResponse(page, media_type="text/html; charset=utf-8")

    if WEB_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API with uvicorn until interrupted (Ctrl-C or SIGTERM stop the embedded LLM too)."""
    import uvicorn

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s:     %(name)s: %(message)s")
    logging.getLogger("jarida").setLevel(logging.INFO)
    config = uvicorn_config(create_app(settings), settings, host, port, log_level="info", timeout_graceful_shutdown=10)
    uvicorn.Server(config).run()
