"""Enterprise needs: Create / Update / Public."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.catalog import ChangePublic
from api.schemas.common import JSONNumbers, UTCDatetime, strict
from matcher.records import NONBLANK, NeedRecord


class NeedCreate(JSONNumbers, NeedRecord):
    model_config = strict(
        {
            "id": "N-2026-001",
            "title": "高档数控机床关键铸件用涂料开发",
            "description": "我公司生产机床床身铸件，现用涂料抗粘砂能力不足，希望合作开发复合锆英粉涂料。",
            "organization": "齐齐哈尔市重型铸造有限责任公司",
            "region": "黑龙江",
            "field": "新材料",
        }
    )


class NeedUpdate(JSONNumbers):
    model_config = ConfigDict(
        strict=True, extra="forbid", json_schema_extra={"examples": [{"description": "补充：铸件重量 2—8 吨。"}]}
    )
    title: str | None = Field(None, min_length=1, max_length=500, pattern=NONBLANK)
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
    contacts: dict[str, str] | None = Field(None, description="Personal data: shown to staff and admins only")
    created_at: UTCDatetime
    updated_at: UTCDatetime
    history: list[ChangePublic] = Field(default_factory=list, description="Changed fields, newest first (detail)")
