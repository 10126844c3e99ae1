"""A frozen snapshot of what a workspace serves: the indexes (dense, BM25, the need index, the expert profiles),
the one tokenizer, the rankers, the 匹配度 maps and the institution sizes, at one version of the artifacts.

A question takes one snapshot when it starts and reads only it, so an index build, a retrain or a need saved
meanwhile never changes what one answer sees. A snapshot never changes once handed out: its parts load on first
use (once, under its own lock) and are never replaced; a refresh (new artifacts on disk, new needs) is a new
snapshot, built and swapped in by the owner (`served.Served`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from matcher.errors import ArtifactError
from matcher.index.loaded import Indexes
from matcher.index.needs import NeedIndexes
from matcher.levels import Level
from matcher.ranking.calibration import Calibration
from matcher.ranking.model import Ranker
from matcher.text.tokenize import Tokenizer

M = TypeVar("M")
T = TypeVar("T")


class Loaded(Generic[M]):
    """A loaded model with its params.json."""

    __slots__ = ("fallback", "model", "params")

    def __init__(self, model: M, params: dict[str, Any], fallback: str | None = None) -> None:
        self.model, self.params = model, params
        self.fallback = fallback  # why the last good model is served instead of the one configured

    @property
    def name(self) -> str:
        return str(self.params.get("name", "model"))


ModelLoad = Callable[[], tuple["Loaded[Any] | None", "str | None"]]  # (the model, or why there is none)


class Snapshot:
    """Read-only: `indexes`, `tokenizer`, `ranker`, `expert_ranker`, `calibration`, `institution_sizes`."""

    def __init__(
        self,
        version: tuple[Any, ...],
        *,
        load_indexes: Callable[[], Indexes],
        models: Mapping[str, ModelLoad],
        count_sizes: Callable[[], dict[int, int]],
        parts: Mapping[str, Any] | None = None,
    ) -> None:
        self.version = version
        self._load_indexes, self._models, self._count_sizes = load_indexes, dict(models), count_sizes
        self._parts: dict[str, Any] = dict(parts or {})
        self._lock = threading.RLock()

    def _part(self, name: str, make: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._parts:
                try:
                    self._parts[name] = make()
                except ArtifactError as exc:  # remembered: the same snapshot answers the same way every time
                    self._parts[name] = exc
            found = self._parts[name]
        if isinstance(found, ArtifactError):
            raise found
        return found

    def loaded(self, part: str) -> bool:
        """Whether `part` (indexes, model:outcome, model:expert, model:calibration, …) was loaded (or failed to)."""
        with self._lock:
            return part in self._parts

    @property
    def indexes(self) -> Indexes:
        """The loaded indexes (IndexMissingError when none was built, IndexMismatchError when unusable)."""
        return self._part("indexes", self._load_indexes)

    @property
    def has_indexes(self) -> bool:
        try:
            _ = self.indexes
        except ArtifactError:
            return False
        return True

    @property
    def tokenizer(self) -> Tokenizer:
        """The one tokenizer: the built index's (its dictionary and IDF), a fresh one before any index exists."""
        return self.indexes.tokenizer if self.has_indexes else self._part("tokenizer", Tokenizer)

    def model(self, slot: str) -> tuple[Loaded[Any] | None, str | None]:
        """The model of `slot` (outcome, expert, calibration) and why there is none (its notice)."""
        return self._part(f"model:{slot}", self._models[slot])

    @property
    def ranker(self) -> Loaded[Ranker] | None:
        return self.model("outcome")[0]

    @property
    def expert_ranker(self) -> Loaded[Ranker] | None:
        return self.model("expert")[0]

    def ranker_for(self, level: Level) -> Loaded[Ranker] | None:
        """The ranker that orders `level`'s hits (None: the level has none, or none is served)."""
        return self.model(level.ranker)[0] if level.ranker else None

    @property
    def calibration(self) -> Calibration:
        """The 匹配度 maps served (none fitted: an empty set)."""
        loaded = self.model("calibration")[0]
        return loaded.model if loaded else Calibration()

    def notices(self, level: Level) -> list[str]:
        """Why a ranker that could order `level`'s hits (the outcome ranker, the level's own) is not used."""
        slots = dict.fromkeys(["outcome", *([level.ranker] if level.ranker else [])])
        return [n for slot in slots if (n := self.model(slot)[1])]

    @property
    def institution_sizes(self) -> Mapping[int, int]:
        """Outcomes per institution (an expert-ranker feature), counted once per snapshot."""
        return self._part("sizes", lambda: MappingProxyType(self._count_sizes()))

    def with_needs(self, needs: NeedIndexes) -> Snapshot:
        """This snapshot with another need index (the stored needs changed); every other part shared."""
        indexes = replace(self.indexes, needs=needs)
        with self._lock:
            parts = {k: v for k, v in self._parts.items() if k != "indexes"}
        return Snapshot(
            self.version,
            load_indexes=lambda: indexes,
            models=self._models,
            count_sizes=self._count_sizes,
            parts={**parts, "indexes": indexes},
        )
