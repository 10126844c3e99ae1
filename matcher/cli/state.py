"""Process-wide CLI state: the --home option, how a command opens the workspace, and the console."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from matcher.config import Settings
from matcher.workspace.facade import Matcher

console = Console(width=None if sys.stdout.isatty() else 160)


class State:
    home: Path | None = None
    opener: Callable[[Settings], Matcher] = Matcher  # tests replace it to inject a fake embedder


def settings() -> Settings:
    return Settings(home=State.home) if State.home else Settings()


def open_matcher() -> Matcher:
    """The workspace the command runs on (`--home`, else MATCHER_HOME, else ./.matcher)."""
    return State.opener(settings())
