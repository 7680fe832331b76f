"""Digitised article texts (JSONL) from the shared corpus, and malformed JSONL."""

import json

import pytest

from jarida.ingest.digitised import read_jsonl
from jarida.ingest.errors import SourceError


def test_constitution_articles_keep_their_numbers_and_get_language_specific_ids(corpus):
    articles = read_jsonl(corpus / "articles" / "ar_constitution_2011.jsonl", "ar_constitution_2011.jsonl")
    assert len(articles) == 175
    assert {a.law_id for a in articles} == {"constitution-2011"}
    assert {a.lang for a in articles} == {"ar"} and {a.method for a in articles} == {"digitised"}
    assert articles[18].article == "19" and articles[18].id == "constitution-2011:ar:art19@ar_constitution_2011"
    assert len({a.id for a in articles}) == 175
    assert all(a.index_text and "أ" not in a.index_text for a in articles)  # normalised indexing form


def test_french_and_arabic_editions_of_one_law_do_not_collide(corpus):
    fr = read_jsonl(corpus / "articles" / "fr_loi_09_08.jsonl", "fr")
    ar = read_jsonl(corpus / "articles" / "ar_loi_09_08.jsonl", "ar")
    assert {a.law_id for a in fr} == {a.law_id for a in ar} == {"loi-09-08"}
    assert not {a.id for a in fr} & {a.id for a in ar}
    assert {a.text_type for a in fr} == {"loi"} and {a.text_number for a in fr} == {"09-08"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"law_id": "x", "lang": "fr", "article": "1", "text": "t"}\nnot json\n', "line 2 is not valid JSON"),
        ('{"law_id": "x", "lang": "de", "article": "1", "text": "t"}\n', "unknown language 'de'"),
        ('{"law_id": "x", "lang": "fr", "text": "t"}\n', "line 1 lacks article"),
        ("\n", "no articles"),
    ],
)
def test_malformed_jsonl_names_the_line_and_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=message) as raised:
        read_jsonl(path, "bad.jsonl")
    assert raised.value.source == "bad.jsonl"


def test_an_article_with_empty_text_is_kept_not_the_whole_file_refused(tmp_path):
    rows = [
        {"law_id": "x", "lang": "fr", "article": "1", "text": "Abrogé"},
        {"law_id": "x", "lang": "fr", "article": "2", "text": ""},
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert [a.article for a in read_jsonl(path, "r.jsonl")] == ["1", "2"]


def test_arabic_digitised_text_gets_the_lam_alef_repair(tmp_path):
    row = {"law_id": "x", "lang": "ar", "article": "1", "text": "في جميع الحاالت"}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert read_jsonl(path, "a.jsonl")[0].text == "في جميع الحالات"


ARTICLE_WITH_NOTES = "\n".join(
    [
        "يعاقب بالحبس من شهر إلى سنة كل من أتلف عمدا مالا مملوكا للغير",
        " - 12تم تغيير هذا الفصل بمقتضى المادة الأولى من القانون رقم 10.20 المتعلق بتغيير",
        "مجموعة القانون الجنائي؛ الجريدة الرسمية عدد 7000 بتاريخ 3 يناير 2021 ص .120",
        " -13تمت إضافة الفقرة الثانية بمقتضى المادة 2 من القانون رقم 10.20 السالف الذكر.",
        "",
        "57",
        "وبغرامة من مائتي درهم إلى ألف درهم.",
        " - 14تم تغيير الفقرة أعلاه بمقتضى قانون لم تكتمل إحالته",
        "في سطر ثان",
        "وسطر ثالث",
        "وسطر رابع",
        "وسطر خامس",
    ]
)


def test_arabic_amendment_notes_and_page_numbers_leave_the_article_text(tmp_path):
    path = tmp_path / "ar_notes.jsonl"
    row = {"law_id": "code-penal", "lang": "ar", "article": "600", "text": ARTICLE_WITH_NOTES}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    [article] = read_jsonl(path, "ar_notes.jsonl")
    lines = article.text.splitlines()
    assert lines[0].startswith("يعاقب بالحبس") and "وبغرامة من مائتي درهم إلى ألف درهم." in lines
    assert not any("تم تغيير هذا الفصل" in x or "تمت إضافة" in x or "ص .120" in x for x in lines)
    assert "57" not in lines  # the page number printed between the two halves
    # a "note" that closes no sentence within four lines may be article text: it stays, whole
    assert lines[-6:] == ARTICLE_WITH_NOTES.splitlines()[-6:]
