"""`jarida ui`: the Streamlit workspace for civil servants (run with `streamlit run app.py -- --data-dir DIR`)."""

from __future__ import annotations

import streamlit as st

from jarida.ui import article_view, ask_view, browse_view, dashboard_view, feedback_view, i18n, ingest_view, navigation
from jarida.ui.i18n import _
from jarida.ui.resources import current_settings

VIEWS = {
    "ask": ask_view.render,
    "browse": browse_view.render,
    "ingest": ingest_view.render,
    "corpus": dashboard_view.render,
    "feedback": feedback_view.render,
}


def main() -> None:
    """Sidebar sections; an opened article (or its scan) replaces the section until closed."""
    st.set_page_config(page_title="jarida — Bulletin officiel", page_icon="📜", layout="wide")
    settings = current_settings()
    navigation.apply_query_params()
    i18n.apply_language()
    with st.sidebar:
        st.title("jarida")
        st.caption(_("Bulletin officiel of the Kingdom of Morocco — workspace"))
        st.radio(
            "Langue · اللغة",
            list(i18n.LANGUAGES),
            format_func=i18n.LANGUAGES.get,
            key=i18n.LANG_KEY,
            horizontal=True,
        )
        st.radio(
            _("Section"),
            list(navigation.SECTIONS),
            format_func=lambda key: _(navigation.SECTIONS[key]),
            key=navigation.NAV_KEY,
            on_change=navigation.close_article,
        )
        st.caption(_("Data: `{path}`").format(path=settings.data_dir))
    if navigation.opened():
        article_view.render(settings)
    else:
        VIEWS[navigation.section()](settings)


if __name__ == "__main__":  # Streamlit runs the script as __main__; OCR worker processes (spawn) import it
    main()
