"""Reverse matching (成果找企业): the open needs, or the enterprises behind them, that a probe's outcomes serve.

Each outcome of the probe retrieves needs the way a need retrieves outcomes (BM25 + dense, fused by RRF, over
the need index); a need's score is Σ 1/√rank over the probe's outcomes that found it (one outcome: the fused
order). Needs whose pairing breaks a batch-run conflict rule for every owner of the probe are removed and
counted. Enterprises are rolled up from their needs with the experts' vote (best `depth` needs, decaying).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.conflicts import ConflictRules
from matcher.index.needs import NeedIndexes
from matcher.search.probe import Probe
from matcher.search.results import EnterpriseHit, NeedHit, PartHit
from matcher.search.retrieve import FusionParams, fuse, vote_weight
from matcher.search.rollup import VoteParams
from matcher.store.tables import Institution, Need
from matcher.tokenize import Tokenizer

TARGETS = ("needs", "enterprises")
EVIDENCE = 3


@dataclass
class Found:
    """A need some of the probe's outcomes retrieved: pk, score, and which outcomes at which rank."""

    pk: int
    score: float
    parts: list[PartHit]


def search_needs(probe: Probe, needs: NeedIndexes, *, depth: int, params: FusionParams) -> list[Found]:
    """Every need any part retrieved, best first (ties by pk)."""
    found: dict[int, list[PartHit]] = defaultdict(list)
    for part in probe.parts:
        fused = fuse(needs.lexical.search(part.terms, depth), needs.dense.search(part.vector, depth), params)
        for rank, (pk, comp) in enumerate(fused, 1):
            found[pk].append(PartHit(part.outcome_id, part.title, rank, comp))
    scored = [Found(pk, float(sum(vote_weight(p.rank) for p in parts)), parts) for pk, parts in found.items()]
    return sorted(scored, key=lambda f: (-f.score, f.pk))


def open_needs(session: Session, pks: list[int], region: str | None) -> dict[int, Need]:
    """The open needs among `pks` (in `region` when given), by pk."""
    query = select(Need).where(Need.pk.in_(pks), Need.status == "open")
    if region:
        query = query.where(Need.region == region)
    return {n.pk: n for n in session.scalars(query)}


def conflict(need: Need, probe: Probe, rules: ConflictRules) -> str | None:
    """The rule that rules `need` out: the first owner's, when every owner of the probe breaks one."""
    broken = [
        rules.check_owner(need, institution=o.institution, expert_pk=o.expert_pk, expert_id=o.expert_id)
        for o in probe.owners
    ]
    return broken[0] if broken and all(broken) else None


def keep_allowed(
    found: list[Found], needs: dict[int, Need], probe: Probe, rules: ConflictRules
) -> tuple[list[Found], dict[str, int]]:
    """`found` restricted to loaded needs without a conflict, and the count of removals by rule."""
    kept, removed = [], Counter[str]()
    for item in found:
        need = needs.get(item.pk)
        rule = conflict(need, probe, rules) if need else None
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


def enterprise_vote(scores: list[float], params: VoteParams) -> float:
    """Σ decay^i · score_i over the best `depth` need scores (sorted here)."""
    ranked = sorted(scores, reverse=True)[: params.depth]
    return float(sum(s * params.decay**i for i, s in enumerate(ranked)))


def group_by_enterprise(hits: list[NeedHit], rules: ConflictRules) -> dict[str, list[NeedHit]]:
    """Organisation key (aliases folded) → its needs among `hits`, in hit order; needs with no organisation
    are left out."""
    groups: dict[str, list[NeedHit]] = defaultdict(list)
    for hit in hits:
        org = rules.org(hit.organization)
        if org:
            groups[org.key].append(hit)
    return groups


def enterprise_hits(
    session: Session, hits: list[NeedHit], rules: ConflictRules, params: VoteParams, top: int
) -> list[EnterpriseHit]:
    """Enterprises by vote over their needs, best first (ties by name); stored institution rows give type,
    region and group, else the needs' own organisation name and most common region."""
    groups = group_by_enterprise(hits, rules)
    stored = {i.key: i for i in session.scalars(select(Institution).where(Institution.key.in_(list(groups))))}
    rows = []
    for key, needs in groups.items():
        inst = stored.get(key)
        regions = Counter(n.region for n in needs if n.region)
        rows.append(
            EnterpriseHit(
                rank=0,
                name=inst.name if inst else (needs[0].organization or key),
                type=inst.type if inst else None,
                region=(inst.region if inst else None) or (regions.most_common(1)[0][0] if regions else None),
                group=inst.group if inst else None,
                score=round(enterprise_vote([n.score for n in needs], params), 4),
                n_needs=len(needs),
                matched_terms=list(dict.fromkeys(t for n in needs[:EVIDENCE] for t in n.matched_terms)),
                evidence=needs[:EVIDENCE],
            )
        )
    rows.sort(key=lambda e: (-e.score, e.name))
    for rank, row in enumerate(rows[:top], 1):
        row.rank = rank
    return rows[:top]
