"""Batch runs started through the API execute here: one at a time, in a background thread of the server
process, on its shared engine (runs started meanwhile stay queued). A server stopped mid-run leaves the run
`running`; `matcher batch resume RUN` or `POST /batch-runs/{id}/resume` finishes it."""

from __future__ import annotations

import logging
import queue
import threading

from matcher.assign import execute
from matcher.errors import MatcherError
from matcher.workspace.context import Context

log = logging.getLogger(__name__)


class BatchWorker:
    def __init__(self, matcher: Context) -> None:
        self.matcher = matcher
        self.runs: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, run_id: str) -> None:
        self.runs.put(run_id)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="batch-worker", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            run_id = self.runs.get()
            try:
                execute(self.matcher, run_id)
            except MatcherError as exc:  # the run records its failure; the worker carries on
                log.warning("batch run %s stopped: %s", run_id, exc)
            finally:
                self.runs.task_done()

    def wait(self) -> None:
        """Block until every submitted run has been executed (tests, shutdown scripts)."""
        self.runs.join()
