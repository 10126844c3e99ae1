"""Draw the technology map: outcomes and needs clustered together into topics, topics nested under fields,
demand and supply per topic × region, gaps and strengths with the lists behind them."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from matcher.artifacts.folder import MAP, save_staged
from matcher.config import Workspace
from matcher.errors import InputError
from matcher.map import topics as tp
from matcher.map.cells import DEFAULT_ALPHA, Cell, cells, members, trend
from matcher.map.docs import MapDoc, need_docs, need_progress, outcome_docs
from matcher.map.findings import Gap, Nearest, Strength, gap_of, strength_of
from matcher.map.model import Field, TechMap, Topic
from matcher.map.view import MapView, view
from matcher.workspace.context import Context

log = logging.getLogger(__name__)
_DECLARED_SHARE = 0.5


@dataclass(frozen=True)
class MapParams:
    topics: int | None = None  # None: auto (√(n/2), at most n / min_size)
    min_size: int = 3  # smaller topics fold into their nearest neighbour
    fields: int | None = None  # None: auto (√topics)
    alpha: float = DEFAULT_ALPHA  # outcomes per need that count as local cover
    seed: int = tp.SEED

    def __post_init__(self) -> None:
        if self.topics is not None and self.topics < 1:
            raise InputError("--topics must be 'auto' or a positive number")
        if self.min_size < 1 or self.alpha <= 0:
            raise InputError("--min-size must be ≥ 1 and alpha > 0")


def _declared(docs: Sequence[MapDoc]) -> str | None:
    named = Counter(d.declared_field for d in docs if d.declared_field)
    if not named:
        return None
    name, count = named.most_common(1)[0]
    return name if count >= _DECLARED_SHARE * len(docs) else None


def _topic(t: int, field: int, docs: list[MapDoc], terms: list[tuple[str, float]]) -> Topic:
    years, quarters = trend(docs)
    return Topic(
        id=t,
        field=field,
        label=tp.phrase([term for term, _ in terms]) or f"主题{t}",
        terms=terms,
        outcomes=sum(d.side == "outcome" for d in docs),
        needs=sum(d.side == "need" and d.open for d in docs),
        declared=_declared(docs),
        years=years,
        quarters=quarters,
    )


def _fields(of_topic: np.ndarray, labels: np.ndarray, docs: Sequence[MapDoc], terms: list[list[str]]) -> list[Field]:
    out, seen = [], set()
    for f in range(int(of_topic.max()) + 1):
        members = [d for d, t in zip(docs, labels.tolist(), strict=True) if of_topic[t] == f]
        name = _declared(members) or tp.phrase(terms[f], parts=1) or f"领域{f}"
        name = name if name not in seen else f"{name}（{f}）"
        seen.add(name)
        out.append(Field(f, name, terms[f], [t for t in range(len(of_topic)) if of_topic[t] == f]))
    return out


def topics_of(space: np.ndarray, params: MapParams) -> np.ndarray:
    """Topic of each row of `space` (vectors as `tp.centred` returns them)."""
    k = params.topics or tp.auto_topics(len(space), params.min_size)
    labels = tp.cluster(space, k, seed=params.seed)
    return tp.merge_small(labels, space, params.min_size)


def draw_map(docs: Sequence[MapDoc], vectors: np.ndarray, params: MapParams) -> TechMap:
    """The map of `docs` (outcomes and needs, any order) whose rows of `vectors` embed them."""
    if not docs:
        raise InputError("nothing to map: import outcomes and needs first")
    x, space = tp.unit(vectors), tp.centred(vectors)
    labels = topics_of(space, params)
    of_topic = tp.group_topics(tp.centroids(labels, space), params.fields or tp.auto_fields(int(labels.max()) + 1))
    tokens = [d.tokens for d in docs]
    topic_terms = tp.Terms().labels(tokens, labels)
    field_terms = [[t for t, _ in ts] for ts in tp.Terms(top=5).labels(tokens, of_topic[labels])]
    by_topic: list[list[MapDoc]] = [[] for _ in topic_terms]
    for doc, t in zip(docs, labels.tolist(), strict=True):
        by_topic[t].append(doc)
    topic_list = [_topic(t, int(of_topic[t]), by_topic[t], topic_terms[t]) for t in range(len(by_topic))]
    groups = members(docs, labels.tolist())
    grid = cells(docs, labels.tolist(), params.alpha, groups)
    gaps, strengths = _findings(docs, x, groups, grid)
    return TechMap(
        params={"kind": "techmap", **asdict(params), "documents": len(docs), "topics_found": len(topic_list)},
        fields=_fields(of_topic, labels, docs, field_terms),
        topics=topic_list,
        cells=grid,
        gaps=gaps,
        strengths=strengths,
        assignments=[(d.side, d.id, t) for d, t in zip(docs, labels.tolist(), strict=True)],
    )


def _findings(
    docs: Sequence[MapDoc], x: np.ndarray, groups: dict[tuple[int, str], list[int]], grid: list[Cell]
) -> tuple[list[Gap], list[Strength]]:
    is_outcome = np.asarray([d.side == "outcome" for d in docs])
    nearest = Nearest([d for d, o in zip(docs, is_outcome, strict=True) if o], x[is_outcome])
    gaps = [
        gap_of(c, [(docs[i], x[i]) for i in groups[(c.topic, c.region)] if docs[i].side == "need"], nearest)
        for c in sorted((c for c in grid if c.gap > 0), key=lambda c: (-c.gap, c.topic, c.region))
    ]
    strengths = [
        strength_of(c, [docs[i] for i in groups[(c.topic, c.region)] if docs[i].side == "outcome"])
        for c in sorted((c for c in grid if c.strength > 0), key=lambda c: (-c.strength, c.topic, c.region))
    ]
    return gaps, strengths


def build_map(ctx: Context, *, params: MapParams, progress: Callable[[int], None] | None = None) -> TechMap:
    """Read the store, embed every outcome and need as a passage (cached), draw the map and swap it in."""
    start = time.perf_counter()
    max_chars = ctx.settings.embed_max_chars
    with ctx.sessions() as session:
        docs = outcome_docs(session, max_chars) + need_docs(session, ctx.snapshot().tokenizer, max_chars)
    vectors = ctx.embedder.encode_documents([d.text for d in docs], progress=progress)
    techmap = draw_map(docs, vectors, params)
    techmap.params.update(embedder=ctx.embedder.name, seconds=round(time.perf_counter() - start, 2))
    techmap.params = save_staged(ctx.workspace.map_dir, techmap.save)
    log.info("map: %d documents, %d topics, %d gaps", len(docs), len(techmap.topics), len(techmap.gaps))
    return techmap


def load_map(workspace: Workspace) -> TechMap:
    """The stored map, read once per build (cached on params.json's modification time)."""
    params = workspace.map_dir / "params.json"
    if not params.exists():
        raise MAP.missing("no technology map yet: run `matcher map build`")
    return _load(str(workspace.map_dir), params.stat().st_mtime_ns)


def current_view(ctx: Context, *, region: str | None = None, field: str | None = None) -> MapView:
    """The stored map in scope, its 已对接 / 已签约 counted from the feedback recorded up to now."""
    techmap = load_map(ctx.workspace)
    with ctx.sessions() as session:
        progress = need_progress(session)
    return view(techmap, region=region, field=field, progress=progress)


@lru_cache(maxsize=4)
def _load(folder: str, stamp: int) -> TechMap:
    return TechMap.load(Path(folder))
