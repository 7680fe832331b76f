"""Checking what the model wrote against what it was given: `[n]` markers and article numbers.

Every `[n]` must name an excerpt that was in the prompt (unknown ones are removed and flagged); an article
number written in the answer must be one of the cited articles or appear in their text (otherwise the
sentence carrying it is removed and flagged, so no invented article number reaches the user).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jarida.normalize import ascii_digits

from .prompt import NONE_MARK

SOURCES_LINE = re.compile(r"^\s*\**\s*SOURCES?\s*\**\s*[:：]\s*(?P<list>[^\n]*)", re.IGNORECASE)
MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,،;]\s*\d{1,3})*)\s*\]")
ARTICLE_NUMBER = re.compile(
    r"(?:\bart(?:icle)?s?\.?|المادة|المادتين|الفصل|الفصلين|مادة|فصل)\s*(?:n°\s*)?(\d{1,4}(?:[-.]\d{1,3})?)",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"[^.!?؟\n]+[.!?؟]*\s*")


@dataclass
class Checked:
    """The answer after checking: text to show, the excerpt numbers it cites, what was removed and why."""

    text: str
    cited: list[int] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    declared_none: bool = False


def split_sources_line(raw: str) -> tuple[list[int] | None, bool, str]:
    """(`SOURCES:` numbers or None when absent, whether it said NONE, the body after that line)."""
    match = SOURCES_LINE.match(raw)
    if not match:
        return None, False, raw
    listed = match.group("list")
    body = raw[match.end() :].lstrip("\n")
    if NONE_MARK.lower() in listed.lower() or "aucun" in listed.lower():
        return [], True, body
    return [int(n) for n in re.findall(r"\d{1,3}", ascii_digits(listed))], False, body


def _numbers(marker_list: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", marker_list)]


def check_answer(raw: str, known: dict[int, tuple[str, str]]) -> Checked:
    """Check a raw model reply against the excerpts `known`: n → (article number, excerpt text)."""
    listed, declared_none, body = split_sources_line(ascii_digits(raw))
    flags: list[str] = []
    if declared_none:
        return Checked("", [], flags, declared_none=True)

    def keep_known(match: re.Match) -> str:
        numbers = _numbers(match.group(1))
        good = [n for n in numbers if n in known]
        for n in numbers:
            if n not in known:
                flags.append(f"citation [{n}] removed: no such excerpt was retrieved")
        return "".join(f"[{n}]" for n in good)

    body = re.sub(r"[ \t]+([.,;:!?؟،])", r"\1", MARKER.sub(keep_known, body)).strip()
    cited = _cited_in(body)
    if not cited and listed:
        good = [n for n in listed if n in known]
        if good:
            body = f"{body} " + "".join(f"[{n}]" for n in good)
            flags.append("the answer carried no [n] markers: the excerpts it listed as sources are cited")
            cited = good
    body = _drop_unverified_articles(body, {n: known[n] for n in cited}, flags)
    return Checked(body.strip(), _cited_in(body), flags)


def _cited_in(text: str) -> list[int]:
    seen: list[int] = []
    for match in MARKER.finditer(text):
        for n in _numbers(match.group(1)):
            if n not in seen:
                seen.append(n)
    return seen


def _normal_number(number: str) -> str:
    return number.replace(".", "-").lstrip("0") or "0"


def _supported(number: str, cited: dict[int, tuple[str, str]]) -> bool:
    key = _normal_number(number)
    for article, text in cited.values():
        if _normal_number(article.split()[0] if article else "") == key:
            return True
        mentioned = {_normal_number(m.group(1)) for m in ARTICLE_NUMBER.finditer(ascii_digits(text))}
        if key in mentioned:
            return True
    return False


def _drop_unverified_articles(body: str, cited: dict[int, tuple[str, str]], flags: list[str]) -> str:
    """Remove each sentence naming an article number that neither a cited article has nor its text mentions."""
    kept = []
    for sentence in SENTENCE.findall(body):
        bad = [m.group(1) for m in ARTICLE_NUMBER.finditer(sentence) if not _supported(m.group(1), cited)]
        if bad:
            flags.append(f"sentence removed: article {', '.join(bad)} is not among the cited articles")
            continue
        kept.append(sentence)
    return "".join(kept)


def invented_articles(text: str, cited: dict[int, tuple[str, str]]) -> list[str]:
    """Article numbers in `text` that the cited articles do not support (for evaluation)."""
    return [m.group(1) for m in ARTICLE_NUMBER.finditer(ascii_digits(text)) if not _supported(m.group(1), cited)]


class SourcesLineFilter:
    """Holds back the reply's first `SOURCES:` line while streaming; `declared_none` once it says NONE."""

    def __init__(self) -> None:
        self._buffer = ""
        self._released = False
        self.declared_none = False

    def feed(self, piece: str) -> str:
        """The part of the reply so far that can be shown."""
        if self._released:
            return piece
        self._buffer += piece
        head = self._buffer.lstrip().lstrip("*").upper()
        maybe_line = "SOURCES".startswith(head[:7]) or head.startswith("SOURCE")
        if maybe_line and "\n" not in self._buffer.lstrip() and len(self._buffer) < 200:
            return ""  # still reading what may be the SOURCES line
        _, self.declared_none, body = split_sources_line(self._buffer)
        self._released = not self.declared_none
        return "" if self.declared_none else body
