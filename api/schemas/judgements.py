"""Judgements of (need, target) pairs on the 标注 view, the pairs proposed for judging, and what retraining did."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import JSONNumbers, UTCDatetime
from matcher.levels import LevelName


class JudgementCreate(JSONNumbers):
    """A grade 0–3 (不相关, 弱相关, 相关, 非常相关) of a pair, or null to skip it (it is not offered again)."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"need_id": "DEMO-N001", "level": "outcome", "target_id": "P001", "grade": 2}]},
    )
    need_id: str = Field(min_length=1, max_length=200)
    level: LevelName = "outcome"
    target_id: str = Field(min_length=1, max_length=200)
    grade: int | None = Field(ge=0, le=3)


class JudgementPublic(BaseModel):
    need_id: str
    level: str
    target_id: str
    target_name: str | None = Field(description="The outcome's title, the expert's or the institution's name")
    grade: int | None
    grade_zh: str  # 不相关 … 非常相关, or 跳过
    source: str
    created_by: str | None
    created_at: UTCDatetime


class PairPublic(BaseModel):
    """A pair to judge, with what the judge reads."""

    need_id: str
    need_title: str
    need_text: str
    target_id: str
    title: str
    text: str
    kind: str
    kind_zh: str
    year: int | None
    institution: str | None
    experts: list[str]
    degree: float | None = Field(description="匹配度 (0–100) as a match shows it now; null: 尚未校准")


class JudgementSummary(BaseModel):
    judged: int
    skipped: int
    by_grade: dict[str, int]
    from_feedback: int
    from_ledger: dict[str, int] = Field(
        default_factory=dict, description="Pairs the 对接台账 teaches (total, of which signed and rejected)"
    )
    model: str | None = Field(description="What the served ranker learnt from, in words (null: none)")


class RetrainPublic(BaseModel):
    kept: bool
    status: str = Field(description="kept | not-better (did not beat what is served) | refused (failed a check)")
    judgements: int
    needs: int
    new: float | None = Field(description="the new ranker's CV nDCG@10 (none: refused before fitting)")
    served: float | None
    version: str | None = Field(description="the model version now served, when kept")
    message: str
