"""`matcher index build` in one process vs `--ray local` (a throwaway local Ray cluster, N embedder actors), on
the first N ChinaXiv paragraphs, each from an empty embedding cache; the two indexes are compared vector by vector.

python -m bench.ray_build --n 10000 --embedder use [--actors 2]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.data import chinaxiv_subset
from bench.scale import OUT
from bench.stats import peak_rss_mb, save_result, timed
from matcher.config import Settings
from matcher.index.build import DENSE
from matcher.index.dense import DenseIndex
from matcher.workspace import data as data_in
from matcher.workspace.context import Context, open_context


def _fresh(home: Path, embedder: str, data: Path) -> Context:
    shutil.rmtree(home, ignore_errors=True)
    matcher = open_context(Settings(home=home, embedder=embedder, _env_file=None))  # type: ignore[call-arg]
    data_in.import_file(matcher, "outcomes", data)
    return matcher


def _single(home: Path, embedder: str, data: Path) -> float:
    matcher = _fresh(home, embedder, data)
    _, seconds = timed(lambda: data_in.build_index(matcher))
    matcher.close()
    return seconds


def _with_ray(home: Path, embedder: str, data: Path, actors: int) -> dict[str, float]:
    matcher = _fresh(home, embedder, data)
    started = time.perf_counter()
    embedded = data_in.embed_on_ray(matcher, "local", actors=actors, num_cpus=actors)
    embed_s = time.perf_counter() - started
    _, build_s = timed(lambda: data_in.build_index(matcher))
    matcher.close()
    return {"embedded": embedded, "ray_embed_s": round(embed_s, 2), "index_s": round(build_s, 2)}


def _max_difference(a: Path, b: Path) -> float:
    """Largest |difference| between the two dense indexes' vectors of the same outcome."""
    one, two = DenseIndex.load(a / "index" / DENSE), DenseIndex.load(b / "index" / DENSE)
    if one.hashes_ != two.hashes_:
        return float("inf")
    pks = sorted(one.hashes_)
    diff = [np.abs(one.index_.reconstruct(p) - two.index_.reconstruct(p)).max() for p in pks]  # type: ignore[union-attr]
    return float(max(diff))


def run(n: int, embedder: str, actors: int) -> dict[str, Any]:
    data = chinaxiv_subset(n, OUT / "data")
    single_home, ray_home = OUT / f"ws-ray-single-{n}-{embedder}", OUT / f"ws-ray-{n}-{embedder}"
    single_s = _single(single_home, embedder, data)
    ray = _with_ray(ray_home, embedder, data, actors)
    total = ray["ray_embed_s"] + ray["index_s"]
    return {
        "scenario": f"ray-build-{n}-{embedder}",
        "outcomes": n,
        "embedder": embedder,
        "actors": actors,
        "single_process_s": round(single_s, 2),
        "ray": {**ray, "total_s": round(total, 2)},
        "speedup": round(single_s / total, 2),
        "max_vector_difference": _max_difference(single_home, ray_home),
        "peak_rss_mb_driver": peak_rss_mb(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--embedder", default="use")
    parser.add_argument("--actors", type=int, default=2)
    args = parser.parse_args()
    save_result(run(args.n, args.embedder, args.actors))


if __name__ == "__main__":
    main()
