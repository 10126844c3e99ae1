"""The ORM tables. Every public record has a string `id` (the import format's) and an integer `pk`.

The integer pk of an outcome is also its id inside the FAISS index, so it never changes once assigned.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class Institution(Base):
    __tablename__ = "institutions"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True, doc="institution_key(name)")
    type: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(50))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    group: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Expert(Base):
    __tablename__ = "experts"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    institution_pk: Mapped[int | None] = mapped_column(ForeignKey("institutions.pk", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(50))
    fields: Mapped[list[str]] = mapped_column(default=list)
    region: Mapped[str | None] = mapped_column(String(50))
    capacity: Mapped[int | None] = mapped_column(Integer)
    contacts: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="personal data: phone, email; never embedded")
    sources: Mapped[list[str]] = mapped_column(default=list, doc="the files that named this expert")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    institution: Mapped[Institution | None] = relationship(lazy="joined")


class ExpertMerge(Base):
    """A reference an import folded into an existing expert (another file, or the institution written another
    way): who, as written, and why — nothing is merged silently (`matcher experts merges`)."""

    __tablename__ = "expert_merges"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_pk: Mapped[int] = mapped_column(ForeignKey("experts.pk", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    institution: Mapped[str | None] = mapped_column(String(200), doc="as the file wrote it")
    source: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    direction: Mapped[str | None] = mapped_column(Text, doc="what was folded into what, in words")
    evidence: Mapped[list[str] | None] = mapped_column(JSON, doc="the facts that agreed (email, phone …)")
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="the kept expert before, the folded one")
    undone_at: Mapped[datetime | None] = mapped_column(doc="when `matcher experts unmerge` split it again")


class RecordChange(Base):
    """One field of a stored record changed by an import or an edit: who, when, old → new (shown with it)."""

    __tablename__ = "record_changes"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(50))
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)
    source: Mapped[str] = mapped_column(String(300), doc="the file, or API")
    actor: Mapped[str | None] = mapped_column(String(100), doc="the user")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_record_changes_record", RecordChange.kind, RecordChange.record_id)


class PossibleDuplicate(Base):
    """Two experts that may be one person (same name and unit, nothing agreeing to prove it): staff confirm (merge)
    or reject (keep apart)."""

    __tablename__ = "possible_duplicates"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_pk: Mapped[int] = mapped_column(ForeignKey("experts.pk", ondelete="CASCADE"), index=True)
    other_pk: Mapped[int] = mapped_column(ForeignKey("experts.pk", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="open", doc="open, confirmed, rejected")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outcome(Base):
    __tablename__ = "outcomes"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(default=list)
    year: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(50))
    region: Mapped[str | None] = mapped_column(String(50))
    trl: Mapped[int | None] = mapped_column(Integer)
    institution_pk: Mapped[int | None] = mapped_column(ForeignKey("institutions.pk", ondelete="SET NULL"))
    tokens: Mapped[str] = mapped_column(Text, default="", doc="jieba tokens of title+abstract, space-joined")
    text_hash: Mapped[str] = mapped_column(String(40), doc="hash of the embedded text; changes trigger re-index")
    sources: Mapped[list[str]] = mapped_column(default=list, doc="the files (exports) that held this outcome")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    institution: Mapped[Institution | None] = relationship(lazy="joined")
    expert_links: Mapped[list[OutcomeExpert]] = relationship(
        cascade="all, delete-orphan", order_by="OutcomeExpert.position", lazy="selectin"
    )


class OutcomeExpert(Base):
    __tablename__ = "outcome_experts"
    outcome_pk: Mapped[int] = mapped_column(ForeignKey("outcomes.pk", ondelete="CASCADE"), primary_key=True)
    expert_pk: Mapped[int] = mapped_column(ForeignKey("experts.pk", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    expert: Mapped[Expert] = relationship(lazy="joined")


Index("ix_outcome_experts_expert", OutcomeExpert.expert_pk)


class Need(Base):
    __tablename__ = "needs"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    organization: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(50))
    field: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    contacts: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="personal data: name, phone, email")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MatchRun(Base):
    """A batch or ad-hoc matching run: parameters, versions, status and timings."""

    __tablename__ = "match_runs"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="batch")
    start_key: Mapped[str | None] = mapped_column(
        String(100), unique=True, index=True, doc="names a run started once across hosts (e.g. the night's date)"
    )
    status: Mapped[str] = mapped_column(String(20), default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column(doc="last progress (a heartbeat while running)")
    finished_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)


class RunNeed(Base):
    """One need of a batch run: pending when the run is created, scored in one transaction with its candidates."""

    __tablename__ = "run_needs"
    run_pk: Mapped[int] = mapped_column(ForeignKey("match_runs.pk", ondelete="CASCADE"), primary_key=True)
    need_pk: Mapped[int] = mapped_column(ForeignKey("needs.pk", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", doc="pending | scored")
    candidates: Mapped[int] = mapped_column(Integer, default=0, doc="conflict-free candidates kept")
    conflicts: Mapped[dict[str, Any]] = mapped_column(default=dict, doc="rule → candidates it removed")
    seconds: Mapped[float] = mapped_column(default=0.0)


class RunCandidate(Base):
    """A conflict-free (need, expert) candidate of a batch run with its match degree (0–100) and evidence."""

    __tablename__ = "run_candidates"
    run_pk: Mapped[int] = mapped_column(ForeignKey("match_runs.pk", ondelete="CASCADE"), primary_key=True)
    need_pk: Mapped[int] = mapped_column(ForeignKey("needs.pk", ondelete="CASCADE"), primary_key=True)
    expert_pk: Mapped[int] = mapped_column(ForeignKey("experts.pk", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column()
    same_region: Mapped[bool] = mapped_column(default=False)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Exclusion(Base):
    """A pair never to propose: an expert for one need, or for every need of one organisation."""

    __tablename__ = "exclusions"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_pk: Mapped[int] = mapped_column(ForeignKey("experts.pk", ondelete="CASCADE"), index=True)
    need_pk: Mapped[int | None] = mapped_column(ForeignKey("needs.pk", ondelete="CASCADE"))
    organization_key: Mapped[str | None] = mapped_column(String(200), doc="institution_key of the organisation")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Match(Base):
    """One proposed pairing of a need with an expert, institution or outcome."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("run_pk", "need_pk", "level", "target_id"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int | None] = mapped_column(ForeignKey("match_runs.pk", ondelete="CASCADE"))
    need_pk: Mapped[int] = mapped_column(ForeignKey("needs.pk", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="proposal", doc="proposal | alternate")
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column()
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """A staff decision on a pairing (proposed → contacted → … → signed, or rejected with a reason)."""

    __tablename__ = "feedback"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_pk: Mapped[int] = mapped_column(ForeignKey("needs.pk", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    correction: Mapped[bool] = mapped_column(default=False, doc="moved the pairing back: asked for as a correction")
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stage_date: Mapped[date | None] = mapped_column(
        doc="the day the stage was reached, as staff report it (a 台账's 阶段日期); None: the day it was recorded"
    )


class Engagement(Base):
    """A 对接 record: one need paired with an expert, institution or outcome, kept by an owner. Its stage history is
    the pair's feedback rows (`Feedback`, same need, level and target); `stage` repeats the latest of them."""

    __tablename__ = "engagements"
    __table_args__ = (UniqueConstraint("need_pk", "level", "target_id", name="uq_engagement_pair"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_pk: Mapped[int] = mapped_column(ForeignKey("needs.pk", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), default="proposed")
    owner: Mapped[str | None] = mapped_column(String(100), index=True, doc="the staff member who follows it up")
    next_action: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="manual", doc="match | plan | batch | manual | "
                                                                          "import | feedback")  # fmt: skip
    source_ref: Mapped[str | None] = mapped_column(String(200), doc="the plan or batch run it came from")
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contracts: Mapped[list[Contract]] = relationship(
        cascade="all, delete-orphan", order_by="Contract.pk", lazy="selectin"
    )


class Contract(Base):
    """A technology contract signed on an engagement (技术合同认定登记 is what a science bureau counts)."""

    __tablename__ = "contracts"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_pk: Mapped[int] = mapped_column(ForeignKey("engagements.pk", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20), doc="技术开发 | 技术转让 | 技术许可 | 技术咨询 | 技术服务")
    amount_wan: Mapped[float | None] = mapped_column(doc="contract amount in 万元")
    signed_on: Mapped[date | None] = mapped_column()
    registration_no: Mapped[str | None] = mapped_column(String(100), doc="技术合同登记号")
    parties: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Judgement(Base):
    """A staff member's grade of one (need, target) pair on the 标注 view — 0 不相关, 1 弱相关, 2 相关, 3 非常相关 — or
    a skip (grade None: not offered again). The latest judgement of a pair replaces the earlier one."""

    __tablename__ = "judgements"
    __table_args__ = (UniqueConstraint("need_pk", "level", "target_id", name="uq_judgement_pair"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_pk: Mapped[int] = mapped_column(ForeignKey("needs.pk", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(200))
    grade: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300), default="page", doc="page, or the qrels file imported")
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Change(Base):
    """The change feed: one row per stored, changed or deleted record that the served indexes read (outcomes, experts,
    needs, institutions), written in the same transaction as the change (`store/feed.py`). Every server applies the
    feed to its own indexes; its position (`seq`) says how far a server has come."""

    __tablename__ = "changes"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(200))
    op: Mapped[str] = mapped_column(String(10), doc="upsert | delete")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedVector(Base):
    """An embedding computed once by the server that stored the text and read by every other (several hosts on one
    database never embed the same text twice)."""

    __tablename__ = "shared_vectors"
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    side: Mapped[str] = mapped_column(String(1), primary_key=True, doc="q (query) | d (document)")
    hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class PublishedSnapshot(Base):
    """A published snapshot of the served artifacts in the snapshot store (`matcher snapshot publish`); the newest
    is current, and a replica with an empty workspace serves from it."""

    __tablename__ = "published_snapshots"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    location: Mapped[str] = mapped_column(String(1000), doc="its folder in the snapshot store")
    feed: Mapped[int] = mapped_column(Integer, doc="the change feed position its indexes include")
    embedder: Mapped[str] = mapped_column(String(200))
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiKey(Base):
    """An API key of the service; only its SHA-256 is stored."""

    __tablename__ = "api_keys"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)


class AuditEntry(Base):
    """Who changed what, and when (every write through the service)."""

    __tablename__ = "audit_log"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(100))
    resource: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PlanRecord(Base):
    """A stored visit or delegation plan (对接会): what was asked and what the solver proposed."""

    __tablename__ = "plans"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), doc="visit | delegation")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
