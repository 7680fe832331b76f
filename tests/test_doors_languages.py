"""Both doors in French and Arabic in a real headless Chromium, over `jarida ui --api-port` on 127.0.0.1.

The data: the Code du travail's articles 140-170 (French and Arabic editions), indexed. The answer gate is set
so high that every answer is refused (`no_match`, no LLM): the issue's case, where the user must still see what
the closest article says. Checked: the matching passage of art. 152 ("quatorze semaines") is on screen without
a click; no English string in the workspace (the catalogue's English messages, and Streamlit's own); the chat
page's labels around an answer follow the question's language; axe-core (node_modules, injected) finds no
critical or serious violation. Screenshots go to JARIDA_ARTIFACTS (default tests/artifacts/).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from jarida.ui.i18n import translations
from tests.conftest import CHROMIUM, REPO, indexed_data_dir
from tests.test_launch import launch_ui, stop_launcher

playwright_api = pytest.importorskip("playwright.sync_api")

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTICLES = range(140, 171)
MATERNITY_FR = "Combien de jours de congé de maternité a une salariée ?"
MATERNITY_AR = "كم مدة إجازة الولادة للأجيرة؟"
PASSAGE_FR, PASSAGE_AR = "quatorze semaines", "أربعة عشر أسبوعا"
# Streamlit's own English that can reach these pages (hidden or replaced by the workspace's style)
STREAMLIT_ENGLISH = ["Press Enter to submit form", "Running...", "Choose an option", "keyboard_double_arrow"]
FINISHED = "n => { const m = document.querySelectorAll('.message-assistant')[n]; return m && !m.ariaBusy; }"


def artifacts() -> Path:
    path = Path(os.environ.get("JARIDA_ARTIFACTS", REPO / "tests" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _subset(source: Path, target: Path) -> Path:
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = [r for r in rows if r["article"].isdigit() and int(r["article"]) in ARTICLES]
    target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def doors(corpus: Path, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(workspace URL, chat page URL) of one `jarida ui --api-port` process; every answer refused."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    root = tmp_path_factory.mktemp("travail")
    sources = [_subset(corpus / "articles" / "fr_code_travail.jsonl", root / "fr_code_travail.jsonl"),
               _subset(corpus / "articles" / "ar_loi_65_99.jsonl", root / "ar_loi_65_99.jsonl")]  # fmt: skip
    (root / "data").mkdir()
    data = indexed_data_dir(root / "data", model_dir, sources)
    env = {**os.environ, "JARIDA_CONFIG": str(data / "none.toml"), "JARIDA_LLM_ENABLED": "false",
           "JARIDA_API_AUTH": "false", "JARIDA_ANSWER_MIN_CONFIDENCE": "1000",
           "JARIDA_CHAT_RATE_PER_MINUTE": "120"}  # fmt: skip
    process, ui_port, api_port = launch_ui(data, env)
    ui, api = f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            urllib.request.urlopen(f"{api}/healthz", timeout=2).close()
            urllib.request.urlopen(f"{ui}/_stcore/health", timeout=2).close()
            break
        except OSError:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the launcher did not start within 300 s"
            time.sleep(1)
    try:
        yield ui, api
    finally:
        stop_launcher(process)


@contextmanager
def open_page(browser, url: str, lang: str = "fr", width: int = 1280, height: int = 1000) -> Iterator:
    # bypass_csp: axe-core is injected as an inline script, which the chat page's CSP rightly refuses
    context = browser.new_context(viewport={"width": width, "height": height}, locale=lang, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url, timeout=120_000)
        yield page
        assert errors == [], errors
    finally:
        context.close()


def serious_violations(page) -> list[dict]:
    """axe-core's critical and serious violations on the page as it is now."""
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run `npm ci` (scripts/setup.sh --dev does)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
             v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(
               n => `${n.html.slice(0, 300)} — ${n.failureSummary.slice(0, 200)}`)}))"""
    )
    return [v for v in found if v["impact"] in ("critical", "serious")]


def shot(page, name: str) -> None:
    page.screenshot(path=str(artifacts() / name), full_page=True)


# ---- the workspace -------------------------------------------------------------------------------------------------


def english_messages() -> list[str]:
    """The catalogue's English messages that no translation keeps as is: they must never be on screen."""
    fr, ar = translations("fr").gettext, translations("ar").gettext
    messages = [m for m in translations("fr")._catalog if isinstance(m, str) and m]  # noqa: SLF001
    out = []
    for message in messages:
        literal = max(re.split(r"\{\w+\}|\*\*|`", message), key=len).strip(" :;,.()")
        if len(literal) >= 6 and " " in literal and literal not in fr(message) and literal not in ar(message):
            out.append(literal)
    return out


