"""The served loop judging from the top (`top.py`): the open needs — the ones in progress first (the latest judged
first), then the others in the order they were stored; a need is open until a grade of 相关 or above or `top.K`
judgements — each need's fused top 30 as the arms' lists, and the bandit's values rebuilt from the workspace's
own judgements: nobody records which arm chose a judged pair, so each is credited to the arms that put it highest
(`bandit.credited`), over the latest judged needs.
"""

from __future__ import annotations

from sqlalchemy import select

from matcher.label.bandit import MaxMean, credited
from matcher.label.candidates import need_candidates
from matcher.label.select import Candidate
from matcher.label.top import ARMS, UNSURE_DEPTH, K, NeedLists, Pick, choose_top, is_open, lists_of, places
from matcher.levels import OUTCOME
from matcher.match import forward
from matcher.search.degree import probability
from matcher.services.judgements import decided_pairs
from matcher.store.tables import Judgement, Need
from matcher.workspace.context import Context

HISTORY = 12  # the latest judged needs whose judgements the bandit's values are rebuilt from
RELEVANT = 2  # 相关 and above: the grade that stops a need and rewards an arm


def top_pairs(ctx: Context, count: int) -> tuple[list[Candidate], list[Need]]:
    """Up to `count` outcome pairs from the top of the open needs' lists, and the needs they belong to."""
    with ctx.sessions() as session:
        done = decided_pairs(session)
        rows = session.execute(
            select(Judgement.need_pk, Judgement.target_id, Judgement.grade)
            .where(Judgement.level == OUTCOME.name, Judgement.grade.is_not(None))
            .order_by(Judgement.pk.desc())
        ).all()
        needs = {n.pk: n for n in session.scalars(select(Need).order_by(Need.pk))}
    grades: dict[int, dict[str, int]] = {}
    for pk, target, grade in rows:  # the latest judged need first; skips (no grade) were left out above
        if grade is not None:
            grades.setdefault(pk, {})[target] = grade
    ranked = forward.ranker_at(ctx.snapshot().ranker, OUTCOME) is not None
    line = probability(ctx.settings.weak_match)
    cands: dict[int, list[Candidate]] = {}

    def lists(pk: int) -> NeedLists:
        if pk not in cands:
            cands[pk] = need_candidates(ctx, needs[pk], depth=UNSURE_DEPTH)
        mine = grades.get(pk, {})
        found = any(g >= RELEVANT for g in mine.values())
        return NeedLists(needs[pk].id, lists_of(cands[pk], ranked=ranked, line=line), len(mine), found)

    bandit = bandit_from([(lists(pk), grades[pk]) for pk in list(grades)[:HISTORY] if pk in needs])
    order = [pk for pk in grades if pk in needs] + [pk for pk in needs if pk not in grades]
    picks: list[Pick] = []
    for pk in order:
        if len(picks) >= count:
            break
        if needs[pk].status != "open" or not is_open(NeedLists(needs[pk].id, {}, *_progress(grades.get(pk, {}))), K):
            continue
        picks += choose_top([lists(pk)], count - len(picks), bandit=bandit, done=done, k=K)
    by_key = {c.key: c for cs in cands.values() for c in cs}
    return [by_key[p.key] for p in picks], [needs[pk] for pk in cands]


def bandit_from(history: list[tuple[NeedLists, dict[str, int]]]) -> MaxMean:
    """The arms' values from judged pairs: each credited to the arms of its need that put it highest."""
    bandit = MaxMean(ARMS)
    for need, graded in history:
        for target, grade in graded.items():
            for arm in credited(places(need, target)):
                bandit.reward(arm, grade >= RELEVANT)
    return bandit


def _progress(graded: dict[str, int]) -> tuple[int, bool]:
    return len(graded), any(g >= RELEVANT for g in graded.values())
