"""One spec per level and direction a match answers at: what the hits are, how they come from ranked outcomes,
which ranker may order them, which 匹配度 map their served score goes through, and their Chinese name.

Forward (a need looks for): outcome, expert, institution. Reverse (an outcome looks for, 成果找需求 / 找企业):
needs, enterprises. Code branches on a Level's fields, never on its name; the name is what is stored and typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from matcher.errors import InputError

LevelName = Literal["outcome", "expert", "institution"]
TargetName = Literal["needs", "enterprises"]
Owner = Literal["outcome", "expert", "institution", "need", "enterprise"]


@dataclass(frozen=True)
class Level:
    name: str  # as stored (feedback, judgements) and typed by callers
    zh: str  # the Chinese name staff read
    hits: Owner  # what one hit is
    votes: bool  # hits are owners rolled up from ranked items by a vote (else the items themselves)
    ranker: Literal["outcome", "expert", "need"] | None  # the ranker slot that may order the hits (None: none)
    reverse: bool  # 成果找需求 / 找企业: an outcome looks for needs

    def key(self, *, ranked: bool) -> str:
        """The 匹配度 map a hit's served score goes through: `LEVEL:ranker` when the level's ranker ordered the
        hits (for 找企业: the needs it rolls up), else `LEVEL:vote` for a roll-up and `LEVEL:fused` for the fused
        list itself."""
        if ranked and self.ranker is not None:
            return f"{self.name}:ranker"
        return f"{self.name}:{'vote' if self.votes else 'fused'}"

    @property
    def keys(self) -> tuple[str, ...]:
        """Every map key a hit of this level may be served through."""
        return tuple(dict.fromkeys((self.key(ranked=False), self.key(ranked=True))))


OUTCOME = Level("outcome", "成果", "outcome", votes=False, ranker="outcome", reverse=False)
EXPERT = Level("expert", "专家", "expert", votes=True, ranker="expert", reverse=False)
INSTITUTION = Level("institution", "单位", "institution", votes=True, ranker=None, reverse=False)
NEEDS = Level("needs", "企业需求", "need", votes=True, ranker="need", reverse=True)
ENTERPRISES = Level("enterprises", "企业", "enterprise", votes=True, ranker="need", reverse=True)

FORWARD: tuple[Level, ...] = (OUTCOME, EXPERT, INSTITUTION)
REVERSE: tuple[Level, ...] = (NEEDS, ENTERPRISES)
ALL: tuple[Level, ...] = FORWARD + REVERSE
BY_NAME = {level.name: level for level in ALL}
MAP_KEYS: tuple[str, ...] = tuple(k for level in ALL for k in level.keys)


def level_of(name: str | Level, among: tuple[Level, ...] = ALL) -> Level:
    """The spec named `name` among `among`; an unknown name is an InputError in the staff's words."""
    if isinstance(name, Level):
        name = name.name
    for level in among:
        if level.name == name:
            return level
    known = "、".join(f"{lv.name}（{lv.zh}）" for lv in among)
    raise InputError(f"未知的匹配层级“{name}”，可选：{known}")


def level_of_key(key: str) -> Level | None:
    """The level a 匹配度 map key belongs to (None: not a key any level serves)."""
    name, _, _ = key.partition(":")
    found = BY_NAME.get(name)
    return found if found and key in found.keys else None
