"""A province-level region read off an institution's name (哈尔滨工业大学 → 黑龙江, 清华大学 → 北京), for records that
name an institution but no region. The longest fragment of `data/dict/place_regions.tsv` found in the name wins."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from matcher.bundled import dict_dir

PLACES = dict_dir() / "place_regions.tsv"


@lru_cache(maxsize=1)
def _fragments(path: Path = PLACES) -> tuple[tuple[str, str], ...]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            place, region = line.split("\t")
            pairs.append((place.strip(), region.strip()))
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def region_of(name: str | None) -> str | None:
    """The region `name` implies, or None when it names no known place."""
    if not name:
        return None
    for place, region in _fragments():
        if place in name:
            return region
    return None
