"""Expert evidence beyond the expert's own retrieved outcomes (expert-ranker features):

- **colleagues**: the vote of the fused candidates held by the expert's institution but not by the expert
  (a group working on the need's problem makes each of its members likelier), and the rank of the expert's
  institution by its whole vote among the institutions of the fused list;
- **profile vector**: the cosine of the need with the centroid of all the expert's outcome vectors (a
  consistent record scores higher than one close outcome among unrelated ones).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.search.prf import unit_mean
from matcher.store.tables import Outcome

Vote = Callable[[list[int]], float]


def institutions_of(session: Session, pks: list[int]) -> dict[int, int]:
    """Outcome pk → the pk of the institution holding it (outcomes without one left out)."""
    rows = session.execute(select(Outcome.pk, Outcome.institution_pk).where(Outcome.pk.in_(pks)))
    return {pk: inst for pk, inst in rows if inst is not None}


def ranks_by_institution(fused_rank: dict[int, int], holder: dict[int, int]) -> dict[int, list[tuple[int, int]]]:
    """Institution pk → its (outcome pk, fused rank) pairs."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pk, rank in fused_rank.items():
        if pk in holder:
            found[holder[pk]].append((pk, rank))
    return found


def institution_ranks(by_inst: dict[int, list[tuple[int, int]]], vote: Vote) -> dict[int, int]:
    """Institution pk → its rank (1-based) by the vote of all its fused outcomes; ties by pk."""
    votes = {inst: vote([r for _, r in pairs]) for inst, pairs in by_inst.items()}
    order = sorted(votes, key=lambda inst: (-votes[inst], inst))
    return {inst: r for r, inst in enumerate(order, 1)}


def colleague_row(
    institution: int | None,
    own: Sequence[int],
    by_inst: dict[int, list[tuple[int, int]]],
    inst_rank: dict[int, int],
    vote: Vote,
    missing_rank: int,
) -> list[float]:
    """[colleague vote, log rank of the institution] for one expert (`missing_rank` when it has no fused
    outcome)."""
    if institution is None:
        return [0.0, math.log(missing_rank)]
    mine = set(own)
    others = [r for pk, r in by_inst.get(institution, []) if pk not in mine]
    return [vote(others), math.log(inst_rank.get(institution, missing_rank))]


def centroid_cosine(vectors: np.ndarray, query: np.ndarray) -> float:
    """Cosine of `query` (unit length) with the mean of `vectors` (unit rows); 0 for no vectors."""
    centre = unit_mean(vectors)
    return 0.0 if centre is None else float(centre @ query)
