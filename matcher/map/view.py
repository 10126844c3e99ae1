"""A map narrowed to what a staff member asked about: one region, one field, or both."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from matcher.errors import NotFoundError
from matcher.map.cells import Cell, recount_progress
from matcher.map.findings import Gap, Strength
from matcher.map.model import Field, TechMap, Topic


@dataclass
class MapView:
    techmap: TechMap
    region: str | None
    field: Field | None
    topics: list[Topic]  # the field's topics (all without a field), by field then id
    cells: list[Cell]  # every region's cells of those topics: the heatmap compares regions
    gaps: list[Gap]  # in the region (all without one), strongest first
    strengths: list[Strength]

    @property
    def regions(self) -> list[str]:
        """Regions by activity (open needs + outcomes in the shown topics), busiest first."""
        load: dict[str, int] = {}
        for c in self.cells:
            load[c.region] = load.get(c.region, 0) + c.needs + c.outcomes
        return sorted(load, key=lambda r: (-load[r], r))

    @cached_property
    def grid(self) -> dict[tuple[int, str], Cell]:
        return {(c.topic, c.region): c for c in self.cells}

    def as_dict(self) -> dict[str, Any]:
        return {
            "params": self.techmap.params,
            "region": self.region,
            "field": self.field.name if self.field else None,
            "fields": [asdict(f) for f in self.techmap.fields if self.field is None or f.id == self.field.id],
            "topics": [asdict(t) for t in self.topics],
            "regions": self.regions,
            "cells": [asdict(c) for c in self.cells],
            "gaps": [asdict(g) for g in self.gaps],
            "strengths": [asdict(s) for s in self.strengths],
        }


def view(
    techmap: TechMap,
    *,
    region: str | None = None,
    field: str | None = None,
    progress: dict[str, tuple[str, str]] | None = None,
) -> MapView:
    """The map narrowed to a region and/or a field; `progress` (`docs.need_progress`) recounts 已对接 / 已签约
    from the feedback recorded since the map was built."""
    if region is not None and region not in techmap.regions:
        raise NotFoundError(f"图谱中没有地区「{region}」；现有地区：{'、'.join(techmap.regions)}")
    chosen = techmap.field_named(field) if field is not None else None
    topics = sorted(
        (t for t in techmap.topics if chosen is None or t.field == chosen.id), key=lambda t: (t.field, t.id)
    )
    ids = {t.id for t in topics}
    cells = [c for c in techmap.cells if c.topic in ids]
    here = (lambda r: r == region) if region is not None else (lambda r: True)
    return MapView(
        techmap=techmap,
        region=region,
        field=chosen,
        topics=topics,
        cells=recount_progress(cells, techmap.assignments, progress) if progress is not None else cells,
        gaps=[g for g in techmap.gaps if g.topic in ids and here(g.region)],
        strengths=[s for s in techmap.strengths if s.topic in ids and here(s.region)],
    )
