"""Corpus dashboard: texts by type, year and language; share of OCR pages; low-confidence pages to review."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from jarida.settings import Settings

from . import data, navigation


def _review_button(settings: Settings, source: str, page: int, key: str) -> None:
    with data.article_store(settings) as store:
        article = data.first_article_on_page(store.db, source, page)
    if article is None:
        st.caption("no article on this page")
        return
    st.button(
        "See the scan",
        key=key,
        on_click=navigation.open_article,
        args=(article.law_id, article.article, article.lang, True, page),
    )


def render(settings: Settings) -> None:
    """The Corpus section."""
    st.header("Corpus")
    with data.article_store(settings) as store:
        figures = data.corpus_figures(store.db)
        articles = store.count()
    if not articles:
        st.info("The store is empty: ingest texts in the Ingest section.")
        return
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Articles", f"{articles:,}")
    c2.metric("Source files", figures.sources)
    c3.metric(
        "Pages read by OCR",
        f"{figures.ocr_share:.0%}",
        help=f"{figures.pages_by_method.get('ocr', 0)} OCR, {figures.pages_by_method.get('text', 0)} text layer",
    )
    c4.metric("Pages to review", len(figures.low_confidence), help=f"OCR confidence under {data.LOW_CONFIDENCE:.0f}")
    left, right = st.columns(2)
    with left:
        st.subheader("Texts by type")
        frame = pd.DataFrame(figures.texts_by_type, columns=["type", "lang", "texts"])
        st.bar_chart(frame, x="type", y="texts", color="lang", stack=True)
    with right:
        st.subheader("Texts by year")
        frame = pd.DataFrame(figures.texts_by_year, columns=["year", "lang", "texts"])
        st.bar_chart(frame, x="year", y="texts", color="lang", stack=True)
    st.subheader("Articles by language")
    st.dataframe(pd.DataFrame(figures.articles_by_lang, columns=["lang", "articles"]), hide_index=True)
    st.subheader(f"Low-confidence OCR pages (under {data.LOW_CONFIDENCE:.0f})")
    if not figures.low_confidence:
        st.success("No OCR page under the threshold.")
    for i, (source, page, confidence, lang) in enumerate(figures.low_confidence[:30]):
        c1, c2, c3 = st.columns([4, 1, 1])
        c1.markdown(f"`{source}` page {page} ({lang})")
        c2.markdown(f"confidence **{confidence:.0f}**")
        with c3:
            _review_button(settings, source, page, f"review-{i}")
    if figures.errors:
        st.subheader("Files that failed")
        st.dataframe(pd.DataFrame(figures.errors, columns=["file", "error"]), hide_index=True)
