"""The Streamlit workspace through Streamlit's AppTest: ask → citation → article, ingest in the background, feedback.

Real parts throughout: the article store, e5 + BM25 in embedded Qdrant, SmolLM2 through the embedded llama.cpp
server, Tesseract for the scanned PDF.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jarida.ui.i18n import translations
from tests.conftest import REPO, corpus_path, llm_settings

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

APP = REPO / "ui" / "app.py"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


fr = translations("fr").gettext  # the workspace's default language
BUSY = fr("Worker: **{state}**").format(state=fr("busy"))


def scanned_pdf(path: Path, pages: list[list[str]], dpi: int = 200) -> Path:
    """An image-only PDF (no text layer: every page needs OCR), text drawn with Pillow as a scanner would give it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), int(11 * dpi / 72)) if FONT.is_file() else ImageFont.load_default(40)
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    images = []
    for lines in pages:
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        y = int(0.8 * dpi)
        for line in lines:
            draw.text((int(0.8 * dpi), y), line, font=font, fill=0)
            y += int(18 * dpi / 72)
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], resolution=dpi)
    return path


def registry_law(token: str) -> list[list[str]]:
    """Two pages of a made-up law whose articles mention `token` (a word no other text has)."""
    return [
        [
            "Loi n° 98-77 relative aux registres numérisés",
            "Chapitre premier - Dispositions générales",
            "Article premier",
            f"Le service du {token} conserve chaque registre reçu pendant dix ans.",
            "Les registres sont numérisés avant leur archivage.",
            "Article 2",
            "Toute demande de consultation est adressée par écrit au greffe du tribunal,",
            "qui répond dans un délai de quinze jours.",
        ],
        [
            "Article 3",
            f"Le registre du {token} mentionne la date de chaque dépôt",
            "et le nom de l'agent qui l'a reçu.",
            "Article 4",
            "La présente loi entre en vigueur dès sa publication au Bulletin officiel.",
        ],
    ]


def ui_data_dir(answer_data: Path, target: Path) -> Path:
    """A private copy of the indexed test data dir (loi 09-08 fr+ar), so a test may add to it."""
    shutil.copytree(answer_data, target, symlinks=True)
    return target


