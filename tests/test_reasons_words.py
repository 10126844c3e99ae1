"""Reasons staff read are words: no weights, no signal names; the matched-terms count is over what is highlighted."""

from __future__ import annotations

import re

from matcher.ranking.outcome.features import FEATURES
from matcher.ranking.outcome.reasons import REASONS_ZH
from matcher.rollup.explain import contributions, covered


def test_ranker_reasons_carry_no_weight() -> None:
    reasons = [{"feature": "expert_support", "effect": 4.14, "why": REASONS_ZH["expert_support"]},
               {"feature": "rrf", "effect": 0.42, "why": REASONS_ZH["rrf"]},
               {"feature": "age", "effect": -0.3, "why": REASONS_ZH["age"]}]  # fmt: skip
    assert contributions(reasons) == ["成果的专家还有其他相关成果", "用词和内容两方面都排在前列"]


def test_every_reason_is_plain_chinese() -> None:
    assert set(REASONS_ZH) == set(FEATURES)
    for text in REASONS_ZH.values():
        assert not re.search(r"[A-Za-z0-9+]", text) and "两路" not in text and "检索" not in text, text


def test_the_count_covers_every_highlighted_term() -> None:
    keywords = ["涂料", "铸造", "光洁度", "粘砂", "锆英粉", "机床", "水基", "铸件"]
    # 水基 and 铸件 are past the first six keywords: they are highlighted, so they are counted
    assert covered(keywords, ["铸件", "涂料", "水基"]) == "命中需求关键词 3/8：涂料、水基、铸件"
    assert covered(keywords, ["无关"]) is None
