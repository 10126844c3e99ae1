"""A staff file's row, its columns mapped (`columns.py`), shaped into the import record the schema validates:

- values read as staff write them: a date gives its year (2021-03-05, 2021年3月, 20210305, an Excel date), 类型
  words give the kind (发明专利 → patent), 高校 gives the institution type, 黑龙江省 the region 黑龙江;
- several description columns joined (预期目标 labelled), contact columns gathered into `contacts`;
- an id when the row has none: a natural key where one exists (a patent's application number, normalised so
  CN202110123456.7 and 2021101234567 are one patent; a DOI; a project's 批准号), else a stable id from the kind and
  the normalised title + organisation (institution) — so re-importing a sheet changes nothing and an edited
  description updates the same record.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from matcher.ingest.columns import ColumnMap
from matcher.text.normalize import clean, institution_key, stable_id
from matcher.text.regions import region_of

KINDS = {  # 类型 words → outcome kind (the first that occurs in the cell wins)
    "专利": "patent", "发明": "patent", "实用新型": "patent", "外观设计": "patent", "patent": "patent",
    "论文": "paper", "期刊": "paper", "会议": "paper", "学位": "paper", "文章": "paper", "paper": "paper",
    "journal": "paper", "article": "paper", "项目": "project", "课题": "project", "基金": "project",
    "project": "project", "成果": "achievement", "鉴定": "achievement", "奖": "achievement",
    "achievement": "achievement",
}  # fmt: skip
INSTITUTION_TYPES = {
    "高校": "university", "大学": "university", "学院": "university", "university": "university",
    "研究院": "institute", "研究所": "institute", "科研院所": "institute", "院所": "institute",
    "institute": "institute", "企业": "enterprise", "公司": "enterprise", "enterprise": "enterprise",
    "政府": "agency", "机关": "agency", "事业单位": "agency", "协会": "agency", "联盟": "agency",
    "agency": "agency",
}  # fmt: skip
STATUS = {"open": "open", "closed": "closed", "开放": "open", "征集中": "open", "待对接": "open", "对接中": "open",
          "已关闭": "closed", "关闭": "closed", "已解决": "closed", "已完成": "closed", "已对接": "closed"}  # fmt: skip
ID_PREFIX = {"needs": "N", "outcomes": "O", "experts": "X", "institutions": "I"}
CONTACTS = {"contact_name": "name", "contact_phone": "phone", "contact_email": "email"}
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2}|2100)(?!\d)")
_ID_UNSAFE = re.compile(r"[^\w.:#+\-]")


def year_of(value: Any) -> Any:
    """The year a cell names (a date, a year, 2021-03-05, 2021年3月, 20210305); the value itself when it names
    none, so the schema can say why."""
    if isinstance(value, datetime | date):
        return value.year
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = int(value)
        return whole // 10_000 if 19_000_000 <= whole <= 21_001_231 else whole
    text = str(value).strip()
    found = _YEAR.search(text) or re.match(r"^(\d{4})\d{4}$", text)
    return int(found.group(1)) if found else value


def kind_of(value: Any) -> Any:
    text = clean(str(value)).lower()
    return next((kind for word, kind in KINDS.items() if word in text), value)


def institution_type(value: Any) -> Any:
    text = clean(str(value)).lower()
    return next((kind for word, kind in INSTITUTION_TYPES.items() if word in text), value)


def region_name(value: Any) -> Any:
    """A province-level region for what staff write (黑龙江省, 重庆市, 齐齐哈尔), else the text cleaned."""
    text = clean(str(value))
    return region_of(text) or text


def patent_key(number: str) -> str:
    """One key for a patent's number however exported: CN202110123456.7, ZL 2021 1 0123456.7, 2021101234567 →
    CN2021101234567 (an application number keeps its check digit; a publication number such as CN112345678A is
    kept as written)."""
    text = re.sub(r"[\s.·]", "", clean(str(number)).upper()).removeprefix("ZL")
    return text if text.startswith("CN") else "CN" + text


def safe_id(prefix: str, text: str) -> str:
    """`prefix` + `text` with the characters an id may not hold (/ ? % white space) made `_`."""
    return prefix + _ID_UNSAFE.sub("_", clean(text))[:180]


def derived_id(kind: str, record: dict[str, Any]) -> str | None:
    """The id a row without one gets: a natural key, else a stable hash of its normalised identity."""
    if kind == "outcomes":
        for name, make in (("patent_no", patent_key), ("doi", lambda v: "doi:" + str(v).lower().split("doi.org/")[-1]),
                           ("grant_no", lambda v: "PRJ-" + clean(str(v)))):  # fmt: skip
            value = record.get(name)
            if value not in (None, ""):
                return safe_id("", make(value))
    title = record.get("title") or record.get("name")
    if not title:
        return None
    owner = record.get("organization") or record.get("institution") or ""
    if kind in ("experts", "institutions"):
        return None  # their ids come from name (+ institution) in the store, as before
    return stable_id(ID_PREFIX[kind], clean(str(title)), institution_key(str(owner)))


def _text(value: Any) -> str:
    return "" if value is None else clean(str(value))


def _joined(row: dict[str, Any], cmap: ColumnMap, names: tuple[str, ...]) -> str:
    """A need's description from its parts: the description columns, then 预期目标 and the like, labelled."""
    parts = []
    for header, name in cmap.fields.items():
        value = _text(row.get(header))
        if name in names and value:
            label = "" if name == "description" else (header.strip().rstrip("：:") + "：")
            parts.append(label + value)
    return "\n".join(parts)