def assert_no_english(text: str) -> None:
    shown = [m for m in english_messages() + STREAMLIT_ENGLISH if m in text]
    assert shown == [], shown


def _idle(page) -> None:
    """The script run is over and no element is still faded as stale (Streamlit's opacity transition)."""
    page.wait_for_timeout(500)
    page.wait_for_function(
        '() => !document.querySelector(\'[data-testid="stStatusWidget"], [data-stale="true"]\')',
        timeout=600_000,
    )
    page.wait_for_timeout(1500)


QUESTION_INPUT = "[data-testid='stTextInput'] input"
# The highlighted passage shown under the citation button whose label holds `label`
PASSAGE_UNDER = """label => {
  const button = [...document.querySelectorAll("[data-testid=stButton] button")].find(b => b.innerText.includes(label));
  const passage = button.closest("[data-testid=stElementContainer]").nextElementSibling.querySelector("mark");
  return passage.innerText;
}"""


def ask_workspace(page, question: str, ask_label: str) -> None:
    page.locator(QUESTION_INPUT).first.wait_for(timeout=300_000)
    _idle(page)
    page.locator(QUESTION_INPUT).first.fill(question)
    page.get_by_role("button", name=ask_label, exact=True).click()
    page.locator(".jarida-passage").first.wait_for(timeout=300_000)
    _idle(page)


@pytest.mark.parametrize(("lang", "question", "passage"), [("fr", MATERNITY_FR, PASSAGE_FR),
                                                           ("ar", MATERNITY_AR, PASSAGE_AR)])  # fmt: skip
def test_workspace_speaks_the_interface_language_and_shows_the_passage(browser, doors, lang, question, passage):
    ui, _ = doors
    tr = translations(lang).gettext
    with open_page(browser, f"{ui}/?view=ask&ui={lang}", lang) as page:
        ask_workspace(page, question, tr("Ask"))
        assert page.locator("html").get_attribute("lang") == lang
        main = page.locator("[data-testid='stMain']")
        assert main.evaluate("n => getComputedStyle(n).direction") == ("rtl" if lang == "ar" else "ltr")
        body = page.inner_text("body")
        assert tr("No indexed article answers this question") in body  # refused…
        assert tr("Closest articles (to check)") in body  # …yet the closest articles say what they say
        marks = page.locator(".jarida-passage mark").all_inner_texts()
        assert any(passage in m for m in marks), marks  # the matching sentence, without a click
        if lang == "fr":  # art. 152's own passage, under its button
            assert PASSAGE_FR in page.evaluate(PASSAGE_UNDER, "Article 152")
        assert "Code du travail" in body or "مدونة الشغل" in body  # the catalogue's title
        assert "version consolidée" not in body
        assert_no_english(body)
        assert serious_violations(page) == []
        shot(page, f"ui-ask-{lang}.png")
        # the article view, from the citation's button: art. 152 for the French question, else the first listed
        opened = re.compile(r"Article 152\b" if lang == "fr" else r"^\[1\]")
        page.get_by_role("button", name=opened).first.click()
        page.locator(".jarida-article-fr").first.wait_for(timeout=120_000)
        _idle(page)
        assert page.locator(".jarida-article-ar").count() == 1  # both editions side by side
        body = page.inner_text("body")
        if lang == "fr":
            assert "quatorze semaines" in body and "أربعة عشر أسبوعا" in body
        assert_no_english(body)
        assert serious_violations(page) == []
        shot(page, f"ui-article-{lang}.png")


