"""Concurrent writes on PostgreSQL: 20 clients at once on one pair. Feedback steps queue on the pair's lock, so an
illegal step is refused (409) under any interleaving; grades of one new pair are upserts, never a broken key."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from matcher.config import Settings
from matcher.errors import ConflictError, MatcherError
from matcher.services.feedback import record_feedback
from matcher.services.judgements import record_judgement
from matcher.store.stages import is_forward
from matcher.store.tables import Feedback, Judgement
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl

CLIENTS = 20
pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_matcher(pg_url: str, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(home=tmp_path / "ws", database_url=pg_url, _env_file=None)  # type: ignore[call-arg]
    m = open_context(settings, embedder=FakeEmbedder())
    data.import_file(m, "outcomes", write_jsonl(tmp_path / "o.jsonl", OUTCOMES))
    data.import_file(m, "needs", write_jsonl(tmp_path / "n.jsonl", NEEDS))
    yield m
    m.close()


def _at_once(work: list[Callable[[], object]]) -> list[object]:
    """Run every callable in its own thread, released together; each one's result or the exception it raised."""
    results: list[object] = [None] * len(work)
    gate = threading.Barrier(len(work))

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = work[i]()
        except (MatcherError, SQLAlchemyError) as exc:  # what each client got, a refusal or a database error
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_concurrent_feedbacks_on_one_pair_never_record_an_unasked_reversal(pg_matcher: Context) -> None:
    def step(stage: str) -> Callable[[], object]:
        def go() -> object:
            with pg_matcher.session(write=True) as session:
                return record_feedback(session, need_id="N1", level="outcome", target_id="O1", stage=stage,
                                       reason="方向不符" if stage == "rejected" else None, actor="t").stage  # fmt: skip

        return go

    stages = ["rejected", "signed"] * (CLIENTS // 2)
    results = _at_once([step(s) for s in stages])
    assert all(isinstance(r, str | ConflictError) for r in results), [r for r in results if not isinstance(r, str)]
    with pg_matcher.session() as session:
        rows = list(session.scalars(select(Feedback).order_by(Feedback.pk)))
    # whichever came first, the other stage is a reversal of it: refused ten times, recorded never
    first = rows[0].stage
    assert [r.stage for r in rows] == [first] * (CLIENTS // 2) and not any(r.correction for r in rows)
    assert sum(isinstance(r, ConflictError) for r in results) == CLIENTS // 2
    assert all(is_forward(a.stage, b.stage) for a, b in itertools.pairwise(rows))


def test_twenty_concurrent_grades_of_one_new_pair_all_land_on_one_row(pg_matcher: Context) -> None:
    def grade(g: int) -> Callable[[], object]:
        def go() -> object:
            with pg_matcher.session(write=True) as session:
                return record_judgement(session, need_id="N2", level="outcome", target_id="O4", grade=g,
                                        actor=f"judge{g}").grade  # fmt: skip

        return go

    grades = [i % 4 for i in range(CLIENTS)]
    results = _at_once([grade(g) for g in grades])
    assert results == grades  # every client's grade was written (each its own upsert), none failed
    with pg_matcher.session() as session:
        [row] = session.scalars(select(Judgement))
    assert row.grade in grades and row.created_by == f"judge{row.grade}"
