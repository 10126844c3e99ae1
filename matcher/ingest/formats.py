"""Every file format `matcher import` and the bulk upload read — the one list the CLI's help, the API's `format`
parameter and the readers take (`readers.py`, `references.py`, `forms.py`)."""

from __future__ import annotations

from pathlib import Path

from matcher.errors import InputError

# suffix → format read
SUFFIXES: dict[str, str] = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv", ".tsv": "tsv",
    ".xlsx": "xlsx", ".xls": "xls",
    ".ris": "ris", ".enw": "endnote", ".txt": "text",
    ".docx": "docx", ".zip": "forms",
}  # fmt: skip
# what an upload may declare (`POST /{kind}/bulk?format=…`) → the suffix it is stored under
UPLOADS: dict[str, str] = {s.lstrip("."): s for s in SUFFIXES if s not in (".ndjson", ".json")}
TEXT = ("jsonl", "csv", "tsv", "ris", "endnote", "text")  # read as text: UTF-8 or GBK/GB18030, detected
HELP = (
    ".jsonl .csv .tsv（UTF-8 或 GBK）.xlsx .xls · 文献导出 .ris .enw .txt（EndNote / NoteExpress / RefWorks）"
    " · 需求表 .docx，或一个文件夹 / .zip 的需求表；.gz 压缩亦可"
)


def format_of(path: Path) -> str:
    """The format a path names by its suffix (`.gz` looked through); a folder is a folder of forms."""
    if path.is_dir():
        return "forms"
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    fmt = SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputError(f"{path.name}：不支持的文件类型 {suffixes[-1] if suffixes else '（无后缀）'}；可用：{HELP}")
    return fmt
