"""What this machine's CPU can do, for the stages that pick a number format by it."""

from __future__ import annotations

from pathlib import Path


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); else bfloat16 is emulated, far slower
    than float32 (the encoder ≈ 3×, vLLM's warm-up ≈ 9 min instead of 1 on a 2-core AVX2 machine)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags
