"""`matcher serve --workers 2`: two server processes on one workspace, each answering, and settings carried to them
through the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.cli import settings_env
from matcher.config import Settings
from matcher.services.users import create_key
from matcher.workspace import data
from matcher.workspace.context import open_context
from tests.conftest import NEEDS, OUTCOMES, write_jsonl


def test_settings_travel_to_worker_processes_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    given = Settings(home=Path("/tmp/ws"), cors_origins=["http://a.example"], weak_match=40, _env_file=None)  # type: ignore[call-arg]
    for key, value in settings_env(given).items():
        monkeypatch.setenv(key, value)
    assert Settings(_env_file=None) == given  # type: ignore[call-arg]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split(") ")[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.realmodel
def test_two_worker_processes_serve_one_workspace(tmp_path: Path) -> None:
    matcher = open_context(Settings(home=tmp_path / "ws", _env_file=None))  # type: ignore[call-arg]
    data.import_file(matcher, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(matcher, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    data.build_index(matcher)
    with matcher.session(write=True) as session:
        key = create_key(session, name="w", role="staff")[1]
    matcher.close()
    port, env = _port(), {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    cmd = [sys.executable, "-m", "matcher.cli.app", "--home", str(tmp_path / "ws"), "serve", "--port", str(port)]
    server = subprocess.Popen([*cmd, "--workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url, headers = f"http://127.0.0.1:{port}", {"X-API-Key": key}
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200 and len(_children(server.pid)) >= 2:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert len([c for c in _children(server.pid) if "resource_tracker" not in _cmdline(c)]) == 2
        answers = [
            httpx.post(f"{url}/match", json={"text": "铸件涂料", "level": "outcome"}, headers=headers, timeout=60)
        ]
        answers += [httpx.get(f"{url}/needs", headers=headers, timeout=30) for _ in range(10)]
        assert [r.status_code for r in answers] == [200] * 11
        assert answers[0].json()["hits"][0]["id"] in {"O1", "O2"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""
