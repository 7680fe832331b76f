"""`jarida ui`: the Streamlit workspace for civil servants (run with `streamlit run app.py -- --data-dir DIR`)."""

from __future__ import annotations

import streamlit as st

from jarida.ui import article_view, ask_view, browse_view, dashboard_view, feedback_view, ingest_view, navigation
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
    with st.sidebar:
        st.title("jarida")
        st.caption("Bulletin officiel du Royaume du Maroc — espace de travail")
        st.radio(
            "Section",
            list(navigation.SECTIONS),
            format_func=navigation.SECTIONS.get,
            key=navigation.NAV_KEY,
            on_change=navigation.close_article,
        )
        st.caption(f"Data: `{settings.data_dir}`")
    if navigation.opened():
        article_view.render(settings)
    else:
        VIEWS[navigation.section()](settings)


if __name__ == "__main__":  # Streamlit runs the script as __main__; OCR worker processes (spawn) import it
    main()
