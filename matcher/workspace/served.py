"""The owner of the artifacts a workspace serves from — the indexes, the rankers, the 匹配度 maps — handed out as
frozen snapshots (`snapshot.py`); a new snapshot when any of them is replaced on disk (one stamp: the modification
times of their params.json) or when the stored needs change.

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

from sqlalchemy.orm import Session

from matcher.artifacts import history
from matcher.artifacts.folder import PARAMS
from matcher.bundled import default_calibration_dir, default_model_dir, default_reverse_model_dir
from matcher.config import Settings
from matcher.embed import CachedEmbedder, Embedder
from matcher.errors import ArtifactError, ModelMismatchError, ModelMissingError
from matcher.index.loaded import load_indexes
from matcher.index.needs import current_need_indexes
from matcher.ranking.calibration import Calibration
from matcher.ranking.expert.features import institution_sizes
from matcher.ranking.expert.train import EXPERT_RANKER
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.ranking.reverse.train import REVERSE_RANKER
from matcher.workspace.snapshot import Loaded, Snapshot

log = logging.getLogger(__name__)
M = TypeVar("M")
T = TypeVar("T")
DAMAGED = "文件已损坏"  # in the notice of a model that fell back
RESULTS = 20_000  # remembered results (a match of a stored need is a few kB)


@dataclass(frozen=True)
class ModelSlot(Generic[M]):
    """One kind of model: its setting's value, its folder in the workspace, its shipped default, its loader."""

    what: str  # Chinese name shown in notices
    choice: str
    workspace_dir: Path
    default_dir: Path | None
    load: Callable[[Path], tuple[M, dict[str, Any]]]
    part: str | None = None  # its part of a history version (`artifacts/history.py`), if it has one

    def folder(self) -> Path | None:
        if self.choice == "none":
            return None
        if self.choice != "auto":
            return Path(self.choice)
        # the version the pointer names (or the last good one) wins over the loose folders
        version = history.served(self.workspace_dir.parent) if self.part else None
        if version is not None:
            return version.folder / self.part  # type: ignore[operator]
        if (self.workspace_dir / PARAMS).exists() or self.default_dir is None:
            return self.workspace_dir
        return self.default_dir


def load_model(slot: ModelSlot[M], embedder: str) -> tuple[Loaded[M] | None, str | None]:
    """(the model, None), or (None, a notice saying why there is none)."""
    folder = slot.folder()
    if folder is None:
        return None, f"{slot.what}已按设置停用，结果按融合检索排序"
    fallback = None
    try:
        try:
            model, params = slot.load(folder)
        except ModelMismatchError as exc:  # a damaged model falls back to the shipped one, logged
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


def model_slots(settings: Settings) -> dict[str, ModelSlot[Any]]:
    """The model slots by key: `outcome`, `expert` and `need` (the rankers a Level names), `calibration`."""
    models = settings.workspace().models_dir
    reverse = default_reverse_model_dir()
    return {
        "outcome": ModelSlot(
            "排序模型", settings.model, models / "active", default_model_dir(), OUTCOME_RANKER.load, "ranker"
        ),
        "expert": ModelSlot("专家排序模型", settings.expert_model, models / "expert", None, EXPERT_RANKER.load),
        "need": ModelSlot(
            "需求排序模型",
            settings.reverse_model,
            models / "reverse",
            reverse if (reverse / PARAMS).exists() else None,
            REVERSE_RANKER.load,
        ),
        "calibration": ModelSlot(
            "匹配度校准",
            settings.calibration,
            models / "calibration",
            default_calibration_dir(),
            Calibration.load,
            "calibration",
        ),
    }