# what an empty cell stores under --clear-empty (fields that must hold a value are never cleared)
CLEARED: dict[str, Any] = {"fields": [], "keywords": [], "aliases": [], "abstract": "", "description": ""}
NEVER_CLEARED = {"id", "title", "name", "status", "kind", "experts"}


def record_of(kind: str, row: dict[str, Any], cmap: ColumnMap, *, clear_empty: bool = False) -> dict[str, Any]:
    """The import record (field names, values as the schema reads them) of one mapped row. A field whose cells
    are empty is left out (the stored value stays), unless `clear_empty`: then it is set empty."""
    record: dict[str, Any] = {}
    for header, name in cmap.fields.items():
        value = row.get(header)
        if value is None or (isinstance(value, str) and not value.strip()):
            if clear_empty and name not in NEVER_CLEARED and name not in CONTACTS and name != "goal":
                record.setdefault(name, CLEARED.get(name))
            continue
        if name in ("description", "goal") or name in CONTACTS:
            continue
        record[name] = value if record.get(name) in (None, "", []) else record[name]
    if kind == "needs" and cmap.columns_of("description") + cmap.columns_of("goal"):
        joined = _joined(row, cmap, ("description", "goal"))
        if joined or clear_empty:
            record["description"] = joined
    contacts = {CONTACTS[n]: _text(row.get(h)) for h, n in cmap.fields.items() if n in CONTACTS and _text(row.get(h))}
    if contacts:
        record["contacts"] = contacts
    elif clear_empty and any(n in CONTACTS for n in cmap.fields.values()):
        record["contacts"] = None
    return normalised(kind, record)


def normalised(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """Values as staff write them read as the schema wants them, and an id derived where the row has none."""
    if "year" in record:
        record["year"] = year_of(record["year"])
    if kind == "outcomes" and "kind" in record:
        record["kind"] = kind_of(record["kind"])
    if kind == "institutions" and "type" in record:
        record["type"] = institution_type(record["type"])
    if kind == "needs" and "status" in record:
        record["status"] = STATUS.get(_text(record["status"]).lower(), record["status"])
    if "region" in record and record["region"] not in (None, ""):
        record["region"] = region_name(record["region"])
    if kind == "outcomes" and "patent_no" in record and "kind" not in record:
        record["kind"] = "patent"
    if not record.get("id"):
        record.pop("id", None)
        made = derived_id(kind, record)
        if made:
            record["id"] = made
    for name in ("patent_no", "doi", "grant_no"):
        record.pop(name, None)
    return record
