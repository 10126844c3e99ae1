"""我的跟进 as files staff open without a mail server: a CSV (Chinese headers) and an iCalendar feed (.ics, one
all-day event per due next action) their calendar program subscribes to or imports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from matcher.export.sheets import csv_bytes, safe_text

HEADERS = ["状态", "到期日", "负责人", "下一步", "需求", "需求企业", "对接对象", "当前阶段", "记录编号"]
PRODID = "-//matcher//对接台账//ZH"


def status_zh(days: int) -> str:
    """逾期 N 天 / 今天到期 / N 天后到期."""
    if days < 0:
        return f"逾期 {-days} 天"
    return "今天到期" if days == 0 else f"{days} 天后到期"


def followup_rows(items: list[tuple[dict[str, Any], int]]) -> list[list[Any]]:
    """(engagement as `services.engagements.describe` gives it, days until due) → CSV rows."""
    return [
        [status_zh(days), e["due_date"].isoformat() if e["due_date"] else "", e["owner"] or "", e["next_action"] or "",
         e["need_title"], e["organization"] or "", e["target_name"] or e["target_id"], e["stage_zh"], e["id"]]
        for e, days in items
    ]  # fmt: skip


def followups_csv(items: list[tuple[dict[str, Any], int]]) -> bytes:
    return csv_bytes(HEADERS, followup_rows(items))


def _escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped."""
    text = safe_text(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> list[str]:
    """A content line cut into lines of at most 75 octets, continuations starting with a space (RFC 5545 3.1)."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def _day(day: date) -> str:
    return day.isoformat().replace("-", "")  # YYYYMMDD, zero-padded for any year


def _event(e: dict[str, Any], stamp: str, host: str) -> list[str]:
    due: date = e["due_date"]
    end = due + timedelta(days=1) if due < date.max else due
    summary = f"{e['next_action'] or '跟进'}：{e['need_title']}"
    details = (f"需求企业：{e['organization'] or '—'}\n对接对象：{e['target_name'] or e['target_id']}\n"
               f"当前阶段：{e['stage_zh']}\n负责人：{e['owner'] or '—'}")  # fmt: skip
    return [
        "BEGIN:VEVENT",
        f"UID:engagement-{e['id']}-{_day(due)}@{host}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_day(due)}",
        f"DTEND;VALUE=DATE:{_day(end)}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(details)}",
        "END:VEVENT",
    ]


def followups_ics(engagements: list[dict[str, Any]], *, name: str, host: str = "matcher",
                  now: datetime | None = None) -> bytes:  # fmt: skip
    """One VCALENDAR holding an all-day event on the due date of each engagement's next action."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_escape(name)}"]  # fmt: skip
    for e in engagements:
        if e["due_date"] is not None:
            lines.extend(_event(e, stamp, host))
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line)).encode("utf-8")
