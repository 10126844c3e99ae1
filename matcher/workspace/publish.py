"""Published snapshots: the served artifacts (the index folder with its dense, BM25, need and expert-profile parts,
the rankers and the 匹配度 maps) copied to the snapshot store named by `MATCHER_SNAPSHOT_STORE` (a folder, or any
fsspec URL), checksummed, and recorded in the database; the newest is current. A replica whose workspace lacks
them (or holds older ones) takes the current snapshot instead of embedding anything (`pull`), then applies the
change feed from the snapshot's position (`live.py`). A published snapshot never changes: a new one is a new folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fsspec
from sqlalchemy import select, text

from matcher.artifacts.folder import read_params, sha256, swap_in, versions
from matcher.errors import ArtifactError, ArtifactMismatchError, ConfigError, ConflictError
from matcher.store.tables import PublishedSnapshot
from matcher.workspace.context import Context

log = logging.getLogger(__name__)
MANIFEST, MARKER = "manifest.json", "snapshot.json"
PUBLISH_LOCK = 0x6D617463  # advisory lock: one publisher at a time on PostgreSQL


def _parts(ctx: Context) -> dict[str, Path]:
    """Snapshot part → the folder serving it in this workspace: the index, and each model the workspace itself
    serves (its loose folder or its current history version; a shipped default is in every install already)."""
    found = {"index": ctx.workspace.index_dir}
    for slot in ctx.served.slots.values():
        folder = slot.folder()
        if folder is not None and folder.is_relative_to(ctx.workspace.root):
            found[f"models/{slot.workspace_dir.name}"] = folder
    return {name: folder for name, folder in found.items() if (folder / "params.json").exists()}


def _store(ctx: Context) -> tuple[fsspec.AbstractFileSystem, str]:
    url = ctx.settings.snapshot_store
    if not url:
        raise ConfigError("未设置快照存储位置（MATCHER_SNAPSHOT_STORE）")
    fs, root = fsspec.core.url_to_fs(url)
    return fs, root.rstrip("/")


def publish(ctx: Context) -> dict[str, Any]:
    """Copy the served artifacts to the store as a new snapshot and make it current; its manifest."""
    fs, root = _store(ctx)
    parts = _parts(ctx)
    if "index" not in parts:
        raise ConflictError("尚未建立检索索引，无法发布快照")
    index = read_params(parts["index"])
    snapshot_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    files: dict[str, str] = {}
    with _one_publisher(ctx):
        for name, folder in parts.items():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                rel = f"{name}/{path.relative_to(folder).as_posix()}"
                fs.makedirs(f"{root}/{snapshot_id}/{Path(rel).parent.as_posix()}", exist_ok=True)
                fs.put_file(str(path), f"{root}/{snapshot_id}/{rel}")
                files[rel] = sha256(path)
        manifest = {"id": snapshot_id, "embedder": index["embedder"], "dim": index["dim"], "count": index["count"],
                    "feed": int(index.get("feed", 0)), "parts": sorted(parts), "files": files, "versions": versions(),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        with fs.open(f"{root}/{snapshot_id}/{MANIFEST}", "w") as handle:  # written last: a snapshot is complete
            handle.write(json.dumps(manifest, ensure_ascii=False, indent=2))
        with ctx.session(write=True) as session:
            session.add(PublishedSnapshot(id=snapshot_id, location=f"{root}/{snapshot_id}", feed=manifest["feed"],
                                          embedder=manifest["embedder"], manifest=_summary(manifest)))  # fmt: skip
    _mark(ctx, snapshot_id)
    log.info("published snapshot %s (%d files, feed %d)", snapshot_id, len(files), manifest["feed"])
    return manifest


@contextmanager
def _one_publisher(ctx: Context) -> Iterator[None]:
    """One publisher at a time on PostgreSQL (a session advisory lock held on its own connection); SQLite has one
    server."""
    if ctx.engine.dialect.name != "postgresql":
        yield
        return
    with ctx.engine.connect() as conn:
        if not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": PUBLISH_LOCK}):
            raise ConflictError("另一台服务器正在发布快照，请稍后再试")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PUBLISH_LOCK})
            conn.commit()


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps(manifest["files"], sort_keys=True).encode()).hexdigest()
    return {k: manifest[k] for k in ("embedder", "dim", "count", "parts", "created_at")} | {"files_sha256": digest}


def current(ctx: Context) -> PublishedSnapshot | None:
    with ctx.session() as session:
        return session.scalars(select(PublishedSnapshot).order_by(PublishedSnapshot.pk.desc()).limit(1)).first()


def local_id(ctx: Context) -> str | None:
    """The published snapshot this workspace holds (None: none)."""
    path = ctx.workspace.root / MARKER
    return str(json.loads(path.read_text(encoding="utf-8"))["id"]) if path.exists() else None


def _mark(ctx: Context, snapshot_id: str) -> None:
    path = ctx.workspace.root / MARKER
    path.write_text(json.dumps({"id": snapshot_id}), encoding="utf-8")


def _older_index(ctx: Context, snap: PublishedSnapshot) -> bool:
    """Whether the workspace's index is absent, built with another embedder, or behind the snapshot's feed."""
    try:
        params = read_params(ctx.workspace.index_dir)
    except ArtifactError:  # absent or unreadable: the published one replaces it
        return True
    return params.get("embedder") != snap.embedder or int(params.get("feed", 0)) < snap.feed


def _part_of(rel: str) -> str:
    """The part a file of the snapshot belongs to: `index`, or `models/NAME`."""
    head, *rest = rel.split("/")
    return f"{head}/{rest[0]}" if head == "models" and rest else head


def pull(ctx: Context) -> str | None:
    """Take the current published snapshot when this workspace does not hold it yet: its models always, its index
    when the workspace's is absent or older. The snapshot's id when one was taken, else None."""
    if not ctx.settings.snapshot_store:
        return None
    snap = current(ctx)
    if snap is None or snap.id == local_id(ctx):
        return None
    fs, _ = _store(ctx)
    manifest = json.loads(fs.cat_file(f"{snap.location}/{MANIFEST}"))
    staging = ctx.workspace.root / f".pull-{snap.id}"
    if staging.exists():
        shutil.rmtree(staging)
    wanted = [p for p in manifest["parts"] if p != "index" or _older_index(ctx, snap)]
    for rel, digest in manifest["files"].items():
        if _part_of(rel) not in wanted:
            continue
        local = staging / rel
        local.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(f"{snap.location}/{rel}", str(local))
        if sha256(local) != digest:
            shutil.rmtree(staging)
            raise ArtifactMismatchError(f"快照 {snap.id} 的文件 {rel} 校验不符，未采用")
    targets = {"index": ctx.workspace.index_dir} | {p: ctx.workspace.models_dir / p.split("/", 1)[1]
                                                    for p in wanted if p.startswith("models/")}  # fmt: skip
    for part in wanted:
        targets[part].parent.mkdir(parents=True, exist_ok=True)
        swap_in(staging / part, targets[part])
    shutil.rmtree(staging, ignore_errors=True)
    _mark(ctx, snap.id)
    ctx.served.reload()
    log.info("took published snapshot %s (%s)", snap.id, ", ".join(wanted))
    return snap.id
