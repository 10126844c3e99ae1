"""Score one need of a batch run: its conflict-free ranked experts (`match/open_needs.py`) as candidate rows, each
with its 匹配度 (0–100) and evidence, stored with the need marked scored in one transaction. The single process
(`pipeline.py`) and Ray tasks (`ray_score.py`) both score needs here."""

from __future__ import annotations

import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.assign.params import BatchParams
from matcher.match.conflicts import ConflictRules
from matcher.match.open_needs import Matched, match_need
from matcher.search.degree import Bands
from matcher.search.results import ExpertHit
from matcher.store.db import transaction
from matcher.store.tables import Expert, MatchRun, Need, RunCandidate, RunNeed, utcnow
from matcher.workspace.context import Context

EVIDENCE = 3
WEAK = "weak"  # the count of 弱匹配 hits a need had, beside the conflict rules' counts


def same_region(need: Need, expert: Expert) -> bool:
    theirs = expert.region or (expert.institution.region if expert.institution else None)
    return bool(need.region and theirs and need.region.strip() == theirs.strip())


def evidence(hit: ExpertHit, scorer: str) -> dict[str, object]:
    return {
        "engine_rank": hit.rank,
        "scorer": scorer,
        "terms": hit.matched_terms[:8],
        "outcomes": [{"id": o.id, "title": o.title[:120], "score": o.score} for o in hit.evidence[:EVIDENCE]],
    }


def candidate_rows(session: Session, *, run_pk: int, matched: Matched, bands: Bands) -> tuple[list[RunCandidate], int]:
    """Candidate rows (not yet added to the session) from a need's expert hits, and how many were 弱匹配 (never
    candidates). Conflict-free hits at or above the weak line are the solver's candidates; hits a conflict rule
    removed are kept as rows marked `left_out` (with the rule), so the run can say who was left out and why."""
    hits = [(h, None) for h in matched.kept] + [(h, rule) for h, rule in matched.left_out]
    ids = [h.id for h, _ in hits]
    experts = {e.id: e for e in session.scalars(select(Expert).where(Expert.id.in_(ids)))}
    rows: list[RunCandidate] = []
    weak = 0
    for hit, rule in hits:
        expert = experts.get(hit.id)
        if expert is None:  # deleted since it was matched
            continue
        if not bands.proposable(hit.degree):
            weak += rule is None
            continue
        rows.append(
            RunCandidate(
                run_pk=run_pk,
                need_pk=matched.need.pk,
                expert_pk=expert.pk,
                rank=len(rows) + 1,
                score=hit.degree,
                same_region=same_region(matched.need, expert),
                evidence={**evidence(hit, matched.result.scorer), **({"left_out": rule} if rule else {})},
            )
        )
    return rows, weak


def cancelled(ctx: Context, run_pk: int) -> bool:
    with ctx.sessions() as session:
        return session.scalar(select(MatchRun.status).where(MatchRun.pk == run_pk)) == "cancelled"


def score_one(ctx: Context, run_pk: int, need_pk: int, rules: ConflictRules, params: BatchParams) -> None:
    """Match one need (read once; no database connection held while matching), then store its candidates and
    mark it scored in one transaction."""
    start = time.perf_counter()
    with ctx.sessions() as session:
        need = session.get(Need, need_pk)
    matched = match_need(ctx, need, rules, level="expert", top=params.candidates) if need else None
    with transaction(ctx.sessions) as session:
        done = update(RunNeed).where(RunNeed.run_pk == run_pk, RunNeed.need_pk == need_pk)
        if matched is None or session.get(Need, need_pk) is None:  # deleted meanwhile: nothing to propose
            session.execute(done.values(status="scored"))
            return
        rows, weak = candidate_rows(session, run_pk=run_pk, matched=matched, bands=Bands.of(ctx.settings))
        session.add_all(rows)
        session.execute(
            done.values(
                status="scored",
                candidates=sum(1 for r in rows if "left_out" not in r.evidence),
                conflicts={**matched.removed, **({WEAK: weak} if weak else {})},
                seconds=time.perf_counter() - start,
            )
        )
        session.execute(update(MatchRun).where(MatchRun.pk == run_pk).values(updated_at=utcnow()))


def who(expert: Expert) -> dict[str, str | None]:
    """The expert as proposed — kept in the run's record, so deleting the person or the institution later leaves
    the finished run readable and exportable as it was."""
    inst = expert.institution
    return {"name": expert.name, "title": expert.title, "institution": inst.name if inst else None,
            "region": expert.region or (inst.region if inst else None)}  # fmt: skip
