"""The reverse question (成果找企业) — which open needs, or which enterprises, does this outcome (an expert's or an
institution's outcomes, or outcome text) serve? — as one pipeline: probe → search the need index → open needs in
the region → allowed by the conflict rules (`open_needs.py`) → (re-ordered by the reverse ranker, where one is
served at the level) → need hits → (enterprises rolled up) → result.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np

from matcher.errors import IndexMissingError, InputError
from matcher.index.needs import NeedIndexes
from matcher.levels import ENTERPRISES, NEEDS, REVERSE, Level, level_of
from matcher.match import forward
from matcher.match.conflicts import ConflictRules, load_rules
from matcher.match.open_needs import NeedSelection, broken_rule, select_needs
from matcher.ranking.model import Ranker
from matcher.ranking.reverse.features import need_signals, reverse_features
from matcher.ranking.reverse.rerank import DEPTH, rerank_needs
from matcher.rollup.enterprises import by_best_need, enterprise_hits
from matcher.search.degree import Bands, uncalibrated_notice, weak_notice, with_degrees
from matcher.search.fusion import FusionParams
from matcher.search.needs import Found, search_needs
from matcher.search.probe import Probe, expert_probe, institution_probe, outcome_probe, text_probe
from matcher.search.results import NeedHit, ReverseResult
from matcher.search.vote import VoteParams
from matcher.store.tables import Need
from matcher.text.tokenize import Tokenizer
from matcher.workspace.context import Context
from matcher.workspace.snapshot import Loaded, Snapshot

EVIDENCE = 3
EXPERT_POOL = 100  # needs an enterprise roll-up reads
NO_OUTCOMES = "{label} 暂无成果：先导入其成果，才能据此查找需求"


def probe(
    ctx: Context,
    *,
    outcome_id: str | None = None,
    expert_id: str | None = None,
    institution: str | None = None,
    text: str | None = None,
    text_institution: str | None = None,
) -> Probe:
    """What looks for needs: exactly one of a stored outcome, an expert, an institution, or outcome text."""
    if sum(x is not None for x in (outcome_id, expert_id, institution, text)) != 1:
        raise InputError("请只填一项：成果编号、专家、单位或成果描述")
    kw: dict[str, Any] = {
        "encoder": ctx.embedder,
        "tokenizer": ctx.snapshot().tokenizer,
        "max_chars": ctx.settings.embed_max_chars,
    }
    if text is not None:
        return text_probe(text, institution=text_institution, **kw)
    with ctx.sessions() as session:
        if outcome_id is not None:
            return outcome_probe(session, outcome_id, **kw)
        if expert_id is not None:
            return expert_probe(session, expert_id, **kw)
        return institution_probe(session, institution or "", **kw)


def need_index(ctx: Context) -> NeedIndexes | None:
    """The need index served now, covering every need stored now (None: an index built before it existed)."""
    return ctx.needs_snapshot().indexes.needs


def reverse_ranker_at(snap: Snapshot, level: Level) -> Loaded[Ranker] | None:
    """The reverse ranker if one is served at `level` (its params.json `levels`, absent: both reverse levels): a
    shipped ranker that made a level worse on corpora it never saw is left out there (the fused vote ranks it)."""
    ranker = snap.ranker_for(level)
    return ranker if ranker and level.name in ranker.params.get("levels", [r.name for r in REVERSE]) else None


def need_features(snap: Snapshot, found_by: Probe, head: list[Found], needs: dict[int, Need]) -> np.ndarray:
    """The reverse ranker's feature rows of the candidate needs `head` for `found_by` (`ranking/reverse`)."""
    index = snap.indexes.needs
    assert index is not None  # a reverse question has a need index
    signals = need_signals(found_by, head, needs, index, snap.tokenizer)
    return reverse_features(signals, found_by, snap.tokenizer)


