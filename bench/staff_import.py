"""A staff spreadsheet at scale: a 50,000-row outcome list with the Chinese headers staff use (成果名称, 摘要,
完成单位, 完成人, 申请日, 类型), written from ChinaXiv paragraphs, imported as `matcher import outcomes` does it
(read, columns mapped, ids derived, validated, upserted in batches; no embedding). Rows/s and peak RSS.

python -m bench.staff_import --n 50000
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bench.data import datasets_dir
from bench.stats import peak_rss_mb, save_result, timed
from matcher.config import Settings
from matcher.ingest import import_file
from matcher.store.db import make_engine, migrate, session_factory
from matcher.text.tokenize import Tokenizer

HEADERS = ["序号", "成果名称", "摘要", "完成单位", "完成人", "申请日", "类型", "联系电话"]
UNITS = ["重庆大学材料科学与工程学院", "哈尔滨工业大学", "沈阳铸造研究所有限公司", "上海交通大学", "东北大学"]


def write_sheet(path: Path, n: int) -> int:
    """The first `n` ChinaXiv paragraphs as a staff outcome list; bytes written."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("成果")
    sheet.append(HEADERS)
    with gzip.open(datasets_dir() / "chinaxiv_paragraphs" / "outcomes.jsonl.gz", "rt", encoding="utf-8") as src:
        for i, line in zip(range(n), src, strict=False):
            row = json.loads(line)
            unit = UNITS[i % len(UNITS)]
            sheet.append([i + 1, row["title"], row["abstract"], unit, f"专家{i % 997};专家{(i * 7) % 997}",
                          f"20{10 + i % 14}-0{1 + i % 9}-15", "论文", "13800000000"])  # fmt: skip
    book.save(path)
    return path.stat().st_size


def run(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "成果清单.xlsx"
        size = write_sheet(sheet, n)
        settings = Settings(home=Path(tmp) / "ws", _env_file=None)  # type: ignore[call-arg]
        settings.workspace().ensure()
        engine = make_engine(settings.db_url())
        migrate(engine)
        report, seconds = timed(
            lambda: import_file(
                session_factory(engine),
                kind="outcomes",
                path=sheet,
                tokenizer=Tokenizer(),
                max_chars=settings.embed_max_chars,
                batch_size=settings.import_batch_size,
                rejects_path=Path(tmp) / "rejects.jsonl",
            )
        )
        engine.dispose()
    return {
        "scenario": f"import-xlsx-{n}",
        "rows": n,
        "file_mb": round(size / 1e6, 1),
        "accepted": report.accepted,
        "rejected": report.rejected,
        "mapping": report.mapping,
        "ignored": report.ignored,
        "seconds": round(seconds, 1),
        "rows_per_s": round(n / seconds, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    save_result(run(parser.parse_args().n))


if __name__ == "__main__":
    main()
