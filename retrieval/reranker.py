"""A cross-encoder reranker: multilingual-e5-small read as a (question, article) pair classifier, LoRA-tuned.

`Reranker.score(question, passages)` returns one relevance logit per passage (higher: more likely to answer).
It runs through sentence-transformers' `CrossEncoder` over the converted e5 weights, with the trained LoRA
adapter and classification head (`jarida train reranker`) merged in once at load time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from jarida.settings import Settings

from .cards import adapter_folder
from .embeddings import MODEL_SUBDIR, _cpu_count, merge_adapter, native_bf16

PACKAGED_RERANKER = Path(__file__).parent / "trained" / "reranker"
MAX_LENGTH = 192  # tokens of question + article read by the cross-encoder (training and search)
PASSAGE_CHARS = 1000  # an article's opening: more than 192 tokens in French or Arabic


def reranker_path(settings: Settings) -> Path | None:
    """The reranker adapter `settings` name (`reranker`: a folder, "none", or empty for the packaged one)."""
    return adapter_folder(settings.reranker, PACKAGED_RERANKER, "reranker", "jarida train reranker")


def load_cross_encoder(base_dir: Path, adapter: Path | None = None, max_length: int = MAX_LENGTH):
    """The e5 weights in `base_dir` as a one-logit `CrossEncoder`, with `adapter` merged (None: untrained head)."""
    from sentence_transformers import CrossEncoder
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the fresh classification head is reported as newly initialised
    try:
        model = CrossEncoder(  # no attention dropout when training: three times slower on the CPU (see finetune.py)
            str(base_dir), num_labels=1, max_length=max_length, device="cpu",
            config_kwargs={"attention_probs_dropout_prob": 0.0},
        )  # fmt: skip
    finally:
        hf_logging.set_verbosity(verbosity)
    if adapter is not None:  # in place: the LoRA layers fold into the weights, the trained head replaces the fresh one
        merge_adapter(model.model, adapter)
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
        digest = hashlib.sha256((adapter / "adapter_model.safetensors").read_bytes()).hexdigest()[:12]
        self.model_id = f"reranker-{digest}"

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
        pairs = [(question, p[:PASSAGE_CHARS]) for p in passages]
        torch = self._torch
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else nullcontext()
        with torch.inference_mode(), autocast:
            logits = self.model.predict(
                pairs, batch_size=self.batch_size, activation_fn=torch.nn.Identity(), convert_to_numpy=True,
                show_progress_bar=False,
            )  # fmt: skip
        return np.asarray(logits, np.float32).reshape(-1)