def reverse(
    ctx: Context, found_by: Probe, *, target: str | Level = "needs", top: int = 10, region: str | None = None
) -> ReverseResult:
    """The open needs (or enterprises) `found_by` serves best, conflicts removed, with evidence."""
    level = level_of(target, REVERSE)
    if not 1 <= top <= 1000:
        raise InputError("返回条数须在 1 到 1000 之间")
    if region is not None and not region.strip():
        raise InputError("地区不能为空；不限地区时请留空")
    if ctx.snapshot().indexes.needs is None:
        raise IndexMissingError("the index predates reverse matching (no need index); run `matcher index build`")
    with ctx.served.turn:
        snap = ctx.needs_snapshot()
        return _reverse(ctx, snap, found_by, level, top, region)


def _reverse(
    ctx: Context, snap: Snapshot, found_by: Probe, level: Level, top: int, region: str | None
) -> ReverseResult:
    s, started, index = ctx.settings, time.perf_counter(), snap.indexes.needs
    assert index is not None  # checked by `reverse`
    found = search_needs(found_by, index, depth=s.retrieve_depth, params=FusionParams.from_settings(s))
    with ctx.sessions() as session:
        rules = load_rules(session)
        selected = select_needs(session, NeedSelection(region=region, pks=tuple(f.pk for f in found)))
        needs = {n.pk: n for n in selected}
        kept, removed = keep_allowed(found, needs, found_by, rules)
        ranker = reverse_ranker_at(snap, level)
        if ranker and kept:
            kept = rerank_needs(ranker.model, need_features(snap, found_by, kept[:DEPTH], needs), kept[:DEPTH])
        shown = top if level is NEEDS else EXPERT_POOL
        hits: list[Any] = need_hits(kept, needs, found_by.keywords, snap.tokenizer, shown)
        votes, bands, ranked = VoteParams.from_settings(s), Bands.of(s), ranker is not None
        with_degrees(hits, NEEDS.key(ranked=ranked), lambda k, x: forward.calibrated(snap, k, x), bands, None)
        if level is ENTERPRISES:
            org_key = lambda name: org.key if (org := rules.org(name)) else None  # noqa: E731
            every = enterprise_hits(session, hits, org_key, votes, len(hits), by_rank=ranked)
            hits = by_best_need(every, top)
    weak = weak_notice(hits, bands) if found_by.parts else None
    notices = [NO_OUTCOMES.format(label=found_by.label)] if not found_by.parts else []
    notices += [n for n in (uncalibrated_notice(hits), weak) if n]
    return ReverseResult(
        target=level.name,
        probe=found_by.kind,
        label=found_by.label,
        probe_id=found_by.id,
        hits=hits,
        conflicts_removed=removed,
        notice="；".join(notices) or None,
        timings_ms={"reverse": round((time.perf_counter() - started) * 1e3, 2)},
        weak=weak is not None,
        scorer=f"ranker:{ranker.name}" if ranker else "fused",
    )


def keep_allowed(
    found: list[Found], needs: dict[int, Need], found_by: Probe, rules: ConflictRules
) -> tuple[list[Found], dict[str, int]]:
    """`found` restricted to selected needs no conflict rule rules out, and the count of removals by rule."""
    kept, removed = [], Counter[str]()
    for item in found:
        need = needs.get(item.pk)
        rule = broken_rule(need, found_by.owners, rules) if need else None
        if need and rule:
            removed[rule] += 1
        elif need:
            kept.append(item)
    return kept, dict(removed)


def need_hit(rank: int, item: Found, need: Need, keywords: list[str], tokenizer: Tokenizer) -> NeedHit:
    present = set(tokenizer.tokens(f"{need.title} {need.description}"))
    parts = sorted(item.parts, key=lambda p: p.rank)[:EVIDENCE]
    return NeedHit(
        rank=rank,
        id=need.id,
        title=need.title,
        organization=need.organization,
        region=need.region,
        field=need.field,
        score=round(item.score, 4),
        matched_terms=[k for k in keywords if k in present],
        evidence=parts,
    )


def need_hits(
    found: list[Found], needs: dict[int, Need], keywords: list[str], tokenizer: Tokenizer, top: int
) -> list[NeedHit]:
    return [need_hit(r, f, needs[f.pk], keywords, tokenizer) for r, f in enumerate(found[:top], 1)]
