"""`jarida ingest`: sources → pages → OCR → texts/articles → the article store, resumable, with progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jarida.records import ArticleStore, PageRecord, SourceRecord
from jarida.settings import Settings
from jarida.types import Article

from .assemble import build_articles, document_lang
from .digitised import read_jsonl
from .errors import SourceError
from .layout import clean_pages
from .reading import PageRead, page_count, read_pages
from .sources import SourceFile, discover
from .structure import parse_texts


@dataclass
class IngestSummary:
    """What one `jarida ingest` run did."""

    files: int = 0
    skipped_unchanged: int = 0
    pages: int = 0
    text_pages: int = 0
    ocr_pages: int = 0
    articles: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    per_file: list[SourceRecord] = field(default_factory=list)


class PageReader(Protocol):
    """Who reads PDF and image pages when this process does not (`jarida.ingest.cluster.ClusterReader`)."""

    def start(self, sources: list[SourceFile]) -> None: ...  # the files to be read, in order (may start ahead)
    def read(self, src: SourceFile, on_page: Callable[[], None]) -> list[PageRead]: ...


def ingest_source(
    src: SourceFile, settings: Settings, on_page=None, reader: PageReader | None = None
) -> tuple[list[PageRecord], list[Article]]:
    """Read one file into page records and articles (raises SourceError for bad input)."""
    if src.kind == "jsonl":
        return [], read_jsonl(src.path, src.name)
    pages = reader.read(src, on_page or (lambda: None)) if reader else read_pages(src, settings, on_page)
    if not any(p.lines for p in pages):
        blank = sum(p.method == "blank" for p in pages)
        problem = f"no text on any of its {len(pages)} pages" + (f" ({blank} blank)" if blank else "")
        raise SourceError(src.name, problem, "check that it is the right file and that the scan is not empty")
    lang = document_lang(pages)
    lines = clean_pages([(p.number, p.lines) for p in pages])
    texts = parse_texts(lines, lang, src.path.stem)
    articles = build_articles(texts, pages, lang, src.name, src.path.stem)
    records = [PageRecord(p.number, p.method, p.lang, p.confidence, p.reason, p.image_hash) for p in pages]
    return records, articles


def ingest(
    paths: list[Path],
    settings: Settings,
    console: Console | None = None,
    force: bool = False,
    on_progress: Callable[[str, int, int], None] | None = None,
    reader: PageReader | None = None,
) -> IngestSummary:
    """Ingest files and folders; unchanged files already done are skipped, one bad file never stops the batch.

    `on_progress(file name, pages done, pages)` is called when a file starts (0 done) and after each page.
    `reader` reads the pages elsewhere (a Ray cluster); parsing and storing stay here, in the files' order.
    """
    console = console or Console(stderr=True)
    started = time.perf_counter()
    summary = IngestSummary()
    sources, skipped = discover(paths)
    summary.errors += [f"{path}: {why}" for path, why in skipped]
    store = ArticleStore(settings.db_path)
    try:
        todo = []
        for src in sources:
            previous = store.source(src.name)
            if not force and previous and previous.status == "done" and previous.sha256 == src.sha256:
                summary.skipped_unchanged += 1
            else:
                todo.append(src)
        if reader:
            reader.start(todo)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not todo,
        ) as progress:
            files_bar = progress.add_task("files", total=len(todo))
            for src in todo:
                total = page_count(src.path)
                pages_bar = progress.add_task(f"  {escape(src.name[:40])}", total=total or None)
                record = SourceRecord(src.name, str(src.path), src.sha256, "done", src.kind)
                t0 = time.perf_counter()
                done = [0]

                def tick(bar: int = pages_bar, name: str = src.name, total: int = total, done: list = done) -> None:
                    progress.advance(bar)
                    done[0] += 1
                    if on_progress:
                        on_progress(name, done[0], total)

                if on_progress:
                    on_progress(src.name, 0, total)
                try:
                    page_records, articles = ingest_source(src, settings, tick, reader)
                    _check_ids(store, src, articles)
                except SourceError as exc:
                    record.status, record.error = "error", str(exc)
                    store.record_error(record)
                    summary.errors.append(str(exc))
                except Exception as exc:  # an unexpected failure on one file must not stop the batch
                    record.status, record.error = "error", f"{src.name}: unexpected error {exc!r} — please report it"
                    store.record_error(record)
                    summary.errors.append(record.error)
                else:
                    record.pages = len(page_records)
                    record.text_pages = sum(p.method == "text" for p in page_records)
                    record.ocr_pages = sum(p.method == "ocr" for p in page_records)
                    record.seconds = round(time.perf_counter() - t0, 2)
                    record.articles = len(articles)
                    store.replace_source(record, page_records, articles)
                    summary.pages += record.pages
                    summary.text_pages += record.text_pages
                    summary.ocr_pages += record.ocr_pages
                    summary.articles += record.articles
                summary.files += 1
                summary.per_file.append(record)
                progress.remove_task(pages_bar)
                progress.advance(files_bar)
    finally:
        store.close()
    summary.seconds = round(time.perf_counter() - started, 1)
    return summary


def _check_ids(store: ArticleStore, src: SourceFile, articles: list[Article]) -> None:
    """Refuse articles whose ids another stored source already has (ids end with the file stem)."""
    taken = store.owners((a.id for a in articles), besides=src.name)
    if taken:
        first, other = next(iter(taken.items()))
        problem = f"{len(taken)} article ids, e.g. {first}, are already stored from {other}"
        raise SourceError(src.name, problem, "rename one of the two files so that their stems differ")


def summary_table(summary: IngestSummary) -> Table:
    """The end-of-run table: one row per file processed, then the totals."""
    table = Table(title="jarida ingest")
    for column in ("file", "status", "pages", "text layer", "OCR", "articles", "seconds"):
        table.add_column(column, justify="left" if column in ("file", "status") else "right")
    for r in summary.per_file:
        table.add_row(
            escape(r.source),
            r.status if r.status == "done" else "[red]error[/red]",
            str(r.pages),
            str(r.text_pages),
            str(r.ocr_pages),
            str(r.articles),
            f"{r.seconds:.1f}",
        )
    table.add_section()
    table.add_row(
        f"{summary.files} processed, {summary.skipped_unchanged} unchanged",
        f"{len(summary.errors)} errors",
        str(summary.pages),
        str(summary.text_pages),
        str(summary.ocr_pages),
        str(summary.articles),
        f"{summary.seconds:.1f}",
    )
    return table
