"""OCR with Tesseract: one process per core, each page cached by the hash of its rendered image."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytesseract
from PIL import Image

from jarida.normalize import has_arabic, strip_bidi

from .errors import SourceError
from .pdf import Line, is_blank_image, open_pdf, render_page

TESSERACT_LANGS = {"fr": "fra", "ar": "ara"}
TESSERACT_CONFIG = "--psm 3"
# Tesseract's `ara` model reads the Arabic comma as a closing guillemet after a word.
_ARABIC_COMMA_MISREAD = re.compile(r"(?<=[\u0621-\u064a\d)])»(?=\s|$)")
# A footnote call after an Arabic word comes out as "!" ("القانونية!").
_ARABIC_FOOTNOTE_CALL = re.compile(r"(?<=[\u0621-\u064a])!(?=\s|$)")
# A list bullet at the start of an Arabic line comes out as "ه" or "٠".
_ARABIC_BULLET_MISREAD = re.compile(r"^[ه٠]\s+(?=\S)")
# Specks and rules read as brackets or bars at a line's edge ("l’intérieur.[", "| Article 3").
_EDGE_SPECKS = re.compile(r"^[|\]]+\s*|\s*\[[l1|]?$|\s+\|$")
NOISE_CONFIDENCE = 75  # Arabic lines below this mean word confidence may be stamp noise (see _is_noise)
SPECK_RATIO = 0.4  # a line whose glyphs are all under 40% of the usual line height is dust, not text
CACHE_FORMAT = 2  # cache entries hold Tesseract's words; entries of another format are OCR'd again


@dataclass(frozen=True)
class OcrTask:
    """One page to OCR: a PDF page (rendered at `dpi`) or an image file's frame."""

    path: str
    page_index: int
    kind: str  # "pdf" | "image"
    dpi: int
    lang: str | None  # "fr" | "ar"; None lets Tesseract's script detection decide
    cache_dir: str


@dataclass
class OcrPage:
    """What OCR read on one page."""

    page_index: int
    lang: str
    lines: list[dict] = field(default_factory=list)  # {text, confidence, box: [left, top, width, height]}
    confidence: float | None = None
    image_hash: str = ""
    width: int = 0
    height: int = 0
    cached: bool = False

    def as_lines(self) -> list[Line]:
        return [Line(text=ln["text"], confidence=ln["confidence"]) for ln in self.lines]


def _load_image(task: OcrTask) -> Image.Image:
    """The page as a grey-scale image; a SourceError naming the page when it cannot be rendered."""
    try:
        if task.kind == "pdf":
            pdf = open_pdf(Path(task.path))
            try:
                return render_page(pdf[task.page_index], task.dpi)
            finally:
                pdf.close()
        with Image.open(task.path) as img:
            img.seek(task.page_index)
            return img.convert("L")
    except SourceError:
        raise
    except Exception as exc:  # pdfium or Pillow on a damaged page
        hint = "re-download or re-scan the file"
        raise SourceError(Path(task.path).name, f"cannot render the page ({exc})", hint, task.page_index + 1) from exc


def detect_lang(image: Image.Image) -> str:
    """Script of a page image by Tesseract's orientation-and-script detection, `fr` when unsure."""
    try:
        osd = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=50")
    except pytesseract.TesseractError:
        return "fr"
    return "ar" if "Script: Arabic" in osd else "fr"


def _words(data: dict) -> list[list]:
    """Tesseract's words as compact rows: [text, conf, left, top, width, height, block, par, line]."""
    keys = ("left", "top", "width", "height", "block_num", "par_num", "line_num")
    return [
        [word, round(float(data["conf"][i]), 1), *(int(data[k][i]) for k in keys)]
        for i, word in enumerate(data["text"])
        if word.strip() and float(data["conf"][i]) >= 0
    ]


