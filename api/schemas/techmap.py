"""The technology map as the API returns it: the engine's own map types, narrowed to a region or field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from matcher.map.cells import Cell
from matcher.map.findings import Gap, Strength
from matcher.map.model import Field, Topic


class MapPublic(BaseModel):
    params: dict[str, Any]
    region: str | None
    field: str | None
    fields: list[Field]
    topics: list[Topic]
    regions: list[str]
    cells: list[Cell]
    gaps: list[Gap]
    strengths: list[Strength]


class TopicPublic(BaseModel):
    topic: Topic
    field: Field
    cells: list[Cell]
    gaps: list[Gap]
    strengths: list[Strength]
    needs: list[str]  # ids of the topic's needs (open or not)
    outcomes: list[str]  # ids of the topic's outcomes
