"""The workspace in a real headless Chromium: `streamlit run` on 127.0.0.1, a French and an Arabic question, the scan.

Screenshots go to JARIDA_ARTIFACTS (default tests/artifacts/): ui-ask-fr.png, ui-ask-ar.png, ui-scan.png.
The test also checks that stopping Streamlit stops the embedded LLM server it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM, REPO, index_data_dir, llm_settings

DECREE = "ar-decret-2-26-530-heure-legale.pdf"  # a real scanned BO text (2 pages, OCR'd in Arabic)


def artifacts() -> Path:
    path = Path(os.environ.get("JARIDA_ARTIFACTS", REPO / "tests" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


@pytest.fixture(scope="module")
def browser_data(answer_data: Path, corpus: Path, ocr_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The indexed loi 09-08 data dir plus the scanned decree, ingested (real Tesseract) and indexed."""
    from jarida.ingest.pipeline import ingest
    from jarida.settings import load_settings

    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(answer_data, data, symlinks=True)
    (ocr_cache / "ocr").mkdir(parents=True, exist_ok=True)
    (data / "cache" / "ocr").symlink_to(ocr_cache / "ocr", target_is_directory=True)
    settings = load_settings(config_file=data / "none.toml", data_dir=data, ocr_workers=2)
    summary = ingest([corpus / "pdf" / DECREE], settings)
    assert not summary.errors and summary.ocr_pages == 2
    index_data_dir(settings)
    return data


@pytest.fixture(scope="module")
def server(browser_data: Path) -> Iterator[str]:
    """`jarida ui` (streamlit run, headless) on 127.0.0.1 and a free port; stopped (SIGTERM) at the end."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    port = _free_port()
    model = os.environ.get("JARIDA_UI_TEST_LLM_FILE") or llm_settings(browser_data).llm_model_file  # SmolLM2
    env = {
        **os.environ,
        "JARIDA_LLM_MODEL_FILE": model,
        "JARIDA_LLM_THREADS": "2",
        "JARIDA_CONFIG": str(browser_data / "none.toml"),
    }
    log = (artifacts() / "streamlit.log").open("wb")
    process = subprocess.Popen(  # `jarida ui` execs `streamlit run ui/app.py -- --data-dir DIR`
        [sys.executable, "-m", "jarida.cli", "ui", "--port", str(port), "--data-dir", str(browser_data)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                break
        except OSError:
            assert process.poll() is None, (artifacts() / "streamlit.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "streamlit did not start in 120 s"
            time.sleep(0.5)
    try:
        yield url
    finally:
        llm_servers = [p for p in _children(process.pid) if "llama_cpp" in Path(f"/proc/{p}/cmdline").read_text()]
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        log.close()
        time.sleep(1)
        # the LLM server the app started is stopped with it (atexit hook of the cached resource)
        alive = [p for p in llm_servers if Path(f"/proc/{p}").exists()]
        assert not alive, f"the embedded LLM server outlived streamlit: {alive}"


def _idle(page, timeout_ms: int = 600_000) -> None:
    """Wait until the app's script run is over (no 'Running…' widget) and the page has settled."""
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms, polling=250
    )
    page.wait_for_timeout(800)


def _ask(browser, url: str, question: str, shot: str, lang_filter: str = "") -> str:
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(f"{url}/?view=ask", timeout=120_000)
    page.get_by_label("Question").wait_for(timeout=300_000)  # first load: e5 and the LLM server start
    _idle(page)
    page.get_by_label("Question").fill(question)
    if lang_filter:
        page.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name=lang_filter).click()
    page.get_by_role("button", name="Demander").click()
    page.locator(".jarida-answer, .jarida-notice, [data-testid='stAlert']").first.wait_for(timeout=600_000)
    _idle(page)
    path = artifacts() / shot
    page.screenshot(path=str(path), full_page=True)
    body = page.inner_text("body")
    page.close()
    return body


def test_ask_french_and_arabic_and_scan_screenshots(server: str, browser) -> None:
    body = _ask(
        browser,
        server,
        "De quel délai disposent les responsables de traitements existants pour se conformer à la loi 09-08 ?",
        "ui-ask-fr.png",
    )
    assert "Question :" in body and ("Articles cités" in body or "Articles les plus proches" in body)
    body = _ask(
        browser, server, "ما المقصود بالمعطيات ذات الطابع الشخصي حسب القانون 09.08؟", "ui-ask-ar.png", "العربية"
    )
    assert "Question :" in body and ("Articles cités" in body or "Articles les plus proches" in body)

    page = browser.new_page(viewport={"width": 1400, "height": 1250})
    page.goto(f"{server}/?law=decret-2-26-530&article=1&lang=ar&scan=1", timeout=120_000)
    page.locator("[data-testid='stImage'] img").first.wait_for(timeout=120_000)
    _idle(page)
    text = page.inner_text("body")
    assert "Lu par" in text and "Confiance OCR" in text
    page.screenshot(path=str(artifacts() / "ui-scan.png"), full_page=True)
    page.close()
    for name in ("ui-ask-fr.png", "ui-ask-ar.png", "ui-scan.png"):
        assert (artifacts() / name).stat().st_size > 20_000
