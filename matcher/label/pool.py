"""The served labelling loop's candidates: open needs (the least judged first), each need's top fused outcomes with
the ranker's probability and the signals' ranks, chosen by `select.py` — or, with the `top` strategy, from the top
of the signals' lists (`top_pool.py`) — with what a staff member reads to judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from matcher.label.candidates import need_candidates
from matcher.label.select import Candidate, choose
from matcher.label.top_pool import top_pairs
from matcher.levels import OUTCOME
from matcher.match import forward
from matcher.search.degree import probability
from matcher.services.judgements import decided_pairs
from matcher.store.tables import Judgement, Need, Outcome
from matcher.store.views import load_outcomes, outcome_texts
from matcher.workspace.context import Context

NEEDS_PER_ROUND = 12  # needs scored for one request: enough to spread over, few enough to answer in about a second
TEXT = 300  # characters of a need's and an outcome's text shown


@dataclass(frozen=True)
class Proposal:
    """A pair to judge with what the judge reads: the need, the outcome, its owners and its 匹配度 now."""

    need_id: str
    need_title: str
    need_text: str
    target_id: str
    title: str
    text: str
    kind: str
    year: int | None
    institution: str | None
    experts: list[str]
    degree: float | None  # 0–100, as the match shows it (None: 尚未校准)


def propose(ctx: Context, *, count: int, strategy: str = "active", seed: int = 0) -> list[Proposal]:
    """Up to `count` outcome pairs to judge next, none already judged, skipped or given feedback."""
    if strategy == "top":
        return proposals(ctx, *top_pairs(ctx, count))
    with ctx.sessions() as session:
        done = decided_pairs(session)
        judged = dict(session.execute(select(Judgement.need_pk, func.count()).group_by(Judgement.need_pk)).all())
        needs = list(session.scalars(select(Need).where(Need.status == "open").order_by(Need.pk)))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(needs)) if strategy == "random" else range(len(needs))
    needs = sorted((needs[i] for i in order), key=lambda n: judged.get(n.pk, 0))[:NEEDS_PER_ROUND]
    pool = [c for need in needs for c in need_candidates(ctx, need)]
    line = probability(ctx.settings.weak_match)
    return proposals(ctx, choose(pool, count, line=line, done=done, strategy=strategy, seed=seed), needs)


def proposals(ctx: Context, chosen: list[Candidate], needs: list[Need]) -> list[Proposal]:
    by_id = {n.id: n for n in needs}
    with ctx.sessions() as session:
        wanted = select(Outcome.id, Outcome.pk).where(Outcome.id.in_([c.target for c in chosen]))
        pk_of = {oid: pk for oid, pk in session.execute(wanted)}
        infos = load_outcomes(session, list(pk_of.values()))
        texts = outcome_texts(session, [c.target for c in chosen])
    snap = ctx.snapshot()
    ranked = forward.ranker_at(snap.ranker, OUTCOME) is not None
    shown = OUTCOME.key(ranked=ranked) in snap.calibration.levels
    found = []
    for c in chosen:
        need, info = by_id[c.need], infos[pk_of[c.target]]
        found.append(
            Proposal(
                need_id=need.id,
                need_title=need.title,
                need_text=(need.description or "")[:TEXT],
                target_id=info.id,
                title=info.title,
                text=texts.get(info.id, "")[:TEXT],
                kind=info.kind,
                year=info.year,
                institution=info.institution.name if info.institution else None,
                experts=[e.name for e in info.experts],
                degree=round(100 * c.probability, 1) if shown else None,
            )
        )
    return found
