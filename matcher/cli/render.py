"""Readable terminal tables for match results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from matcher.levels import level_of
from matcher.match.conflicts import RULES as RULES_ZH
from matcher.records import KIND_ZH
from matcher.search.results import EnterpriseHit, MatchResult, NeedHit, OutcomeHit, ReverseResult


def _evidence(hits: list[OutcomeHit]) -> str:
    return "\n".join(
        f"· [{KIND_ZH.get(h.kind, h.kind)}] {h.title[:36]}" + (f" ({h.year})" if h.year else "") for h in hits
    )


def _terms(terms: list[str]) -> str:
    return "、".join(terms[:8]) or "—"


Column = tuple[str, Callable[[Any], str]]


def _who(h: OutcomeHit) -> str:
    return " / ".join(filter(None, [h.institution, "、".join(h.experts[:3])])) or "—"


OUTCOME_COLUMNS: list[Column] = [
    ("成果", lambda h: h.title[:60]),
    ("类型", lambda h: KIND_ZH.get(h.kind, h.kind)),
    ("单位 / 专家", _who),
    ("匹配度", lambda h: "尚未校准" if h.degree is None else f"{h.degree:.0f}"),
    ("BM25名次", lambda h: str(h.components.bm25_rank or "—")),
    ("语义名次", lambda h: str(h.components.dense_rank or "—")),
]
EXPERT_COLUMNS: list[Column] = [
    ("专家", lambda h: h.name),
    ("职称", lambda h: h.title or "—"),
    ("单位", lambda h: h.institution or "—"),
    ("匹配度", lambda h: "尚未校准" if h.degree is None else f"{h.degree:.0f}"),
    ("依据成果", lambda h: _evidence(h.evidence)),
]
INSTITUTION_COLUMNS: list[Column] = [
    ("机构", lambda h: h.name),
    ("地区", lambda h: h.region or "—"),
    ("匹配度", lambda h: "尚未校准" if h.degree is None else f"{h.degree:.0f}"),
    ("相关专家", lambda h: "、".join(h.experts) or "—"),
    ("依据成果", lambda h: _evidence(h.evidence)),
]
COLUMNS = {"outcome": OUTCOME_COLUMNS, "expert": EXPERT_COLUMNS, "institution": INSTITUTION_COLUMNS}


def hits_table(level: str, hits: list[Any]) -> Table:
    """Rank, the level's columns, then the matched terms."""
    columns: list[Column] = [
        ("#", lambda h: str(h.rank)),
        *COLUMNS[level],
        ("命中词", lambda h: _terms(h.matched_terms)),
    ]
    table = Table(*(name for name, _ in columns), show_lines=True)
    for hit in hits:
        table.add_row(*(cell(hit) for _, cell in columns))
    return table


def print_result(console: Console, result: MatchResult) -> None:
    if result.notice:
        console.print(f"[yellow]注意:[/yellow] {result.notice}")
    if not result.hits:
        console.print("没有找到匹配结果 (no matches).")
        return
    console.print(hits_table(result.level, result.hits))
    timing = ", ".join(f"{k} {v:.1f} ms" for k, v in result.timings_ms.items())
    console.print(f"[dim]scorer: {result.scorer}; {timing}[/dim]")


def _found_by(hit: NeedHit) -> str:
    return "\n".join(f"· {p.title[:30]} (第{p.rank}名)" for p in hit.evidence)


def _needs(hit: EnterpriseHit) -> str:
    return "\n".join(f"· {n.title[:36]}" for n in hit.evidence)


NEED_COLUMNS: list[Column] = [
    ("需求", lambda h: h.title[:50]),
    ("企业", lambda h: h.organization or "—"),
    ("地区", lambda h: h.region or "—"),
    ("得分", lambda h: f"{h.score:.3f}"),
    ("依据成果", _found_by),
]
ENTERPRISE_COLUMNS: list[Column] = [
    ("企业", lambda h: h.name),
    ("地区", lambda h: h.region or "—"),
    ("得分", lambda h: f"{h.score:.3f}"),
    ("相关需求", lambda h: f"{h.n_needs} 项\n" + _needs(h)),
]
COLUMNS.update(needs=NEED_COLUMNS, enterprises=ENTERPRISE_COLUMNS)


def print_reverse(console: Console, result: ReverseResult) -> None:
    console.print(f"[bold]{result.label}[/bold] → {level_of(result.target).zh}")
    if result.notice:
        console.print(f"[yellow]注意:[/yellow] {result.notice}")
    if result.conflicts_removed:
        removed = "、".join(f"{RULES_ZH.get(k, k)} {v}" for k, v in result.conflicts_removed.items())
        console.print(f"[dim]已排除（冲突规则）: {removed}[/dim]")
    if not result.hits:
        console.print("没有找到匹配的开放需求 (no open needs matched).")
        return
    console.print(hits_table(result.target, result.hits))
