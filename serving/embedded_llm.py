"""The embedded default LLM: llama-cpp-python's OpenAI-compatible server, started and stopped by jarida.

It speaks the same API as `vllm serve`, so the answering code has one path for both.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from jarida.settings import Settings

from .model_files import qwen_path


class EmbeddedLLMError(RuntimeError):
    """The embedded server did not start; the message holds the end of its log."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalServer:
    """An OpenAI-compatible server process on 127.0.0.1 for the life of a `with` block (or until `stop()`).

    Subclasses give the command line (`command(port)`); this class starts it, waits until `/v1/models` answers
    and stops it. The server's output goes to `log_file` (its tail is quoted when it fails to start).
    """

    engine = "server"

    def __init__(self, threads: int = 2, log_file: Path | None = None) -> None:
        self.threads, self.log_file = threads, log_file
        self.port = 0
        self._process: subprocess.Popen | None = None

    def command(self, port: int) -> list[str]:
        """The server's command line, listening on 127.0.0.1:`port`."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """The server's environment: this process's, with its thread count."""
        return {**os.environ, "OMP_NUM_THREADS": str(self.threads)}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process and self._process.poll() is None else None

    def start(self, timeout: float = 120.0) -> str:
        """Start the server and wait until it answers; returns its base URL."""
        self.port = _free_port()
        if self.log_file:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("ab") if self.log_file else subprocess.DEVNULL
        self._process = subprocess.Popen(
            self.command(self.port), stdout=log, stderr=subprocess.STDOUT, env=self.environment()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                raise EmbeddedLLMError(f"the {self.engine} server exited ({code}): {self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2):
                    return self.url
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise EmbeddedLLMError(f"the {self.engine} server did not answer within {timeout:.0f} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        if not self.log_file or not self.log_file.is_file():
            return "no log"
        return self.log_file.read_text(errors="replace")[-800:] + f" (full log: {self.log_file})"

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 10 s)."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmbeddedLLM(LocalServer):
    """The default: llama-cpp-python's server over a GGUF file."""

    engine = "llama.cpp"

    def __init__(self, model_file: Path, threads: int = 2, context: int = 4096, log_file: Path | None = None) -> None:
        super().__init__(threads, log_file)
        self.model_file, self.context = model_file, context

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedLLM:
        """The packaged model (or `JARIDA_LLM_MODEL_FILE`), logging to `<data_dir>/llm-server.log`."""
        model = Path(settings.llm_model_file) if settings.llm_model_file else qwen_path(settings.data_dir / "models")
        if not model.is_file():
            raise EmbeddedLLMError(f"model file {model} not found: check JARIDA_LLM_MODEL_FILE")
        return cls(model, settings.llm_threads, settings.llm_context, settings.data_dir / "llm-server.log")

    def command(self, port: int) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_file), "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", str(self.context), "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            "--interrupt_requests", "False",  # default True: a second request cuts the running stream short
        ]  # fmt: skip
