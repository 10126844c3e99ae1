"""One scale scenario: ChinaXiv paragraphs → import → index → warm match latency, in a fresh workspace.

python -m bench.scale --n 10000 --embedder e5
"""

from __future__ import annotations

import argparse
import logging
import shutil
import time
from typing import Any

from bench.data import ROOT, chinaxiv_subset, need_files
from bench.stats import peak_rss_mb, percentiles, save_result, timed
from matcher.config import Settings
from matcher.match import forward
from matcher.text.normalize import compose
from matcher.workspace import data as data_in
from matcher.workspace.context import Context, open_context

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "docs" / "bench"
log = logging.getLogger(__name__)


def _need_ids(matcher: Context) -> list[str]:
    from sqlalchemy import select

    from matcher.store.tables import Need

    with matcher.session() as session:
        return list(session.scalars(select(Need.id).order_by(Need.pk)))


def stored_need_latency(matcher: Context, ids: list[str], level: str, rounds: int = 3) -> dict[str, float]:
    """Warm `match` of stored needs (embedding already cached at import)."""
    for nid in ids[:20]:
        forward.match(matcher, forward.need_query(matcher, nid), level=level, top=10)
    samples = []
    for _ in range(rounds):
        for nid in ids:
            start = time.perf_counter()
            forward.match(matcher, forward.need_query(matcher, nid), level=level, top=10)
            samples.append((time.perf_counter() - start) * 1e3)
    return percentiles(samples)


def new_text_overhead(matcher: Context, texts: list[str], level: str) -> dict[str, Any]:
    """`match` of never-seen text: total time, the raw embedder's time on the same text, and the difference."""
    inner = matcher.embedder.inner
    total, raw = [], []
    for i, text in enumerate(texts):
        fresh = f"{text} (bench {time.time_ns()} {i})"
        query_text = compose(fresh, "", matcher.settings.embed_max_chars)
        _, t_raw = timed(lambda q=query_text: inner.encode_queries([q]))
        start = time.perf_counter()
        forward.match(matcher, forward.text_query(matcher, fresh), level=level, top=10)
        total.append((time.perf_counter() - start) * 1e3)
        raw.append(t_raw * 1e3)
    overhead = [t - r for t, r in zip(total, raw, strict=True)]
    return {"total": percentiles(total), "raw_embed": percentiles(raw), "overhead": percentiles(overhead)}


def run(n: int, embedder: str, texts_for_new: int = 40) -> dict[str, Any]:
    data = chinaxiv_subset(n, OUT / "data")
    home = OUT / f"ws-chinaxiv-{n}-{embedder}"
    shutil.rmtree(home, ignore_errors=True)
    matcher = open_context(Settings(home=home, embedder=embedder, _env_file=None))  # type: ignore[call-arg]
    report, t_import = timed(lambda: data_in.import_file(matcher, "outcomes", data))
    for path in need_files():
        data_in.import_file(matcher, "needs", path)
    build, t_build = timed(lambda: data_in.build_index(matcher))
    ids = _need_ids(matcher)
    from bench.data import need_texts

    result = {
        "scenario": f"chinaxiv-{n}-{embedder}",
        "corpus": f"ChinaXiv paragraphs (first {n})",
        "embedder": matcher.embedder.name,
        "outcomes": report.accepted,
        "import_seconds": round(t_import, 2),
        "import_rows_per_s": round(report.accepted / t_import, 1),
        "index_build_seconds": round(t_build, 2),
        "index_type": build.dense_type,
        "embed_docs_per_s": round(build.embedded / t_build, 1),
        "stored_needs": len(ids),
        "match_stored_need_outcome": stored_need_latency(matcher, ids, "outcome"),
        "match_new_text_outcome": new_text_overhead(matcher, need_texts(texts_for_new), "outcome"),
        "peak_rss_mb": peak_rss_mb(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    matcher.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--embedder", default="e5")
    args = parser.parse_args()
    result = run(args.n, args.embedder)
    save_result(result)


if __name__ == "__main__":
    main()
