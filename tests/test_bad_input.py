"""Bad input in one `jarida ingest` batch: each bad file gets a clear error, the batch goes on, nothing stored is lost.

Every file is built here at test time (tests/pdfgen.py writes the PDFs, encrypted one included); the real CLI runs
in a subprocess, so what is checked is what a user sees: the exit status, the error lines and `jarida sources`.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

from jarida.settings import Settings
from tests.conftest import REPO, run_jarida
from tests.pdfgen import LOI_TEST, build_pdf, write_pdf

# file name -> (words the problem must contain, words the hint must contain)
EXPECTED_ERRORS = {
    "empty.pdf": ("empty file (0 bytes)", "re-download"),
    "truncated-half.pdf": ("truncated PDF", "re-download"),
    "truncated-tail.pdf": ("truncated PDF", "re-download"),  # pdfium alone would open it and lose the end
    "notes.pdf": ("not a PDF", "right file"),
    "photo.pdf": ("PNG image", "rename it to .png"),
    "no-pages.pdf": ("no pages", "re-download"),
    "locked.pdf": ("encrypted PDF", "qpdf --decrypt"),
    "blank-scan.pdf": ("no text on any of its 3 pages (3 blank)", "scan is not empty"),
    "broken.jsonl": ("line 2 is not valid JSON", "fix or remove it"),
    "cut-scan.tif": ("page 2: cannot render the page", "re-scan"),  # the error comes back from an OCR worker
}
HUGE_PAGES = 600


def _make_batch(inbox: Path) -> None:
    """One good born-digital PDF, a 600-page mostly blank one, and every kind of bad file."""
    inbox.mkdir()
    write_pdf(inbox / "good-loi.pdf", [LOI_TEST])
    (inbox / "empty.pdf").write_bytes(b"")
    long_text = build_pdf([[f"{line} (page {n})" for line in LOI_TEST] for n in range(1, 31)])
    (inbox / "truncated-half.pdf").write_bytes(long_text[: len(long_text) // 2])
    (inbox / "truncated-tail.pdf").write_bytes(long_text[: int(len(long_text) * 0.99)])
    (inbox / "notes.pdf").write_text("Notes de lecture, pas un PDF.\n", encoding="utf-8")
    (inbox / "photo.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    write_pdf(inbox / "no-pages.pdf", [])
    write_pdf(inbox / "locked.pdf", [LOI_TEST], password="secret")
    write_pdf(inbox / "blank-scan.pdf", [[], [], []], grey_boxes={1})
    # A 600-page scan-like file: the text on page 1, then blank pages (a few with a nearly-white box to render).
    huge_pages = [LOI_TEST] + [[] for _ in range(HUGE_PAGES - 1)]
    write_pdf(inbox / "huge-scan.pdf", huge_pages, grey_boxes=set(range(50, HUGE_PAGES, 50)))
    good_line = json.dumps({"law_id": "loi-99-01", "lang": "fr", "article": "1", "text": "Texte."})
    (inbox / "broken.jsonl").write_text(good_line + "\n{not json\n", encoding="utf-8")
    frames = [Image.new("L", (400, 500), 255) for _ in range(2)]
    for n, frame in enumerate(frames):
        ImageDraw.Draw(frame).rectangle([50, 50 + 40 * n, 250, 90 + 40 * n], fill=0)
    tiff = io.BytesIO()
    frames[0].save(tiff, format="TIFF", save_all=True, append_images=frames[1:])
    (inbox / "cut-scan.tif").write_bytes(tiff.getvalue()[: tiff.tell() * 3 // 4])  # its second frame is cut short


def _sources(data_dir: Path) -> dict[str, dict]:
    result = run_jarida("sources", data_dir=data_dir, timeout=60)
    assert result.returncode == 0, result.stderr
    return {(row := json.loads(line))["source"]: row for line in result.stdout.splitlines()}


def _articles(data_dir: Path) -> list[dict]:
    result = run_jarida("export", data_dir=data_dir, timeout=60)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_bad_files_get_clear_errors_and_the_batch_goes_on(tmp_path: Path, settings: Settings) -> None:
    inbox = tmp_path / "inbox"
    _make_batch(inbox)

    started = time.perf_counter()
    first = run_jarida("ingest", str(inbox), "--workers", "2", data_dir=settings.data_dir, timeout=120)
    elapsed = time.perf_counter() - started

    assert first.returncode == 1, first.stderr  # some files failed, the others are stored
    assert "Traceback" not in first.stderr
    sources = _sources(settings.data_dir)
    assert set(sources) == {"good-loi.pdf", "huge-scan.pdf", *EXPECTED_ERRORS}
    for name, (problem, hint) in EXPECTED_ERRORS.items():
        record = sources[name]
        assert record["status"] == "error", record
        message = record["error"]
        assert message.startswith(name) and problem in message and hint in message.split(" — ")[1], message
        assert "unexpected error" not in message
        assert f"error {name}" in first.stderr  # each failure is reported at the end of the run

    good = [a for a in _articles(settings.data_dir) if a["source"] == "good-loi.pdf"]
    assert [a["article"] for a in good] == ["1", "2", "3"]
    assert good[0]["law_id"] == "loi-99-01" and good[0]["heading"] == "Article premier"
    assert good[1]["text"].startswith("Un fichier illisible est signalé")
    assert sources["good-loi.pdf"]["status"] == "done" and sources["good-loi.pdf"]["articles"] == 3

    # The 600-page file is handled: read whole, its blank pages skipped without Tesseract, quickly.
    huge = sources["huge-scan.pdf"]
    assert (huge["status"], huge["pages"], huge["text_pages"], huge["ocr_pages"]) == ("done", HUGE_PAGES, 1, 0)
    assert huge["articles"] == 3 and huge["seconds"] < 15
    assert elapsed < 60

    # A second run: the stored files are unchanged and skipped; the good file now turns bad in place, which is
    # reported, and what the first run stored for it is kept.
    before = {a["id"]: a for a in _articles(settings.data_dir)}
    (inbox / "good-loi.pdf").write_bytes((inbox / "good-loi.pdf").read_bytes()[:200])
    second = run_jarida("ingest", str(inbox), "--workers", "2", data_dir=settings.data_dir, timeout=120)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert "error good-loi.pdf: truncated PDF" in second.stderr
    assert "huge-scan.pdf" not in second.stderr  # unchanged and stored: skipped, not read again
    after = {a["id"]: a for a in _articles(settings.data_dir)}
    assert after == before
    assert len(after) == 6  # 3 from good-loi.pdf, 3 from huge-scan.pdf
    assert _sources(settings.data_dir)["good-loi.pdf"]["status"] == "done"


def test_a_file_named_like_another_in_the_batch_is_refused_not_mixed(tmp_path: Path, settings: Settings) -> None:
    """Sources are kept by file name: a second file of the same name must not overwrite the first one's records."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_pdf(tmp_path / "a" / "loi.pdf", [LOI_TEST])
    write_pdf(tmp_path / "b" / "loi.pdf", [[line.replace("essais", "tests") for line in LOI_TEST]])
    result = run_jarida("ingest", str(tmp_path / "a"), str(tmp_path / "b"), data_dir=settings.data_dir, timeout=60)
    assert result.returncode == 1
    assert "same file name as" in result.stderr.replace("\n", " ")
    articles = _articles(settings.data_dir)
    assert len(articles) == 3 and "essais" in articles[0]["law_title"]


