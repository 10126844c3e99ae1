"""The 对接台账: engagements (Create / Update / Public), a stage move, a contract, a follow-up."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.schemas.common import JSONNumbers, UTCDatetime
from matcher.levels import LevelName
from matcher.records import NONBLANK
from matcher.store.stages import StageName

SourceName = Literal["match", "plan", "batch", "manual"]
ContractType = Literal["技术开发", "技术转让", "技术许可", "技术咨询", "技术服务"]
def _written_day(value: Any) -> Any:
    """A day as JSON writes it ("YYYY-MM-DD"): a number is not a day (lax dates would read 0 as 1970-01-01)."""
    if not isinstance(value, str | date):
        raise ValueError("日期须写作 2026-12-10 的形式")
    return value


Day = Annotated[date, BeforeValidator(_written_day)]  # JSON "YYYY-MM-DD"


class EngagementCreate(JSONNumbers):
    """Open the 对接 record of a pair: from a match, a plan (`source_ref` its id), a batch run's proposal
    (`source_ref` the run id) or by hand; the owner defaults to the caller."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"need_id": "DEMO-N001", "level": "expert", "target_id": "X630cb57983b6", "source": "match",
                 "owner": "张敏", "next_action": "电话联系专家", "due_date": "2026-12-10"},
            ]
        },
    )  # fmt: skip
    need_id: str = Field(min_length=1, max_length=200)
    level: LevelName
    target_id: str = Field(min_length=1, max_length=200)
    source: SourceName = "manual"
    source_ref: str | None = Field(None, max_length=200)
    owner: str | None = Field(None, max_length=100, pattern=NONBLANK)
    next_action: str | None = Field(None, max_length=500)
    due_date: Day | None = Field(None, strict=False)
    notes: str = Field("", max_length=5000)
    on: Day | None = Field(None, strict=False, description="The day it was proposed, when not today")


class EngagementUpdate(JSONNumbers):
    """Change the owner, the next action and its due date, the notes (null clears them)."""

    model_config = ConfigDict(strict=True, extra="forbid")
    owner: str | None = Field(None, max_length=100, pattern=NONBLANK)
    next_action: str | None = Field(None, max_length=500)
    due_date: Day | None = Field(None, strict=False)
    notes: str | None = Field(None, max_length=5000)


class StageMove(JSONNumbers):
    """Move the engagement to a stage (推荐 → 已联系 → 已对接 → 合作意向 → 已签约, or 不合适 with a reason); a step
    back is a `correction`. `on`: the day it happened, when not today. The next action may be set at once."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"stage": {"const": "rejected"}}},
            "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": NONBLANK}}},
        },
    )
    stage: StageName
    reason: str | None = Field(None, max_length=2000)
    correction: bool = False
    on: Day | None = Field(None, strict=False)
    next_action: str | None = Field(None, max_length=500)
    due_date: Day | None = Field(None, strict=False)


class ContractCreate(JSONNumbers):
    """A technology contract on the engagement (the engagement moves to 已签约 if it is not there yet)."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"type": "技术开发", "amount_wan": 120.5, "signed_on": "2026-11-20",
                                         "registration_no": "2026210100001234", "parties": ["某铸造公司", "某大学"]}]},
    )  # fmt: skip
    type: ContractType
    amount_wan: float | None = Field(None, ge=0, le=1e9, description="合同金额（万元）")
    signed_on: Day | None = Field(None, strict=False)
    registration_no: str | None = Field(None, max_length=100)
    parties: list[str] = Field(default_factory=list, max_length=20)


class ContractPublic(BaseModel):
    id: int
    type: str
    amount_wan: float | None
    signed_on: Day | None
    registration_no: str | None
    parties: list[str]


class StagePublic(BaseModel):
    stage: str
    stage_zh: str
    on: Day
    reason: str | None
    correction: bool
    created_by: str | None
    created_at: UTCDatetime


class EngagementPublic(BaseModel):
    id: int
    need_id: str
    need_title: str
    organization: str | None
    level: str
    target_id: str
    target_name: str | None
    stage: str
    stage_zh: str
    owner: str | None
    next_action: str | None
    due_date: Day | None
    notes: str
    source: str
    source_ref: str | None
    created_at: UTCDatetime
    updated_at: UTCDatetime
    contracts: list[ContractPublic]
    history: list[StagePublic] = Field(default_factory=list)


class FollowupPublic(BaseModel):
    """An engagement whose next action is due soon or overdue."""

    engagement: EngagementPublic
    days: int = Field(description="due date − today: negative when overdue")
    overdue: bool
    status_zh: str  # 逾期 N 天 / 今天到期 / N 天后到期
