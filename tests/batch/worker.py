"""Executes a batch run in its own process so a test can kill it: python -m tests.batch.worker HOME RUN STAGE.

STAGE `score` stalls after 25 needs are scored; `solve` stalls inside the solve transaction, after the
proposals are written but before they are committed. Either way the test then kills the process with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import matcher.assign.pipeline as stages
from tests.batch.conftest import open_demo

STALL_AFTER = 25


def main(home: str, run_id: str, stage: str) -> None:
    write = stages._write

    def stalled_write(*args: Any, **kwargs: Any) -> dict[str, int]:
        written = write(*args, **kwargs)
        print("written, not committed", flush=True)
        time.sleep(600)
        return written

    def progress(done: int, total: int) -> None:
        print(f"scored {done}", flush=True)
        if stage == "score" and done == STALL_AFTER:
            time.sleep(600)

    if stage == "solve":
        stages._write = stalled_write  # type: ignore[assignment]
    stages.execute(open_demo(Path(home)), run_id, progress=progress)


if __name__ == "__main__":
    main(*sys.argv[1:4])