class Served:
    """The owner of what a workspace serves: hands out the current `Snapshot`, and swaps in a new one when an
    artifact is replaced on disk (`matcher index build`, `matcher train`, a retrain) or the stored needs change.
    Only this owner writes served state; questions read the snapshot they took."""

    def __init__(
        self, settings: Settings, embedder: Callable[[], Embedder], sessions: Callable[[], Session]
    ) -> None:
        self.index_dir = settings.workspace().index_dir
        self.mmap = settings.index_mmap
        self.slots = model_slots(settings)
        self._embedder, self._sessions = embedder, sessions
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        # one question computes at a time: its numeric kernels (FAISS, BM25, trees) parallelise internally, and
        # concurrent server threads oversubscribed the 2 cores (8 threads: 240 ms per match instead of 14 ms)
        self.turn = threading.Lock()

    def stamp(self) -> tuple[Any, ...]:
        """Every artifact's folder and the modification time of its params.json: a change means one was swapped in
        (a rollback names another folder)."""
        folders = [self.index_dir, *(slot.folder() for slot in self.slots.values())]
        paths = [f / PARAMS for f in folders if f is not None]
        return tuple((str(p), p.stat().st_mtime_ns if p.exists() else 0) for p in paths)

    def _new(self, version: tuple[int, ...]) -> Snapshot:
        return Snapshot(
            version,
            load_indexes=lambda: load_indexes(self.index_dir, self._embedder(), mmap=self.mmap),
            models={key: self._loader(slot) for key, slot in self.slots.items()},
            count_sizes=self._sizes,
        )

    def _loader(self, slot: ModelSlot[Any]) -> Callable[[], tuple[Loaded[Any] | None, str | None]]:
        return lambda: load_model(slot, self._embedder().name)

    def _sizes(self) -> dict[int, int]:
        with self._sessions() as session:
            return institution_sizes(session)

    def current(self) -> Snapshot:
        """The snapshot to answer from: the one held, or a new one when an artifact changed on disk."""
        stamp = self.stamp()
        with self._lock:
            if self._snapshot is None or self._snapshot.version != stamp:
                if self._snapshot is not None:
                    log.info("new index or model on disk: a new snapshot")
                self._snapshot = self._new(stamp)
                self._results.clear()
            return self._snapshot

    def swap(self, base: Snapshot, fresh: Snapshot) -> Snapshot:
        """Serve `fresh` (derived from `base`) unless another swap replaced `base` meanwhile; the one served."""
        with self._lock:
            if self._snapshot is base:
                self._snapshot = fresh
            return self._snapshot if self._snapshot is not None else fresh

    def problems(self) -> list[str]:
        """Why the models served are not all the ones configured, in the staff's words (empty: all well)."""
        found = []
        models = self.slots["outcome"].workspace_dir.parent
        version, named = history.served(models), history.pointed(models)
        if version is not None and version.fell_back_from:
            found.append(f"模型版本 {version.fell_back_from} 已损坏，暂用上一个完好的版本 {version.id}")
        elif version is None and named is not None:
            found.append(f"模型版本 {named} 已损坏，也没有完好的早先版本；请管理员重新训练")
        snap = self.current()
        for key, slot in self.slots.items():
            try:
                loaded, notice = snap.model(key)
            except ArtifactError:
                found.append(f"{slot.what}无法加载")
                continue
            if loaded is not None and loaded.fallback:
                found.append(loaded.fallback)
            elif loaded is None and notice and DAMAGED in notice:
                found.append(notice)
        return found

    def with_stored_needs(self, base: Snapshot, *, embedder: CachedEmbedder, max_chars: int) -> Snapshot:
        """`base` while its need index covers the needs stored now; else a snapshot with the need index rebuilt in
        memory (a need saved a moment ago is found by 成果找企业 at once), swapped in for every later question."""
        held = base.indexes.needs
        if held is None:
            return base
        with self._sessions() as session:
            fresh = current_need_indexes(
                session, held, embedder=embedder, tokenizer=base.tokenizer, max_chars=max_chars
            )
        return base if fresh.checked == held.checked else self.swap(base, base.with_needs(fresh))

    def remembered(self, key: Hashable, make: Callable[[], T]) -> T:
        """`make()` once per `key` while these artifacts are served (forgotten when any of them is swapped); the
        key must name everything else the value depends on."""
        self.current()
        with self._lock:
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
        """Forget the snapshot held: the next question loads the newest artifacts from disk."""
        with self._lock:
            self._results.clear()
            self._snapshot = None
