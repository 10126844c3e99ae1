"""The forward question — which experts, institutions or outcomes answer this need? — as one pipeline, straight
down: query → retrieve (BM25 + dense, fused) → load → rank (outcome ranker) → roll up → rank experts (expert
ranker) → 匹配度 → result with evidence and timings.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sqlalchemy import select

from matcher.errors import InputError, NotFoundError
from matcher.ranking.expert.features import DEFAULT_POOL, ExpertCandidates, expert_candidates, institution_sizes
from matcher.ranking.expert.pool import PoolParams
from matcher.ranking.expert.rerank import rerank_hits
from matcher.ranking.model import Ranker
from matcher.ranking.outcome.features import Candidates, pair_features
from matcher.ranking.outcome.rerank import rerank
from matcher.records import NeedRecord
from matcher.rollup.explain import explain
from matcher.rollup.vote import VoteParams, expert_hits, roll_up
from matcher.search.competition import own_needs, rival_cosines
from matcher.search.degree import Bands, uncalibrated_notice, weak_notice, with_degrees
from matcher.search.fusion import vote_weight
from matcher.search.query import Query, build_query, checked_text, need_texts
from matcher.search.results import LEVELS, ExpertHit, MatchResult, Scored, evidence_outcomes
from matcher.search.retrieve import retrieve_from
from matcher.services.feedback import rejected_for, track_record
from matcher.store.tables import Need
from matcher.store.views import OutcomeInfo, load_outcomes, outcome_texts
from matcher.workspace.context import Context
from matcher.workspace.served import Loaded

STAGES = ("retrieve", "load", "rank", "rollup")


# -- the need as a query ------------------------------------------------------------------------------------
def query_of(ctx: Context, need: Need | None, *, title: str = "", description: str = "") -> Query:
    """A stored need (its row, read once by the caller) or ad-hoc text as a query: tokens, keywords, vectors."""
    return build_query(
        need.title if need else title,
        need.description if need else description,
        tokenizer=ctx.indexes.tokenizer,
        encoder=ctx.embedder,
        max_chars=ctx.settings.embed_max_chars,
        need=need,
    )


def need_query(ctx: Context, need_id: str) -> Query:
    with ctx.sessions() as session:
        need = session.scalar(select(Need).where(Need.id == need_id))
    if need is None:
        raise NotFoundError(f"找不到需求（编号 {need_id}）")
    return query_of(ctx, need)


def text_query(ctx: Context, text: str) -> Query:
    return query_of(ctx, None, title=checked_text(text))


def embed_needs(ctx: Context, records: list[NeedRecord]) -> None:
    """Store need embeddings (full text and title alone) at import, so matching never waits for the model."""
    max_chars = ctx.settings.embed_max_chars
    ctx.embedder.encode_queries([t for r in records for t in need_texts(r.title, r.description, max_chars)])


# -- retrieve and rank ----------------------------------------------------------------------------------------
def candidates(ctx: Context, query: Query) -> list[Scored]:
    """Fused BM25 + dense candidates, best first, each with its vote weight."""
    fused = retrieve_from(query, ctx.indexes, ctx.settings)
    return [Scored(pk, float(vote_weight(rank)), comp) for rank, (pk, comp) in enumerate(fused, 1)]


def signals(ctx: Context, query: Query, pks: list[int]) -> Candidates:
    """Exact BM25 and cosine scores of the given outcomes for `query` (whether retrieved or not)."""
    idx = ctx.indexes
    vectors = idx.dense.vectors(pks)
    dense = vectors @ query.vector
    title = dense if query.title_vector is None else vectors @ query.title_vector
    needs = idx.needs.dense if idx.needs else None
    rivals = rival_cosines(needs, vectors, own_needs(needs, query.vector))
    return Candidates(pks, idx.lexical.score_pks(query.terms, pks), dense, title, rivals, vectors)


def outcome_features(
    ctx: Context, query: Query, pks: list[int], infos: dict[int, OutcomeInfo] | None = None
) -> tuple[np.ndarray, dict[int, OutcomeInfo]]:
    """Feature matrix of (query, outcome) pairs in `pks` order (outcomes not in the store left out), and the
    outcomes' info."""
    with ctx.sessions() as session:
        infos = infos if infos is not None else load_outcomes(session, pks)
        record = track_record(session)
    pks = [pk for pk in pks if pk in infos]
    s = signals(ctx, query, pks)
    return pair_features(query, s, infos, ctx.indexes.tokenizer, track_record=record, rrf_k=ctx.settings.rrf_k), infos


