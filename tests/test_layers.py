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
    ["matcher", "matcher.config", "matcher.errors", "matcher.levels", "matcher.progress", "matcher.bundled",
     "matcher.words_zh"],
    ["matcher.artifacts", "matcher.export.sheets"],
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
    ["matcher.workspace.snapshot", "matcher.workspace.context", "matcher.workspace.served"],
    ["matcher.match"],
    ["matcher.learn", "matcher.assign", "matcher.label"],
    ["matcher.plan"],
    ["matcher.map"],
    ["matcher.export", "matcher.report"],
    ["matcher.tuning"],
    ["matcher.workspace", "matcher.workspace.data", "matcher.workspace.scratch"],
    ["matcher.cli"],
    ["evaluation", "api", "bench"],
]
# the only modules outside a package
LOOSE = {"matcher.config", "matcher.errors", "matcher.levels", "matcher.progress", "matcher.records",
         "matcher.words_zh"}


@cache
def _modules() -> dict[str, Path]:
    found = {}
    for package in ("matcher", "api", "evaluation", "bench"):
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
    assert stage_of("matcher.export.sheets") == 1 and stage_of("matcher.export.batch") == 17
    assert stage_of("matcher.workspace.context") == 12 and stage_of("matcher.workspace.data") == 19
    assert stage_of("api.routes.needs") == stage_of("evaluation.runner") == 21 and stage_of("numpy") == -1


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


# -- the door: edges (api/, matcher/cli/, bench/, evaluation/) call the library's functions with a context ----------
EDGES = ("api", "matcher.cli", "bench", "evaluation")
PAST_THE_DOOR = {"ctx", "sessions", "write_sessions", "engine", "snapshot", "needs_snapshot", "turn"}
SESSION_HELPERS = {"api.deps", "matcher.cli.state"}  # the one place each edge opens a database session
SERVED_STATE = {"indexes", "needs", "institution_sizes", "tokenizer", "ranker", "expert_ranker", "calibration",
                "checked", "served"}  # fmt: skip
LEVEL_NAMES = {"outcome", "expert", "institution", "needs", "enterprises"}


def _edge_modules() -> list[str]:
    return sorted(m for m in _modules() if any(m == e or m.startswith(e + ".") for e in EDGES))


def _attributes(path: Path) -> list[tuple[int, str]]:
    return [(n.lineno, n.attr) for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Attribute)]  # fmt: skip


def _served_chains(path: Path) -> list[tuple[int, str]]:
    """Attributes read in `path`, `served` counted only where something behind it is read (`x.served.y`): a
    plan's or a run's `served` count is no served state."""
    found = []
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.Attribute):
            if n.attr != "served":
                found.append((n.lineno, n.attr))
            if isinstance(n.value, ast.Attribute) and n.value.attr == "served":
                found.append((n.lineno, "served"))
    return found


def test_evaluation_does_not_import_the_cli() -> None:
    for name in (m for m in _modules() if m.startswith("evaluation")):
        assert not [i for i in _graph()[name] if i.startswith("matcher.cli")], name


@pytest.mark.parametrize("module", _edge_modules())
def test_no_edge_reaches_past_the_door(module: str) -> None:
    """Edges call question functions with a context and read nothing behind it (sessions, served state)."""
    allowed = {"sessions", "write_sessions", "engine"} if module in SESSION_HELPERS else set()
    behind = (PAST_THE_DOOR | {"served"}) - allowed
    reached = [(line, a) for line, a in _served_chains(_modules()[module]) if a in behind]
    assert not reached, f"{module} reaches past the door: {reached}"


@pytest.mark.parametrize("module", [m for m in _edge_modules() if m.startswith("matcher.cli")])
def test_cli_commands_get_sessions_from_one_helper(module: str) -> None:
    if module == "matcher.cli.state":
        return
    opened = [line for line, a in _attributes(_modules()[module]) if a == "session"]
    assert not opened, f"{module} opens sessions itself (use state.open_session): lines {opened}"


@pytest.mark.parametrize("module", sorted(_modules()))
def test_only_the_owner_writes_served_state(module: str) -> None:
    """Nothing but `workspace/served.py` (which swaps snapshots) assigns a served artifact's attribute."""
    if module in ("matcher.workspace.served", "matcher.workspace.snapshot"):
        return
    tree = ast.parse(_modules()[module].read_text(encoding="utf-8"))
    written = [
        (t.lineno, t.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Attribute) and t.attr in SERVED_STATE
        and not (isinstance(t.value, ast.Name) and t.value.id == "self")
    ]  # fmt: skip
    assert not written, f"{module} writes served state: {written}"


def _level_comparisons(path: Path) -> list[int]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names = {s.id if isinstance(s, ast.Name) else s.attr for s in sides if isinstance(s, ast.Name | ast.Attribute)}
        strings = {s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)}
        strings |= {e.value for s in sides if isinstance(s, ast.Tuple | ast.Set | ast.List) for e in s.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)}  # fmt: skip
        if strings & LEVEL_NAMES and any(n in ("level", "target", "direction") or n.endswith("_level") for n in names):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("module", sorted(m for m in _modules() if m != "matcher.levels"))
def test_nothing_compares_a_level_to_a_string(module: str) -> None:
    """Levels are specs (`matcher/levels.py`): code branches on their fields, never on their names."""
    lines = _level_comparisons(_modules()[module])
    assert not lines, f"{module} compares a level to a string at lines {lines}"


def test_served_artifacts_are_frozen() -> None:
    import dataclasses

    from matcher.index.loaded import Indexes
    from matcher.index.needs import NeedIndexes

    assert dataclasses.fields(Indexes) and Indexes.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert NeedIndexes.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_level_keys_by_hand() -> None:
    from matcher.levels import ENTERPRISES, EXPERT, INSTITUTION, MAP_KEYS, NEEDS, OUTCOME, level_of, level_of_key

    assert OUTCOME.key(ranked=True) == "outcome:ranker" and OUTCOME.key(ranked=False) == "outcome:fused"
    assert EXPERT.key(ranked=True) == "expert:ranker" and EXPERT.key(ranked=False) == "expert:vote"
    assert INSTITUTION.key(ranked=True) == "institution:vote" and NEEDS.keys == ("needs:vote", "needs:ranker")
    assert ENTERPRISES.key(ranked=True) == "enterprises:ranker" and len(MAP_KEYS) == 9
    assert level_of("expert") is EXPERT and level_of_key("expert:ranker") is EXPERT
    assert level_of_key("institution:ranker") is None
