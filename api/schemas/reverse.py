"""Reverse matching (成果找企业): the request for ad-hoc outcome text, and the engine's result types with the
field the API adds (`stage`, the latest staff decision on pairing the need with this expert, institution or
outcome)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from api.schemas.common import JSONNumbers, strict
from matcher.levels import TargetName
from matcher.records import NONBLANK
from matcher.search.results import EnterpriseHit, NeedHit, ReverseResult

Target = TargetName


class ReverseRequest(JSONNumbers):
    model_config = strict(
        {"text": "一种复合锆英粉铸造涂料，抗粘砂，提高大型铸钢件表面光洁度", "target": "enterprises", "top": 10}
    )
    text: str = Field(min_length=1, max_length=20_000, pattern=NONBLANK, description="The outcome (成果描述).")
    institution: str | None = Field(None, max_length=200, description="Its holder, for the conflict rules.")
    target: Target = "needs"
    region: str | None = Field(None, min_length=1, max_length=50, pattern=NONBLANK)
    top: int = Field(10, ge=1, le=100)


@dataclass
class NeedHitPublic(NeedHit):
    stage: str | None = None


@dataclass
class ReversePublic(ReverseResult):
    hits: list[NeedHitPublic] | list[EnterpriseHit]
