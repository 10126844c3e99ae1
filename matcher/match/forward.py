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
from matcher.levels import EXPERT, FORWARD, OUTCOME, Level, level_of
from matcher.ranking.expert.features import DEFAULT_POOL, ExpertCandidates, expert_candidates
from matcher.ranking.expert.pool import PoolParams
from matcher.ranking.expert.rerank import rerank_hits
from matcher.ranking.model import Ranker
from matcher.ranking.outcome.features import Candidates, pair_features
from matcher.ranking.outcome.rerank import rerank
from matcher.records import NeedRecord
from matcher.rollup.explain import explain
from matcher.rollup.vote import expert_hits, roll_up
from matcher.search.competition import own_needs, rival_cosines
from matcher.search.degree import Bands, uncalibrated_notice, weak_notice, with_degrees
from matcher.search.fusion import vote_weight
from matcher.search.query import Query, build_query, checked_text, need_texts
from matcher.search.results import ExpertHit, MatchResult, Scored, evidence_outcomes
from matcher.search.retrieve import retrieve_from
from matcher.search.vote import VoteParams
from matcher.services.feedback import rejected_for, track_record
from matcher.store.tables import Need
from matcher.store.views import OutcomeInfo, load_outcomes, outcome_texts
from matcher.workspace.context import Context
from matcher.workspace.snapshot import Loaded, Snapshot

STAGES = ("retrieve", "load", "rank", "rollup")


