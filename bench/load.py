"""Load benchmark of `POST /match`: a real server on loopback, concurrent clients, bounded in count and time.

python -m bench.load --home .matcher --name demo [--embedder e5] [--requests 300] [--concurrency 8]
                     [--workers 2] [--no-mmap]

After the load, the memory of the server's processes: RSS summed, and PSS (pages shared between worker
processes, such as memory-mapped indexes, counted once in all).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench.stats import percentiles, save_result
from matcher.config import Settings
from matcher.services.users import create_key
from matcher.store.tables import Need
from matcher.text.normalize import compose
from matcher.workspace.context import open_context

TIME_LIMIT_S = 120


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key_and_texts(home: Path, embedder: str) -> tuple[str, list[str]]:
    """A viewer key, and the texts of the needs stored in this workspace (their embeddings are cached)."""
    matcher = open_context(Settings(home=home, embedder=embedder, _env_file=None))  # type: ignore[call-arg]
    with matcher.session(write=True) as session:
        key = create_key(session, name=f"load-{time.time_ns()}", role="viewer")[1]
        texts = [
            compose(t, d, matcher.settings.embed_max_chars)
            for t, d in session.execute(select(Need.title, Need.description))
        ]
    matcher.close()
    return key, texts


def _start(
    home: Path, embedder: str, port: int, *, database_url: str | None = None, workers: int = 1, mmap: bool = True
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MATCHER_HOME": str(home), "MATCHER_EMBEDDER": embedder, "MATCHER_INDEX_MMAP": str(mmap)}
    if database_url:
        env["MATCHER_DATABASE_URL"] = database_url
    log = (home / "server.log").open("ab")  # the server's own log, for any error the clients saw
    proc = subprocess.Popen(
        [sys.executable, "-m", "matcher.cli.app", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json().get("status") == "ok":
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become healthy")


def _phase(url: str, key: str, texts: list[str], concurrency: int) -> dict[str, Any]:
    deadline = time.time() + TIME_LIMIT_S
    latencies: list[float] = []
    errors = 0

    def one(text: str) -> None:
        nonlocal errors
        if time.time() > deadline:
            return
        start = time.perf_counter()
        try:
            r = client.post(
                f"{url}/match", json={"text": text[:2000], "level": "expert", "top": 10}, headers={"X-API-Key": key}
            )
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        latencies.append((time.perf_counter() - start) * 1e3)
        errors += 0 if ok else 1

    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, texts))
        elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "concurrency": concurrency,
        "throughput_rps": round(len(latencies) / elapsed, 1),
        **percentiles(latencies),
    }


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's worker processes)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS of the process tree, from /proc/<pid>/smaps_rollup (Linux)."""
    totals = {"Rss": 0, "Pss": 0}
    tree = _tree(pid)
    for p in tree:
        try:
            lines = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(":")
            if key in totals:
                totals[key] += int(value.split()[0])
    return {
        "processes": len(tree),
        "rss_mb": round(totals["Rss"] / 1024, 1),
        "pss_mb": round(totals["Pss"] / 1024, 1),
    }


def run(
    home: Path, name: str, embedder: str, requests: int, concurrency: int, *, workers: int = 1, mmap: bool = True
) -> dict[str, Any]:
    (key, stored), port = _key_and_texts(home, embedder), _port()
    proc = _start(home, embedder, port, workers=workers, mmap=mmap)
    url = f"http://127.0.0.1:{port}"
    try:
        cached = [stored[i % len(stored)] for i in range(requests)]
        _phase(url, key, cached[:20], concurrency)  # warm-up
        run_id = time.time_ns()  # new in every run: a text embedded by an earlier run would be cached
        fresh = [f"(load {run_id}-{i}) {t}" for i, t in enumerate(stored[:40])]  # marker first: cut at 512
        return {
            "scenario": f"load-{name}" + (f"-workers{workers}" if workers > 1 else "") + ("" if mmap else "-nommap"),
            "embedder": embedder,
            "home": str(home),
            "workers": workers,
            "index_mmap": mmap,
            "known_text": _phase(url, key, cached, concurrency),
            "new_text": _phase(url, key, fresh, concurrency),
            "memory": _memory_mb(proc.pid),
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--embedder", default="e5")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="server processes (matcher serve --workers)")
    parser.add_argument("--no-mmap", action="store_true", help="load the indexes into each process's memory")
    args = parser.parse_args()
    result = run(
        args.home,
        args.name,
        args.embedder,
        args.requests,
        args.concurrency,
        workers=args.workers,
        mmap=not args.no_mmap,
    )
    save_result(result)


if __name__ == "__main__":
    main()
