"""Which column of a staff file is which field: one table of header synonyms per kind, Chinese and English.

Headers are compared after normalising (full width → half width, case, spaces, a trailing colon or asterisk, and
notes in brackets such as （必填） dropped), so 需求名称*, 需求名称（必填） and `Title` all find their field. Several
columns may feed one field where the field reads them together (a need's 需求描述 and 预期目标 become one
description, each part labelled). A guess can be overridden column by column (`--map 列名=field`, or the page's
dropdown); `-` ignores a column. A file with no column for the kind's title field is refused in one line that
lists the headers found and the names accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from matcher.errors import InputError

IGNORE = "-"
# field → header synonyms (the field's own name always counts). Order matters only for display.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "needs": {
        "id": ("需求编号", "需求id"),
        "title": ("需求名称", "需求标题", "技术需求", "项目名称", "需求项目名称", "技术需求名称", "名称"),
        "description": (
            "需求描述",
            "需求内容",
            "需求详情",
            "技术难题",
            "需解决的问题",
            "需要解决的问题",
            "需求说明",
            "具体需求",
            "技术需求描述",
            "描述",
            "内容",
        ),
        "goal": ("预期目标", "技术指标", "预期效果", "期望目标", "主要技术指标", "合作方式", "合作形式", "合作意向"),
        "organization": ("企业名称", "需求单位", "单位名称", "企业", "公司名称", "需求企业", "单位"),
        "region": ("所在地区", "地区", "省份", "所在地", "所在城市", "所属地区", "区域", "省市"),
        "field": ("所属领域", "技术领域", "行业", "所属行业", "领域", "行业领域"),
        "status": ("状态", "需求状态"),
        "contact_name": ("联系人", "联系人姓名", "contact"),
        "contact_phone": ("电话", "联系电话", "手机", "手机号", "联系方式", "phone"),
        "contact_email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
    },
    "outcomes": {
        "id": ("成果编号",),
        "patent_no": (
            "申请号",
            "专利申请号",
            "专利号",
            "公开号",
            "公开（公告）号",
            "公告号",
            "公开公告号",
            "申请公布号",
            "授权公告号",
        ),
        "doi": ("doi",),
        "grant_no": ("项目批准号", "批准号", "项目编号", "课题编号"),
        "title": ("成果名称", "专利名称", "发明名称", "论文题名", "题名", "项目名称", "题目", "篇名", "名称", "标题"),
        "abstract": ("摘要", "成果简介", "内容简介", "简介", "成果介绍", "主要内容", "摘要文本"),
        "keywords": ("关键词", "关键字", "主题词"),
        "institution": (
            "完成单位",
            "申请人",
            "专利权人",
            "申请（专利权）人",
            "第一单位",
            "作者单位",
            "依托单位",
            "申请单位",
            "单位",
            "机构",
            "第一完成单位",
            "当前权利人",
        ),
        "experts": (
            "发明人",
            "完成人",
            "作者",
            "负责人",
            "项目负责人",
            "发明人（设计人）",
            "主要完成人",
            "成果完成人",
            "第一作者",
        ),
        "year": (
            "年份",
            "年度",
            "申请日",
            "公开日",
            "发表时间",
            "出版年",
            "发表年份",
            "申请年",
            "授权日",
            "公开（公告）日",
            "立项年度",
            "批准年度",
            "完成时间",
            "日期",
        ),
        "kind": ("类型", "成果类型", "文献类型", "专利类型", "类别"),
        "field": ("所属领域", "技术领域", "学科分类", "学科", "领域", "行业"),
        "region": ("所在地区", "地区", "省份", "所在地"),
        "trl": ("技术成熟度", "成熟度"),
    },
    "experts": {
        "id": ("专家编号",),
        "name": ("姓名", "专家姓名", "专家", "名字"),
        "institution": ("单位", "工作单位", "所在单位", "单位名称", "所属单位", "机构", "依托单位"),
        "title": ("职称", "职务", "技术职称"),
        "fields": ("研究方向", "研究领域", "专业领域", "专业", "擅长领域", "专长", "领域"),
        "region": ("所在地区", "地区", "省份", "所在地"),
        "capacity": ("容量", "可对接数", "每期推荐上限"),
        "contact_phone": ("电话", "联系电话", "手机", "手机号", "联系方式", "phone"),
        "contact_email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
    },
    "institutions": {
        "id": ("机构编号", "单位编号"),
        "name": ("单位名称", "机构名称", "名称", "单位", "机构"),
        "type": ("单位类型", "机构类型", "类型", "单位性质", "性质"),
        "region": ("所在地区", "地区", "省份", "所在地"),
        "aliases": ("简称", "别名", "又名", "曾用名"),
        "group": ("所属集团", "上级单位", "集团", "主管单位"),
    },
    # the 对接台账 staff keep (`ingest/ledger.py`): one row per need and partner, its stage, its contract
    "engagements": {
        "need": ("需求名称", "需求标题", "技术需求", "技术需求名称", "项目名称", "需求"),
        "organization": ("需求企业", "企业名称", "需求单位", "企业", "公司名称"),
        "institution": ("对接单位", "合作单位", "对接高校", "对接机构", "高校院所", "承接单位", "合作高校"),
        "expert": ("对接专家", "合作专家", "专家", "专家姓名"),
        "outcome": ("对接成果", "成果名称"),
        "stage": ("当前阶段", "对接阶段", "对接进展", "进展", "阶段", "对接状态"),
        "stage_date": ("阶段日期", "进展日期", "更新日期", "对接日期", "日期"),
        "reason": ("不合适原因", "终止原因", "原因"),
        "contract_type": ("合同类型", "技术合同类型"),
        "amount_wan": ("合同金额（万元）", "合同金额", "金额（万元）", "成交金额", "金额"),
        "signed_on": ("签约日期", "签订日期", "合同签订日期", "签约时间"),
        "registration_no": ("合同登记号", "技术合同登记号", "登记号", "认定登记号"),
        "parties": ("合同各方", "签约方", "合同当事人"),
        "owner": ("负责人", "跟进人", "对接负责人", "经办人"),
        "next_action": ("下一步", "下一步工作", "待办事项", "跟进事项"),
        "due_date": ("跟进日期", "下次跟进", "到期日", "截止日期", "跟进截止"),
        "notes": ("备注", "说明", "情况说明"),
        "region": ("所在地区", "地区", "省份"),
        "field": ("所属领域", "技术领域", "领域", "行业"),
    },
}
TITLE_FIELD = {"needs": "title", "outcomes": "title", "experts": "name", "institutions": "name",
               "engagements": "need"}  # fmt: skip
LABELS = {"description": "", "goal": "预期目标"}  # several parts of a need's description, labelled when joined
_NOTE = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")
_NOISE = re.compile(r"[\s*:：_·.\-]")


# traditional → simplified for the characters of the synonym tables (a Big5 sheet from Taiwan or Hong Kong)
_TRADITIONAL = str.maketrans(
    "稱單業區題內術電話聯數類關鍵詞編號職專導構機縣與屬詳細標點說時間期開發領線學歷顧問師內請備註狀態預標價專利權屬負責項目際簡介資料聯絡處門戶網頁郵箱",
    "称单业区题内术电话联数类关键词编号职专导构机县与属详细标点说时间期开发领线学历顾问师内请备注状态预标价专利权属负责项目际简介资料联络处门户网页邮箱",
)


def header_key(header: str) -> str:
    """A header as compared: NFKC, traditional characters simplified, lower case, notes in brackets and spaces,
    colons, asterisks removed."""
    text = unicodedata.normalize("NFKC", header).translate(_TRADITIONAL).lower()
    stripped = _NOTE.sub("", text)
    return _NOISE.sub("", stripped or text)


def fields_of(kind: str) -> list[str]:
    return list(SYNONYMS[kind])


def lookup_of(kind: str) -> dict[str, str]:
    """Header key → field of `kind` (the kind → field → synonyms table, inverted)."""
    table: dict[str, str] = {}
    for name, words in SYNONYMS[kind].items():
        for word in (name, *words):
            table.setdefault(header_key(word), name)
    return table


_lookup = lookup_of


def label_keys(kind: str) -> set[str]:
    """Every header key that names a field of `kind` (a need form's labels are recognised by these)."""
    return set(_lookup(kind))


@dataclass
class ColumnMap:
    """Header → field for one file, and the headers it ignores."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # overrides naming a column the file does not have

    def columns_of(self, name: str) -> list[str]:
        return [h for h, f in self.fields.items() if f == name]

    @classmethod
    def identity(cls, kind: str) -> ColumnMap:
        """The map of rows already keyed by field names (JSONL, reference exports)."""
        return cls(kind, {name: name for name in SYNONYMS[kind]})

    def describe(self) -> str:
        """One line for the import summary: 需求名称→title, 需求描述→description; 忽略：序号、联系人"""
        used = ", ".join(f"{h}→{f}" for h, f in self.fields.items())
        return used + (f"；忽略：{'、'.join(self.ignored)}" if self.ignored else "")


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`列名=field` strings (the CLI's --map) → {header: field}."""
    found = {}
    for pair in pairs:
        header, sep, name = pair.partition("=")
        if not sep or not header.strip() or not name.strip():
            raise InputError(f"--map 的写法是 列名=字段，例如 需求名称=title；收到 {pair!r}")
        found[header.strip()] = name.strip()
    return found


def guess(kind: str, headers: list[str], overrides: dict[str, str] | None = None) -> ColumnMap:
    """The mapping of `headers` for `kind`: overrides first, then synonyms (each field taken once, by the first
    column that names it, except the description parts); refused when nothing maps to the title field."""
    if kind not in SYNONYMS:
        raise InputError(f"unknown record kind {kind!r}; expected one of {', '.join(SYNONYMS)}")
    overrides = overrides or {}
    known = set(SYNONYMS[kind])
    for header, name in overrides.items():
        if name != IGNORE and name not in known:
            raise InputError(f"--map {header}={name}：{kind} 没有字段 {name!r}；可用字段：{'、'.join(sorted(known))}")
    lookup, mapped = _lookup(kind), ColumnMap(kind)
    mapped.unused = [h for h in overrides if h not in headers]
    taken: set[str] = {name for header, name in overrides.items() if header in headers and name != IGNORE}
    for header in headers:
        chosen = overrides.get(header) or lookup.get(header_key(header))
        if header not in overrides and chosen in taken and chosen not in LABELS:  # an override wins its field
            chosen = None
        if chosen and chosen != IGNORE and (header in overrides or chosen not in taken or chosen in LABELS):
            mapped.fields[header] = chosen
            taken.add(chosen)
        elif header.strip():
            mapped.ignored.append(header)
    title = TITLE_FIELD[kind]
    if title not in taken:
        accepted = "、".join((title, *SYNONYMS[kind][title]))
        raise InputError(
            f"找不到可作为 {title} 的列。文件的列：{'、'.join(h for h in headers if h.strip()) or '（无）'}；"
            f"可用的列名：{accepted}（或用 --map 列名={title} 指定）"
        )
    return mapped
