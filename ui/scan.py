"""The scan of an article: its source page rendered with pypdfium2, the article's lines highlighted.

Word boxes come from the OCR cache (Tesseract's words, kept by page-image hash) for OCR'd pages, and from the
PDF text layer's character boxes for born-digital pages. The article's words are found on the page by sequence
alignment, so a clerk sees at a glance which printed lines the stored text was read from.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from jarida.ingest.ocr import OcrTask, ocr_page
from jarida.ingest.pdf import open_pdf
from jarida.normalize import index_form
from jarida.records import ArticleStore, PageRecord
from jarida.settings import Settings
from jarida.types import Article
from jarida.ui.i18n import _

DISPLAY_DPI = 110
MIN_RUN = 2  # aligned runs shorter than this many words are chance matches
HIGHLIGHT = (255, 214, 0, 90)
OUTLINE = (230, 81, 0, 255)
_TOKEN = re.compile(r"\w+", re.UNICODE)


class ScanUnavailable(Exception):
    """There is no scan to show (digitised text, source file gone); the message says why."""


@dataclass
class Word:
    """A printed word and its box on the displayed image (pixels: left, top, right, bottom); `line` groups words."""

    text: str
    box: tuple[float, float, float, float]
    line: int


@dataclass
class ScanPage:
    """One rendered page with the article's region marked."""

    image: Image.Image
    page: int
    pages: list[int]
    method: str  # "text" | "ocr"
    confidence: float | None
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    matched_words: int = 0
    article_words: int = 0
    note: str = ""

    @property
    def coverage(self) -> float:
        """Share of the article's words (on this page's part) found on the page."""
        return self.matched_words / self.article_words if self.article_words else 0.0


def tokens(text: str) -> list[str]:
    """Comparable word forms: index form (lower case, no accents, normalised Arabic), letters and digits only."""
    return _TOKEN.findall(index_form(text))


def ocr_words(settings: Settings, record: PageRecord, path: Path, kind: str, scale_to: int) -> list[Word]:
    """Tesseract's words of an OCR'd page from the cache (OCR'd again, and cached, when the entry is missing)."""
    digest, lang = record.image_hash, record.lang or "fr"
    cache_file = settings.cache_dir / "ocr" / digest[:2] / f"{digest}-{lang}.words.json" if digest else None
    if cache_file is None or not cache_file.is_file():
        ocr_page(OcrTask(str(path), record.page - 1, kind, settings.ocr_dpi, lang, str(settings.cache_dir)))
        found = sorted((settings.cache_dir / "ocr").glob(f"*/{digest}-*.words.json")) if digest else []
        if not found:
            return []
        cache_file = found[0]
    cached = json.loads(cache_file.read_text(encoding="utf-8"))
    scale = scale_to / cached["width"]
    words, lines = [], {}
    for text, _conf, left, top, width, height, block, par, line in cached["words"]:
        key = lines.setdefault((block, par, line), len(lines))
        box = (left * scale, top * scale, (left + width) * scale, (top + height) * scale)
        words.append(Word(text, box, key))
    return words


