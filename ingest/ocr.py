"""OCR with Tesseract: one process per core, each page cached by the hash of its rendered image."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytesseract
from PIL import Image, ImageSequence

from jarida.normalize import has_arabic, strip_bidi

from .pdf import Line, open_pdf, render_page

TESSERACT_LANGS = {"fr": "fra", "ar": "ara"}
TESSERACT_CONFIG = "--psm 3"
# Tesseract's `ara` model reads the Arabic comma as a closing guillemet after a word.
_ARABIC_COMMA_MISREAD = re.compile(r"(?<=[\u0621-\u064a\d)])»(?=\s|$)")
# A footnote call after an Arabic word comes out as "!" ("القانونية!").
_ARABIC_FOOTNOTE_CALL = re.compile(r"(?<=[\u0621-\u064a])!(?=\s|$)")


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
    if task.kind == "pdf":
        pdf = open_pdf(Path(task.path))
        try:
            return render_page(pdf[task.page_index], task.dpi)
        finally:
            pdf.close()
    with Image.open(task.path) as img:
        frame = next(f for i, f in enumerate(ImageSequence.Iterator(img)) if i == task.page_index)
        return frame.convert("L")


def detect_lang(image: Image.Image) -> str:
    """Script of a page image by Tesseract's orientation-and-script detection, `fr` when unsure."""
    try:
        osd = pytesseract.image_to_osd(image, config="--psm 0 -c min_characters_to_try=50")
    except pytesseract.TesseractError:
        return "fr"
    return "ar" if "Script: Arabic" in osd else "fr"


def _lines_from_data(data: dict, lang: str) -> list[dict]:
    grouped: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= 0:
            grouped.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
    lines = []
    for idx in grouped.values():
        text = strip_bidi(" ".join(data["text"][i] for i in idx)).strip()
        if not text:
            continue
        if lang == "ar":
            text = _ARABIC_FOOTNOTE_CALL.sub("", text)
            if "«" not in text:
                text = _ARABIC_COMMA_MISREAD.sub("،", text)
        left = min(data["left"][i] for i in idx)
        top = min(data["top"][i] for i in idx)
        right = max(data["left"][i] + data["width"][i] for i in idx)
        bottom = max(data["top"][i] + data["height"][i] for i in idx)
        conf = sum(float(data["conf"][i]) for i in idx) / len(idx)
        lines.append({"text": text, "confidence": round(conf, 1), "box": [left, top, right - left, bottom - top]})
    return lines


def ocr_page(task: OcrTask) -> OcrPage:
    """Render (or load) the page, then OCR it unless the same image was OCR'd before."""
    image = _load_image(task)
    digest = hashlib.sha256(image.tobytes() + f"{image.size}{TESSERACT_CONFIG}".encode()).hexdigest()
    lang = task.lang or detect_lang(image)
    cache_file = Path(task.cache_dir) / "ocr" / digest[:2] / f"{digest}-{lang}.json"
    if cache_file.exists():
        page = OcrPage(**json.loads(cache_file.read_text(encoding="utf-8")))
        page.page_index, page.cached = task.page_index, True
        return page
    data = pytesseract.image_to_data(
        image, lang=TESSERACT_LANGS[lang], config=TESSERACT_CONFIG, output_type=pytesseract.Output.DICT
    )
    lines = _lines_from_data(data, lang)
    if task.lang is None and lines and has_arabic(" ".join(ln["text"] for ln in lines)) != (lang == "ar"):
        lang = "ar" if lang == "fr" else "fr"  # detection was wrong: read again in the other script
        data = pytesseract.image_to_data(
            image, lang=TESSERACT_LANGS[lang], config=TESSERACT_CONFIG, output_type=pytesseract.Output.DICT
        )
        lines = _lines_from_data(data, lang)
    weights = [len(ln["text"]) for ln in lines]
    confidence = (
        round(sum(ln["confidence"] * w for ln, w in zip(lines, weights, strict=True)) / sum(weights), 1)
        if lines
        else None
    )
    page = OcrPage(task.page_index, lang, lines, confidence, digest, image.width, image.height)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(page), ensure_ascii=False), encoding="utf-8")
    tmp.replace(cache_file)
    return page


def _init_worker() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract's own threads slow parallel runs badly


def ocr_pages(
    tasks: Iterable[OcrTask], workers: int, on_done: Callable[[OcrPage], None] | None = None
) -> Iterator[OcrPage]:
    """OCR `tasks` with `workers` Tesseract processes; yields pages as they finish (any order)."""
    tasks = list(tasks)
    if not tasks:
        return
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            page = ocr_page(task)
            if on_done:
                on_done(page)
            yield page
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker) as pool:
        futures = [pool.submit(ocr_page, task) for task in tasks]
        for future in as_completed(futures):
            page = future.result()
            if on_done:
                on_done(page)
            yield page
