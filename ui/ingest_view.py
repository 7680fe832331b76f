"""Ingest: upload PDFs and page images; the background worker reads and indexes them while the page stays live."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from jarida.ingest.sources import IMAGE_SUFFIXES, PDF_SUFFIXES
from jarida.settings import Settings

from .resources import worker
from .worker import Job

UPLOAD_TYPES = sorted(s.lstrip(".") for s in PDF_SUFFIXES | IMAGE_SUFFIXES)
STATE_LABEL = {
    "queued": "⏳ queued",
    "ingesting": "📄 reading pages",
    "indexing": "🔎 indexing",
    "done": "✅ done — searchable now",
    "failed": "❌ failed",
}


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
    st.markdown(f"**Job {job.id}** — {STATE_LABEL.get(job.state, job.state)}")
    for entry in job.files.values():
        if entry.record is None:
            total = entry.pages or 0
            fraction = entry.pages_done / total if total else 0.0
            text = (
                f"{entry.name}: page {entry.pages_done} of {total or '?'}"
                if entry.state == "reading"
                else (f"{entry.name}: {entry.state}")
            )
            st.progress(min(fraction, 1.0), text=text)
    records = [e.record for e in job.files.values() if e.record is not None]
    if records:
        st.dataframe(
            [
                {
                    "file": r.source,
                    "status": r.status,
                    "pages": r.pages,
                    "text layer": r.text_pages,
                    "OCR pages": r.ocr_pages,
                    "articles found": r.articles,
                    "seconds": r.seconds,
                    "error": r.error,
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
            st.info(f"Unchanged since the last ingest (skipped): {', '.join(unchanged)}")
    if job.indexed:
        st.caption(f"Index: {job.indexed}")
    if job.error:
        st.error(f"The job failed: {job.error}")


@st.fragment(run_every=1.0)
def progress_panel(settings: Settings) -> None:
    """Live job progress, refreshed every second by itself (the rest of the page is not rerun)."""
    jobs = worker(settings).jobs()
    busy = any(j.active for j in jobs)
    st.markdown(f"Worker: **{'busy' if busy else 'idle'}**")
    for job in jobs[:5]:
        _job(job)


def render(settings: Settings) -> None:
    """The Ingest section."""
    st.header("Ingest new texts")
    st.caption(
        "PDF issues of the Bulletin officiel (born-digital or scanned) and page images. Scanned pages are read "
        "with Tesseract (about 3 s a page); the texts are searchable as soon as the job is done."
    )
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader("Files", type=UPLOAD_TYPES, accept_multiple_files=True, key="upload_files")
        start = st.form_submit_button("Ingest", type="primary")
    if start:
        if not files:
            st.error("Choose at least one file.")
        else:
            job_id = worker(settings).submit(_save(settings, files))
            st.success(f"Job {job_id} started: {len(files)} file(s). You can keep working while it runs.")
    progress_panel(settings)
