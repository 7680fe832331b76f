"""Ingest: upload PDFs and page images; the background worker reads and indexes them while the page stays live."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from jarida.ingest.sources import IMAGE_SUFFIXES, PDF_SUFFIXES
from jarida.settings import Settings

from .i18n import N_, _
from .resources import worker
from .worker import Job

UPLOAD_TYPES = sorted(s.lstrip(".") for s in PDF_SUFFIXES | IMAGE_SUFFIXES)
STATE_LABEL = {
    "queued": N_("⏳ queued"),
    "ingesting": N_("📄 reading pages"),
    "indexing": N_("🔎 indexing"),
    "done": N_("✅ done — searchable now"),
    "failed": N_("❌ failed"),
}
FILE_STATE = {"waiting": N_("waiting"), "reading": N_("reading"), "done": N_("done"), "error": N_("error"),
              "unchanged": N_("unchanged")}  # fmt: skip


def _state(state: str) -> str:
    return _(FILE_STATE[state]) if state in FILE_STATE else state


def safe_name(name: str) -> str:
    """A file name without directories or odd characters (sources are keyed by name)."""
    stem = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._")
    return stem or "upload"


def _save(settings: Settings, files: list) -> list[Path]:
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in files:
        path = folder / safe_name(f.name)
        path.write_bytes(f.getvalue())
        paths.append(path)
    return paths


def _job(job: Job) -> None:
    state = _(STATE_LABEL[job.state]) if job.state in STATE_LABEL else job.state
    st.markdown("**" + _("Job {id}").format(id=job.id) + f"** — {state}")
    for entry in job.files.values():
        if entry.record is None:
            total = entry.pages or 0
            fraction = entry.pages_done / total if total else 0.0
            text = (
                _("{name}: page {done} of {total}").format(name=entry.name, done=entry.pages_done, total=total or "?")
                if entry.state == "reading"
                else f"{entry.name}: {_state(entry.state)}"
            )
            st.progress(min(fraction, 1.0), text=text)
    records = [e.record for e in job.files.values() if e.record is not None]
    if records:
        st.dataframe(
            [
                {
                    _("file"): r.source,
                    _("status"): _state(r.status),
                    _("pages"): r.pages,
                    _("text layer"): r.text_pages,
                    _("OCR pages"): r.ocr_pages,
                    _("articles found"): r.articles,
                    _("seconds"): r.seconds,
                    _("error"): r.error,
                }
                for r in records
            ],
            hide_index=True,
        )
    if job.summary is not None:
        for error in job.summary.errors:
            st.error(error)
        unchanged = [e.name for e in job.files.values() if e.state == "unchanged"]
        if unchanged:
            st.info(_("Unchanged since the last ingest (skipped): {files}").format(files=", ".join(unchanged)))
    if job.indexed:
        st.caption(_("Index: {report}").format(report=job.indexed))
    if job.error:
        st.error(_("The job failed: {error}").format(error=job.error))


@st.fragment(run_every=1.0)
def progress_panel(settings: Settings) -> None:
    """Live job progress, refreshed every second by itself (the rest of the page is not rerun)."""
    jobs = worker(settings).jobs()
    busy = any(j.active for j in jobs)
    st.markdown(_("Worker: **{state}**").format(state=_("busy") if busy else _("idle")))
    for job in jobs[:5]:
        _job(job)


def render(settings: Settings) -> None:
    """The Ingest section."""
    st.header(_("Ingest new texts"))
    st.caption(
        _(
            "PDF issues of the Bulletin officiel (born-digital or scanned) and page images. Scanned pages are read "
            "with Tesseract (about 3 s a page); the texts are searchable as soon as the job is done."
        )
    )
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(_("Files"), type=UPLOAD_TYPES, accept_multiple_files=True, key="upload_files")
        start = st.form_submit_button(_("Ingest"), type="primary")
    if start:
        if not files:
            st.error(_("Choose at least one file."))
        else:
            job_id = worker(settings).submit(_save(settings, files))
            st.success(
                _("Job {id} started: {n} file(s). You can keep working while it runs.").format(id=job_id, n=len(files))
            )
    progress_panel(settings)
