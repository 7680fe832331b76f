"""Page clean-up before parsing: running heads, letterheads garbled by OCR, boilerplate."""

from jarida.ingest.layout import clean_pages
from jarida.ingest.pdf import Line


def _ocr(text: str, confidence: float) -> Line:
    return Line(text=text, confidence=confidence)


def test_a_garbled_ocr_letterhead_goes_but_body_text_at_a_page_top_stays():
    body = [
        "يحدد ثمن تكلفة الدقيق المدعوم على النحو التالي",
        "مصاريف أولية عن كل قنطار مسحوق من الدقيق",
        "تحدد معايير جودة الدقيق المدعوم بنوعيه",
    ]
    pages = [
        (1, [_ocr("المملكة المغربية وزارة العدل مديرية التشريع", 55.0), *[_ocr(t, 92.0) for t in body]]),
        (2, [_ocr("لمملكة لمغربية وزارة العرز مديرية التشريع", 48.0), *[_ocr(t, 91.0) for t in body]]),
        (3, [_ocr("1 لمموملحكلق المغر فبك 1089 العك مذ مردك المسر", 50.0), *[_ocr(t, 90.0) for t in body]]),
        (4, [_ocr("المادة الثامنة", 60.0), _ocr("يحدد ثمن تكلفة نوعي الدقيق", 93.0), _ocr(body[1], 90.0)]),
    ]
    kept = [line.text for line in clean_pages(pages)]
    assert not any("مديرية" in t or "لمموملحكلق" in t for t in kept)
    assert "المادة الثامنة" in kept and "يحدد ثمن تكلفة نوعي الدقيق" in kept


def test_text_layer_lines_are_never_taken_for_ocr_letterheads():
    pages = [
        (n, [Line(f"- {n} -", size=10.0), Line(f"Article {n}", size=10.0), Line("Le texte.", size=10.0)])
        for n in range(1, 9)
    ]
    kept = [line.text for line in clean_pages(pages)]
    assert [t for t in kept if t.startswith("Article")] == [f"Article {n}" for n in range(1, 9)]
    assert not any(t.startswith("- ") for t in kept)  # page numbers go
