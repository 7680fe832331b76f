"""Direct reference look-up: "article 53 du code du travail", "art. 16 loi 09-08", "الفصل 19 من الدستور"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jarida.catalogue import law_by_number, law_named_in
from jarida.normalize import arabic_index_form, ascii_digits, number_key

_NUM = r"(\d{1,4}(?:\s?[-.]\s?\d{1,4})?(?:\s?(?:bis|ter|quater))?)"
FR_REFERENCE = re.compile(rf"\b(?:art(?:icle)?s?\.?)\s*{_NUM}\b(?P<rest>.*)", re.IGNORECASE)
AR_REFERENCE = re.compile(rf"(?:الماده|الفصل|ماده|فصل)\s+{_NUM}(?P<rest>.*)")
LAW_NUMBER = re.compile(r"(?:loi|قانون|القانون)\s*(?:n\s*°|no|رقم)?\s*(\d{1,3}\s?[-.]\s?\d{2})", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    """An article a question names explicitly."""

    law_id: str
    article: str


def _article_key(num: str) -> str:
    num = re.sub(r"\s+", " ", ascii_digits(num).strip().lower())
    return re.sub(r"\s?[.]\s?", "-", num).replace(" - ", "-")


def find_reference(question: str) -> Reference | None:
    """The (law, article) a question cites, when it names both; None otherwise."""
    text = ascii_digits(question)
    m = FR_REFERENCE.search(text)
    arabic = AR_REFERENCE.search(arabic_index_form(text))
    if not m and not arabic:
        return None
    match = m or arabic
    rest = match.group("rest") if m else arabic.group("rest")
    law = None
    if number := LAW_NUMBER.search(rest):
        law = law_by_number(number_key(number.group(1)))
    law = law or law_named_in(rest) or law_named_in(text)
    if law is None:
        return None
    return Reference(law.law_id, _article_key(match.group(1)))
