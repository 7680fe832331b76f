"""Settings precedence and the `jarida` command line, run for real in a subprocess."""

import json
from pathlib import Path

import pytest

from jarida.settings import load_settings
from tests.conftest import run_jarida

EXPORT_FIELDS = {
    "id", "law_id", "law_title", "text_type", "text_number", "lang", "article", "text",
    "bo_ref", "source", "pages", "method", "ocr_confidence",
}  # fmt: skip


def test_settings_come_from_toml_then_environment_then_arguments(tmp_path, monkeypatch):
    config = tmp_path / "jarida.toml"
    config.write_text('data_dir = "from-toml"\nocr_dpi = 400\n', encoding="utf-8")
    monkeypatch.setenv("JARIDA_OCR_DPI", "350")
    settings = load_settings(config_file=config)
    assert settings.data_dir == Path("from-toml") and settings.ocr_dpi == 350
    assert load_settings(config_file=config, data_dir=tmp_path).data_dir == tmp_path


def test_an_unknown_setting_is_an_error_that_names_it(tmp_path):
    config = tmp_path / "jarida.toml"
    config.write_text("ocr_dip = 300\n", encoding="utf-8")
    with pytest.raises(ValueError, match="ocr_dip"):
        load_settings(config_file=config)


def test_ingest_then_export_through_the_cli(corpus, tmp_path):
    data = tmp_path / "data"
    done = run_jarida("ingest", str(corpus / "pdf" / "fr-bo-5714-loi-09-08.pdf"), data_dir=data)
    assert done.returncode == 0, done.stderr
    assert "jarida ingest" in done.stderr and "67" in done.stderr  # the summary table
    exported = run_jarida("export", "--law", "loi-09-08", data_dir=data)
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == 67 and set(rows[0]) >= EXPORT_FIELDS
    assert rows[0]["bo_ref"].startswith("BO n° 5714") and rows[0]["method"] == "text"
    assert (data / "jarida.sqlite").exists()


def test_export_without_a_store_says_what_to_do(tmp_path):
    done = run_jarida("export", data_dir=tmp_path / "empty")
    assert done.returncode == 1 and "jarida ingest" in done.stderr
