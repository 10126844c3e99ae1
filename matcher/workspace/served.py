"""The artifacts a workspace serves from — the indexes, the outcome ranker, the expert ranker — loaded lazily and
reloaded together when any of them is replaced on disk (one stamp: the modification times of their params.json).

One rule finds a model folder: the setting `none` disables it, a path names it, `auto` takes the workspace's
folder when a model was trained there, else the shipped default (the outcome ranker has one, the expert ranker
not). A model that is absent or trained with another embedder is skipped with a notice (results are then ranked
without it); a corrupted one, or one trained on another feature list, is a ModelMismatchError.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from matcher.artifacts import history
from matcher.artifacts.folder import PARAMS
from matcher.bundled import default_calibration_dir, default_model_dir
from matcher.config import Settings
from matcher.embed import Embedder
from matcher.errors import ArtifactError, ModelMismatchError, ModelMissingError
from matcher.index.loaded import Indexes, load_indexes
from matcher.ranking.calibration import Calibration
from matcher.ranking.expert.train import EXPERT_RANKER
from matcher.ranking.model import Ranker
from matcher.ranking.outcome.train import OUTCOME_RANKER

log = logging.getLogger(__name__)
M = TypeVar("M")
T = TypeVar("T")
DAMAGED = "文件已损坏"  # issue 42: in the notice of a model that fell back
RESULTS = 20_000  # remembered results (a match of a stored need is a few kB)


@dataclass(frozen=True)
class ModelSlot(Generic[M]):
    """One kind of model: its setting's value, its folder in the workspace, its shipped default, its loader."""

    what: str  # Chinese name shown in notices
    choice: str
    workspace_dir: Path
    default_dir: Path | None
    load: Callable[[Path], tuple[M, dict[str, Any]]]
    part: str | None = None  # issue 42: its part of a history version (`artifacts/history.py`), if it has one

    def folder(self) -> Path | None:
        if self.choice == "none":
            return None
        if self.choice != "auto":
            return Path(self.choice)
        # issue 42 (begin): the version the pointer names (or the last good one) wins over the loose folders
        version = history.served(self.workspace_dir.parent) if self.part else None
        if version is not None:
            return version.folder / self.part  # type: ignore[operator]
        # issue 42 (end)
        if (self.workspace_dir / PARAMS).exists() or self.default_dir is None:
            return self.workspace_dir
        return self.default_dir


@dataclass(frozen=True)
class Loaded(Generic[M]):
    model: M
    params: dict[str, Any]
    fallback: str | None = None  # issue 42: why the last good model is served instead of the one configured

    @property
    def name(self) -> str:
        return str(self.params.get("name", "model"))


def load_model(slot: ModelSlot[M], embedder: str) -> tuple[Loaded[M] | None, str | None]:
    """(the model, None), or (None, a notice saying why there is none)."""
    folder = slot.folder()
    if folder is None:
        return None, f"{slot.what}已按设置停用，结果按融合检索排序"
    fallback = None
    try:
        try:
            model, params = slot.load(folder)
        except ModelMismatchError as exc:  # issue 42: a damaged model falls back to the shipped one, logged
            if slot.choice != "auto" or slot.default_dir is None or folder == slot.default_dir:
                raise
            log.warning("%s at %s is damaged (%s): serving the shipped one", slot.what, folder, exc)
            fallback = f"{slot.what}{DAMAGED}，暂用随系统提供的{slot.what}；请管理员回退或重新训练"
            folder = slot.default_dir
            model, params = slot.load(folder)
    except ModelMissingError:
        if slot.choice == "auto" and slot.default_dir is None:
            return None, None  # an optional model nobody trained yet
        log.warning("%s: no trained model at %s", slot.what, folder)
        return None, f"尚未训练{slot.what}，结果按融合检索排序；请管理员训练模型"
    if params.get("embedder") != embedder:
        if fallback:
            return None, fallback
        log.warning(
            "%s at %s was trained with %s, not %s: not used", slot.what, folder, params.get("embedder"), embedder
        )
        return None, f"{slot.what}与当前的文本向量模型不配套，未启用，结果按融合检索排序；请管理员重新训练"
    return Loaded(model, params, fallback), None


