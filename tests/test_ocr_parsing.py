"""Real Tesseract on real pages: OCR'd lines in reading order, article headings found, running heads gone."""

import json
import re
import statistics
from pathlib import Path

from jarida.eval.ingest_checks import similarity
from jarida.ingest.layout import clean_pages
from jarida.ingest.ocr import OcrTask, lines_from_words, ocr_page
from jarida.ingest.structure import parse_texts

BO_5210 = "fr-bo-5210-loi-65-99-code-travail-extract.pdf"
AR_DECREE = "ar-decret-2-26-530-heure-legale.pdf"


def _parse(corpus: Path, cache: Path, name: str, index: int, lang: str):
    page = ocr_page(OcrTask(str(corpus / "pdf" / name), index, "pdf", 300, lang, str(cache)))
    lines = clean_pages([(index + 1, page.as_lines())])
    return page, lines, parse_texts(lines, lang, Path(name).stem)


def test_a_two_column_bo_page_is_read_column_by_column(corpus, ocr_cache):
    # BO 5210 p. 630: Tesseract reads "Chapitre VI" (left column) and "Article 286" (right column) as one line.
    page, lines, texts = _parse(corpus, ocr_cache, BO_5210, 27, "fr")
    articles = {a.heading.key: a for t in texts for a in t.articles}
    assert list(articles) == [str(n) for n in range(279, 293)]
    assert not any(re.search(r"BULLETIN OFFICIEL|N° 5210|\(6-5-2004\)", ln.text) for ln in lines)
    assert "moteur, roues" not in articles["285"].text and articles["286"].text.startswith("Les pièces mobiles")
    assert articles["279"].breadcrumb[-1].startswith("Chapitre VI")
    reference = {}
    with (corpus / "articles" / "fr_code_travail.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            reference[row["article"]] = row["text"]
    # every article but the last, which runs on to the next page
    scores = [similarity(a.text, reference[key])[0] for key, a in list(articles.items())[:-1]]
    assert statistics.median(scores) > 0.97 and page.confidence > 90


def test_an_arabic_decree_page_keeps_its_ordinal_headings(corpus, ocr_cache):
    page, lines, texts = _parse(corpus, ocr_cache, AR_DECREE, 1, "ar")
    articles = [a for t in texts for a in t.articles]
    assert [(a.heading.key, a.heading.printed) for a in articles] == [
        ("1", "المادة الأولى"),
        ("2", "المادة الثانية"),
        ("3", "المادة الثالثة"),
    ]
    assert "الساعة القانونية" in articles[0].text and "المرسوم رقم 2.18.855" in articles[1].text
    assert articles[2].text.startswith("ينشر هذا المرسوم في الجريدة الرسمية")
    assert not any(ln.text.startswith("الجريدة الرسمية") for ln in lines)


def test_words_merged_across_the_gutter_are_split_and_read_column_by_column():
    def word(text, left, top, line):
        return [text, 95.0, left, top, 30 * len(text), 38, 1, 1, line]

    left = [[word("gauche", 200, 400 + 50 * i, i), word(f"{i}", 500, 400 + 50 * i, i)] for i in range(8)]
    right = [[word("droite", 1400, 450 + 50 * i, 20 + i), word(f"{i}", 1700, 450 + 50 * i, 20 + i)] for i in range(7)]
    merged = [word("Article", 200, 350, 99), word("1", 450, 350, 99), word("Chapitre", 1400, 350, 99)]
    head = [word("BULLETIN", 200, 200, 98), word("OFFICIEL", 1000, 200, 98), word("651", 2300, 200, 98)]
    words = [w for ln in [head, merged, *left, *right] for w in ln]
    texts = [ln["text"] for ln in lines_from_words(words, "fr", 2600)]
    assert texts[:3] == ["BULLETIN OFFICIEL 651", "Article 1", "gauche 0"]
    assert texts.index("Chapitre") == texts.index("gauche 7") + 1 and texts[-1] == "droite 6"
