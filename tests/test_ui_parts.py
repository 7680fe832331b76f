"""The workspace's parts without Streamlit: scan highlighting, export (Markdown, PDF by Chromium), feedback, figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jarida.ingest.pipeline import ingest
from jarida.records import ArticleStore
from jarida.serving.answer import Answer
from jarida.settings import Settings
from jarida.types import Citation
from jarida.ui import data, export
from jarida.ui.feedback import Feedback, FeedbackStore, eval_rows, gold_for, to_jsonl
from jarida.ui.scan import ScanUnavailable, render_scan
from tests.conftest import FIXTURES, run_jarida
from tests.pdfgen import LOI_TEST, write_pdf


def _answer() -> Answer:
    cites = [
        Citation(
            "loi-09-08",
            "51",
            "fr",
            "Loi n° 09-08 relative à la protection des personnes physiques",
            "BO n° 5714 du 5 mars 2009",
            12,
            "Est puni d'une amende de 20.000 à 200.000 DH ...",
            n=1,
            heading="Article 51",
        ),
        Citation(
            "loi-09-08",
            "51",
            "ar",
            "القانون رقم 09.08 المتعلق بحماية الأشخاص الذاتيين",
            "الجريدة الرسمية عدد 5711",
            3,
            "يعاقب بغرامة من 20.000 إلى 200.000 درهم",
            n=2,
            heading="المادة 51",
        ),
    ]
    return Answer(
        "ما هي العقوبة؟", "ar", "ar", "grounded", "يعاقب بغرامة من 20.000 إلى 200.000 درهم [1][2].", cites, cites
    )


def test_scan_of_born_digital_page_marks_the_article(settings: Settings, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "loi-test.pdf", [LOI_TEST])
    ingest([pdf], settings)
    store = ArticleStore(settings.db_path)
    try:
        article = next(a for a in store.articles() if a.article == "2")
        scan = render_scan(settings, store, article)
    finally:
        store.close()
    assert scan.method == "text" and scan.page == 1 and scan.confidence is None
    assert len(scan.boxes) == 3 and scan.coverage == 1.0  # heading + two printed lines
    tops = [b[1] for b in scan.boxes]
    assert tops == sorted(tops) and scan.boxes[0][1] > 150  # below Article premier, in page order
    pixel = scan.image.getpixel((scan.boxes[1][0] + 1, scan.boxes[1][1] + 1))
    assert pixel != (255, 255, 255)  # highlighted


def test_digitised_article_has_no_scan(settings: Settings) -> None:
    ingest([FIXTURES / "injection.jsonl"], settings)
    store = ArticleStore(settings.db_path)
    try:
        article = next(store.articles())
        with pytest.raises(ScanUnavailable, match="numérisé"):  # the French interface: "digitised"
            render_scan(settings, store, article)
    finally:
        store.close()


def test_markdown_and_html_export() -> None:
    answer = _answer()
    md = export.to_markdown(answer)
    assert md.startswith("# ما هي العقوبة؟") and "[1] Loi n° 09-08" in md and "BO n° 5714" in md
    page = export.to_html(answer)
    assert '<h1 dir="rtl">' in page and 'lang="ar"' in page and "&lt;" not in answer.answer


def test_pdf_export_by_chromium_keeps_arabic() -> None:
    if export.find_chromium() is None:
        pytest.skip("no Chromium")
    import pypdfium2 as pdfium

    pdf = export.to_pdf(_answer())
    assert pdf.startswith(b"%PDF")
    doc = pdfium.PdfDocument(pdf)
    text = doc[0].get_textpage().get_text_range()
    assert "09-08" in text and ("درهم" in text or "مهرد" in text)  # Arabic kept as text (visual order in the PDF)


def test_pdf_export_without_chromium_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARIDA_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(export.ExportError, match="installez-le"):  # the French interface: "install it"
        export.to_pdf(_answer())


def test_feedback_export_follows_the_dev_format(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    cited = [{"law_id": "loi-09-08", "article": "51", "lang": "fr"}, {"law_id": "loi-09-08", "article": "51"}]
    store.add(
        Feedback(
            "Quelle amende ?",
            "fr",
            "20.000 à 200.000 DH [1]",
            "grounded",
            "helpful",
            cited,
            gold_for("helpful", cited, []),
        )
    )
    store.add(
        Feedback(
            "Chkoun kayhmi data?",
            "darija",
            "",
            "no_match",
            "missing_article",
            [],
            gold_for("missing_article", [], [{"law_id": "loi-09-08", "article": "27"}]),
            kind="rights",
        )
    )
    store.add(Feedback("Question vague", "fr", "", "no_match", "wrong_citation", [], []))
    rows, skipped = eval_rows(store.all())
    store.close()
    assert skipped == 1 and len(rows) == 2
    assert rows[0] == {
        "qid": "fb-0001",
        "lang": "fr",
        "question": "Quelle amende ?",
        "gold": [{"law_id": "loi-09-08", "article": "51"}],
        "answer": "20.000 à 200.000 DH [1]",
        "kind": "fact",
        "persona": "clerk",
    }
    assert rows[1]["lang"] == "darija" and rows[1]["gold"] == [{"law_id": "loi-09-08", "article": "27"}]
    assert [json.loads(line) for line in to_jsonl(rows).splitlines()] == rows


def test_corpus_figures(settings: Settings, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "loi-test.pdf", [LOI_TEST])
    ingest([pdf, FIXTURES / "injection.jsonl"], settings)
    with data.article_store(settings) as store:
        figures = data.corpus_figures(store.db)
        laws = data.laws(store.db)
        articles = data.law_articles(store.db, "loi-99-01", "fr")
    assert figures.pages_by_method == {"text": 1} and figures.ocr_share == 0.0
    assert any(t[0] == "loi" for t in figures.texts_by_type)
    assert "loi-99-01" in {law.law_id for law in laws}
    groups = data.hierarchy(articles)
    assert list(groups) == [("Chapitre premier - Dispositions générales",)]


def test_cli_ui_subcommand_is_listed(tmp_path: Path) -> None:
    done = run_jarida("ui", "--help", data_dir=tmp_path, timeout=60)
    assert done.returncode == 0 and "--port" in done.stdout
