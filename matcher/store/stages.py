"""The vocabulary of staff decisions, declared once: a pairing's stages — Chinese label, the graded gain it teaches
the ranker, whether it counts as an accepted pairing (the expert's track record) — and the grades of the 标注 view.

Feedback counts as judgements through the gains below (推荐 none, 已联系 1, 已对接 2, 合作意向 3, 已签约 3, 不合适 0);
a judgement given on the 标注 view for the same pair wins over them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# 推荐 proposed → 已联系 contacted → 已对接 meeting → 合作意向 intention → 已签约 signed, or 不合适 rejected
StageName = Literal["proposed", "contacted", "meeting", "intention", "signed", "rejected"]


@dataclass(frozen=True)
class Stage:
    name: str
    label: str
    gain: int | None  # graded relevance for training; None = no judgement yet
    accepted: bool  # staff met the expert or went further


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("proposed", "推荐", None, False),
        Stage("contacted", "已联系", 1, False),
        Stage("meeting", "已对接", 2, True),
        Stage("intention", "合作意向", 3, True),
        Stage("signed", "已签约", 3, True),
        Stage("rejected", "不合适", 0, False),
    )
}
assert tuple(STAGES) == get_args(StageName)
ACCEPTED = tuple(name for name, s in STAGES.items() if s.accepted)
ORDER = ("proposed", "contacted", "meeting", "intention", "signed")  # the way forward; 不合适 ends it


def is_forward(before: str | None, after: str) -> bool:
    """Whether moving a pairing from stage `before` to `after` goes forward: to a later stage, the same one again,
    or to 不合适 before it is signed. Anything else (back to an earlier stage, out of 不合适, 已签约 → 不合适) is a
    correction, recorded only when asked for as one."""
    if before is None or before == after:
        return True
    if after == "rejected":
        return before != "signed"
    if before == "rejected":
        return False
    return ORDER.index(after) > ORDER.index(before)


def label(name: str) -> str:
    return STAGES[name].label


def gain(name: str) -> int | None:
    return STAGES[name].gain if name in STAGES else None


GRADES: dict[int, str] = {0: "不相关", 1: "弱相关", 2: "相关", 3: "非常相关"}  # a judgement's grade, 0–3
