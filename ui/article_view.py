"""An article: French and Arabic editions side by side (Arabic right-to-left), BO reference, and its scan."""

from __future__ import annotations

import html

import streamlit as st

from jarida.settings import Settings
from jarida.types import Article

from . import data, navigation
from .ask_view import rtl_block
from .scan import ScanUnavailable, render_scan

LANG_NAMES = {"fr": "Édition française", "ar": "النسخة العربية"}


def _edition(article: Article | None, lang: str, target: dict) -> None:
    st.markdown(f"#### {LANG_NAMES[lang]}")
    if article is None:
        st.info("No edition in this language in the store." if lang == "fr" else "لا توجد نسخة عربية في المتن.")
        return
    title = rtl_block(article.law_title, lang, "jarida-law-title")
    heading = rtl_block(article.heading or f"Article {article.article}", lang, "jarida-heading")
    st.markdown(f"<div style='font-weight:600'>{title}{heading}</div>", unsafe_allow_html=True)
    if article.breadcrumb:
        st.markdown(rtl_block(" › ".join(article.breadcrumb), lang, "jarida-breadcrumb"), unsafe_allow_html=True)
    st.markdown(
        rtl_block(article.text or "(text not printed: repealed or empty)", lang, f"jarida-article-{lang}"),
        unsafe_allow_html=True,
    )
    ref = article.bo_ref or "BO reference not recorded"
    where = f"{article.source}, p. {', '.join(map(str, article.pages))}" if article.pages else article.source
    conf = f" — OCR confidence {article.ocr_confidence:.0f}" if article.ocr_confidence is not None else ""
    st.caption(f"**{html.escape(ref)}** — {html.escape(where)} ({article.method}{conf})")
    st.button(
        "See the scan",
        key=f"scan-{lang}",
        on_click=navigation.open_article,
        args=(article.law_id, article.article, lang, True),
        help="Digitised text: no scan" if article.method == "digitised" else "The source page, article marked",
    )
    if article.method == "digitised":
        st.caption("Digitised text (JSONL): there is no scanned page for this edition.")


def _scan(settings: Settings, article: Article, page: int | None) -> None:
    with data.article_store(settings) as store:
        try:
            scan = render_scan(settings, store, article, page)
        except ScanUnavailable as exc:
            st.info(str(exc))
            return
    conf = f"{scan.confidence:.0f}/100" if scan.confidence is not None else "—"
    method = "OCR" if scan.method == "ocr" else "Text layer"
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Page", f"{scan.page}")
    c2.metric("Read by", method, help="OCR: Tesseract on the page image; text layer: the PDF's own text")
    c3.metric("OCR confidence", conf if scan.method == "ocr" else "n/a")
    c4.metric("Article words found", f"{scan.coverage:.0%}")
    if scan.method == "ocr" and scan.confidence is not None and scan.confidence < data.LOW_CONFIDENCE:
        st.warning("Low OCR confidence on this page: compare the stored text with the scan carefully.")
    if len(scan.pages) > 1:
        st.radio(
            "Page",
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
    left.image(
        scan.image, caption=f"{article.source}, page {scan.page} — the article's lines are marked", width="stretch"
    )
    with right:
        st.markdown(f"**{html.escape(article.heading or 'Article ' + article.article)}** — stored text")
        st.markdown(rtl_block(article.text, article.lang, "jarida-scan-text"), unsafe_allow_html=True)


def render(settings: Settings) -> None:
    """The opened article, or its scan when asked."""
    target = navigation.opened() or {}
    st.button("← Back", key="back", on_click=navigation.close_article)
    with data.article_store(settings) as store:
        found = data.editions(store.db, target.get("law_id", ""), target.get("article", ""))
    if not found:
        st.error(f"Article {target.get('article')} of {target.get('law_id')} is not in the store.")
        return
    first = found.get(target.get("lang") or "") or found.get("fr") or found.get("ar")
    assert first is not None
    st.header(f"{first.law_title} — {first.heading or 'Article ' + first.article}")
    ref = next((a.bo_ref for a in found.values() if a.bo_ref), "")
    st.markdown(
        f"**Bulletin officiel:** {html.escape(ref) if ref else 'reference not recorded'} · "
        f"`{first.law_id}` article `{first.article}`"
    )
    if target.get("scan"):
        st.subheader("See the scan")
        st.button(
            "Show both editions",
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
