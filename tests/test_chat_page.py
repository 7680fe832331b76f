"""The citizen chat page in a real browser, over the real app: streaming, citations, the article dialog, RTL, XSS.

Two apps run on 127.0.0.1: one with the embedded SmolLM2 (tiny: it may well answer `no_match`), one whose LLM URL
is a closed port, so that its answers deterministically list the retrieved articles (`llm_unavailable`).
Screenshots go to `JARIDA_ARTIFACTS` (default `tests/artifacts/`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, llm_settings

ANSWER_TIMEOUT_MS = 420_000  # SmolLM2 on a busy shared CPU can take minutes
# Questions naming an article: retrieval is then confident, so the question reaches the model (or its absence).
FR_QUESTION = "Que prévoit l'article 7 de la loi 09-08 sur le droit d'accès de la personne concernée ?"
AR_QUESTION = "ماذا تنص المادة 7 من القانون 09.08 بشأن حق الولوج؟"
OFF_TOPIC_QUESTION = "Quelle est la meilleure recette de couscous aux sept légumes ?"
XSS_QUESTION = '<img src=x onerror="window.__xss=1"> et <script>window.__xss=2</script> droits ?'
ANSWER_FINISHED = "n => { const m = document.querySelectorAll('.message-assistant')[n]; return m && !m.ariaBusy; }"
# Registered before the page's own scripts: records Content-Security-Policy violations and every status shown.
WATCH_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective));
window.__statuses = [];
new MutationObserver((records) => {
  for (const r of records) {
    const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (node && node.classList && node.classList.contains("status")) window.__statuses.push(node.className);
  }
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["class"]});
"""

playwright_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")


