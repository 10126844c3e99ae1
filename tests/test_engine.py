from __future__ import annotations

import pytest

from matcher.engine import Matcher
from matcher.errors import InputError, NotFoundError


def test_match_stored_need_at_every_level(loaded: Matcher) -> None:
    query = loaded.need_query("N1")
    outcomes = loaded.match(query, level="outcome", top=3)
    assert outcomes.hits[0].id in {"O1", "O2"} and outcomes.need_id == "N1"
    assert "涂料" in outcomes.hits[0].matched_terms or "锆英粉" in outcomes.hits[0].matched_terms
    assert outcomes.hits[0].components.bm25_rank is not None
    experts = loaded.match(query, level="expert", top=3)
    assert experts.hits[0].name == "周建国" and experts.hits[0].evidence
    institutions = loaded.match(query, level="institution", top=3)
    assert institutions.hits[0].name == "沈阳铸造研究所有限公司"


def test_match_free_text(loaded: Matcher) -> None:
    result = loaded.match(loaded.text_query("电池热失控预警"), level="expert", top=2)
    assert result.hits[0].name == "谭明"
    assert result.to_dict()["hits"][0]["evidence"][0]["id"] == "O4"


def test_bad_requests_raise_domain_errors(loaded: Matcher) -> None:
    with pytest.raises(NotFoundError):
        loaded.need_query("nope")
    with pytest.raises(InputError):
        loaded.text_query("   ")
    with pytest.raises(InputError, match="limit"):
        loaded.text_query("字" * 20_001)
    with pytest.raises(InputError, match="level"):
        loaded.match(loaded.text_query("电池"), level="team")


def test_stats(loaded: Matcher) -> None:
    stats = loaded.stats()
    assert (stats["outcomes"], stats["needs"], stats["experts"]) == (5, 2, 4)
