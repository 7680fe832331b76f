"""Hostile files given to `jarida ingest` (issue 12): page bombs, FIFOs and devices, symbolic links to other files.

The real CLI runs in a subprocess over files built here; the page bomb's run is measured (wall time and the peak
resident memory of the ingest process and its OCR workers) under an address-space cap, so a regression fails
the test instead of exhausting the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium

from tests.conftest import REPO, run_jarida
from tests.pdfgen import LOI_TEST, build_page_bomb, write_pdf

MEMORY_CAP = 4 << 30  # address space of the measured run: today's code needed 10 GB for the page bomb
MEASURE = """
import resource, subprocess, sys, time
started = time.monotonic()
try:
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
    code, err = done.returncode, done.stdout + done.stderr
except subprocess.TimeoutExpired:
    code, err = "timeout", ""
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB: the largest of the ingest process and workers
print(repr((code, err, time.monotonic() - started, peak)))
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def measured_ingest(*paths: Path, data_dir: Path) -> tuple[object, str, float, int]:
    """(exit code, output, seconds, peak RSS in KiB) of `jarida ingest PATHS`, run under MEMORY_CAP."""
    command = [sys.executable, "-m", "jarida.cli", "ingest", *map(str, paths), "--data-dir", str(data_dir)]
    env = {**os.environ, "COLUMNS": "200", "JARIDA_CONFIG": str(data_dir / "none.toml")}
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, timeout=120,
                          cwd=REPO, env=env, preexec_fn=_cap_memory)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return eval(done.stdout)  # a repr printed by MEASURE above


def _sources(data_dir: Path) -> dict[str, dict]:
    done = run_jarida("sources", data_dir=data_dir, timeout=60)
    assert done.returncode == 0, done.stderr
    return {(row := json.loads(line))["source"]: row for line in done.stdout.splitlines()}


def test_page_bomb_is_refused_quickly_with_bounded_memory(tmp_path: Path) -> None:
    """A 445-byte PDF declaring a 5 m page (its 300 dpi raster: 3.6 Gpx) and one adding `/UserUnit 75000`."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bomb.pdf").write_bytes(build_page_bomb(14400))
    (inbox / "bomb-unit.pdf").write_bytes(build_page_bomb(14400, user_unit=75000))
    write_pdf(inbox / "good-loi.pdf", [LOI_TEST])
    assert len((inbox / "bomb.pdf").read_bytes()) < 700
    data = tmp_path / "data"
    code, output, seconds, peak_kib = measured_ingest(inbox, data_dir=data)
    print(f"page bomb: {seconds:.2f} s, peak RSS {peak_kib / 1024:.0f} MiB")  # the figure the README quotes
    assert code == 1, output
    assert seconds < 5, f"{seconds:.1f} s"
    assert peak_kib < 1 << 20, f"peak RSS {peak_kib / 1024:.0f} MiB"
    sources = _sources(data)
    assert sources["good-loi.pdf"]["status"] == "done"  # the batch went on
    for name in ("bomb.pdf", "bomb-unit.pdf"):
        error = sources[name]["error"]
        assert sources[name]["status"] == "error"
        assert error.startswith(f"{name}, page 1: page size 5080 × 5080 mm"), error
        assert "over the limit of 40 Mpx (JARIDA_MAX_PAGE_PIXELS)" in error and "damaged or forged" in error
        assert "languages" not in error  # the real cause, not a Tesseract hint


def test_a_large_page_within_the_budget_is_rendered_at_a_lower_resolution(tmp_path: Path) -> None:
    """A 594 mm square page: 49 Mpx at 300 dpi, over the 40 Mpx budget, so it is rendered at 270 dpi."""
    from jarida.ingest.pdf import fit_dpi

    pdf = pdfium.PdfDocument(build_page_bomb(1684))
    try:
        assert fit_dpi(pdf[0], 300, 40_000_000) == 270
        assert fit_dpi(pdf[0], 200, 40_000_000) == 200  # within the budget: unchanged
        assert fit_dpi(pdf[0], 300, 4_000_000) == 0  # would need 85 dpi: refused
    finally:
        pdf.close()


def test_fifo_and_device_are_reported_never_read(tmp_path: Path) -> None:
    """A FIFO or a link to /dev/zero named on the command line, or inside a folder, is skipped with its reason."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_pdf(inbox / "good-loi.pdf", [LOI_TEST])
    os.mkfifo(inbox / "pipe.pdf")
    (inbox / "zero.pdf").symlink_to("/dev/zero")
    (inbox / "dangling.pdf").symlink_to(inbox / "gone.pdf")
    (inbox / "loop.pdf").symlink_to(inbox / "loop.pdf")
    (inbox / "notes.txt").write_text("not a source: skipped without a word\n")
    named = tmp_path / "named.pdf"
    os.mkfifo(named)
    data = tmp_path / "data"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jarida.cli", "ingest", str(named), str(tmp_path / "zero-named.pdf"), str(inbox),
             "--data-dir", str(data)], capture_output=True, text=True, timeout=60, cwd=REPO,
            env={**os.environ, "COLUMNS": "300", "JARIDA_CONFIG": str(tmp_path / "none.toml")},
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("ingest hung on a FIFO or a device") from exc
    assert time.monotonic() - started < 60
    out = done.stderr
    assert done.returncode == 1, out
    expected = {
        named: "a named pipe (FIFO), not a regular file",
        inbox / "pipe.pdf": "a named pipe (FIFO), not a regular file",
        inbox / "zero.pdf": "a device, not a regular file",
        inbox / "dangling.pdf": "broken symbolic link",
        inbox / "loop.pdf": "symbolic link loop",
        tmp_path / "zero-named.pdf": "no such file or folder",
    }
    lines = [line for line in out.splitlines() if line.startswith("error ")]
    for path, reason in expected.items():
        assert any(f"{path}: {reason}" in line for line in lines), (path, out)
    assert len(lines) == len(expected) and "notes.txt" not in out
    assert _sources(data)["good-loi.pdf"]["status"] == "done"


def test_a_link_to_another_file_never_has_its_content_echoed(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:SECRET-TOKEN-1234:/root:/bin/bash\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "x.pdf").symlink_to(secret)
    (inbox / "blob.pdf").write_bytes(b"\x00\x01SECRET-TOKEN-5678\x00" * 4)
    data = tmp_path / "data"
    done = run_jarida("ingest", str(inbox), data_dir=data, timeout=120)
    assert done.returncode == 1
    assert "SECRET-TOKEN" not in done.stdout + done.stderr and "root:x" not in done.stderr
    sources = _sources(data)
    assert "SECRET-TOKEN" not in json.dumps(sources)
    assert (
        sources["x.pdf"]["error"]
        == "x.pdf: not a PDF (no %PDF header; it holds text) — check that it is the right file"
    )
    assert "it holds binary data" in sources["blob.pdf"]["error"]