# -- the need as a query ------------------------------------------------------------------------------------
def query_of(ctx: Context, need: Need | None, *, title: str = "", description: str = "") -> Query:
    """A stored need (its row, read once by the caller) or ad-hoc text as a query: tokens, keywords, vectors."""
    return build_query(
        need.title if need else title,
        need.description if need else description,
        tokenizer=ctx.snapshot().tokenizer,
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
def candidates(ctx: Context, query: Query, snap: Snapshot | None = None) -> list[Scored]:
    """Fused BM25 + dense candidates, best first, each with its vote weight."""
    fused = retrieve_from(query, (snap or ctx.snapshot()).indexes, ctx.settings)
    return [Scored(pk, float(vote_weight(rank)), comp) for rank, (pk, comp) in enumerate(fused, 1)]


def signals(ctx: Context, query: Query, pks: list[int], snap: Snapshot | None = None) -> Candidates:
    """Exact BM25 and cosine scores of the given outcomes for `query` (whether retrieved or not)."""
    idx = (snap or ctx.snapshot()).indexes
    vectors = idx.dense.vectors(pks)
    dense = vectors @ query.vector
    title = dense if query.title_vector is None else vectors @ query.title_vector
    needs = idx.needs.dense if idx.needs else None
    rivals = rival_cosines(needs, vectors, own_needs(needs, query.vector))
    return Candidates(pks, idx.lexical.score_pks(query.terms, pks), dense, title, rivals, vectors)


def outcome_features(
    ctx: Context,
    query: Query,
    pks: list[int],
    infos: dict[int, OutcomeInfo] | None = None,
    snap: Snapshot | None = None,
) -> tuple[np.ndarray, dict[int, OutcomeInfo]]:
    """Feature matrix of (query, outcome) pairs in `pks` order (outcomes not in the store left out), and the
    outcomes' info."""
    snap = snap or ctx.snapshot()
    with ctx.sessions() as session:
        infos = infos if infos is not None else load_outcomes(session, pks)
        record = track_record(session)
    pks = [pk for pk in pks if pk in infos]
    s = signals(ctx, query, pks, snap)
    return pair_features(query, s, infos, snap.tokenizer, track_record=record, rrf_k=ctx.settings.rrf_k), infos


def expert_pool(
    ctx: Context,
    query: Query,
    fused: list[Scored] | None = None,
    *,
    pool: PoolParams = DEFAULT_POOL,
    snap: Snapshot | None = None,
) -> ExpertCandidates:
    """The expert ranker's pool for `query` with its feature rows (`ranking/expert/pool.py`)."""
    snap = snap or ctx.snapshot()
    fused = fused if fused is not None else candidates(ctx, query, snap)
    sizes = snap.institution_sizes
    with ctx.sessions() as session:
        return expert_candidates(query, fused, indexes=snap.indexes, session=session, sizes=sizes, pool=pool)


# -- the question ---------------------------------------------------------------------------------------------
def scorer_label(ranker: Loaded[Ranker] | None, experts: Loaded[Ranker] | None) -> str:
    """What ranked a result: `fused`, `ranker:NAME`, and `+experts:NAME` when the expert ranker re-ordered it."""
    name = f"ranker:{ranker.name}" if ranker else "fused"
    return f"{name}+experts:{experts.name}" if experts else name


def score_kind(result: MatchResult) -> str:
    """The 匹配度 map a result's hits went through (`Level.key`)."""
    level = level_of(result.level)
    ranked = result.expert_ranked if level is EXPERT else result.scorer.startswith("ranker")
    return level.key(ranked=ranked)


def ranker_at(ranker: Loaded[Ranker] | None, level: Level) -> Loaded[Ranker] | None:
    """The outcome ranker if it is served at `level` (its params.json `levels`; absent: every level): a shipped
    ranker that made a level worse on corpora it never saw is left out there (fused retrieval ranks it)."""
    return ranker if ranker and level.name in ranker.params.get("levels", [f.name for f in FORWARD]) else None


def calibrated(snap: Snapshot, key: str, scores: np.ndarray) -> np.ndarray | None:
    """Probabilities of relevance for served scores of `key` through the snapshot's map for it; None without a
    map (the hits then show no 匹配度: never the raw score in its place)."""
    return snap.calibration.probabilities(key, scores)


def served_ranker(ctx: Context, level: Level) -> tuple[Loaded[Ranker] | None, list[str]]:
    """The ranker served for `level` now (None: none), and why a ranker is not used."""
    snap = ctx.snapshot()
    return snap.ranker_for(level), snap.notices(level)


def served_probabilities(ctx: Context, key: str, scores: np.ndarray) -> np.ndarray | None:
    """`calibrated` through the maps served now (an evaluation's "as shipped" figures)."""
    return calibrated(ctx.snapshot(), key, scores)


def match(ctx: Context, query: Query, *, level: str | Level = "expert", top: int = 10) -> MatchResult:
    """The `top` experts, institutions or outcomes for `query`, best first, with evidence."""
    spec = level_of(level, FORWARD)
    if not 1 <= top <= 1000:
        raise InputError("返回条数须在 1 到 1000 之间")
    snap = ctx.snapshot()
    with ctx.served.turn:
        return _match(ctx, snap, query, spec, top)


def _match(ctx: Context, snap: Snapshot, query: Query, level: Level, top: int) -> MatchResult:
    s, clock = ctx.settings, [time.perf_counter()]
    rejected = _rejected(ctx, query, level)
    shown, top = top, top + len(rejected)  # a target marked 不合适 leaves the list: rank enough to fill it
    items = fused = candidates(ctx, query, snap)
    clock.append(time.perf_counter())
    ranker = ranker_at(snap.ranker, level)
    needed = items[: s.rerank_depth if ranker else top] if not level.votes else items
    with ctx.sessions() as session:
        infos = load_outcomes(session, [i.pk for i in needed])
    clock.append(time.perf_counter())
    reasons: dict[int, list[dict[str, Any]]] = {}
    head = [i for i in items[: s.rerank_depth] if i.pk in infos] if ranker else []
    if ranker and head:
        X, _ = outcome_features(ctx, query, [i.pk for i in head], infos, snap)
        items, reasons = rerank(ranker.model, X, head)
    clock.append(time.perf_counter())
    experts = snap.ranker_for(level) if level is EXPERT else None
    params = VoteParams.from_settings(s)
    if experts:
        hits = _ranked_experts(ctx, snap, query, items, fused, infos, experts.model, params)[:top]
    else:
        hits = roll_up(level, items, infos, query.keywords, top, params)
    hits, excluded = _without(hits, rejected, shown)
    ranked = experts is not None if level is EXPERT else ranker is not None
    key, bands = level.key(ranked=ranked), Bands.of(s)
    evidence_key = OUTCOME.key(ranked=ranker is not None)
    with_degrees(hits, key, lambda k, x: calibrated(snap, k, x), bands, evidence_key)
    pk_of = {info.id: pk for pk, info in infos.items()}
    for shown_outcome in evidence_outcomes(hits):
        shown_outcome.reasons = reasons.get(pk_of.get(shown_outcome.id, -1), [])
    with ctx.sessions() as session:
        texts = outcome_texts(session, [o.id for o in evidence_outcomes(hits)])
    for hit in hits:
        explain(hit, query.keywords, texts, snap.tokenizer)
    clock.append(time.perf_counter())
    weak, unmapped = weak_notice(hits, bands), uncalibrated_notice(hits)
    notices = [*snap.notices(level), *(n for n in (unmapped, weak) if n)]
    return MatchResult(
        level=level.name,
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


def _rejected(ctx: Context, query: Query, level: Level) -> dict[str, str]:
    if query.need_id is None:
        return {}
    with ctx.sessions() as session:
        return rejected_for(session, need_id=query.need_id, level=level.name)


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
    snap: Snapshot,
    query: Query,
    items: list[Scored],
    fused: list[Scored],
    infos: dict[int, OutcomeInfo],
    model: Ranker,
    params: VoteParams,
) -> list[ExpertHit]:
    """The expert pool (vote, deeper dense search, profile BM25) rolled up with its evidence and ordered by the
    expert ranker; `infos` gains the pool's outcomes the roll-up had not loaded."""
    found = expert_pool(ctx, query, fused, snap=snap)
    seen = {i.pk for i in items}
    extra = [x for x in found.extra if x.pk not in seen]
    with ctx.sessions() as session:
        infos.update(load_outcomes(session, [x.pk for x in extra if x.pk not in infos]))
    every = [i for i in items + extra if i.pk in infos]
    owners = sum(len(infos[i.pk].experts) for i in every)
    return rerank_hits(expert_hits(every, infos, query.keywords, owners, params), found, model)
