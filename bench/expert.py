"""Expert ranker cost: warm `match --level expert` on NSFC (14,531 projects, e5) without and with the expert
ranker (trained here on the dev judgements with `train_expert_ranker`, as `matcher train --level expert` does).

python -m bench.expert
"""

from __future__ import annotations

import time
from typing import Any

from bench.data import ROOT, datasets_dir
from bench.stats import peak_rss_mb, percentiles, save_result
from matcher.config import Settings
from matcher.learn.train import train_expert_ranker
from matcher.match import forward
from matcher.ranking.qrels import read_qrels
from matcher.workspace.context import Context, open_context

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "docs" / "bench"
HOME = OUT / "ws-nsfc-e5"


def _open(expert_model: str) -> Context:
    return open_context(Settings(home=HOME, embedder="e5", expert_model=expert_model, _env_file=None))  # type: ignore[call-arg]


def prepare() -> list[str]:
    """The NSFC workspace and its expert model (built once); the dev need ids."""
    data = datasets_dir() / "nsfc_experts"
    qrels = read_qrels(data / "dev" / "qrels_experts.tsv")
    matcher = _open("none")
    if not (HOME / "index" / "params.json").exists():
        data.import_file(matcher, "outcomes", data / "outcomes.jsonl")
        data.import_file(matcher, "needs", data / "dev" / "needs.jsonl")
        data.build_index(matcher)
    if not (HOME / "models" / "expert" / "params.json").exists():
        train_expert_ranker(matcher, qrels, out=HOME / "models" / "expert", name="nsfc-dev", sources=["nsfc dev"])
    matcher.close()
    return sorted(qrels)


def latency(expert_model: str, ids: list[str]) -> dict[str, Any]:
    matcher = _open(expert_model)
    for nid in ids[:20]:
        result = forward.match(matcher, forward.need_query(matcher, nid), level="expert", top=10)
    samples = []
    for nid in ids[20:]:
        start = time.perf_counter()
        result = forward.match(matcher, forward.need_query(matcher, nid), level="expert", top=10)
        samples.append((time.perf_counter() - start) * 1e3)
    matcher.close()
    return {"scorer": result.scorer, **percentiles(samples)}


def main() -> None:
    ids = prepare()[:320]
    result = {
        "scenario": "expert-ranker-nsfc-e5",
        "corpus": "NSFC projects (14,531), 300 timed dev needs after 20 warm-up",
        "without": latency("none", ids),
        "with": latency("auto", ids),
        "peak_rss_mb": peak_rss_mb(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    save_result(result)


if __name__ == "__main__":
    main()
