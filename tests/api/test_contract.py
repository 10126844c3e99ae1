"""Schemathesis against the app's own OpenAPI: bounded examples per operation, no 5xx, no schema violations; and a
stateful run chaining operations through the links schemathesis infers (create a need → get, update, match it).

The app is built at import (a tiny corpus, fake embedder, temporary folder removed at exit) because the
schema must exist when pytest collects the parametrised operations.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from api import problems
from api.app import create_app
from api.batch_worker import BatchWorker
from api.problems import MEDIA_TYPE
from matcher.config import Settings
from matcher.map.build import MapParams, build_map
from matcher.services.users import create_key
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import NEEDS, OUTCOMES, FakeEmbedder, write_jsonl


def _workspace() -> tuple[Context, dict[str, str]]:
    """A workspace holding the tiny corpus, indexed and mapped, and an admin key for it."""
    tmp = Path(tempfile.mkdtemp(prefix="matcher-contract-"))
    atexit.register(shutil.rmtree, tmp, True)
    matcher = open_context(Settings(home=tmp / "ws", _env_file=None), embedder=FakeEmbedder())  # type: ignore[call-arg]
    data.import_file(matcher, "outcomes", write_jsonl(tmp / "o.jsonl", OUTCOMES))
    data.import_file(matcher, "needs", write_jsonl(tmp / "n.jsonl", NEEDS))
    data.build_index(matcher)
    build_map(matcher, params=MapParams(topics=2, min_size=1))
    with matcher.session(write=True) as session:
        key = create_key(session, name="fuzz-admin", role="admin")[1]
    return matcher, {"X-API-Key": key}


def _app() -> tuple[FastAPI, dict[str, str]]:
    matcher, headers = _workspace()
    return create_app(matcher.settings, matcher=matcher), headers


APP, ADMIN = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_openapi_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=ADMIN)


@schemathesis.check
def readable(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """Checked on every answer of both fuzzing tests: what a person reads in a problem — its title, detail and
    each field's message — is Chinese and carries no SQL, path, class name or English sentence."""
    kind = response.headers.get("content-type") or ""
    if not " ".join(kind if isinstance(kind, list) else [kind]).startswith(MEDIA_TYPE):
        return None
    body = response.json()
    said = [body.get("title", ""), body.get("detail", "")] + [e.get("message", "") for e in body.get("errors", [])]
    for text in said:
        assert problems.CJK.search(text) and not problems.UNREADABLE.search(text), (response.status_code, text)
    return True


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Each test case runs against a fresh workspace: hypothesis replays and shrinks cases, so a case must never
    see another one's writes (shared state made generation inconsistent: FlakyStrategyDefinition)."""

    def setup(self) -> None:
        self.matcher, self.headers = _workspace()
        APP.state.matcher, APP.state.batch_worker = self.matcher, BatchWorker(self.matcher)

    def teardown(self) -> None:
        APP.state.batch_worker.wait()
        self.matcher.close()

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
        return {"headers": self.headers}


TestStatefulContract = Workflow.TestCase
TestStatefulContract.settings = hypothesis_settings(
    max_examples=30, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
