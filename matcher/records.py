"""The import record format (JSON Lines / CSV / XLSX rows), validated with pydantic.

These are the project's own formats, documented in docs/data-formats.md.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.text.normalize import clean, clean_input, is_id_field

OutcomeKind = Literal["patent", "paper", "project", "achievement"]
KIND_ZH: dict[str, str] = {"patent": "专利", "paper": "论文", "project": "项目", "achievement": "成果"}
LEVEL_ZH: dict[str, str] = {"outcome": "成果", "expert": "专家", "institution": "单位"}
InstitutionType = Literal["university", "institute", "enterprise", "agency"]
NeedStatus = Literal["open", "closed"]

MAX_TEXT = 20_000
# ids travel in URLs and file names: no white space or control characters, no / \ ? %, not . or .. — but the
# punctuation real catalogues use is kept (paragraph ids such as `Preprint-209901.00001V1#2`)
_C = r"[^\s/\\?%\x00-\x1f\x7f\x85\ufeff]"  # a character an id may hold
_D = r"[^.\s/\\?%\x00-\x1f\x7f\x85\ufeff]"  # the same, not a dot
ID_PATTERN = rf"^(?:{_D}|{_D}{_C}|{_C}{_D}|{_C}{_C}{_C}+)$"  # without look-ahead: not "." or ".."
Id = Annotated[str, Field(min_length=1, max_length=200, pattern=ID_PATTERN)]
# at least one character that is not white space to Python's str.strip() *and* to JSON Schema's (ECMA-262) \s,
# which differ: \x1c-\x1f and \x85 are space only to Python, \ufeff only to ECMA (a bare \S lets a client send
# "\x1c", valid by the schema, that strips to "" here)
# (and neither a control nor a zero-width character, which the input cleaning removes)
NONBLANK = r"[^\s\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]"
Term = Annotated[str, Field(min_length=1, max_length=100, pattern=NONBLANK)]  # one keyword, field or alias
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=NONBLANK)]  # surrounding white space is stripped
Terms = Annotated[list[Term], Field(max_length=200)]
# personal data of a contact person (needs) or an expert: stored apart, never embedded, shown to staff only
Contacts = dict[Literal["name", "phone", "email"], Annotated[str, Field(max_length=200)]]


def _as_list(value: Any) -> Any:
    """Accept a list, a JSON list in a string, or a string separated by ; ； , ，、 (CSV cells)."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        raise ValueError("expected a list")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        for sep in ("；", "，", "、", ","):
            text = text.replace(sep, ";")
        return [part.strip() for part in text.split(";") if part.strip()]
    return value


class CleanInput(BaseModel):
    """What every import row and every API body is validated as. Once it is valid as sent (so acceptance is
    exactly what the published schema says), control and zero-width characters are removed from its text
    (`text.clean_input`; ids are left alone) and an optional text field left blank becomes absent (None)."""

    @model_validator(mode="after")
    def _cleaned(self) -> Any:
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if is_id_field(name) or not isinstance(value, str | list | dict):
                continue
            value = clean_input(value)
            if isinstance(value, str) and not value.strip() and field.default is None:
                value = None
            object.__setattr__(self, name, value)  # frozen models too: this is still their validation
        return self


class _Record(CleanInput):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ExpertRef(_Record):
    """An expert named inside an outcome record."""

    id: Id | None = None
    name: Name
    institution: str | None = Field(None, max_length=200)


class NeedRecord(_Record):
    id: Id
    title: str = Field(min_length=1, max_length=500, pattern=NONBLANK)
    description: str = Field("", max_length=MAX_TEXT)
    organization: str | None = Field(None, max_length=200)
    region: str | None = Field(None, max_length=50)
    field: str | None = Field(None, max_length=50)
    status: NeedStatus = "open"
    contacts: Contacts | None = None

    @field_validator("title", "description")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean(value)


class OutcomeRecord(_Record):
    id: Id
    kind: OutcomeKind = "achievement"
    title: str = Field(min_length=1, max_length=1000, pattern=NONBLANK)
    abstract: str = Field("", max_length=MAX_TEXT)
    keywords: Terms = Field(default_factory=list)
    year: int | None = Field(None, ge=1900, le=2100)
    institution: str | None = Field(None, max_length=200)
    experts: list[ExpertRef] = Field(default_factory=list, max_length=200)
    field: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=50)
    trl: int | None = Field(None, ge=1, le=9)

    _lists = field_validator("keywords", "experts", mode="before")(_as_list)

    @field_validator("experts", mode="before")
    @classmethod
    def _names_to_refs(cls, value: Any) -> Any:
        items = _as_list(value)
        return [{"name": item} if isinstance(item, str) else item for item in items]

    @field_validator("title", "abstract")
    @classmethod
    def _clean(cls, value: str) -> str:
        return clean(value)


class ExpertRecord(_Record):
    id: Id | None = None
    name: Name
    institution: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=50, description="职称, e.g. 教授 / 研究员 / 高级工程师")
    fields: Terms = Field(default_factory=list)
    region: str | None = Field(None, max_length=50)
    capacity: int | None = Field(None, ge=0, le=1000)
    contacts: Contacts | None = None

    _lists = field_validator("fields", mode="before")(_as_list)


class InstitutionRecord(_Record):
    id: Id | None = None
    name: str = Field(min_length=1, max_length=200, pattern=NONBLANK)
    type: InstitutionType | None = None
    region: str | None = Field(None, max_length=50)
    aliases: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200, pattern=NONBLANK)]], Field(max_length=200)
    ] = Field(default_factory=list)
    group: str | None = Field(None, max_length=200, description="Parent group, for conflict rules.")

    _lists = field_validator("aliases", mode="before")(_as_list)


RECORD_TYPES: dict[str, type[_Record]] = {
    "needs": NeedRecord,
    "outcomes": OutcomeRecord,
    "experts": ExpertRecord,
    "institutions": InstitutionRecord,
}
