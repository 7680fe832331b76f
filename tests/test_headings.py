"""Article and hierarchy headings, text headers and BO references as users cite them."""

import pytest

from jarida.ingest.articles import article_heading, hierarchy_heading
from jarida.ingest.headers import find_bo_reference, parse_header


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("Article premier", "1"),
        ("Article 1er.- Les dispositions", "1"),
        ("Art. 2. – Le juge", "2"),
        ("Article 12 bis", "12 bis"),
        ("Article 44-1", "44-1"),
        ("Article 467- 3", "467-3"),
        ("ARTICLE 3", "3"),
        ("Article unique", "unique"),
        ("المادة 1", "1"),
        ("المادة الأولى", "1"),
        ("المادة الحادية عشرة", "11"),
        ("المادة الثانية والعشرون", "22"),
        ("الفصل 19", "19"),
        ("المادة ٥ مكررة", "5 مكرر"),
    ],
)
def test_article_headings_give_the_key_users_cite(line, key):
    lang = "fr" if line[0].isascii() else "ar"
    heading = article_heading(line, lang)
    assert heading is not None and heading.key == key


@pytest.mark.parametrize(
    "line",
    ["Article 53 du présent code", "Articles 19 à 238", "articles 16 et 24 de la loi", "المادة 53 من مدونة الشغل"],
)
def test_cross_references_are_not_headings(line):
    assert article_heading(line, "fr" if line[0].isascii() else "ar") is None


def test_hierarchy_headings_need_a_capital_and_are_not_mid_sentence():
    assert hierarchy_heading("Chapitre premier", "fr")[0] == 2
    assert hierarchy_heading("LIVRE II DE L’APPLICATION", "fr")[0] == 0
    assert hierarchy_heading("Section première. – Définitions", "fr")[0] == 3
    assert hierarchy_heading("chapitre II de la présente loi.", "fr") is None
    assert hierarchy_heading("LIVRE PREMIER DES peines ............ 13", "fr") is None  # table of contents
    assert hierarchy_heading("الباب الأول", "ar")[0] == 2


def test_text_header_in_french_and_arabic():
    fr = parse_header(["Dahir n° 1-09-15 du 22 safar 1430 (18 février 2009) portant promulgation de", "la loi"], "fr")
    assert (fr.text_type, fr.number, fr.date, fr.date_hijri) == ("dahir", "1-09-15", "2009-02-18", "22 safar 1430")
    ar = parse_header(["مرسوم رقم 2.26.530 صادر في 9 محرم 1448", "(25 يونيو 2026) في شأن الساعة القانونية"], "ar")
    assert (ar.text_type, ar.number, ar.date, ar.date_hijri) == ("decret", "2-26-530", "2026-06-25", "9 محرم 1448")
    assert "الساعة القانونية" in ar.title


def test_bo_references_with_number_date_and_page():
    ref = find_bo_reference("( Bulletin Officiel n° 5358 du 2 ramadan 1426 ( 6 octobre 2005 ), p. 667 )")
    assert (ref.number, ref.date, ref.page) == ("5358", "2005-10-06", "667")
    ref = find_bo_reference("1- الجريدة الرسمية عدد 7521 بتاريخ 13 محرم 1448 (29 يونيو 2026)، ص 3768.")
    assert (ref.number, ref.date, ref.page) == ("7521", "2026-06-29", "3768")
    assert ref.label("ar") == "الجريدة الرسمية عدد 7521، بتاريخ 29 يونيو 2026، ص 3768"
    ref = find_bo_reference("BULLETIN OFFICIEL N° 5714 - 7 rabii I 1430 (5-3-2009)\nDahir du 18 février 2009")
    assert (ref.number, ref.date) == ("5714", "2009-03-05")
    assert ref.label("fr") == "BO n° 5714 du 5 mars 2009"
