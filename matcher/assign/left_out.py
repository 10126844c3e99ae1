"""Who a batch run left out of a need's proposals, and why — written beside the proposals (role `left_out`), so
the need's proposal view and the export name them: an expert a conflict rule rules out (本单位, 同一集团, 排除名单,
不合适), and an expert who scored above a proposal (or where the need got fewer than asked) but whose capacity, or
their institution's, was used up. 弱匹配 candidates are never candidates (the unserved reason 无强匹配 says so)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.assign.score import who
from matcher.assign.solver import Pair
from matcher.match.conflicts import RULES
from matcher.store.tables import Expert, Match, RunCandidate

CAPACITY = "名额已满：该专家（或其单位）在本批次的推荐名额已用完，或同一单位的推荐人数已达上限"


def reason(candidate: RunCandidate, lowest: float | None, short: bool) -> str | None:
    """Why this candidate is not proposed: a conflict rule, or capacity (it beat a proposal, or the need got fewer
    proposals than asked); None when it simply ranked below every proposal."""
    rule = candidate.evidence.get("left_out")
    if rule:
        return f"回避：{RULES.get(rule, rule)}"
    if short or (lowest is not None and candidate.score > lowest):
        return CAPACITY
    return None


def write_left_out(
    session: Session, run_pk: int, chosen: list[Pair], backups: dict[int, list[Pair]], per_need: int
) -> int:
    """Write the run's left-out candidates as matches (role `left_out`, the reason in the evidence); how many."""
    taken = {(p.need, p.expert) for p in chosen} | {(p.need, p.expert) for ps in backups.values() for p in ps}
    lowest: dict[int, float] = {}
    count: dict[int, int] = {}
    for p in chosen:
        lowest[p.need] = min(lowest.get(p.need, p.score), p.score)
        count[p.need] = count.get(p.need, 0) + 1
    rows = [c for c in session.scalars(select(RunCandidate).where(RunCandidate.run_pk == run_pk))
            if (c.need_pk, c.expert_pk) not in taken]  # fmt: skip
    experts = {e.pk: e for e in session.scalars(select(Expert).where(Expert.pk.in_({c.expert_pk for c in rows})))}
    written = 0
    for c in sorted(rows, key=lambda c: (c.need_pk, c.rank)):
        why = reason(c, lowest.get(c.need_pk), count.get(c.need_pk, 0) < per_need)
        if why is None or c.expert_pk not in experts:
            continue
        expert = experts[c.expert_pk]
        record = {**c.evidence, "reason": why, "who": who(expert)}
        session.add(Match(run_pk=run_pk, need_pk=c.need_pk, level="expert", target_id=expert.id, role="left_out",
                          rank=c.rank, score=c.score, evidence=record))  # fmt: skip
        written += 1
    session.flush()
    return written
