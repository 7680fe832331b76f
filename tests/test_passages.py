"""The passage matching a question (one selection for every door) and the catalogue's display titles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jarida.catalogue import NON_LEGAL, display_title, is_legal
from jarida.serving.passages import matching_passage, sentences

MATERNITY = "Combien de jours de congé de maternité a une salariée ?"


def corpus_text(corpus: Path, name: str, article: str) -> str:
    for line in (corpus / "articles" / name).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["article"] == article:
            return row["text"]
    raise AssertionError(f"no article {article} in {name}")


def test_sentences_join_wrapped_lines_and_keep_list_items() -> None:
    text = "Art. 12 du code. Le salarié\nbénéficie d'un congé :\n1° de naissance ;\n2° de mariage."
    assert sentences(text) == ["Art. 12 du code.", "Le salarié bénéficie d'un congé :", "1° de naissance ;",
                               "2° de mariage."]  # fmt: skip


def test_the_sentence_sharing_the_question_terms_is_chosen() -> None:
    text = "La présente loi s'applique aux employeurs. La salariée bénéficie d'un congé de maternité. Fin."
    assert matching_passage(MATERNITY, text) == "La salariée bénéficie d'un congé de maternité."
    assert matching_passage("licenciement abusif", text) == "La présente loi s'applique aux employeurs."


def test_maternity_leave_finds_article_152_in_both_editions(corpus: Path) -> None:
    fr = corpus_text(corpus, "fr_code_travail.jsonl", "152")
    assert "quatorze semaines" in matching_passage(MATERNITY, fr)
    ar = corpus_text(corpus, "ar_loi_65_99.jsonl", "152")
    passage = matching_passage("كم مدة إجازة الولادة للأجيرة؟", ar)
    assert "أربعة عشر أسبوعا" in passage


@pytest.mark.parametrize(
    ("law_id", "lang", "printed", "text_type", "article", "shown"),
    [
        ("loi-65-99", "fr", "Loi n° 65-99 relative au Code du travail (version consolidée — Article 13", "loi", "13",
         "Code du travail"),
        ("loi-70-03", "fr", "LOI N° 70-03 PORTANT CODE DE LA FA MILLE", "loi", "1", "Code de la famille"),
        ("loi-70-03", "ar", "مدونة الأسرة", "loi", "1", "مدونة الأسرة"),
        ("avis-cese", "ar", "المملكة المغربية والاجت. جتم عار", "document", "", NON_LEGAL["ar"]),
        ("decret-2-26-530", "fr", "Décret n° 2-26-530  relatif à l'heure légale (suite", "decret", "1",
         "Décret n° 2-26-530 relatif à l'heure légale"),
    ],
)  # fmt: skip
def test_one_display_title_per_law_and_language(law_id, lang, printed, text_type, article, shown) -> None:
    assert display_title(law_id, lang, printed, text_type, article) == shown


def test_plain_documents_are_not_legal() -> None:
    assert not is_legal("document", "") and is_legal("loi", "3") and is_legal("decret", "")