@pytest.fixture(scope="module")
def ui_env(answer_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """JARIDA_* variables for the app: a copy of the indexed data dir and the small SmolLM2 model."""
    data = ui_data_dir(answer_data, tmp_path_factory.mktemp("ui") / "data")
    settings = llm_settings(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JARIDA_DATA_DIR", str(data))
        mp.setenv("JARIDA_LLM_MODEL_FILE", settings.llm_model_file)
        mp.setenv("JARIDA_LLM_THREADS", "2")
        mp.setenv("JARIDA_OCR_WORKERS", "2")
        mp.setenv("JARIDA_CONFIG", str(data / "none.toml"))
        yield data


def started_app(timeout: float = 300) -> AppTest:
    """The app, run once (the first run loads e5 and starts the LLM server for the process)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run(timeout=timeout)
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Everything the page shows as text (markdown, captions, alerts, metrics)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [s.value for s in at.success] + [i.value for i in at.info] + [w.value for w in at.warning]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [b.label for b in at.button]
    return "\n".join(str(p) for p in parts)


def ask(at: AppTest, question: str, search_only: bool = False, **filters: str) -> AppTest:
    """Type a question, set filters, press Ask (search only: no LLM answer) and wait for the run."""
    at.text_input(key="question").input(question)
    at.checkbox(key="search_only").set_value(search_only)
    for key, value in filters.items():
        at.selectbox(key=key).set_value(value)
    next(b for b in at.button if b.label == fr("Ask")).click()
    at.run(timeout=600)  # SmolLM2 is fast, but the CPUs may be shared
    assert not at.exception, at.exception
    return at


def test_ask_citation_article_view(ui_env: Path) -> None:
    at = started_app()
    ask(at, "Quelles sanctions la loi 09-08 prévoit-elle pour un traitement sans déclaration ?")
    answer = at.session_state["answer"]
    assert answer is not None and answer.retrieved, "retrieval found nothing"
    assert answer.status in ("grounded", "no_match", "llm_unavailable")
    buttons = [b for b in at.button if b.key and b.key.startswith(("cite-", "retrieved-"))]
    assert buttons, "no citation to open"
    cited = next(c for c in answer.citations or answer.retrieved if c.law_id == "loi-09-08")
    key = ("cite-" if answer.citations else "retrieved-") + str(cited.n)
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "Édition française" in page and "النسخة العربية" in page
    assert "Bulletin officiel :" in page and "BO" in page  # the BO reference of the article
    rtl = [m.value for m in at.markdown if 'dir="rtl"' in m.value and "jarida-article-ar" in m.value]
    assert rtl, "the Arabic edition is not shown right-to-left"
    assert 'lang="ar"' in rtl[0]
    ltr = [m.value for m in at.markdown if "jarida-article-fr" in m.value]
    assert ltr and 'dir="ltr"' in ltr[0]
    # digitised (JSONL) articles have no scan, and the scan view says so
    at.button(key="scan-fr").click().run()
    assert any("texte numérisé (JSONL)" in i.value for i in at.info), texts(at)  # "digitised text"
    at.button(key="back").click().run()
    assert at.session_state["answer"] is answer and not at.exception


def test_feedback_saved_and_exported_as_eval_questions(ui_env: Path) -> None:
    at = started_app()
    ask(at, "ما هي حقوق الشخص المعني بمعالجة معطياته الشخصية ؟", search_only=True)
    answer = at.session_state["answer"]
    assert answer.question_lang == "ar"
    at.radio(key="fb_verdict").set_value("missing_article")
    at.text_input(key="fb_law").input("loi-09-08")
    at.text_input(key="fb_article").input("7")
    at.selectbox(key="fb_kind").set_value("rights")
    next(b for b in at.button if b.label == fr("Save feedback")).click()
    at.run()
    assert not at.exception, at.exception
    assert any("Avis n° " in s.value for s in at.success), texts(at)  # "Feedback #n saved"
    at.sidebar.radio(key="nav").set_value("feedback").run()
    at.button(key="fb_save").click().run()
    assert not at.exception, at.exception
    exported = ui_env / "feedback" / "feedback-eval.jsonl"
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    row = rows[-1]
    dev = corpus_path().parent.parent / "eval" / "dev.jsonl"
    expected_keys = {"qid", "lang", "question", "gold", "answer", "kind", "persona"}
    if dev.is_file():
        expected_keys = set(json.loads(dev.read_text(encoding="utf-8").splitlines()[0]))
    assert set(row) == expected_keys
    assert row["lang"] == "ar" and row["question"] == answer.question
    assert row["gold"] == [{"law_id": "loi-09-08", "article": "7"}]
    assert row["kind"] == "rights" and row["persona"] == "clerk"


def test_ingest_in_background_then_searchable(ui_env: Path, tmp_path: Path) -> None:
    token = "zirco" + uuid.uuid4().hex[:6]  # unique: the pages are OCR'd for real, never from the cache
    pdf = scanned_pdf(tmp_path / f"registres-{token}.pdf", registry_law(token))
    at = started_app()
    at.sidebar.radio(key="nav").set_value("ingest").run()
    assert fr("Worker: **{state}**").format(state=fr("idle")) in texts(at)
    at.file_uploader(key="upload_files").set_value((pdf.name, pdf.read_bytes(), "application/pdf"))
    next(b for b in at.button if b.label == fr("Ingest")).click()
    at.run()  # the click's run returns while the worker reads the pages (OCR takes seconds)
    assert not at.exception, at.exception
    page = texts(at)
    assert any("lancée" in s.value for s in at.success)  # "Job n started"
    # responsiveness: the click's run has returned and the script reruns, while the worker is still busy with
    # the job (an ingest inside the script run would have finished, or still block, before these lines)
    assert fr("Worker: **{state}**").format(state=fr("busy")) in page
    for _ in range(2):
        at.run()
        assert not at.exception
        assert fr("Worker: **{state}**").format(state=fr("busy")) in texts(at), (
            "the job ended before the reruns: the worker is not in the background"
        )
    assert "lecture des pages" in texts(at) or "en attente" in texts(at)  # the live state: reading pages, queued
    deadline = time.monotonic() + 300
    while fr("Worker: **{state}**").format(state=fr("busy")) in texts(at):
        assert time.monotonic() < deadline, "ingest did not finish in 300 s"
        time.sleep(1)
        at.run()
    page = texts(at)
    assert "terminé — consultable maintenant" in page, page  # "done — searchable now"
    table = at.dataframe[0].value
    row = table.iloc[0]
    assert row[fr("file")] == pdf.name and row[fr("status")] == fr("done")
    assert row[fr("OCR pages")] == 2 and row[fr("articles found")] == 4
    assert fr("Index: {report}").format(report="") in page and "embedded" in page
    # searchable right after: a question about the new text finds it
    at.sidebar.radio(key="nav").set_value("ask").run()
    ask(at, f"Combien de temps le service du {token} conserve-t-il un registre ?", search_only=True)
    answer = at.session_state["answer"]
    assert any(c.law_id == "loi-98-77" for c in answer.retrieved), [c.law_id for c in answer.retrieved]
    # its scan: the OCR'd page with the article's lines marked, and the page's OCR confidence
    hit = next(c for c in answer.retrieved if c.law_id == "loi-98-77")
    key = ("cite-" if hit in answer.citations else "retrieved-") + str(hit.n)
    at.button(key=key).click().run()
    at.button(key="scan-fr").click().run()
    assert not at.exception, at.exception
    assert len(at.image) == 1, texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[fr("Read by")] == "OCR"
    assert float(metrics[fr("OCR confidence")].split("/")[0]) > 80
    assert int(metrics[fr("Article words found")].rstrip("%")) >= 80


def test_browse_lookup_and_corpus_dashboard(ui_env: Path) -> None:
    at = started_app()
    at.sidebar.radio(key="nav").set_value("browse").run()
    assert not at.exception, at.exception
    at.selectbox(key="browse_law").set_value("loi-09-08").run()
    at.selectbox(key="browse_lang").set_value("fr").run()
    articles = [b for b in at.button if b.key and b.key.startswith("browse-")]
    assert len(articles) > 50, texts(at)  # loi 09-08 has 67 French articles
    articles[2].click().run()
    assert "Édition française" in texts(at) and not at.exception
    at.button(key="back").click().run()
    at.text_input(key="lookup_ref").input("article 12 de la loi 09-08")
    next(b for b in at.button if b.label == fr("Open")).click()
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["opened"]["law_id"] == "loi-09-08" and at.session_state["opened"]["article"] == "12"
    assert "Édition française" in texts(at) and "النسخة العربية" in texts(at)
    at.sidebar.radio(key="nav").set_value("corpus").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics[fr("Articles")].replace(",", "")) >= 133 and fr("Pages read by OCR") in metrics
    headings = [h.value for h in at.subheader]
    assert (
        fr("Texts by type") in headings and fr("Texts by year") in headings and fr("Articles by language") in headings
    )
