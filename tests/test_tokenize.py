from __future__ import annotations

from pathlib import Path

import pytest

from matcher.errors import IndexMismatchError
from matcher.text.tokenize import Tokenizer, cjk_bigrams, lexical_terms


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer()


def test_user_dictionary_keeps_domain_terms_whole(tok: Tokenizer) -> None:
    tokens = tok.tokens("基于3D打印的砂型铸造与锆英粉涂料")
    assert "3d打印" in tokens and "砂型铸造" in tokens and "锆英粉" in tokens


def test_stopwords_punctuation_and_numbers_are_dropped(tok: Tokenizer) -> None:
    tokens = tok.tokens("我们公司需要研究一种技术，提高 2023 年的产量！")
    assert "技术" not in tokens and "我们" not in tokens and "2023" not in tokens and "，" not in tokens


def test_rjieba_and_jieba_cut_identically() -> None:
    text = "高档数控机床关键铸件用复合锆英粉喷涂涂料开发与应用研究，锂离子电池热管理"
    assert Tokenizer(backend="rjieba").tokens(text) == Tokenizer(backend="jieba").tokens(text)


def test_idf_and_keywords_hand_computed(tok: Tokenizer) -> None:
    t = Tokenizer().fit_idf([["铸造", "涂料"], ["铸造", "电池"], ["电池"], ["机器人"]])
    # idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N = 4
    assert t.idf("涂料") == pytest.approx(1.2039728, rel=1e-6)  # df 1: ln(1 + 3.5/1.5)
    assert t.idf("铸造") == pytest.approx(0.6931472, rel=1e-6)  # df 2: ln(1 + 2.5/2.5)
    words = [w for w, _ in t.keywords(["铸造", "涂料", "涂料"], top=2)]
    assert words == ["涂料", "铸造"]


def test_save_load_round_trip_and_corruption(tmp_path: Path) -> None:
    t = Tokenizer().fit_idf([["铸造", "涂料"], ["电池"]])
    t.save(tmp_path / "tok")
    again = Tokenizer.load(tmp_path / "tok")
    assert again.idf_ == pytest.approx(t.idf_) and again.n_docs_ == 2
    (tmp_path / "tok" / "idf.tsv").write_text("坏\t1.0\n", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="corrupted"):
        Tokenizer.load(tmp_path / "tok")


def test_cjk_bigrams_by_hand() -> None:
    assert cjk_bigrams("人工智能") == ["人工", "工智", "智能"]
    assert cjk_bigrams("3D打印，砂型 铸造ab") == ["打印", "砂型", "铸造"]  # runs break at anything not Han
    assert cjk_bigrams("锆 a 粉") == [] and cjk_bigrams("") == []  # one-character runs give none
    assert cjk_bigrams("ＡＩ检测") == ["检测"]  # normalised first (full width folds to ASCII)


def test_lexical_terms_keep_repeats_then_add_bigrams() -> None:
    assert lexical_terms(["涂料", "涂料"], "涂料涂料") == ["涂料", "涂料", "涂料", "料涂", "涂料"]


def test_terms_of_a_text(tok: Tokenizer) -> None:
    text = "铸造涂料"
    assert tok.terms(text) == [*tok.tokens(text), "铸造", "造涂", "涂料"]
