"""A nightly run named once (`--once DATE`, `start_key`) is started once, however many hosts' schedulers ask, and
a race between two hosts is settled by the database's unique name."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.assign import BatchParams, pipeline, start_once
from matcher.store.tables import MatchRun
from matcher.workspace.context import Context


def _runs(ctx: Context) -> int:
    with ctx.session() as session:
        return int(session.scalar(select(func.count()).select_from(MatchRun).where(MatchRun.kind == "batch")) or 0)


def test_a_named_run_is_started_once(demo: Context) -> None:
    first, new = start_once(demo, BatchParams(), start_key="2026-12-06")
    again, new_again = start_once(demo, BatchParams(per_need=1), start_key="2026-12-06")
    other, new_other = start_once(demo, BatchParams(), start_key="2026-12-07")
    assert (new, new_again, new_other) == (True, False, True)
    assert again == first != other
    assert _runs(demo) == 2


def test_a_race_between_hosts_returns_the_winners_run(demo: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both hosts look, find nothing, and insert: the loser's insert breaks the unique name, and it gets the
    winner's run instead of an error or a second run."""
    winner, _ = start_once(demo, BatchParams(), start_key="night")
    looks = iter([None])  # the loser's first look happened before the winner's commit
    real = pipeline.run_named
    monkeypatch.setattr(
        pipeline, "run_named", lambda session, *, start_key: next(looks, real(session, start_key=start_key))
    )
    loser, created = start_once(demo, BatchParams(), start_key="night")
    assert (loser, created) == (winner, False)
    assert _runs(demo) == 1
