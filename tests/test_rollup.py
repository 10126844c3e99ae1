from __future__ import annotations

import pytest

from matcher.rollup.vote import expert_hits, institution_hits, recency
from matcher.search.results import Components, Scored
from matcher.search.vote import VoteParams
from matcher.store.views import ExpertInfo, InstitutionInfo, OutcomeInfo

UNI = InstitutionInfo(1, "I1", "重庆大学", "university", "重庆")
LAB = InstitutionInfo(2, "I2", "沈阳铸造研究所有限公司", "institute", "辽宁")
ZHANG = ExpertInfo(10, "E10", "张三", "教授", "重庆", UNI)
LI = ExpertInfo(11, "E11", "李四", "研究员", "辽宁", LAB)


def info(pk: int, year: int | None, experts: list[ExpertInfo], inst: InstitutionInfo | None) -> OutcomeInfo:
    return OutcomeInfo(pk, f"O{pk}", "patent", f"成果{pk}", year, None, None, "涂料 铸造", inst, experts)


INFOS = {
    1: info(1, 2024, [LI], LAB),
    2: info(2, 2024, [ZHANG], UNI),
    3: info(3, 2024, [ZHANG], UNI),
    4: info(4, None, [], UNI),
}
ITEMS = [
    Scored(1, 1.0, Components(1.0)),
    Scored(2, 0.8, Components(0.8)),
    Scored(3, 0.6, Components(0.6)),
    Scored(4, 0.5, Components(0.5)),
]
PARAMS = VoteParams(depth=5, decay=0.5, half_life=10.0, now_year=2024)
NO_RECENCY = VoteParams(depth=5, decay=0.5, now_year=2024)


def test_recency_halves_every_half_life() -> None:
    assert recency(2014, PARAMS) == pytest.approx(0.5)
    assert recency(None, PARAMS) == 1.0
    assert recency(1990, NO_RECENCY) == 1.0  # half-life 0: recency off (the default)


def test_expert_votes_decay_hand_computed() -> None:
    hits = expert_hits(ITEMS, INFOS, ["涂料"], top=5, params=PARAMS)
    # 张三: 0.8 + 0.5 * 0.6 = 1.1 ; 李四: 1.0
    assert [(h.name, h.score) for h in hits] == [("张三", 1.1), ("李四", 1.0)]
    assert [e.id for e in hits[0].evidence] == ["O2", "O3"] and hits[0].matched_terms == ["涂料"]


def test_institution_collects_direct_and_expert_outcomes() -> None:
    hits = institution_hits(ITEMS, INFOS, [], top=5, params=PARAMS)
    # 重庆大学: 0.8 + 0.5*0.6 + 0.25*0.5 = 1.225 ; 沈铸所: 1.0
    assert [(h.name, h.score) for h in hits] == [("重庆大学", 1.225), ("沈阳铸造研究所有限公司", 1.0)]
    assert hits[0].experts == ["张三"]


def test_depth_limits_votes() -> None:
    hits = expert_hits(ITEMS, INFOS, [], top=5, params=VoteParams(depth=1, decay=0.5, now_year=2024))
    assert hits[0].score == 1.0  # 李四 1.0 beats 张三's single vote 0.8
