"""The run lock holds across processes, and a holder killed with SIGKILL frees it (file lock on SQLite, advisory
lock on PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from matcher.assign.locks import advisory_key, is_locked, run_lock
from matcher.errors import ConflictError

HOLDER = """
import sys, time
from pathlib import Path
from sqlalchemy import create_engine
from matcher.assign.locks import run_lock
with run_lock(create_engine(sys.argv[1]), Path(sys.argv[2]), "r1"):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(url: str, folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(folder)], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _freed_after_kill(proc: subprocess.Popen[str], url: str, folder: Path) -> bool:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    engine = create_engine(url)
    for _ in range(50):  # the server notices the closed connection within moments
        if not is_locked(engine, folder, "r1"):
            return True
        time.sleep(0.1)
    return False


def _check_across_processes(url: str, folder: Path) -> None:
    proc = _holder(url, folder)
    try:
        engine = create_engine(url)
        assert is_locked(engine, folder, "r1") and not is_locked(engine, folder, "r2")
        with pytest.raises(ConflictError, match="another process"), run_lock(engine, folder, "r1"):
            pass
        assert _freed_after_kill(proc, url, folder)
    finally:
        proc.kill()


def test_advisory_key_is_a_stable_signed_bigint() -> None:
    assert advisory_key("r1") == advisory_key("r1") != advisory_key("r2")
    assert -(2**63) <= advisory_key("r1") < 2**63


def test_file_lock_across_processes(tmp_path: Path) -> None:
    _check_across_processes(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "runs")


@pytest.mark.postgres
def test_advisory_lock_across_processes(pg_url: str, tmp_path: Path) -> None:
    _check_across_processes(pg_url, tmp_path / "runs")
    assert not (tmp_path / "runs").exists()  # PostgreSQL needs no lock files
