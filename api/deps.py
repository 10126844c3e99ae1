"""Annotated dependencies: the engine, a session per request, the caller and its role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, Lock, to_thread
from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from api.batch_worker import BatchWorker
from matcher.errors import ForbiddenError
from matcher.services import audit
from matcher.services.users import ROLE_ZH, allows, authenticate
from matcher.workspace.context import Context

T = TypeVar("T")
EMBED_THREADS = 2  # the model parallelises inside; two keep both cores busy without a queue of threads


def get_context(request: Request) -> Context:
    matcher: Context = request.app.state.matcher
    return matcher


ContextDep = Annotated[Context, Depends(get_context)]


def get_batch_worker(request: Request) -> BatchWorker:
    worker: BatchWorker = request.app.state.batch_worker
    return worker


BatchWorkerDep = Annotated[BatchWorker, Depends(get_batch_worker)]


async def get_embed_limiter(request: Request) -> CapacityLimiter:
    """Threads that may embed new text at once. Embedding waits here, in the event loop, instead of holding the
    shared thread pool: matches that need no embedding (stored needs, cached text) never queue behind it."""
    state = request.app.state
    if getattr(state, "embed_limiter", None) is None:
        state.embed_limiter = CapacityLimiter(EMBED_THREADS)
    limiter: CapacityLimiter = state.embed_limiter
    return limiter


EmbedLimiterDep = Annotated[CapacityLimiter, Depends(get_embed_limiter)]


async def get_region_limiter(request: Request) -> CapacityLimiter:
    """Work over a whole region's needs (pairings, plans) one request at a time: each is a match per need, and
    several at once only made every caller wait longer (six concurrent pairings took 27 s each)."""
    state = request.app.state
    if getattr(state, "region_limiter", None) is None:
        state.region_limiter = CapacityLimiter(1)
    limiter: CapacityLimiter = state.region_limiter
    return limiter


RegionLimiterDep = Annotated[CapacityLimiter, Depends(get_region_limiter)]


async def embed(limiter: CapacityLimiter, func: Callable[..., T], *args: Any) -> T:
    """Run `func(*args)` (work that may call the embedding model) in a thread under the embedding limiter."""
    return await to_thread.run_sync(func, *args, limiter=limiter)


READING = ("GET", "HEAD", "OPTIONS")


@asynccontextmanager
async def sqlite_turn(request: Request, matcher: Context) -> AsyncIterator[None]:
    """On SQLite, this process's one writer at a time, waiting here in the event loop. Waiting instead for the
    database lock inside worker threads could fill the thread pool while the holder needed a thread to commit: the
    holder then timed out ("database is locked") under 20 concurrent writers."""
    if matcher.engine.dialect.name != "sqlite":
        yield
        return
    state = request.app.state
    if getattr(state, "write_lock", None) is None:
        state.write_lock = Lock()
    async with state.write_lock:
        yield


async def write_turn(request: Request, matcher: ContextDep) -> AsyncIterator[None]:
    """A request that changes something takes its writer's turn (`sqlite_turn`) for its whole run."""
    if request.method in READING:
        yield
        return
    async with sqlite_turn(request, matcher):
        yield


async def write_later(request: Request, matcher: Context, func: Callable[[], T]) -> T:
    """Run `func` (a short write) in a thread in its writer's turn: for routes that compute long before they
    write (a plan), so the computing does not hold the turn."""
    async with sqlite_turn(request, matcher):
        return await to_thread.run_sync(func)


def get_session(
    matcher: ContextDep, request: Request, _turn: Annotated[None, Depends(write_turn)]
) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on any error. Requests that
    change something take the write lock at their first statement (so run slow work, like embedding, before)."""
    factory = matcher.sessions if request.method in READING else matcher.write_sessions
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    name: str
    role: str


def get_caller(
    matcher: ContextDep,
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
            have, want = ROLE_ZH.get(caller.role, caller.role), ROLE_ZH.get(needed, needed)
            raise ForbiddenError(f"当前账号（{have}）无权进行此操作，需要{want}权限")
        return caller

    return check


Viewer = Annotated[Caller, Depends(role("viewer"))]
Staff = Annotated[Caller, Depends(role("staff"))]
Admin = Annotated[Caller, Depends(role("admin"))]


def get_today() -> date:
    """Today's date, for what falls due (tests freeze it with `app.dependency_overrides[get_today]`)."""
    return date.today()


Today = Annotated[date, Depends(get_today)]


P = TypeVar("P")


def private(public: P, caller: Caller) -> P:
    """A public record as this caller may see it: contact data (personal) only for staff and admins."""
    if getattr(public, "contacts", None) and not allows(caller.role, "staff"):
        public.contacts = None  # type: ignore[attr-defined]
    return public


def audited(session: Session, caller: Caller, action: str, resource: str, **detail: object) -> None:
    audit.record(session, actor=caller.name, role=caller.role, action=action, resource=resource, detail=detail)
