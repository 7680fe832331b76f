"""An article: French and Arabic editions side by side (Arabic right-to-left), BO reference, and its scan."""

from __future__ import annotations

import html

import streamlit as st

from jarida.catalogue import display_title
from jarida.settings import Settings
from jarida.types import Article

from . import data, navigation
from .ask_view import rtl_block
from .i18n import N_, _
from .scan import ScanUnavailable, render_scan

LANG_NAMES = {"fr": "Édition française", "ar": "النسخة العربية"}  # each edition is named in its own language
METHODS = {"text": N_("text layer"), "ocr": "OCR", "digitised": N_("digitised text")}


def _edition(article: Article | None, lang: str, target: dict) -> None:
    st.markdown(f"#### {LANG_NAMES[lang]}")
    if article is None:
        st.info(_("No edition in this language in the store."))
        return
    shown = display_title(article.law_id, lang, article.law_title, article.text_type, article.article)
    title = rtl_block(shown, lang, "jarida-law-title")
    number = f"المادة {article.article}" if lang == "ar" else f"Article {article.article}"  # in the edition's language
    heading = rtl_block(article.heading or number, lang, "jarida-heading")
    st.markdown(f"<div style='font-weight:600'>{title}{heading}</div>", unsafe_allow_html=True)
    if article.breadcrumb:
        st.markdown(rtl_block(" › ".join(article.breadcrumb), lang, "jarida-breadcrumb"), unsafe_allow_html=True)
    st.markdown(
        rtl_block(article.text or _("(text not printed: repealed or empty)"), lang, f"jarida-article-{lang}"),
        unsafe_allow_html=True,
    )
    ref = article.bo_ref or _("BO reference not recorded")
    pages = ", ".join(map(str, article.pages))
    where = _("{source}, p. {pages}").format(source=article.source, pages=pages) if article.pages else article.source
    method = _(METHODS.get(article.method, article.method))
    if article.ocr_confidence is not None:
        method += " — " + _("OCR confidence {value}").format(value=f"{article.ocr_confidence:.0f}")
    st.caption(f"**{html.escape(ref)}** — {html.escape(where)} ({html.escape(method)})")
    st.button(
        _("See the scan"),
        key=f"scan-{lang}",
        on_click=navigation.open_article,
        args=(article.law_id, article.article, lang, True),
        help=_("Digitised text: no scan") if article.method == "digitised" else _("The source page, article marked"),
    )
    if article.method == "digitised":
        st.caption(_("Digitised text (JSONL): there is no scanned page for this edition."))


def _scan(settings: Settings, article: Article, page: int | None) -> None:
    with data.article_store(settings) as store:
        try:
            scan = render_scan(settings, store, article, page)
        except ScanUnavailable as exc:
            st.info(str(exc))
            return
    conf = f"{scan.confidence:.0f}/100" if scan.confidence is not None else "—"
    method = "OCR" if scan.method == "ocr" else _("Text layer")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Page"), f"{scan.page}")
    c2.metric(_("Read by"), method, help=_("OCR: Tesseract on the page image; text layer: the PDF's own text"))
    c3.metric(_("OCR confidence"), conf if scan.method == "ocr" else _("n/a"))
    c4.metric(_("Article words found"), f"{scan.coverage:.0%}")
    if scan.method == "ocr" and scan.confidence is not None and scan.confidence < data.LOW_CONFIDENCE:
        st.warning(_("Low OCR confidence on this page: compare the stored text with the scan carefully."))
    if len(scan.pages) > 1:
        st.radio(
            _("Page"),
            scan.pages,
            index=scan.pages.index(scan.page),
            horizontal=True,
            key="scan_page",
            on_change=lambda: navigation.open_article(
                article.law_id, article.article, article.lang, True, st.session_state["scan_page"]
            ),
        )
    if scan.note:
        st.warning(scan.note)
    left, right = st.columns([3, 2])
    caption = _("{source}, page {page} — the article's lines are marked").format(source=article.source, page=scan.page)
    left.image(scan.image, caption=caption, width="stretch")
    with right:
        heading = article.heading or f"Article {article.article}"
        stored = _("stored text")
        st.markdown(f"**{html.escape(heading)}** — {html.escape(stored)}")
        st.markdown(rtl_block(article.text, article.lang, "jarida-scan-text"), unsafe_allow_html=True)


def render(settings: Settings) -> None:
    """The opened article, or its scan when asked."""
    target = navigation.opened() or {}
    st.button(_("← Back"), key="back", on_click=navigation.close_article)
    with data.article_store(settings) as store:
        found = data.editions(store.db, target.get("law_id", ""), target.get("article", ""))
    if not found:
        st.error(
            _("Article {article} of {law} is not in the store.").format(
                article=target.get("article"), law=target.get("law_id")
            )
        )
        return
    first = found.get(target.get("lang") or "") or found.get("fr") or found.get("ar")
    assert first is not None
    title = display_title(first.law_id, first.lang, first.law_title, first.text_type, first.article)
    st.header(f"{title} — {first.heading or 'Article ' + first.article}")
    ref = next((a.bo_ref for a in found.values() if a.bo_ref), "")
    ref_text, word = ref or _("reference not recorded"), _("article")
    st.markdown(
        f"**Bulletin officiel :** {html.escape(ref_text)} · `{first.law_id}` — {html.escape(word)} `{first.article}`"
    )
    if target.get("scan"):
        st.subheader(_("See the scan"))
        st.button(
            _("Show both editions"),
            key="to-text",
            on_click=navigation.open_article,
            args=(first.law_id, first.article, first.lang),
        )
        _scan(settings, first, target.get("page"))
        return
    left, right = st.columns(2)
    with left:
        _edition(found.get("fr"), "fr", target)
    with right:
        _edition(found.get("ar"), "ar", target)
