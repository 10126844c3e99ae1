"""Batch runs end to end on the demo corpus: constraints hold on what is stored, runs are records."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from matcher.assign import BatchParams, execute, resume, start_run
from matcher.assign.locks import run_lock
from matcher.assign.runs import cancel_run, get_run, run_summary, unused_run_id
from matcher.errors import ConflictError, InputError
from matcher.match.conflicts import load_rules
from matcher.store.tables import Expert, Match, Need
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.batch.conftest import DEMO_NEEDS, open_demo


def stored(matcher: Context, run_id: str) -> list[tuple[str, str, str, int, float]]:
    """A run's proposals and alternates (not the left-out candidates) as comparable tuples."""
    with matcher.session() as session:
        run = get_run(session, run_id=run_id)
        rows = session.execute(
            select(Need.id, Match.target_id, Match.role, Match.rank, Match.score)
            .join(Need, Need.pk == Match.need_pk)
            .where(Match.run_pk == run.pk, Match.role != "left_out")
            .order_by(Need.id, Match.rank)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def run_once(matcher: Context, params: BatchParams) -> str:
    run_id = start_run(matcher, params)
    execute(matcher, run_id)
    return run_id


def test_a_run_id_already_taken_is_drawn_again(demo: Context) -> None:
    taken = start_run(demo, BatchParams())
    draws = iter([taken, taken, "20261204-000000-fresh"])
    with demo.session() as session:
        assert unused_run_id(session, lambda: next(draws)) == "20261204-000000-fresh"


def test_a_run_respects_every_limit_and_conflict(demo: Context) -> None:
    params = BatchParams(per_need=3, alternates=2, expert_capacity=2, max_per_institution=1)
    run_id = run_once(demo, params)
    rows = stored(demo, run_id)
    proposals = [r for r in rows if r[2] == "proposal"]
    with demo.session() as session:
        experts = {e.id: e for e in session.scalars(select(Expert))}
        needs = {n.id: n for n in session.scalars(select(Need))}
        rules = load_rules(session)
        assert all(rules.check(needs[n], experts[e]) is None for n, e, *_ in rows)
        summary = run_summary(session, get_run(session, run_id=run_id))
    load = Counter(e for _, e, *_ in proposals)
    own = {e: experts[e].capacity for e in load if experts[e].capacity is not None}
    assert own and all(n <= own.get(e, 2) for e, n in load.items())  # the expert's own capacity overrides 2
    assert any(n > 2 for n in load.values()) and all(n <= 2 for e, n in load.items() if e not in own)
    assert max(Counter(n for n, *_ in proposals).values()) <= 3
    per_need_inst = Counter((n, experts[e].institution_pk) for n, e, *_ in proposals)
    assert max(per_need_inst.values()) == 1
    assert Counter(r[2] for r in rows)["alternate"] <= 2 * len(needs)
    stats = summary["stats"]
    assert summary["status"] == "done" and summary["progress"] == {"scored": DEMO_NEEDS, "needs": DEMO_NEEDS}
    assert stats["proposals"] == len(proposals) and stats["objective"] >= stats["greedy_objective"]
    assert stats["conflicts_removed"]["own_organization"] > 0  # the demo has needs from stored institutions
    assert {"score", "solve", "write"} <= set(stats["seconds"]) and stats["versions"]["embedder"] == "fake/bigram-64"
    served = Counter(n for n, *_ in proposals)
    assert {u["need_id"] for u in stats["unserved"]} == {n for n in needs if served[n] < 3}


def test_expert_own_capacity_overrides_the_run_capacity(demo: Context) -> None:
    first = stored(demo, run_once(demo, BatchParams()))
    busiest = Counter(e for _, e, role, *_ in first if role == "proposal").most_common(1)[0][0]
    with demo.session(write=True) as session:
        session.scalars(select(Expert).where(Expert.id == busiest)).one().capacity = 1
    second = stored(demo, run_once(demo, BatchParams()))
    assert Counter(e for _, e, role, *_ in second if role == "proposal")[busiest] == 1


def test_a_rejected_pair_is_not_proposed_again(demo: Context) -> None:
    from matcher.services.feedback import record_feedback

    first = stored(demo, run_once(demo, BatchParams()))
    need_id, expert_id = first[0][0], first[0][1]
    with demo.session(write=True) as session:
        record_feedback(
            session, need_id=need_id, level="expert", target_id=expert_id, stage="rejected", reason="不对口", actor="t"
        )
    second = stored(demo, run_once(demo, BatchParams()))
    assert (need_id, expert_id) not in {(n, e) for n, e, *_ in second}


def test_selecting_needs_and_bad_parameters(demo: Context) -> None:
    with demo.session(write=True) as session:
        for need in session.scalars(select(Need).where(Need.id != "DEMO-N001")):
            need.status = "closed"
    run_id = run_once(demo, BatchParams(needs="open"))
    assert {r[0] for r in stored(demo, run_id)} == {"DEMO-N001"}
    with pytest.raises(InputError, match="since:DATE"):
        BatchParams.create(needs="since:yesterday")
    with pytest.raises(InputError, match="per_need"):
        BatchParams.create(per_need=0)
    with pytest.raises(ConflictError, match="没有符合条件"):
        start_run(demo, BatchParams(needs="since:2100-01-01"))


def test_cancel_then_resume_equals_an_uninterrupted_run(demo: Context) -> None:
    reference = stored(demo, run_once(demo, BatchParams()))
    run_id = start_run(demo, BatchParams())

    def cancel_after_ten(done: int, total: int) -> None:
        if done == 10:
            with demo.session(write=True) as session:
                cancel_run(session, run_id=run_id)

    execute(demo, run_id, progress=cancel_after_ten)
    with demo.session() as session:
        summary = run_summary(session, get_run(session, run_id=run_id))
    assert summary["status"] == "cancelled" and summary["progress"]["scored"] == 10
    assert stored(demo, run_id) == []
    execute(demo, run_id)  # executing a cancelled run does nothing: only resume continues it
    assert stored(demo, run_id) == []
    resume(demo, run_id)
    assert stored(demo, run_id) == reference
    for again in (execute, resume):
        with pytest.raises(ConflictError, match="done already"):
            again(demo, run_id)


def test_one_run_cannot_execute_twice_at_once(demo: Context) -> None:
    run_id = start_run(demo, BatchParams())
    with (
        run_lock(demo.engine, demo.workspace.root / "runs", run_id),
        pytest.raises(ConflictError, match="another process"),
    ):
        execute(demo, run_id)


def test_two_runs_at_once_do_not_disturb_each_other(demo: Context, demo_home) -> None:
    a_params, b_params = BatchParams(per_need=3), BatchParams(per_need=1, expert_capacity=1)
    a_alone, b_alone = stored(demo, run_once(demo, a_params)), stored(demo, run_once(demo, b_params))
    other = open_demo(demo_home)
    ids = [start_run(demo, a_params), start_run(other, b_params)]
    threads = [threading.Thread(target=execute, args=(m, r)) for m, r in zip((demo, other), ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stored(demo, ids[0]) == a_alone and stored(demo, ids[1]) == b_alone
    other.close()


@pytest.mark.postgres
def test_a_run_on_postgres(pg_url: str, tmp_path) -> None:
    from matcher.config import Settings
    from tests.batch.conftest import DEMO
    from tests.conftest import FakeEmbedder

    settings = Settings(home=tmp_path / "pg", database_url=pg_url, model="none", _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings, embedder=FakeEmbedder())
    for kind in ("institutions", "experts", "outcomes", "needs"):
        data.import_file(matcher, kind, DEMO / f"{kind}.jsonl")
    data.build_index(matcher)
    run_id = start_run(matcher, BatchParams(per_need=2, alternates=1))
    execute(matcher, run_id, progress=lambda done, total: None)
    rows = stored(matcher, run_id)
    with matcher.session() as session:
        summary = run_summary(session, get_run(session, run_id="latest"))
    assert summary["status"] == "done" and summary["stats"]["proposals"] == sum(r[2] == "proposal" for r in rows) > 0
    assert summary["stats"]["conflicts_removed"]["own_organization"] > 0
    matcher.close()


def test_a_run_never_proposes_below_the_weak_line_and_says_so(demo_home) -> None:
    from matcher.config import Settings
    from tests.conftest import FakeEmbedder

    settings = Settings(home=demo_home, model="none", weak_match=70.0, _env_file=None)  # type: ignore[call-arg]
    strict = open_context(settings, embedder=FakeEmbedder())
    run_id = run_once(strict, BatchParams(per_need=3, alternates=2))
    rows = stored(strict, run_id)
    assert rows and min(score for *_, score in rows) >= 70.0  # proposals and alternates alike
    with strict.session() as session:
        stats = get_run(session, run_id=run_id).stats
    assert stats["below_weak"] > 0
    no_strong = [u for u in stats["unserved"] if u["reason"] == "no_strong"]
    assert no_strong and all(u["detail"].startswith("无强匹配") and u["proposed"] == 0 for u in no_strong)
    strict.close()
