"""jarida answers in OpenAI's chat-completion shapes, so the `openai` client can use jarida as a model."""

from __future__ import annotations

import time
import uuid

from jarida.types import Citation

from .answer import Answer

MODEL_NAME = "jarida"


def completion_id() -> str:
    """A fresh `chatcmpl-…` id."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def sources_block(citations: list[Citation]) -> str:
    """`Sources:` then one `[n] law title — article (BO ref)` line per citation ("" when none)."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        line = f"[{c.n}] {c.law_title or c.law_id} — {c.heading or 'Article ' + c.article}"
        lines.append(line + (f" ({c.bo_ref})" if c.bo_ref else ""))
    return "Sources:\n" + "\n".join(lines)


def _body(answer: Answer) -> str:
    return answer.answer if answer.status == "grounded" else (answer.notice or answer.answer)


def message_text(answer: Answer) -> str:
    """The assistant message: the answer (or the notice when there is none), then its sources."""
    body = _body(answer)
    sources = sources_block(answer.citations)
    return f"{body}\n\n{sources}" if sources else body


def extras(answer: Answer) -> dict:
    """jarida's fields beside OpenAI's: the citations and the answer's status, flags and checked text."""
    return {
        "citations": [c.to_dict() for c in answer.citations],
        "jarida": {"status": answer.status, "flags": answer.flags, "notice": answer.notice, "answer": answer.answer},
    }


def completion(answer: Answer, model: str = MODEL_NAME) -> dict:
    """A whole `chat.completion` object."""
    return {
        "id": completion_id(), "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": message_text(answer)},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **extras(answer),
    }  # fmt: skip


def chunk(cid: str, created: int, delta: dict, finish: str | None = None, model: str = MODEL_NAME) -> dict:
    """One `chat.completion.chunk`."""
    return {
        "id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }  # fmt: skip


def final_text(answer: Answer, streamed: str) -> str:
    """What the last chunk adds to the text already streamed: the notice when nothing was, then the sources."""
    body = "" if streamed.strip() else _body(answer)
    sources = sources_block(answer.citations)
    parts = [p for p in (body, sources) if p]
    text = "\n\n".join(parts)
    return ("\n\n" + text) if streamed.strip() and text else text
