"""The parameters of a batch run, validated once (bad values are InputError before anything is stored)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from matcher.assign.solver import Limits
from matcher.errors import InputError
from matcher.match.open_needs import NeedSelection

# a real calendar day (29 February excepted), so every string the published schema admits is accepted
_DAY = r"((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))"
NEEDS_PATTERN = rf"^(open|all|since:[1-9]\d{{3}}-{_DAY})$"


class BatchParams(BaseModel):
    """Every limit of a batch run, declared once (the CLI's options and the API's body are built from it)."""

    model_config = ConfigDict(frozen=True)

    needs: str = Field("open", pattern=NEEDS_PATTERN, description="open | all | since:YYYY-MM-DD")
    per_need: int = Field(3, ge=1, le=50, description="Experts proposed per need (K).")
    alternates: int = Field(2, ge=0, le=50, description="Ranked alternates per need (A).")
    expert_capacity: int = Field(5, ge=1, le=10_000, description="Proposals per expert in the run (C).")
    institution_capacity: int | None = Field(
        None, ge=1, le=100_000, description="Proposals per institution in the run (N)."
    )
    max_per_institution: int = Field(2, ge=1, le=50, description="Experts of one institution per need (M).")
    region_bonus: float = Field(10.0, ge=0, le=100, description="Points for same-region pairs (本地转化).")
    candidates: int = Field(20, ge=1, le=200, description="Experts scored per need (below K + A slots stay empty).")

    @field_validator("needs")
    @classmethod
    def _real_day(cls, value: str) -> str:
        NeedSelection.parse(value)
        return value

    @classmethod
    def create(cls, **data: Any) -> BatchParams:
        """Validated parameters, or an InputError naming the bad ones (the library's constructor for user input)."""
        if isinstance(data.get("needs"), str):
            NeedSelection.parse(data["needs"])  # its message says what a selector looks like
        try:
            return cls(**data)
        except ValidationError as exc:
            bad = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
            hint = next((str(e["ctx"]["error"]) for e in exc.errors() if "error" in e.get("ctx", {})), "")
            raise InputError(
                f"invalid batch parameters: {', '.join(bad)} {hint}(see `matcher batch run --help`)"
            ) from exc

    def limits(self) -> Limits:
        return Limits(
            per_need=self.per_need,
            expert_capacity=self.expert_capacity,
            institution_capacity=self.institution_capacity,
            max_per_institution=self.max_per_institution,
            region_bonus=self.region_bonus,
        )

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchParams:
        return cls.create(**{k: v for k, v in data.items() if k in cls.model_fields})
