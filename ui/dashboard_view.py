"""Corpus dashboard: texts by type, year and language; share of OCR pages; low-confidence pages to review."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from jarida.settings import Settings

from . import data, navigation
from .i18n import _, lang_name, type_label


def _review_button(settings: Settings, source: str, page: int, key: str) -> None:
    with data.article_store(settings) as store:
        article = data.first_article_on_page(store.db, source, page)
    if article is None:
        st.caption(_("no article on this page"))
        return
    st.button(
        _("See the scan"),
        key=key,
        on_click=navigation.open_article,
        args=(article.law_id, article.article, article.lang, True, page),
    )


def render(settings: Settings) -> None:
    """The Corpus section."""
    st.header(_("Corpus"))
    with data.article_store(settings) as store:
        figures = data.corpus_figures(store.db)
        articles = store.count()
    if not articles:
        st.info(_("The store is empty: ingest texts in the Ingest section."))
        return
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Articles"), str(articles))
    c2.metric(_("Source files"), figures.sources)
    c3.metric(
        _("Pages read by OCR"),
        f"{figures.ocr_share:.0%}",
        help=_("{ocr} OCR, {text} text layer").format(
            ocr=figures.pages_by_method.get("ocr", 0), text=figures.pages_by_method.get("text", 0)
        ),
    )
    under = _("OCR confidence under {n}").format(n=f"{data.LOW_CONFIDENCE:.0f}")
    c4.metric(_("Pages to review"), len(figures.low_confidence), help=under)
    left, right = st.columns(2)
    with left:
        st.subheader(_("Texts by type"))
        rows = [(type_label(t), lang_name(lang), n) for t, lang, n in figures.texts_by_type]
        frame = pd.DataFrame(rows, columns=[_("type"), _("language"), _("texts")])
        st.bar_chart(frame, x=_("type"), y=_("texts"), color=_("language"), stack=True)
    with right:
        st.subheader(_("Texts by year"))
        rows = [(year, lang_name(lang), n) for year, lang, n in figures.texts_by_year]
        frame = pd.DataFrame(rows, columns=[_("year"), _("language"), _("texts")])
        st.bar_chart(frame, x=_("year"), y=_("texts"), color=_("language"), stack=True)
    st.subheader(_("Articles by language"))
    rows = [(lang_name(lang), n) for lang, n in figures.articles_by_lang]
    st.dataframe(pd.DataFrame(rows, columns=[_("language"), _("articles")]), hide_index=True)
    st.subheader(_("Low-confidence OCR pages (under {n})").format(n=f"{data.LOW_CONFIDENCE:.0f}"))
    if not figures.low_confidence:
        st.success(_("No OCR page under the threshold."))
    for i, (source, page, confidence, lang) in enumerate(figures.low_confidence[:30]):
        c1, c2, c3 = st.columns([4, 1, 1])
        c1.markdown(f"`{source}` " + _("page {page} ({lang})").format(page=page, lang=lang_name(lang)))
        c2.markdown(_("confidence **{value}**").format(value=f"{confidence:.0f}"))
        with c3:
            _review_button(settings, source, page, f"review-{i}")
    if figures.errors:
        st.subheader(_("Files that failed"))
        st.dataframe(pd.DataFrame(figures.errors, columns=[_("file"), _("error")]), hide_index=True)
