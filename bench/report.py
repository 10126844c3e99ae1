"""Render every result in docs/bench/*.json into docs/benchmarks.md."""

from __future__ import annotations

import json
import platform
from typing import Any

from bench.scale import RESULTS

DOC = RESULTS.parent / "benchmarks.md"


def _load() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]


def _scale_rows(results: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| scenario | embedder | outcomes | import rows/s | index build s (type) | embed docs/s | "
        "stored need p50 / p99 ms | new text: total p50 ms | raw embed p50 ms | overhead p50 / p99 ms | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, t = r["match_stored_need_outcome"], r["match_new_text_outcome"]
        rows.append(
            f"| {r['scenario']} | {r['embedder']} | {r['outcomes']} | {r['import_rows_per_s']} | "
            f"{r['index_build_seconds']} ({r['index_type']}) | {r['embed_docs_per_s']} | "
            f"{s['p50_ms']} / {s['p99_ms']} | "
            f"{t['total']['p50_ms']} | {t['raw_embed']['p50_ms']} | {t['overhead']['p50_ms']} / "
            f"{t['overhead']['p99_ms']} | {r['peak_rss_mb']} |"
        )
    return rows


def _load_rows(results: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| scenario | embedder | text | requests | concurrency | throughput req/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for phase, label in (("known_text", "stored-need text (embedding cached)"), ("new_text", "new text")):
            p = r[phase]
            rows.append(
                f"| {r['scenario']} | {r['embedder']} | {label} | {p['requests']} | {p['concurrency']} | "
                f"{p['throughput_rps']} | {p['p50_ms']} | {p['p99_ms']} | {p['errors']} |"
            )
    return rows


def _batch_rows(results: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| scenario | scorer | needs | candidates | wall s | select / score / load / solve / write s | ms per need "
        "| proposals + alternates | unserved | solver total vs greedy | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r["seconds"]
        stages = " / ".join(str(s[k]) for k in ("select", "score", "load", "solve", "write"))
        gain = 100 * (r["objective"] / r["greedy_objective"] - 1)
        rows.append(
            f"| {r['scenario']} | {r['scorer']} | {r['needs']} | {r['candidates']} | {r['wall_seconds']} | {stages} | "
            f"{r['per_need_ms']} | {r['proposals']} + {r['alternates']} | {r['unserved']} | "
            f"{r['objective']:,.0f} vs {r['greedy_objective']:,.0f} (+{gain:.1f} %) | {r['peak_rss_mb']} |"
        )
    return rows


def render() -> str:
    results = _load()
    scale = [r for r in results if r["scenario"].startswith("chinaxiv-")]
    other = [r for r in results if r["scenario"].startswith(("embed-", "demo-"))]
    load = [r for r in results if r["scenario"].startswith("load-")]
    batch = [r for r in results if r["scenario"].startswith("batch-")]
    expert = [r for r in results if r["scenario"].startswith("expert-")]
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {platform.machine()}, 2 cores, Python {platform.python_version()}. "
        "Written by `make bench` (bench/report.py) from docs/bench/*.json; every figure below was measured.",
        "",
    ]
    if scale:
        lines += [
            "## Scale: ChinaXiv paragraphs",
            "",
            "Import = validate + jieba tokenize + upsert into SQLite. Index build = embed every outcome "
            "(empty cache) + FAISS + BM25. Latency = warm `match` at outcome level, top 10; stored needs "
            "(BDCI dev + demo needs, embeddings stored at import) vs never-seen text.",
            "",
            *_scale_rows(scale),
            "",
        ]
    if batch:
        lines += [
            "## Nightly batch run",
            "",
            "`matcher batch run` (K=3, A=2, C=5, M=2, region bonus 10) over needs (BDCI dev + unlabelled + demo, "
            "repeated with new ids) against ChinaXiv paragraphs attributed to one synthetic expert per preprint "
            "at 200 synthetic institutions. Workspace built and embeddings cached beforehand (not timed); "
            "score = retrieve + rank + roll-up + conflict rules per need, one transaction each; solve = OR-Tools "
            "min-cost flow; peak RSS of the whole process.",
            "",
            *_batch_rows(batch),
            "",
        ]
    for r in expert:
        lines += [
            f"## Expert ranker cost: {r['corpus']}",
            "",
            "Warm `match --level expert`, top 10: the roll-up alone vs the roll-up re-ranked by the expert ranker "
            "(expert features for the top 100 experts + gradient-boosted trees).",
            "",
            "| scorer | p50 ms | p99 ms | mean ms |",
            "|---|---|---|---|",
            *(f"| {p['scorer']} | {p['p50_ms']} | {p['p99_ms']} | {p['mean_ms']} |" for p in (r["without"], r["with"])),
            "",
        ]
    if load:
        lines += [
            "## Service load: `POST /match` (level expert, top 10) on loopback",
            "",
            "A real `matcher serve` process; concurrent clients (threads + httpx), bounded in count and in time.",
            "",
            *_load_rows(load),
            "",
        ]
    for r in other:
        lines += [f"## {r['scenario']}", "", "```json", json.dumps(r, ensure_ascii=False, indent=2), "```", ""]
    return "\n".join(lines)


def main() -> None:
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
