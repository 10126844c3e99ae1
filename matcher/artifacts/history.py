"""The workspace's model history: every accepted model is a version — its outcome ranker and its 匹配度 maps side
by side, the judgements it was accepted on (the guard set), and what it was accepted with — and one small pointer
file names the version served.

    models/history/<id>/{ranker/, calibration/, guard.qrels, version.json}
    models/history/attempts.jsonl   every retrain or rollback attempt, kept or not, why, the figures
    models/current                  {"id": ...}: the served version (written whole with os.replace)
    models/retrain.lock             held (flock) by the one model change running

A version is built in a staging folder, checked, renamed into place whole, and only then named by the pointer, so
a process killed at any instant leaves the old pointer on a complete version or the new one on a complete version.
A served version whose files no longer match their checksums (a torn write) is passed over for the newest earlier
one that does, with a logged warning.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from matcher.artifacts.folder import MODEL, read_params, verify_files
from matcher.errors import ArtifactError, ConflictError, NotFoundError

log = logging.getLogger(__name__)
HISTORY = "history"
POINTER = "current"
LOCK = "retrain.lock"
ATTEMPTS = "attempts.jsonl"
VERSION = "version.json"
GUARD = "guard.qrels"
PARTS = ("ranker", "calibration")
STAGING = ".staging-"
BUSY = "已有一次模型更新（重新训练或回退）正在进行，请等它完成后再试"


def history_dir(models: Path) -> Path:
    return models / HISTORY


def new_id(now: datetime | None = None) -> str:
    """Sortable by time, within a second too: 20261206T142233-1a2b, the four hex digits the fraction of the second
    (two versions made in one second once listed in a random order)."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"-{now.microsecond * 65536 // 1_000_000:04x}"


def staging_dir(models: Path, version: str) -> Path:
    folder = history_dir(models) / (STAGING + version)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _write_atomic(path: Path, text: str) -> None:
    """`path` holds the old text or the new, never part of one (written beside, synced, renamed over)."""
    tmp = path.with_name(f".{path.name}.{uuid4().hex[:6]}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # the rename itself made durable where the platform allows
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def pointed(models: Path) -> str | None:
    """The version id the pointer names (None: no pointer, or unreadable)."""
    try:
        found = json.loads((models / POINTER).read_text(encoding="utf-8")).get("id")
    except (OSError, ValueError, AttributeError):
        return None
    return str(found) if found else None


def verify(folder: Path) -> None:
    """Both parts present and matching their checksums (ArtifactError otherwise)."""
    for part in PARTS:
        verify_files(folder / part, read_params(folder / part, MODEL), MODEL)


def versions(models: Path) -> list[dict[str, Any]]:
    """Every complete version, newest first (its version.json)."""
    found = []
    root = history_dir(models)
    for folder in sorted(root.iterdir(), reverse=True) if root.exists() else []:
        if folder.name.startswith(".") or not (folder / VERSION).exists():
            continue
        with contextlib.suppress(OSError, ValueError):
            found.append(json.loads((folder / VERSION).read_text(encoding="utf-8")))
    return found


@dataclass(frozen=True)
class ServedVersion:
    """The version the workspace serves, and, when the pointer's own version is unusable, which it fell back from."""

    id: str
    folder: Path
    fell_back_from: str | None = None

    def info(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads((self.folder / VERSION).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {"id": self.id}
        return {**data, "fell_back_from": self.fell_back_from}


_cache: dict[Path, tuple[tuple[Any, ...], ServedVersion | None]] = {}
_cache_lock = threading.Lock()


def _stat_key(models: Path, version: str | None) -> tuple[Any, ...]:
    """What changes when the pointer moves or a served file is rewritten (mtimes and sizes)."""
    paths = [models / POINTER]
    if version:
        folder = history_dir(models) / version
        paths += [p for part in PARTS for p in sorted((folder / part).glob("*"))]
    key = []
    for p in paths:
        try:
            st = p.stat()
            key.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            key.append((str(p), 0, -1))
    return tuple(key)


def served(models: Path) -> ServedVersion | None:
    """The served version: the pointer's when its files verify, else the newest earlier one that does (logged);
    None when the workspace has no history. Remembered until the pointer or a served file changes."""
    version = pointed(models)
    if version is None:
        return None
    key = _stat_key(models, version)
    with _cache_lock:
        hit = _cache.get(models)
        if hit and hit[0] == key:
            return hit[1]
    found = _resolve(models, version)
    with _cache_lock:
        _cache[models] = (key, found)
    return found


def _resolve(models: Path, version: str) -> ServedVersion | None:
    candidates = [version] + [v["id"] for v in versions(models) if v.get("id", "") < version]
    for candidate in candidates:
        folder = history_dir(models) / candidate
        try:
            verify(folder)
        except ArtifactError as exc:
            log.warning("model version %s is unusable (%s): trying the one before", candidate, exc)
            continue
        if candidate != version:
            log.warning("serving model version %s instead of %s, which is damaged", candidate, version)
        return ServedVersion(candidate, folder, None if candidate == version else version)
    log.error("no usable model version in %s", history_dir(models))
    return None


def commit(models: Path, staging: Path, info: dict[str, Any]) -> str:
    """Make the staged version (both parts written and checked) the served one in one step: the folder renamed
    into the history whole, then the pointer replaced. Returns its id."""
    version = info["id"]
    verify(staging)
    made = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), **info, "parent": pointed(models)}
    _write_atomic(staging / VERSION, json.dumps(made, ensure_ascii=False, indent=1))
    final = history_dir(models) / version
    os.replace(staging, final)
    point(models, version)
    return str(version)


def adopt(models: Path, replaced: dict[str, Path], info: dict[str, Any]) -> str | None:
    """Once a workspace has a history, a model written outside it (`matcher train`, `matcher calibrate` into the
    loose folders) becomes a new version: the `replaced` parts copied, the others carried over from the version
    served. None (nothing done) while the workspace has no history."""
    current = served(models)
    if current is None:
        return None
    with change_lock(models):
        version = new_id()
        staging = staging_dir(models, version)
        try:
            for part in PARTS:
                shutil.copytree(replaced.get(part, current.folder / part), staging / part)
            return commit(models, staging, {"id": version, **info})
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def point(models: Path, version: str) -> None:
    _write_atomic(models / POINTER, json.dumps({"id": version}))


def rollback(models: Path, version: str | None = None, *, actor: str = "") -> str:
    """Serve `version` again (default: the one the served version replaced), as one model change (the lock held,
    the attempt recorded). Returns the id now served."""
    with change_lock(models):
        current = served(models)
        try:
            version = _rollback_target(models, current, version)
        except (NotFoundError, ConflictError) as exc:
            record_attempt(models, {"action": "rollback", "actor": actor, "kept": False, "status": "failed",
                                    "reason": str(exc), "version": version})  # fmt: skip
            raise
        point(models, version)
        record_attempt(models, {"action": "rollback", "actor": actor, "kept": True, "status": "rolled-back",
                                "reason": f"回退到模型版本 {version}", "version": version,
                                "from": current.id if current else None})  # fmt: skip
    return version


def _rollback_target(models: Path, current: ServedVersion | None, version: str | None) -> str:
    if version is None:
        parent = current.info().get("parent") if current else None
        if not parent:
            raise NotFoundError("没有可以回退到的上一个模型版本")
        version = str(parent)
    folder = history_dir(models) / version
    if version.startswith(".") or "/" in version or not (folder / VERSION).exists():
        raise NotFoundError(f"找不到模型版本 {version}")
    try:
        verify(folder)
    except ArtifactError as exc:
        raise ConflictError(f"模型版本 {version} 的文件已损坏，不能回退到它") from exc
    return version


def record_attempt(models: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append one attempt (a retrain or a rollback) to the history's log; returns it with its time."""
    row = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
    history_dir(models).mkdir(parents=True, exist_ok=True)
    with (history_dir(models) / ATTEMPTS).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return row


def attempts(models: Path) -> list[dict[str, Any]]:
    """Every attempt recorded, oldest first (a line cut short by a crash is skipped)."""
    path = history_dir(models) / ATTEMPTS
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        with contextlib.suppress(ValueError):
            rows.append(json.loads(line))
    return rows


def clean_staging(models: Path) -> None:
    """Remove staging folders a killed model change left behind (call with the lock held)."""
    root = history_dir(models)
    for folder in root.glob(STAGING + "*") if root.exists() else []:
        shutil.rmtree(folder, ignore_errors=True)
    for tmp in models.glob(f".{POINTER}.*.tmp"):  # a pointer write cut short (the pointer itself is whole)
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def change_lock(models: Path) -> Iterator[None]:
    """Held by the one model change running, across threads and processes (an flock, released if it dies);
    a second gets a ConflictError at once."""
    import fcntl

    models.mkdir(parents=True, exist_ok=True)
    with (models / LOCK).open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConflictError(BUSY) from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