def expert_pool(
    ctx: Context, query: Query, fused: list[Scored] | None = None, *, pool: PoolParams = DEFAULT_POOL
) -> ExpertCandidates:
    """The expert ranker's pool for `query` with its feature rows (`ranking/expert/pool.py`)."""
    idx = ctx.indexes
    with ctx.sessions() as session:
        if idx.institution_sizes is None:  # cached with the indexes they were counted for
            idx.institution_sizes = institution_sizes(session)
        fused = fused if fused is not None else candidates(ctx, query)
        return expert_candidates(query, fused, indexes=idx, session=session, sizes=idx.institution_sizes, pool=pool)


# -- the question ---------------------------------------------------------------------------------------------
def ranker_at(ranker: Loaded[Ranker] | None, level: str) -> Loaded[Ranker] | None:
    """The outcome ranker if it is served at `level` (its params.json `levels`; absent: every level): a shipped
    ranker that made a level worse on corpora it never saw is left out there (fused retrieval ranks it)."""
    return ranker if ranker and level in ranker.params.get("levels", LEVELS) else None


def scorer_label(ranker: Loaded[Ranker] | None, experts: Loaded[Ranker] | None) -> str:
    """What ranked a result: `fused`, `ranker:NAME`, and `+experts:NAME` when the expert ranker re-ordered it."""
    name = f"ranker:{ranker.name}" if ranker else "fused"
    return f"{name}+experts:{experts.name}" if experts else name


def score_key(level: str, ranked: bool, experts_ranked: bool = False) -> str:
    """Which calibration a hit's served score goes through: `outcome:ranker` (the outcome ranker's probability),
    `outcome:fused` (the fused list's vote weight), `expert:ranker`, or `expert:vote` / `institution:vote` (the
    roll-up's vote)."""
    if level == "outcome":
        return "outcome:ranker" if ranked else "outcome:fused"
    return "expert:ranker" if level == "expert" and experts_ranked else f"{level}:vote"


def score_kind(result: MatchResult) -> str:
    return score_key(result.level, result.scorer.startswith("ranker"), result.expert_ranked)


def calibrated(ctx: Context, key: str, scores: np.ndarray) -> np.ndarray | None:
    """Probabilities of relevance for served scores of `key` through the workspace's map for it; None without a
    map (the hits then show no 匹配度: never the raw score in its place)."""
    return ctx.served.calibration.probabilities(key, scores)


def match(ctx: Context, query: Query, *, level: str = "expert", top: int = 10) -> MatchResult:
    """The `top` experts, institutions or outcomes for `query`, best first, with evidence."""
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    if not 1 <= top <= 1000:
        raise InputError("返回条数须在 1 到 1000 之间")
    with ctx.match_lock:
        return _match(ctx, query, level, top)


