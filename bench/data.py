"""Access to ../shared/datasets for benchmarks (never copied into the repository)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def datasets_dir() -> Path:
    return Path(os.environ.get("MATCHER_DATASETS", ROOT.parent / "shared" / "datasets"))


def chinaxiv_subset(n: int, out: Path) -> Path:
    """The first `n` ChinaXiv paragraphs as a JSONL file (written once, reused)."""
    target = out / f"chinaxiv-{n}.jsonl"
    if target.exists():
        return target
    out.mkdir(parents=True, exist_ok=True)
    source = datasets_dir() / "chinaxiv_paragraphs" / "outcomes.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= n:
                break
            dst.write(line)
    return target


def need_files() -> list[Path]:
    return [datasets_dir() / "bdci2019" / "dev" / "needs.jsonl", ROOT / "data" / "demo" / "needs.jsonl"]


def need_texts(limit: int, max_chars: int = 512) -> list[str]:
    """Need texts as the engine embeds them (title。description, cut), so stored needs hit the cache."""
    from matcher.text.normalize import compose

    texts: list[str] = []
    for path in need_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append(compose(row["title"], row.get("description", ""), max_chars))
    return texts[:limit]
