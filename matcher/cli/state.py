"""Process-wide CLI state: the --home option, how a command opens the workspace, and the one way a command gets a
database session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from matcher.config import Settings
from matcher.progress import console as console
from matcher.workspace.context import Context, open_context


class State:
    home: Path | None = None
    opener: Callable[[Settings], Context] = open_context  # tests replace it to inject a fake embedder


def settings() -> Settings:
    return Settings.for_home(State.home)


def open_workspace() -> Context:
    """The workspace the command runs on (`--home`, else MATCHER_HOME, else ./.matcher)."""
    return State.opener(settings())


@contextmanager
def open_session(*, write: bool = False, ctx: Context | None = None) -> Iterator[Session]:
    """A session on the command's workspace (`ctx` when the command opened it already); `write`: one transaction,
    committed when the block ends, rolled back on an error."""
    with (ctx or open_workspace()).session(write=write) as session:
        yield session
