"""Training rows of the reverse ranker (成果找需求): for each outcome of the judgements inverted (`calibrate.invert`:
the outcomes with a relevant need), its probe's candidate needs — the head of the reverse search, as a reverse
question finds them (`match/reverse.py`) — with their feature rows; a need's label is its judged grade for the
outcome, an unjudged candidate counts as not relevant (BDCI judges each outcome for one need)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import select

from matcher.errors import InputError
from matcher.learn.calibrate import invert
from matcher.match import reverse
from matcher.ranking.cv import JudgedSet
from matcher.ranking.qrels import Qrels
from matcher.ranking.reverse.rerank import DEPTH
from matcher.search.fusion import FusionParams
from matcher.search.needs import search_needs
from matcher.store.tables import Need, Outcome
from matcher.workspace.context import Context

Progress = Callable[[int], None] | None


def reverse_judged_set(ctx: Context, qrels: Qrels, progress: Progress = None) -> tuple[JudgedSet, Qrels]:
    """Feature rows of every judged outcome's candidate needs (outcome judgements `qrels`, need → outcome → grade),
    and the inverted judgements they are scored against (outcome → need → grade)."""
    inverted = invert(qrels)
    snap, s = ctx.needs_snapshot(), ctx.settings
    index = snap.indexes.needs
    if index is None:
        raise InputError("the index has no need index: run `matcher index build`")
    with ctx.sessions() as session:
        known = set(session.scalars(select(Outcome.id).where(Outcome.id.in_(list(inverted)))))
        needs = {n.pk: n for n in session.scalars(select(Need))}
    blocks: list[np.ndarray] = []
    labels: list[float] = []
    groups: list[int] = []
    queries: list[str] = []
    targets: list[str] = []
    skipped = [o for o in inverted if o not in known]
    for outcome_id in (o for o in inverted if o in known):
        probe = reverse.probe(ctx, outcome_id=outcome_id)
        found = search_needs(probe, index, depth=s.retrieve_depth, params=FusionParams.from_settings(s))
        head = [f for f in found if f.pk in needs][:DEPTH]
        if head:
            blocks.append(reverse.need_features(snap, probe, head, needs))
            labels += [float(inverted[outcome_id].get(needs[f.pk].id, 0)) for f in head]
            groups += [len(queries)] * len(head)
            targets += [needs[f.pk].id for f in head]
            queries.append(outcome_id)
        if progress:
            progress(1)
    if not blocks:
        raise InputError("no judged outcome of the workspace found a need")
    ts = JudgedSet(np.vstack(blocks), np.asarray(labels), np.asarray(groups), queries, targets, skipped)
    return ts, inverted
