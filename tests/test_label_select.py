"""Which pair next: the priority's parts by hand, and choose() never repeats, never offers a judged or skipped
pair, spreads over needs and fields, and draws the random baseline reproducibly from the same pool."""

from __future__ import annotations

import pytest

from matcher.label.select import Candidate, choose, disagreement, percentiles, priority, uncertainty


def test_uncertainty_peaks_at_the_weak_line() -> None:
    assert uncertainty(0.3, 0.3) == 1.0
    assert uncertainty(0.0, 0.3) == 0.0 and uncertainty(1.0, 0.3) == 0.0
    assert uncertainty(0.15, 0.3) == pytest.approx(0.5)  # halfway down to 0
    assert uncertainty(0.65, 0.3) == pytest.approx(0.5)  # halfway up to 1 (0.35 of 0.7)


def test_disagreement_and_percentiles() -> None:
    assert percentiles([3.0, 1.0, 2.0]) == [0.0, 1.0, 0.5]
    assert percentiles([5.0]) == [0.0]
    assert disagreement((0.0, 1.0, 0.5)) == 1.0 and disagreement((0.2, 0.2)) == 0.0 and disagreement((0.4,)) == 0.0
    c = Candidate("N", "T", 0.3, (0.0, 0.5, 1.0))
    assert priority(c, 0.3) == pytest.approx(1.0 + 0.5 * 1.0)


def _pairs() -> list[Candidate]:
    return [
        Candidate("A", "a1", 0.30, (0.0, 0.0), "材料"),  # priority 1.0
        Candidate("A", "a2", 0.32, (0.0, 0.0), "材料"),  # 0.971
        Candidate("A", "a3", 0.28, (0.0, 0.0), "材料"),  # 0.933
        Candidate("B", "b1", 0.60, (0.0, 0.0), "能源"),  # 0.571
        Candidate("C", "c1", 0.95, (0.0, 0.0), "材料"),  # 0.071
    ]


def test_active_choice_spreads_over_needs_and_fields() -> None:
    # a1 first; then a2 shares 0.971 / 2 (need A taken once, field once: 1 + 1 + 0.5) = 0.388 < b1's 0.571
    assert [c.target for c in choose(_pairs(), 2, line=0.3)] == ["a1", "b1"]
    assert [c.target for c in choose(_pairs(), 3, line=0.3)] == ["a1", "b1", "a2"]


def test_nothing_judged_or_skipped_is_offered_and_nothing_twice() -> None:
    pairs = [*_pairs(), Candidate("A", "a1", 0.3)]  # the same pair again
    chosen = choose(pairs, 10, line=0.3, done={("A", "a2"), ("B", "b1")})
    keys = [c.key for c in chosen]
    assert sorted(keys) == [("A", "a1"), ("A", "a3"), ("C", "c1")]
    for strategy in ("active", "random"):
        assert choose(_pairs(), 10, line=0.3, done={c.key for c in _pairs()}, strategy=strategy) == []


def test_random_baseline_is_reproducible_and_excludes_done() -> None:
    first = choose(_pairs(), 3, line=0.3, strategy="random", seed=7, done={("C", "c1")})
    assert first == choose(_pairs(), 3, line=0.3, strategy="random", seed=7, done={("C", "c1")})
    assert len(first) == 3 and ("C", "c1") not in {c.key for c in first}
    with pytest.raises(ValueError, match="strategy"):
        choose(_pairs(), 1, line=0.3, strategy="clever")
