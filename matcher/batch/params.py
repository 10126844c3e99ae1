"""The parameters of a batch run, validated once (bad values are InputError before anything is stored)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select

from matcher.batch.assign import Limits
from matcher.errors import InputError
from matcher.store.tables import Need


@dataclass(frozen=True)
class BatchParams:
    needs: str = "open"  # open | all | since:YYYY-MM-DD (open needs created or changed since that day)
    per_need: int = 3
    alternates: int = 2
    expert_capacity: int = 5
    institution_capacity: int | None = None
    max_per_institution: int = 2
    region_bonus: float = 10.0
    candidates: int = 20  # experts scored per need before the solver chooses

    def __post_init__(self) -> None:
        need_selector(self.needs)
        checks = {
            "per_need": 1 <= self.per_need <= 50,
            "alternates": 0 <= self.alternates <= 50,
            "expert_capacity": 1 <= self.expert_capacity <= 10_000,
            "institution_capacity": self.institution_capacity is None or self.institution_capacity >= 1,
            "max_per_institution": self.max_per_institution >= 1,
            "region_bonus": 0 <= self.region_bonus <= 100,
            "candidates": 1 <= self.candidates <= 200,  # fewer than K + A just leaves slots empty
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise InputError(f"invalid batch parameters: {', '.join(bad)} (see `matcher batch run --help`)")

    def limits(self) -> Limits:
        return Limits(
            per_need=self.per_need,
            expert_capacity=self.expert_capacity,
            institution_capacity=self.institution_capacity,
            max_per_institution=self.max_per_institution,
            region_bonus=self.region_bonus,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchParams:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def need_selector(text: str) -> Select[int]:
    """The query of need pks a selector names, in pk order."""
    query = select(Need.pk).order_by(Need.pk)
    if text == "all":
        return query
    if text == "open":
        return query.where(Need.status == "open")
    if text.startswith("since:"):
        try:
            day = date.fromisoformat(text.removeprefix("since:"))
        except ValueError as exc:
            raise InputError(f"--needs since:DATE needs a date like since:2026-11-01, not {text!r}") from exc
        return query.where(Need.status == "open", Need.updated_at >= datetime.combine(day, datetime.min.time()))
    raise InputError(f"--needs must be open, all or since:YYYY-MM-DD, not {text!r}")
