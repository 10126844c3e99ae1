"""`matcher snapshot publish|status` (several hosts share one snapshot store) and the index catch-up an import ends
with, so what staff imported is searchable when the command returns."""

from __future__ import annotations

import json

import typer

from matcher.cli.state import console, open_workspace
from matcher.progress import progress_bar
from matcher.workspace import data, publish
from matcher.workspace.live import LiveStatus, live_status

snapshot_app = typer.Typer(help="Published snapshots of the served artifacts (several hosts).", no_args_is_help=True)


def make_searchable() -> None:
    """Bring the index up to the records just stored (waits while a server of this workspace builds)."""
    ctx = open_workspace()
    with progress_bar("index new records") as (advance, set_total):
        report = data.build_index(ctx, progress=advance, on_total=set_total)
    changed = report.added + report.updated + report.removed
    console.print(f"检索索引已更新（{changed} 项成果变动，用时 {report.seconds:.1f} 秒）：新记录现已可检索")


@snapshot_app.command("publish")
def publish_command() -> None:
    """Copy the served index and models to MATCHER_SNAPSHOT_STORE as a new snapshot other hosts take."""
    manifest = publish.publish(open_workspace())
    console.print(f"已发布快照 {manifest['id']}：{manifest['count']} 项成果，{len(manifest['files'])} 个文件")


@snapshot_app.command("status")
def status_command(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """This workspace's snapshot, the current published one, and how far the index is behind the change feed."""
    ctx = open_workspace()
    newest = publish.current(ctx) if ctx.settings.snapshot_store else None
    found = {"snapshot": publish.local_id(ctx), "published": newest.id if newest else None,
             **live_status(ctx, LiveStatus())}  # fmt: skip
    if as_json:
        console.print_json(json.dumps(found))
        return
    console.print(f"本机快照：{found['snapshot'] or '无'}；最新发布：{found['published'] or '无'}")
    console.print(f"变更序号：{found['feed']}，索引已含：{max(found['indexed'], 0)}，待处理：{found['pending']}")
