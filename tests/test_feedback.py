"""Feedback acts: a target marked 不合适 leaves the need's list (shown apart with the reason) and never comes back
in its plans; a step back is refused unless asked for as a correction, and then recorded as one; a closed need
takes no decisions."""

from __future__ import annotations

import pytest

from matcher.errors import ConflictError
from matcher.match import forward
from matcher.plan import service
from matcher.services.feedback import record_feedback
from matcher.services.needs import update_need
from matcher.store.stages import is_forward
from matcher.workspace.context import Context


def _decide(m: Context, target: str, stage: str, *, level: str = "expert", correction: bool = False) -> bool:
    with m.session(write=True) as session:
        reason = "不做此方向" if stage == "rejected" else None
        row = record_feedback(session, need_id="N1", level=level, target_id=target, stage=stage, reason=reason,
                              actor="t", correction=correction)  # fmt: skip
        return row.correction


def test_forward_moves_by_hand() -> None:
    assert is_forward(None, "contacted") and is_forward("contacted", "signed") and is_forward("meeting", "meeting")
    assert is_forward("intention", "rejected") and not is_forward("signed", "rejected")
    assert not is_forward("signed", "contacted") and not is_forward("rejected", "contacted")


def test_a_rejected_expert_leaves_the_list_and_a_rejected_institution_every_plan(loaded: Context) -> None:
    first = forward.match(loaded, forward.need_query(loaded, "N1"), level="expert", top=5)
    top = first.hits[0]
    _decide(loaded, top.id, "rejected")
    after = forward.match(loaded, forward.need_query(loaded, "N1"), level="expert", top=5)
    assert top.id not in [h.id for h in after.hits] and [h.rank for h in after.hits] == list(
        range(1, len(after.hits) + 1)
    )
    assert after.excluded == [{"id": top.id, "name": top.name, "reason": "不做此方向"}]
    pairs = service.pairings(loaded, min_degree=0.0)
    institution = next(p.institution_id for p in pairs if p.needs[0].id == "N1")
    _decide(loaded, institution, "rejected", level="institution")
    assert all(not (p.institution_id == institution and any(n.id == "N1" for n in p.needs))
               for p in service.pairings(loaded, min_degree=0.0))  # fmt: skip


def test_a_step_back_is_a_correction_and_a_closed_need_takes_no_decision(loaded: Context) -> None:
    assert _decide(loaded, "E1", "contacted") is False and _decide(loaded, "E1", "signed") is False
    with pytest.raises(ConflictError, match="是更正") as refused:
        _decide(loaded, "E1", "contacted")
    assert str(refused.value) == "对接进展已是「已签约」，改为「已联系」是更正，须确认后才能记录"  # no field names
    assert _decide(loaded, "E1", "contacted", correction=True) is True
    with loaded.session(write=True) as session:
        update_need(session, need_id="N1", changes={"status": "closed"})
    with pytest.raises(ConflictError, match="已关闭"):
        _decide(loaded, "E1", "meeting")
