"""Feedback: the verdicts given on answers, exported as evaluation questions (the dev.jsonl format)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from jarida.settings import Settings

from .feedback import VERDICTS, FeedbackStore, eval_rows, to_jsonl
from .i18n import _


def render(settings: Settings) -> None:
    """The Feedback section."""
    st.header(_("Feedback"))
    store = FeedbackStore(settings.data_dir / "feedback.sqlite")
    try:
        items = store.all()
    finally:
        store.close()
    if not items:
        st.info(_("No feedback yet: give a verdict under an answer in the Ask section."))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "#": f.id,
                    _("when"): dt.datetime.fromtimestamp(f.created).strftime("%d/%m/%Y %H:%M"),
                    _("verdict"): _(VERDICTS[f.verdict]) if f.verdict in VERDICTS else f.verdict,
                    _("question"): f.question,
                    _("language"): f.lang,
                    _("gold articles"): ", ".join(f"{g['law_id']} art. {g['article']}" for g in f.gold),
                    _("question kind"): f.kind,
                    _("comment"): f.comment,
                }
                for f in items
            ]
        ),
        hide_index=True,
    )
    rows, skipped = eval_rows(items)
    st.subheader(_("Export as evaluation questions"))
    st.caption(
        _("{n} questions in the format of ../shared/eval/dev.jsonl").format(n=len(rows))
        + (_("; {n} verdict(s) left out: no gold article named").format(n=skipped) if skipped else "")
    )
    jsonl = to_jsonl(rows)
    c1, c2 = st.columns(2)
    c1.download_button(
        _("Download JSONL"),
        jsonl,
        file_name="feedback-eval.jsonl",
        mime="application/jsonl",
        key="fb_download",
        disabled=not rows,
    )
    if c2.button(_("Save to the data dir"), key="fb_save", disabled=not rows):
        path = settings.data_dir / "feedback" / "feedback-eval.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(jsonl, encoding="utf-8")
        st.success(_("Written to {path} ({n} questions).").format(path=path, n=len(rows)))
    st.code(jsonl or _("(nothing to export)"), language="json")
