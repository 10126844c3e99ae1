"""One replica as `matcher serve` runs it, with the fake embedder: python -m tests.hosts.replica PORT.

Its settings come from the environment (MATCHER_HOME, MATCHER_DATABASE_URL, MATCHER_SNAPSHOT_STORE, …), as every
host's would; only the embedder is the tests' deterministic one.
"""

from __future__ import annotations

import sys

import uvicorn

from api.app import create_app
from matcher.config import Settings
from matcher.workspace.context import open_context
from tests.conftest import FakeEmbedder


def main(port: int) -> None:
    settings = Settings()
    uvicorn.run(create_app(settings, matcher=open_context(settings, embedder=FakeEmbedder())), host="127.0.0.1",
                port=port, log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]))
