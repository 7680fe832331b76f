"""Real Tesseract on real BO pages: page images in both scripts, and the OCR cache."""

from pathlib import Path

import pytest

from jarida.ingest.ocr import OcrTask, ocr_pages
from jarida.ingest.pdf import open_pdf, render_page
from jarida.ingest.pipeline import ingest_source
from jarida.ingest.sources import SourceFile


def _page_image(corpus: Path, name: str, index: int, out: Path) -> Path:
    pdf = open_pdf(corpus / "pdf" / name)
    render_page(pdf[index], 300).save(out)
    return out


def test_an_ocr_page_is_read_once_then_served_from_the_cache(corpus, tmp_path):
    task = OcrTask(str(corpus / "pdf" / "ar-decret-2-26-530-heure-legale.pdf"), 1, "pdf", 300, "ar", str(tmp_path))
    first = next(ocr_pages([task], workers=1))
    again = next(ocr_pages([task], workers=1))
    assert not first.cached and again.cached
    assert again.lines == first.lines and again.image_hash == first.image_hash
    assert len(list((tmp_path / "ocr").rglob("*.json"))) == 1


@pytest.mark.parametrize(
    ("name", "index", "lang", "heading"),
    [
        ("fr-bo-5210-loi-65-99-code-travail-extract.pdf", 3, "fr", "Article 24"),
        ("ar-decret-2-26-530-heure-legale.pdf", 1, "ar", "المادة الثانية"),
    ],
)
def test_a_scanned_page_image_is_ocred_in_the_script_it_is_printed_in(
    corpus, settings, tmp_path, name, index, lang, heading
):
    image = _page_image(corpus, name, index, tmp_path / f"page-{lang}.png")
    pages, articles = ingest_source(SourceFile(image, "image", "test"), settings)
    assert [p.method for p in pages] == ["ocr"] and pages[0].lang == lang
    assert pages[0].confidence and pages[0].confidence > 80
    assert heading in {a.heading for a in articles}
    assert all(a.method == "ocr" and a.lang == lang for a in articles)
