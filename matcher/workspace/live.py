"""Live indexes: a server keeps its own indexes in step with the change feed, so a record stored by an import, the
API or the page — on this server or on another host on the same database — is searchable seconds later, without
`matcher index build`. A background thread looks at the feed every `MATCHER_LIVE_INDEX` seconds; when the feed is
past what the served index holds it runs the incremental build (embeds only new or changed outcomes, through the
shared vectors when another host embedded them already), and the next question takes the new snapshot. A replica
whose workspace holds no index, or an older one than the published snapshot, first takes that snapshot
(`publish.pull`). A full rebuild happens only when the embedder or the index type changes (the build decides).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from matcher.artifacts.folder import read_params
from matcher.errors import ArtifactMissingError, MatcherError
from matcher.store import feed
from matcher.workspace import data, publish
from matcher.workspace.context import Context

log = logging.getLogger(__name__)


@dataclass
class LiveStatus:
    feed: int = 0  # the newest change in the database
    indexed: int = -1  # the change the served index includes (-1: no index yet)
    snapshot: str | None = None  # the published snapshot this workspace started from
    builds: int = 0
    last_build_s: float | None = None
    error: str | None = None

    @property
    def pending(self) -> int:
        return max(0, self.feed - max(self.indexed, 0))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pending": self.pending}


def indexed_position(ctx: Context) -> int:
    """The feed position the workspace's index includes (-1: no index; 0: built before the feed existed)."""
    try:
        return int(read_params(ctx.workspace.index_dir).get("feed", 0))
    except ArtifactMissingError:
        return -1


def catch_up(ctx: Context, status: LiveStatus) -> bool:
    """One look at the feed (and the published snapshot): bring the index up to it. True when it built."""
    with ctx.sessions() as session:
        status.feed = feed.position(session)
    status.snapshot = publish.pull(ctx) or status.snapshot
    status.indexed = indexed_position(ctx)
    if status.indexed >= status.feed or status.feed == 0:  # up to date, or nothing was ever stored
        return False
    started = time.monotonic()
    report = data.build_index(ctx, wait=False)
    if report is None:  # another process of this workspace is building: it applies the feed
        return False
    status.builds, status.last_build_s = status.builds + 1, round(time.monotonic() - started, 3)
    status.indexed, status.error = indexed_position(ctx), None
    log.info("live index: %d changes applied (%d embedded) in %.2f s", report.added + report.updated + report.removed,
             report.embedded, status.last_build_s)  # fmt: skip
    return True


def searchable_words(interval: float) -> str:
    """When records just stored become searchable on this server, in the staff's words."""
    if interval <= 0:
        return "新记录已保存；检索索引由管理员重建后即可检索到它们"
    return "新记录已保存，正在加入检索索引（通常几秒内完成）"


def live_status(ctx: Context, status: LiveStatus) -> dict[str, Any]:
    """The feed and index positions as they are now (the thread's figures beside them): what /version reports."""
    with ctx.sessions() as session:
        status.feed = feed.position(session)
    status.indexed = indexed_position(ctx)
    return status.to_dict()


class LiveIndexer:
    """The background thread of one server (start / stop); `status` for /version and the 导入 card."""

    def __init__(self, ctx: Context, *, interval: float) -> None:
        self.ctx, self.interval = ctx, interval
        self.status = LiveStatus()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live-index", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                catch_up(self.ctx, self.status)
            except (MatcherError, SQLAlchemyError, OSError) as exc:  # the next look tries again
                self.status.error = str(exc)[:300]
                log.warning("live index: %s", exc)
            self._stop.wait(self.interval)
