"""Hostile uploads of at most 5 MB against the import: the extra RSS each costs at its peak, and what is held
after (issue 41: an upload of ≤ 5 MB never costs more than 300 MB of extra RSS, and the memory is returned).

Each case's file is written by the parent and read in a fresh process: the baseline is that process's RSS once the
readers are imported, the peak its high-water RSS (VmHWM) after `preview` and a full `import_file` of the file, the
held figure its RSS after both.

python -m bench.import_bombs
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

CASES = ("docx_body_60mb", "shared_strings_5m", "worksheet_odd_name_600mb", "zip_of_bomb_forms", "honest_sheet_5mb")
LIMIT_MB = 5


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process: per address space, so a parent's peak before exec never
    counts (ru_maxrss would carry it over)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"{field} not in /proc/self/status")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _docx(inflated: int) -> bytes:
    import io

    head = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("word/document.xml", head + b"<w:p/>" * (inflated // 6) + b"</w:body></w:document>")
    return buffer.getvalue()


def _xlsx_with(path: Path, extra: dict[str, bytes]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["需求名称", "企业名称"])
    sheet.append(["铸件涂料", "某厂"])
    book.save(path)
    parts = {i.filename: zipfile.ZipFile(path).read(i) for i in zipfile.ZipFile(path).infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in {**parts, **extra}.items():
            archive.writestr(name, data)


def _honest_rows(path: Path, n: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("需求")
    sheet.append(["序号", "需求名称", "需求描述", "企业名称", "所在地区"])
    for i in range(1, n + 1):
        sheet.append([i, f"需求{i} 铸件表面涂料开发", f"第 {i} 项：现用涂料抗粘砂能力不足，需提高表面光洁度。" * 3,
                      f"企业{i % 500}有限公司", "重庆"])  # fmt: skip
    book.save(path)


def _honest(path: Path) -> None:
    """An honest staff sheet just under the upload limit (rows scaled from a first try)."""
    _honest_rows(path, 5000)
    _honest_rows(path, int(5000 * 4.7 * 2**20 / path.stat().st_size))


def write_case(case: str, folder: Path) -> Path:
    if case == "docx_body_60mb":
        path = folder / "bomb.docx"
        path.write_bytes(_docx(60_000_000))
    elif case == "shared_strings_5m":
        path = folder / "strings.xlsx"
        sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        _xlsx_with(path, {"xl/sharedStrings.xml": sst + b"<si><t>x</t></si>" * 5_000_000 + b"</sst>"})
    elif case == "worksheet_odd_name_600mb":
        path = folder / "odd.xlsx"
        _xlsx_with(path, {"xl/worksheets/data.xml": b" " * 600_000_000})
    elif case == "zip_of_bomb_forms":
        path = folder / "forms.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for i in range(20):
                archive.writestr(f"{i:02d}.docx", _docx(40_000_000))
    else:
        path = folder / "honest.xlsx"
        _honest(path)
    return path


def measure(case: str, path: Path) -> dict[str, Any]:
    """One case (its file written by the parent), in this process: baseline, peak and held RSS, what was said."""
    from matcher.config import Settings
    from matcher.errors import InputError
    from matcher.ingest import import_file
    from matcher.ingest.importer import preview
    from matcher.store.db import make_engine, migrate, session_factory
    from matcher.text.tokenize import Tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "ws", _env_file=None)  # type: ignore[call-arg]
        settings.workspace().ensure()
        engine = make_engine(settings.db_url())
        migrate(engine)
        tokenizer = Tokenizer()
        tokenizer.tokens("预热分词")
        base = _rss_mb()
        outcome: dict[str, Any] = {}
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("preview", lambda: preview(path, "needs", rows=5)),
            ("import", lambda: import_file(session_factory(engine), kind="needs", path=path, tokenizer=tokenizer,
                                           max_chars=settings.embed_max_chars,
                                           rejects_path=Path(tmp) / "rejects.jsonl")),
        ]  # fmt: skip
        for name, step in steps:
            try:
                done = step()
                outcome[name] = dict(getattr(done, "counts", {}) or {"rows": len(getattr(done, "rows", []))})
            except InputError as exc:
                outcome[name] = f"refused: {exc}"[:160]
        peak = _status_mb("VmHWM")
        return {"case": case, "file_mb": round(path.stat().st_size / 2**20, 2), "baseline_mb": base,
                "extra_peak_mb": round(peak - base, 1), "extra_held_mb": round(_rss_mb() - base, 1),
                "outcome": outcome}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=CASES)
    parser.add_argument("--path", type=Path, help="the case's file (written by the parent run)")
    args = parser.parse_args()
    if args.case and args.path:
        print(json.dumps(measure(args.case, args.path), ensure_ascii=False))
        return
    from bench.stats import save_result

    rows = []
    for case in [args.case] if args.case else CASES:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_case(case, Path(tmp))
            command = [sys.executable, "-m", "bench.import_bombs", "--case", case, "--path", str(path)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    worst = max(r["extra_peak_mb"] for r in rows)
    save_result({"scenario": "import-bombs", "limit_upload_mb": LIMIT_MB, "ceiling_extra_rss_mb": worst,
                 "cases": rows})  # fmt: skip


if __name__ == "__main__":
    main()
