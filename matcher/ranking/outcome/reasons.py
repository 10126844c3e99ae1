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


REASONS_ZH = {
    "dense_cos": "需求与成果语义相近",
    "dense_cos_title": "需求标题与成果语义相近",
    "dense_z": "语义相似度在候选中突出",
    "dense_title_z": "标题语义相似度在候选中突出",
    "bm25": "关键词检索得分高",
    "bm25_norm": "关键词得分接近最佳",
    "bm25_z": "关键词得分在候选中突出",
    "bm25_rr": "关键词检索排名靠前",
    "dense_rr": "语义检索排名靠前",
    "rrf": "两路检索综合排名靠前",
    "kw_idf_cover": "覆盖需求的核心关键词",
    "kw_hits": "命中多个需求关键词",
    "title_cover": "覆盖需求标题中的词",
    "title_jaccard": "与需求标题用词重合",
    "field_match": "领域一致",
    "region_match": "同一地区（本地转化）",
    "age": "成果年份",
    "outcome_len": "成果描述详尽程度",
    "need_len": "需求描述长度",
    "n_experts": "成果团队规模",
    "expert_support": "专家有多项相关成果",
    "track_record": "专家有成功对接记录",
    "need_share": "成果更贴合本需求而非其他需求",
    "need_rank_rr": "在该成果最相近的需求中本需求靠前",
    "need_margin": "成果与本需求的相似度领先其他需求",
    "prf_cos": "与本需求最匹配的几项成果内容相近",
    "kind_patent": "成果为专利",
    "kind_paper": "成果为论文",
    "kind_project": "成果为项目",
    "kind_achievement": "成果为鉴定成果",
}
