"""PDF access through pypdfium2: open with clear errors, text-layer lines, page rendering."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from .errors import SourceError

SUPERSCRIPT_RATIO = 0.8  # a digit printed below 80% of its line's body size is a footnote call
WORD_GAP = 0.12  # a gap over 12% of the font size between two glyph advances separates words


@dataclass
class Line:
    """One printed line: its text and where it sits on the page (PDF points, origin bottom-left)."""

    text: str
    size: float = 0.0  # body font size (points); 0 for OCR lines
    top: float = 0.0
    bottom: float = 0.0
    confidence: float | None = None  # OCR word confidence, 0-100


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open a PDF or raise a SourceError that says what is wrong with the file."""
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise SourceError(name, "empty file (0 bytes)", "re-download or re-scan the issue")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise SourceError(name, "not a PDF (no %PDF header)", "check the file type; images go in as PNG/JPG/TIFF")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise SourceError(name, "encrypted PDF (password required)", "ask the publisher for an open copy") from exc
        raise SourceError(name, f"corrupt or truncated PDF ({exc})", "re-download the file") from exc
    if len(pdf) == 0:
        raise SourceError(name, "the PDF has no pages", "re-download the file")
    return pdf


def _line_from_chars(chars: list[tuple[str, float, tuple[float, float, float, float]]]) -> Line | None:
    sizes = [size for ch, size, _ in chars if ch.isalnum() and size > 1.5]
    body = statistics.median(sizes) if sizes else 0.0
    kept: list[str] = []
    previous_right: float | None = None
    for ch, size, box in chars:
        if ch.isdigit() and body and size < SUPERSCRIPT_RATIO * body:
            continue  # a footnote call
        left, right = min(box[0], box[2]), max(box[0], box[2])
        if (
            previous_right is not None
            and not ch.isspace()
            and kept
            and not kept[-1].isspace()
            and left - previous_right > WORD_GAP * (size or body)
        ):
            kept.append(" ")  # the layer positions words apart without a space character
        kept.append(ch)
        previous_right = right if not ch.isspace() else previous_right
    text = "".join(kept).strip()
    if not text:
        return None
    boxes = [box for ch, _, box in chars if not ch.isspace()]
    top = max((b[3] for b in boxes), default=0.0)
    bottom = min((b[1] for b in boxes), default=0.0)
    return Line(text=text, size=body, top=top, bottom=bottom)


def text_layer_lines(page: pdfium.PdfPage) -> list[Line]:
    """The page's text layer as lines, with footnote-call digits (superscripts) left out."""
    textpage = page.get_textpage()
    try:
        lines: list[Line] = []
        current: list[tuple[str, float, tuple[float, float, float, float]]] = []
        for index in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
            ch = chr(code) if code else ""
            if ch in ("\r", "\n", ""):
                if ch == "\n" and current:
                    line = _line_from_chars(current)
                    if line:
                        lines.append(line)
                    current = []
                continue
            size = pdfium_c.FPDFText_GetFontSize(textpage.raw, index)
            current.append((ch, size, textpage.get_charbox(index, loose=True)))
        if current and (line := _line_from_chars(current)):
            lines.append(line)
        return lines
    finally:
        textpage.close()


def render_page(page: pdfium.PdfPage, dpi: int) -> Image.Image:
    """Render a page to a grey-scale image at `dpi`."""
    return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
