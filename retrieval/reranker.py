"""A cross-encoder reranker: multilingual-e5-small read as a (question, article) pair classifier, LoRA-tuned.

`Reranker.score(question, passages)` returns one relevance logit per passage (higher: more likely to answer).
It runs through sentence-transformers' `CrossEncoder` (modules: the converted e5 transformer, mean pooling, a
linear head), with the trained LoRA adapter and head (`jarida train reranker`) merged in once at load time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from jarida.settings import Settings

from .cards import adapter_folder
from .embeddings import MODEL_SUBDIR, PASSAGE_PREFIX, QUERY_PREFIX, _cpu_count, merge_adapter, native_bf16

PACKAGED_RERANKER = Path(__file__).parent / "trained" / "reranker"
MAX_LENGTH = 192  # tokens of question + article read by the cross-encoder (training and search)
PASSAGE_CHARS = 1000  # an article's opening: more than 192 tokens in French or Arabic
HEAD_FILE = "head.safetensors"  # the trained linear head, beside the LoRA adapter


def pair(question: str, passage: str) -> tuple[str, str]:
    """The (question, passage) pair as the cross-encoder reads it, with e5's prefixes (training and search)."""
    return QUERY_PREFIX + question, PASSAGE_PREFIX + passage[:PASSAGE_CHARS]


def reranker_path(settings: Settings) -> Path | None:
    """The reranker adapter `settings` name (`reranker`: a folder, "none", or empty for the packaged one)."""
    return adapter_folder(settings.reranker, PACKAGED_RERANKER, "reranker", "jarida train reranker")


def load_cross_encoder(base_dir: Path, adapter: Path | None = None, max_length: int = MAX_LENGTH):
    """The e5 weights in `base_dir` as a one-logit `CrossEncoder` — the pair's tokens mean-pooled (as e5 was
    trained to read them) under a linear head —, with `adapter` (LoRA + head) merged; None: an untrained head."""
    from safetensors.torch import load_file
    from sentence_transformers import CrossEncoder
    from sentence_transformers.base.modules import Dense, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    encoder = Transformer(  # no attention dropout when training: three times slower on the CPU (see finetune.py)
        str(base_dir), transformer_task="feature-extraction", max_seq_length=max_length,
        config_kwargs={"attention_probs_dropout_prob": 0.0},
    )  # fmt: skip
    head = Dense(encoder.get_embedding_dimension(), 1, activation_function=None, module_output_name="scores")
    model = CrossEncoder(modules=[encoder, Pooling(encoder.get_embedding_dimension(), "mean"), head], device="cpu")
    if adapter is not None:  # in place: the LoRA layers fold into the weights, the trained head replaces the fresh one
        encoder.model = merge_adapter(encoder.model, adapter)
        head.linear.load_state_dict(load_file(str(adapter / HEAD_FILE)))
        model.eval()
    return model


class Reranker:
    """Scores (question, article text) pairs; callable as `reranker(question, passages) -> logits`."""

    def __init__(self, base_dir: Path, adapter: Path, threads: int | None = None, batch_size: int = 16) -> None:
        import torch

        torch.set_num_threads(threads or _cpu_count())
        self._torch = torch
        self.model = load_cross_encoder(base_dir, adapter)
        self.batch_size = batch_size
        self.bf16 = native_bf16()
        digest = hashlib.sha256(b"".join((adapter / f).read_bytes() for f in ("adapter_model.safetensors", HEAD_FILE)))
        digest = digest.hexdigest()[:12]
        self.model_id = f"reranker-{digest}"
        card = adapter / "card.json"  # its weight beside the fused score in search, chosen on validation
        self.fused_weight = (
            float(json.loads(card.read_text(encoding="utf-8")).get("fused_weight", 0.0)) if card.is_file() else 0.0
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Reranker | None:
        """The configured reranker over `data_dir`'s converted e5 weights, or None when there is none."""
        adapter = reranker_path(settings)
        return cls(settings.data_dir / MODEL_SUBDIR, adapter) if adapter is not None else None

    def __call__(self, question: str, passages: Sequence[str]) -> np.ndarray:
        return self.score(question, passages)

    def score(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """One logit per passage (float32)."""
        if not passages:
            return np.zeros(0, np.float32)
        pairs = [pair(question, p) for p in passages]
        torch = self._torch
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else nullcontext()
        with torch.inference_mode(), autocast:
            logits = self.model.predict(
                pairs, batch_size=self.batch_size, activation_fn=torch.nn.Identity(), convert_to_numpy=True,
                show_progress_bar=False,
            )  # fmt: skip
        return np.asarray(logits, np.float32).reshape(-1)