def test_two_files_with_one_stem_do_not_clobber_each_others_articles(tmp_path: Path, settings: Settings) -> None:
    """Ids end with the file stem: a PDF and a JSONL of one stem and law would collide; the second is refused."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_pdf(inbox / "loi.pdf", [LOI_TEST])
    row = {"law_id": "loi-99-01", "lang": "fr", "article": "1", "text": "La présente loi fixe les règles."}
    (inbox / "loi.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    result = run_jarida("ingest", str(inbox), data_dir=settings.data_dir, timeout=60)
    assert result.returncode == 1
    error = _sources(settings.data_dir)["loi.pdf"]["error"]
    assert error.startswith("loi.pdf: 1 article ids, e.g. loi-99-01:fr:art1@loi, are already stored from loi.jsonl")
    assert "rename one of the two files" in error
    assert [a["source"] for a in _articles(settings.data_dir)] == ["loi.jsonl"]


def test_a_missing_tesseract_is_named_with_the_fix(tmp_path: Path) -> None:
    """Without Tesseract on PATH a page to OCR fails with the file, the page and how to install it (no traceback)."""
    scan = tmp_path / "scan.png"
    image = Image.new("L", (400, 300), 255)
    ImageDraw.Draw(image).text((20, 20), "Article premier", fill=0)
    image.save(scan)
    args = [sys.executable, "-m", "jarida.cli", "ingest", str(scan), "--data-dir", str(tmp_path / "data")]
    env = {**os.environ, "PATH": str(tmp_path / "no-such-dir")}
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=REPO, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert "error scan.png, page 1: Tesseract is not installed — install tesseract-ocr" in message
