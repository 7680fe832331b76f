"""The workspace's interface language: gettext catalogues (French, Arabic) chosen per session.

Messages are written in English in the code (`_("Ask")`, or `N_` for tables translated when shown) and
translated by `ui/locale/<lang>/LC_MESSAGES/jarida.po`, compiled to `.mo` with Babel (`pybabel compile -d
ui/locale -D jarida`; the compiled files are committed and packaged, and a test checks they match the `.po`).
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from jarida.normalize import has_arabic

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "jarida"
LANGUAGES = {"fr": "Français", "ar": "العربية"}
DEFAULT = "fr"
LANG_KEY = "ui_lang"
# Streamlit's own English hint under form inputs ("Press Enter to submit form") is hidden in every language.
# The matching passage of a listed article: dark text on a light highlight; captions darker than Streamlit's
# faded grey (contrast at least 4.5:1, as axe-core checks).
BASE_CSS = """<style>[data-testid="InputInstructions"] {display: none;}
.jarida-passage mark {background: #fff3b0; color: #1a1a1a; padding: 0 .15em;}
.jarida-passage {border-inline-start: 3px solid #b58900; padding-inline-start: .6em;}
[data-testid="stCaptionContainer"] {opacity: 1; color: #464852;}</style>"""
# Right-to-left layout of the Arabic interface (Streamlit's own page is left-to-right); <html lang> is set too.
RTL_CSS = """<style>
[data-testid="stMain"], [data-testid="stSidebar"] {direction: rtl; text-align: right;}
[data-testid="stMain"] input, [data-testid="stMain"] textarea {direction: rtl; text-align: right;}
</style>"""


@cache
def translations(lang: str) -> gettext.GNUTranslations:
    """The compiled catalogue of `lang` (an error when it is missing: every language has one)."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def current() -> str:
    """The session's interface language (French outside a Streamlit run, e.g. in exports made by scripts)."""
    if get_script_run_ctx() is None:
        return DEFAULT
    lang = st.session_state.get(LANG_KEY, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def _(message: str) -> str:
    """`message` in the interface language."""
    return translations(current()).gettext(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for a marked, not yet translated, message)
    """Mark a message for the catalogue; it is translated where shown, with `_`."""
    return message


def text_lang(text: str) -> str:
    """`ar` for an Arabic text, else `fr` (for the direction of user and document text)."""
    return "ar" if has_arabic(text) else "fr"


def apply_language() -> None:
    """Take `?ui=ar` from the URL once (`lang` names an article's edition in a deep link), then mark the page's
    language and direction."""
    if LANG_KEY not in st.session_state:
        asked = st.query_params.get("ui", DEFAULT)
        st.session_state[LANG_KEY] = asked if asked in LANGUAGES else DEFAULT
    lang = current()
    script = f"<script>document.documentElement.lang = {lang!r};</script>"
    st.html(script + BASE_CSS + (RTL_CSS if lang == "ar" else ""), unsafe_allow_javascript=True, width="content")


TEXT_TYPES = {
    "dahir": N_("dahir"), "loi": N_("law"), "decret": N_("decree"), "arrete": N_("order"),
    "circulaire": N_("circular"), "convention": N_("convention"), "constitution": N_("constitution"),
    "code": N_("code"), "document": N_("non-legal document"), "text": N_("text"),
}  # fmt: skip
LANG_NAMES = {"fr": N_("French"), "ar": N_("Arabic")}


def type_label(text_type: str) -> str:
    """A text type (`decret`) in the interface language."""
    return _(TEXT_TYPES[text_type]) if text_type in TEXT_TYPES else text_type


def lang_name(lang: str) -> str:
    """A language code (`fr`, `ar`) in the interface language."""
    return _(LANG_NAMES[lang]) if lang in LANG_NAMES else lang
