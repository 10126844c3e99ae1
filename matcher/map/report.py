"""The 技术图谱 report: one self-contained HTML page (inline SVG, no scripts or fonts to fetch) in Chinese —
a topic × region heatmap of demand against supply, a treemap of fields and topics, the gap list with who could
fill each gap, the strengths awaiting an enterprise, and each topic's trend."""

from __future__ import annotations

from html import escape
from pathlib import Path

import squarify

from matcher.map.cells import Cell
from matcher.map.findings import Gap, NeedRef, Strength
from matcher.map.model import Topic
from matcher.map.view import MapView
from matcher.records import KIND_ZH

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac")
# a gap counts the outcomes of its topic; the words say so (the nearest single outcome may still be local)
GAP_KIND = {"remote": "本地同类成果数量不足，外地另有同类成果", "absent": "本地同类成果数量不足，各地都还没有同类成果"}
_CELL_W, _CELL_H, _LABEL_W, _HEAD_H = 58, 26, 250, 30
LISTED = 40  # gaps and strengths written out in full; the workbook holds them all


def _alpha(value: float, top: float) -> float:
    return round(0.18 + 0.82 * min(1.0, value / top), 3) if top > 0 else 0.0


def _fill(cell: Cell | None, top_gap: float, top_strength: float) -> str:
    if cell is None:
        return "#ffffff"
    if cell.gap > 0:
        return f"rgba(214,39,40,{_alpha(cell.gap, top_gap)})"
    if cell.strength > 0:
        return f"rgba(44,160,44,{_alpha(cell.strength, top_strength)})"
    return "#dfe8f3" if cell.needs or cell.outcomes else "#ffffff"


def _tip(topic: Topic, cell: Cell) -> str:
    lines = [
        f"{topic.label} × {cell.region}",
        f"开放需求 {cell.needs}（企业 {cell.enterprises}）· 本地成果 {cell.outcomes} · 外地成果 {cell.remote_outcomes}",
        f"专家 {cell.experts} · 机构 {cell.institutions} · 已对接 {cell.met} · 已签约 {cell.signed}",
    ]
    if cell.gap:
        lines.append(f"卡脖子缺口 {cell.gap:g}（{GAP_KIND[cell.gap_kind or 'absent']}）")
    if cell.strength:
        lines.append(f"待转化优势 {cell.strength:g}")
    return escape("\n".join(lines))


