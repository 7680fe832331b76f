"""Ask: a question with filters, the answer streamed, its citations (each opens the article), feedback, export."""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from jarida.retrieval.store import SearchFilter
from jarida.serving.answer import Answer
from jarida.settings import Settings
from jarida.types import Citation

from . import data, export, navigation
from .feedback import KINDS, VERDICTS, Feedback, FeedbackStore, gold_for
from .i18n import N_, _, current, lang_name, text_lang, type_label
from .resources import stack

LANGS = {"": N_("Any language"), "fr": "Français", "ar": "العربية"}
STATUS = {
    "grounded": ("success", N_("Grounded in the cited articles")),
    "no_match": ("warning", N_("No indexed article answers this question")),
    "llm_unavailable": ("warning", N_("Language model unavailable: closest articles, no written answer")),
}
KIND_LABELS = {
    "fact": N_("fact"), "deadline": N_("deadline"), "definition": N_("definition"), "number": N_("number"),
    "penalty": N_("penalty"), "procedure": N_("procedure"), "rights": N_("rights"), "unanswerable": N_("unanswerable"),
}  # fmt: skip
SEARCH_ONLY = {
    "fr": "Recherche seule : les articles les plus proches de la question, sans réponse rédigée.",
    "ar": "بحث فقط: أقرب المواد إلى السؤال، دون جواب محرر.",
}


def rtl_block(text: str, lang: str, css_class: str = "jarida-text") -> str:
    """HTML for a paragraph block: escaped, line breaks kept, right-to-left for Arabic."""
    direction = "rtl" if lang == "ar" else "ltr"
    align = "right" if lang == "ar" else "left"
    body = html.escape(text).replace("\n", "<br>")
    return (
        f'<div class="{css_class}" dir="{direction}" lang="{lang or "fr"}" '
        f'style="text-align:{align};line-height:1.7">{body}</div>'
    )


def passage_block(c: Citation) -> str:
    """HTML for the article's passage that matches the question, highlighted (<mark>), in the article's direction."""
    direction = "rtl" if c.lang == "ar" else "ltr"
    text = html.escape(c.passage or " ".join(c.excerpt.split())[:240])
    return (
        f'<div class="jarida-passage" dir="{direction}" lang="{c.lang or "fr"}" style="margin:0 0 1em;'
        f'line-height:1.7"><mark>{text}</mark></div>'
    )


def _filters(settings: Settings) -> SearchFilter:
    with data.article_store(settings) as store:
        laws = data.laws(store.db)
        types = data.text_types(store.db)
    titles = {law.law_id: f"{data.shown_title(law, current())[:70]} ({law.law_id})" for law in laws}
    c1, c2, c3, c4 = st.columns([1, 2, 1, 2])
    lang = c1.selectbox(_("Language"), list(LANGS), format_func=lambda k: _(LANGS[k]), key="f_lang")
    law = c2.selectbox(_("Law"), ["", *titles], format_func=lambda k: titles.get(k, _("Any law")), key="f_law")
    text_type = c3.selectbox(
        _("Text type"), ["", *types], format_func=lambda t: type_label(t) if t else _("Any type"), key="f_type"
    )
    dates = c4.date_input(
        _("Text date between"),
        value=(),
        min_value=dt.date(1900, 1, 1),
        key="f_dates",
        help=_("Leave empty for any date"),
        format="DD/MM/YYYY",
    )
    start = end = None
    if isinstance(dates, tuple | list) and dates:
        start = int(dates[0].strftime("%Y%m%d"))
        end = int(dates[-1].strftime("%Y%m%d"))
    return SearchFilter(
        lang=lang or None, law_id=law or None, text_type=text_type or None, date_from=start, date_to=end
    )


def _ask(settings: Settings, question: str, flt: SearchFilter, search_only: bool = False) -> Answer | None:
    """Stream the answer into the page; returns the checked Answer (search only: the closest articles)."""
    events = stack(settings).stream(question, flt, retrieval_only=search_only)
    with st.spinner(_("Searching the texts…")):  # waits for the indexer if it is writing (the Stack's index lock)
        next(events)  # the retrieved articles: the search itself
    box = st.empty()
    written = ""
    answer = None
    lang = text_lang(question)
    for event in events:
        if event.kind == "delta":
            written += event.text
            box.markdown(rtl_block(written + " ▌", lang, "jarida-stream"), unsafe_allow_html=True)
        elif event.kind == "done":
            answer = event.answer
    box.empty()
    if search_only and answer is not None and answer.status == "llm_unavailable":
        answer.notice = SEARCH_ONLY[answer.lang]
    return answer


def _citation_button(c: Citation, key: str) -> None:
    number = c.heading or (f"المادة {c.article}" if c.lang == "ar" else f"Article {c.article}")
    label = f"[{c.n}] {c.law_title[:60]} — {number} ({lang_name(c.lang)})"
    ref = c.bo_ref or _("BO reference not recorded")
    st.button(
        label,
        key=key,
        on_click=navigation.open_article,
        args=(c.law_id, c.article, c.lang),
        help=_("{ref} — open the article (French and Arabic editions)").format(ref=ref),
    )
    st.markdown(passage_block(c), unsafe_allow_html=True)


