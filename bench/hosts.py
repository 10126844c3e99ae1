"""Live indexes and several hosts, measured: two `matcher serve` replicas with their own workspaces on one PostgreSQL
database and one snapshot store. Replica A holds the demo corpus and publishes a snapshot; replica B starts with
an empty workspace (its start-to-ready time is the cold replica's). Then outcomes are posted to A one after another
while a client matches on B: for each, the time until A's own index holds it (time-to-searchable on the server that
stored it) and until B's does (write-to-visible on a second replica), read from each replica's /version (the
change-feed position its served index includes), with the match latency on B meanwhile. Posts come at a steady
rate (`--rate`, default 2/s: a busy import through the page) without waiting for each other.

python -m bench.hosts --outcomes 1000 [--embedder e5] → docs/bench/hosts-<embedder>.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.data import ROOT, datasets_dir
from bench.load import _port
from bench.mixed import demo_on_postgres
from bench.stats import save_result
from matcher.config import Settings
from matcher.services.users import create_key
from matcher.workspace import publish
from matcher.workspace.context import open_context

OUT = ROOT / "bench" / "out" / "hosts"


def _texts(n: int) -> list[dict[str, Any]]:
    """`n` ChinaXiv paragraphs as outcomes the demo corpus does not hold."""
    rows = []
    with gzip.open(datasets_dir() / "chinaxiv_paragraphs" / "outcomes.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            rows.append({"id": f"HOST-{len(rows)}", "kind": "paper", "title": r["title"], "abstract": r["abstract"],
                         "institution": "基准测试研究院"})  # fmt: skip
            if len(rows) == n:
                return rows
    return rows


def _serve(home: Path, port: int, env: dict[str, str]) -> Any:
    import subprocess
    import sys

    environ = {**os.environ, **env, "MATCHER_HOME": str(home)}
    log = (home.parent / f"{home.name}.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "matcher.cli.app", "serve", "--port", str(port)], env=environ,
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


def _ready(url: str, started: float, seconds: float = 1800) -> float:
    """Seconds from `started` (the process's start) until `url` is ready."""
    while time.monotonic() - started < seconds:
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready")


def _indexed(url: str) -> tuple[int, int]:
    index = httpx.get(f"{url}/version", timeout=10).json()["index"]
    return int(index["feed"]), int(index["indexed"])


def _ms(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values) * 1e3
    return {"p50_ms": round(float(np.percentile(arr, 50)), 1), "p95_ms": round(float(np.percentile(arr, 95)), 1),
            "max_ms": round(float(arr.max()), 1), "n": len(values)}  # fmt: skip


def measure(
    url_db: str, home_a: Path, home_b: Path, embedder: str, n: int, interval: float, rate: float
) -> dict[str, Any]:
    store = OUT / "store"
    env = {"MATCHER_DATABASE_URL": url_db, "MATCHER_SNAPSHOT_STORE": str(store), "MATCHER_EMBEDDER": embedder,
           "MATCHER_LIVE_INDEX": str(interval)}  # fmt: skip
    settings = Settings(home=home_a, database_url=url_db, snapshot_store=str(store), embedder=embedder,
                        _env_file=None)  # type: ignore[call-arg]  # fmt: skip
    ctx = open_context(settings)
    manifest = publish.publish(ctx)
    with ctx.session(write=True) as session:
        staff = create_key(session, name=f"hosts-staff-{time.time_ns()}", role="staff")[1]
    ctx.close()
    port_a, port_b = _port(), _port()
    a, b, started = _serve(home_a, port_a, env), _serve(home_b, port_b, env), time.monotonic()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    try:
        _ready(url_a, started)
        cold = _ready(url_b, started)  # from B's start: process, imports, the snapshot taken, the index loaded
        stop, latencies = threading.Event(), []

        def client() -> None:  # a staff member matching on B all along
            while not stop.is_set():
                t = time.perf_counter()
                httpx.post(f"{url_b}/match", json={"text": "铸件表面涂料", "level": "expert", "top": 10},
                           headers={"X-API-Key": staff}, timeout=60)  # fmt: skip
                latencies.append(time.perf_counter() - t)

        thread = threading.Thread(target=client, daemon=True)
        thread.start()
        posts: list[tuple[int, float]] = []  # (feed position after the post, when it was posted)
        seen: dict[str, dict[int, float]] = {"a": {}, "b": {}}

        def watch() -> None:  # when each replica's served index passes each post's feed position
            while not stop.is_set() or any(len(seen[k]) < len(posts) for k in seen):
                for name, url in (("a", url_a), ("b", url_b)):
                    indexed = _indexed(url)[1]
                    now = time.monotonic()
                    for i, (seq, _) in enumerate(list(posts)):
                        if i not in seen[name] and indexed >= seq:
                            seen[name][i] = now
                time.sleep(0.1)
                if stop.is_set() and time.monotonic() - posts[-1][1] > 600:
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        for row in _texts(n):
            answer = httpx.post(f"{url_a}/outcomes", json=row, headers={"X-API-Key": staff}, timeout=60)
            answer.raise_for_status()
            posts.append((_indexed(url_a)[0], time.monotonic()))
            if not watcher.is_alive():
                watcher.start()
            time.sleep(1 / rate)
        stop.set()
        watcher.join(timeout=900)
        thread.join(timeout=60)
        on_a = [seen["a"].get(i, float("nan")) - t for i, (_, t) in enumerate(posts)]
        on_b = [seen["b"].get(i, float("nan")) - t for i, (_, t) in enumerate(posts)]
        version_b = httpx.get(f"{url_b}/version", timeout=10).json()
    finally:
        for proc in (a, b):
            proc.terminate()
            proc.wait(timeout=60)
    return {
        "scenario": f"hosts-{embedder}",
        "embedder": embedder,
        "live_interval_s": interval,
        "outcomes_posted": n,
        "posts_per_s": rate,
        "snapshot": {"files": len(manifest["files"]), "count": manifest["count"],
                     "bytes": sum(p.stat().st_size for p in (store / manifest["id"]).rglob("*") if p.is_file())},
        "cold_replica_start_to_ready_s": round(cold, 2),
        "time_to_searchable_same_server": _ms(on_a),
        "write_to_visible_second_replica": _ms(on_b),
        "match_latency_on_b_meanwhile": _ms(latencies),
        "b_builds": version_b["index"]["builds"],
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outcomes", type=int, default=1000)
    parser.add_argument("--embedder", default="e5")
    parser.add_argument("--interval", type=float, default=2.0, help="MATCHER_LIVE_INDEX of both replicas")
    parser.add_argument("--rate", type=float, default=2.0, help="outcomes posted per second (one staff client)")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    home_a, home_b = OUT / "a", OUT / "b"
    os.environ["MATCHER_EMBEDDER"] = args.embedder
    with demo_on_postgres(home_a) as url:
        save_result(measure(url, home_a, home_b, args.embedder, args.outcomes, args.interval, args.rate))


if __name__ == "__main__":
    main()
