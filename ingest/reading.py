"""Read a source's pages: the PDF text layer where it is good, Tesseract where it is not.

The page work is two functions, `check_layers` (a range of PDF pages: text layer, layer check, size check, blank
test) and `ocr.ocr_task` (one page: render, Tesseract). A `PageRunner` decides where they run: `LocalRunner` runs
the layer check in this process and OCR in a pool of one Tesseract process per core; `jarida.ingest.cluster`
runs both as Ray tasks. `read_pages` assembles their results the same way for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from jarida.normalize import repair_lam_alef, strip_bidi
from jarida.settings import Settings

from .errors import SourceError
from .ocr import OcrPage, OcrTask, ocr_pages
from .pdf import PAGE_TOO_LARGE_HINT, Line, fit_dpi, is_blank, open_pdf, page_too_large, text_layer_lines
from .quality import assess_layer
from .sources import SourceFile

LAYER_PAGES = 32  # pages per layer-check job (≈ 0.25 s of work: progress moves, a PDF opens in ≈ 7 ms)


@dataclass
class PageRead:
    """One page as read: its lines, how, in which language, and how sure OCR was."""

    number: int  # 1-based
    lines: list[Line] = field(default_factory=list)
    method: str = "text"
    lang: str = "fr"
    confidence: float | None = None
    reason: str = ""
    image_hash: str = ""


@dataclass(frozen=True)
class LayerJob:
    """PDF pages `first` ≤ index < `stop` of `path` to check, with what an OCR task for them needs."""

    path: str
    first: int
    stop: int
    ocr_dpi: int
    max_page_pixels: int
    cache_dir: str


def layer_jobs(path: Path, count: int, settings: Settings) -> list[LayerJob]:
    """The pages of a PDF of `count` pages as layer-check jobs of `LAYER_PAGES` pages."""
    args = (settings.ocr_dpi, settings.max_page_pixels, str(settings.cache_dir.resolve()))
    return [LayerJob(str(path), i, min(i + LAYER_PAGES, count), *args) for i in range(0, count, LAYER_PAGES)]


def check_layers(job: LayerJob) -> list[tuple[PageRead, OcrTask | None]]:
    """Each page of the job read from its text layer, found blank, or given an OCR task (a SourceError for a page
    too large to render)."""
    out: list[tuple[PageRead, OcrTask | None]] = []
    pdf = open_pdf(Path(job.path))
    try:
        for index in range(job.first, job.stop):
            pdf_page = pdf[index]
            try:
                lines = text_layer_lines(pdf_page)
            except Exception as exc:  # pdfium can fail on one damaged page: OCR it instead
                lines, verdict_reason = [], f"text layer unreadable ({exc})"
            else:
                verdict_reason = ""
            verdict = assess_layer("\n".join(ln.text for ln in lines))
            page = PageRead(index + 1, lang=verdict.lang, reason=verdict_reason or verdict.reason)
            dpi = job.ocr_dpi if verdict.usable else fit_dpi(pdf_page, job.ocr_dpi, job.max_page_pixels)
            if not dpi:  # checked before any rendering, the cheap blank test's included
                problem = page_too_large(pdf_page, job.ocr_dpi, job.max_page_pixels)
                raise SourceError(Path(job.path).name, problem, PAGE_TOO_LARGE_HINT, index + 1)
            blank = verdict.reason == "no text layer" and not verdict_reason and is_blank(pdf_page)
            pdf_page.close()
            task = None
            if verdict.usable:
                for line in lines:
                    line.text = strip_bidi(repair_lam_alef(line.text) if verdict.lang == "ar" else line.text)
                page.lines = lines
            elif blank:  # nothing printed: no Tesseract run for it
                page.method, page.reason = "blank", "blank page"
            else:
                page.method = "ocr"
                lang = None if verdict.reason == "no text layer" else verdict.lang
                task = OcrTask(job.path, index, "pdf", dpi, lang, job.cache_dir)
            out.append((page, task))
    finally:
        pdf.close()
    return out


class PageRunner(Protocol):
    """Where the page work runs: results are yielded as they finish (any order)."""

    def layers(self, jobs: list[LayerJob]) -> Iterator[list[tuple[PageRead, OcrTask | None]]]: ...
    def ocr(self, tasks: list[OcrTask], on_done: Callable[[OcrPage], None]) -> Iterable[OcrPage]: ...


@dataclass(frozen=True)
class LocalRunner:
    """This machine: the layer check in this process, OCR in `workers` Tesseract processes."""

    workers: int

    def layers(self, jobs: list[LayerJob]) -> Iterator[list[tuple[PageRead, OcrTask | None]]]:
        return map(check_layers, jobs)

    def ocr(self, tasks: list[OcrTask], on_done: Callable[[OcrPage], None]) -> Iterable[OcrPage]:
        return ocr_pages(tasks, self.workers, on_done=on_done)


def read_pages(
    src: SourceFile, settings: Settings, on_page: Callable[[], None] | None = None, runner: PageRunner | None = None
) -> list[PageRead]:
    """Every page of a PDF or image file, in order; OCR runs in parallel (`runner`: one Tesseract per core here)."""
    tick = on_page or (lambda: None)
    run = runner or LocalRunner(settings.ocr_workers)
    pages: list[PageRead] = []
    tasks: list[OcrTask] = []
    if src.kind == "pdf":
        pdf = open_pdf(src.path)
        count = len(pdf)
        pdf.close()
        if count > settings.max_pages:
            problem = f"{count} pages, over the limit of {settings.max_pages}"
            raise SourceError(src.name, problem, "split the file, or raise JARIDA_MAX_PAGES")
        found: dict[int, PageRead] = {}
        for results in run.layers(layer_jobs(src.path, count, settings)):
            for page, task in results:
                found[page.number] = page
                if task is None:
                    tick()
                else:
                    tasks.append(task)
        pages = [found[n] for n in range(1, count + 1)]
        tasks.sort(key=lambda t: t.page_index)
    else:
        try:
            with Image.open(src.path) as img:
                count = getattr(img, "n_frames", 1)
        except (UnidentifiedImageError, OSError) as exc:
            raise SourceError(src.name, f"not a readable image ({exc})", "re-scan or convert to PNG") from exc
        if count > settings.max_pages:
            raise SourceError(src.name, f"{count} frames, over the limit of {settings.max_pages}", "split the file")
        cache = str(settings.cache_dir.resolve())
        for index in range(count):
            pages.append(PageRead(index + 1, method="ocr", reason="image"))
            tasks.append(OcrTask(str(src.path), index, "image", settings.ocr_dpi, None, cache))
    for result in run.ocr(tasks, lambda _: tick()):
        page = pages[result.page_index]
        page.lines, page.lang, page.confidence = result.as_lines(), result.lang, result.confidence
        page.image_hash = result.image_hash
    return pages


def page_count(path: Path) -> int:
    """Pages in a PDF or frames in an image (for progress bars); 0 when it cannot be opened."""
    try:
        if path.suffix.lower() == ".pdf":
            pdf = open_pdf(path)
            n = len(pdf)
            pdf.close()
            return n
        with Image.open(path) as img:
            return getattr(img, "n_frames", 1)
    except Exception:
        return 0