def text_layer_words(page: pdfium.PdfPage, scale: float) -> list[Word]:
    """Words of a born-digital page from its text layer's character boxes (PDF points → image pixels)."""
    height = page.get_height()
    textpage = page.get_textpage()
    try:
        words: list[Word] = []
        chars: list[str] = []
        box: list[float] | None = None
        line = 0

        def flush() -> None:
            nonlocal chars, box
            if chars and box:
                left, bottom, right, top = box
                words.append(
                    Word(
                        "".join(chars),
                        (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale),
                        line,
                    )
                )
            chars, box = [], None

        for index in range(textpage.count_chars()):
            ch = textpage.get_text_range(index, 1)
            if not ch or ch.isspace():
                flush()
                if ch in ("\n", "\r"):
                    line += 1
                continue
            left, bottom, right, top = textpage.get_charbox(index, loose=True)
            box = (
                [left, bottom, right, top]
                if box is None
                else [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
            )
            chars.append(ch)
        flush()
        return words
    finally:
        textpage.close()


def locate(words: list[Word], article_text: str) -> tuple[list[int], int]:
    """Indices of the page words that align with the article's text, and the article's word count."""
    expanded: list[tuple[int, str]] = [(i, t) for i, w in enumerate(words) for t in tokens(w.text)]
    page_tokens = [t for _, t in expanded]
    wanted = tokens(article_text)
    matcher = difflib.SequenceMatcher(None, page_tokens, wanted, autojunk=False)
    hit: set[int] = set()
    matched = 0
    for block in matcher.get_matching_blocks():
        if block.size >= MIN_RUN or (block.size and len(wanted) <= 3):
            matched += block.size
            hit.update(expanded[j][0] for j in range(block.a, block.a + block.size))
    return sorted(hit), len(wanted)


def line_boxes(words: list[Word], hit: list[int], pad: int = 3) -> list[tuple[int, int, int, int]]:
    """One box per printed line over the matched words of that line."""
    by_line: dict[int, list[tuple[float, float, float, float]]] = {}
    for i in hit:
        by_line.setdefault(words[i].line, []).append(words[i].box)
    boxes = []
    for parts in by_line.values():
        left, top = min(b[0] for b in parts), min(b[1] for b in parts)
        right, bottom = max(b[2] for b in parts), max(b[3] for b in parts)
        boxes.append((int(left) - pad, int(top) - pad, int(right) + pad, int(bottom) + pad))
    return sorted(boxes, key=lambda b: (b[1], b[0]))


def highlight(image: Image.Image, boxes: list[tuple[int, int, int, int]], rtl: bool = False) -> Image.Image:
    """The page with translucent marks over `boxes` and a bar in the margin beside them (right of Arabic text)."""
    base = image.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for box in boxes:
        draw.rectangle(box, fill=HIGHLIGHT, outline=OUTLINE, width=2)
    if boxes:
        top, bottom = min(b[1] for b in boxes), max(b[3] for b in boxes)
        if rtl:
            right = min(base.width - 2, max(b[2] for b in boxes) + 14)
            draw.rectangle((right, top, right + 5, bottom), fill=OUTLINE)
        else:
            left = max(2, min(b[0] for b in boxes) - 14)
            draw.rectangle((left - 5, top, left, bottom), fill=OUTLINE)
    return Image.alpha_composite(base, overlay).convert("RGB")


def _article_part(article: Article, page: int) -> str:
    """The heading plus the text: the alignment finds whichever part is printed on `page`."""
    return f"{article.heading}\n{article.text}"


def render_scan(
    settings: Settings, store: ArticleStore, article: Article, page: int | None = None, dpi: int = DISPLAY_DPI
) -> ScanPage:
    """The article's page `page` (default: its first) rendered with the article's lines highlighted."""
    if article.method == "digitised" or not article.pages:
        raise ScanUnavailable(
            _(
                "This article comes from a digitised text (JSONL): there is no scanned page to show. "
                "Check it against the Bulletin officiel issue: {ref}."
            ).format(ref=article.bo_ref or _("reference not recorded"))
        )
    source = store.source(article.source)
    if source is None or not source.path or not Path(source.path).is_file():
        where = source.path if source else article.source
        raise ScanUnavailable(
            _("The source file {path} is no longer where it was ingested from: no scan to show.").format(path=where)
        )
    page = page if page in article.pages else article.pages[0]
    path = Path(source.path)
    record = next((p for p in store.pages(article.source) if p.page == page), None)
    method = record.method if record else "text"
    if source.kind == "pdf":
        pdf = open_pdf(path)
        try:
            pdf_page = pdf[page - 1]
            image = pdf_page.render(scale=dpi / 72).to_pil().convert("RGB")
            words = text_layer_words(pdf_page, dpi / 72) if method != "ocr" else []
            pdf_page.close()
        finally:
            pdf.close()
    else:
        with Image.open(path) as img:
            img.seek(page - 1)
            full = img.convert("RGB")
        width = round(full.width * dpi / settings.ocr_dpi)
        image = full.resize((width, round(full.height * width / full.width)))
    if method == "ocr" and record is not None:
        words = ocr_words(settings, record, path, source.kind, image.width)
    hit, wanted = locate(words, _article_part(article, page))
    boxes = line_boxes(words, hit)
    result = ScanPage(
        highlight(image, boxes, article.lang == "ar"),
        page,
        list(article.pages),
        method,
        record.confidence if record else None,
        boxes,
        len(hit),
        wanted,
    )
    if not boxes:
        result.note = _("The article's words were not found on this page: compare the text by eye.")
    return result
