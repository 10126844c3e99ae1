"""The decayed top-k vote, in one place: an owner's vote is Σ decay^i · score_i over its best `depth` scores, best
first. Experts and institutions vote with their outcomes (`rollup/vote.py`), enterprises with their needs
(`rollup/enterprises.py`), and the expert ranker's features vote with retrieval ranks (`ranking/expert/`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from matcher.config import Settings
from matcher.search.fusion import vote_weight


@dataclass(frozen=True)
class VoteParams:
    depth: int = 5
    decay: float = 0.5
    half_life: float = 0.0  # 0 = off (a 10-year half-life cut NSFC dev expert MRR from 0.17 to 0.03)
    now_year: int | None = None  # None = the current year when the vote is counted

    @classmethod
    def from_settings(cls, settings: Settings) -> VoteParams:
        return cls(depth=settings.rollup_depth, decay=settings.rollup_decay, half_life=settings.recency_half_life)

    def full(self) -> float:
        """The vote of an owner whose `depth` best outcomes all score 1 (the most a vote can be)."""
        return float(sum(self.decay**i for i in range(self.depth)))


def decayed_vote(best_first: Iterable[float], params: VoteParams) -> float:
    """Σ decay^i · score_i over the first `depth` of `best_first` (already sorted, best first)."""
    total = 0.0
    for i, score in enumerate(best_first):
        if i >= params.depth:
            break
        total += score * params.decay**i
    return float(total)


def rank_vote(ranks: list[int], params: VoteParams) -> float:
    """The vote of an owner whose items sit at these retrieval ranks (1-based): each rank's `vote_weight`."""
    return decayed_vote((float(vote_weight(r)) for r in sorted(ranks)), params)
