"""Read-side views for matching: light Core queries that load candidate outcomes with their experts and
institutions in two round trips (no ORM identity map on the hot path)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from matcher.store.tables import Expert, Institution, Outcome, OutcomeExpert


@dataclass(frozen=True)
class InstitutionInfo:
    pk: int
    id: str
    name: str
    type: str | None
    region: str | None


@dataclass(frozen=True)
class ExpertInfo:
    pk: int
    id: str
    name: str
    title: str | None
    region: str | None
    institution: InstitutionInfo | None


@dataclass
class OutcomeInfo:
    pk: int
    id: str
    kind: str
    title: str
    year: int | None
    field: str | None
    region: str | None
    tokens: str
    institution: InstitutionInfo | None
    experts: list[ExpertInfo] = dataclasses.field(default_factory=list)


def _institution(
    pk: int | None, id_: str | None, name: str | None, type_: str | None, region: str | None
) -> InstitutionInfo | None:
    return None if pk is None or id_ is None or name is None else InstitutionInfo(pk, id_, name, type_, region)


def _inst_cells(row: Any, start: int) -> tuple[Any, Any, Any, Any, Any]:
    return row[start], row[start + 1], row[start + 2], row[start + 3], row[start + 4]


def outcome_texts(session: Session, ids: list[str]) -> dict[str, str]:
    """Outcome id → its abstract, or its title when it has none (what a hit's reasons quote)."""
    if not ids:
        return {}
    rows = session.execute(select(Outcome.id, Outcome.title, Outcome.abstract).where(Outcome.id.in_(ids)))
    return {i: abstract or title for i, title, abstract in rows}


def load_outcomes(session: Session, pks: list[int]) -> dict[int, OutcomeInfo]:
    """Outcome pk → OutcomeInfo with institution and ordered experts."""
    if not pks:
        return {}
    rows = session.execute(
        select(
            Outcome.pk,
            Outcome.id,
            Outcome.kind,
            Outcome.title,
            Outcome.year,
            Outcome.field,
            Outcome.region,
            Outcome.tokens,
            Institution.pk,
            Institution.id,
            Institution.name,
            Institution.type,
            Institution.region,
        )
        .outerjoin(Institution, Outcome.institution_pk == Institution.pk)
        .where(Outcome.pk.in_(pks))
    )
    infos = {
        r[0]: OutcomeInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], _institution(*_inst_cells(r, 8)))
        for r in rows
    }
    inst = aliased(Institution)
    links = session.execute(
        select(
            OutcomeExpert.outcome_pk,
            Expert.pk,
            Expert.id,
            Expert.name,
            Expert.title,
            Expert.region,
            inst.pk,
            inst.id,
            inst.name,
            inst.type,
            inst.region,
        )
        .join(Expert, OutcomeExpert.expert_pk == Expert.pk)
        .outerjoin(inst, Expert.institution_pk == inst.pk)
        .where(OutcomeExpert.outcome_pk.in_(pks))
        .order_by(OutcomeExpert.outcome_pk, OutcomeExpert.position)
    )
    for r in links:
        infos[r[0]].experts.append(ExpertInfo(r[1], r[2], r[3], r[4], r[5], _institution(*_inst_cells(r, 6))))
    return infos
