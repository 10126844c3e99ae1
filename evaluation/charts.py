"""Charts for the evaluation report, as inline SVG (matplotlib, text kept as text so the browser renders
Chinese with its own fonts)."""

from __future__ import annotations

import io
import warnings
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

plt.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False, "axes.spines.right": False})
COLORS = {"bm25": "#9aa5b1", "dense": "#5b8def", "hybrid": "#2bb3a3", "ranker": "#e8793a"}
SYSTEM_ZH = {"bm25": "关键词检索", "dense": "语义检索", "hybrid": "融合检索", "ranker": "排序模型"}


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():  # matplotlib's own fonts lack CJK glyphs; the text stays text for the browser
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def metric_bars(systems: dict[str, dict[str, Any]], metrics: tuple[str, ...]) -> str:
    """Grouped bars: one group per metric, one bar per system, 95% bootstrap CI whiskers."""
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    names = list(systems)
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        means = [systems[name][m]["mean"] for m in metrics]
        low = [means[j] - systems[name][m]["ci95"][0] for j, m in enumerate(metrics)]
        high = [systems[name][m]["ci95"][1] - means[j] for j, m in enumerate(metrics)]
        xs = np.arange(len(metrics)) + i * width
        ax.bar(
            xs,
            means,
            width,
            yerr=[low, high],
            capsize=2,
            label=SYSTEM_ZH.get(name, name),
            color=COLORS.get(name, "#777"),
        )
    ax.set_xticks(np.arange(len(metrics)) + width * (len(names) - 1) / 2, metrics)
    ax.set_ylim(0, 1)
    ax.legend(ncol=len(names), frameon=False, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return _svg(fig)


def gains(per_query: dict[str, float], baseline: dict[str, float], label: str) -> str:
    """Per-query difference against BM25, sorted."""
    diffs = np.sort([per_query[q] - baseline.get(q, 0.0) for q in per_query])
    fig, ax = plt.subplots(figsize=(8.5, 2.6))
    colors = ["#2bb3a3" if d > 0 else ("#d9534f" if d < 0 else "#bbb") for d in diffs]
    ax.bar(np.arange(len(diffs)), diffs, color=colors, width=1.0)
    ax.axhline(0, color="#333", lw=0.6)
    ax.set_xticks([])
    ax.set_ylabel(f"Δ {label}")
    return _svg(fig)


def reliability(bins: list[dict[str, float]], label: str = "匹配度") -> str:
    """Reliability diagram: observed share of relevant pairs against the mean predicted probability per bin."""
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    ax.plot([0, 1], [0, 1], color="#bbb", lw=1, ls="--", label="完全校准")
    ax.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], "o-", color="#2bb3a3", label=label)
    for b in bins:
        ax.annotate(
            str(b["count"]), (b["predicted"], b["observed"]), fontsize=7, xytext=(3, -9), textcoords="offset points"
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("预测的相关概率（匹配度 / 100）")
    ax.set_ylabel("实际相关的比例")
    ax.legend(loc="upper left", fontsize=8)
    return _svg(fig)


def by_grade(scores: dict[int, list[float]], label: str) -> str:
    """Box plots of a system's scores for each relevance grade."""
    grades = sorted(scores)
    fig, ax = plt.subplots(figsize=(5.5, 2.8))
    ax.boxplot([scores[g] for g in grades], showfliers=False)
    ax.set_xticks(range(1, len(grades) + 1), [f"等级 {g}" for g in grades])
    ax.set_ylabel(label)
    return _svg(fig)


def concentration(counts: list[int]) -> str:
    """How often each recommended target appears in top-10 lists, most frequent first."""
    fig, ax = plt.subplots(figsize=(5.5, 2.6))
    ax.bar(np.arange(len(counts)), sorted(counts, reverse=True), color="#5b8def", width=1.0)
    ax.set_xlabel("被推荐的对象（按次数从多到少）")
    ax.set_ylabel("进入前 10 的次数")
    return _svg(fig)


def learning(
    curves: dict[str, list[dict[str, float]]], references: dict[str, dict[str, float]], names: dict[str, str]
) -> str:
    """nDCG@10 on held-out needs against the number of judgements (log scale), one line per selection with the
    seeds' spread as a band, the references as dashed lines."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for (name, points), color in zip(curves.items(), ("#e8793a", "#5b8def", "#7a4fb5"), strict=False):
        xs = [p["judgements"] for p in points]
        mean, std = np.array([p["ndcg@10"] for p in points]), np.array([p["ndcg@10_std"] for p in points])
        ax.plot(xs, mean, "o-", color=color, label=names.get(name, name))
        ax.fill_between(xs, mean - std, mean + std, color=color, alpha=0.15)
    for (name, ref), color in zip(references.items(), ("#9aa5b1", "#5b8def", "#2bb3a3"), strict=False):
        ax.axhline(ref["ndcg@10"], color=color, ls="--", lw=1, label=names.get(name, name))
    ax.set_xscale("log")
    ax.set_xlabel("判断数")
    ax.set_ylabel("nDCG@10（留出需求）")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return _svg(fig)
