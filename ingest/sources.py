"""Find the files to ingest and tell what each one is (by content, not only by name)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

PDF_SUFFIXES = {".pdf"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED = PDF_SUFFIXES | IMAGE_SUFFIXES | JSONL_SUFFIXES


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: where it is, its kind, and the hash that says whether it changed."""

    path: Path
    kind: str  # "pdf" | "image" | "jsonl"
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def kind_of(path: Path) -> str:
    """The file's kind from its name: "pdf", "image" or "jsonl" ("" when unsupported)."""
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    return "jsonl" if suffix in JSONL_SUFFIXES else ""


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[tuple[Path, str]]]:
    """Supported files under `paths` (folders walked, sorted), and the paths skipped with why."""
    found: list[SourceFile] = []
    skipped: list[tuple[Path, str]] = []
    by_name: dict[str, Path] = {}  # the store keys sources by file name: two files may not share one
    for root in paths:
        if not root.exists():
            skipped.append((root, "no such file or folder"))
            continue
        candidates = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in candidates:
            kind = kind_of(path)
            if not kind:
                if not root.is_dir():
                    skipped.append((path, f"unsupported file type '{path.suffix}' (PDF, PNG/JPG/TIFF, JSONL)"))
                continue
            first = by_name.setdefault(path.name, path)
            if first.resolve() != path.resolve():
                skipped.append((path, f"same file name as {first}, sources are kept by name — rename one of them"))
            elif first is path:
                found.append(SourceFile(path, kind, file_sha256(path)))
    return found, skipped
