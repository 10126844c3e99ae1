"""Shared pieces of the API schemas: strict JSON numbers, pages, RFC 9457 problems, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from matcher.records import CleanInput

T = TypeVar("T")
# stored datetimes are naive UTC; the API states the zone (RFC 3339)
UTCDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]


class JSONNumbers(CleanInput):
    """Strict models, except that 2.0 counts as the integer 2 (as JSON Schema says); text cleaned as import rows
    are (`CleanInput`)."""

    @model_validator(mode="before")
    @classmethod
    def _integral_floats(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in data.items()}
        return data


def strict(*examples: dict[str, Any], **config: Any) -> ConfigDict:
    """Strict JSON types (no "2" for 2) with examples for OpenAPI."""
    return ConfigDict(strict=True, json_schema_extra={"examples": list(examples)}, **config)  # type: ignore[typeddict-item]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def strict_list(value: Any) -> Any:
    """JSON clients send real lists (the `a;b` string form is for CSV/XLSX cells only)."""
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


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


# a stored record's number in a path (merges, duplicates, engagements, exclusions): a database integer, never more
RecordNumber = Annotated[int, Path(ge=1, le=2_147_483_647, description="The record's number")]