def artifacts_dir() -> Path:
    path = Path(os.environ.get("JARIDA_ARTIFACTS", REPO / "tests" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(settings) -> Iterator[str]:
    """The real app under uvicorn in a thread, on a free port of 127.0.0.1; yields its base URL."""
    from jarida.serving.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()


@pytest.fixture(scope="module")
def live_app(answer_data: Path) -> Iterator[str]:
    """The app with the embedded SmolLM2."""
    with serve(llm_settings(answer_data)) as url:
        yield url


@pytest.fixture(scope="module")
def down_app(answer_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app whose LLM is unreachable, over its own copy of the data dir (the embedded store is one per dir)."""
    data = tmp_path_factory.mktemp("down") / "data"
    shutil.copytree(answer_data, data, symlinks=True)
    llm_url = f"http://127.0.0.1:{closed_port()}/v1"
    # Every test here asks from 127.0.0.1: a higher rate limit than the public default keeps them apart.
    with serve(llm_settings(data, llm_url=llm_url, llm_model="none", chat_rate_per_minute=120)) as url:
        yield url


@contextmanager
def open_page(browser, url: str, lang: str = "fr", width: int = 1100, height: int = 900) -> Iterator:
    context = browser.new_context(viewport={"width": width, "height": height}, locale=lang)
    page = context.new_page()
    page.add_init_script(WATCH_SCRIPT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{url}/?lang={lang}")
        yield page
        assert errors == [], errors
        assert page.evaluate("window.__csp") == [], "the page needs something its CSP forbids"
    finally:
        context.close()


def ask(page, question: str, timeout: float = ANSWER_TIMEOUT_MS):
    """Type and send `question`; the assistant's message once its answer is done (or failed)."""
    before = page.locator(".message-assistant").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    message = page.locator(".message-assistant").nth(before)
    message.wait_for()
    page.wait_for_function(ANSWER_FINISHED, arg=before, timeout=timeout)
    return message


def direction(locator) -> str:
    return locator.evaluate("node => getComputedStyle(node).direction")


def screenshot(page, name: str, full_page: bool = True, top: bool = False) -> None:
    page.evaluate("t => window.scrollTo({top: t ? 0 : document.body.scrollHeight, behavior: 'instant'})", top)
    page.wait_for_timeout(300)  # let the page's own smooth scrolling settle
    page.screenshot(path=str(artifacts_dir() / name), full_page=full_page)


def test_french_question_streams_a_checked_answer(browser, live_app: str) -> None:
    with open_page(browser, live_app) as page:
        message = ask(page, FR_QUESTION)
        status = message.get_attribute("data-status")
        assert status in {"grounded", "no_match", "llm_unavailable"}
        assert message.locator(".status").inner_text().strip()
        seen = page.evaluate("window.__statuses")
        assert any("status-pending" in s for s in seen), seen  # "searching…/writing…" was shown first
        if status == "grounded":
            assert message.locator(".citation").count() >= 1
            assert message.locator(".answer button.chip").count() >= 1
            message.locator(".answer button.chip").first.click()
            page.locator("#article-dialog .edition-text").first.wait_for()
            page.locator("#article-close").click()
        elif status == "no_match":
            assert message.locator(".answer").inner_text().strip()  # it explains and suggests rephrasing
            assert message.locator(".citation").count() == 0
        screenshot(page, "chat-fr-live.png")


def test_unreachable_llm_lists_articles_that_open_in_both_languages(browser, down_app: str) -> None:
    with open_page(browser, down_app) as page:
        page.select_option("#filter-lang", "fr")
        message = ask(page, FR_QUESTION)
        assert message.get_attribute("data-status") == "llm_unavailable"
        assert message.locator(".notice").is_visible()
        citations = message.locator(".citation")
        assert citations.count() >= 1
        assert "Protection des personnes physiques" in citations.first.locator(".citation-title").inner_text()
        screenshot(page, "chat-fr.png")
        citations.first.locator("button").click()
        dialog = page.locator("#article-dialog")
        dialog.locator(".edition-text").first.wait_for()
        editions = dialog.locator(".edition")
        assert editions.first.get_attribute("lang") == "fr"
        assert len(editions.first.locator(".edition-text").inner_text()) > 50
        langs = [editions.nth(i).get_attribute("dir") for i in range(editions.count())]
        assert langs == ["ltr", "rtl"], langs  # loi 09-08 has its Arabic edition too
        screenshot(page, "chat-fr-article.png", full_page=False)
        page.locator("#article-close").click()
        assert not dialog.is_visible()


def test_arabic_interface_and_answers_are_right_to_left(browser, down_app: str) -> None:
    with open_page(browser, down_app, lang="ar") as page:
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("html").get_attribute("lang") == "ar"
        assert "استشارة" in page.locator("#disclaimer").inner_text()
        page.select_option("#filter-lang", "ar")
        message = ask(page, AR_QUESTION)
        assert direction(message) == "rtl"
        assert direction(message.locator(".notice")) == "rtl"
        assert direction(page.locator(".message-user").last.locator(".message-text")) == "rtl"
        screenshot(page, "chat-ar.png")
        message.locator(".citation button").first.click()
        editions = page.locator("#article-dialog .edition")
        editions.first.locator(".edition-text").wait_for()
        assert [editions.nth(i).get_attribute("lang") for i in range(editions.count())] == ["ar", "fr"]
        assert direction(editions.first.locator(".edition-text")) == "rtl"
        screenshot(page, "chat-ar-article.png", full_page=False)
        page.locator("#article-close").click()
        page.locator(".lang-button[data-lang=fr]").click()
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert direction(message) == "rtl"  # an Arabic answer stays RTL in the French interface
        page.locator(".lang-button[data-lang=ar]").click()


def test_arabic_question_in_the_french_interface(browser, down_app: str) -> None:
    with open_page(browser, down_app) as page:
        message = ask(page, AR_QUESTION)
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert direction(message.locator(".notice")) == "rtl"
        assert direction(page.locator(".message-user .message-text")) == "rtl"
        assert direction(page.locator("#question")) == "ltr"
        screenshot(page, "chat-fr-ui-ar-answer.png")
        page.fill("#question", AR_QUESTION)
        assert direction(page.locator("#question")) == "rtl"  # dir="auto"


def test_no_match_explains_cites_nothing_and_lists_the_closest_articles(browser, down_app: str) -> None:
    with open_page(browser, down_app) as page:
        message = ask(page, OFF_TOPIC_QUESTION)
        assert message.get_attribute("data-status") == "no_match"
        assert "Reformulez" in message.locator(".answer").inner_text()
        assert message.locator(".answer .chip, .answer button").count() == 0  # no [n] in the text
        assert message.locator(".sources").is_visible()
        assert "à vérifier" in message.locator(".sources-title").inner_text()


def test_question_markup_is_shown_as_text(browser, down_app: str) -> None:
    with open_page(browser, down_app) as page:
        ask(page, XSS_QUESTION)
        user = page.locator(".message-user .message-text")
        assert user.inner_text() == XSS_QUESTION
        assert page.locator("#messages img, #messages script").count() == 0
        assert page.evaluate("window.__xss") is None


def citation(n: int, article: str, **fields: object) -> dict:
    title = "Loi n° 09-08 relative à la protection des personnes physiques"
    return {"n": n, "law_id": "loi-09-08", "law_title": title, "article": article, "heading": "", "lang": "fr",
            "bo_ref": "BO n° 5714 du 5 mars 2009", "page": 3, "excerpt": "…", "score": 0.5, "source": "fr.jsonl",
            **fields}  # fmt: skip


def sse_body(retrieved: list[dict], streamed: str, answer: dict) -> str:
    events = [("retrieved", {"retrieved": retrieved}), ("delta", {"text": streamed}), ("done", answer)]
    return "".join(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in events)


GROUNDED = {
    "fr": "La personne concernée a un droit d'accès [1] et un droit de rectification [2]. <b>gras</b>",
    "ar": "للشخص المعني حق الولوج إلى معطياته [1] وحق تصحيحها [2]. <b>gras</b>",
}


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_grounded_answer_has_citation_chips(browser, down_app: str, lang: str) -> None:
    """A grounded answer, whatever the model: the stream is scripted, the articles come from the real app."""
    hostile = '<img src=x onerror="window.__xss=3">'
    cited = [citation(1, "7"), citation(2, "8", law_title=f"Loi n° 09-08 {hostile}")]
    answer = {"answer": GROUNDED[lang], "status": "grounded", "lang": lang, "question_lang": lang, "notice": "",
              "flags": [], "citations": cited, "retrieved": cited, "timings": {}}  # fmt: skip
    body = sse_body(cited, "brouillon non vérifié [9]", answer)
    with open_page(browser, down_app) as page:
        page.route("**/chat/api/query", lambda route: route.fulfill(body=body, content_type="text/event-stream"))
        message = ask(page, FR_QUESTION)
        assert message.get_attribute("data-status") == "grounded"
        text = message.locator(".answer").inner_text()
        assert "brouillon" not in text and "<b>gras</b>" in text  # the checked answer replaced the draft
        assert message.locator(".answer button.chip").all_inner_texts() == ["1", "2"]
        assert message.locator(".citation").count() == 2
        assert page.locator("#messages img, #messages b").count() == 0
        assert direction(message.locator(".answer")) == ("rtl" if lang == "ar" else "ltr")
        assert page.locator("html").get_attribute("dir") == "ltr"
        message.locator(".answer button.chip").nth(1).click()
        edition = page.locator("#article-dialog .edition").first
        edition.locator(".edition-text").wait_for()
        assert "rectification" in edition.inner_text()
        assert page.evaluate("window.__xss") is None
        if lang == "fr":
            screenshot(page, "chat-grounded-article.png", full_page=False)
            page.locator("#article-close").click()
            screenshot(page, "chat-grounded.png")


def test_http_errors_are_readable(browser, down_app: str) -> None:
    with open_page(browser, down_app) as page:
        page.route(
            "**/chat/api/query",
            lambda route: route.fulfill(
                status=429,
                headers={"Retry-After": "12"},
                content_type="application/json",
                body='{"error": {"code": "rate_limited", "message": "Too many requests"}}',
            ),
        )
        message = ask(page, FR_QUESTION)
        assert message.get_attribute("data-status") == "error"
        assert "Patientez" in message.inner_text() and "12 s" in message.inner_text()
        page.unroute("**/chat/api/query")
        page.route(
            "**/chat/api/query",
            lambda route: route.fulfill(
                status=500, content_type="application/json", body='{"error": {"code": "internal", "message": "boom"}}'
            ),
        )
        message = ask(page, FR_QUESTION)
        assert "HTTP 500" in message.inner_text() and "boom" in message.inner_text()


def test_phone_width(browser, down_app: str) -> None:
    with open_page(browser, down_app, width=375, height=812) as page:
        message = ask(page, FR_QUESTION)
        assert message.locator(".citation").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(page, "chat-mobile.png", full_page=False, top=True)
        message.locator(".citation button").first.click()
        page.locator("#article-dialog .edition-text").first.wait_for()
        box = page.locator("#article-dialog").bounding_box()
        assert box is not None and box["width"] <= 375
        screenshot(page, "chat-mobile-article.png", full_page=False)
