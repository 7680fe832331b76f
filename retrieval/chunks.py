"""Articles become chunks: one per article, long ones split at paragraph boundaries with overlap.

Every chunk carries its text's title, article number and breadcrumb, both in the text that is embedded and in
the payload, so a chunk is understood (and cited) on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from jarida.types import Article

MAX_TOKENS = 400  # of the encoder's 512-token window, leaving room for the heading and the prefix
OVERLAP_PARAGRAPHS = 1


@dataclass(frozen=True)
class Chunk:
    """A piece of one article, ready to embed and index."""

    key: str  # "<article id>#<n>"
    article: Article
    part: int  # 0-based
    parts: int
    body: str  # the article text of this chunk

    @property
    def heading(self) -> str:
        """What situates the chunk: text title, article number, breadcrumb."""
        number = self.article.heading or (f"Article {self.article.article}" if self.article.article else "")
        if self.article.lang == "ar" and not self.article.heading and self.article.article:
            number = f"المادة {self.article.article}"
        parts = [self.article.law_title, number, " › ".join(self.article.breadcrumb)]
        return " — ".join(p for p in parts if p)

    @property
    def embed_text(self) -> str:
        return f"{self.heading}\n{self.body}"

    def fingerprint(self, model: str) -> str:
        """Changes whenever what is embedded or stored for the chunk changes."""
        a = self.article
        meta = f"{a.bo_ref}|{a.bo_number}|{a.text_date}|{a.pages}|{a.method}|{a.text_type}"
        return hashlib.sha256(f"{model}|{self.embed_text}|{meta}".encode()).hexdigest()[:32]


def _paragraphs(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines or [text.strip()]


def chunk_article(article: Article, count_tokens: Callable[[str], int], max_tokens: int = MAX_TOKENS) -> list[Chunk]:
    """The article's chunks; empty for an article without text (a repealed article)."""
    if not article.text.strip():
        return []
    if count_tokens(article.text) <= max_tokens:
        return [Chunk(f"{article.id}#0", article, 0, 1, article.text.strip())]
    paragraphs = _paragraphs(article.text)
    pieces: list[list[str]] = [[]]
    size = 0
    for paragraph in paragraphs:
        tokens = count_tokens(paragraph)
        if pieces[-1] and size + tokens > max_tokens:
            carried = pieces[-1][-OVERLAP_PARAGRAPHS:] if OVERLAP_PARAGRAPHS else []
            carried = [p for p in carried if count_tokens(p) < max_tokens // 2]
            pieces.append(list(carried))
            size = sum(count_tokens(p) for p in carried)
        pieces[-1].append(paragraph)
        size += tokens
    bodies = ["\n".join(piece) for piece in pieces if piece]
    return [Chunk(f"{article.id}#{i}", article, i, len(bodies), body) for i, body in enumerate(bodies)]
