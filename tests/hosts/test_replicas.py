"""Several hosts: replicas with their own workspaces on one PostgreSQL database and one snapshot store, each a real
server process, behind haproxy with docs/haproxy.cfg (where haproxy is installed: .ci/run installs it). After a
publish they answer alike; an outcome posted to one is matched on the other within 10 s; with one killed the other
answers, through the balancer too; a replica started later catches up from the snapshot and the feed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher.config import Settings
from matcher.services.users import create_key
from matcher.workspace import data, publish
from matcher.workspace.context import open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
NEW = {"id": "O9", "kind": "patent", "title": "石墨烯导热膜连续化制备方法", "abstract": "石墨烯导热膜用于手机散热。",
       "year": 2024, "institution": "重庆大学"}  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, **env, "MATCHER_HOME": str(home), "PYTHONPATH": str(ROOT)}
        self.log_folder = home.parent
        self.log = (home.parent / f"{home.name}.log").open("w")
        self.process = subprocess.Popen([sys.executable, "-m", "tests.hosts.replica", str(self.port)], cwd=ROOT,
                                        env=environ, stdout=self.log, stderr=subprocess.STDOUT)  # fmt: skip

    def ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"replica on {self.port} not ready: {Path(self.log.name).read_text()[-2000:]}")

    def match(self, key: str, text: str) -> list[str]:
        body = {"text": text, "level": "outcome", "top": 10}
        answer = httpx.post(f"{self.url}/match", json=body, headers={"X-API-Key": key}, timeout=30)
        assert answer.status_code == 200, answer.text
        return [h["id"] for h in answer.json()["hits"]]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()


class Balancer:
    """haproxy with docs/haproxy.cfg, its ports rewritten to these replicas'."""

    def __init__(self, folder: Path, replicas: list[Replica]) -> None:
        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = (ROOT / "docs" / "haproxy.cfg").read_text(encoding="utf-8")
        config = config.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")
        for replica, default in zip(replicas, ("8001", "8002"), strict=True):
            config = config.replace(f"127.0.0.1:{default}", f"127.0.0.1:{replica.port}")
        (folder / "haproxy.cfg").write_text(config, encoding="utf-8")
        command = [shutil.which("haproxy") or "haproxy", "-db", "-f", str(folder / "haproxy.cfg")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        deadline = time.monotonic() + 10
        while True:
            try:
                return httpx.get(f"{self.url}{path}", timeout=30, **kw)
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def hosts(pg_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {"MATCHER_DATABASE_URL": pg_url, "MATCHER_SNAPSHOT_STORE": str(tmp_path / "store"),
           "MATCHER_LIVE_INDEX": "0.5", "MATCHER_WARM_UP": "false"}  # fmt: skip
    first = Settings(home=tmp_path / "a", database_url=pg_url, snapshot_store=str(tmp_path / "store"),
                     _env_file=None)  # type: ignore[call-arg]  # fmt: skip
    ctx = open_context(first, embedder=FakeEmbedder())
    data.import_file(ctx, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(ctx, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    data.build_index(ctx)
    publish.publish(ctx)
    with ctx.session(write=True) as session:
        keys = {role: create_key(session, name=role, role=role)[1] for role in ("viewer", "staff")}
    ctx.close()
    started: list[Replica] = []

    def start(name: str) -> Replica:
        replica = Replica(tmp_path / name, env)
        started.append(replica)
        return replica

    yield {"start": start, "keys": keys}
    for replica in started:
        if replica.process.poll() is None:
            replica.kill()


def test_replicas_share_the_database_the_snapshot_and_every_write(hosts: dict[str, Any]) -> None:
    keys = hosts["keys"]
    a, b = hosts["start"]("a"), hosts["start"]("b")  # b: an empty workspace
    a.ready()
    b.ready()
    assert a.match(keys["viewer"], "锆英粉铸造涂料") == b.match(keys["viewer"], "锆英粉铸造涂料")
    balancer = Balancer(a.log_folder, [a, b]) if shutil.which("haproxy") else None
    if balancer:  # the page and a signed-in request through the load balancer, on both replicas in turn
        assert "<html" in balancer.get("/").text.lower()
        for _ in range(4):
            assert balancer.get("/needs", headers={"X-API-Key": keys["viewer"]}).status_code == 200
    assert httpx.get(f"{b.url}/version").json()["snapshot"]  # b serves the published snapshot
    _nightly_batch_runs_once(keys["staff"], a, b)
    posted = httpx.post(f"{a.url}/outcomes", json=NEW, headers={"X-API-Key": keys["staff"]}, timeout=30)
    assert posted.status_code == 201, posted.text
    start, found = time.monotonic(), []
    while time.monotonic() - start < 10 and "O9" not in found:
        time.sleep(0.3)
        found = b.match(keys["viewer"], "石墨烯导热膜散热")
    assert "O9" in found, "an outcome posted to A was not matched on B within 10 s"
    a.kill()
    assert b.match(keys["viewer"], "锂电池荷电状态")  # B answers alone
    if balancer:  # and the balancer sends every request to B
        answers = [balancer.get("/needs", headers={"X-API-Key": keys["viewer"]}).status_code for _ in range(6)]
        balancer.stop()
        assert answers == [200] * 6
    assert httpx.get(f"{b.url}/needs", headers={"X-API-Key": keys["viewer"]}, timeout=30).status_code == 200
    c = hosts["start"]("c")  # started later: the snapshot, then the feed past it
    c.ready()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "O9" not in c.match(keys["viewer"], "石墨烯导热膜散热"):
        time.sleep(0.3)
    assert c.match(keys["viewer"], "石墨烯导热膜散热") == b.match(keys["viewer"], "石墨烯导热膜散热")
    index = httpx.get(f"{c.url}/version").json()["index"]
    assert index["pending"] == 0 and index["indexed"] == index["feed"]


def _nightly_batch_runs_once(key: str, a: Replica, b: Replica) -> None:
    """Both replicas' schedulers start the night's batch at the same moment: one starts it (202), the other gets
    the same run (200), and it is executed once."""
    body, headers = {"start_key": "2026-12-06", "per_need": 2}, {"X-API-Key": key}
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda r: httpx.post(f"{r.url}/batch-runs", json=body, headers=headers, timeout=60),
                                (a, b)))  # fmt: skip
    assert sorted(r.status_code for r in answers) == [200, 202], [r.text for r in answers]
    run_id = answers[0].json()["id"]
    assert answers[1].json()["id"] == run_id
    deadline = time.monotonic() + 60
    while httpx.get(f"{b.url}/batch-runs/{run_id}", headers=headers).json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the night's batch did not finish within 60 s"
        time.sleep(0.3)
    runs = httpx.get(f"{a.url}/batch-runs", headers=headers).json()
    assert [r["id"] for r in runs] == [run_id] and runs[0]["status"] == "done", runs
