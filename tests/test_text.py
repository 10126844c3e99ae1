from __future__ import annotations

from matcher.text.normalize import compose, institution_key, normalize, stable_id


def test_normalize_folds_width_case_and_space() -> None:
    assert normalize("  ＡＢＣ　3Ｄ打印\n  技术 ") == "abc 3d打印 技术"


def test_institution_key_ignores_spaces_and_punctuation() -> None:
    assert (
        institution_key("中国科学院 金属研究所")
        == institution_key("中国科学院（金属研究所）")
        == "中国科学院金属研究所"
    )


def test_stable_id_is_deterministic_and_normalised() -> None:
    assert stable_id("X", "周建国", "沈铸所") == stable_id("X", " 周建国 ", "沈铸所")
    assert stable_id("X", "周建国", "沈铸所") != stable_id("X", "周建国", "重庆大学")


def test_compose_cuts_on_purpose() -> None:
    assert compose("标题", "正文内容", 5) == "标题。正文"
    assert compose("标题", "", 50) == "标题"
