"""成果找企业: an enterprise's 匹配度 is its best need's, so it follows what the outcome is about, not only where the
enterprise sits in the list (a philosophy paper's first enterprise once read 80.8 · 强匹配)."""

from __future__ import annotations

from matcher.rollup.enterprises import by_best_need
from matcher.search.results import EnterpriseHit, NeedHit


def _need(rank: int, degree: float | None, band: str | None = "weak") -> NeedHit:
    return NeedHit(rank=rank, id=f"N{rank}", title="", organization=None, region=None, field=None, score=0.0,
                   matched_terms=[], evidence=[], degree=degree, band=band)  # fmt: skip


def _firm(name: str, vote: float, *needs: NeedHit) -> EnterpriseHit:
    return EnterpriseHit(rank=0, name=name, type=None, region=None, group=None, score=vote, n_needs=len(needs),
                         matched_terms=[], evidence=list(needs))  # fmt: skip


def test_the_best_need_sets_the_degree_and_the_order() -> None:
    rows = [
        _firm("甲", 1.6, _need(2, 31.0, "fair"), _need(3, 12.0)),  # two needs: the higher vote
        _firm("乙", 1.0, _need(1, 64.0, "strong")),  # one need, the best one
        _firm("丙", 1.0, _need(4, 0.0)),
    ]
    shown = by_best_need(rows, top=2)
    assert [(r.rank, r.name, r.degree, r.band) for r in shown] == [(1, "乙", 64.0, "strong"), (2, "甲", 31.0, "fair")]


def test_without_a_map_the_vote_orders_and_no_degree_is_shown() -> None:
    rows = [_firm("甲", 0.5, _need(2, None, None)), _firm("乙", 0.9, _need(1, None, None))]
    assert [(r.name, r.degree, r.band) for r in by_best_need(rows, top=5)] == [("乙", None, None), ("甲", None, None)]
