"""Feedback: the verdicts given on answers, exported as evaluation questions (the dev.jsonl format)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from jarida.settings import Settings

from .feedback import VERDICTS, FeedbackStore, eval_rows, to_jsonl


def render(settings: Settings) -> None:
    """The Feedback section."""
    st.header("Feedback")
    store = FeedbackStore(settings.data_dir / "feedback.sqlite")
    try:
        items = store.all()
    finally:
        store.close()
    if not items:
        st.info("No feedback yet: give a verdict under an answer in the Ask section.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "#": f.id,
                    "when": dt.datetime.fromtimestamp(f.created).strftime("%Y-%m-%d %H:%M"),
                    "verdict": VERDICTS.get(f.verdict, f.verdict),
                    "question": f.question,
                    "lang": f.lang,
                    "gold": ", ".join(f"{g['law_id']} art. {g['article']}" for g in f.gold),
                    "kind": f.kind,
                    "comment": f.comment,
                }
                for f in items
            ]
        ),
        hide_index=True,
    )
    rows, skipped = eval_rows(items)
    st.subheader("Export as evaluation questions")
    st.caption(
        f"{len(rows)} questions in the format of ../shared/eval/dev.jsonl"
        + (f"; {skipped} verdict(s) left out: no gold article named" if skipped else "")
    )
    jsonl = to_jsonl(rows)
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download JSONL",
        jsonl,
        file_name="feedback-eval.jsonl",
        mime="application/jsonl",
        key="fb_download",
        disabled=not rows,
    )
    if c2.button("Save to the data dir", key="fb_save", disabled=not rows):
        path = settings.data_dir / "feedback" / "feedback-eval.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(jsonl, encoding="utf-8")
        st.success(f"Written to {path} ({len(rows)} questions).")
    st.code(jsonl or "(nothing to export)", language="json")
