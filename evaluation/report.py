"""report.json and a self-contained report.html (inline SVG charts, Chinese headings) for an evaluation run."""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import charts
from evaluation.metrics import METRICS
from evaluation.runner import NeedCandidates
from matcher.levels import EXPERT, INSTITUTION, level_of

CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:0;
  background:#f6f7f9;color:#1d2733}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-left:4px solid #2bb3a3;padding-left:8px}
.sub{color:#5a6772;font-size:13px}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin:10px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid #e6e9ed;text-align:right}
th:first-child,td:first-child{text-align:left}
.best{font-weight:700;color:#0f7b6c}.sig{color:#e8793a}
.kpis{display:flex;gap:12px;flex-wrap:wrap}
.kpi{flex:1;min-width:150px;background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.kpi b{display:block;font-size:24px;color:#0f7b6c}
svg{max-width:100%;height:auto}
"""
LEVEL_ZH = {"outcome": "成果", "expert": "专家", "institution": "机构"}
CALIBRATED_ZH = {
    "outcome:ranker": "成果（排序模型）",
    "outcome:fused": "成果（融合检索）",
    "expert:vote": "专家（汇总）",
    "expert:ranker": "专家（专家排序模型）",
    "institution:vote": "机构（汇总）",
    "needs:vote": "成果找需求",
}


def _best_system(summary: dict[str, Any]) -> str:
    return max(summary["systems"], key=lambda s: summary["systems"][s]["ndcg@10"]["mean"])


def _grade_scores(
    items: list[NeedCandidates], judged: dict[str, dict[str, int]], run: dict[str, dict[str, float]]
) -> dict[int, list[float]]:
    scores: dict[int, list[float]] = defaultdict(list)
    for item in items:
        ranked = run.get(item.qid, {})
        for target, grade in judged.get(item.qid, {}).items():
            if target in ranked:
                scores[grade].append(ranked[target])
    return dict(scores)


def _fields(items: list[NeedCandidates], per_query: dict[str, dict[str, dict[str, float]]]) -> list[list[Any]]:
    judged = next(iter(per_query.values()))["ndcg@10"] if per_query else {}
    field_of = {it.qid: it.query.field or "未标注" for it in items if it.qid in judged}
    rows = []
    for field in sorted(set(field_of.values())):
        qs = [q for q, f in field_of.items() if f == field]
        cells = [np.mean([vals["ndcg@10"].get(q, 0.0) for q in qs]) for vals in per_query.values()]
        rows.append([field, len(qs), *cells])
    return rows


def _targets_in_top10(items: list[NeedCandidates], run: dict[str, dict[str, float]], level: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    infos = {info.id: info for it in items for info in it.infos.values()}
    for ranking in run.values():
        top = sorted(ranking, key=lambda t: -ranking[t])[:10]
        if not level_of(level).votes:
            counts.update(
                e.name + "·" + (e.institution.name if e.institution else "")
                for t in top
                for e in (infos[t].experts if t in infos else [])
            )
        else:
            counts.update(top)
    if not counts and not level_of(level).votes:  # a corpus without experts: coverage of the outcomes themselves
        for ranking in run.values():
            counts.update(infos[t].title[:20] for t in sorted(ranking, key=lambda t: -ranking[t])[:10] if t in infos)
    return counts


def _target_word(level: str, items: list[NeedCandidates]) -> str:
    spec = level_of(level)
    if spec is INSTITUTION:
        return "机构"
    has_experts = any(info.experts for it in items for info in it.infos.values())
    return "专家" if spec is EXPERT or has_experts else "成果"


def _gini(counts: list[int]) -> float:
    x = np.sort(np.asarray(counts, float))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


POOL_ZH = {"judged": "仅有评判的候选（重排评判池）", "all": "全部成果"}


def _zh(system: str) -> str:
    return html.escape(charts.SYSTEM_ZH.get(system, system))


def _ranker_text(info: Any) -> str:
    if not info:
        return "无"
    if isinstance(info, str):
        return info
    folds = "；".join(
        f"第{i}折内层交叉验证 {row['metric']} {row['mean']:.3f}"
        for i, row in enumerate(info.get("chosen_per_fold", []), 1)
    )
    return f"嵌套 5 折交叉验证（按需求分组，每折只在训练需求上选择配置）：{folds}"


def _metric_table(summary: dict[str, Any]) -> str:
    best = {m: max(s[m]["mean"] for s in summary["systems"].values()) for m in METRICS}
    head = "".join(f"<th>{m}</th>" for m in METRICS)
    rows = []
    for name, ms in summary["systems"].items():
        cells = []
        for m in METRICS:
            v, (lo, hi), p = ms[m]["mean"], ms[m]["ci95"], ms[m].get("p_vs_bm25")
            cls = "best" if v == best[m] else ""
            sig = '<span class="sig">*</span>' if p is not None and p < 0.05 else ""
            cells.append(f'<td class="{cls}">{v:.4f}{sig}<br><span class="sub">[{lo:.3f}, {hi:.3f}]</span></td>')
        rows.append(f"<tr><td>{_zh(name)}</td>{''.join(cells)}</tr>")
    return f"<table><tr><th>系统</th>{head}</tr>{''.join(rows)}</table>"


def render_html(
    summary: dict[str, Any],
    items: list[NeedCandidates],
    judged: dict[str, dict[str, int]],
    runs: dict[str, dict[str, dict[str, float]]],
) -> str:
    level, best = summary["level"], _best_system(summary)
    per_query = summary["per_query"]
    counts = _targets_in_top10(items, runs[best], summary["level"])
    grade_scores = _grade_scores(items, judged, runs[best])
    field_rows = _fields(items, per_query)
    field_head = "".join(f"<th>{html.escape(n)}</th>" for n in per_query)
    field_html = "".join(
        f"<tr><td>{html.escape(str(r[0]))}</td><td>{r[1]}</td>" + "".join(f"<td>{v:.3f}</td>" for v in r[2:]) + "</tr>"
        for r in field_rows
    )
    top_targets = "、".join(f"{html.escape(t)}（{n}）" for t, n in counts.most_common(8))
    baseline = per_query.get("bm25", {}).get("ndcg@10", {})
    ndcg = summary["systems"][best]["ndcg@10"]["mean"]
    base = summary["systems"].get("bm25", {}).get("ndcg@10", {}).get("mean", 0.0)
    sections = [
        f"<h1>匹配质量评估报告 · {LEVEL_ZH[level]}级</h1>",
        f"<div class='sub'>{summary['queries']} 条有评判的需求 · 候选池：{POOL_ZH.get(summary['pool'], '')} · "
        f"排序模型：{html.escape(_ranker_text(summary.get('ranker')))}</div>",
        "<div class='kpis'>"
        f"<div class='kpi'>最佳系统<b>{_zh(best)}</b></div>"
        f"<div class='kpi'>nDCG@10<b>{ndcg:.3f}</b></div>"
        f"<div class='kpi'>较关键词检索<b>{ndcg - base:+.3f}</b></div>"
        f"<div class='kpi'>推荐覆盖对象数<b>{len(counts)}</b></div></div>",
        "<h2>各系统指标（均值，括号内为 95% 自助法置信区间；* 为相对关键词检索的配对 t 检验 p&lt;0.05）</h2>",
        f"<div class='card'>{_metric_table(summary)}</div>",
        f"<div class='card'>{charts.metric_bars(summary['systems'], METRICS)}</div>",
        f"<h2>逐条需求的提升（{_zh(best)} 相对关键词检索，nDCG@10）</h2>",
        f"<div class='card'>{charts.gains(per_query[best]['ndcg@10'], baseline, 'nDCG@10')}</div>",
    ]
    calibration = summary.get("ranker", {}).get("calibration") if isinstance(summary.get("ranker"), dict) else None
    if calibration and calibration["bins"]:
        sections += [
            "<h2>排序模型的匹配度校准（留出需求上的评判对）</h2>",
            f"<div class='card'><p>匹配度 / 100 作为“相关”的概率：期望校准误差 ECE {calibration['ece']:.3f}，"
            f"{calibration['pairs']} 个评判对，其中相关 {calibration['relevant']} 个；点旁数字为该区间的对数。</p>"
            f"{charts.reliability(calibration['bins'])}</div>",
        ]
    for key, served in summary.get("calibration", {}).items():
        shipped = served["served"]
        as_served = (f"随附的校准（用其他评判拟合，未见过这些数据）直接使用：ECE {shipped['ece']:.3f}。" if shipped
                     else "随附的校准没有这一项：服务时不显示匹配度（尚未校准）。")  # fmt: skip
        sections += [
            f"<h2>服务中的匹配度校准：{html.escape(CALIBRATED_ZH.get(key, key))}（交叉验证，按查询分组）</h2>",
            f"<div class='card'><p>在这些评判上按查询分组交叉验证重新拟合：ECE {served['ece']:.3f}，"
            f"AUC {served['auc']}；{served['pairs']} 个对，其中相关 {served['relevant']} 个，"
            f"{served['queries']} 个查询。{as_served}</p>"
            f"{charts.reliability(served['bins'], '重新拟合（交叉验证）')}"
            + (charts.reliability(shipped["bins"], "随附校准（直接使用）") if shipped else "") + "</div>",
        ]
    if grade_scores and len(grade_scores) > 1:
        sections += [
            f"<h2>按相关等级的得分分布（{_zh(best)}）</h2>",
            f"<div class='card'>{charts.by_grade(grade_scores, charts.SYSTEM_ZH.get(best, best) + ' 得分')}</div>",
        ]
    sections += [
        "<h2>按领域拆分（nDCG@10）</h2>",
        f"<div class='card'><table><tr><th>领域</th><th>需求数</th>{field_head}</tr>{field_html}</table></div>",
        "<h2>推荐对象的覆盖与集中度</h2>",
        f"<div class='card'><p>{_zh(best)} 的各需求前 10 名中共出现 {len(counts)} 个不同的"
        f"{_target_word(level, items)}；基尼系数 {_gini(list(counts.values())):.3f}"
        f"（越接近 1 越集中）。出现最多：{top_targets or '—'}。</p>"
        f"{charts.concentration(list(counts.values())) if counts else ''}</div>",
    ]
    body = "\n".join(sections)
    return (
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>matcher 评估报告</title>"
        f"<style>{CSS}</style><main>{body}</main></html>"
    )


def write_report(
    out: Path,
    summary: dict[str, Any],
    items: list[NeedCandidates],
    judged: dict[str, dict[str, int]],
    runs: dict[str, dict[str, dict[str, float]]],
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    path = out / "report.html"
    path.write_text(render_html(summary, items, judged, runs), encoding="utf-8")
    return path
