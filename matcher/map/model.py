"""A built technology map and its artifact folder: params.json plus plain JSON and CSV files, mirrored by
`save(folder)` / `load(folder)`."""

from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matcher.artifacts.folder import MAP, read_params, verify_files, write_params
from matcher.errors import NotFoundError
from matcher.map.cells import Cell
from matcher.map.findings import Gap, NeedRef, OutcomeRef, Strength, Supplier

FILES = ("topics.json", "cells.json", "findings.json", "assignments.csv")


@dataclass
class Topic:
    id: int
    field: int
    label: str  # a short phrase from the strongest terms (`topics.phrase`): "余热回收与发电"
    terms: list[tuple[str, float]]
    outcomes: int
    needs: int  # open needs
    declared: str | None  # the field most of its documents declare, if any
    years: dict[str, int] = dataclasses.field(default_factory=dict)  # outcomes per year
    quarters: dict[str, int] = dataclasses.field(default_factory=dict)  # needs per quarter


@dataclass
class Field:
    id: int
    name: str
    terms: list[str]
    topics: list[int]


@dataclass
class TechMap:
    params: dict[str, Any]
    fields: list[Field]
    topics: list[Topic]
    cells: list[Cell]
    gaps: list[Gap]
    strengths: list[Strength]
    assignments: list[tuple[str, str, int]]  # (side, id, topic)

    def topic(self, topic_id: int) -> Topic:
        if not 0 <= topic_id < len(self.topics):
            raise NotFoundError(f"图谱中没有第 {topic_id} 个主题（共 {len(self.topics)} 个）")
        return self.topics[topic_id]

    @property
    def regions(self) -> list[str]:
        return sorted({c.region for c in self.cells})

    def field_named(self, name: str) -> Field:
        for f in self.fields:
            if name in (f.name, str(f.id)):
                return f
        raise NotFoundError(f"图谱中没有领域「{name}」；现有领域：{'、'.join(f.name for f in self.fields)}")

    def save(self, folder: Path) -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        _dump(folder / "topics.json", {"fields": self.fields, "topics": self.topics})
        _dump(folder / "cells.json", self.cells)
        _dump(folder / "findings.json", {"gaps": self.gaps, "strengths": self.strengths})
        with (folder / "assignments.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["side", "id", "topic"])
            writer.writerows(self.assignments)
        return write_params(folder, self.params, files=FILES)

    @classmethod
    def load(cls, folder: Path) -> TechMap:
        params = read_params(folder, MAP)
        verify_files(folder, params, MAP)
        topics = _read(folder / "topics.json")
        findings = _read(folder / "findings.json")
        with (folder / "assignments.csv").open(encoding="utf-8") as handle:
            rows = [(r["side"], r["id"], int(r["topic"])) for r in csv.DictReader(handle)]
        return cls(
            params=params,
            fields=[Field(**f) for f in topics["fields"]],
            topics=[Topic(**{**t, "terms": [tuple(x) for x in t["terms"]]}) for t in topics["topics"]],
            cells=[Cell(**c) for c in _read(folder / "cells.json")],
            gaps=[_gap(g) for g in findings["gaps"]],
            strengths=[_strength(s) for s in findings["strengths"]],
            assignments=rows,
        )


def _gap(raw: dict[str, Any]) -> Gap:
    return Gap(
        **{
            **raw,
            "needs": [NeedRef(**n) for n in raw["needs"]],
            "institutions": [Supplier(**s) for s in raw["institutions"]],
            "experts": [Supplier(**s) for s in raw["experts"]],
        }
    )


def _strength(raw: dict[str, Any]) -> Strength:
    return Strength(**{**raw, "outcomes": [OutcomeRef(**o) for o in raw["outcomes"]]})


def _dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(_plain(value), ensure_ascii=False, indent=1), encoding="utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MAP.mismatch(f"{path} is not valid JSON: {exc}") from exc
