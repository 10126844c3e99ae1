"""Judging from the top (continuous active learning): a need's next pair is its best unjudged candidate in the list
the bandit (`bandit.py`) chooses, and a need stops at its first relevant grade or after `k` judgements. Needs are
taken one after another, the need in progress first. Judged this way, every judged miss of a need sits above its hit
in the lists: a ranker fitted on these judgements alone learns the signals backwards, so the simulation
(`evaluation/learning_top.py`) adds the unjudged candidates of each need with a hit as presumed negatives.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from matcher.label.bandit import MaxMean
from matcher.label.select import Candidate, priority

K = 2  # judgements after which a need with no relevant pair yet stops (NSFC dev: 1, 2, 3, 5, 10 tried; 2 best by 800)
ARMS = ("fused", "bm25", "dense", "ranker", "unsure")  # the lists; on equal bandit values the earlier arm
UNSURE_DEPTH = 30  # the near-the-line/disagreement list (`select.py`) looks only inside each need's fused top 30


@dataclass(frozen=True)
class NeedLists:
    """One need's candidates as each arm orders them (best first) and how far its judging has come."""

    need: str
    lists: Mapping[str, Sequence[str]] = field(default_factory=dict)
    judged: int = 0
    found: bool = False  # a relevant grade among its judgements


@dataclass(frozen=True)
class Pick:
    need: str
    target: str
    arm: str

    @property
    def key(self) -> tuple[str, str]:
        return self.need, self.target


def is_open(need: NeedLists, k: int, pending: int = 0) -> bool:
    """A need is judged on until a relevant grade or `k` judgements (`pending`: those already chosen, not yet in)."""
    return not need.found and need.judged + pending < k


def lists_of(candidates: Sequence[Candidate], *, ranked: bool, line: float) -> dict[str, list[str]]:
    """A need's arms from its candidates in fused order, whose `ranks` are (BM25, dense, served score) percentiles:
    the fused, BM25 and dense lists, and with a ranker (`ranked`: it is the served score) the ranker's list and the
    near-the-line/disagreement list inside the fused top `UNSURE_DEPTH`."""

    def by(i: int) -> list[str]:
        return [c.target for c in sorted(candidates, key=lambda c: c.ranks[i])]  # stable: fused order on ties

    lists = {"fused": [c.target for c in candidates], "bm25": by(0), "dense": by(1)}
    if ranked:
        lists["ranker"] = by(2)
        near = sorted(candidates[:UNSURE_DEPTH], key=lambda c: -priority(c, line))
        lists["unsure"] = [c.target for c in near]
    return lists


def places(need: NeedLists, target: str) -> dict[str, float]:
    """`target`'s place in each arm's list that holds it, as a fraction of the list (0 = first): what
    `bandit.credited` reads when no one recorded which arm chose a pair."""
    return {arm: list(ts).index(target) / len(ts) for arm, ts in need.lists.items() if target in ts}


def best_unjudged(targets: Sequence[str], need: str, done: Collection[tuple[str, str]]) -> str | None:
    """The first of `targets` whose pair with `need` is not in `done` (None: every one is)."""
    return next((t for t in targets if (need, t) not in done), None)


def choose_top(
    needs: Sequence[NeedLists],
    count: int,
    *,
    bandit: MaxMean,
    done: Collection[tuple[str, str]] = (),
    k: int = K,
) -> list[Pick]:
    """Up to `count` pairs: the needs in the given order, each while it is open, its pair from the arm the bandit
    values most among those with an unjudged candidate left. The bandit's values do not move within one call (the
    grades of the chosen pairs are not known yet)."""
    taken = set(done)
    picks: list[Pick] = []
    for need in needs:
        pending = 0
        while len(picks) < count and is_open(need, k, pending):
            nexts = {arm: best_unjudged(ts, need.need, taken) for arm, ts in need.lists.items()}
            arm = bandit.choose(a for a, t in nexts.items() if t is not None)
            if arm is None:
                break
            target = nexts[arm]
            assert target is not None  # the bandit chose among arms with a candidate left
            picks.append(Pick(need.need, target, arm))
            taken.add((need.need, target))
            pending += 1
        if len(picks) >= count:
            break
    return picks
