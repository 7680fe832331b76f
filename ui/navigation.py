"""Which view is shown: the sidebar's sections, plus the article and scan views opened from a citation.

State lives in `st.session_state`; a link can also open a view through query parameters
(`?view=browse`, `?law=loi-09-08&article=3`, `&scan=1&lang=fr&page=2`).
"""

from __future__ import annotations

import streamlit as st

from .i18n import N_

SECTIONS = {"ask": N_("Ask"), "browse": N_("Browse"), "ingest": N_("Ingest"), "corpus": N_("Corpus"),
            "feedback": N_("Feedback")}  # fmt: skip
NAV_KEY = "nav"


def open_article(law_id: str, article: str, lang: str = "", scan: bool = False, page: int | None = None) -> None:
    """Show an article (both editions), or its scan, in place of the current section."""
    st.session_state["opened"] = {"law_id": law_id, "article": article, "lang": lang, "scan": scan, "page": page}


def close_article() -> None:
    """Back to the section the article was opened from."""
    st.session_state.pop("opened", None)


def opened() -> dict | None:
    """The article view's target, if one is open."""
    return st.session_state.get("opened")


def apply_query_params() -> None:
    """Open what the URL asks for, once per session."""
    if st.session_state.get("_query_applied"):
        return
    st.session_state["_query_applied"] = True
    params = st.query_params
    view = params.get("view")
    if view in SECTIONS:
        st.session_state[NAV_KEY] = view
    if params.get("law") and params.get("article"):
        page = params.get("page")
        open_article(
            params["law"],
            params["article"],
            params.get("lang", ""),
            params.get("scan") == "1",
            int(page) if page and page.isdigit() else None,
        )


def section() -> str:
    """The sidebar's selected section key."""
    return st.session_state.get(NAV_KEY, "ask")
