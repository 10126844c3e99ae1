"""Batch scenario: a nightly run of ≥ 2,000 needs against 50k ChinaXiv paragraphs, timed per stage.

Needs: BDCI dev + unlabelled + demo needs, repeated with new ids up to --needs (every 10th copy is posted by one
of the synthetic institutions, so conflict rules fire). Outcomes: ChinaXiv paragraphs attributed to one
synthetic expert per preprint, at 200 synthetic institutions in 8 regions (ChinaXiv carries no authors). The
workspace (import + embeddings) is built once and reused; the timed part is the batch run itself, with the
embeddings cached, as it runs nightly.

python -m bench.batch --n 50000 --needs 2000 --embedder use
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

from bench.data import ROOT, chinaxiv_subset, datasets_dir
from bench.stats import peak_rss_mb, save_result, timed
from matcher.assign import BatchParams, execute, start_run
from matcher.config import Settings
from matcher.match import forward
from matcher.workspace import data
from matcher.workspace import data as data_in
from matcher.workspace.context import Context, open_context

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "docs" / "bench"
REGIONS = ["重庆", "黑龙江", "辽宁", "上海", "江苏", "浙江", "安徽", "北京"]
INSTITUTIONS = 200
log = logging.getLogger(__name__)


def institution(i: int) -> dict[str, Any]:
    group = f"合成集团{i % 20:02d}" if i % 4 == 0 else None
    return {"name": f"合成研究院{i:03d}", "region": REGIONS[i % len(REGIONS)], "type": "institute", "group": group}


def institutions_file() -> Path:
    """The synthetic institutions (8 regions, some in groups) the batch, reverse and map benchmarks share."""
    path = OUT / "data" / "batch-institutions.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(institution(i), ensure_ascii=False) + "\n" for i in range(INSTITUTIONS)))
    return path


def attributed_outcomes(n: int) -> Path:
    """ChinaXiv paragraphs with one synthetic expert per preprint (stable hash → institution)."""
    target = OUT / "data" / f"chinaxiv-{n}-experts.jsonl"
    if target.exists():
        return target
    with chinaxiv_subset(n, OUT / "data").open(encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        for line in src:
            row = json.loads(line)
            paper = row["id"].split("#")[0]
            inst = institution(zlib.crc32(paper.encode()) % INSTITUTIONS)
            row["institution"] = inst["name"]
            row["experts"] = [{"id": f"X-{paper}", "name": f"作者{paper[-8:]}", "institution": inst["name"]}]
            dst.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


def repeated_needs(count: int) -> Path:
    target = OUT / "data" / f"needs-{count}.jsonl"
    sources = [
        datasets_dir() / "bdci2019" / "dev" / "needs.jsonl",
        datasets_dir() / "bdci2019" / "unlabelled_needs.jsonl",
        ROOT / "data" / "demo" / "needs.jsonl",
    ]
    base = [json.loads(line) for path in sources for line in path.read_text(encoding="utf-8").splitlines()]
    with target.open("w", encoding="utf-8") as dst:
        for i in range(count):
            row = dict(base[i % len(base)], id=f"{base[i % len(base)]['id']}~{i // len(base)}", status="open")
            row["region"] = row.get("region") or REGIONS[i % len(REGIONS)]
            if i % 10 == 0:
                row["organization"] = institution(i % INSTITUTIONS)["name"]
            dst.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


def ranker_for(embedder: str) -> Path:
    """A demo-trained ranker for this embedder (the shipped one is for e5), trained once."""
    out = OUT / f"model-{embedder}"
    if not (out / "params.json").exists():
        demo = ROOT / "data" / "demo"
        cmd = [sys.executable, "-m", "matcher.cli.app", "train", "--needs", str(demo / "needs.jsonl")]
        cmd += ["--outcomes", str(demo / "outcomes.jsonl"), "--qrels", str(demo / "qrels.tsv"), "--out", str(out)]
        cmd += ["--name", f"demo-{embedder}", "--objective", "pairwise-linear"]
        subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "MATCHER_EMBEDDER": embedder})
    return out


def workspace(n: int, needs: int, embedder: str) -> tuple[Context, dict[str, Any]]:
    home = OUT / f"ws-batch-{n}-{embedder}"
    settings = Settings(home=home, embedder=embedder, model=str(ranker_for(embedder)), _env_file=None)  # type: ignore[call-arg]
    fresh = not (home / "index" / "params.json").exists()
    matcher = open_context(settings)
    setup: dict[str, Any] = {"reused_workspace": not fresh}
    if fresh:
        data.import_file(matcher, "institutions", institutions_file())
        _, setup["import_seconds"] = timed(lambda: data.import_file(matcher, "outcomes", attributed_outcomes(n)))
        _, setup["index_build_seconds"] = timed(lambda: data_in.build_index(matcher))
    _, setup["needs_import_seconds"] = timed(lambda: data.import_file(matcher, "needs", repeated_needs(needs)))
    return matcher, setup


def run(n: int, needs: int, embedder: str) -> dict[str, Any]:
    matcher, setup = workspace(n, needs, embedder)
    # load indexes and ranker outside the timing
    forward.match(matcher, forward.text_query(matcher, "预热"), level="expert")
    params = BatchParams(needs="all", per_need=3, alternates=2, expert_capacity=5, max_per_institution=2)
    start = time.perf_counter()
    run_id = start_run(matcher, params)
    t_select = time.perf_counter() - start
    stats = execute(matcher, run_id)
    wall = time.perf_counter() - start
    return {
        "scenario": f"batch-{needs}-chinaxiv-{n}-{embedder}",
        "corpus": f"ChinaXiv paragraphs (first {n}), synthetic expert per preprint",
        "embedder": matcher.embedder.name,
        "scorer": stats["versions"]["model"]["name"] if stats["versions"].get("model") else "fused",
        "needs": stats["needs"],
        "params": params.to_dict(),
        "setup": {k: round(v, 2) if isinstance(v, float) else v for k, v in setup.items()},
        "seconds": {"select": round(t_select, 2), **{k: round(v, 2) for k, v in stats["seconds"].items()}},
        "wall_seconds": round(wall, 2),
        "per_need_ms": round(1000 * stats["seconds"]["score"] / stats["needs"], 1),
        "candidates": stats["candidates"],
        "proposals": stats["proposals"],
        "alternates": stats["alternates"],
        "experts_proposed": stats["experts_proposed"],
        "unserved": len(stats["unserved"]),
        "conflicts_removed": stats["conflicts_removed"],
        "objective": stats["objective"],
        "greedy_objective": stats["greedy_objective"],
        "peak_rss_mb": peak_rss_mb(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--needs", type=int, default=2_000)
    parser.add_argument("--embedder", default="use")
    parser.add_argument("--prepare", action="store_true", help="Only build the workspace (import + embeddings).")
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(workspace(args.n, args.needs, args.embedder)[1]))
        return
    result = run(args.n, args.needs, args.embedder)
    save_result(result)


if __name__ == "__main__":
    main()