def test_the_interface_language_switches_in_the_sidebar(browser, doors) -> None:
    ui, _ = doors
    with open_page(browser, f"{ui}/?view=ask", "fr") as page:
        page.locator(QUESTION_INPUT).first.wait_for(timeout=300_000)
        _idle(page)
        assert page.get_by_role("heading", name="Interroger le Bulletin officiel").is_visible()
        page.locator("[data-testid='stSidebar']").get_by_text("العربية", exact=True).click()
        page.get_by_role("heading", name="اسأل الجريدة الرسمية").wait_for(timeout=60_000)
        assert page.locator("html").get_attribute("lang") == "ar"


# ---- the chat page --------------------------------------------------------------------------------------------------

CHAT_LABELS = {
    "fr": {"closest": "Articles les plus proches (à vérifier)", "status": "Aucun article ne répond à cette question"},
    "ar": {"closest": "أقرب المواد (للتحقق)", "status": "لا توجد مادة تجيب عن هذا السؤال"},
}


def ask_chat(page, question: str):
    before = page.locator(".message-assistant").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.wait_for_function(FINISHED, arg=before, timeout=300_000)
    return page.locator(".message-assistant").nth(before)


@pytest.mark.parametrize(("ui_lang", "question", "answer_lang"), [("fr", MATERNITY_FR, "fr"),
                                                                  ("fr", MATERNITY_AR, "ar"),
                                                                  ("ar", MATERNITY_AR, "ar")])  # fmt: skip
def test_chat_page_labels_follow_the_question_and_show_the_passage(browser, doors, ui_lang, question, answer_lang):
    _, api = doors
    with open_page(browser, f"{api}/?lang={ui_lang}", ui_lang) as page:
        assert serious_violations(page) == []  # empty page
        message = ask_chat(page, question)
        assert message.get_attribute("data-status") == "no_match"
        labels = CHAT_LABELS[answer_lang]
        assert message.locator(".sources-title").inner_text() == labels["closest"]
        assert message.locator(".status").inner_text() == labels["status"]
        assert page.locator("html").get_attribute("lang") == ui_lang  # the interface itself did not switch
        passage = PASSAGE_AR if answer_lang == "ar" else PASSAGE_FR
        marks = message.locator(".passage mark").all_inner_texts()
        assert any(passage in m for m in marks), marks  # visible without a click
        if answer_lang == "fr":  # art. 152's own passage
            art152 = message.locator(".citation", has_text=re.compile(r"Article 152(?!\d)"))
            assert PASSAGE_FR in art152.locator(".passage mark").inner_text()
        assert message.locator(".passage mark").first.is_visible()
        assert serious_violations(page) == []  # answered
        name = f"chat-{ui_lang}" + ("" if ui_lang == answer_lang else f"-question-{answer_lang}")
        shot(page, f"{name}.png")
        message.locator(".citation button").first.click()
        page.locator("#article-dialog .edition-text").first.wait_for()
        assert serious_violations(page) == []  # article open
        shot(page, f"{name}-article.png")


def test_chat_page_on_a_phone_in_arabic(browser, doors) -> None:
    _, api = doors
    with open_page(browser, f"{api}/?lang=ar", "ar", width=375, height=812) as page:
        message = ask_chat(page, MATERNITY_AR)
        assert any(PASSAGE_AR in m for m in message.locator(".passage mark").all_inner_texts())
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert serious_violations(page) == []
        page.screenshot(path=str(artifacts() / "chat-mobile-ar.png"))
