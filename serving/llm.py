"""One OpenAI-compatible chat client for vLLM and for the embedded llama.cpp server."""

from __future__ import annotations

from collections.abc import Iterator

import openai


class LLMUnavailable(RuntimeError):
    """The LLM server could not be reached or failed; answers fall back to the retrieved articles."""


class LLMClient:
    """Chat completions against `base_url` (`http://host:port/v1`), plain or streamed."""

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 180.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0
        )
        self._model = model

    @property
    def model(self) -> str:
        """The configured model, else the first one the server lists."""
        if not self._model:
            try:
                models = self._client.models.list().data
            except openai.OpenAIError as exc:
                raise LLMUnavailable(f"LLM server at {self.base_url} unreachable: {exc}") from exc
            if not models:
                raise LLMUnavailable(f"LLM server at {self.base_url} lists no model")
            self._model = models[0].id
        return self._model

    def stream(self, messages: list[dict], max_tokens: int = 512, temperature: float = 0.0) -> Iterator[str]:
        """Text deltas as the model writes them; raises LLMUnavailable on any server failure."""
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
            )
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise LLMUnavailable(f"LLM server at {self.base_url} failed: {exc}") from exc

    def complete(self, messages: list[dict], max_tokens: int = 512, temperature: float = 0.0) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, max_tokens, temperature))

    def close(self) -> None:
        self._client.close()
