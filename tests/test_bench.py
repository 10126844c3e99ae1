"""`make bench` runs for tens of minutes outside the suite; at least every scenario it names must import."""

from __future__ import annotations

import importlib

import pytest

from bench.run import SCENARIOS


@pytest.mark.parametrize("module", sorted({s[0] for s in SCENARIOS} | {"bench.report"}))
def test_every_benchmark_scenario_imports(module: str) -> None:
    assert callable(importlib.import_module(module).main)
