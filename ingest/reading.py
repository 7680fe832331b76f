"""Read a source's pages: the PDF text layer where it is good, Tesseract where it is not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from jarida.normalize import repair_lam_alef, strip_bidi
from jarida.settings import Settings

from .errors import SourceError
from .ocr import OcrTask, ocr_pages
from .pdf import PAGE_TOO_LARGE_HINT, Line, fit_dpi, is_blank, open_pdf, page_too_large, text_layer_lines
from .quality import assess_layer
from .sources import SourceFile


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


def read_pages(src: SourceFile, settings: Settings, on_page: Callable[[], None] | None = None) -> list[PageRead]:
    """Every page of a PDF or image file, in order; OCR runs in parallel, one Tesseract per worker."""
    tick = on_page or (lambda: None)
    pages: list[PageRead] = []
    tasks: list[OcrTask] = []
    if src.kind == "pdf":
        pdf = open_pdf(src.path)
        try:
            count = len(pdf)
            if count > settings.max_pages:
                raise SourceError(
                    src.name,
                    f"{count} pages, over the limit of {settings.max_pages}",
                    "split the file, or raise JARIDA_MAX_PAGES",
                )
            max_pixels = settings.max_page_pixels
            for index in range(count):
                pdf_page = pdf[index]
                try:
                    lines = text_layer_lines(pdf_page)
                except Exception as exc:  # pdfium can fail on one damaged page: OCR it instead
                    lines, verdict_reason = [], f"text layer unreadable ({exc})"
                else:
                    verdict_reason = ""
                verdict = assess_layer("\n".join(ln.text for ln in lines))
                page = PageRead(index + 1, lang=verdict.lang, reason=verdict_reason or verdict.reason)
                dpi = settings.ocr_dpi if verdict.usable else fit_dpi(pdf_page, settings.ocr_dpi, max_pixels)
                if not dpi:  # checked before any rendering, the cheap blank test's included
                    problem = page_too_large(pdf_page, settings.ocr_dpi, max_pixels)
                    raise SourceError(src.name, problem, PAGE_TOO_LARGE_HINT, index + 1)
                blank = verdict.reason == "no text layer" and not verdict_reason and is_blank(pdf_page)
                pdf_page.close()
                if verdict.usable:
                    for line in lines:
                        line.text = strip_bidi(repair_lam_alef(line.text) if verdict.lang == "ar" else line.text)
                    page.lines = lines
                    tick()
                elif blank:  # nothing printed: no Tesseract run for it
                    page.method, page.reason = "blank", "blank page"
                    tick()
                else:
                    page.method = "ocr"
                    lang = None if verdict.reason == "no text layer" else verdict.lang
                    tasks.append(OcrTask(str(src.path), index, "pdf", dpi, lang, str(settings.cache_dir)))
                pages.append(page)
        finally:
            pdf.close()
    else:
        try:
            with Image.open(src.path) as img:
                count = getattr(img, "n_frames", 1)
        except (UnidentifiedImageError, OSError) as exc:
            raise SourceError(src.name, f"not a readable image ({exc})", "re-scan or convert to PNG") from exc
        if count > settings.max_pages:
            raise SourceError(src.name, f"{count} frames, over the limit of {settings.max_pages}", "split the file")
        for index in range(count):
            pages.append(PageRead(index + 1, method="ocr", reason="image"))
            tasks.append(OcrTask(str(src.path), index, "image", settings.ocr_dpi, None, str(settings.cache_dir)))
    for result in ocr_pages(tasks, settings.ocr_workers, on_done=lambda _: tick()):
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
