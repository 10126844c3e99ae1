"""Which unit an institution name belongs to: a table of rules, first match wins, each with its reason.

A sub-unit of a university (重庆大学材料科学与工程学院, 浙江大学化学系) is part of the university: people and
records written at it resolve to the university's record. Separate institutions that share a university's
prefix stay separate: an independent college (独立学院: 重庆大学城市科技学院, 四川大学锦城学院), a hospital
(附属医院, 四川大学华西医院). A university's 研究院 registered on its own stays separate because the resolver finds
its own record before any rule is applied (`InstitutionResolver.find`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matcher.text.normalize import clean

# words naming an academic discipline: a 学院 whose middle holds one is a school of the university
DISCIPLINES = (
    "工程", "科学", "材料", "化学", "化工", "物理", "数学", "统计", "医学", "药学", "护理", "口腔", "公共卫生",
    "管理", "经济", "金融", "商", "法", "文", "史", "哲", "理", "信息", "计算机", "软件", "电子", "电气", "机械",
    "机电", "能源", "动力", "土木", "建筑", "环境", "生命", "生物", "农", "林", "园艺", "动物", "植物", "外国语",
    "外语", "马克思主义", "艺术", "美术", "音乐", "体育", "教育", "新闻", "传播", "政治", "社会", "航空", "航天",
    "宇航", "交通", "运输", "海洋", "地球", "地理", "资源", "测绘", "光电", "自动化", "控制", "仪器", "食品",
    "纺织", "冶金", "矿业", "安全", "规划", "城市规划", "研究生", "继续教育", "网络", "人工智能", "集成电路",
    "微电子", "通信", "智能", "药", "医", "水利", "石油", "船舶", "核", "汽车", "设计", "国际关系", "公共",
)  # fmt: skip
_DISCIPLINE = "|".join(sorted(DISCIPLINES, key=len, reverse=True))


@dataclass(frozen=True)
class UnitRule:
    pattern: re.Pattern[str]
    fold: bool  # True: the name is a sub-unit of group 1; False: a separate institution
    reason: str


RULES: tuple[UnitRule, ...] = (
    UnitRule(re.compile(r"^(.{2,}?大学).*医院$"), False, "医院（含附属医院）独立登记"),
    UnitRule(
        re.compile(
            r"^(.{2,}?大学)(?:城市科技|城市|科技|科学技术|现代技术|应用技术|工程技术|理工|文理|人文|"
            r"国际|职业技术|医药)学院$"
        ),
        False,
        "独立学院",
    ),
    UnitRule(re.compile(rf"^(.{{2,}}?大学)(?!.*(?:{_DISCIPLINE}))[^学院系所]{{2,3}}学院$"), False, "独立学院（校名）"),
    UnitRule(
        re.compile(r"^(.{2,}?大学)(?=.{1,}(?:学院|学部|系|研究所|研究中心|实验室|中心|研究院|研究生院|所)$)"),
        True,
        "大学的院系或研究机构",
    ),
)


def unit_rule(institution: str) -> UnitRule | None:
    """The first rule matching `institution` (cleaned), or None."""
    name = clean(institution)
    return next((rule for rule in RULES if rule.pattern.match(name)), None)


def main_unit(institution: str) -> str:
    """The university a sub-unit belongs to (重庆大学材料学院 → 重庆大学), else the name as given (a separate
    institution, or a name no rule knows)."""
    rule = unit_rule(institution)
    if rule is None or not rule.fold:
        return institution
    found = rule.pattern.match(clean(institution))
    return found.group(1) if found else institution
