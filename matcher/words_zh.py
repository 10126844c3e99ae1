"""Validation errors in the words of the form that failed: pydantic's error types and the records' field names in
Chinese. The API's problem details and the importer's rejected rows both speak through here."""

from __future__ import annotations

import re
from typing import Any

# pydantic's error types, in the words of the form that failed
MESSAGES_ZH = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "太长（最多 {max_length} 字）",
    "too_long": "太多（最多 {max_length} 项）",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "须大于 {gt}",
    "less_than": "须小于 {lt}",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "bool_type": "须为是或否",
    "string_type": "须为文字",
    "list_type": "须为列表",
    "string_pattern_mismatch": "格式不对",
    "literal_error": "须为以下之一：{expected}",
    "enum": "须为以下之一：{expected}",
    "extra_forbidden": "不认识的字段",
    "json_invalid": "不是合法的 JSON",
    "date_from_datetime_parsing": "须为日期，例如 2026-11-01",
    "date_parsing": "须为日期，例如 2026-11-01",
    "date_type": "须为日期，例如 2026-11-01",
    "datetime_parsing": "须为日期时间，例如 2026-11-01T09:00:00",
    "datetime_type": "须为日期时间，例如 2026-11-01T09:00:00",
    "dict_type": "须为对象（键值对）",
    "model_type": "须为对象（键值对）",
    "model_attributes_type": "须为对象（键值对）",
    "dataclass_type": "须为对象（键值对）",
    "too_short": "太少（至少 {min_length} 项）",
    "int_from_float": "须为整数",
    "bool_parsing": "须为是或否",
    "uuid_parsing": "格式不对",
    "url_parsing": "须为网址",
    "string_unicode": "须为文字",
    "bytes_type": "须为文字",
    "none_required": "须留空",
    "json_type": "须为 JSON",
    "multiple_of": "须为 {multiple_of} 的倍数",
    "union_tag_invalid": "类型不对",
    "frozen_field": "不能修改",
}
OTHER_ZH = "格式不对"  # a pydantic error type not listed: its English words are never shown
# what a detail for a person must not carry: SQL, file paths, Python class names, English sentences
UNREADABLE = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|DETAIL|constraint|violates|psycopg|sqlalchemy|sqlite|pydantic|Traceback)\b"
    r"|(?:/[A-Za-z0-9_.-]+){2,}|\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)\b"
    r"|[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}",
    re.IGNORECASE,
)
CJK = re.compile(r"[\u4e00-\u9fff]")


FIELDS_ZH = {"title": "标题", "description": "描述", "organization": "企业", "region": "地区", "field": "领域",
             "name": "名称", "grade": "评分", "stage": "进展", "reason": "原因", "level": "层级", "top": "条数",
             "text": "文字", "need_id": "需求编号", "target_id": "对象编号", "kind": "类型", "k": "数量",
             "status": "状态", "id": "编号", "limit": "条数", "offset": "起始位置", "experts": "专家",
             "institution": "机构", "abstract": "摘要", "year": "年份", "keywords": "关键词", "version": "版本",
             "body": "请求内容", "outcomes": "成果", "needs": "需求", "seed": "随机种子",
             "count": "数量", "contact": "联系人", "phone": "电话", "email": "邮箱", "query": "查询"}  # fmt: skip


def message_zh(error: dict[str, Any]) -> str:
    """A pydantic error in Chinese: a listed type's words, a validator's own Chinese message, else 格式不对."""
    kind = str(error.get("type"))
    words = MESSAGES_ZH.get(kind)
    if words is None:
        said = str((error.get("ctx") or {}).get("error", "")) if kind == "value_error" else ""
        return said if said and CJK.search(said) and not UNREADABLE.search(said) else OTHER_ZH
    try:
        return words.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return words.split("{")[0].rstrip("（：")


def field_zh(path: str) -> str:
    """`experts.0.name` → 专家第 1 项的名称 (a part without Chinese words kept as it is)."""
    words = []
    for part in path.split("."):
        words.append(f"第 {int(part) + 1} 项" if part.isdigit() else FIELDS_ZH.get(part, part))
    return "".join(w if w.startswith("第") or i == 0 else f"的{w}" for i, w in enumerate(words))
