"""Export an answer with its citations: Markdown, and PDF printed from HTML by headless Chromium.

Chromium shapes Arabic (joining, right-to-left) correctly, which simple PDF writers do not.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from jarida.serving.answer import Answer
from jarida.types import Citation
from jarida.ui.i18n import N_, _

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, offline: no background connections (refused on a closed network), no sandbox (root in containers).
HEADLESS_CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_ARGS = [*HEADLESS_CHROMIUM_ARGS, "--no-pdf-header-footer"]
STATUS_LABEL = {
    "grounded": N_("Answer grounded in the cited articles"),
    "no_match": N_("No article answers this question"),
    "llm_unavailable": N_("Language model unavailable: the closest articles"),
}


def _status(status: str) -> str:
    return _(STATUS_LABEL[status]) if status in STATUS_LABEL else status


def _footer(when: datetime) -> str:
    return _("Exported by jarida on {when}. Check the articles in the Bulletin officiel.").format(
        when=f"{when:%d/%m/%Y %H:%M}"
    )


class ExportError(RuntimeError):
    """The PDF could not be made; the message says what to do."""


def find_chromium() -> str | None:
    """`JARIDA_CHROMIUM`, else the first Chromium or Chrome on PATH (Debian: /usr/bin/chromium)."""
    configured = os.environ.get("JARIDA_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def _cite_line(c: Citation) -> str:
    heading = c.heading or f"Article {c.article}"
    parts = [f"{c.law_title} — {heading} ({c.lang})".strip(" —")]
    if c.bo_ref:
        parts.append(c.bo_ref)
    if c.page:
        where = _("p. {page} of {source}") if c.source else _("p. {page}")
        parts.append(where.format(page=c.page, source=c.source))
    return ", ".join(parts)


def shown_citations(answer: Answer) -> list[Citation]:
    """The cited articles, or (no answer written) the retrieved ones the clerk was shown."""
    return answer.citations or ([] if answer.status == "no_match" else answer.retrieved)


def to_markdown(answer: Answer, when: datetime | None = None) -> str:
    """The answer, its status and its citations as Markdown."""
    when = when or datetime.now()
    lines = [f"# {answer.question}", "", f"*{_status(answer.status)}*", ""]
    if answer.answer:
        lines += [answer.answer, ""]
    if answer.notice:
        lines += [f"> {answer.notice}", ""]
    cited = shown_citations(answer)
    if cited:
        lines += ["## " + _("Sources"), ""]
        for c in cited:
            lines.append(f"[{c.n}] {_cite_line(c)}")
            if c.excerpt:
                lines.append(f"    > {' '.join(c.excerpt.split())}")
        lines.append("")
    lines.append(f"_{_footer(when)}_")
    return "\n".join(lines) + "\n"


def _dir(text: str) -> str:
    arabic = sum("\u0600" <= ch <= "\u06ff" for ch in text)
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    return "rtl" if arabic > latin else "ltr"


def to_html(answer: Answer, when: datetime | None = None) -> str:
    """A standalone HTML page of the answer (Arabic paragraphs right-to-left)."""
    when = when or datetime.now()
    esc = html.escape
    body = [
        f'<h1 dir="{_dir(answer.question)}">{esc(answer.question)}</h1>',
        f'<p class="status">{esc(_status(answer.status))}</p>',
    ]
    for para in (answer.answer or "").split("\n"):
        if para.strip():
            body.append(f'<p dir="{_dir(para)}">{esc(para)}</p>')
    if answer.notice:
        body.append(f'<blockquote dir="{_dir(answer.notice)}">{esc(answer.notice)}</blockquote>')
    cited = shown_citations(answer)
    if cited:
        body.append(f'<h2>{esc(_("Sources"))}</h2><ol class="sources">')
        for c in cited:
            excerpt = " ".join(c.excerpt.split())
            body.append(
                f'<li value="{c.n}"><div dir="{_dir(c.law_title + c.heading)}">{esc(_cite_line(c))}</div>'
                + (
                    f'<div class="excerpt" dir="{_dir(excerpt)}" lang="{c.lang}">{esc(excerpt)}</div>'
                    if excerpt
                    else ""
                )
                + "</li>"
            )
        body.append("</ol>")
    body.append(f'<p class="foot">{esc(_footer(when))}</p>')
    style = (
        "body{font-family:'Noto Sans','Noto Naskh Arabic','Noto Sans Arabic','DejaVu Sans',sans-serif;"
        "margin:2cm;line-height:1.5;color:#111}h1{font-size:1.4em}.status{color:#555;font-style:italic}"
        ".excerpt{color:#333;border-left:3px solid #ccc;padding-left:.6em;margin:.3em 0 .8em}"
        ".excerpt[dir=rtl]{border-left:0;border-right:3px solid #ccc;padding:0 .6em 0 0}"
        ".foot{margin-top:2em;color:#666;font-size:.85em}"
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{esc(answer.question[:80])}</title>'
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>"
    )


def to_pdf(answer: Answer, chromium: str | None = None, timeout: float = 60) -> bytes:
    """The answer as PDF, printed by headless Chromium; ExportError when Chromium is missing or fails."""
    browser = chromium or find_chromium()
    if not browser:
        raise ExportError(
            _(
                "PDF export needs Chromium or Chrome, which was not found: install it (Debian: apt install chromium) "
                "or set JARIDA_CHROMIUM to its path. The Markdown export works without it."
            )
        )
    with tempfile.TemporaryDirectory(prefix="jarida-export-") as tmp:
        page, out = Path(tmp) / "answer.html", Path(tmp) / "answer.pdf"
        page.write_text(to_html(answer), encoding="utf-8")
        command = [browser, *CHROMIUM_ARGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ExportError(_("Chromium could not print the PDF ({error})").format(error=exc)) from exc
        if not out.is_file() or out.stat().st_size == 0:
            raise ExportError(
                _("Chromium made no PDF (exit {code}): {detail}").format(
                    code=done.returncode, detail=done.stderr.strip()[-300:]
                )
            )
        return out.read_bytes()
