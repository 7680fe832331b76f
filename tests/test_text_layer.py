"""Born-digital PDFs of the shared corpus, read from their text layer (no OCR), against the reference texts."""

import json
from pathlib import Path

import pytest

from jarida.ingest.pdf import open_pdf, text_layer_lines
from jarida.ingest.pipeline import ingest_source
from jarida.ingest.quality import assess_layer
from jarida.ingest.sources import SourceFile


def _source(path: Path) -> SourceFile:
    return SourceFile(path, "pdf", "test")


def _layer(corpus: Path, name: str, page: int) -> str:
    pdf = open_pdf(corpus / "pdf" / name)
    return "\n".join(line.text for line in text_layer_lines(pdf[page]))


@pytest.mark.parametrize(
    ("name", "page", "usable"),
    [
        ("fr-bo-5714-loi-09-08.pdf", 3, True),
        ("fr-code-penal-consolide-2018.pdf", 40, True),
        ("fr-bo-5210-loi-65-99-code-travail-extract.pdf", 3, False),  # fonts without a Unicode map: "/RL"
        ("ar-avis-cese-not-a-legal-text.pdf", 9, False),  # swapped lam-alef, dropped letters
        ("ar-arrete-conjoint-interieur-agriculture-ble.pdf", 1, False),  # private-use glyphs
    ],
)
def test_bad_text_layers_are_detected(corpus, name, page, usable):
    assert assess_layer(_layer(corpus, name, page)).usable is usable


def test_loi_09_08_gives_its_67_articles_from_the_text_layer_with_bo_5714(corpus, settings):
    pages, articles = ingest_source(_source(corpus / "pdf" / "fr-bo-5714-loi-09-08.pdf"), settings)
    law = [a for a in articles if a.law_id == "loi-09-08"]
    assert [a.article for a in law] == [str(n) for n in range(1, 68)]
    assert all(p.method == "text" for p in pages)
    assert {a.bo_number for a in law} == {"5714"}
    assert law[0].heading == "Article premier" and law[0].text.startswith("L’informatique est au service")
    assert law[-1].breadcrumb and "transitoires" in law[-1].breadcrumb[0]
    assert len({a.id for a in articles}) == len(articles)


def test_footnote_calls_do_not_leak_into_article_numbers_or_text(corpus, settings):
    _, articles = ingest_source(_source(corpus / "pdf" / "fr-code-penal-consolide-2018.pdf"), settings)
    keys = {a.article for a in articles if a.law_id == "code-penal"}
    assert {"44-1", "42", "43", "440"} <= keys
    assert not {"44-116", "4215", "4317", "440176"} & keys  # "Article 44-1¹⁶" etc. as the layer glues them
    art_468 = next(a for a in articles if a.law_id == "code-penal" and a.article == "468")
    assert "120202" not in art_468.text and "eu lieu203" not in art_468.text
    assert "Article 31 :" not in art_468.text  # the footnote quoting another law stays out


def test_site_watermark_and_page_numbers_do_not_leak(corpus, settings):
    _, articles = ingest_source(_source(corpus / "pdf" / "fr-loi-70-03-code-famille.pdf"), settings)
    famille = [a for a in articles if a.law_id == "loi-70-03"]
    assert len(famille) == 400
    assert not any("WWW.KAFALA.FR" in a.text.upper() for a in articles)
    assert not any(line.strip() in ("- 12 -", "-12 -") for a in articles for line in a.text.splitlines())


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("fr-code-penal-consolide-2018.pdf", "fr_code_penal.jsonl"),
        ("fr-loi-15-95-code-commerce-consolide-2019.pdf", "fr_code_commerce.jsonl"),
        ("fr-dahir-1913-code-obligations-contrats.pdf", "fr_doc.jsonl"),
        ("fr-dahir-1-74-447-code-procedure-civile.pdf", "fr_cpc.jsonl"),
    ],
)
def test_code_article_counts_are_within_two_percent_of_the_reference(corpus, settings, name, reference):
    rows = [json.loads(line) for line in (corpus / "articles" / reference).open(encoding="utf-8")]
    _, articles = ingest_source(_source(corpus / "pdf" / name), settings)
    found = [a for a in articles if a.law_id == rows[0]["law_id"]]
    assert abs(len(found) - len(rows)) <= 0.02 * len(rows), (len(found), len(rows))
