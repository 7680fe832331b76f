"""Find the files to ingest and tell what each one is (by content, not only by name)."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
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


def not_regular(path: Path) -> str:
    """Why `path` is not a regular file (after following symbolic links); "" when it is one.

    Only regular files are read: a FIFO or a device (`/dev/zero`) would block or never end.
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if path.is_symlink():
            return "broken symbolic link (its target does not exist)"
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return ""
    kinds = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))  # fmt: skip
    what = next((name for test, name in kinds if test(mode)), "a special file")
    return f"{what}, not a regular file"


def _walk(folder: Path) -> list[Path]:
    """Every path under `folder` but its sub-folders, sorted; links to folders are listed, not followed."""
    found: list[Path] = []
    for top, folders, files in os.walk(folder):
        found += [Path(top) / name for name in files]
        found += [Path(top) / name for name in folders if (Path(top) / name).is_symlink()]
    return sorted(found)


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[tuple[Path, str]]]:
    """Supported regular files under `paths` (folders walked, sorted), and every path skipped with why."""
    found: list[SourceFile] = []
    skipped: list[tuple[Path, str]] = []
    by_name: dict[str, Path] = {}  # the store keys sources by file name: two files may not share one
    for root in paths:
        if not root.exists() and not root.is_symlink():
            skipped.append((root, "no such file or folder"))
            continue
        in_folder = root.is_dir()
        for path in _walk(root) if in_folder else [root]:
            kind = kind_of(path)
            if not kind and in_folder and path.is_file():
                continue  # a folder's other regular files (notes, images of another kind) are not sources
            why = not_regular(path) or ("" if kind else f"unsupported file type '{path.suffix}' "
                                        "(PDF, PNG/JPG/TIFF, JSONL)")  # fmt: skip
            if why:
                skipped.append((path, why))
                continue
            first = by_name.setdefault(path.name, path)
            if first.resolve() != path.resolve():
                skipped.append((path, f"same file name as {first}, sources are kept by name — rename one of them"))
            elif first is path:
                found.append(SourceFile(path, kind, file_sha256(path)))
    return found, skipped
