"""Request and response schemas: separate Create / Update / Public models, Chinese examples for OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.records import ExpertRecord, InstitutionRecord, NeedRecord, OutcomeRecord

T = TypeVar("T")
# stored datetimes are naive UTC; the API states the zone (RFC 3339)
UTCDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]
Level = Literal["outcome", "expert", "institution"]
Stage = Literal["proposed", "contacted", "meeting", "intention", "signed", "rejected"]


class _JSONNumbers(BaseModel):
    """Strict models, except that 2.0 counts as the integer 2 (as JSON Schema says)."""

    @model_validator(mode="before")
    @classmethod
    def _integral_floats(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in data.items()}
        return data


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class NeedCreate(_JSONNumbers, NeedRecord):
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "N-2026-001",
                    "title": "高档数控机床关键铸件用涂料开发",
                    "description": "我公司生产机床床身铸件，现用涂料抗粘砂能力不足，希望合作开发复合锆英粉涂料。",
                    "organization": "齐齐哈尔市重型铸造有限责任公司",
                    "region": "黑龙江",
                    "field": "新材料",
                }
            ]
        },
    )


class NeedUpdate(_JSONNumbers):
    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra={"examples": [{"description": "补充：铸件重量 2—8 吨。"}]}
    )
    title: str | None = Field(None, min_length=1, max_length=500)
    description: str | None = Field(None, max_length=20_000)
    organization: str | None = Field(None, max_length=200)
    region: str | None = Field(None, max_length=50)
    field: str | None = Field(None, max_length=50)
    status: Literal["open", "closed"] | None = None


class NeedPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    title: str
    description: str
    organization: str | None
    region: str | None
    field: str | None
    status: str
    created_at: UTCDatetime
    updated_at: UTCDatetime


def _strict_list(value: Any) -> Any:
    """JSON clients send real lists (the `a;b` string form is for CSV/XLSX cells only)."""
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


class OutcomeCreate(_JSONNumbers, OutcomeRecord):
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "P-2026-88",
                    "kind": "patent",
                    "title": "一种复合锆英粉铸造涂料",
                    "abstract": "提高铸件表面光洁度。",
                    "year": 2025,
                    "institution": "沈阳铸造研究所有限公司",
                    "experts": [{"name": "周建国"}],
                }
            ]
        },
    )
    _lists = field_validator("keywords", "experts", mode="before")(_strict_list)
    _names_to_refs = field_validator("experts", mode="before")(_strict_list)  # type: ignore[assignment]


class ExpertCreate(_JSONNumbers, ExpertRecord):
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [
                {"name": "周建国", "institution": "沈铸所", "title": "研究员", "fields": ["铸造涂料"], "capacity": 5}
            ]
        },
    )
    _lists = field_validator("fields", mode="before")(_strict_list)


class InstitutionCreate(_JSONNumbers, InstitutionRecord):
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [
                {"name": "沈阳铸造研究所有限公司", "type": "institute", "region": "辽宁", "aliases": ["沈铸所"]}
            ]
        },
    )
    _lists = field_validator("aliases", mode="before")(_strict_list)


class CatalogUpdate(BaseModel):
    """Fields to change on an outcome, expert or institution (validated against the full record)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"title": "研究员"}]})


class InstitutionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    type: str | None
    region: str | None
    aliases: list[str]
    group: str | None


class ExpertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    title: str | None
    fields: list[str]
    region: str | None
    capacity: int | None
    institution: InstitutionPublic | None


class OutcomePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    kind: str
    title: str
    abstract: str
    keywords: list[str]
    year: int | None
    field: str | None
    region: str | None
    trl: int | None
    institution: InstitutionPublic | None


class ImportPublic(BaseModel):
    kind: str
    accepted: int
    rejected: int
    rejects: list[dict[str, Any]] = Field(description="Rejected rows: line number, reason, row")


class MatchRequest(_JSONNumbers):
    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [{"text": "寻求动力电池热失控早期预警技术，提高储能电站安全性", "level": "expert", "top": 10}]
        },
    )
    text: str = Field(min_length=1, max_length=20_000)
    level: Level = "expert"
    top: int = Field(10, ge=1, le=100)


class ComponentsPublic(BaseModel):
    fused: float
    bm25: float | None = None
    bm25_rank: int | None = None
    dense: float | None = None
    dense_rank: int | None = None
    model: float | None = None


class OutcomeHitPublic(BaseModel):
    rank: int
    id: str
    kind: str
    title: str
    score: float
    year: int | None
    institution: str | None
    experts: list[str]
    matched_terms: list[str]
    components: ComponentsPublic
    reasons: list[dict[str, Any]] = []


class ExpertHitPublic(BaseModel):
    rank: int
    id: str
    name: str
    title: str | None
    institution: str | None
    region: str | None
    score: float
    n_outcomes: int
    matched_terms: list[str]
    evidence: list[OutcomeHitPublic]
    stage: str | None = None


class InstitutionHitPublic(BaseModel):
    rank: int
    id: str
    name: str
    type: str | None
    region: str | None
    score: float
    n_outcomes: int
    experts: list[str]
    matched_terms: list[str]
    evidence: list[OutcomeHitPublic]
    stage: str | None = None


class MatchPublic(BaseModel):
    level: Level
    query: str
    need_id: str | None
    scorer: str
    notice: str | None
    timings_ms: dict[str, float]
    hits: list[ExpertHitPublic] | list[InstitutionHitPublic] | list[OutcomeHitPublic]


class FeedbackCreate(_JSONNumbers):
    """A decision on a pairing; a rejection (不合适) must say why."""

    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "if": {"properties": {"stage": {"const": "rejected"}}},
            "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": "\\S"}}},
            "examples": [
                {"level": "expert", "target_id": "X630cb57983b6", "stage": "contacted", "reason": None},
                {"level": "expert", "target_id": "X630cb57983b6", "stage": "rejected", "reason": "专家档期已满"},
            ],
        },
    )
    level: Level
    target_id: str = Field(min_length=1, max_length=200)
    stage: Stage
    reason: str | None = Field(None, max_length=2000)


class FeedbackPublic(BaseModel):
    id: int
    need_id: str
    level: str
    target_id: str
    stage: str
    stage_zh: str
    reason: str | None
    created_by: str | None
    created_at: UTCDatetime


class Health(BaseModel):
    status: str
    version: str
    outcomes_indexed: int | None
    embedder: str | None
    ranker: str | None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
    }


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("The body is not readable JSON"),
    401: _problem("Missing, unknown or revoked API key"),
    403: _problem("The key's role may not do this"),
    404: _problem("No such need, outcome, expert or institution"),
    409: _problem("Conflicts with what is stored"),
    413: _problem("Request body too large"),
    422: _problem("Invalid input: which field and why"),
    503: _problem("No usable index yet"),
}