def _match(ctx: Context, query: Query, level: str, top: int) -> MatchResult:
    s, clock = ctx.settings, [time.perf_counter()]
    rejected = _rejected(ctx, query, level)
    shown, top = top, top + len(rejected)  # a target marked 不合适 leaves the list: rank enough to fill it
    items = fused = candidates(ctx, query)
    clock.append(time.perf_counter())
    ranker = ranker_at(ctx.ranker, level)
    needed = items[: s.rerank_depth if ranker else top] if level == "outcome" else items
    with ctx.sessions() as session:
        infos = load_outcomes(session, [i.pk for i in needed])
    clock.append(time.perf_counter())
    reasons: dict[int, list[dict[str, Any]]] = {}
    head = [i for i in items[: s.rerank_depth] if i.pk in infos] if ranker else []
    if ranker and head:
        X, _ = outcome_features(ctx, query, [i.pk for i in head], infos)
        items, reasons = rerank(ranker.model, X, head)
    clock.append(time.perf_counter())
    experts = ctx.expert_ranker if level == "expert" else None
    params = VoteParams.from_settings(s)
    if experts:
        hits = _ranked_experts(ctx, query, items, fused, infos, experts.model, params)[:top]
    else:
        hits = roll_up(level, items, infos, query.keywords, top, params)
    hits, excluded = _without(hits, rejected, shown)
    key, bands = score_key(level, ranker is not None, experts is not None), Bands.of(s)
    with_degrees(hits, key, lambda k, x: calibrated(ctx, k, x), bands, score_key("outcome", ranker is not None))
    pk_of = {info.id: pk for pk, info in infos.items()}
    for shown_outcome in evidence_outcomes(hits):
        shown_outcome.reasons = reasons.get(pk_of.get(shown_outcome.id, -1), [])
    with ctx.sessions() as session:
        texts = outcome_texts(session, [o.id for o in evidence_outcomes(hits)])
    for hit in hits:
        explain(hit, query.keywords, texts, ctx.indexes.tokenizer)
    clock.append(time.perf_counter())
    weak, unmapped = weak_notice(hits, bands), uncalibrated_notice(hits)
    notices = [*ctx.served.notices(experts=level == "expert"), *(n for n in (unmapped, weak) if n)]
    return MatchResult(
        level=level,
        query=query.text[:200],
        need_id=query.need_id,
        scorer=scorer_label(ranker, experts),
        hits=hits,
        notice="；".join(notices) or None,
        timings_ms={k: round((b - a) * 1e3, 2) for k, a, b in zip(STAGES, clock[:-1], clock[1:], strict=True)},
        expert_ranked=experts is not None,
        weak=weak is not None,
        excluded=excluded,
    )


def _rejected(ctx: Context, query: Query, level: str) -> dict[str, str]:
    if query.need_id is None:
        return {}
    with ctx.sessions() as session:
        return rejected_for(session, need_id=query.need_id, level=level)


def _without(hits: list[Any], rejected: dict[str, str], top: int) -> tuple[list[Any], list[dict[str, Any]]]:
    """`hits` without the targets staff marked 不合适 for this need (re-ranked, cut at `top`), and those, with the
    reason staff gave."""
    kept = [h for h in hits if h.id not in rejected][:top]
    for rank, hit in enumerate(kept, 1):
        hit.rank = rank
    gone = [{"id": h.id, "name": getattr(h, "name", None) or h.title, "reason": rejected[h.id]} for h in hits
            if h.id in rejected]  # fmt: skip
    return kept, gone


def _ranked_experts(
    ctx: Context,
    query: Query,
    items: list[Scored],
    fused: list[Scored],
    infos: dict[int, OutcomeInfo],
    model: Ranker,
    params: VoteParams,
) -> list[ExpertHit]:
    """The expert pool (vote, deeper dense search, profile BM25) rolled up with its evidence and ordered by the
    expert ranker; `infos` gains the pool's outcomes the roll-up had not loaded."""
    found = expert_pool(ctx, query, fused)
    seen = {i.pk for i in items}
    extra = [x for x in found.extra if x.pk not in seen]
    with ctx.sessions() as session:
        infos.update(load_outcomes(session, [x.pk for x in extra if x.pk not in infos]))
    every = [i for i in items + extra if i.pk in infos]
    owners = sum(len(infos[i.pk].experts) for i in every)
    return rerank_hits(expert_hits(every, infos, query.keywords, owners, params), found, model)
