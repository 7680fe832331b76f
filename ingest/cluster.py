"""`jarida ingest --cluster`: the page work of `reading.py` as Ray tasks; parsing and the store stay on the driver.

The tasks are the local path's own functions: `reading.check_layers` (32 pages: text layer, layer check, size
check, blank test) and `ocr.ocr_task` (one page: render, Tesseract with `OMP_THREAD_LIMIT=1`), one CPU each, so a
node runs one Tesseract per core. A task whose worker dies (killed, out of memory, node lost) is run again by Ray,
up to `RETRIES` times; a page that still fails makes its file an error, as on one machine.

Shared paths: input files and the data dir are read and written at the paths the driver names (absolute), so
every node mounts them at the same place (NFS or similar). The OCR cache, `data_dir/cache/ocr`, is therefore
shared by all nodes: a page OCR'd by any node, in any run, is not OCR'd again — what makes a rerun after a killed
driver cheap. The driver reads up to `FILES_AHEAD` files at once, so the next file's pages fill the cores while
the last pages of one finish; it parses and stores them in order, the only writer of the article store.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from jarida.settings import Settings

from .errors import SourceError
from .ocr import OcrPage, OcrTask, ocr_task, single_threaded_tesseract
from .reading import LayerJob, PageRead, check_layers, read_pages
from .sources import SourceFile

RETRIES = 3  # runs of a task after its worker died
FILES_AHEAD = 4  # files whose pages are in flight at once
SHARED_PATH_HINT = "put the input files and the data dir on a path that every Ray node mounts (README, Scaling)"


def _reachable(path: str) -> None:
    if not Path(path).exists():
        raise SourceError(Path(path).name, f"not found on Ray node {socket.gethostname()}", SHARED_PATH_HINT)


def layers_on_worker(job: LayerJob) -> list[tuple[PageRead, OcrTask | None]]:
    """`check_layers` in a Ray worker."""
    _reachable(job.path)
    return check_layers(job)


def ocr_on_worker(task: OcrTask) -> OcrPage:
    """`ocr_task` in a Ray worker: one Tesseract thread, as in the local pool."""
    _reachable(task.path)
    with single_threaded_tesseract():
        return ocr_task(task)


class _Stopped(Exception):
    """The reader was closed while a file was being read."""


@dataclass
class RayRunner:
    """A `reading.PageRunner` over Ray: each job or page a task, at most `limit` in flight (None: the cluster's)."""

    ray: ModuleType
    remotes: dict[Callable, object]  # layers_on_worker and ocr_on_worker as Ray remote functions
    source: str
    limit: int | None
    stop: threading.Event

    def layers(self, jobs: list[LayerJob]) -> Iterator[list[tuple[PageRead, OcrTask | None]]]:
        return self._run(self.remotes[layers_on_worker], jobs)

    def ocr(self, tasks: list[OcrTask], on_done: Callable[[OcrPage], None]) -> Iterator[OcrPage]:
        for page in self._run(self.remotes[ocr_on_worker], tasks):
            on_done(page)
            yield page

    def _run(self, remote, items: list) -> Iterator:
        ray, queue, pending = self.ray, list(reversed(items)), {}
        try:
            while queue or pending:
                while queue and (self.limit is None or len(pending) < self.limit):
                    item = queue.pop()
                    pending[remote.remote(item)] = item
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                if self.stop.is_set():
                    raise _Stopped
                if ready:  # and whatever else finished meanwhile
                    rest = [ref for ref in pending if ref not in ready]
                    ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0] if rest else []
                for ref in ready:
                    del pending[ref]
                    yield self._result(ref)
        finally:  # a failed page (or a closed reader) cancels the pages not started yet
            for ref in pending:
                ray.cancel(ref)

    def _result(self, ref: object) -> object:
        ray = self.ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, SourceError):
                raise exc.cause from None
            raise SourceError(self.source, f"a Ray task failed ({type(exc.cause).__name__}: {exc.cause})") from exc
        except ray.exceptions.RayError as exc:  # its worker died more than RETRIES times
            problem = f"a Ray worker reading it died {RETRIES + 1} times ({type(exc).__name__})"
            raise SourceError(self.source, problem, "check the nodes' memory and logs, then run again") from exc


@dataclass
class _Reading:
    future: Future = field(default_factory=Future)
    pages_done: int = 0


class ClusterReader:
    """Reads files' pages on the cluster, `FILES_AHEAD` at a time, and hands them over in the driver's order."""

    def __init__(self, ray: ModuleType, settings: Settings, workers: int | None = None) -> None:
        self.ray, self.settings, self.workers = ray, settings, workers
        options = {"num_cpus": 1, "max_retries": RETRIES}
        self._remotes = {fn: ray.remote(**options)(fn) for fn in (layers_on_worker, ocr_on_worker)}
        self._queue: list[SourceFile] = []
        self._reading: dict[Path, _Reading] = {}
        self._stop = threading.Event()

    def start(self, sources: list[SourceFile]) -> None:
        """The files about to be read, in order: the first `FILES_AHEAD` start at once."""
        self._queue = [s for s in sources if s.kind in ("pdf", "image")]
        self._fill()

    def read(self, src: SourceFile, on_page: Callable[[], None]) -> list[PageRead]:
        """`src`'s pages (started now unless already under way), calling `on_page` once per page read."""
        if src.path not in self._reading:
            self._queue = [s for s in self._queue if s.path != src.path]
            self._begin(src)
        reading, told = self._reading[src.path], 0
        try:
            while True:
                finished = wait([reading.future], timeout=0.2).done
                for _ in range(reading.pages_done - told):
                    on_page()
                told = reading.pages_done
                if finished:
                    return reading.future.result()
        finally:
            del self._reading[src.path]
            self._fill()

    def close(self) -> None:
        """Stop the files under way (their pending pages are cancelled)."""
        self._queue = []
        self._stop.set()

    def _fill(self) -> None:
        while self._queue and len(self._reading) < FILES_AHEAD and not self._stop.is_set():
            self._begin(self._queue.pop(0))

    def _begin(self, src: SourceFile) -> None:
        reading = self._reading[src.path] = _Reading()
        runner = RayRunner(self.ray, self._remotes, src.name, self.workers, self._stop)

        def tick() -> None:
            reading.pages_done += 1

        def work() -> None:
            try:
                reading.future.set_result(read_pages(src, self.settings, tick, runner))
            except BaseException as exc:  # handed to the driver's thread with the file
                reading.future.set_exception(exc)

        threading.Thread(target=work, name=f"read {src.name}", daemon=True).start()
