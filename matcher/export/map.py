"""The map as files staff keep: the HTML report, the same data as JSON, and a workbook (主题, 供需, 缺口, 优势)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from matcher.export.sheets import book_bytes, table
from matcher.map.cells import Cell
from matcher.map.findings import Gap, NeedRef, OutcomeRef, Strength
from matcher.map.report import GAP_KIND, render
from matcher.map.view import MapView
from matcher.records import KIND_ZH


def _cell_row(c: Cell, labels: dict[int, str]) -> list[Any]:
    return [c.topic, labels[c.topic], c.region, c.needs, c.enterprises, c.outcomes, c.remote_outcomes, c.experts,
            c.institutions, c.met, c.signed, c.gap, c.strength]  # fmt: skip


def _gap_row(g: Gap, n: NeedRef, labels: dict[int, str]) -> list[Any]:
    insts, people = "、".join(s.name for s in g.institutions[:5]), "、".join(s.name for s in g.experts[:5])
    return [g.region, g.topic, labels[g.topic], g.score, GAP_KIND[g.kind], n.id, n.title, n.organization or "",
            insts, people]  # fmt: skip


def _strength_row(s: Strength, o: OutcomeRef, labels: dict[int, str]) -> list[Any]:
    return [s.region, s.topic, labels[s.topic], s.score, o.id, o.title, KIND_ZH.get(o.kind, o.kind), o.year,
            o.institution or "",
            "、".join(o.experts)]  # fmt: skip


def workbook(v: MapView) -> bytes:
    book = Workbook()
    names = {f.id: f.name for f in v.techmap.fields}
    labels = {t.id: t.label for t in v.techmap.topics}
    topics = book.active
    topics.title = "主题"
    rows = [[t.id, names[t.field], t.label, " ".join(w for w, _ in t.terms), t.needs, t.outcomes] for t in v.topics]
    table(topics, ["主题", "领域", "标签", "关键词", "开放需求", "成果"], rows, [6, 16, 28, 60, 10, 8])
    headers = ["主题", "标签", "地区", "开放需求", "企业", "本地成果", "外地成果", "专家", "机构", "已对接", "已签约"]
    cells = [_cell_row(c, labels) for c in v.cells]
    table(book.create_sheet("供需"), [*headers, "缺口", "优势"], cells, [6, 28, 10] + [9] * 10)
    gaps = [_gap_row(g, n, labels) for g in v.gaps for n in g.needs]
    headers = ["地区", "主题", "标签", "缺口", "类型", "需求编号", "需求", "企业", "外地机构", "外地专家"]
    table(book.create_sheet("缺口"), headers, gaps, [10, 6, 28, 8, 20, 16, 40, 28, 50, 40])
    strengths = [_strength_row(s, o, labels) for s in v.strengths for o in s.outcomes]
    headers = ["地区", "主题", "标签", "优势", "成果编号", "成果", "类型", "年份", "机构", "专家"]
    table(book.create_sheet("优势"), headers, strengths, [10, 6, 28, 8, 16, 40, 10, 8, 28, 30])
    return book_bytes(book)


def write_report(v: MapView, out: Path) -> list[Path]:
    """index.html, map.json and map.xlsx in folder `out` (created); the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "index.html", out / "map.json", out / "map.xlsx"]
    files[0].write_text(render(v), encoding="utf-8")
    files[1].write_text(json.dumps(v.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    files[2].write_bytes(workbook(v))
    return files