def _gutter(lines: list[list[list]], width: int) -> int | None:
    """x of the blank strip between two text columns, or None for a one-column page.

    A column gutter is a run of at least 1% of the page width, in its middle third, crossed by the words
    of at most 15% of the lines (running heads, full-width titles); in one column of text no such run exists.
    """
    step = 4
    cover = [0] * (width // step + 2)
    for words in lines:
        seen = set()
        for w in words:
            seen.update(range(w[2] // step, (w[2] + w[4]) // step + 1))
        for x in seen:
            cover[x] += 1
    limit = max(1, int(0.15 * len(lines)))
    best, run_start, best_len = None, None, 0
    for x in range(int(0.33 * width) // step, int(0.67 * width) // step + 1):
        if cover[x] <= limit:
            run_start = x if run_start is None else run_start
            if x - run_start + 1 > best_len:
                best_len, best = x - run_start + 1, (run_start + x) // 2
        else:
            run_start = None
    if best is None or best_len * step < 0.01 * width:
        return None
    gutter = best * step
    left = sum(all(w[2] + w[4] <= gutter for w in ws) for ws in lines)
    right = sum(all(w[2] >= gutter for w in ws) for ws in lines)
    return gutter if min(left, right) >= 5 else None


def _split(words: list[list], gutter: int | None) -> list[tuple[str, list[list]]]:
    """A Tesseract line as (column, words) pieces: "L"/"R" of the gutter, or "S" when a word spans it."""
    if gutter is None:
        return [("S", words)]
    if any(w[2] < gutter < w[2] + w[4] for w in words):
        return [("S", words)]
    left = [w for w in words if w[2] + w[4] <= gutter]
    right = [w for w in words if w[2] >= gutter]
    return [(side, part) for side, part in (("L", left), ("R", right)) if part]


def _reading_order(pieces: list[tuple[str, dict]], rtl: bool, height: float) -> list[dict]:
    """Two-column reading order: bands between full-width lines, first column then second, rows in order."""
    first, second = ("R", "L") if rtl else ("L", "R")
    ordered: list[dict] = []
    band: dict[str, list[dict]] = {"L": [], "R": []}

    def flush() -> None:
        for side in (first, second):
            column = sorted(band[side], key=lambda ln: ln["box"][1])
            rows: list[list[dict]] = []
            for line in column:  # lines side by side on one row (a justified line split in two) read in order
                if rows and abs(line["box"][1] - rows[-1][0]["box"][1]) < 0.5 * height:
                    rows[-1].append(line)
                else:
                    rows.append([line])
            for row in rows:
                ordered.extend(sorted(row, key=lambda ln: -ln["box"][0] if rtl else ln["box"][0]))
            band[side] = []

    for side, line in sorted(pieces, key=lambda p: p[1]["box"][1]):
        if side == "S":
            flush()
            ordered.append(line)
        else:
            band[side].append(line)
    flush()
    return ordered


def _is_noise(text: str, confidence: float) -> bool:
    """A stamp or smudge read as Arabic: unsure, and made mostly of one- or two-character fragments."""
    tokens = text.split()
    short = sum(sum(c.isalnum() for c in t) <= 2 for t in tokens)
    return confidence < NOISE_CONFIDENCE and len(tokens) >= 3 and short >= 0.6 * len(tokens)


def _line(words: list[list], lang: str) -> dict | None:
    text = strip_bidi(" ".join(w[0] for w in words)).strip()
    if lang == "ar":
        text = _ARABIC_BULLET_MISREAD.sub("• ", _ARABIC_FOOTNOTE_CALL.sub("", text))
        if "«" not in text:
            text = _ARABIC_COMMA_MISREAD.sub("،", text)
    else:
        text = _EDGE_SPECKS.sub("", text)
    if not text or (len(text) == 1 and not text.isdigit()):  # a lone mark or letter is a speck
        return None
    conf = sum(w[1] for w in words) / len(words)
    if lang == "ar" and _is_noise(text, conf):
        return None
    left, top = min(w[2] for w in words), min(w[3] for w in words)
    right, bottom = max(w[2] + w[4] for w in words), max(w[3] + w[5] for w in words)
    return {"text": text, "confidence": round(conf, 1), "box": [left, top, right - left, bottom - top]}


def lines_from_words(words: list[list], lang: str, width: int) -> list[dict]:
    """Printed lines from Tesseract's words: specks dropped, lines merged across a column gutter split,
    and two-column pages put in reading order (Tesseract's own order is kept on one-column pages)."""
    grouped: dict[tuple[int, int, int], list[list]] = {}
    for w in words:
        grouped.setdefault((w[6], w[7], w[8]), []).append(w)
    heights = sorted(max(w[3] + w[5] for w in ws) - min(w[3] for w in ws) for ws in grouped.values())
    height = heights[len(heights) // 2] if heights else 0
    kept = [
        ws
        for ws in grouped.values()
        if max(w[5] for w in ws) >= SPECK_RATIO * height or sum(c.isalnum() for w in ws for c in w[0]) > 3
    ]
    gutter = _gutter(kept, width)
    pieces = [(side, line) for ws in kept for side, part in _split(ws, gutter) if (line := _line(part, lang))]
    if gutter is None:
        return [line for _, line in pieces]
    return _reading_order(pieces, lang == "ar", height)


def ocr_page(task: OcrTask) -> OcrPage:
    """Render (or load) the page, then OCR it unless the same image was OCR'd before.

    The cache keeps Tesseract's words (not the lines made of them), so a better line assembly applies
    to pages OCR'd before it, without running Tesseract again."""
    image = _load_image(task)
    if is_blank_image(image):  # nothing printed: no Tesseract run
        return OcrPage(task.page_index, task.lang or "fr", [], None, "", image.width, image.height)
    digest = hashlib.sha256(image.tobytes() + f"{image.size}{TESSERACT_CONFIG}".encode()).hexdigest()
    lang = task.lang or detect_lang(image)
    cache_file = Path(task.cache_dir) / "ocr" / digest[:2] / f"{digest}-{lang}.words.json"
    cached = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.exists() else {}
    if cached.get("format") == CACHE_FORMAT:
        lang, words = cached["lang"], cached["words"]
    else:
        words = _tesseract_words(image, lang)
        text = " ".join(w[0] for w in words)
        if task.lang is None and words and has_arabic(text) != (lang == "ar"):
            lang = "ar" if lang == "fr" else "fr"  # detection was wrong: read again in the other script
            words = _tesseract_words(image, lang)
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")  # workers may OCR one image at once
        record = {"format": CACHE_FORMAT, "lang": lang, "words": words, "width": image.width, "height": image.height}
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        tmp.replace(cache_file)
    lines = lines_from_words(words, lang, image.width)
    weights = [len(ln["text"]) for ln in lines]
    confidence = (
        round(sum(ln["confidence"] * w for ln, w in zip(lines, weights, strict=True)) / sum(weights), 1)
        if lines
        else None
    )
    page = OcrPage(task.page_index, lang, lines, confidence, digest, image.width, image.height)
    page.cached = cached.get("format") == CACHE_FORMAT
    return page


def _tesseract_words(image: Image.Image, lang: str) -> list[list]:
    return _words(
        pytesseract.image_to_data(
            image, lang=TESSERACT_LANGS[lang], config=TESSERACT_CONFIG, output_type=pytesseract.Output.DICT
        )
    )


def ocr_task(task: OcrTask) -> OcrPage:
    """`ocr_page`, with Tesseract's failures turned into a SourceError that names the file, the page and the fix."""
    name, page = Path(task.path).name, task.page_index + 1
    try:
        return ocr_page(task)
    except pytesseract.TesseractNotFoundError as exc:
        raise SourceError(
            name, "Tesseract is not installed", "install tesseract-ocr (fra, ara) or put it on PATH", page
        ) from exc
    except pytesseract.TesseractError as exc:
        message = str(exc.message).strip()
        missing_language = "traineddata" in message or "loading language" in message.lower()
        hint = ("install Tesseract's fra and ara languages (tesseract-ocr-fra, tesseract-ocr-ara)" if missing_language
                else "re-scan the page or export it to PDF again")  # fmt: skip
        raise SourceError(name, f"Tesseract failed ({message[:200]})", hint, page) from exc


@contextmanager
def single_threaded_tesseract() -> Iterator[None]:
    """`OMP_THREAD_LIMIT=1` for the Tesseract processes started meanwhile (its own threads slow parallel runs
    badly), then the environment as it was: left set, it would cap the OpenMP threads of a torch loaded later in
    this process, and torch 2.13's bfloat16 matrix products are then wrong (cosine 0.76 to float32 at 2 threads)."""
    before = os.environ.get("OMP_THREAD_LIMIT")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["OMP_THREAD_LIMIT"]
        else:
            os.environ["OMP_THREAD_LIMIT"] = before


def _init_worker(parent: int) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract's own threads slow parallel runs badly
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker once the ingest process is gone (killed), instead of lingering as an orphan."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def ocr_pages(
    tasks: Iterable[OcrTask], workers: int, on_done: Callable[[OcrPage], None] | None = None
) -> Iterator[OcrPage]:
    """OCR `tasks` with `workers` Tesseract processes; yields pages as they finish (any order)."""
    tasks = list(tasks)
    if not tasks:
        return
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            with single_threaded_tesseract():
                page = ocr_task(task)
            if on_done:
                on_done(page)
            yield page
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
    ) as pool:
        futures = [pool.submit(ocr_task, task) for task in tasks]
        try:
            for future in as_completed(futures):
                page = future.result()
                if on_done:
                    on_done(page)
                yield page
        finally:  # a failed page (or a stopped caller) cancels the pages not started yet
            for future in futures:
                future.cancel()