def model_slots(settings: Settings) -> tuple[ModelSlot[Ranker], ModelSlot[Ranker], ModelSlot[Calibration]]:
    models = settings.workspace().models_dir
    return (
        ModelSlot("排序模型", settings.model, models / "active", default_model_dir(), OUTCOME_RANKER.load, "ranker"),
        ModelSlot("专家排序模型", settings.expert_model, models / "expert", None, EXPERT_RANKER.load),
        ModelSlot(
            "匹配度校准",
            settings.calibration,
            models / "calibration",
            default_calibration_dir(),
            Calibration.load,
            "calibration",
        ),
    )


class Served:
    """Thread-safe lazy holder of the loaded indexes and rankers of one workspace."""

    def __init__(self, settings: Settings, embedder: Callable[[], Embedder]) -> None:
        self.index_dir = settings.workspace().index_dir
        self.mmap = settings.index_mmap
        self.slots = model_slots(settings)
        self._embedder = embedder
        self._lock = threading.Lock()
        self._stamp: tuple[int, ...] = ()
        self._indexes: Indexes | None = None
        self._models: dict[str, tuple[Loaded[Any] | None, str | None]] = {}
        self._results: OrderedDict[Hashable, Any] = OrderedDict()

    def stamp(self) -> tuple[int, ...]:
        """Modification times of every artifact's params.json: a change means one was swapped in."""
        folders = [self.index_dir, *(slot.folder() for slot in self.slots)]
        paths = [f / PARAMS for f in folders if f is not None]
        return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)

    def _fresh(self) -> None:
        """Drop what was loaded when something changed on disk (call with the lock held)."""
        stamp = self.stamp()
        if stamp != self._stamp:
            if self._stamp:
                log.info("new index or model on disk: reloading")
            self._indexes, self._models, self._stamp = None, {}, stamp
            self._results.clear()

    @property
    def indexes(self) -> Indexes:
        with self._lock:
            self._fresh()
            if self._indexes is None:
                self._indexes = load_indexes(self.index_dir, self._embedder(), mmap=self.mmap)
            return self._indexes

    def _model(self, slot: ModelSlot[Any]) -> tuple[Loaded[Any] | None, str | None]:
        with self._lock:
            self._fresh()
            if slot.what not in self._models:
                self._models[slot.what] = load_model(slot, self._embedder().name)
            return self._models[slot.what]

    @property
    def ranker(self) -> Loaded[Ranker] | None:
        return self._model(self.slots[0])[0]

    @property
    def expert_ranker(self) -> Loaded[Ranker] | None:
        return self._model(self.slots[1])[0]

    @property
    def calibration(self) -> Calibration:
        """The 匹配度 maps served (none: each score's own fallback)."""
        loaded = self._model(self.slots[2])[0]
        return loaded.model if loaded else Calibration()

    def notices(self, *, experts: bool) -> list[str]:
        """Why a ranker is not used (the expert ranker's only when `experts`)."""
        slots = self.slots[:2] if experts else self.slots[:1]
        return [n for slot in slots if (n := self._model(slot)[1])]

    # issue 42 (begin)
    def problems(self) -> list[str]:
        """Why the models served are not all the ones configured, in the staff's words (empty: all well)."""
        found = []
        models = self.slots[0].workspace_dir.parent
        version, named = history.served(models), history.pointed(models)
        if version is not None and version.fell_back_from:
            found.append(f"模型版本 {version.fell_back_from} 已损坏，暂用上一个完好的版本 {version.id}")
        elif version is None and named is not None:
            found.append(f"模型版本 {named} 已损坏，也没有完好的早先版本；请管理员重新训练")
        for slot in self.slots:
            try:
                loaded, notice = self._model(slot)
            except ArtifactError:
                found.append(f"{slot.what}无法加载")
                continue
            if loaded is not None and loaded.fallback:
                found.append(loaded.fallback)
            elif loaded is None and notice and DAMAGED in notice:
                found.append(notice)
        return found

    # issue 42 (end)
    def remembered(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()` once per `key` while these artifacts are served (forgotten when any of them is swapped); the
        key must name everything else the value depends on."""
        with self._lock:
            self._fresh()
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        value = make()
        with self._lock:
            self._results[key] = value
            while len(self._results) > RESULTS:
                self._results.popitem(last=False)
        return value

    def reload(self) -> None:
        with self._lock:
            self._results.clear()
            self._indexes, self._models, self._stamp = None, {}, ()
