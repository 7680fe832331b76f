"""The workspace's message catalogue: every message of the code is translated into French and Arabic, the
compiled .mo files are those of the .po files, and translations keep their placeholders."""

from __future__ import annotations

import io
import re
import string

import pytest

babel_extract = pytest.importorskip("babel.messages.extract")
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

from jarida.ui.i18n import LANGUAGES, LOCALE_DIR  # noqa: E402
from tests.conftest import REPO  # noqa: E402

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def code_messages() -> set[str]:
    """Every `_()` and `N_()` message of ui/, as Babel extracts them."""
    found = babel_extract.extract_from_dir(str(REPO / "ui"), [("**.py", "python")], keywords={"_": None, "N_": None})
    return {message for _file, _line, message, _comments, _context in found}


def catalogue(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "jarida.po").open("rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_message_is_translated_and_compiled(lang: str) -> None:
    cat = catalogue(lang)
    translated = {m.id: m.string for m in cat if m.id}
    messages = code_messages()
    assert len(messages) > 150
    assert messages <= set(translated), sorted(messages - set(translated))
    for msgid, text in translated.items():
        assert text, f"{lang}: no translation for {msgid!r}"
        fields = {f for _, f, _, _ in string.Formatter().parse(msgid) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(text) if f}, (lang, msgid, text)
    compiled = io.BytesIO()
    write_mo(compiled, cat)
    committed = (LOCALE_DIR / lang / "LC_MESSAGES" / "jarida.mo").read_bytes()
    assert committed == compiled.getvalue(), "run: pybabel compile -d ui/locale -D jarida"


def test_arabic_translations_are_arabic_and_french_ones_are_not_english() -> None:
    from jarida.normalize import has_arabic

    ar = {m.id: m.string for m in catalogue("ar") if m.id}
    bare = {t: re.sub(r"\{\w+\}", "", t) for t in ar.values()}  # placeholders are not words
    not_arabic = [t for t, words in bare.items() if not has_arabic(words) and LATIN_WORD.search(words)]
    assert not_arabic == [], not_arabic
    fr = {m.id: m.string for m in catalogue("fr") if m.id}
    english = [t for t in fr.values() if re.search(r"\b(?:the|of|and|answer|articles found|search|no|any)\b", t)]
    assert english == [], english
