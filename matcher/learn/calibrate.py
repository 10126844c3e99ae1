"""Calibrate the 匹配度 on judgements: run the served pipeline for every judged query at a level (or, for `needs`,
every outcome with a relevant need, in the reverse direction; for `enterprises`, an enterprise counts as judged
through the needs it is shown with), pair each hit's served score with its judgement,
and fit that level's map out of fold (`ranking/calibration.py`).

Which hits count: where a query's judgements grade candidates (some have gain 0: a judged pool such as BDCI's),
only judged hits; where they list only the right answers (NSFC's one PI), every other hit is a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from matcher.errors import InputError, NotFoundError
from matcher.levels import ENTERPRISES, EXPERT, FORWARD, INSTITUTION, NEEDS, OUTCOME, REVERSE, Level, level_of
from matcher.match import forward, reverse
from matcher.ranking.calibration import Calibration, fit_level
from matcher.ranking.model import relevant_at
from matcher.ranking.qrels import Qrels
from matcher.store.tables import Expert, Institution, Outcome, OutcomeExpert
from matcher.workspace.context import Context

TOP = 20  # the hits staff read: a calibration over deeper lists would be judged mostly on easy negatives
DIRECTIONS = (*FORWARD, *REVERSE)  # the levels outcome judgements calibrate (needs, enterprises: 成果找需求 / 找企业)
Progress = Callable[[int], None] | None


@dataclass
class Pairs:
    """Served scores, judgements and the query each pair belongs to, per calibration key."""

    scores: dict[str, list[float]] = field(default_factory=dict)
    labels: dict[str, list[float]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, query: str, score: float, label: float) -> None:
        self.scores.setdefault(key, []).append(score)
        self.labels.setdefault(key, []).append(label)
        self.groups.setdefault(key, []).append(query)


def invert(qrels: Qrels) -> Qrels:
    """{need: {outcome: gain}} → {outcome: {need: gain}} for outcomes with at least one relevant need."""
    inverted: Qrels = {}
    for need, judged in qrels.items():
        for outcome, gain in judged.items():
            inverted.setdefault(outcome, {})[need] = gain
    return {o: needs for o, needs in inverted.items() if any(g > 0 for g in needs.values())}


def _judge(
    pairs: Pairs, key: str, query: str, hits: list[tuple[str, float]], judged: Mapping[str, float], at: float
) -> None:
    graded = any(g <= 0 for g in judged.values())
    for target, score in hits:
        if target in judged:
            pairs.add(key, query, score, float(judged[target] >= at))
        elif not graded:
            pairs.add(key, query, score, 0.0)


def gather(ctx: Context, qrels: Qrels, direction: str, *, top: int = TOP, progress: Progress = None) -> Pairs:
    """(served score, relevant) pairs of `direction` (outcome, expert, institution, or needs: outcome → needs)."""
    level = level_of(direction, DIRECTIONS)
    at = relevant_at(np.array([g for judged in qrels.values() for g in judged.values()] or [1], dtype=float))
    pairs = Pairs()
    if level.reverse:
        _reverse_pairs(ctx, pairs, qrels, level, top, at, progress)
        return pairs
    for qid, judged in qrels.items():
        with suppress(NotFoundError):
            result = forward.match(ctx, forward.need_query(ctx, qid), level=level, top=top)
            hits = [(h.name if level is INSTITUTION else h.id, h.score) for h in result.hits]
            _judge(pairs, forward.score_kind(result), qid, hits, judged, at)
        if progress:
            progress(1)
    return pairs


def _reverse_pairs(
    ctx: Context, pairs: Pairs, qrels: Qrels, target: Level, top: int, at: float, progress: Progress
) -> None:
    """成果找需求 / 找企业 pairs: each outcome with a relevant need probes the need index; an enterprise's grade is
    the best judged grade of the needs it is shown with (not judged when none of them is)."""
    with ctx.sessions() as session:
        known = set(session.scalars(select(Outcome.id)))
    for outcome_id, judged in invert(qrels).items():
        if outcome_id in known:
            found = reverse.reverse(ctx, reverse.probe(ctx, outcome_id=outcome_id), target=target, top=top)
            key = target.key(ranked=found.scorer != "fused")
            if target is NEEDS:
                _judge(pairs, key, outcome_id, [(h.id, h.score) for h in found.hits], judged, at)
            for hit in found.hits if target is ENTERPRISES else []:
                grades = [judged[n.id] for n in hit.evidence if n.id in judged]
                if grades:
                    pairs.add(key, outcome_id, hit.score, float(max(grades) >= at))
        if progress:
            progress(1)


def derived(ctx: Context, qrels: Qrels, level: str) -> Qrels:
    """Outcome judgements as expert (or institution) judgements: a target's grade for a need is the best grade of
    its judged outcomes (an outcome counts for its experts, and for its institution and theirs, as the roll-up
    counts it)."""
    with ctx.sessions() as session:
        rows = session.execute(
            select(Outcome.id, Expert.id, Institution.name)
            .join(OutcomeExpert, OutcomeExpert.outcome_pk == Outcome.pk, isouter=True)
            .join(Expert, Expert.pk == OutcomeExpert.expert_pk, isouter=True)
            .join(Institution, Institution.pk == Expert.institution_pk, isouter=True)
        ).all()
        own = dict(session.execute(select(Outcome.id, Institution.name).join(Institution)).all())
    owners: dict[str, set[str]] = {}
    for outcome, expert, inst in rows:
        names = {expert} if level_of(level) is EXPERT else {inst, own.get(outcome)}
        owners.setdefault(outcome, set()).update(n for n in names if n)
    found: Qrels = {}
    for need, judged in qrels.items():
        for outcome, gain in judged.items():
            for target in owners.get(outcome, ()):
                found.setdefault(need, {})[target] = max(gain, found.get(need, {}).get(target, gain))
    return found


def calibrate(
    ctx: Context, qrels: Qrels, directions: list[str], *, names: str, source: str, progress: Progress = None
) -> Calibration:
    """The maps for `directions` fitted on `qrels`, whose targets are `names` (outcome, expert or institution);
    outcome judgements also calibrate the expert and institution levels (`derived`) and the reverse direction."""
    found = Calibration()
    for direction in directions:
        by_outcomes, level = level_of(names) is OUTCOME, level_of(direction)
        if not by_outcomes and level is not level_of(names):
            raise InputError(f"{names} judgements calibrate the {names} level only, not {direction}")
        judged = derived(ctx, qrels, direction) if by_outcomes and level.votes and not level.reverse else qrels
        pairs = gather(ctx, judged, direction, progress=progress)
        for key in pairs.scores:
            found.levels[key] = fit_level(
                np.array(pairs.scores[key]), np.array(pairs.labels[key]), np.array(pairs.groups[key]), source
            )
    return found
