"""kill -9 a run mid-way, resume it, and get exactly the proposals of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.assign import BatchParams, resume, start_run
from matcher.assign.runs import get_run, run_summary
from matcher.workspace.context import Context
from tests.batch.conftest import DEMO_NEEDS
from tests.batch.test_run import run_once, stored
from tests.batch.worker import STALL_AFTER

ROOT = Path(__file__).resolve().parents[2]


def kill_when(home: Path, run_id: str, stage: str, signal_line: str) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.batch.worker", str(home), run_id, stage],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    try:
        for line in worker.stdout:
            if line.strip() == signal_line:
                break
        else:
            pytest.fail(f"the worker ended before printing {signal_line!r} (exit {worker.wait()})")
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("stage", "signal_line", "scored"),
    [("score", f"scored {STALL_AFTER}", STALL_AFTER), ("solve", "written, not committed", DEMO_NEEDS)],
)
def test_killed_run_resumes_to_the_uninterrupted_result(
    demo: Context, demo_home: Path, stage: str, signal_line: str, scored: int
) -> None:
    params = BatchParams(per_need=3, alternates=2, expert_capacity=2)
    reference = stored(demo, run_once(demo, params))
    run_id = start_run(demo, params)
    kill_when(demo_home, run_id, stage, signal_line)
    with demo.session() as session:
        summary = run_summary(session, get_run(session, run_id=run_id))
    assert summary["status"] == "running"  # what a killed process leaves behind
    assert summary["progress"]["scored"] == scored
    assert stored(demo, run_id) == []  # nothing half-written
    resume(demo, run_id)
    assert stored(demo, run_id) == reference
