from __future__ import annotations

from pathlib import Path

import pytest

from matcher.errors import InputError
from matcher.learn.rows import judged_set
from matcher.learn.train import train_outcome_ranker
from matcher.match import forward
from matcher.ranking.outcome.train import GRID, OUTCOME_RANKER
from matcher.ranking.qrels import read_qrels
from matcher.workspace.context import Context

QRELS = "N1 0 O1 3\nN1 0 O2 2\nN1 0 O3 0\nN1 0 O5 0\nN2 0 O3 2\nN2 0 O4 3\nN2 0 O1 0\nN2 0 O5 0\n"


def test_read_qrels_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text(QRELS, encoding="utf-8")
    assert read_qrels(path)["N2"] == {"O3": 2, "O4": 3, "O1": 0, "O5": 0}
    path.write_text("N1 O1 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=":1:"):
        read_qrels(path)


def test_judged_set_rows_align_with_qrels(loaded: Context, tmp_path: Path) -> None:
    (tmp_path / "q.tsv").write_text(QRELS + "N9 0 O1 1\n", encoding="utf-8")
    ts = judged_set(loaded, read_qrels(tmp_path / "q.tsv"))
    assert ts.X.shape[0] == 8 and ts.queries == ["N1", "N2"] and ts.skipped == ["N9"]
    assert ts.summary()["grades"] == {"0": 4, "2": 2, "3": 2}


def test_train_saves_a_model_the_engine_then_uses(loaded: Context, tmp_path: Path) -> None:
    (tmp_path / "q.tsv").write_text(QRELS, encoding="utf-8")
    out = loaded.workspace.models_dir / "active"
    params = train_outcome_ranker(
        loaded, read_qrels(tmp_path / "q.tsv"), out=out, name="t", sources=["q.tsv"], folds=2
    )
    cv = params["cv"]
    assert cv["metric"] == "ndcg@10" and [row["params"] for row in cv["table"]] == GRID and cv["best"] in cv["table"]
    assert (out / "card.md").read_text(encoding="utf-8").startswith("# Model card")
    model, _ = OUTCOME_RANKER.load(out)
    assert model.calibration_ == {"kind": "out-of-fold", "pairs": 8}  # the degree learned from unseen needs
    loaded.served.reload()
    result = forward.match(loaded, forward.need_query(loaded, "N1"), level="outcome", top=3)
    assert result.scorer == "ranker:t" and result.notice is None
    assert result.hits[0].components.model is not None and result.hits[0].reasons
    assert 0 <= result.hits[0].score <= 1
