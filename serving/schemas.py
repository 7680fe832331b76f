"""Request and response shapes of the HTTP API, with the descriptions shown at `/docs`.

Requests are validated strictly (a number sent as a string is refused, unknown fields are refused) so that a
client's mistake gets a clear 422 instead of a silent guess.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from jarida.retrieval.store import SearchFilter

from .prompt import MAX_QUESTION_CHARS


def _yyyymmdd(day: date | None) -> int | None:
    return int(day.strftime("%Y%m%d")) if day else None


def _iso_day_only(value: object) -> object:
    if value is not None and not isinstance(value, str):  # pydantic would read a number as a Unix time
        raise ValueError("a day is written as a string, e.g. 2009-02-18")
    return value


def _whole_number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value  # JSON Schema's 4.0 is 4


Day = Annotated[date | None, BeforeValidator(_iso_day_only)]
Count = Annotated[StrictInt, Field(ge=1, le=20), BeforeValidator(_whole_number)]  # articles: 1 to 20
# The question: 1 to 2000 characters, not all blank; the same rule in the schema (`pattern`) and on the server.
QuestionText = Annotated[StrictStr, Field(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=r"\S")]


class Filters(BaseModel):
    """Restrict the articles searched (every field optional)."""

    model_config = ConfigDict(extra="forbid")
    lang: Literal["fr", "ar"] | None = Field(None, description="only this language edition")
    law_id: StrictStr | None = Field(None, max_length=100, description="one text, e.g. `loi-09-08`, `code-travail`")
    text_type: StrictStr | None = Field(None, max_length=40, description="dahir, loi, decret, arrete, circulaire…")
    date_from: Day = Field(None, description="texts dated on or after this day (ISO, e.g. 2009-02-18)")
    date_to: Day = Field(None, description="texts dated on or before this day")

    def search_filter(self) -> SearchFilter:
        """The retrieval filter these fields describe."""
        return SearchFilter(
            lang=self.lang, law_id=self.law_id or None, text_type=self.text_type or None,
            date_from=_yyyymmdd(self.date_from), date_to=_yyyymmdd(self.date_to),
        )  # fmt: skip


def unencodable(data: object) -> bool:
    """True when a string anywhere in `data` (JSON values, keys included) cannot be encoded: a lone surrogate
    such as `"\\ud800"`, which JSON allows and UTF-8 does not."""
    pending = [data]
    while pending:  # iterative: a deeply nested body must not exhaust the stack
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, dict):
            pending += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            pending += value
    return False


class _Request(BaseModel):
    """A request body: text that is not valid Unicode anywhere in it is refused (422) before any field is read."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: object) -> object:
        if unencodable(data):
            raise ValueError("the body holds text that is not valid Unicode (a lone surrogate such as \\ud800)")
        return data


class _Question(_Request):
    model_config = ConfigDict(extra="forbid")
    question: QuestionText = Field(description="in French, Arabic or Darija (1 to 2000 characters)")
    filters: Filters | None = None

    def search_filter(self) -> SearchFilter:
        return self.filters.search_filter() if self.filters else SearchFilter()


class QueryRequest(_Question):
    """A question to answer with cited articles."""

    k: Count | None = Field(None, description="articles given to the model (default 5)")
    stream: StrictBool = Field(False, description="answer as Server-Sent Events: `retrieved`, `delta`…, `done`")


class SearchRequest(_Question):
    """A question to search articles for (no generated answer)."""

    k: Count = Field(10, description="articles to return")
    mode: Literal["hybrid", "dense", "lexical"] = Field("hybrid", description="hybrid (default), dense or lexical")


class TextPart(BaseModel):
    """A text part of a user message (`{"type": "text", "text": ...}`)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["text"]
    text: QuestionText


class UserMessage(BaseModel):
    """A user message: its text (a string, or one text part) is a question; the last one is asked."""

    model_config = ConfigDict(extra="allow")
    role: Literal["user"]
    content: QuestionText | Annotated[list[TextPart], Field(min_length=1, max_length=1)]

    def text(self) -> str:
        """The message's text."""
        return self.content if isinstance(self.content, str) else self.content[0].text


class OtherMessage(BaseModel):
    """A message of another role: accepted, not read."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "assistant", "tool", "function"]
    content: StrictStr | list[dict] | None = None


HAS_USER_MESSAGE = {"contains": {"type": "object", "properties": {"role": {"const": "user"}}, "required": ["role"]}}


class ChatCompletionRequest(_Request):
    """OpenAI-compatible chat request; sampling fields (temperature, max_tokens…) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: StrictStr = Field("jarida", description="any name; jarida answers as `jarida`")
    messages: list[Annotated[UserMessage | OtherMessage, Field(discriminator="role")]] = Field(
        min_length=1, max_length=100, json_schema_extra=HAS_USER_MESSAGE, description="at least one user message"
    )
    stream: StrictBool = False
    filters: Filters | None = Field(None, description="jarida extension: restrict the articles searched")
    k: Count | None = Field(None, description="jarida extension: articles given to the model")

    def question(self) -> str | None:
        """The last user message's text (None without one)."""
        users = [m for m in self.messages if isinstance(m, UserMessage)]
        return users[-1].text() if users else None


class Error(BaseModel):
    """Every error: `{"error": {"code": ..., "message": ...}}`."""

    code: str = Field(description="machine-readable: unauthorized, rate_limited, not_found, invalid_request…")
    message: str
    type: str = Field(description="same as code (the field OpenAI clients read)")


class ErrorResponse(BaseModel):
    error: Error


class CitationOut(BaseModel):
    """An article the answer relies on (or, in `retrieved`, one given to the model); `n` is its `[n]`."""

    law_id: str
    law_title: str
    article: str
    lang: str
    bo_ref: str
    page: int | None
    excerpt: str
    score: float
    source: str
    n: int
    heading: str
    passage: str = Field("", description="the sentence(s) of the article that match the question")


class AnswerOut(BaseModel):
    """A checked answer: `grounded` (cites retrieved articles), `no_match` or `llm_unavailable`."""

    question: str
    answer: str
    status: Literal["grounded", "no_match", "llm_unavailable"]
    lang: str = Field(description="language of the answer: fr | ar")
    question_lang: str = Field(description="fr | ar | darija")
    notice: str = Field(description="for no_match / llm_unavailable: what to do instead")
    flags: list[str] = Field(description="what the citation check removed, and why")
    citations: list[CitationOut]
    retrieved: list[CitationOut]
    timings: dict[str, float]


class EditionOut(BaseModel):
    """One language edition of an article, from one source."""

    lang: str
    law_title: str
    heading: str
    text: str
    bo_ref: str
    pages: list[int]
    source: str
    breadcrumb: list[str]
    method: str
    ocr_confidence: float | None


class ArticleOut(BaseModel):
    law_id: str
    article: str
    editions: list[EditionOut]


class SearchOut(BaseModel):
    hits: list[dict] = Field(description="articles, best first: law_id, article, lang, score, text, law_title…")
