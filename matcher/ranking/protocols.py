"""What the rankers need from the engine, as a typed Protocol (the rankers never import the engine)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from matcher.embed import Embedder
from matcher.index.loaded import Indexes
from matcher.search.query import Query
from matcher.search.rollup import Scored


class Searcher(Protocol):
    """A workspace that can build queries, retrieve candidates and compute outcome features (the Matcher)."""

    sessions: sessionmaker[Session]

    @property
    def embedder(self) -> Embedder: ...

    @property
    def indexes(self) -> Indexes: ...

    def need_query(self, need_id: str) -> Query: ...

    def candidates(self, query: Query) -> list[Scored]: ...

    def features(
        self, query: Query, pks: list[int], infos: dict[int, Any] | None = None
    ) -> tuple[np.ndarray, dict[int, Any]]: ...

    def institution_sizes(self) -> dict[int, int]: ...
