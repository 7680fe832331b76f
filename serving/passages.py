"""The passage of an article that matches a question: the sentence(s) sharing the most search terms with it.

One selection for every door: the API and the chat page get it in each citation's `passage`, the workspace shows
the same field highlighted.
"""

from __future__ import annotations

import re

from jarida.retrieval.lexical import terms

# A sentence ends at . ! ? ؟ ; ؛ ("art. 12" does not end one) or before a printed list item (1°, 2-, a), -).
_SENTENCE_END = re.compile(r"(?i)(?<!\bart\.)(?<=[.!?؟;؛])\s+|\n+")
# A printed line break inside a sentence (PDF and OCR text keep the page's lines) is a space.
_WRAPPED_LINE = re.compile(r"\n(?!\s*(?:\d{1,3}\s*[°\-.)]|[a-zA-Z\u0600-\u06ff]\s?\)|[-–—•]\s))")
MAX_CHARS = 600


def sentences(text: str) -> list[str]:
    """The text's sentences (and printed lines without a full stop), whitespace tidied."""
    parts = (" ".join(p.split()) for p in _SENTENCE_END.split(_WRAPPED_LINE.sub(" ", text)))
    return [p for p in parts if p]


def matching_passage(question: str, text: str, max_sentences: int = 2) -> str:
    """The run of at most `max_sentences` consecutive sentences of `text` that shares the most distinct search
    terms (stemmed, French and Arabic) with `question`; the opening sentence when none shares a term."""
    found = sentences(text)
    if not found:
        return ""
    wanted = set(terms(question))
    per_sentence = [set(terms(s)) & wanted for s in found]
    best, best_score = (0, 1), 0.0
    for start in range(len(found)):
        for size in range(1, max_sentences + 1):
            if start + size > len(found):
                break
            shared = set().union(*per_sentence[start : start + size])
            # a second sentence must bring a new term to be worth its length
            score = len(shared) - 0.01 * size
            if score > best_score:
                best, best_score = (start, size), score
    start, size = best
    passage = " ".join(found[start : start + size])
    return passage if len(passage) <= MAX_CHARS else passage[:MAX_CHARS].rsplit(" ", 1)[0] + " …"
