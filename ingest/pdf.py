"""PDF access through pypdfium2: open with clear errors, text-layer lines, page rendering."""

from __future__ import annotations

import math
import re
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


MAGIC = {  # what a file named .pdf may really be, by its first bytes
    b"\x89PNG": ("a PNG image", "rename it to .png"),
    b"\xff\xd8\xff": ("a JPEG image", "rename it to .jpg"),
    b"II*\x00": ("a TIFF image", "rename it to .tif"),
    b"MM\x00*": ("a TIFF image", "rename it to .tif"),
    b"PK\x03\x04": ("a ZIP archive (or Word/OpenDocument file)", "extract or export it to PDF first"),
}
BLANK_DPI = 40  # resolution of the cheap render that tells a blank page
MIN_OCR_DPI = 150  # below this Tesseract misreads BO print: a page that would need less is refused
BLANK_INK = 0.0001  # fewer dark pixels than this fraction: blank (one 11 pt word "ANNEXE" is 0.00036)


def _not_a_pdf(name: str, head: bytes) -> SourceError:
    """Say what a file that lacks the %PDF header is instead."""
    for magic, (what, hint) in MAGIC.items():
        if head.startswith(magic):
            return SourceError(name, f"not a PDF but {what}", hint)
    if b"<html" in head.lower() or b"<!doctype" in head.lower():
        return SourceError(name, "not a PDF but an HTML page (a failed download?)", "download the PDF again")
    what = "binary data" if b"\0" in head else "text"  # never the content itself: it may be another file's secret
    return SourceError(name, f"not a PDF (no %PDF header; it holds {what})", "check that it is the right file")


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open a PDF or raise a SourceError that says what is wrong with the file and what to do."""
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise SourceError(name, "empty file (0 bytes)", "re-download or re-scan the issue")
    with path.open("rb") as fh:
        head = fh.read(1024)
        fh.seek(max(0, size - 8192))
        tail = fh.read().rstrip(b"\x00\t\r\n ")  # some writers pad the end
    if b"%PDF-" not in head:
        raise _not_a_pdf(name, head)
    if b"%%EOF" not in tail[-1024:]:
        raise SourceError(name, f"truncated PDF (no end-of-file marker in its {size} bytes)", "re-download the file")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        data = path.read_bytes()  # pdfium's error code is unreliable (it can be stale): look at the file
        if b"/Encrypt" in data:
            hint = "get an open copy, or decrypt it: qpdf --decrypt --password=PASSWORD in.pdf out.pdf"
            raise SourceError(name, "encrypted PDF (password required)", hint) from exc
        if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page\b", data):
            raise SourceError(name, "the PDF has no pages", "re-download the file") from exc
        raise SourceError(name, f"corrupt PDF ({exc})", "re-download the file, or repair it with a PDF tool") from exc
    if len(pdf) == 0:
        pdf.close()
        raise SourceError(name, "the PDF has no pages", "re-download the file")
    return pdf


def is_blank_image(image: Image.Image) -> bool:
    """True when a grey-scale image has (almost) no dark pixels: nothing for OCR to read."""
    dark = sum(image.histogram()[:160])
    return dark <= BLANK_INK * image.width * image.height


def is_blank(page: pdfium.PdfPage) -> bool:
    """True when a page draws nothing visible: no page objects, or a low-resolution render with (almost) no ink."""
    if pdfium_c.FPDFPage_CountObjects(page.raw) == 0:
        return True
    try:
        image = page.render(scale=BLANK_DPI / 72, grayscale=True).to_pil().convert("L")
    except pdfium.PdfiumError:
        return False  # not known to be blank: OCR will try it and say what fails
    return is_blank_image(image)


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


def fit_dpi(page: pdfium.PdfPage, dpi: int, max_pixels: int) -> int:
    """`dpi`, lowered (down to MIN_OCR_DPI) so that the page's image fits `max_pixels`; 0 when even that is too big.

    Read from the page's size before anything is rendered: a few hundred bytes can declare a page of metres.
    """
    width, height = page.get_size()
    fitted = min(dpi, int(72 * math.sqrt(max_pixels / max(width * height, 1.0))))
    return fitted if fitted >= min(MIN_OCR_DPI, dpi) else 0


def page_too_large(page: pdfium.PdfPage, dpi: int, max_pixels: int) -> str:
    """What makes the page too large to render for OCR (see `fit_dpi`), for an error message."""
    width, height = page.get_size()
    pixels = width * height * (dpi / 72) ** 2
    size = f"{width * 25.4 / 72:.0f} × {height * 25.4 / 72:.0f} mm"
    limit = f"{max_pixels / 1e6:,.0f} Mpx (JARIDA_MAX_PAGE_PIXELS)"
    return f"page size {size}: its image at {dpi} dpi would be {pixels / 1e6:,.0f} Mpx, over the limit of {limit}"


PAGE_TOO_LARGE_HINT = ("a Bulletin officiel page is A4: the page size is damaged or forged — check the file; raise "
                       "JARIDA_MAX_PAGE_PIXELS only for a genuine large-format page")  # fmt: skip


def render_page(page: pdfium.PdfPage, dpi: int) -> Image.Image:
    """Render a page to a grey-scale image at `dpi` (check its size first: `fit_dpi`)."""
    return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
