"""Annotated dependencies: the engine, a session per request, the caller and its role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from api.batch_worker import BatchWorker
from matcher.engine import Matcher
from matcher.errors import ForbiddenError
from matcher.services import audit
from matcher.services.users import allows, authenticate


def get_matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher
    return matcher


MatcherDep = Annotated[Matcher, Depends(get_matcher)]


def get_batch_worker(request: Request) -> BatchWorker:
    worker: BatchWorker = request.app.state.batch_worker
    return worker


BatchWorkerDep = Annotated[BatchWorker, Depends(get_batch_worker)]


def get_session(matcher: MatcherDep) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on any error."""
    with matcher.sessions() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    name: str
    role: str


def get_caller(
    matcher: MatcherDep,
    x_api_key: Annotated[str | None, Header(description="API key (or Authorization: Bearer KEY)")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Caller:
    key = x_api_key or (authorization[7:].strip() if authorization and authorization.startswith("Bearer ") else None)
    with matcher.sessions() as session:
        row = authenticate(session, key=key)
        return Caller(row.name, row.role)


def role(needed: str) -> Callable[..., Caller]:
    def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if not allows(caller.role, needed):
            raise ForbiddenError(f"role {caller.role!r} may not do this; it needs {needed!r}")
        return caller

    return check


Viewer = Annotated[Caller, Depends(role("viewer"))]
Staff = Annotated[Caller, Depends(role("staff"))]
Admin = Annotated[Caller, Depends(role("admin"))]


def audited(session: Session, caller: Caller, action: str, resource: str, **detail: object) -> None:
    audit.record(session, actor=caller.name, role=caller.role, action=action, resource=resource, detail=detail)
