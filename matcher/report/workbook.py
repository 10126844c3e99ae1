"""The 统计报表 as a bureau expects it: an XLSX with one sheet per dimension (Chinese headers, every cell written
through `export.sheets`), and a printable HTML page (bars drawn in CSS, nothing to load)."""

from __future__ import annotations

from html import escape
from typing import Any

from openpyxl import Workbook

from matcher.export.sheets import book_bytes, table
from matcher.report.progress import COUNT_ZH, COUNTS

NUMBERS = [*COUNTS, "contracts", "contract_amount_wan"]
SCOPE_ZH = {"region": "地区", "field": "领域", "institution": "单位", "owner": "负责人"}


def _scope_line(report: dict[str, Any]) -> str:
    parts = [f"{SCOPE_ZH[k]}：{v}" for k, v in report["scope"].items() if v]
    return f"统计区间：{report['period']['from']} 至 {report['period']['to']}" + (
        "；" + "；".join(parts) if parts else ""
    )


def _dimension(report: dict[str, Any], key: str, header: str, numbers: list[str]) -> tuple[list[str], list[list[Any]]]:
    rows = [[row[key], *(row[n] for n in numbers)] for row in report[f"by_{key}"]]
    return [header, *(COUNT_ZH[n] for n in numbers)], rows


def progress_xlsx(report: dict[str, Any]) -> bytes:
    """总览, 漏斗, 合同类型, 按地区, 按领域, 按负责人, 单位排行, 专家排行."""
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "总览"
    table(overview, ["指标", "数值"], [[COUNT_ZH[n], report[n]] for n in NUMBERS] + [["统计区间", _scope_line(report)]],
          [20, 60])  # fmt: skip
    funnel = [[f["stage_zh"], f["count"], f["median_days"], f["timed"]] for f in report["funnel"]]
    table(
        book.create_sheet("漏斗"),
        ["阶段", "对接数", "距上一阶段天数（中位数）", "计时对接数"],
        funnel,
        [12, 10, 24, 12],
    )
    kinds = [[k, v["count"], v["amount_wan"]] for k, v in report["contracts_by_type"].items()]
    table(book.create_sheet("合同类型"), ["合同类型", "合同数", "合同金额（万元）"], kinds, [12, 10, 18])
    owner_numbers = [n for n in NUMBERS if n != "collected"]
    for key, title, numbers in (("region", "地区", NUMBERS), ("field", "领域", NUMBERS),
                                ("owner", "负责人", owner_numbers)):  # fmt: skip
        headers, rows = _dimension(report, key, title, numbers)
        table(book.create_sheet(f"按{title}"), headers, rows, [16] + [10] * len(numbers))
    for key, title, header in (("top_institutions", "单位排行", "单位"), ("top_experts", "专家排行", "专家")):
        rows = [[i + 1, r["name"], r["contracts"], r["amount_wan"]] for i, r in enumerate(report[key])]
        table(book.create_sheet(title), ["名次", header, "签约合同数", "合同金额（万元）"], rows, [6, 30, 12, 18])
    return book_bytes(book)


def _bars(rows: list[tuple[str, float]], unit: str) -> str:
    top = max((v for _, v in rows), default=0) or 1
    return "".join(
        f'<div class="bar"><span class="k">{escape(k)}</span><span class="b" style="width:{60 * v / top:.1f}%"></span>'
        f'<span class="v">{v:g}{unit}</span></div>'
        for k, v in rows
    )


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def progress_html(report: dict[str, Any]) -> str:
    """A page to print (A4, no script): the counts as bars, the funnel, contract types and the top partners."""
    counts = _bars([(COUNT_ZH[n], float(report[n])) for n in COUNTS], " 项")
    funnel = "".join(f"<tr><td>{escape(f['stage_zh'])}</td><td>{f['count']}</td><td>{_days(f['median_days'])}</td></tr>"
                     for f in report["funnel"])  # fmt: skip
    tops = ""
    for key, title in (("top_institutions", "单位排行"), ("top_experts", "专家排行")):
        rows = "".join(f"<tr><td>{i + 1}</td><td>{escape(r['name'])}</td><td>{r['contracts']}</td>"
                       f"<td>{r['amount_wan']:g}</td></tr>" for i, r in enumerate(report[key]))  # fmt: skip
        tops += (f"<h2>{title}（按签约合同数）</h2><table><tr><th>名次</th><th>名称</th><th>合同数</th>"
                 f"<th>金额（万元）</th></tr>{rows or '<tr><td colspan=4>本期无签约</td></tr>'}</table>")  # fmt: skip
    kinds = _bars([(k, float(v["amount_wan"])) for k, v in report["contracts_by_type"].items()], " 万元")
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>对接工作统计报表</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:180mm;margin:auto}}
.bar{{display:flex;align-items:center;gap:8px;margin:3px 0}}.k{{width:7em}}.b{{background:#3b6ea5;height:12px}}
table{{border-collapse:collapse;margin:6px 0}}td,th{{border:1px solid #999;padding:3px 8px}}
@page{{size:A4;margin:15mm}}</style></head><body><h1>对接工作统计报表</h1><p>{escape(_scope_line(report))}</p>
<p>签约合同 <b>{report["contracts"]}</b> 项，合同金额 <b>{report["contract_amount_wan"]:g}</b> 万元。</p>
<h2>需求进展</h2>{counts}<h2>对接漏斗</h2><table><tr><th>阶段</th><th>对接数</th><th>距上一阶段天数（中位数）</th></tr>
{funnel}</table><h2>合同类型（金额）</h2>{kinds or "<p>本期无签约</p>"}{tops}</body></html>"""
