"""Pairings and plans as rows staff work from: JSON, CSV (UTF-8 with BOM) or XLSX with Chinese headers (a plan's
workbook is its 议程: one row per stop × need, and a sheet with the plan's figures)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from openpyxl import Workbook

from matcher.errors import InputError
from matcher.export.sheets import book_bytes, csv_bytes, table
from matcher.plan.pairings import Pairing
from matcher.plan.visits import Plan

FORMATS = ("json", "csv", "xlsx")
PAIRING_HEADERS = [
    "企业",
    "企业地区",
    "推荐单位",
    "单位地区",
    "得分",
    "覆盖需求数",
    "覆盖需求（匹配度）",
    "联系专家",
    "依据成果",
    "匹配关键词",
]
PAIRING_WIDTHS = [26, 9, 26, 9, 8, 10, 60, 24, 60, 24]
AGENDA_HEADERS = [
    "站序",
    "对接单位/专家",
    "所在单位",
    "地区",
    "需求编号",
    "需求",
    "企业",
    "匹配度",
    "约见专家",
    "依据成果",
]
AGENDA_WIDTHS = [6, 26, 26, 9, 16, 40, 26, 8, 24, 60]


def pairing_row(p: Pairing) -> list[Any]:
    needs = "；".join(f"{n.title}（{n.degree:.0f}）" for n in p.needs)
    return [
        p.enterprise,
        p.enterprise_region or "",
        p.institution,
        p.institution_region or "",
        p.score,
        len(p.needs),
        needs,
        "、".join(p.experts),
        "；".join(p.evidence),
        "、".join(p.terms),
    ]


def agenda_rows(plan: Plan) -> list[list[Any]]:
    return [
        [
            s.order,
            s.name,
            s.institution or "",
            s.region or "",
            a.need_id,
            a.need,
            a.enterprise or "",
            a.degree,
            "、".join(s.experts),
            "；".join(a.evidence),
        ]
        for s in plan.stops
        for a in s.agenda
    ]


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}")


def pairings_bytes(pairs: list[Pairing], fmt: str) -> bytes:
    _check(fmt)
    if fmt == "json":
        return json.dumps([asdict(p) for p in pairs], ensure_ascii=False, indent=2).encode()
    rows = [pairing_row(p) for p in pairs]
    if fmt == "csv":
        return csv_bytes(PAIRING_HEADERS, rows)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "企业—单位配对"
    table(sheet, PAIRING_HEADERS, rows, PAIRING_WIDTHS)
    return book_bytes(book)


PARAMS_ZH = {"k": "站数 / 人数", "enterprises": "指定企业", "region": "企业所在地区", "to_region": "走访地区",
             "per_expert": "每位专家最多对接需求数", "min_degree": "最低匹配度"}  # fmt: skip


def _param(key: str, value: Any) -> Any:
    return "、".join(map(str, value)) if isinstance(value, list) else value


def plan_bytes(plan: Plan, fmt: str, params: dict[str, Any]) -> bytes:
    _check(fmt)
    if fmt == "json":
        return json.dumps({"params": params, **asdict(plan)}, ensure_ascii=False, indent=2).encode()
    if fmt == "csv":
        return csv_bytes(AGENDA_HEADERS, agenda_rows(plan))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "议程"
    table(sheet, AGENDA_HEADERS, agenda_rows(plan), AGENDA_WIDTHS)
    about: list[list[Any]] = [
        ["类型", "走访计划" if plan.kind == "visit" else "专家团"],
        ["覆盖得分", plan.value],
        ["是否最佳安排", "是" if plan.optimal else "否（限时内找到的较优安排）"],
        ["需求数", plan.needs],
        ["已覆盖需求", plan.served],
        ["未覆盖需求", "、".join(plan.unserved)],
        *([PARAMS_ZH[k], _param(k, v)] for k, v in params.items() if k in PARAMS_ZH and v not in (None, [], "")),
    ]
    table(book.create_sheet("计划说明"), ["项目", "内容"], about, [20, 80])
    return book_bytes(book)
