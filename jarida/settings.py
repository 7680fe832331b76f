"""Settings: `JARIDA_*` environment variables over an optional `jarida.toml`, over defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Everything a jarida command may be configured with."""

    data_dir: Path = Path("data")
    corpus_dir: Path = Path("../shared/corpus")
    eval_dir: Path = Path("../shared/eval")
    train_questions: Path = Path("../shared/train/questions.jsonl")  # what `jarida train` learns from
    encoder_adapter: str = ""  # LoRA adapter of the e5 encoder; empty: the packaged one; "none": the base model
    query_adapter: str = ""  # question-side LoRA on top of it; empty: the packaged one; "none": none
    reranker: str = ""  # cross-encoder adapter + gate folder; empty: the packaged one; "none": no reranking
    rerank_depth: int = 20  # fused candidates the cross-encoder reorders
    ocr_dpi: int = 300
    ocr_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_pages: int = 2000
    # A page whose image at `ocr_dpi` would exceed this is rendered at a lower resolution (down to 150 dpi) or
    # refused: a 605-byte PDF can declare a 5 m page, whose 300 dpi raster would need 3.6 GB.
    max_page_pixels: int = 40_000_000
    qdrant_url: str = ""
    qdrant_api_key: str = ""
    # How a Qdrant server or cluster lays out a collection it creates (README "Scaling": 3 / 2 / true for 2 M chunks)
    qdrant_shards: int = 1
    qdrant_replicas: int = 1
    qdrant_on_disk: bool = False  # vectors and payload memory-mapped, int8 vectors in RAM (rescored)
    llm_url: str = ""  # an OpenAI-compatible server (vLLM); empty: the embedded llama.cpp server
    llm_model: str = ""  # model name on that server; empty: the first one it lists
    llm_api_key: str = ""
    llm_model_file: str = ""  # GGUF for the embedded server; empty: the packaged Qwen2.5 1.5B
    llm_engine: str = "llama.cpp"  # the server jarida starts when llm_url is empty: "llama.cpp" or "vllm"
    vllm_python: Path = Path(".venv-vllm/bin/python")  # vLLM's own virtualenv (scripts/setup-vllm.sh)
    vllm_model: Path = Path(".cache/vllm/qwen2.5-coder-1.5b")  # the packaged Qwen, converted for vLLM (same script)
    llm_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    llm_context: int = 4096
    llm_timeout: int = 180  # seconds for one answer
    llm_enabled: bool = True  # false: no LLM at all, every door answers with the retrieved articles (search only)
    # The answerability gate: an article goes to the LLM (and may be cited) when the learned probability that it
    # answers reaches this; NaN (unset): the threshold chosen on the validation split (README "Learned relevance").
    # Below it the answer is `no_match` with the closest articles listed for the user to check.
    answer_min_confidence: float = float("nan")
    api_auth: bool = True  # `/v1/*` needs an API key (`jarida keys create`); `jarida serve --no-auth` for local use
    api_rate_per_minute: int = 60  # requests per minute of a new API key (and of a client IP without auth)
    chat_rate_per_minute: int = 12  # requests per minute of one client IP on the public chat page
    max_body_bytes: int = 65536  # larger request bodies get 413
    # Addresses (comma-separated IPs or networks, `*` for any) of reverse proxies whose X-Forwarded-For /
    # X-Forwarded-Proto are believed; empty: none, the client is the TCP peer (rate limits are per peer).
    trusted_proxies: str = ""
    header_timeout: int = 10  # seconds a connection may take to send a request's headers before it is closed
    max_pending_answers: int = 4  # answers waiting on the LLM beyond this get the retrieved articles at once

    @property
    def db_path(self) -> Path:
        return self.data_dir / "jarida.sqlite"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


def _coerce(value: object, like: object) -> object:
    if isinstance(like, Path):
        return Path(str(value)).expanduser()
    if isinstance(like, bool):
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ValueError(f"not a boolean: {value!r} (use true or false)")
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, float):
        return float(value)  # type: ignore[arg-type]
    if isinstance(like, int):
        return int(value)  # type: ignore[arg-type]
    return str(value)


def load_settings(config_file: Path | None = None, **overrides: object) -> Settings:
    """Defaults, then `jarida.toml` (or `JARIDA_CONFIG`), then `JARIDA_*` variables, then overrides."""
    defaults = Settings()
    values: dict[str, object] = {}
    path = config_file or Path(os.environ.get("JARIDA_CONFIG", "jarida.toml"))
    if path.is_file():
        with path.open("rb") as fh:
            values.update(tomllib.load(fh))
    for f in fields(Settings):
        env = os.environ.get(f"JARIDA_{f.name.upper()}")
        if env not in (None, ""):
            values[f.name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in fields(Settings)}
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)} in {path}; see README, 'Configuration'")
    return Settings(**{k: _coerce(v, getattr(defaults, k)) for k, v in values.items()})