def heatmap(v: MapView) -> str:
    regions, topics = v.regions, v.topics
    top_gap = max((c.gap for c in v.cells), default=0.0)
    top_strength = max((c.strength for c in v.cells), default=0.0)
    width, height = _LABEL_W + _CELL_W * len(regions), _HEAD_H + _CELL_H * len(topics)
    parts = [f'<svg class="heat" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    for j, region in enumerate(regions):
        x = _LABEL_W + j * _CELL_W + _CELL_W / 2
        weight = ' font-weight="bold"' if region == v.region else ""
        parts.append(f'<text x="{x}" y="20" text-anchor="middle"{weight}>{escape(region)}</text>')
    listed = {(g.topic, g.region) for g in v.gaps[:LISTED]}  # a red cell links to its gap when the report lists it
    for i, topic in enumerate(topics):
        y = _HEAD_H + i * _CELL_H
        label = topic.label
        parts.append(f'<text x="{_LABEL_W - 6}" y="{y + 17}" text-anchor="end">{escape(label)}</text>')
        for j, region in enumerate(regions):
            x = _LABEL_W + j * _CELL_W
            parts.append(_heat_cell(v, topic, region, x, y, (top_gap, top_strength), (topic.id, region) in listed))
    parts.append("</svg>")
    return "".join(parts)


def _heat_cell(v: MapView, topic: Topic, region: str, x: int, y: int, tops: tuple[float, float], listed: bool) -> str:
    cell = v.grid.get((topic.id, region))
    fill = _fill(cell, *tops)
    rect = f'<rect x="{x}" y="{y}" width="{_CELL_W - 2}" height="{_CELL_H - 2}" fill="{fill}" rx="3">'
    if cell is None:
        return rect + "</rect>"
    text = f'<text x="{x + _CELL_W / 2 - 1}" y="{y + 17}" text-anchor="middle">{cell.needs}/{cell.outcomes}</text>'
    body = f"{rect}<title>{_tip(topic, cell)}</title></rect>{text}"
    return f'<a href="#gap-{topic.id}-{escape(region)}">{body}</a>' if cell.gap > 0 and listed else body


def treemap(v: MapView, width: int = 960, height: int = 420) -> str:
    fields = [f for f in v.techmap.fields if v.field is None or f.id == v.field.id]
    size = {t.id: t.outcomes + t.needs for t in v.techmap.topics}
    fields = [f for f in fields if sum(size[t] for t in f.topics) > 0]
    boxes = squarify.squarify(
        squarify.normalize_sizes([sum(size[t] for t in f.topics) for f in fields], width, height), 0, 0, width, height
    )
    parts = [f'<svg class="tree" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">']
    for f, box in zip(fields, boxes, strict=True):
        colour = PALETTE[f.id % len(PALETTE)]
        topics = sorted((t for t in f.topics if size[t]), key=lambda t: -size[t])
        inner = squarify.squarify(
            squarify.normalize_sizes([size[t] for t in topics], box["dx"], box["dy"]),
            box["x"],
            box["y"],
            box["dx"],
            box["dy"],
        )
        for t, r in zip(topics, inner, strict=True):
            parts.append(_tree_box(v.techmap.topics[t], r, colour))
        parts.append(
            f'<text class="field" x="{box["x"] + 4:.0f}" y="{box["y"] + box["dy"] - 6:.0f}">{escape(f.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _tree_box(topic: Topic, r: dict[str, float], colour: str) -> str:
    x, y, w, h = r["x"], r["y"], r["dx"], r["dy"]
    tip = escape(f"{topic.label}\n成果 {topic.outcomes} · 开放需求 {topic.needs}")
    out = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}" stroke="#fff">'
    out += f"<title>{tip}</title></rect>"
    if w > 60 and h > 30:
        words = escape(topic.label if len(topic.label) * 13 < w else topic.label.split("与")[0])
        out += f'<text x="{x + 5:.1f}" y="{y + 17:.1f}" fill="#fff">{words}</text>'
        counts = f"需 {topic.needs} / 供 {topic.outcomes}"
        out += f'<text x="{x + 5:.1f}" y="{y + 33:.1f}" fill="#fff" class="small">{counts}</text>'
    return out


def sparkline(series: dict[str, int], width: int = 120, height: int = 24) -> str:
    if not series:
        return ""
    keys, top = sorted(series), max(series.values())
    step = width / max(len(keys), 1)
    bars = "".join(
        f'<rect x="{i * step:.1f}" y="{height - height * series[k] / top:.1f}" width="{max(step - 1, 1):.1f}" '
        f'height="{height * series[k] / top:.1f}" fill="#4e79a7"><title>{escape(k)}: {series[k]}</title></rect>'
        for i, k in enumerate(keys)
    )
    return f'<svg width="{width}" height="{height}" class="spark">{bars}</svg>'


def _topic_rows(v: MapView) -> str:
    names = {f.id: f.name for f in v.techmap.fields}
    return "".join(
        f"<tr><td>{t.id + 1}</td><td>{escape(names[t.field])}</td><td>{escape(' '.join(w for w, _ in t.terms))}</td>"
        f"<td>{t.needs}</td><td>{t.outcomes}</td><td>{sparkline(t.years)}</td><td>{sparkline(t.quarters)}</td></tr>"
        for t in v.topics
    )


def _sim(value: float | None) -> str:
    return "无" if value is None else f"{value:.2f}"


def gap_words(cell: Cell, alpha: float) -> str:
    """What a gap's numbers say, in the cell's own counts (the page's techmap.js says the same)."""
    local = f"本地同类成果 {cell.outcomes} 项，按每条需求 {alpha:g} 项计，不够 {cell.needs} 条开放需求"
    return local + (f"；外地有同类成果 {cell.remote_outcomes} 项" if cell.remote_outcomes else "；各地都还没有同类成果")


def nearest_words(n: NeedRef, cell: Cell | None = None) -> str:
    """Where a need's most similar outcome is, beside the two similarities it is read from (with no local outcome
    in the gap's topic, a local one that is nearest belongs to another topic)."""
    where = ""
    if n.best_local is not None and (n.best_remote is None or n.best_local >= n.best_remote):
        where = (
            "最相近的成果在本地（属其他主题）；" if cell is not None and cell.outcomes == 0 else "最相近的成果在本地；"
        )
    elif n.best_remote is not None:
        where = "最相近的成果在外地；"
    return f"{where}相似度：本地 {_sim(n.best_local)}，外地 {_sim(n.best_remote)}"


def _gap_block(g: Gap, topic: Topic, cell: Cell | None, alpha: float) -> str:
    needs = "".join(
        f"<li>{escape(n.title)}<span class='muted'>（{escape(n.organization or '未注明企业')}；"
        f"{nearest_words(n, cell)}）</span></li>"
        for n in g.needs
    )
    insts = "".join(
        f"<li>{escape(s.name)}<span class='muted'>（{escape(s.region or '')}，{s.score:.2f}）</span></li>"
        for s in g.institutions[:5]
    )
    people = "".join(
        f"<li>{escape(s.name)}<span class='muted'>（{escape(s.region or '')}，{s.score:.2f}）</span></li>"
        for s in g.experts[:5]
    )
    return (
        f"<section class='gap' id='gap-{g.topic}-{escape(g.region)}'>"
        f"<h3>{escape(g.region)} · {escape(topic.label)}"
        f" <span class='badge'>缺口 {g.score:g}</span></h3>"
        f"<p class='muted'>{escape(gap_words(cell, alpha) if cell else GAP_KIND[g.kind])}</p><div class='cols'>"
        f"<div><h4>需求</h4><ol>{needs}</ol></div><div><h4>外地最近的机构</h4><ol>{insts or '<li>无</li>'}</ol></div>"
        f"<div><h4>外地最近的专家</h4><ol>{people or '<li>无</li>'}</ol></div></div></section>"
    )


def _strength_block(s: Strength, topic: Topic) -> str:
    items = "".join(
        f"<li>{escape(o.title)}<span class='muted'>（{escape(KIND_ZH.get(o.kind, o.kind))}，{o.year or '年份不详'}，"
        f"{escape(o.institution or '')}{'；' + escape('、'.join(o.experts[:3])) if o.experts else ''}）</span></li>"
        for o in s.outcomes
    )
    return (
        f"<section class='strength'><h3>{escape(s.region)} · {escape(topic.label)} "
        f"<span class='badge ok'>待转化 {s.score:g}</span></h3><ol>{items}</ol></section>"
    )


def _local_day(stamp: object) -> str:
    """The map's creation day (its stored time is UTC; a day is what a reader needs)."""
    return str(stamp or "")[:10] or "—"


def _style() -> str:
    return (Path(__file__).parent / "report.css").read_text(encoding="utf-8")


def _cards(v: MapView) -> str:
    shown = [c for c in v.cells if v.region is None or c.region == v.region]
    facts = [
        ("技术主题", len(v.topics)),
        ("开放需求", sum(c.needs for c in shown)),
        ("科技成果", sum(c.outcomes for c in shown)),
        ("卡脖子缺口", len(v.gaps)),
        ("待转化优势", len(v.strengths)),
        ("已对接 / 已签约", f"{sum(c.met for c in shown)} / {sum(c.signed for c in shown)}"),
    ]
    return (
        "<div class='cards'>" + "".join(f"<div class='card'><b>{x}</b>{escape(k)}</div>" for k, x in facts) + "</div>"
    )


def _more(count: int) -> str:
    return f"<p class='muted'>另有 {count - LISTED} 项，见图谱的 Excel 工作簿。</p>" if count > LISTED else ""


def render(v: MapView) -> str:
    """The whole report as one HTML string."""
    p = v.techmap.params
    scope = "、".join(x for x in (v.region, v.field.name if v.field else None) if x) or "全部地区与领域"
    topics = {t.id: t for t in v.techmap.topics}
    legend = (
        "<p class='legend'><span style='background:rgba(214,39,40,.7);color:#fff'>红：卡脖子缺口</span>"
        "<span style='background:rgba(44,160,44,.7);color:#fff'>绿：待转化优势</span>"
        "<span style='background:#dfe8f3'>蓝：供需相当</span>格内数字：开放需求/本地成果；点击红格看缺口详情。</p>"
    )
    return "".join(
        [
            "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>技术图谱 · {escape(scope)}</title><style>{_style()}</style></head><body>",
            f"<h1>技术图谱 · {escape(scope)}</h1>",
            f"<p class='muted'>{p.get('documents', 0)} 条成果与需求聚为 {len(v.techmap.topics)} 个技术主题、"
            f"{len(v.techmap.fields)} 个领域；生成于 {escape(_local_day(p.get('created_at')))}。"
            f"每条需求按 {p.get('alpha')} 项本地成果算作满足：缺口 = 开放需求 − 本地成果 ÷ {p.get('alpha')}；"
            f"优势 = 本地成果 − {p.get('alpha')} × 开放需求。</p>",
            _cards(v),
            "<h2>供需热力图（主题 × 地区）</h2>",
            legend,
            "<p class='muted swipe'>地区较多时，左右滑动查看全部地区。</p>",
            f"<div class='scroll'>{heatmap(v)}</div>",
            "<h2>领域与主题</h2><p class='muted'>面积 = 成果 + 开放需求</p>",
            f"<div class='scroll'>{treemap(v)}</div>",
            "<h2>卡脖子缺口</h2>",
            "".join(
                _gap_block(g, topics[g.topic], v.grid.get((g.topic, g.region)), float(p.get("alpha") or 2))
                for g in v.gaps[:LISTED]
            )
            or "<p>没有缺口。</p>",
            _more(len(v.gaps)),
            "<h2>待转化优势（有成果、缺本地需求）</h2>",
            "".join(_strength_block(s, topics[s.topic]) for s in v.strengths[:LISTED]) or "<p>没有。</p>",
            _more(len(v.strengths)),
            "<h2>主题一览</h2><div class='scroll'><table><tr><th>主题</th><th>领域</th><th>关键词</th>",
            "<th>开放需求</th><th>成果</th>",
            "<th>成果/年</th><th>需求/季度</th></tr>",
            _topic_rows(v),
            "</table></div></body></html>",
        ]
    )
