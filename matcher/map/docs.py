"""What a technology map is drawn from: every outcome (supply) and every need (demand) in the store, with the
region, year, organisation and people each brings, and staff progress on each need from feedback. A record's
region is its own, else its institution's (or enterprise's) stored region, else the one its name implies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.store.stages import STAGES
from matcher.store.tables import Expert, Feedback, Institution, Need, Outcome, OutcomeExpert
from matcher.text.normalize import compose, institution_key
from matcher.text.regions import region_of
from matcher.text.tokenize import Tokenizer

UNKNOWN_REGION = "未注明"
_ORDER = {name: i for i, name in enumerate(STAGES)}


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    institution: str | None


@dataclass
class MapDoc:
    """One outcome or need as the map sees it."""

    side: str  # "outcome" | "need"
    id: str
    title: str
    text: str  # what is embedded (title + body, cut to the embedder's length)
    tokens: list[str]
    region: str
    kind: str  # outcome kind, or "need"
    organization: str | None  # the outcome's institution, or the need's enterprise
    year: int | None = None  # outcome year; a need's creation year
    quarter: str | None = None  # a need's creation quarter, "2026Q4"
    declared_field: str | None = None
    open: bool = True
    experts: list[Person] = field(default_factory=list)
    progress: str | None = None  # furthest staff stage on a need ("meeting", "signed", …)


def quarter(at: datetime) -> str:
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def _experts(session: Session) -> dict[int, list[Person]]:
    rows = session.execute(
        select(OutcomeExpert.outcome_pk, Expert.id, Expert.name, Institution.name)
        .join(Expert, Expert.pk == OutcomeExpert.expert_pk)
        .outerjoin(Institution, Institution.pk == Expert.institution_pk)
        .order_by(OutcomeExpert.outcome_pk, OutcomeExpert.position)
    )
    found: dict[int, list[Person]] = defaultdict(list)
    for outcome_pk, expert_id, name, inst in rows:
        found[outcome_pk].append(Person(expert_id, name, inst))
    return found


def outcome_docs(session: Session, max_chars: int) -> list[MapDoc]:
    people = _experts(session)
    rows = session.execute(
        select(Outcome, Institution.name, Institution.region)
        .outerjoin(Institution, Institution.pk == Outcome.institution_pk)
        .order_by(Outcome.id)
    )
    return [
        MapDoc(
            side="outcome",
            id=o.id,
            title=o.title,
            text=compose(o.title, o.abstract, max_chars),
            tokens=o.tokens.split(),
            region=o.region or inst_region or region_of(inst_name) or UNKNOWN_REGION,
            kind=o.kind,
            organization=inst_name,
            year=o.year,
            declared_field=o.field,
            experts=people.get(o.pk, []),
        )
        for o, inst_name, inst_region in rows
    ]


def furthest_stages(session: Session) -> dict[int, str]:
    """Each need's furthest stage in staff feedback (不合适 counts as no progress)."""
    best: dict[int, str] = {}
    for need_pk, stage in session.execute(select(Feedback.need_pk, Feedback.stage)):
        if stage != "rejected" and _ORDER[stage] > _ORDER.get(best.get(need_pk, "proposed"), 0):
            best[need_pk] = stage
    return best


def _need_region(need: Need, regions: dict[str, str | None]) -> str:
    org_region = regions.get(institution_key(need.organization)) if need.organization else None
    return need.region or org_region or region_of(need.organization) or UNKNOWN_REGION


def _regions(session: Session) -> dict[str, str | None]:
    return {key: region for key, region in session.execute(select(Institution.key, Institution.region))}


def need_progress(session: Session) -> dict[str, tuple[str, str]]:
    """Each need with staff progress, as it is now: id → (its region on the map, its furthest stage)."""
    stages, regions = furthest_stages(session), _regions(session)
    needs = list(session.scalars(select(Need).where(Need.pk.in_(list(stages))))) if stages else []
    return {n.id: (_need_region(n, regions), stages[n.pk]) for n in needs}


def need_docs(session: Session, tokenizer: Tokenizer, max_chars: int) -> list[MapDoc]:
    regions = _regions(session)
    stages = furthest_stages(session)
    docs = []
    for n in session.scalars(select(Need).order_by(Need.id)):
        docs.append(
            MapDoc(
                side="need",
                id=n.id,
                title=n.title,
                text=compose(n.title, n.description, max_chars),
                tokens=tokenizer.tokens(f"{n.title} {n.description}"),
                region=_need_region(n, regions),
                kind="need",
                organization=n.organization,
                year=n.created_at.year,
                quarter=quarter(n.created_at),
                declared_field=n.field,
                open=n.status == "open",
                progress=stages.get(n.pk),
            )
        )
    return docs
