from __future__ import annotations

import pytest

from matcher.errors import InputError, NotFoundError
from matcher.learn.train import train_outcome_ranker
from matcher.match import forward
from matcher.workspace import data
from matcher.workspace.context import Context, open_context
from tests.conftest import FakeEmbedder


def test_match_stored_need_at_every_level(loaded: Context) -> None:
    query = forward.need_query(loaded, "N1")
    outcomes = forward.match(loaded, query, level="outcome", top=3)
    assert outcomes.hits[0].id in {"O1", "O2"} and outcomes.need_id == "N1"
    assert "涂料" in outcomes.hits[0].matched_terms or "锆英粉" in outcomes.hits[0].matched_terms
    assert outcomes.hits[0].components.bm25_rank is not None
    experts = forward.match(loaded, query, level="expert", top=3)
    assert experts.hits[0].name == "周建国" and experts.hits[0].evidence
    institutions = forward.match(loaded, query, level="institution", top=3)
    assert institutions.hits[0].name == "沈阳铸造研究所有限公司"


def test_match_free_text(loaded: Context) -> None:
    result = forward.match(loaded, forward.text_query(loaded, "电池热失控预警"), level="expert", top=2)
    assert result.hits[0].name == "谭明"
    assert result.to_dict()["hits"][0]["evidence"][0]["id"] == "O4"


def test_bad_requests_raise_domain_errors(loaded: Context) -> None:
    with pytest.raises(NotFoundError):
        forward.need_query(loaded, "nope")
    with pytest.raises(InputError):
        forward.text_query(loaded, "   ")
    with pytest.raises(InputError, match="最多"):
        forward.text_query(loaded, "字" * 20_001)
    with pytest.raises(InputError, match="匹配层级"):
        forward.match(loaded, forward.text_query(loaded, "电池"), level="team")


def test_stats(loaded: Context) -> None:
    stats = data.stats(loaded)
    assert (stats["outcomes"], stats["needs"], stats["experts"]) == (5, 2, 4)


def test_match_degree_is_between_0_and_100_at_every_level(loaded: Context) -> None:
    for level in ("outcome", "expert", "institution"):
        result = forward.match(loaded, forward.need_query(loaded, "N1"), level=level, top=5)
        degrees = [h.degree for h in result.hits] + [e.degree for h in result.hits for e in getattr(h, "evidence", [])]
        assert degrees and all(0.0 <= d <= 100.0 for d in degrees), (level, degrees)
    experts = forward.match(loaded, forward.need_query(loaded, "N1"), level="expert", top=5).hits
    # 周建国's two coating outcomes: votes 1/sqrt(1) and 1/sqrt(2) · decay 0.5, over the most a vote can be (1.9375)
    assert experts[0].name == "周建国" and experts[0].degree == round(100 * (1 + 0.5 * 2**-0.5) / 1.9375, 1)


def test_reasons_only_name_what_raised_the_score(loaded: Context, tmp_path) -> None:
    from matcher.learn.train import train_outcome_ranker
    from matcher.ranking.qrels import read_qrels

    (tmp_path / "q.tsv").write_text(
        "N1 0 O1 3\nN1 0 O2 2\nN1 0 O3 0\nN2 0 O4 3\nN2 0 O3 2\nN2 0 O1 0\n", encoding="utf-8"
    )
    train_outcome_ranker(
        loaded,
        read_qrels(tmp_path / "q.tsv"),
        out=loaded.workspace.models_dir / "active",
        name="r",
        sources=[],
        folds=2,
    )
    hits = forward.match(loaded, forward.need_query(loaded, "N1"), level="outcome", top=5).hits
    assert any(h.reasons for h in hits) and all(r["effect"] > 0 for h in hits for r in h.reasons)


def test_an_empty_index_gives_no_hits_not_a_crash(loaded: Context, tmp_path) -> None:  # type: ignore[no-untyped-def]
    qrels = {"N1": {"O1": 3, "O2": 1, "O3": 0, "O5": 0}, "N2": {"O4": 3, "O3": 2, "O1": 0, "O5": 0}}
    train_outcome_ranker(loaded, qrels, out=tmp_path / "model", name="tiny", sources=["inline"], folds=2)
    settings = loaded.settings.model_copy(update={"home": tmp_path / "empty", "model": str(tmp_path / "model")})
    empty = open_context(settings, embedder=FakeEmbedder())
    data.build_index(empty)
    assert empty.snapshot().ranker is not None  # a ranker is active, and has no candidate to score
    for level in ("outcome", "expert", "institution"):
        assert forward.match(empty, forward.text_query(empty, "铸造涂料"), level=level).hits == []
    empty.close()


def test_need_competition_leaves_out_the_need_itself(loaded: Context) -> None:
    pks = sorted(loaded.snapshot().indexes.dense.hashes_)
    stored = forward.signals(loaded, forward.need_query(loaded, "N1"), pks).rivals
    assert stored is not None
    # N1's rivals: N2 alone (N1 is not its own rival), the other slots padded with −1
    other = loaded.snapshot().indexes.dense.vectors(pks) @ forward.need_query(loaded, "N2").vector
    assert stored[:, 0] == pytest.approx(other, abs=1e-5)
    assert (stored[:, 1:] == -1.0).all()
    free = forward.signals(loaded, forward.text_query(loaded, "电池热失控预警"), pks).rivals
    assert free is not None and ((free > -1.0).sum(axis=1) == 2).all()  # text not stored: both needs compete


def test_hits_with_different_evidence_never_read_the_same(loaded: Context) -> None:
    """Each hit's reasons quote its own evidence: the need's terms it covers, the best-matching sentence of its
    evidence, the ranker's strongest reasons with values."""
    for level in ("outcome", "expert", "institution"):
        hits = forward.match(loaded, forward.need_query(loaded, "N2"), level=level, top=5).hits
        evidence = [tuple(o.id for o in getattr(h, "evidence", [h])) for h in hits]
        reads = ["；".join(h.why) for h in hits]
        for i in range(len(hits)):
            for j in range(i + 1, len(hits)):
                if evidence[i] != evidence[j]:
                    assert reads[i] != reads[j], (level, reads[i])
        assert all(h.sentence and h.sentence["text"] in "；".join(h.why) for h in hits)
    covered = forward.match(loaded, forward.need_query(loaded, "N1"), level="outcome", top=1).hits[0]
    assert covered.why[0].startswith("命中需求关键词") and "涂料" in covered.why[0]