def show_answer(settings: Settings, answer: Answer) -> None:
    """The answer, its status, its citations as buttons to the article view, feedback and export."""
    kind, label = STATUS.get(answer.status, ("info", answer.status))
    if answer.notice in SEARCH_ONLY.values():
        kind, label = "info", N_("Search only: the closest articles, no written answer")
    getattr(st, kind)(_(label))
    if answer.answer:
        st.markdown(rtl_block(answer.answer, answer.lang, "jarida-answer"), unsafe_allow_html=True)
    if answer.notice:
        st.markdown(rtl_block(answer.notice, answer.lang, "jarida-notice"), unsafe_allow_html=True)
    for flag in answer.flags:
        st.caption(f"⚠ {flag}")
    cited = answer.citations
    if cited:
        st.subheader(_("Cited articles"))
        for c in cited:
            _citation_button(c, f"cite-{c.n}")
    others = [c for c in answer.retrieved if c not in cited]
    if others:  # every listed article shows its matching passage, refused answers included
        st.subheader(_("Closest articles (to check)") if not cited else _("Other retrieved articles"))
        for c in others:
            _citation_button(c, f"retrieved-{c.n}")
    _feedback_form(settings, answer)
    _export(answer)


def _feedback_form(settings: Settings, answer: Answer) -> None:
    with st.expander(_("Feedback on this answer"), expanded=False), st.form("feedback", clear_on_submit=True):
        verdict = st.radio(
            _("Verdict"), list(VERDICTS), format_func=lambda v: _(VERDICTS[v]), horizontal=True, key="fb_verdict"
        )
        st.caption(_("Wrong citation or missing article: give the article that answers the question."))
        c1, c2, c3 = st.columns([2, 1, 1])
        law_id = c1.text_input(_("Law id (e.g. loi-09-08)"), key="fb_law")
        article = c2.text_input(_("Article"), key="fb_article")
        kind = c3.selectbox(_("Question kind"), KINDS, format_func=lambda k: _(KIND_LABELS.get(k, k)), key="fb_kind")
        expected = st.text_area(_("Right answer (optional)"), key="fb_expected", height=70)
        comment = st.text_input(_("Comment (optional)"), key="fb_comment")
        if st.form_submit_button(_("Save feedback")):
            cited = [{"law_id": c.law_id, "article": c.article, "lang": c.lang} for c in answer.citations]
            named = [{"law_id": law_id, "article": article}] if law_id and article else []
            fb = Feedback(
                answer.question,
                answer.question_lang,
                answer.answer,
                answer.status,
                verdict,
                cited,
                gold_for(verdict, cited, named),
                expected,
                kind,
                comment,
            )
            store = FeedbackStore(settings.data_dir / "feedback.sqlite")
            try:
                st.session_state["feedback_saved"] = store.add(fb)
            finally:
                store.close()
    if saved := st.session_state.get("feedback_saved"):
        st.success(
            _("Feedback #{n} saved — see the Feedback section to export it as evaluation questions.").format(n=saved)
        )


def _export(answer: Answer) -> None:
    c1, c2, c3 = st.columns([1, 1, 3])
    c1.download_button(
        _("Export Markdown"),
        export.to_markdown(answer),
        file_name="jarida-answer.md",
        mime="text/markdown",
        key="export_md",
    )
    if c2.button(_("Prepare PDF"), key="export_pdf"):
        try:
            with st.spinner(_("Printing with Chromium…")):
                st.session_state["answer_pdf"] = export.to_pdf(answer)
        except export.ExportError as exc:
            st.session_state.pop("answer_pdf", None)
            c3.error(str(exc))
    if pdf := st.session_state.get("answer_pdf"):
        c3.download_button(
            _("Download PDF"), pdf, file_name="jarida-answer.pdf", mime="application/pdf", key="export_pdf_download"
        )


def render(settings: Settings) -> None:
    """The Ask section."""
    st.header(_("Ask the Bulletin officiel"))
    held = stack(settings)
    if held.llm_error:
        st.warning(
            _("The language model did not start ({error}): answers show the closest articles.").format(
                error=held.llm_error[:200]
            )
        )
    elif held.llm is None:
        st.info(_("The language model is switched off (setting `llm_enabled`): answers show the closest articles."))
    with st.form("ask"):
        question = st.text_input(
            _("Question (français, العربية, الدارجة)"),
            key="question",
            placeholder=_("E.g.: What penalties does law 09-08 provide?"),
        )
        flt = _filters(settings)
        c1, c2 = st.columns([1, 4])
        asked = c1.form_submit_button(_("Ask"), type="primary")
        search_only = c2.checkbox(_("Search only (the closest articles, no written answer: faster)"), key="search_only")
    if asked:
        if not question.strip():
            st.error(_("The question is empty."))
            return
        if held.retrieval.store.count() == 0:
            st.error(_("No indexed articles yet: ingest texts in the Ingest section first."))
            return
        st.session_state.pop("feedback_saved", None)
        st.session_state.pop("answer_pdf", None)
        st.session_state["answer"] = _ask(settings, question, flt, search_only)
    answer: Answer | None = st.session_state.get("answer")
    if answer is not None:
        asked_label = _("Question:")
        st.markdown(
            f"**{html.escape(asked_label)}** " + rtl_block(answer.question, text_lang(answer.question), "jarida-q"),
            unsafe_allow_html=True,
        )
        show_answer(settings, answer)
