"""Convert the packaged Qwen GGUF into a safetensors folder that `vllm serve` loads (run in vLLM's venv).

vLLM 0.32 (CPU) reads a GGUF path as a JSON config, so the packaged file is dequantised once to bf16 with
transformers' GGUF reader (no hub download). Usage: python scripts/vllm_convert.py GGUF OUT_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def convert(gguf: Path, out: Path) -> None:
    """Write `out` (config, bf16 safetensors, tokenizer with its chat template); `out/.complete` marks success."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils.quantization_config import GgufConfig

    started = time.monotonic()
    partial = out.with_name(out.name + ".partial")
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16,
        quantization_config=GgufConfig(dequantize=True),  # without it the weights stay packed and cannot be saved
    )  # fmt: skip
    model.save_pretrained(partial)
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(partial)
    partial.rename(out)
    (out / ".complete").write_text(gguf.name + "\n")
    print(f"vllm_convert: {gguf.name} -> {out} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/vllm_convert.py GGUF OUT_DIR")
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    if (target / ".complete").is_file():
        print(f"vllm_convert: {target} already converted")
    else:
        if not source.is_file():
            sys.exit(f"vllm_convert: {source} not found (jarida assembles it: scripts/setup-vllm.sh)")
        convert(source, target)
