"""Browse: law → hierarchy (Livre / Titre / Chapitre) → article, and direct look-up by reference."""

from __future__ import annotations

import streamlit as st

from jarida.retrieval.references import find_reference
from jarida.settings import Settings

from . import data, navigation
from .i18n import _, current, type_label

MAX_SHOWN = 150  # article buttons listed per division


def _lookup(settings: Settings) -> None:
    with st.form("lookup"):
        ref = st.text_input(
            _("Direct look-up"), key="lookup_ref", placeholder="article 3 de la loi 09-08 · المادة 3 من القانون 09.08"
        )
        go = st.form_submit_button(_("Open"))
    if not go or not ref.strip():
        return
    found = find_reference(ref)
    if found is None:
        st.error(
            _(
                "No law and article recognised: write e.g. « article 12 de la loi 09-08 » or "
                "« art. 53 code du travail »."
            )
        )
        return
    with data.article_store(settings) as store:
        editions = data.editions(store.db, found.law_id, found.article)
    if not editions:
        st.error(_("Article {article} of {law} is not in the store.").format(article=found.article, law=found.law_id))
        return
    navigation.open_article(found.law_id, found.article)
    st.rerun()


def render(settings: Settings) -> None:
    """The Browse section."""
    st.header(_("Browse the texts"))
    _lookup(settings)
    with data.article_store(settings) as store:
        laws = data.laws(store.db)
        if not laws:
            st.info(_("The store is empty: ingest texts in the Ingest section."))
            return
        count = _("{n} articles")
        names = {
            law.law_id: f"{data.shown_title(law, current())[:90]} ({law.law_id}, {count.format(n=law.articles)})"
            for law in laws
        }
        c1, c2 = st.columns([3, 1])
        law_id = c1.selectbox(_("Law"), list(names), format_func=names.get, key="browse_law")
        entry = next(law for law in laws if law.law_id == law_id)
        lang = c2.selectbox(
            _("Edition"), entry.langs, format_func={"fr": "Français", "ar": "العربية"}.get, key="browse_lang"
        )
        articles = data.law_articles(store.db, law_id, lang)
    groups = data.hierarchy(articles)
    st.caption(
        type_label(entry.text_type or "text")
        + " · "
        + _("{n} articles").format(n=len(articles))
        + " · "
        + _("{n} divisions").format(n=len(groups))
    )
    paths = list(groups)
    labels = {
        i: (" › ".join(path) if path else _("(no division)")) + " — " + _("{n} articles").format(n=len(groups[path]))
        for i, path in enumerate(paths)
    }
    chosen = st.selectbox(
        _("Division (Livre › Titre › Chapitre)"),
        list(labels),
        format_func=labels.get,
        key=f"browse_div_{law_id}_{lang}",
    )
    path = paths[chosen]
    if path:
        st.markdown("**" + " › ".join(path) + "**")
    for a in groups[path][:MAX_SHOWN]:
        label = a.heading or (f"Article {a.article}" if a.article else _("(document)"))
        preview = " ".join(a.text.split())[:90]
        st.button(
            f"{label} — {preview}",
            key=f"browse-{a.id}",
            on_click=navigation.open_article,
            args=(a.law_id, a.article, a.lang),
        )
    if len(groups[path]) > MAX_SHOWN:
        st.caption(_("{n} more: use the direct look-up above.").format(n=len(groups[path]) - MAX_SHOWN))
