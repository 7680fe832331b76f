"""The one error type ingest raises for bad input: it names the file, the page and what to do."""

from __future__ import annotations


class SourceError(Exception):
    """A source that cannot be read; the batch records it and goes on with the next file."""

    def __init__(self, source: str, problem: str, hint: str = "", page: int | None = None) -> None:
        self.source, self.problem, self.hint, self.page = source, problem, hint, page
        where = f"{source}, page {page}" if page else source
        super().__init__(f"{where}: {problem}" + (f" — {hint}" if hint else ""))

    def __reduce__(self) -> tuple[type, tuple[str, str, str, int | None]]:
        """Rebuild from the four fields, so the error crosses process boundaries (OCR workers) intact."""
        return (SourceError, (self.source, self.problem, self.hint, self.page))
