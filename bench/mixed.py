"""A busy day on the service: concurrent staff clients mixing reads, matches of stored needs and of new text,
need creation, feedback, 成果找企业 (an outcome's needs), company–institution pairings for a region and visit plans
against a real server on loopback, bounded in clients and seconds. Afterwards the store is checked:
every write answered 2xx is there, and the audit log holds one row per write.

python -m bench.mixed --home .matcher --name demo [--clients 50] [--seconds 60] [--postgres]
(--postgres: the demo corpus is loaded into a throwaway database on 127.0.0.1:5432, dropped afterwards)
(the test suite runs the same workload, smaller, in tests/api/test_load.py)
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

from bench.stats import percentiles, save_result
from matcher.services.users import create_key
from matcher.store.tables import AuditEntry, Expert, Feedback, Need, PlanRecord
from matcher.store.tables import Outcome as OutcomeRow
from matcher.workspace.context import Context, open_context

OPS = ("read", "match-stored", "match-new", "create-need", "feedback", "reverse", "pairings", "create-plan")
WEIGHTS = (3, 2, 2, 2, 2, 2, 1, 1)
REGIONS = ("黑龙江", "辽宁", "重庆", "江苏", "浙江", "上海", "安徽")


@dataclass
class Outcome:
    """What the clients saw: per route latencies and statuses, and the writes the server confirmed."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    created: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    feedback: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: str, status: int, ms: float, created: str | None = None) -> None:
        with self.lock:
            self.latencies[op].append(ms)
            self.statuses[op][status] += 1
            if created and 200 <= status < 300:
                (self.plans if op == "create-plan" else self.created).append(created)
            if op == "feedback" and 200 <= status < 300:
                self.feedback += 1

    def server_errors(self) -> int:
        return sum(n for counts in self.statuses.values() for status, n in counts.items() if status >= 500)

    def summary(self, seconds: float) -> dict[str, Any]:
        total = sum(len(v) for v in self.latencies.values())
        return {
            "requests": total,
            "throughput_rps": round(total / seconds, 1),
            "server_errors": self.server_errors(),
            "writes_confirmed": len(self.created) + self.feedback + len(self.plans),
            "routes": {
                op: {**percentiles(ms), "statuses": dict(self.statuses[op])} for op, ms in self.latencies.items()
            },
        }


@dataclass(frozen=True)
class Workload:
    url: str
    key: str
    need_ids: list[str]
    expert_ids: list[str]
    outcome_ids: list[str]
    texts: list[str]
    run_id: str


def prepare(matcher: Context, url: str) -> Workload:
    """A staff key for this run and the stored needs, experts and texts the clients pick from."""
    run_id = f"L{time.time_ns() % 10**12}"
    with matcher.session(write=True) as session:
        key = create_key(session, name=f"load-{run_id}", role="staff")[1]
        needs = list(session.execute(select(Need.id, Need.title, Need.description).limit(200)))
        experts = list(session.scalars(select(Expert.id).limit(200)))
        outcomes = list(session.scalars(select(OutcomeRow.id).limit(200)))
    texts = [f"{title} {description}"[:300] for _, title, description in needs]
    return Workload(url, key, [n for n, _, _ in needs], experts, outcomes, texts, run_id)


