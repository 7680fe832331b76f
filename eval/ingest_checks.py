"""`jarida eval ingest` and `jarida eval ingest-bench`: ingest quality against the shared corpus, OCR throughput.

Checks (`jarida eval ingest`), each a pass/fail with the figure measured:

1. BO n° 5210 extract (garbage text layer, OCR'd): *recall* of the Code du travail articles printed on its
   pages, and the median character similarity of each found article to the digitised reference
   (`articles/fr_code_travail.jsonl`). "Printed on those pages" is derived without the parser: the pages
   are a contiguous run of the law, so the articles printed are every reference article between the
   first and the last one printed. Those two ends come from the parser's keys *and* from an independent
   fuzzy scan of the raw OCR lines (read back from the OCR cache, before any cleaning): a line opening
   with a word within two letters of "Article" followed by a number. Every reference number inside that
   range counts as expected, so a heading the parser missed in the middle (OCR misread, split line)
   is a miss, never silently out of scope. Similarity is `difflib.SequenceMatcher(autojunk=False)`
   ratio on whitespace-normalised text with quotes and apostrophes unified (autojunk would discard every
   common letter in texts over 200 characters). The reference appends footnotes and the next headings to
   about a hundred articles, which caps their ratio without any parser fault: the median is the target,
   and the *precision* (share of the parsed text found in the reference) is reported beside it, as the
   figure that drops when running heads or a neighbour's text leak into an article.
2. BO n° 5714 (loi 09-08): 67 articles, all from the text layer, no OCR page, BO n° 5714 on each.
3. Arabic decree 2-26-530 (broken layer, OCR'd with `ara`): articles 1-3 with their ordinal headings.
4. Every French PDF holding a law with a digitised reference: article count within 2% of the reference
   (loi 65-99 excepted: the BO 5210 file is an extract, measured by check 1).
5. The CESE opinion is a plain document: no article.
"""

from __future__ import annotations

import argparse
import difflib
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from jarida.normalize import arabic_index_form, ascii_digits
from jarida.records import ArticleStore, PageRecord
from jarida.settings import Settings
from jarida.types import Article

OCR_EXTRACT = "fr-bo-5210-loi-65-99-code-travail-extract.pdf"
OCR_EXTRACT_LAW = "loi-65-99"
BO_5714 = "fr-bo-5714-loi-09-08.pdf"
AR_DECREE = "ar-decret-2-26-530-heure-legale.pdf"
AR_DECREE_HEADINGS = {"1": "الماده الاولي", "2": "الماده الثانيه", "3": "الماده الثالثه"}  # index form
NOT_LEGAL = "ar-avis-cese-not-a-legal-text.pdf"
RECALL_GOAL = 0.95
SIMILARITY_GOAL = 0.95
COUNT_TOLERANCE = 0.02
FUZZY_HEAD = re.compile(r"^\W{0,3}(?P<word>[^\W\d_]{5,9})\s*(?P<num>\d{1,4}|premier|1\s?er)\b", re.IGNORECASE)


@dataclass
class Check:
    """One measured target."""

    name: str
    passed: bool
    measured: str
    goal: str
    details: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- reference and store helpers


def load_references(corpus: Path, lang: str = "fr") -> dict[str, list[dict]]:
    """Digitised reference articles by law_id, in file order (one JSONL row per article)."""
    refs: dict[str, list[dict]] = defaultdict(list)
    for path in sorted((corpus / "articles").glob(f"{lang}_*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    refs[row["law_id"]].append(row)
    return dict(refs)


_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "«": '"', "»": '"', "“": '"', "”": '"', "\u00a0": " ", "\u00ad": ""})


def normalise(text: str) -> str:
    """Whitespace collapsed, quotes and apostrophes unified (editions differ there, not in wording)."""
    return re.sub(r"\s+", " ", text.translate(_TYPOGRAPHY)).strip()


