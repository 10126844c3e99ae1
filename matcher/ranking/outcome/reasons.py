"""Why a candidate ranks where it does: the features that moved the ranker's score most, in Chinese."""

from __future__ import annotations

from typing import Any

import numpy as np

from matcher.ranking.model import Ranker
from matcher.ranking.outcome.features import DESCRIPTIONS, FEATURES


def explain(model: Ranker, row: np.ndarray, top: int = 3) -> list[dict[str, Any]]:
    """The features that moved this candidate's score most, with their Chinese descriptions."""
    return explain_rows(model, row.reshape(1, -1), top)[0]


def explain_rows(model: Ranker, X: np.ndarray, top: int = 3) -> list[list[dict[str, Any]]]:
    """`explain` for many rows at once (one model pass per feature, not per row and feature)."""
    return [_reasons(contrib, top) for contrib in model.contributions(X)]


def _reasons(contrib: np.ndarray, top: int) -> list[dict[str, Any]]:
    """The features that raised the score most: reasons say why a result ranks high, so a feature that pulled it
    down (which read as "同一地区（减分）" beside a top result) is not one of them."""
    order = [i for i in np.argsort(-contrib, kind="stable")[:top] if contrib[i] > 1e-6]
    return [
        {
            "feature": FEATURES[i],
            "effect": round(float(contrib[i]), 3),
            "why": REASONS_ZH.get(FEATURES[i], DESCRIPTIONS[FEATURES[i]]),
        }
        for i in order
    ]


# plain words for staff: what the feature says about the pair, never the signal's name or its weight
REASONS_ZH = {
    "dense_cos": "成果内容与需求意思相近",
    "dense_cos_title": "成果内容与需求标题意思相近",
    "dense_z": "在候选成果中与需求意思最接近之一",
    "dense_title_z": "在候选成果中与需求标题意思最接近之一",
    "bm25": "与需求用词高度重合",
    "bm25_norm": "用词重合程度接近最好的候选",
    "bm25_z": "在候选成果中用词重合突出",
    "bm25_rr": "按用词重合排在前列",
    "dense_rr": "按内容相近排在前列",
    "rrf": "用词和内容两方面都排在前列",
    "kw_idf_cover": "覆盖需求的核心关键词",
    "kw_hits": "命中多个需求关键词",
    "title_cover": "覆盖需求标题中的词",
    "title_jaccard": "与需求标题用词重合",
    "field_match": "与需求领域一致",
    "region_match": "与需求同一地区，便于本地转化",
    "age": "成果的年份",
    "outcome_len": "成果介绍详细",
    "need_len": "需求描述详细",
    "n_experts": "成果团队人数较多",
    "expert_support": "成果的专家还有其他相关成果",
    "track_record": "专家有成功对接记录",
    "need_share": "成果更贴合本需求而非其他需求",
    "need_rank_rr": "在与该成果相近的需求中本需求靠前",
    "need_margin": "成果与本需求比与其他需求更相近",
    "prf_cos": "与最匹配的几项成果内容相近",
    "kind_patent": "成果为专利",
    "kind_paper": "成果为论文",
    "kind_project": "成果为项目",
    "kind_achievement": "成果为鉴定成果",
}
