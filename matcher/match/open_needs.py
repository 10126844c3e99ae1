"""Open needs → match → allowed: the one path batch runs, pairings, plans and reverse matching share.

- `select_needs`: which needs take part (open ones by default; a region, enterprises, a date, given pks);
- `match_need`: one need, read once, matched by the forward pipeline;
- `allowed`: its hits without the pairs a conflict rule rules out (`conflicts.py`), counted by rule.

Reverse matching runs the same selection and the same rule check with the probe's owners (`broken_rule`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.errors import InputError, NotFoundError
from matcher.levels import EXPERT
from matcher.match import forward
from matcher.match.conflicts import ConflictRules
from matcher.search.probe import Owner
from matcher.search.results import ExpertHit, InstitutionHit, MatchResult
from matcher.store.stages import ACCEPTED
from matcher.store.tables import Expert, Feedback, Need
from matcher.workspace.context import Context


@dataclass(frozen=True)
class NeedSelection:
    """Which needs: open ones (`status="all"` adds closed ones), optionally of one region, of named enterprises
    (any spelling of a stored name), changed since a day, or among given pks."""

    status: str = "open"
    region: str | None = None
    enterprises: tuple[str, ...] = ()
    since: date | None = None
    pks: tuple[int, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> NeedSelection:
        """A batch run's selector: `open`, `all` or `since:YYYY-MM-DD` (open needs changed since that day)."""
        if text in ("open", "all"):
            return cls(status=text)
        if text.startswith("since:"):
            try:
                return cls(since=date.fromisoformat(text.removeprefix("since:")))
            except ValueError as exc:
                raise InputError(f"--needs since:DATE needs a date like since:2026-11-01, not {text!r}") from exc
        raise InputError(f"--needs must be open, all or since:YYYY-MM-DD, not {text!r}")


def select_needs(session: Session, selection: NeedSelection, rules: ConflictRules | None = None) -> list[Need]:
    """The selected needs in pk order; enterprises are named through `rules` (aliases folded), and an enterprise
    with no selected need is a NotFoundError."""
    if selection.region is not None and not selection.region.strip():
        raise InputError("地区不能为空")
    query = select(Need).order_by(Need.pk)
    if selection.status == "open":
        query = query.where(Need.status == "open")
    if selection.region:
        query = query.where(Need.region == selection.region.strip())
    if selection.since:
        query = query.where(Need.updated_at >= datetime.combine(selection.since, datetime.min.time()))
    if selection.pks is not None:
        query = query.where(Need.pk.in_(selection.pks))
    needs = list(session.scalars(query))
    if selection.enterprises and rules is not None:
        keys = {_key(rules, name) for name in selection.enterprises}
        needs = [n for n in needs if _key(rules, n.organization) in keys]
        missing = keys - {_key(rules, n.organization) for n in needs}
        if missing:
            raise NotFoundError(f"这些企业没有进行中的需求：{'、'.join(sorted(missing))}")
    return needs


def _key(rules: ConflictRules, name: str | None) -> str:
    org = rules.org(name)
    return org.key if org else ""


# -- conflict rules ---------------------------------------------------------------------------------------------
def broken_rule(need: Need, owners: list[Owner], rules: ConflictRules) -> str | None:
    """The rule that rules pairing `need` with these owners out: the first owner's, when every owner breaks one
    (a forward hit has one owner; an outcome's probe has each of its experts)."""
    broken = [rules.check_owner(need, o) for o in owners]
    return broken[0] if broken and all(broken) else None


def owner_of(hit: Any, expert_pks: dict[str, int]) -> Owner:
    """Who a forward hit is, for the conflict rules: an expert (at their institution) or an institution."""
    if isinstance(hit, InstitutionHit):
        return Owner(hit.name, institution_id=hit.id)
    if isinstance(hit, ExpertHit):
        pk = expert_pks.get(hit.id)
        return Owner(hit.institution, pk, hit.id if pk is not None else None)
    raise InputError("conflict rules apply to expert and institution hits")


def expert_pks(session: Session, ids: list[str]) -> dict[str, int]:
    return {eid: pk for eid, pk in session.execute(select(Expert.id, Expert.pk).where(Expert.id.in_(ids)))}


@dataclass
class Matched:
    """One need, its forward match, the conflict-free hits (rank order) and how many hits each rule removed."""

    need: Need
    result: MatchResult
    kept: list[Any]
    removed: dict[str, int] = field(default_factory=dict)
    left_out: list[tuple[Any, str]] = field(default_factory=list)  # (hit, the rule that removed it)


def allowed(
    session: Session, need: Need, hits: list[Any], rules: ConflictRules
) -> tuple[list[Any], list[tuple[Any, str]]]:
    """`hits` split into those `need` may be paired with, and the others with the rule each breaks."""
    pks = expert_pks(session, [h.id for h in hits if isinstance(h, ExpertHit)])
    kept, removed = [], []
    for hit in hits:
        rule = broken_rule(need, [owner_of(hit, pks)], rules)
        if rule:
            removed.append((hit, rule))
        else:
            kept.append(hit)
    return kept, removed


@dataclass(frozen=True)
class Marks:
    """What a need's match reads of the decisions: its own (不合适 takes a target off its list) and the accepted
    expert decisions of every need (the ranker's track-record feature). Other decisions change neither."""

    own: dict[int, int]  # need pk → its latest decision's pk
    track_record: int  # the latest accepted expert decision's pk

    @classmethod
    def read(cls, session: Session) -> Marks:
        own = session.execute(select(Feedback.need_pk, func.max(Feedback.pk)).group_by(Feedback.need_pk))
        accepted = select(func.max(Feedback.pk)).where(Feedback.level == EXPERT.name, Feedback.stage.in_(ACCEPTED))
        return cls({pk: mark for pk, mark in own}, int(session.scalar(accepted) or 0))

    def of(self, need_pk: int) -> tuple[int, int]:
        return self.own.get(need_pk, 0), self.track_record


def match_need(
    ctx: Context, need: Need, rules: ConflictRules, *, level: str, top: int, marks: Marks | None = None
) -> Matched:
    """One need (its row, read once) matched at `level`, the hits it may be paired with kept. With the decisions'
    `marks`, the match is remembered while the served artifacts, the need and the decisions it reads stay as they
    are (plans and pairings over a region's needs then cost one match per changed need)."""
    if marks is None:
        result = forward.match(ctx, forward.query_of(ctx, need), level=level, top=top)
    else:
        key = ("match", need.pk, need.updated_at, level, top, marks.of(need.pk))
        result = ctx.served.remembered(
            key, lambda: forward.match(ctx, forward.query_of(ctx, need), level=level, top=top)
        )
    with ctx.sessions() as session:
        kept, removed = allowed(session, need, result.hits, rules)
    return Matched(need, result, kept, dict(Counter(rule for _, rule in removed)), removed)


def match_needs(
    ctx: Context,
    needs: list[Need],
    rules: ConflictRules,
    *,
    level: str,
    top: int,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Matched]:
    with ctx.sessions() as session:
        marks = Marks.read(session)
    for need in needs:
        yield match_need(ctx, need, rules, level=level, top=top, marks=marks)
        if progress:
            progress(1)
