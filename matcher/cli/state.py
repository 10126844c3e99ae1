"""Process-wide CLI state: the --home option and the console."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from matcher.config import Settings
from matcher.engine import Matcher

console = Console(width=None if sys.stdout.isatty() else 160)


class State:
    home: Path | None = None


def settings() -> Settings:
    return Settings(home=State.home) if State.home else Settings()


def open_matcher() -> Matcher:
    from matcher.cli import app

    return app.open_matcher()
