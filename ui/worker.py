"""The background ingest worker: uploaded files are ingested and indexed in a thread, outside any script run.

The Streamlit script only submits jobs and reads snapshots of their progress, so it stays responsive while
Tesseract works. After each job the incremental indexer makes the new articles searchable.
"""

from __future__ import annotations

import copy
import io
import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from jarida.ingest.pipeline import IngestSummary, ingest
from jarida.records import SourceRecord
from jarida.settings import Settings


@dataclass
class FileProgress:
    """One file of a job: pages read so far and, once done, what ingest stored."""

    name: str
    pages_done: int = 0
    pages: int = 0
    state: str = "waiting"  # waiting | reading | done | error | unchanged
    record: SourceRecord | None = None


@dataclass
class Job:
    """One submitted batch of files."""

    id: int
    paths: list[Path]
    files: dict[str, FileProgress] = field(default_factory=dict)
    state: str = "queued"  # queued | ingesting | indexing | done | failed
    summary: IngestSummary | None = None
    indexed: str = ""  # what the indexer did, in words
    error: str = ""
    submitted: float = field(default_factory=time.time)
    finished: float = 0.0

    @property
    def active(self) -> bool:
        return self.state in ("queued", "ingesting", "indexing")


IndexFn = Callable[[], str]  # brings the search index up to date; returns a one-line report


class IngestWorker:
    """A daemon thread that runs ingest jobs one after the other."""

    def __init__(self, settings: Settings, index_fn: IndexFn | None = None) -> None:
        self.settings, self.index_fn = settings, index_fn
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._thread = threading.Thread(target=self._run, name="jarida-ingest", daemon=True)
        self._thread.start()

    def submit(self, paths: list[Path]) -> int:
        """Queue files for ingest; returns the job id at once."""
        job = Job(next(self._ids), list(paths), {p.name: FileProgress(p.name) for p in paths})
        with self._lock:
            self._jobs.append(job)
        self._queue.put(job)
        return job.id

    def jobs(self) -> list[Job]:
        """Snapshots of every job, newest first (safe to read while the worker runs)."""
        with self._lock:
            return [copy.deepcopy(j) for j in reversed(self._jobs)]

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(j.active for j in self._jobs)

    def wait(self, timeout: float) -> bool:
        """Block until no job is active (for scripts and tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.busy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def stop(self) -> None:
        """Let the thread end after the current job."""
        self._queue.put(None)

    def _update(self, job: Job, **changes: object) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(job, key, value)

    def _progress(self, job: Job, name: str, done: int, total: int) -> None:
        with self._lock:
            entry = job.files.setdefault(name, FileProgress(name))
            entry.pages_done, entry.pages, entry.state = done, total, "reading"

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._update(job, state="ingesting")
            try:
                quiet = Console(file=io.StringIO(), force_terminal=False)
                summary = ingest(job.paths, self.settings, quiet, on_progress=lambda *a, j=job: self._progress(j, *a))
                with self._lock:
                    job.summary = summary
                    for record in summary.per_file:
                        entry = job.files.setdefault(record.source, FileProgress(record.source))
                        entry.record, entry.state = record, record.status
                        entry.pages_done = entry.pages = record.pages or entry.pages
                    for entry in job.files.values():
                        if entry.state == "waiting":
                            entry.state = "unchanged"
                    job.state = "indexing" if self.index_fn else "done"
                if self.index_fn:
                    self._update(job, indexed=self.index_fn(), state="done")
            except Exception as exc:  # the worker must survive any job
                self._update(job, state="failed", error=f"{exc!r}\n{traceback.format_exc(limit=3)}")
            self._update(job, finished=time.time())
