"""Conflict rules of a batch run: pairs that are never proposed, whatever their score.

- own organisation: the expert works at the need's organisation (any alias or spelling);
- same group: the expert's institution and the need's organisation belong to one group (集团), or one is the
  other's parent;
- excluded: the pair (or the expert for every need of that organisation) is on the exclusion list;
- rejected: staff already marked this expert 不合适 for this need.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.search.probe import Owner
from matcher.store.resolve import load_alias_file
from matcher.store.tables import Exclusion, Expert, Feedback, Institution, Need
from matcher.text.normalize import institution_key

RULES = {
    "own_organization": "本单位",
    "same_group": "同一集团",
    "excluded": "排除名单",
    "rejected": "已被否决",
}


@dataclass(frozen=True)
class Org:
    """What is known of an organisation: its key, and the group keys it belongs to (itself included)."""

    key: str
    groups: frozenset[str]


@dataclass
class ConflictRules:
    """Loaded once per run; `check(need, expert)` names the first rule a pair breaks, or None."""

    org_by_key: dict[str, Org] = field(default_factory=dict)
    excluded_pairs: set[tuple[int, int]] = field(default_factory=set)
    excluded_orgs: set[tuple[str, int]] = field(default_factory=set)
    rejected: set[tuple[int, str]] = field(default_factory=set)

    def org(self, name: str | None) -> Org | None:
        key = institution_key(name or "")
        return self.org_by_key.get(key) or (Org(key, frozenset({key})) if key else None)

    def check(self, need: Need, expert: Expert) -> str | None:
        institution = expert.institution.name if expert.institution else None
        return self.check_owner(need, Owner(institution, expert.pk, expert.id))

    def check_owner(self, need: Need, owner: Owner) -> str | None:
        """The rule pairing `need` with this owner (an institution, an expert at one) breaks, or None."""
        expert_pk, expert_id = owner.expert_pk, owner.expert_id
        own = self.org(need.organization)
        theirs = self.org(owner.institution)
        if own and theirs and own.key == theirs.key:
            return "own_organization"
        if own and theirs and own.groups & theirs.groups:
            return "same_group"
        excluded_org = own is not None and (own.key, expert_pk) in self.excluded_orgs
        if (need.pk, expert_pk) in self.excluded_pairs or excluded_org:
            return "excluded"
        if (need.pk, expert_id) in self.rejected or (need.pk, owner.institution_id) in self.rejected:
            return "rejected"
        return None


def load_rules(session: Session) -> ConflictRules:
    rules = ConflictRules(org_by_key=_orgs(session))
    for row in session.scalars(select(Exclusion)):
        if row.need_pk is not None:
            rules.excluded_pairs.add((row.need_pk, row.expert_pk))
        if row.organization_key:
            rules.excluded_orgs.add((row.organization_key, row.expert_pk))
    rules.rejected = _rejected(session)
    return rules


def _orgs(session: Session) -> dict[str, Org]:
    """Every stored institution under its key and aliases — its own and the bundled alias list's (沈铸所) — with
    its group and its parent's key."""
    found: dict[str, Org] = {}
    for inst in session.scalars(select(Institution)):
        groups = {inst.key} | ({institution_key(inst.group)} if inst.group else set())
        org = Org(inst.key, frozenset(groups))
        for name in [inst.name, *(inst.aliases or [])]:
            found.setdefault(institution_key(name), org)
    for alias, canonical in load_alias_file().items():
        if institution_key(canonical) in found:
            found.setdefault(alias, found[institution_key(canonical)])
    return found


def _rejected(session: Session) -> set[tuple[int, str]]:
    """(need pk, expert or institution id) pairs whose latest staff decision is 'rejected'."""
    latest: dict[tuple[int, str], str] = {}
    rows = session.execute(
        select(Feedback.need_pk, Feedback.target_id, Feedback.stage)
        .where(Feedback.level.in_(("expert", "institution")))
        .order_by(Feedback.pk)
    )
    for need_pk, target, stage in rows:
        latest[(need_pk, target)] = stage
    return {pair for pair, stage in latest.items() if stage == "rejected"}


def count_rules(broken: list[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for rule in broken:
        counts[rule] += 1
    return dict(counts)