def similarity(a: str, b: str) -> tuple[float, float]:
    """(ratio, precision) of a parsed text `a` against a reference `b`: SequenceMatcher's ratio without
    its junk heuristic, and the share of `a`'s characters matched in `b` (low when text leaks in)."""
    a, b = normalise(a), normalise(b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return (2 * matched / (len(a) + len(b)) if a or b else 1.0), (matched / len(a) if a else 0.0)


def _by_source(store: ArticleStore) -> dict[str, list[Article]]:
    found: dict[str, list[Article]] = defaultdict(list)
    for article in store.articles():
        found[article.source].append(article)
    return found


def _raw_ocr_lines(settings: Settings, pages: list[PageRecord]) -> list[str] | None:
    """The OCR'd lines of `pages` as Tesseract grouped its words, read from the OCR cache before any
    line assembly or cleaning (None when a page is not cached)."""
    lines: list[str] = []
    for page in pages:
        if page.method != "ocr" or not page.image_hash:  # blank pages are never OCR'd
            continue
        found = sorted((settings.cache_dir / "ocr" / page.image_hash[:2]).glob(f"{page.image_hash}-*.json"))
        if not found:
            return None
        grouped: dict[tuple, list[str]] = defaultdict(list)
        for word in json.loads(found[0].read_text(encoding="utf-8")).get("words", []):
            grouped[tuple(word[6:9])].append(word[0])
        lines += [" ".join(words) for words in grouped.values()]
    return lines


def fuzzy_article_numbers(lines: list[str]) -> list[str]:
    """Article numbers of lines opening like "Article N" up to two misread letters ("Articie 12", "Anticle 3")."""
    numbers = []
    for line in lines:
        m = FUZZY_HEAD.match(ascii_digits(line))
        if not m:
            continue
        word = m.group("word").lower()
        if difflib.SequenceMatcher(None, word, "article").ratio() >= 0.7 or word.startswith("art"):
            num = m.group("num").lower().replace(" ", "")
            numbers.append("1" if num in ("premier", "1er") else num)
    return numbers


# --------------------------------------------------------------------------- checks


def check_ocr_extract(settings: Settings, store: ArticleStore, found: list[Article], refs: list[dict]) -> list[Check]:
    """Check 1: recall of the printed articles and their median similarity to the reference."""
    order = {row["article"]: i for i, row in enumerate(refs)}
    law = [a for a in found if a.law_id == OCR_EXTRACT_LAW and a.article]
    keys = [a.article for a in law]
    raw = _raw_ocr_lines(settings, store.pages(OCR_EXTRACT))
    scanned = [n for n in fuzzy_article_numbers(raw or []) if n in order]
    ends = [order[k] for k in keys + scanned if k in order]
    if not ends:
        return [Check("5210 OCR: articles found", False, "no Code du travail article found", f"≥ {RECALL_GOAL:.0%}")]
    lo, hi = min(ends), max(ends)
    expected = [row["article"] for row in refs[lo : hi + 1]]
    hits = [k for k in expected if k in set(keys)]
    recall = len(hits) / len(expected)
    scores: dict[str, float] = {}
    precision: dict[str, float] = {}
    empty_refs = []
    for article in law:
        if article.article in order and article.article not in scores:
            ref = refs[order[article.article]]["text"]
            if not ref.strip():  # a defect of the reference: nothing to compare with
                empty_refs.append(article.article)
                continue
            scores[article.article], precision[article.article] = similarity(article.text, ref)
    median = statistics.median(scores.values()) if scores else 0.0
    worst = sorted(scores.items(), key=lambda kv: kv[1])[:8]
    leaky = sorted(precision.items(), key=lambda kv: kv[1])[:8]
    duplicates = sorted({k for k in keys if keys.count(k) > 1}, key=lambda k: order.get(k, 10**6))
    return [
        Check(
            "5210 OCR: printed articles found",
            recall >= RECALL_GOAL,
            f"{len(hits)}/{len(expected)} = {recall:.1%} (articles {expected[0]}–{expected[-1]})",
            f"≥ {RECALL_GOAL:.0%}",
            {
                "expected_range": [expected[0], expected[-1]],
                "expected": len(expected),
                "found": len(hits),
                "missing": [k for k in expected if k not in set(keys)],
                "not_in_reference": sorted(set(keys) - set(order)),
                "duplicates": duplicates,
                "fuzzy_scan_numbers": len(set(scanned)) if raw is not None else None,
                "fuzzy_scan_missed_by_parser": sorted(set(scanned) - set(keys), key=order.get),
            },
        ),
        Check(
            "5210 OCR: median similarity to reference",
            median >= SIMILARITY_GOAL,
            f"{median:.3f} over {len(scores)} articles",
            f"≥ {SIMILARITY_GOAL}",
            {
                "median": round(median, 4),
                "mean": round(statistics.fmean(scores.values()), 4) if scores else 0.0,
                "below_0.9": sum(s < 0.9 for s in scores.values()),
                "worst": [[k, round(s, 3)] for k, s in worst],
                "empty_references": empty_refs,
                "median_precision": round(statistics.median(precision.values()), 4) if precision else 0.0,
                "precision_below_0.95": sum(p < 0.95 for p in precision.values()),
                "lowest_precision": [[k, round(p, 3)] for k, p in leaky],
            },
        ),
    ]


def check_bo_5714(store: ArticleStore, found: list[Article]) -> Check:
    """Check 2: loi 09-08 as printed in BO 5714, read entirely from the text layer."""
    ocr_pages = sum(p.method == "ocr" for p in store.pages(BO_5714))
    law = [a for a in found if a.article]
    not_text = sum(a.method != "text" for a in law)
    no_bo = sum(a.bo_number != "5714" for a in law)
    ok = len(law) == 67 and not not_text and not ocr_pages and not no_bo
    return Check(
        "5714: loi 09-08 from the text layer",
        ok,
        f"{len(law)} articles, {not_text} not text, {ocr_pages} OCR pages, {no_bo} without BO 5714",
        "67 articles, all text, BO n° 5714",
        {"law_ids": sorted({a.law_id for a in law}), "bo_ref": law[0].bo_ref if law else ""},
    )


def check_ar_decree(found: list[Article]) -> Check:
    """Check 3: the Arabic decree's articles, OCR'd, with their ordinal headings."""
    got = {a.article: arabic_index_form(a.heading) for a in found if a.article}
    ok = all(got.get(k) == h for k, h in AR_DECREE_HEADINGS.items()) and all(
        a.method == "ocr" for a in found if a.article
    )
    return Check(
        "ar-decret 2-26-530: ordinal headings by OCR",
        ok,
        ", ".join(f"{a.article}: {a.heading}" for a in found if a.article) or "no article",
        "المادة الأولى, الثانية, الثالثة (OCR)",
        {"law_ids": sorted({a.law_id for a in found}), "methods": sorted({a.method for a in found})},
    )


def check_counts(by_source: dict[str, list[Article]], refs: dict[str, list[dict]]) -> list[Check]:
    """Check 4: every French PDF's law that has a reference holds as many articles as the reference (±2%)."""
    counted: dict[str, tuple[str, int]] = {}
    for source, articles in sorted(by_source.items()):
        if not source.startswith("fr-") or source == OCR_EXTRACT:
            continue
        per_law: dict[str, int] = defaultdict(int)
        for a in articles:
            if a.article and a.law_id in refs:
                per_law[a.law_id] += 1
        for law_id, n in per_law.items():
            if law_id not in counted or n > counted[law_id][1]:
                counted[law_id] = (source, n)
    checks = []
    for law_id in sorted(set(refs) - {OCR_EXTRACT_LAW}):
        want = len(refs[law_id])
        source, n = counted.get(law_id, ("no PDF", 0))
        off = abs(n - want) / want
        checks.append(
            Check(
                f"count {law_id}",
                off <= COUNT_TOLERANCE,
                f"{n} vs {want} ({off:+.1%}) in {source}",
                f"within {COUNT_TOLERANCE:.0%}",
                {"source": source, "found": n, "reference": want},
            )
        )
    return checks


def check_plain_document(found: list[Article]) -> Check:
    """Check 5: a non-legal document stays one plain document, without articles."""
    keyed = [a.article for a in found if a.article]
    return Check(
        "CESE opinion: plain document",
        bool(found) and not keyed,
        f"{len(found)} record(s), {len(keyed)} article(s)",
        "no article",
    )


def check_edition_alignment(settings: Settings) -> Check:
    """The edition-alignment check's result, as `jarida index` left it (retrieval/alignment.py)."""
    from collections import Counter

    from jarida.retrieval import alignment

    result = alignment.load_checks(settings.data_dir / alignment.FILE_NAME)
    flagged, pairs = result["misaligned"], result["pairs_checked"]
    by_law = Counter(c["law_id"] for c in flagged)
    return Check(
        "editions: misaligned French/Arabic records flagged",
        pairs > 0 and len(flagged) < 0.15 * pairs,
        f"{len(flagged)} of {pairs} pairs: " + ", ".join(f"{law} {n}" for law, n in by_law.most_common())
        if pairs
        else "not run: `jarida index` writes it",
        "flagged pairs are never shown as the other edition; < 15 % of pairs",
        {"misaligned": [f"{c['law_id']} {c['article']} ({c['reason']})" for c in flagged]},
    )


def file_report(store: ArticleStore) -> list[dict]:
    """Per file: pages by method and mean OCR confidence (over OCR'd pages)."""
    rows = []
    for record in store.sources():
        pages = store.pages(record.source)
        confidences = [p.confidence for p in pages if p.method == "ocr" and p.confidence is not None]
        rows.append(
            {
                "file": record.source,
                "status": record.status,
                "pages": len(pages),
                "text": sum(p.method == "text" for p in pages),
                "ocr": sum(p.method == "ocr" for p in pages),
                "other": sum(p.method not in ("text", "ocr") for p in pages),  # e.g. blank pages
                "ocr_confidence": round(statistics.fmean(confidences), 1) if confidences else None,
                "articles": record.articles,
                "seconds": record.seconds,
            }
        )
    return rows


def _parser_mtime() -> float:
    """When the code that turns pages into articles last changed (ingest stage, normalisation, catalogue)."""
    import jarida.ingest

    package = Path(jarida.ingest.__file__).parent
    root = Path(__file__).resolve().parents[1] / "jarida"
    files = [*package.glob("*.py"), *root.glob("normalize.py"), *root.glob("catalogue.py"), *root.glob("laws.toml")]
    return max(f.stat().st_mtime for f in files)


def _stale(settings: Settings, pdfs: list[Path]) -> list[Path]:
    """PDFs whose stored articles predate the parser code: re-read them (OCR stays cached) so that
    figures measured after a parser change are the new parser's, never the store's old ones."""
    if not settings.db_path.exists():
        return []
    store = ArticleStore(settings.db_path)
    try:
        updated = dict(store.db.execute("SELECT source, updated FROM sources").fetchall())
    finally:
        store.close()
    since = _parser_mtime()
    return [p for p in pdfs if p.name in updated and (updated[p.name] or 0) < since]


def run_checks(settings: Settings, corpus: Path, force: bool = False) -> tuple[list[Check], list[dict], dict]:
    """Ingest the corpus PDFs into `settings.data_dir` (unchanged files skipped unless the parser changed
    since they were stored), then measure."""
    from jarida.ingest.pipeline import ingest

    pdfs = sorted(p for p in (corpus / "pdf").iterdir() if p.suffix.lower() == ".pdf")
    stale = pdfs if force else _stale(settings, pdfs)
    fresh = [p for p in pdfs if p not in stale]
    console = Console(stderr=True)
    summary = ingest(fresh, settings, console) if fresh else None
    reread = ingest(stale, settings, console, force=True) if stale else None
    refs = load_references(corpus)
    store = ArticleStore(settings.db_path)
    try:
        by_source = _by_source(store)
        checks = check_ocr_extract(settings, store, by_source.get(OCR_EXTRACT, []), refs[OCR_EXTRACT_LAW])
        checks.append(check_bo_5714(store, by_source.get(BO_5714, [])))
        checks.append(check_ar_decree(by_source.get(AR_DECREE, [])))
        checks += check_counts(by_source, refs)
        checks.append(check_plain_document(by_source.get(NOT_LEGAL, [])))
        checks.append(check_edition_alignment(settings))
        files = file_report(store)
    finally:
        store.close()
    done = [x for x in (summary, reread) if x]
    run = {
        "processed": sum(x.files for x in done),
        "reread_after_parser_change": len(stale) if not force else 0,
        "unchanged": sum(x.skipped_unchanged for x in done),
        "errors": [e for x in done for e in x.errors],
        "seconds": round(sum(x.seconds for x in done), 1),
    }
    return checks, files, run


# --------------------------------------------------------------------------- benchmark


def _timed_ocr(task: object) -> tuple[float, int]:
    """OCR one page (no cache hit possible: a fresh cache dir); (seconds, lines read)."""
    from jarida.ingest.ocr import ocr_page

    t0 = time.perf_counter()
    page = ocr_page(task)  # type: ignore[arg-type]
    return time.perf_counter() - t0, len(page.lines)


def _warm(_: int) -> int:
    import jarida.ingest.ocr  # noqa: F401  (the import a real task pays once per worker)

    time.sleep(0.3)  # long enough for every worker to take one
    return os.getpid()


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return {"p50": round(pick(0.5), 2), "p95": round(pick(0.95), 2), "max": round(ordered[-1], 2)}


def text_layer_speed(pdfs: list[Path]) -> dict:
    """Pages per second of text-layer extraction plus layer assessment, one process."""
    from jarida.ingest.pdf import open_pdf, text_layer_lines
    from jarida.ingest.quality import assess_layer

    pages, t0 = 0, time.perf_counter()
    for path in pdfs:
        pdf = open_pdf(path)
        try:
            for index in range(len(pdf)):
                assess_layer("\n".join(ln.text for ln in text_layer_lines(pdf[index])))
                pages += 1
        finally:
            pdf.close()
    seconds = time.perf_counter() - t0
    return {"files": len(pdfs), "pages": pages, "seconds": round(seconds, 2), "pages_per_s": round(pages / seconds, 1)}


def ocr_speed(settings: Settings, pdf: Path, per_run: int) -> dict:
    """One Tesseract process on `per_run` pages, then W processes on W×`per_run` other pages, cache empty."""
    from jarida.ingest.ocr import OcrTask
    from jarida.ingest.reading import page_count

    workers = max(1, settings.ocr_workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    total = page_count(pdf)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    with tempfile.TemporaryDirectory(prefix="jarida-bench-") as cache:
        # pages spread over the whole file, every (W+1)-th for the single process and the others for the pool,
        # so both runs read a like mix of pages; one empty cache per task: nothing is a hit, even if pages repeat
        wanted = per_run * (workers + 1)
        tasks = [
            OcrTask(
                str(pdf),
                i * total // wanted if wanted <= total else i % total,
                "pdf",
                settings.ocr_dpi,
                "fr",
                f"{cache}/{i}",
            )
            for i in range(wanted)
        ]
        single_tasks = tasks[:: workers + 1]
        multi_tasks = [t for i, t in enumerate(tasks) if i % (workers + 1)]
        t0 = time.perf_counter()
        single = [_timed_ocr(t)[0] for t in single_tasks]
        single_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            pids = set(pool.map(_warm, range(workers)))
            t1 = time.perf_counter()
            multi = [s for s, _ in pool.map(_timed_ocr, multi_tasks)]
            t2 = time.perf_counter()
    one = per_run / single_s
    warm = len(multi_tasks) / (t2 - t1)
    cold = len(multi_tasks) / (t2 - t0 - 0.3)  # the warm-up's deliberate sleep is not start-up cost
    return {
        "file": pdf.name,
        "dpi": settings.ocr_dpi,
        "cores": cores,
        "workers": workers,
        "workers_started": len(pids),
        "single": {"pages": per_run, "seconds": round(single_s, 2), "pages_per_s": round(one, 3)}
        | _percentiles(single),
        "parallel": {
            "pages": len(multi_tasks),
            "seconds": round(t2 - t1, 2),
            "seconds_with_startup": round(t2 - t0 - 0.3, 2),
            "startup_s": round(t1 - t0 - 0.3, 2),
            "pages_per_s": round(warm, 3),
            "pages_per_s_with_startup": round(cold, 3),
        }
        | _percentiles(multi),
        "efficiency": round(warm / (cores * one), 3),
        "efficiency_with_startup": round(cold / (cores * one), 3),
    }


def run_bench(settings: Settings, corpus: Path, per_run: int) -> dict:
    """Text-layer and OCR throughput; OCR parallel efficiency against cores × one process."""
    pdf_dir = corpus / "pdf"
    codes = sorted(p for p in pdf_dir.glob("fr-*.pdf") if p.name != OCR_EXTRACT)
    before = busy_cores()
    return {"busy_cores_before": before, "text_layer": text_layer_speed(codes)} | {
        "ocr": ocr_speed(settings, pdf_dir / OCR_EXTRACT, per_run),
        "busy_cores_after": busy_cores(),
    }


def busy_cores(seconds: float = 1.0) -> float | None:
    """Cores kept busy by other work over `seconds` (from /proc/stat; None where there is none)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return None
    cores = os.cpu_count() or 1
    return round(cores * (1 - (idle1 - idle0) / max(1, total1 - total0)), 2)


# --------------------------------------------------------------------------- output


def _print_checks(console: Console, checks: list[Check], files: list[dict], run: dict) -> None:
    table = Table(title="jarida eval ingest")
    for column in ("check", "result", "measured", "goal"):
        table.add_column(column)
    for c in checks:
        table.add_row(c.name, "[green]pass[/green]" if c.passed else "[red]FAIL[/red]", c.measured, c.goal)
    console.print(table)
    per_file = Table(title="pages by method")
    for column in ("file", "pages", "text", "OCR", "other", "OCR conf.", "articles"):
        per_file.add_column(column, justify="left" if column == "file" else "right")
    for f in files:
        conf = "" if f["ocr_confidence"] is None else f"{f['ocr_confidence']:.1f}"
        counts = [str(f[k]) for k in ("pages", "text", "ocr", "other")]
        per_file.add_row(f["file"], *counts, conf, str(f["articles"]))
    console.print(per_file)
    for c in checks:
        if (not c.passed or c.name.startswith(("5210", "editions"))) and c.details:
            console.print(f"[red]{c.name}[/red]: {json.dumps(c.details, ensure_ascii=False)[:600]}")
    if run["errors"]:
        console.print(f"[red]ingest errors[/red]: {run['errors']}")


def _print_bench(console: Console, result: dict) -> None:
    text, ocr = result["text_layer"], result["ocr"]
    table = Table(title="jarida eval ingest-bench")
    for column in ("measure", "value"):
        table.add_column(column)
    table.add_row("text layer", f"{text['pages_per_s']} pages/s ({text['pages']} pages, {text['files']} files)")
    s, p = ocr["single"], ocr["parallel"]
    table.add_row("OCR, 1 process", f"{s['pages_per_s']} pages/s; per page p50 {s['p50']} s, p95 {s['p95']} s")
    table.add_row(
        f"OCR, {ocr['workers']} processes",
        f"{p['pages_per_s']} pages/s ({p['pages_per_s_with_startup']} with {p['startup_s']} s start-up); "
        f"per page p50 {p['p50']} s, p95 {p['p95']} s",
    )
    table.add_row(
        f"OCR efficiency vs {ocr['cores']} cores × 1 process",
        f"{ocr['efficiency']:.0%} ({ocr['efficiency_with_startup']:.0%} with start-up); goal ≥ 80%",
    )
    table.add_row(
        "cores busy with other work, before / after", f"{result['busy_cores_before']} / {result['busy_cores_after']}"
    )
    console.print(table)
    if (result["busy_cores_before"] or 0) > 0.3 or (result["busy_cores_after"] or 0) > 0.3:
        console.print("[yellow]other processes were using the cores: the OCR figures are understated[/yellow]")


def main(settings: Settings, args: argparse.Namespace) -> int:
    """`jarida eval ingest` (exit 1 when a check fails) or `jarida eval ingest-bench` (always 0)."""
    corpus = Path(args.corpus or settings.corpus_dir)
    console = Console() if sys.stdout.isatty() else Console(width=160)
    if not (corpus / "pdf").is_dir():
        console.print(f"no corpus at {corpus} (pdf/ missing): pass --corpus or set JARIDA_CORPUS_DIR")
        return 2
    if args.what == "ingest-bench":
        result = run_bench(settings, corpus, max(1, args.pages))
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            _print_bench(console, result)
        return 0
    checks, files, run = run_checks(settings, corpus, force=args.force)
    if args.json:
        payload = {"checks": [asdict(c) for c in checks], "files": files, "ingest": run}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_checks(console, checks, files, run)
    return 0 if all(c.passed for c in checks) else 1
