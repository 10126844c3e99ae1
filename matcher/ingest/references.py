"""Literature and patent exports of the Chinese databases (CNKI, 万方, 维普 all offer these), read as outcome rows:

- RIS (`.ris`, read with `rispy`);
- EndNote / refer text (`%0 Journal Article`, `%T 题名`, `%A 作者` …);
- NoteExpress text (`{Reference Type}: Journal Article`, `{Title}: …`);
- RefWorks text (`RT Journal Article`, `T1 题名`, `A1 作者` …).

Each record becomes one row keyed by outcome field names (title, abstract, keywords, experts, institution, year,
kind, doi), so the column map is the identity; a record without a title is a RowError with its first line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from matcher.ingest.table import Row, RowError

FIELDS = ["title", "abstract", "keywords", "experts", "institution", "year", "kind", "doi"]
# tag → field, per tag format (several tags may feed one field; lists join)
ENDNOTE = {"%T": "title", "%X": "abstract", "%K": "keywords", "%A": "experts", "%+": "institution",
           "%D": "year", "%0": "kind", "%R": "doi", "%I": "institution"}  # fmt: skip
NOTEEXPRESS = {"Title": "title", "Abstract": "abstract", "Keywords": "keywords", "Author": "experts",
               "Author Address": "institution", "Year": "year", "Reference Type": "kind", "DOI": "doi",
               "Applicant": "institution", "Inventor": "experts", "Application Number": "patent_no"}  # fmt: skip
REFWORKS = {"T1": "title", "AB": "abstract", "K1": "keywords", "A1": "experts", "AD": "institution",
            "YR": "year", "FD": "year", "RT": "kind", "DO": "doi", "PB": "institution"}  # fmt: skip
RIS = {"title": "title", "primary_title": "title", "abstract": "abstract", "notes_abstract": "abstract",
       "keywords": "keywords", "authors": "experts", "first_authors": "experts", "author_address": "institution",
       "year": "year", "publication_year": "year", "date": "year", "type_of_reference": "kind",
       "doi": "doi"}  # fmt: skip
RIS_KINDS = {"JOUR": "paper", "CONF": "paper", "CPAPER": "paper", "THES": "paper", "BOOK": "paper", "CHAP": "paper",
             "PAT": "patent", "RPRT": "project", "GRANT": "project"}  # fmt: skip
LISTS = {"keywords", "experts"}
_SPLIT = re.compile(r"[;；,，]")


def sniff(text: str) -> str | None:
    """Which tag format `text` is in (ris, endnote, noteexpress, refworks), or None."""
    head = "\n".join(line for line in text.splitlines()[:40] if line.strip())
    if re.search(r"^TY  - ", head, re.M):
        return "ris"
    if re.search(r"^%0 ", head, re.M):
        return "endnote"
    if re.search(r"^\{Reference Type\}:", head, re.M):
        return "noteexpress"
    if re.search(r"^RT ", head, re.M):
        return "refworks"
    return None


def _add(record: dict[str, Any], name: str, value: str) -> None:
    value = value.strip()
    if not value:
        return
    if name in LISTS:
        record.setdefault(name, []).extend(v.strip() for v in _SPLIT.split(value) if v.strip())
    elif name == "institution":
        record.setdefault(name, _SPLIT.split(value)[0].strip())
    else:
        record.setdefault(name, value)


def _finish(record: dict[str, Any], first_line: int, raw: list[str]) -> Row:
    if not record.get("title"):
        return first_line, RowError("记录没有题名（title）", "\n".join(raw)[:2000])
    if isinstance(record.get("kind"), str):
        record["kind"] = RIS_KINDS.get(record["kind"].strip().upper(), record["kind"])
    return first_line, record


def _tagged(text: str, tags: dict[str, str], pattern: str, start: str) -> Iterator[Row]:
    """Records of a line-tagged format: `pattern` splits a line into (tag, value); a `start` tag opens a record."""
    record: dict[str, Any] = {}
    raw: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), 1):
        found = re.match(pattern, line)
        if found and found.group(1) == start and raw:
            yield _finish(record, first, raw)
            record, raw = {}, []
        if not line.strip():
            continue
        if not raw:
            first = number
        raw.append(line)
        if found and found.group(1) in tags:
            _add(record, tags[found.group(1)], found.group(2))
    if raw:
        yield _finish(record, first, raw)


def _ris(text: str) -> Iterator[Row]:
    import rispy

    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("TY  - ")]
    try:
        entries = rispy.loads(text)
    except (OSError, ValueError, KeyError) as exc:
        yield 1, RowError(f"不是可读的 RIS 文件（{exc}）", text[:2000])
        return
    for i, entry in enumerate(entries):
        record: dict[str, Any] = {}
        for key, name in RIS.items():
            value = entry.get(key)
            for part in value if isinstance(value, list) else [value] if value else []:
                _add(record, name, str(part))
        yield _finish(record, starts[i] if i < len(starts) else 0, [str(entry)[:2000]])
    for line in starts[len(entries) :]:  # a record without its closing ER line (a truncated export)
        yield line, RowError("记录不完整（缺少结尾的 ER 行，文件可能被截断）", "")


def reference_rows(text: str, fmt: str) -> Iterator[Row]:
    """The outcome rows of a reference export in format `fmt` (see `sniff`)."""
    if fmt == "ris":
        return _ris(text)
    if fmt == "endnote":
        return _tagged(text, ENDNOTE, r"^(%\S)\s?(.*)$", "%0")
    if fmt == "noteexpress":
        return _tagged(text, NOTEEXPRESS, r"^\{([^}]+)\}:\s?(.*)$", "Reference Type")
    return _tagged(text, REFWORKS, r"^([A-Z][A-Z0-9])\s(.*)$", "RT")
