"""Loading and hot reload of the served artifacts: one rule finds a model folder, one stamp reloads them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.bundled import default_model_dir, demo_dir, dict_dir
from matcher.config import Settings
from matcher.errors import ModelMismatchError
from matcher.learn.train import train_expert_ranker
from matcher.match import forward
from matcher.ranking.model import Ranker
from matcher.ranking.outcome.train import OUTCOME_RANKER
from matcher.workspace.context import Context
from matcher.workspace.served import ModelSlot, load_model


def test_expert_ranker_trained_while_serving_is_picked_up_without_reload(loaded: Context) -> None:
    before = forward.match(loaded, forward.need_query(loaded, "N2"), level="expert", top=3)
    assert not before.expert_ranked and "+experts:" not in before.scorer
    judged = {"N1": {"E1": 1}, "N2": {before.hits[-1].id: 1}}
    train_expert_ranker(loaded, judged, out=loaded.workspace.models_dir / "expert", name="hot", sources=["inline"])
    # no reload(): the stamp changed
    after = forward.match(loaded, forward.need_query(loaded, "N2"), level="expert", top=3)
    assert after.expert_ranked and after.scorer.endswith("+experts:hot")


def test_model_folder_rule(tmp_path: Path) -> None:
    def slot(choice: str, default: Path | None) -> ModelSlot[Ranker]:
        return ModelSlot("排序模型", choice, tmp_path / "active", default, OUTCOME_RANKER.load)

    assert slot("none", tmp_path / "d").folder() is None
    assert slot("/x/y", tmp_path / "d").folder() == Path("/x/y")
    assert slot("auto", tmp_path / "d").folder() == tmp_path / "d"  # nothing trained in the workspace
    assert slot("auto", None).folder() == tmp_path / "active"
    (tmp_path / "active").mkdir()
    (tmp_path / "active" / "params.json").write_text("{}")
    assert slot("auto", tmp_path / "d").folder() == tmp_path / "active"


def test_missing_models_give_notices_and_optional_ones_say_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    explicit = ModelSlot("排序模型", str(tmp_path / "nowhere"), tmp_path / "a", None, OUTCOME_RANKER.load)
    model, notice = load_model(explicit, "fake/bigram-64")
    # staff read what happened and whom to ask; the folder goes to the log for whoever runs the server
    assert model is None and notice == "尚未训练排序模型，结果按融合检索排序；请管理员训练模型"
    assert "nowhere" in caplog.text
    optional = ModelSlot("专家排序模型", "auto", tmp_path / "expert", None, OUTCOME_RANKER.load)
    assert load_model(optional, "fake/bigram-64") == (None, None)
    shipped = ModelSlot("排序模型", "auto", tmp_path / "a", default_model_dir(), OUTCOME_RANKER.load)
    model, notice = load_model(shipped, "fake/bigram-64")  # the shipped ranker was trained with e5
    assert (
        model is None and notice == "排序模型与当前的文本向量模型不配套，未启用，结果按融合检索排序；请管理员重新训练"
    )
    assert "e5" in caplog.text


def test_a_model_trained_on_other_features_is_a_model_error(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("ranker.skops", "card.md"):
        (folder / name).write_bytes((default_model_dir() / name).read_bytes())
    params = json.loads((default_model_dir() / "params.json").read_text(encoding="utf-8"))
    params["features"] = params["features"][:-1]
    (folder / "params.json").write_text(json.dumps(params), encoding="utf-8")
    with pytest.raises(ModelMismatchError, match="feature list"):
        load_model(ModelSlot("排序模型", str(folder), tmp_path, None, OUTCOME_RANKER.load), "e5")


def test_bundled_files_are_package_data() -> None:
    assert (dict_dir() / "user_dict.txt").is_file() and (dict_dir() / "institution_aliases.tsv").is_file()
    assert {p.name for p in demo_dir().glob("*.jsonl")} >= {"needs.jsonl", "outcomes.jsonl", "experts.jsonl"}
    model, params = OUTCOME_RANKER.load(default_model_dir())
    assert params["name"] == "bdci-dev" and model.n_features_in_ == len(params["features"])
