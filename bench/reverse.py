"""Both sides of the market at scale: 成果找企业 latency, pairings and visit-plan solve time.

1. pairings for every enterprise of 2,000 open needs (`plan.service.pairings`) against 50k ChinaXiv outcomes;
2. reverse match latency for stored outcomes (needs and enterprises) and outcome text with 10,000 needs indexed;
3. the coverage solver on 200 needs × 500 institutions (20 candidates per need, institution popularity skewed
   as in real match tables), solve time, optimality and greedy's value beside it.

The workspace (ChinaXiv outcomes with synthetic experts, needs from bench.batch) is built once, not timed.
python -m bench.reverse --n 50000 --embedder use
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import numpy as np
from sqlalchemy import select

from bench.batch import OUT, attributed_outcomes, institutions_file, ranker_for, repeated_needs
from bench.stats import peak_rss_mb, percentiles, save_result, timed
from matcher.config import Settings
from matcher.match import forward, reverse
from matcher.plan import service
from matcher.plan.coverage import greedy, solve
from matcher.store.tables import Outcome
from matcher.workspace import data
from matcher.workspace.context import Context, open_context


def workspace(n: int, embedder: str) -> Context:
    home = OUT / f"ws-reverse-{n}-{embedder}"
    settings = Settings(home=home, embedder=embedder, model=str(ranker_for(embedder)), _env_file=None)  # type: ignore[call-arg]
    matcher = open_context(settings)
    if not (home / "index" / "params.json").exists():
        data.import_file(matcher, "institutions", institutions_file())
        data.import_file(matcher, "outcomes", attributed_outcomes(n))
    return matcher


def with_needs(matcher: Context, count: int) -> float:
    """Import `count` needs (ids shared with smaller counts) and rebuild the need index; the build's seconds."""
    data.import_file(matcher, "needs", repeated_needs(count))
    return data.build_index(matcher).seconds


def pairings_run(matcher: Context) -> dict[str, Any]:
    pairs, seconds = timed(lambda: service.pairings(matcher, top=5, min_degree=0.3))
    return {
        "needs": 2000,
        "pairs": len(pairs),
        "enterprises": len({p.enterprise for p in pairs}),
        "seconds": round(seconds, 1),
        "per_need_ms": round(1000 * seconds / 2000, 1),
    }


def _reverse_ms(matcher: Context, target: str, **probe: str) -> float:
    """End to end: build the probe (stored vector from the cache, or embed the text) and search."""
    start = time.perf_counter()
    reverse.reverse(matcher, reverse.probe(matcher, **probe), target=target)
    return (time.perf_counter() - start) * 1e3


def reverse_latency(matcher: Context, probes: int) -> dict[str, Any]:
    with matcher.session() as session:
        ids = list(session.scalars(select(Outcome.id)))
    chosen = random.Random(7).sample(ids, probes)
    found: dict[str, Any] = {}
    for target in ("needs", "enterprises"):
        _reverse_ms(matcher, target, outcome_id=chosen[0])  # warm
        found[f"stored_outcome_{target}"] = percentiles([_reverse_ms(matcher, target, outcome_id=o) for o in chosen])
    texts = [f"一种复合锆英粉铸造涂料，抗粘砂，提高铸件表面光洁度（{i}）" for i in range(20)]
    texts += [f"基于深度学习的动力电池热失控早期预警方法（{i}）" for i in range(20)]
    found["new_outcome_text_needs"] = percentiles([_reverse_ms(matcher, "needs", text=t) for t in texts])
    return found


def plan_instance(needs: int, institutions: int, per_need: int, seed: int) -> np.ndarray:
    """W with `per_need` candidates per need drawn with Zipf-like institution popularity, degrees 0.3–1."""
    rng = np.random.default_rng(seed)
    popularity = 1 / np.arange(1, institutions + 1) ** 0.8
    W = np.zeros((needs, institutions))
    for row in range(needs):
        cols = rng.choice(institutions, size=per_need, replace=False, p=popularity / popularity.sum())
        W[row, cols] = np.round(rng.uniform(0.3, 1.0, size=per_need), 3)
    return W


def plan_solve(k: int) -> dict[str, Any]:
    W = plan_instance(200, 500, 20, seed=1)
    cover, seconds = timed(lambda: solve(W, k))
    quick, greedy_seconds = timed(lambda: greedy(W, k))
    return {
        "needs": 200,
        "institutions": 500,
        "candidates_per_need": 20,
        "k": k,
        "seconds": round(seconds, 2),
        "optimal": cover.optimal,
        "value": round(cover.value, 3),
        "bound": cover.bound,
        "greedy_value": round(quick.value, 3),
        "greedy_seconds": round(greedy_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--embedder", default="use")
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()
    matcher = workspace(args.n, args.embedder)
    setup = {"first_build_outcomes_and_2000_needs_s": round(with_needs(matcher, 2000), 1)}
    forward.match(matcher, forward.text_query(matcher, "预热"), level="institution")
    pairs = pairings_run(matcher)
    setup["add_8000_needs_cached_vectors_s"] = round(with_needs(matcher, 10_000), 1)
    result = {
        "scenario": f"reverse-chinaxiv-{args.n}-{args.embedder}",
        "corpus": f"ChinaXiv paragraphs (first {args.n}), synthetic expert per preprint; needs from bench.batch",
        "embedder": matcher.embedder.name,
        "setup": setup,
        "pairings": pairs,
        "reverse": reverse_latency(matcher, args.probes),
        "plan": [plan_solve(k) for k in (5, 10)],
        "peak_rss_mb": peak_rss_mb(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    save_result(result)


if __name__ == "__main__":
    main()
