"""The 对接台账 as the report reads it: each engagement in scope with the day it reached each stage (its feedback
replayed, corrections undoing what they take back), its partner's institution and expert, its contracts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.levels import EXPERT, INSTITUTION, OUTCOME, level_of
from matcher.store.stages import ORDER
from matcher.store.tables import Contract, Engagement, Expert, Feedback, Institution, Match, Need, Outcome
from matcher.text.normalize import institution_key


@dataclass(frozen=True)
class Scope:
    """A period (both days included) and what to count: needs of a region or field, engagements of an owner or
    with a partner of an institution."""

    start: date
    end: date
    region: str | None = None
    field: str | None = None
    institution: str | None = None
    owner: str | None = None

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    @property
    def narrowed(self) -> bool:
        """Whether only some engagements count (then a need's proposals outside the ledger do not)."""
        return bool(self.institution or self.owner)


@dataclass
class Pair:
    """One engagement as counted."""

    need_pk: int
    owner: str | None
    stage: str
    explicit: dict[str, date] = field(default_factory=dict)  # stage → the day it was first recorded
    rejected_on: date | None = None
    institution: str | None = None  # the partner's institution (the institution itself at that level)
    expert: tuple[str, str] | None = None  # (id, name) when the partner is an expert
    contracts: list[Contract] = field(default_factory=list)

    def reached(self, stage: str) -> date | None:
        """The first day this pair was at `stage` or beyond (a stage skipped counts as passed)."""
        later = [self.explicit[s] for s in ORDER[ORDER.index(stage) :] if s in self.explicit]
        return min(later) if later else None


def replay(pair: Pair, rows: list[Feedback]) -> None:
    """Fill `pair.explicit` and `rejected_on` from its feedback, oldest first: a correction back to a stage forgets
    the later ones (and a 不合适), a correction to 不合适 forgets 已签约."""
    for row in rows:
        day = row.stage_date or row.created_at.date()
        if row.stage == "rejected":
            pair.rejected_on = day
            if row.correction:
                pair.explicit.pop("signed", None)
            continue
        if row.correction:
            for later in ORDER[ORDER.index(row.stage) + 1 :]:
                pair.explicit.pop(later, None)
            pair.rejected_on = None
        pair.explicit.setdefault(row.stage, day)


def scoped_needs(session: Session, scope: Scope) -> dict[int, Need]:
    query = select(Need)
    if scope.region:
        query = query.where(Need.region == scope.region)
    if scope.field:
        query = query.where(Need.field == scope.field)
    return {n.pk: n for n in session.scalars(query)}


def first_proposals(session: Session, needs: set[int]) -> dict[int, date]:
    """Need pk → the day matcher first proposed something for it (a stored match or batch proposal)."""
    rows = session.execute(select(Match.need_pk, func.min(Match.created_at)).group_by(Match.need_pk))
    return {pk: when.date() for pk, when in rows if pk in needs and when is not None}


def _partners(session: Session) -> tuple[dict[str, tuple[str, str | None]], dict[str, str], dict[str, str | None]]:
    """expert id → (name, institution name); institution id → name; outcome id → institution name."""
    names = {i.pk: i.name for i in session.scalars(select(Institution))}
    experts = {e.id: (e.name, names.get(e.institution_pk) if e.institution_pk else None)
               for e in session.scalars(select(Expert))}  # fmt: skip
    institutions = {i_id: name for i_id, name in session.execute(select(Institution.id, Institution.name))}
    outcomes = {o_id: names.get(pk) if pk else None
                for o_id, pk in session.execute(select(Outcome.id, Outcome.institution_pk))}  # fmt: skip
    return experts, institutions, outcomes


def load_pairs(session: Session, scope: Scope, needs: dict[int, Need]) -> list[Pair]:
    """Every engagement of a need in scope (and of the owner, with a partner of the institution, when asked)."""
    query = select(Engagement)
    if scope.owner:
        query = query.where(Engagement.owner == scope.owner)
    rows = [e for e in session.scalars(query.order_by(Engagement.pk)) if e.need_pk in needs]
    history: dict[tuple[int, str, str], list[Feedback]] = defaultdict(list)
    for f in session.scalars(select(Feedback).order_by(Feedback.pk)):
        history[(f.need_pk, f.level, f.target_id)].append(f)
    experts, institutions, outcomes = _partners(session)
    wanted = institution_key(scope.institution) if scope.institution else None
    found = []
    for e in rows:
        pair, level = Pair(e.need_pk, e.owner, e.stage, contracts=list(e.contracts)), level_of(e.level)
        if level is EXPERT and e.target_id in experts:
            name, pair.institution = experts[e.target_id]
            pair.expert = (e.target_id, name)
        elif level is INSTITUTION:
            pair.institution = institutions.get(e.target_id)
        elif level is OUTCOME:
            pair.institution = outcomes.get(e.target_id)
        if wanted and institution_key(pair.institution or "") != wanted:
            continue
        replay(pair, history[(e.need_pk, e.level, e.target_id)])
        found.append(pair)
    return found


def contract_day(contract: Contract) -> date:
    return contract.signed_on or contract.created_at.date()