def _request(client: httpx.Client, work: Workload, op: str, n: int, rng: random.Random) -> tuple[int, str | None]:
    headers = {"X-API-Key": work.key}
    need = rng.choice(work.need_ids)
    if op == "read":
        return client.get(f"{work.url}/needs", params={"limit": 20}, headers=headers).status_code, None
    if op == "match-stored":
        return client.get(f"{work.url}/needs/{need}/matches", params={"top": 10}, headers=headers).status_code, None
    if op == "match-new":
        body = {"text": f"（第{n}次）{rng.choice(work.texts)}", "level": "expert", "top": 10}
        return client.post(f"{work.url}/match", json=body, headers=headers).status_code, None
    if op == "create-need":
        new_id = f"{work.run_id}-{n}"
        body = {"id": new_id, "title": f"负载测试需求 {n}", "description": rng.choice(work.texts)}
        return client.post(f"{work.url}/needs", json=body, headers=headers).status_code, new_id
    if op == "reverse":
        url = f"{work.url}/outcomes/{rng.choice(work.outcome_ids)}/matches"
        return client.get(url, params={"for": rng.choice(("needs", "enterprises"))}, headers=headers).status_code, None
    if op == "pairings":
        return client.get(
            f"{work.url}/pairings", params={"region": rng.choice(REGIONS)}, headers=headers
        ).status_code, None
    if op == "create-plan":
        body = {"kind": "visit", "region": rng.choice(REGIONS), "k": 2, "min_degree": 0}
        got = client.post(f"{work.url}/plans", json=body, headers=headers)
        return got.status_code, got.json().get("id") if got.status_code == 201 else None
    body = {"level": "expert", "target_id": rng.choice(work.expert_ids), "stage": "contacted"}
    return client.post(f"{work.url}/needs/{need}/feedback", json=body, headers=headers).status_code, None


def drive(work: Workload, *, clients: int, seconds: float, seed: int = 0) -> tuple[Outcome, float]:
    """`clients` threads issue requests until `seconds` have passed; connection errors count as status 599."""
    outcome, counter = Outcome(), iter(range(10**9))
    deadline = time.monotonic() + seconds

    def client_loop(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < deadline:
                op, n = rng.choices(OPS, WEIGHTS)[0], next(counter)
                start = time.perf_counter()
                try:
                    status, created = _request(client, work, op, n, rng)
                except httpx.HTTPError:
                    status, created = 599, None
                outcome.add(op, status, (time.perf_counter() - start) * 1e3, created)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client_loop, range(clients)))
    return outcome, time.perf_counter() - started


def check_store(matcher: Context, work: Workload, outcome: Outcome) -> dict[str, int]:
    """Confirmed writes found in the store, and audit rows written by this run's key."""
    actor = f"load-{work.run_id}"
    with matcher.session() as session:
        found = set(session.scalars(select(Need.id).where(Need.id.in_(outcome.created))))
        feedback = session.scalar(select(func.count()).where(Feedback.created_by == actor)) or 0
        plans = session.scalar(select(func.count()).where(PlanRecord.id.in_(outcome.plans))) or 0
        audit = session.scalar(select(func.count()).where(AuditEntry.actor == actor)) or 0
    return {
        "needs_confirmed": len(outcome.created),
        "needs_found": len(found),
        "feedback_confirmed": outcome.feedback,
        "feedback_found": feedback,
        "plans_confirmed": len(outcome.plans),
        "plans_found": plans,
        "audit_rows": audit,
    }


@contextmanager
def demo_on_postgres(home: Path) -> Iterator[str]:
    """A throwaway PostgreSQL database holding the demo corpus (workspace files in `home`)."""
    admin_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    name = f"matcher_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        env = {**os.environ, "MATCHER_DATABASE_URL": url}
        subprocess.run([sys.executable, "-m", "matcher.cli.app", "--home", str(home), "demo"], check=True, env=env)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def measure(home: Path, name: str, embedder: str, url: str | None, clients: int, seconds: float) -> dict[str, Any]:
    from bench.load import _port, _start
    from matcher.config import Settings

    settings = Settings(home=home, embedder=embedder, database_url=url, _env_file=None)  # type: ignore[call-arg]
    matcher, port = open_context(settings), _port()
    work = prepare(matcher, f"http://127.0.0.1:{port}")
    proc = _start(home, embedder, port, database_url=url)
    try:
        outcome, elapsed = drive(work, clients=clients, seconds=seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {
        "scenario": f"mixed-{name}",
        "embedder": embedder,
        "database": "postgresql" if url else "sqlite",
        "clients": clients,
        "seconds": round(elapsed, 1),
        **outcome.summary(elapsed),
        "store": check_store(matcher, work, outcome),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> None:

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--embedder", default="e5")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if args.postgres:
        with demo_on_postgres(args.home) as url:
            result = measure(args.home, args.name, args.embedder, url, args.clients, args.seconds)
    else:
        result = measure(args.home, args.name, args.embedder, None, args.clients, args.seconds)
    save_result(result)


if __name__ == "__main__":
    main()
