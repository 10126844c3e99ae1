"""Outcomes, experts and institutions: Create / Update / Public, and the bulk upload report."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.common import JSONNumbers, strict, strict_list
from matcher.records import ExpertRecord, InstitutionRecord, OutcomeRecord


class OutcomeCreate(JSONNumbers, OutcomeRecord):
    model_config = strict(
        {
            "id": "P-2026-88",
            "kind": "patent",
            "title": "一种复合锆英粉铸造涂料",
            "abstract": "提高铸件表面光洁度。",
            "year": 2025,
            "institution": "沈阳铸造研究所有限公司",
            "experts": [{"name": "周建国"}],
        }
    )
    _lists = field_validator("keywords", "experts", mode="before")(strict_list)
    _names_to_refs = field_validator("experts", mode="before")(strict_list)  # type: ignore[assignment]


class ExpertCreate(JSONNumbers, ExpertRecord):
    model_config = strict(
        {"name": "周建国", "institution": "沈铸所", "title": "研究员", "fields": ["铸造涂料"], "capacity": 5}
    )
    _lists = field_validator("fields", mode="before")(strict_list)


class InstitutionCreate(JSONNumbers, InstitutionRecord):
    model_config = strict(
        {"name": "沈阳铸造研究所有限公司", "type": "institute", "region": "辽宁", "aliases": ["沈铸所"]}
    )
    _lists = field_validator("aliases", mode="before")(strict_list)


class CatalogUpdate(BaseModel):
    """Fields to change on an outcome, expert or institution (validated against the full record)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"title": "研究员"}]})


class ChangePublic(BaseModel):
    """One changed field of a record: old → new, the file (or API) and the user that changed it, when."""

    field: str
    old: Any = None
    new: Any = None
    source: str
    actor: str | None = None
    at: Any = None


class InstitutionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    type: str | None
    region: str | None
    aliases: list[str]
    group: str | None
    history: list[ChangePublic] = Field(default_factory=list, description="Changed fields, newest first (detail)")


class ExpertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    title: str | None
    fields: list[str]
    region: str | None
    capacity: int | None
    institution: InstitutionPublic | None
    contacts: dict[str, str] | None = Field(None, description="Personal data: shown to staff and admins only")
    history: list[ChangePublic] = Field(default_factory=list, description="Changed fields, newest first (detail)")


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
    history: list[ChangePublic] = Field(default_factory=list, description="Changed fields, newest first (detail)")


class ImportPublic(BaseModel):
    kind: str
    accepted: int
    rejected: int
    rejects: list[dict[str, Any]] = Field(description="Rejected rows: line number, reason, row")
    source: str = Field("", description="The format read: jsonl, csv, xlsx, xls, ris, endnote, docx …")
    mapping: dict[str, str] = Field(default_factory=dict, description="Column → field used")
    ignored: list[str] = Field(default_factory=list, description="Columns read but not used")
    merged: int = Field(0, description="Experts folded into existing ones (GET /experts/merges says why)")
    counts: dict[str, int] = Field(
        default_factory=dict,
        description="Rows by what happened: created, updated, unchanged, merged, duplicates, possible_duplicates, "
        "rejected",
    )
    matched_stored: int = Field(0, description="Rows that met a record stored before (updated, unchanged, merged, "
                                "the same record from another export)")  # fmt: skip
    notes: list[str] = Field(default_factory=list)
    searchable: str | None = Field(None, description="When matching finds the new records, in words (the page "
                                   "then follows GET /version until the index holds them)")  # fmt: skip


class PreviewPublic(BaseModel):
    """What an upload would import, without storing: the guessed column map and the first rows as stored."""

    kind: str
    source: str
    headers: list[str]
    mapping: dict[str, str]
    ignored: list[str]
    fields: list[str] = Field(description="The fields a column may map to")
    rows: list[dict[str, Any]] = Field(description="line, record (as it would be stored) or reason")
    notes: list[str]
    error: str | None = Field(None, description="Why the file cannot be imported as it is (then nothing else is set)")
