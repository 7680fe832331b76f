"""One OpenAI-compatible chat client for vLLM and for the embedded llama.cpp server."""

from __future__ import annotations

from collections.abc import Iterator

import openai

from jarida.redact import redact


class LLMUnavailable(RuntimeError):
    """The LLM server could not be reached or failed; answers fall back to the retrieved articles.

    The message names the server by its redacted URL (`redact`): it is logged, never shown to the public.
    """


class LLMClient:
    """Chat completions against `base_url` (`http://host:port/v1`), plain or streamed."""

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 180.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.shown_url = redact(self.base_url)  # what messages and /readyz show: no password
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
                raise LLMUnavailable(f"LLM server at {self.shown_url} unreachable: {redact(str(exc))}") from exc
            if not models:
                raise LLMUnavailable(f"LLM server at {self.shown_url} lists no model")
            self._model = models[0].id
        return self._model

    def stream(self, messages: list[dict], max_tokens: int = 512, temperature: float = 0.0) -> Iterator[str]:
        """Text deltas as the model writes them; raises LLMUnavailable on any server failure.

        Closing this generator early (a client gone) closes the HTTP stream, which stops the server's generation.
        """
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
            )
            with response:
                for chunk in response:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except openai.OpenAIError as exc:
            raise LLMUnavailable(f"LLM server at {self.shown_url} failed: {redact(str(exc))}") from exc

    def complete(self, messages: list[dict], max_tokens: int = 512, temperature: float = 0.0) -> str:
        """The whole reply."""
        return "".join(self.stream(messages, max_tokens, temperature))

    def close(self) -> None:
        self._client.close()
