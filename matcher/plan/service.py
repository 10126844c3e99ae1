"""What the CLI and the API call: pairings for a selection of enterprises, and plans made, stored and read back
(keyword-only functions; the edges translate the domain errors)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.errors import InputError, NotFoundError
from matcher.match.conflicts import load_rules
from matcher.match.open_needs import NeedSelection, select_needs
from matcher.plan.matches import NeedMatches, match_for_plans
from matcher.plan.pairings import Pairing, all_pairs, top_per
from matcher.plan.visits import AgendaItem, Plan, Stop, make_plan
from matcher.search.degree import Bands
from matcher.store.tables import PlanRecord
from matcher.workspace.context import Context

Progress = Callable[[int], None] | None
KINDS = ("visit", "delegation")
PAIRING_VIEWS = ("enterprise", "institution")


@dataclass(frozen=True)
class PlanRequest:
    """A visit (`enterprises` or `region` → institutions, in `to_region`) or a delegation (`region` → experts)."""

    kind: str
    k: int
    enterprises: list[str] = field(default_factory=list)
    region: str | None = None
    to_region: str | None = None
    per_expert: int | None = None
    min_degree: float = 30.0  # 匹配度; never below the weak line (`effective`)

    def check(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"kind must be one of {', '.join(KINDS)}")
        if self.kind == "visit" and not (self.enterprises or self.region):
            raise InputError("走访计划需要指定企业或企业所在地区")
        if self.kind == "delegation" and not self.region:
            raise InputError("专家团计划需要指定要服务的需求所在地区")
        if not 0 <= self.min_degree <= 100:
            raise InputError("the minimum 匹配度 is between 0 and 100")


def _matches(
    ctx: Context, level: str, region: str | None, enterprises: list[str] | None, progress: Progress
) -> list[NeedMatches]:
    with ctx.sessions() as session:
        rules = load_rules(session)
        needs = select_needs(session, NeedSelection(region=region, enterprises=tuple(enterprises or ())), rules)
    if not needs:
        raise NotFoundError("所选范围内没有进行中的需求")
    return match_for_plans(ctx, needs, rules, level=level, progress=progress)


def pairings(
    ctx: Context,
    *,
    region: str | None = None,
    enterprise: str | None = None,
    institution_region: str | None = None,
    min_degree: float = 30.0,
    top: int = 5,
    by: str = "enterprise",
    progress: Progress = None,
) -> list[Pairing]:
    """The `top` pairs per enterprise (or per institution, `by="institution"`), best enterprises first."""
    if by not in PAIRING_VIEWS:
        raise InputError(f"by must be one of {', '.join(PAIRING_VIEWS)}")
    if top < 1:
        raise InputError("返回条数至少为 1")
    found = _matches(ctx, "institution", region, [enterprise] if enterprise else None, progress)
    floor = max(min_degree, Bands.of(ctx.settings).weak)  # 弱匹配 is never proposed
    grouped = top_per(all_pairs(found, institution_region, floor), by, top)
    return [p for group in grouped.values() for p in group]


def make(ctx: Context, request: PlanRequest, *, progress: Progress = None) -> Plan:
    request.check()
    level = "institution" if request.kind == "visit" else "expert"
    found = _matches(ctx, level, request.region, request.enterprises or None, progress)
    return make_plan(
        found,
        kind=request.kind,
        k=request.k,
        region=request.to_region if request.kind == "visit" else None,
        capacity=request.per_expert,
        min_degree=max(request.min_degree, Bands.of(ctx.settings).weak),
    )


def save_plan(session: Session, *, request: PlanRequest, plan: Plan, actor: str | None) -> PlanRecord:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    record = PlanRecord(
        id=f"P{stamp}-{secrets.token_hex(2)}",
        kind=plan.kind,
        params=asdict(request),
        result=asdict(plan),
        created_by=actor,
    )
    session.add(record)
    session.flush()
    return record


def get_plan(session: Session, *, plan_id: str) -> PlanRecord:
    """A stored plan by id, or `latest`."""
    query = select(PlanRecord)
    query = query.order_by(PlanRecord.pk.desc()) if plan_id == "latest" else query.where(PlanRecord.id == plan_id)
    record = session.scalars(query.limit(1)).first()
    if record is None:
        raise NotFoundError(f"找不到计划（编号 {plan_id}）")
    return record


def list_plans(session: Session, *, limit: int = 20) -> list[PlanRecord]:
    return list(session.scalars(select(PlanRecord).order_by(PlanRecord.pk.desc()).limit(limit)))


def plan_of(record: PlanRecord) -> Plan:
    """The stored result as a Plan again (for exports)."""
    data: dict[str, Any] = dict(record.result)
    stops = [Stop(**{**s, "agenda": [AgendaItem(**a) for a in s["agenda"]]}) for s in data.pop("stops")]
    return Plan(stops=stops, **data)
