"""A bounded busy day (the `make bench` mixed scenario, smaller): concurrent staff clients reading, matching new
text, creating needs, recording feedback, finding an outcome's needs, pairing a region and making visit plans on
SQLite and on PostgreSQL. No response may be a server error, every
confirmed write must be stored, and the audit log must hold exactly one row per confirmed write."""

from __future__ import annotations

from api.app import create_app
from bench.mixed import check_store, drive, prepare
from matcher.workspace.context import Context
from tests.api.live import live_server


def test_mixed_load_loses_nothing_and_never_fails(api_matcher: Context) -> None:
    app = create_app(api_matcher.settings, matcher=api_matcher)
    with live_server(app) as url:
        work = prepare(api_matcher, url)
        outcome, _ = drive(work, clients=20, seconds=8)
    assert outcome.server_errors() == 0, dict(outcome.statuses)
    assert sum(outcome.statuses["create-need"].values()) > 10 and outcome.feedback > 10  # the writes really ran
    store = check_store(api_matcher, work, outcome)
    assert store["needs_found"] == store["needs_confirmed"] and store["feedback_found"] == store["feedback_confirmed"]
    assert store["plans_found"] == store["plans_confirmed"] and sum(outcome.statuses["reverse"].values()) > 0
    assert store["audit_rows"] == store["needs_confirmed"] + store["feedback_confirmed"] + store["plans_confirmed"]
