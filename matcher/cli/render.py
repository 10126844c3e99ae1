"""Readable terminal tables for match results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from matcher.results import ExpertHit, InstitutionHit, MatchResult, OutcomeHit

KIND_ZH = {"patent": "专利", "paper": "论文", "project": "项目", "achievement": "成果"}


def _evidence(hits: list[OutcomeHit]) -> str:
    return "\n".join(
        f"· [{KIND_ZH.get(h.kind, h.kind)}] {h.title[:36]}" + (f" ({h.year})" if h.year else "") for h in hits
    )


def _terms(terms: list[str]) -> str:
    return "、".join(terms[:8]) or "—"


def outcome_table(hits: list[OutcomeHit]) -> Table:
    table = Table("#", "成果", "类型", "单位 / 专家", "得分", "BM25名次", "语义名次", "命中词", show_lines=True)
    for h in hits:
        who = " / ".join(filter(None, [h.institution, "、".join(h.experts[:3])])) or "—"
        c = h.components
        table.add_row(
            str(h.rank),
            h.title[:60],
            KIND_ZH.get(h.kind, h.kind),
            who,
            f"{h.score:.3f}",
            str(c.bm25_rank or "—"),
            str(c.dense_rank or "—"),
            _terms(h.matched_terms),
        )
    return table


def expert_table(hits: list[ExpertHit]) -> Table:
    table = Table("#", "专家", "职称", "单位", "得分", "依据成果", "命中词", show_lines=True)
    for h in hits:
        table.add_row(
            str(h.rank),
            h.name,
            h.title or "—",
            h.institution or "—",
            f"{h.score:.3f}",
            _evidence(h.evidence),
            _terms(h.matched_terms),
        )
    return table


def institution_table(hits: list[InstitutionHit]) -> Table:
    table = Table("#", "机构", "地区", "得分", "相关专家", "依据成果", "命中词", show_lines=True)
    for h in hits:
        table.add_row(
            str(h.rank),
            h.name,
            h.region or "—",
            f"{h.score:.3f}",
            "、".join(h.experts) or "—",
            _evidence(h.evidence),
            _terms(h.matched_terms),
        )
    return table


def print_result(console: Console, result: MatchResult) -> None:
    if result.notice:
        console.print(f"[yellow]注意:[/yellow] {result.notice}")
    if not result.hits:
        console.print("没有找到匹配结果 (no matches).")
        return
    builders: dict[str, Callable[[list[Any]], Table]] = {
        "outcome": outcome_table,
        "expert": expert_table,
        "institution": institution_table,
    }
    console.print(builders[result.level](result.hits))
    timing = ", ".join(f"{k} {v:.1f} ms" for k, v in result.timings_ms.items())
    console.print(f"[dim]scorer: {result.scorer}; {timing}[/dim]")
