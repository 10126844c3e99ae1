"""The tree reads as the pipeline: every module sits in one stage, imports only from its own stage or those below,
and no import cycle exists (function-level and type-checking imports count too)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# lowest first; a module belongs to the longest prefix that names it
STAGES: list[list[str]] = [
    ["matcher", "matcher.config", "matcher.errors", "matcher.bundled", "matcher.artifacts", "matcher.export.sheets"],
    ["matcher.text"],
    ["matcher.records"],
    ["matcher.store"],
    ["matcher.services"],
    ["matcher.embed"],
    ["matcher.ingest"],
    ["matcher.index"],
    ["matcher.search"],
    ["matcher.ranking"],
    ["matcher.rollup"],
    ["matcher.workspace.context", "matcher.workspace.served"],
    ["matcher.match"],
    ["matcher.learn", "matcher.assign", "matcher.label"],
    ["matcher.plan"],
    ["matcher.map"],
    ["matcher.export", "matcher.report"],
    ["matcher.tuning"],
    ["matcher.workspace", "matcher.workspace.facade", "matcher.workspace.scratch"],
    ["matcher.cli"],
    ["evaluation", "api"],
]
LOOSE = {"matcher.config", "matcher.errors", "matcher.records"}  # the only modules outside a package


@cache
def _modules() -> dict[str, Path]:
    found = {}
    for package in ("matcher", "api", "evaluation"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def stage_of(module: str) -> int:
    best, stage = -1, -1
    for i, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, stage = len(prefix), i
    return stage


@cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()}


def test_stage_of_by_hand() -> None:
    assert stage_of("matcher.export.sheets") == 0 and stage_of("matcher.export.batch") == 16
    assert stage_of("matcher.workspace.context") == 11 and stage_of("matcher.workspace.facade") == 18
    assert stage_of("api.routes.needs") == stage_of("evaluation.runner") == 20 and stage_of("numpy") == -1


def test_every_module_has_a_stage_and_no_loose_modules() -> None:
    modules = _modules()
    assert not [m for m in modules if stage_of(m) < 0]
    loose = {m for m, p in modules.items() if m.startswith("matcher.") and p.parent == ROOT / "matcher"}
    assert loose - {"matcher"} == LOOSE


@pytest.mark.parametrize("module", sorted(_modules()))
def test_no_module_imports_a_later_stage(module: str) -> None:
    above = {i: stage_of(i) for i in _graph()[module] if stage_of(i) > stage_of(module)}
    assert not above, f"{module} (stage {stage_of(module)}) imports later stages: {above}"


def test_no_import_cycles() -> None:
    graph, state, cycles = _graph(), {}, []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles
